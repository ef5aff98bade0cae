"""precipice.compat.fastchat against FastChat's documented procedure.

FastChat is rarely installed (it pulls in a serving stack); its fit is re-stated
here faithfully from fastchat/serve/monitor/elo_analysis.py and the Chatbot
Arena notebook (pivot tables, the duplicated design, scikit-learn's
LogisticRegression without penalty), and FastChat itself is compared when it
imports."""

from __future__ import annotations

import functools
import math
import warnings
from collections import defaultdict

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
from precipice.compat import fastchat as fc  # noqa: E402


def battles(m=10, n=8000, seed=0, mixtral=True):
    rng = np.random.default_rng(seed)
    true = rng.normal(0, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(-(true[a] - true[b])))
    u = rng.random(n)
    winner = np.where(
        u < 0.1, "tie", np.where(u < 0.15, "tie (bothbad)", np.where(rng.random(n) < p, "model_a", "model_b"))
    )
    names = np.array([f"model-{i:02d}" for i in range(m)], dtype=object)
    if mixtral:
        names[3] = "mixtral-8x7b-instruct-v0.1"
    return pd.DataFrame({"model_a": names[a], "model_b": names[b], "winner": winner})


def fastchat_mle_elo(df, SCALE=400, BASE=10, INIT_RATING=1000, tol=1e-4, max_iter=100, exact=False):
    """FastChat's compute_mle_elo, re-stated: its pivot tables, its design, sklearn's fit."""
    from sklearn.linear_model import LogisticRegression

    def table(rows):
        return pd.pivot_table(df[rows], index="model_a", columns="model_b", aggfunc="size", fill_value=0)

    a_win = table(df["winner"] == "model_a")
    if df["winner"].isin(["tie", "tie (bothbad)"]).sum() == 0:
        tie = pd.DataFrame(0, index=a_win.index, columns=a_win.columns)
    else:
        tie = table(df["winner"].isin(["tie", "tie (bothbad)"]))
        tie = tie + tie.T
    b_win = table(df["winner"] == "model_b")
    win = a_win * 2 + b_win.T * 2 + tie
    models = pd.Series(np.arange(len(win.index)), index=win.index)
    p = len(models)
    X = np.zeros([p * (p - 1) * 2, p])
    Y = np.zeros(p * (p - 1) * 2)
    row = 0
    weights = []
    for m_a in win.index:
        for m_b in win.columns:
            if m_a == m_b or math.isnan(win.loc[m_a, m_b]) or math.isnan(win.loc[m_b, m_a]):
                continue
            X[row, models[m_a]] = +math.log(BASE)
            X[row, models[m_b]] = -math.log(BASE)
            Y[row] = 1.0
            weights.append(win.loc[m_a, m_b])
            X[row + 1, models[m_a]] = math.log(BASE)
            X[row + 1, models[m_b]] = -math.log(BASE)
            Y[row + 1] = 0.0
            weights.append(win.loc[m_b, m_a])
            row += 2
    with warnings.catch_warnings():
        # FastChat's penalty=None is deprecated in scikit-learn 1.8 (same meaning, C=inf);
        # at its default tolerance lbfgs may also stop at max_iter.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        if not exact:
            lr = LogisticRegression(fit_intercept=False, penalty=None, tol=tol, max_iter=max_iter)
            lr.fit(X[:row], Y[:row], sample_weight=weights)
            coef = lr.coef_[0]
        else:
            # The same objective solved exactly: lbfgs from zero stays in the design's
            # row space (coefficients summing to zero) but stalls on its loss-change test
            # near 1e-6 points; Newton needs a full-rank design, so the first column is
            # dropped (its coefficient 0) and the result centred as lbfgs's would be.
            lr = LogisticRegression(
                fit_intercept=False, penalty=None, tol=tol, max_iter=max_iter, solver="newton-cholesky"
            )
            # Columns of models left out of every pair stay at 0 under lbfgs.
            live = np.flatnonzero(np.abs(X[:row]).sum(axis=0) > 0)
            lr.fit(X[:row, live[1:]], Y[:row], sample_weight=weights)
            coef = np.zeros(p)
            coef[live[1:]] = lr.coef_[0]
            coef[live] -= coef[live].mean()
    elo = SCALE * coef + INIT_RATING
    if "mixtral-8x7b-instruct-v0.1" in models.index:
        elo += 1114 - elo[models["mixtral-8x7b-instruct-v0.1"]]
    return pd.Series(elo, index=models.index).sort_values(ascending=False)


def fastchat_online_elo(battles, K=4, SCALE=400, BASE=10, INIT_RATING=1000):
    """FastChat's compute_elo, re-stated."""
    rating = defaultdict(lambda: INIT_RATING)
    for _, model_a, model_b, winner in battles[["model_a", "model_b", "winner"]].itertuples():
        ra, rb = rating[model_a], rating[model_b]
        ea = 1 / (1 + BASE ** ((rb - ra) / SCALE))
        eb = 1 / (1 + BASE ** ((ra - rb) / SCALE))
        sa = {"model_a": 1, "model_b": 0, "tie": 0.5, "tie (bothbad)": 0.5}[winner]
        rating[model_a] += K * (sa - ea)
        rating[model_b] += K * (1 - sa - eb)
    return dict(rating)


@pytest.mark.parametrize("mixtral", [True, False])
def test_compute_mle_elo_matches_fastchats_fit_to_1e6(mixtral):
    pytest.importorskip("sklearn")
    df = battles(mixtral=mixtral)
    ours = fc.compute_mle_elo(df)
    # Solved exactly, scikit-learn finds the same maximum.
    theirs = fastchat_mle_elo(df, tol=1e-12, max_iter=10_000, exact=True)
    assert list(ours.index) == list(theirs.index)
    assert ours.index.name == theirs.index.name
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-6, rtol=0)
    if mixtral:
        assert ours["mixtral-8x7b-instruct-v0.1"] == pytest.approx(1114.0)
    # At FastChat's own tolerance (1e-4) lbfgs stops short, by about 0.1 points here.
    loose = fastchat_mle_elo(df)
    np.testing.assert_allclose(ours[loose.index].to_numpy(), loose.to_numpy(), atol=0.5)


def test_compute_mle_elo_without_ties_and_with_other_constants():
    pytest.importorskip("sklearn")
    df = battles(seed=3)
    df = df[~df["winner"].str.startswith("tie")]
    ours = fc.compute_mle_elo(df, SCALE=200, BASE=math.e, INIT_RATING=1500)
    theirs = fastchat_mle_elo(df, SCALE=200, BASE=math.e, INIT_RATING=1500, tol=1e-12, max_iter=10_000, exact=True)
    np.testing.assert_allclose(ours[theirs.index].to_numpy(), theirs.to_numpy(), atol=1e-6)


def test_compute_mle_elo_keeps_fastchats_pair_alignment():
    # A model that never won as model_a has no row in the a-wins table: FastChat's
    # aligned sum leaves its pairs NaN and out of the fit, its rating at INIT_RATING.
    pytest.importorskip("sklearn")
    df = battles(m=5, n=2000, seed=4, mixtral=False)
    weak = "model-04"
    df = df[~((df["model_a"] == weak) & (df["winner"] == "model_a"))]
    with pytest.warns(UserWarning, match="leaves 1 model"):
        ours = fc.compute_mle_elo(df)
    theirs = fastchat_mle_elo(df, tol=1e-12, max_iter=10_000, exact=True)
    np.testing.assert_allclose(ours[theirs.index].to_numpy(), theirs.to_numpy(), atol=1e-6)


def test_no_fittable_pair_and_bad_constants_are_refused():
    import pandas as pd

    df = pd.DataFrame(
        {
            "model_a": list("xyzxyz") * 3,
            "model_b": list("yzxzxy") * 3,
            "winner": ["model_a", "model_b", "model_a", "tie", "model_a", "model_b"] * 3,
        }
    )
    with pytest.raises(ValueError, match="no pair of models is left"):
        fc.compute_mle_elo(df)
    good = battles(m=4, n=400, seed=1, mixtral=False)
    with pytest.raises(ValueError, match="SCALE must be finite"):
        fc.compute_mle_elo(good, SCALE=float("nan"))
    with pytest.raises(ValueError, match="BASE must be above 1"):
        fc.compute_elo(good, BASE=1)
    with pytest.raises(ValueError, match="K must be at least 0"):
        fc.compute_elo(good, K=-1)
    missing = good.copy()
    missing.loc[missing.index[0], "model_a"] = None
    with pytest.raises(ValueError, match="model_a: 1 battles name no model"):
        fc.compute_mle_elo(missing)


def test_sample_weight_is_ignored_as_fastchat_does():
    df = battles(m=4, n=500, seed=5)
    with pytest.warns(UserWarning, match="ignored"):
        weighted = fc.compute_mle_elo(df, sample_weight=np.ones(len(df)))
    pd.testing.assert_series_equal(weighted, fc.compute_mle_elo(df))


def test_compute_elo_is_fastchats_online_elo():
    df = battles(m=6, n=3000, seed=6)
    ours = fc.compute_elo(df)
    theirs = fastchat_online_elo(df)
    assert list(ours) == list(theirs)
    np.testing.assert_allclose(list(ours.values()), list(theirs.values()), rtol=0, atol=1e-9)
    k8 = fc.compute_elo(df, K=8, INIT_RATING=1200)
    np.testing.assert_allclose(list(k8.values()), list(fastchat_online_elo(df, K=8, INIT_RATING=1200).values()))


def test_get_bootstrap_result_native_matches_the_python_loop_in_distribution():
    df = battles(m=6, n=3000, seed=7)
    np.random.seed(0)
    native = fc.get_bootstrap_result(df, fc.compute_mle_elo, 1000)
    assert native.shape == (1000, 6)
    assert list(native.columns) == list(native.median().sort_values(ascending=False).index)
    np.random.seed(0)
    again = fc.get_bootstrap_result(df, fc.compute_mle_elo, 1000)
    pd.testing.assert_frame_equal(native, again)
    # FastChat's loop: battles.sample(frac=1.0, replace=True) refitted each round.
    with pytest.warns(fc.GenericPathWarning):
        slow = fc.get_bootstrap_result(df, lambda d: fc.compute_mle_elo(d), 60)
    np.testing.assert_allclose(native[slow.columns].std().to_numpy(), slow.std().to_numpy(), rtol=0.35)
    assert (native["mixtral-8x7b-instruct-v0.1"] == 1114.0).all()


def test_get_bootstrap_result_partial_is_native():
    df = battles(m=4, n=800, seed=8, mixtral=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fc.GenericPathWarning)
        out = fc.get_bootstrap_result(df, functools.partial(fc.compute_mle_elo, SCALE=200), 50)
    assert out.shape == (50, 4)


def test_bad_input():
    df = battles(m=4, n=200, seed=9)
    with pytest.raises(ValueError, match="unexpected winner"):
        fc.compute_mle_elo(df.assign(winner="bothgood"))
    with pytest.raises(ValueError, match="self-battles"):
        fc.compute_mle_elo(df.assign(model_b=df["model_a"]))
    with pytest.raises(ValueError, match="winner"):
        fc.compute_mle_elo(df.drop(columns="winner"))
    with pytest.raises(ValueError, match="unknown labels"):
        fc.compute_elo(df.assign(winner="bothgood"))
    with pytest.raises(ValueError, match="num_round"):
        fc.get_bootstrap_result(df, fc.compute_mle_elo, 0)


def test_against_fastchat_itself_when_installed():
    elo_analysis = pytest.importorskip("fastchat.serve.monitor.elo_analysis")
    df = battles(seed=10)
    theirs = getattr(elo_analysis, "compute_mle_elo", None) or elo_analysis.compute_elo_mle_with_tie
    np.testing.assert_allclose(fc.compute_mle_elo(df).to_numpy(), theirs(df).to_numpy(), atol=0.5)
    np.testing.assert_allclose(
        list(fc.compute_elo(df).values()), list(elo_analysis.compute_elo(df).values()), atol=1e-9
    )


def test_bradley_terry_equals_fastchats_fit_bt_to_1e6():
    """FastChat's current rating (fastchat/serve/monitor/rating_systems.py, fit_bt):
    L-BFGS on the unique (a, b, outcome) cells, logits ln(10) (r_a - r_b), a tie
    scored 0.5, Elo = 400 r + offset. Re-stated here with a tight gradient
    tolerance, so that both sides are the exact maximum."""
    from precipice import arena, datasets
    from scipy.optimize import minimize
    from scipy.special import expit

    battles = datasets.arena_battles()
    models, codes = np.unique(np.concatenate([battles["model_a"], battles["model_b"]]), return_inverse=True)
    a, b = codes[: len(battles["winner"])], codes[len(battles["winner"]) :]
    score = np.select([battles["winner"] == "model_a", battles["winner"] == "model_b"], [1.0, 0.0], 0.5)
    cells, weights = np.unique(np.stack([a, b, score], axis=1), axis=0, return_counts=True)
    pairs, outcome = cells[:, :2].astype(np.int64), cells[:, 2]
    alpha = np.log(10.0)

    def loss_and_grad(r):
        p = expit(alpha * (r[pairs[:, 0]] - r[pairs[:, 1]]))
        loss = -((np.log(p) * outcome + np.log1p(-p) * (1.0 - outcome)) * weights).sum()
        g = -alpha * (outcome - p) * weights
        grad = np.zeros_like(r)
        np.add.at(grad, pairs[:, 0], g)
        np.add.at(grad, pairs[:, 1], -g)
        return loss, grad

    fit_bt = minimize(
        loss_and_grad,
        np.zeros(len(models)),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "gtol": 1e-12, "ftol": 0.0},
    )
    theirs = 400.0 * fit_bt.x
    fit = arena.bradley_terry(battles["model_a"], battles["model_b"], battles["winner"])
    ours = dict(zip(fit.models, fit.ratings))
    ours = np.array([ours[m] for m in models])
    np.testing.assert_allclose(ours - ours.mean(), theirs - theirs.mean(), rtol=0, atol=1e-6)
