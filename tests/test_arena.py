"""precipice.arena: Bradley-Terry fits against independent direct maximisation
(scipy), published worked examples, numerical derivatives, and a slow numpy
bootstrap; reproducibility; and every bad input of issue #15."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import arena
from scipy.optimize import minimize
from scipy.special import expit, log_expit

LN10 = math.log(10.0)


def battles_from_wins(wins: np.ndarray, names: list[str]):
    """A long battle list from a matrix wins[i, j] = times i beat j."""
    a, b = [], []
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j and wins[i, j] > 0:
                a += [names[i]] * int(wins[i, j])
                b += [names[j]] * int(wins[i, j])
    return np.array(a), np.array(b), np.ones(len(a))


def direct_bt(wins: np.ndarray) -> np.ndarray:
    """The BT MLE by scipy on the win matrix: reference rating 0 fixed, then centred."""
    m = wins.shape[0]

    def nll(free):
        r = np.concatenate([[0.0], free])
        eta = r[:, None] - r[None, :]
        return -(wins * log_expit(eta)).sum()

    res = minimize(nll, np.zeros(m - 1), method="BFGS", options={"gtol": 1e-11, "maxiter": 10_000})
    r = np.concatenate([[0.0], res.x])
    return r - r.mean()


def simulated(m=8, n=4000, tie_rate=0.2, seed=0):
    rng = np.random.default_rng(seed)
    true = rng.normal(0, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = expit(true[a] - true[b])
    out = np.where(rng.random(n) < tie_rate, 0.5, (rng.random(n) < p) * 1.0)
    return a, b, out, true


def test_wikipedia_worked_example():
    # en.wikipedia.org/wiki/Bradley-Terry_model: wins of the row team over the column team.
    wins = np.array([[0, 2, 0, 1], [3, 0, 5, 0], [0, 3, 0, 1], [4, 0, 3, 0]])
    a, b, out = battles_from_wins(wins, list("ABCD"))
    fit = arena.bradley_terry(a, b, out)
    # Their p, normalised to geometric mean 1, are exp of the centred logits.
    np.testing.assert_allclose(np.exp(fit.logit), [0.640, 1.043, 0.660, 2.270], atol=6e-4)


# BradleyTerry2's `citations` (Stigler 1994): citations[i, j] = times journal i cites journal j;
# being cited is a win: wins[i, j] = citations[j, i].
CITATIONS = np.array([[714, 730, 498, 221], [33, 425, 68, 17], [320, 813, 1072, 142], [284, 276, 325, 188]])
# Agresti's 1987 American League East records (BradleyTerry2's `baseball`, home and away summed):
# wins[i, j] = games team i won against team j (13 games per pair).
BASEBALL_TEAMS = ["Milwaukee", "Detroit", "Toronto", "New York", "Boston", "Cleveland", "Baltimore"]
BASEBALL = np.array(
    [
        [0, 7, 9, 7, 7, 9, 11],
        [6, 0, 7, 5, 11, 9, 9],
        [4, 6, 0, 7, 7, 8, 12],
        [6, 8, 6, 0, 6, 7, 10],
        [6, 2, 6, 7, 0, 7, 12],
        [4, 4, 5, 6, 6, 0, 6],
        [2, 4, 1, 3, 1, 7, 0],
    ]
)


@pytest.mark.parametrize(
    "wins,names",
    [
        (CITATIONS.T * (1 - np.eye(4, dtype=int)), ["Biometrika", "Comm Statist", "JASA", "JRSS-B"]),
        (BASEBALL, BASEBALL_TEAMS),
    ],
)
def test_bradleyterry2_data_against_direct_maximisation(wins, names):
    a, b, out = battles_from_wins(wins, names)
    fit = arena.bradley_terry(a, b, out)
    order = [fit.models.index(n) for n in names]
    np.testing.assert_allclose(fit.logit[order], direct_bt(wins.astype(float)), atol=1e-6)


def test_baseball_matches_agresti():
    a, b, out = battles_from_wins(BASEBALL, BASEBALL_TEAMS)
    fit = arena.bradley_terry(a, b, out)
    logit = dict(zip(fit.models, fit.logit))
    relative = [logit[t] - logit["Baltimore"] for t in BASEBALL_TEAMS[:-1]]
    np.testing.assert_allclose(relative, [1.58, 1.44, 1.29, 1.25, 1.11, 0.68], atol=0.006)


def test_elo_scale_anchor_and_win_probability():
    a, b, out, _ = simulated()
    fit = arena.bradley_terry(a, b, out)
    np.testing.assert_allclose(fit.ratings, 400 / LN10 * fit.logit + 1000)
    anchored = arena.bradley_terry(a, b, out, anchor=(3, 1114.0))
    assert anchored.ratings[3] == pytest.approx(1114.0)
    np.testing.assert_allclose(np.diff(anchored.ratings), np.diff(fit.ratings), atol=1e-9)
    assert anchored.se[3] == 0.0
    w = fit.win_probability()
    np.testing.assert_allclose(w, expit(fit.logit[:, None] - fit.logit[None, :]))
    np.testing.assert_allclose(w + w.T, 1.0)


def test_half_ties_equal_direct_maximisation_of_scores():
    a, b, out, _ = simulated(m=6, n=3000)
    fit = arena.bradley_terry(a, b, out)

    def nll(free):
        r = np.concatenate([[0.0], free])
        eta = r[a] - r[b]
        return -(out * eta - np.logaddexp(0, eta)).sum()

    res = minimize(nll, np.zeros(5), method="BFGS", options={"gtol": 1e-10})
    r = np.concatenate([[0.0], res.x])
    np.testing.assert_allclose(fit.logit, r - r.mean(), atol=1e-6)


def davidson_nll(params, a, b, out, m):
    r = np.concatenate([[0.0], params[: m - 1]])
    log_nu = params[-1]
    ha, hb = r[a] / 1.0, r[b] / 1.0
    # pi_a / (pi_a + pi_b + nu sqrt(pi_a pi_b)), pi = exp(r)
    log_den = np.logaddexp(np.logaddexp(ha, hb), log_nu + 0.5 * (ha + hb))
    ll = np.where(out == 1, ha, np.where(out == 0, hb, log_nu + 0.5 * (ha + hb))) - log_den
    return -ll.sum()


def rao_kupper_nll(params, a, b, out, m):
    r = np.concatenate([[0.0], params[: m - 1]])
    theta = 1.0 + np.exp(params[-1])  # theta > 1
    pa, pb = np.exp(r[a]), np.exp(r[b])
    win = pa / (pa + theta * pb)
    loss = pb / (pb + theta * pa)
    tie = (theta**2 - 1) * pa * pb / ((pa + theta * pb) * (pb + theta * pa))
    return -np.log(np.where(out == 1, win, np.where(out == 0, loss, tie))).sum()


@pytest.mark.parametrize("ties,nll", [("davidson", davidson_nll), ("rao-kupper", rao_kupper_nll)])
def test_ties_models_against_their_likelihoods_maximised_by_scipy(ties, nll):
    m = 6
    a, b, out, _ = simulated(m=m, n=3000, tie_rate=0.25, seed=3)
    fit = arena.bradley_terry(a, b, out, ties=ties)
    res = minimize(nll, np.zeros(m), args=(a, b, out, m), method="BFGS", options={"gtol": 1e-9})
    r = np.concatenate([[0.0], res.x[: m - 1]])
    np.testing.assert_allclose(fit.logit, r - r.mean(), atol=2e-5)
    expected_tie = math.exp(res.x[-1]) if ties == "davidson" else 1.0 + math.exp(res.x[-1])
    assert fit.tie_parameter == pytest.approx(expected_tie, rel=1e-4)
    assert fit.loglik == pytest.approx(-res.fun, abs=1e-6)
    w = fit.win_probability()
    np.testing.assert_allclose(w + w.T, 1.0)


def numerical_gradient(f, x, h=1e-5):
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("with_features", [False, True])
def test_sandwich_against_numerical_differentiation(with_features):
    m = 5
    a, b, out, _ = simulated(m=m, n=1500, seed=5)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(len(a), 2)) if with_features else None
    fit = arena.bradley_terry(a, b, out, features=x)
    k = 2 if with_features else 0
    theta = np.concatenate([fit.logit, fit.coefficients])

    def battle_ll(t, i):
        eta = t[a[i]] - t[b[i]] + (x[i] @ t[m:] if with_features else 0.0)
        return out[i] * eta - np.logaddexp(0, eta)

    def total_ll(t):
        eta = t[a] - t[b] + (x @ t[m:] if with_features else 0.0)
        return (out * eta - np.logaddexp(0, eta)).sum()

    scores = np.array([numerical_gradient(lambda t: battle_ll(t, i), theta) for i in range(len(a))])
    meat = scores.T @ scores
    # Outer step 1e-3, inner 1e-5: rounding ~ 1e-16 |ll| / 1e-8 stays near 1e-5 relative.
    hess = np.array(
        [numerical_gradient(lambda t: numerical_gradient(total_ll, t)[j], theta, h=1e-3) for j in range(m + k)]
    )
    info = -(hess + hess.T) / 2
    v = np.concatenate([np.ones(m), np.zeros(k)])
    shift = np.outer(v, v) / m
    bread = np.linalg.inv(info + shift) - shift
    sandwich = bread @ meat @ bread
    np.testing.assert_allclose(fit.covariance, sandwich, rtol=1e-4, atol=5e-9)
    np.testing.assert_allclose(fit.se, 400 / LN10 * np.sqrt(np.diag(sandwich)[:m]), rtol=1e-4)
    np.testing.assert_allclose(fit.se_model, 400 / LN10 * np.sqrt(np.diag(bread)[:m]), rtol=1e-4)
    if with_features:
        np.testing.assert_allclose(fit.coefficient_se, np.sqrt(np.diag(sandwich)[m:]), rtol=1e-4)


def test_features_recover_style_coefficients():
    rng = np.random.default_rng(11)
    m, n = 10, 40_000
    true = rng.normal(0, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    length = rng.normal(size=n)
    p = expit(true[a] - true[b] + 0.4 * length)
    out = (rng.random(n) < p) * 1.0
    fit = arena.bradley_terry(a, b, out, features=length, feature_names=["length"])
    assert fit.feature_names == ("length",)
    assert abs(fit.coefficients[0] - 0.4) < 4 * fit.coefficient_se[0]
    assert "length" in fit.table()


def test_prior_is_ridge_map():
    a, b, out, _ = simulated(m=5, n=400, seed=2)
    fit = arena.bradley_terry(a, b, out, prior=0.5)

    def objective(r):
        eta = r[a] - r[b]
        return -(out * eta - np.logaddexp(0, eta)).sum() + 0.5 * (r @ r) / 0.25

    res = minimize(objective, np.zeros(5), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.logit, res.x, atol=1e-6)


def test_feature_prior_is_ridge_map_on_the_coefficients():
    a, b, out, _ = simulated(m=5, n=600, seed=3)
    x = np.random.default_rng(4).normal(size=(len(a), 2))
    fit = arena.bradley_terry(a, b, out, features=x, feature_prior=0.1)

    def objective(t):
        r = np.concatenate([[0.0], t[:4]])  # rating 0 fixed: the ratings' shift is free
        eta = r[a] - r[b] + x @ t[4:]
        return -(out * eta - np.logaddexp(0, eta)).sum() + 0.5 * (t[4:] @ t[4:]) / 0.01

    res = minimize(objective, np.zeros(6), method="BFGS", options={"gtol": 1e-10})
    ratings = np.concatenate([[0.0], res.x[:4]])
    np.testing.assert_allclose(fit.logit, ratings - ratings.mean(), atol=1e-6)
    np.testing.assert_allclose(fit.coefficients, res.x[4:], atol=1e-6)
    eta = fit.logit[a] - fit.logit[b] + x @ fit.coefficients
    assert fit.loglik == pytest.approx((out * eta - np.logaddexp(0, eta)).sum(), rel=1e-12)  # without the prior
    # Shrunk towards zero, with a bread that has the ridge: smaller SEs than unpenalised.
    free = arena.bradley_terry(a, b, out, features=x)
    assert (np.abs(fit.coefficients) < np.abs(free.coefficients)).all()
    assert (fit.coefficient_se < free.coefficient_se).all()
    boot = arena.bradley_terry(a, b, out, features=x, feature_prior=0.1, reps=50, seed=1, n_threads=2)
    assert np.isfinite(boot.coefficient_replicates).all()
    assert np.abs(boot.coefficient_replicates).max() < np.abs(free.coefficients).max() * 3


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan"), True, "1"])
def test_feature_prior_must_be_a_positive_standard_deviation(bad):
    a, b, out, _ = simulated(m=3, n=60, seed=1)
    with pytest.raises(ValueError, match="feature_prior"):
        arena.bradley_terry(a, b, out, features=np.ones((len(a), 1)), feature_prior=bad)


def test_feature_prior_needs_features():
    a, b, out, _ = simulated(m=3, n=60, seed=1)
    with pytest.raises(ValueError, match="features="):
        arena.bradley_terry(a, b, out, feature_prior=1.0)


def test_prior_rates_a_disconnected_graph_and_an_unbeaten_model():
    a = np.array(["x", "y", "u", "v", "u"])
    b = np.array(["y", "x", "v", "u", "v"])
    fit = arena.bradley_terry(a, b, np.array([1, 0, 1, 0, 1.0]), prior=1.0)
    assert np.isfinite(fit.ratings).all()
    fit = arena.bradley_terry(np.array(["x", "x"]), np.array(["y", "y"]), np.ones(2), prior=1.0)
    assert fit.ratings[0] > fit.ratings[1]


def test_inverse_pair_reweighting_gives_every_pair_equal_weight():
    a, b, out, _ = simulated(m=4, n=2000, seed=4)
    fit = arena.bradley_terry(a, b, out, reweight="inverse_pair")
    pair = np.minimum(a, b) * 4 + np.maximum(a, b)
    _, inv, cnt = np.unique(pair, return_inverse=True, return_counts=True)
    w = len(a) / (len(cnt) * cnt[inv])
    direct = arena.bradley_terry(a, b, out, weights=w)
    np.testing.assert_allclose(fit.logit, direct.logit, atol=1e-10)


def test_weights_equal_repeated_battles():
    a, b, out, _ = simulated(m=5, n=500, seed=6)
    w = np.random.default_rng(1).integers(1, 4, len(a))
    weighted = arena.bradley_terry(a, b, out, weights=w.astype(float))
    repeated = arena.bradley_terry(np.repeat(a, w), np.repeat(b, w), np.repeat(out, w))
    np.testing.assert_allclose(weighted.logit, repeated.logit, atol=1e-9)


def test_labels_and_scores_agree():
    a, b, out, _ = simulated(m=4, n=600, seed=7)
    labels = np.where(out == 1, "model_a", np.where(out == 0, "model_b", "tie (bothbad)"))
    np.testing.assert_allclose(arena.bradley_terry(a, b, labels).logit, arena.bradley_terry(a, b, out).logit)


def test_from_battles_frame_and_mapping():
    pd = pytest.importorskip("pandas")
    a, b, out, _ = simulated(m=4, n=600, seed=8)
    frame = pd.DataFrame({"model_a": a, "model_b": b, "winner": out, "len": np.linspace(-1, 1, len(a))})
    fit = arena.from_battles(frame)
    np.testing.assert_allclose(fit.logit, arena.bradley_terry(a, b, out).logit)
    styled = arena.from_battles(dict(frame), features=["len"])
    assert styled.feature_names == ("len",)
    with pytest.raises(ValueError, match="no column"):
        arena.from_battles(frame, winner="result")
    with pytest.raises(TypeError, match="frame"):
        arena.from_battles([1, 2, 3])


# --- the bootstrap ---------------------------------------------------------------------------


def test_bootstrap_identical_for_any_thread_count_and_seeded():
    a, b, out, _ = simulated(m=12, n=5000, seed=10)
    one = arena.bradley_terry(a, b, out, reps=300, seed=5, n_threads=1)
    two = arena.bradley_terry(a, b, out, reps=300, seed=5, n_threads=2)
    np.testing.assert_array_equal(one.replicates, two.replicates)
    assert one.seed == 5
    other = arena.bradley_terry(a, b, out, reps=300, seed=6)
    assert not np.array_equal(one.replicates, other.replicates)


def test_bootstrap_matches_slow_numpy_bootstrap_in_distribution():
    m = 6
    a, b, out, _ = simulated(m=m, n=3000, seed=12)
    fast = arena.bradley_terry(a, b, out, reps=2000, seed=1)
    rng = np.random.default_rng(0)
    slow = []
    for _ in range(400):
        idx = rng.integers(0, len(a), len(a))
        slow.append(arena.bradley_terry(a[idx], b[idx], out[idx]).ratings)
    slow = np.array(slow)
    # Same distribution: the spreads agree within the Monte-Carlo error of 400
    # replicates (sd of an sd estimate ~ 1 / sqrt(2 * 400) = 3.5%).
    np.testing.assert_allclose(fast.replicates.std(axis=0), slow.std(axis=0), rtol=0.15)
    np.testing.assert_allclose(fast.replicates.mean(axis=0), slow.mean(axis=0), atol=0.3 * slow.std(axis=0).max())
    # and the bootstrap spread agrees with the sandwich
    np.testing.assert_allclose(fast.replicates.std(axis=0), fast.se, rtol=0.1)


def test_rank_summary_and_rank_ub():
    a, b, out, _ = simulated(m=8, n=3000, seed=13)
    fit = arena.bradley_terry(a, b, out, reps=500, seed=2)
    lo, hi = fit.interval[:, 0], fit.interval[:, 1]
    expected = 1 + (lo[None, :] > hi[:, None]).sum(axis=1)
    np.testing.assert_array_equal(fit.rank_ub, expected)
    assert fit.rank_probabilities.shape == (8, 8)
    np.testing.assert_allclose(fit.rank_probabilities.sum(axis=1), 1.0)
    assert (fit.rank_interval[:, 0] <= fit.rank).all() and (fit.rank <= fit.rank_interval[:, 1]).all()
    best = int(np.argmax(fit.ratings))
    assert fit.p_best[best] == fit.p_best.max()


def test_bootstrap_of_ties_model_and_features_runs():
    a, b, out, _ = simulated(m=5, n=2000, seed=14)
    fit = arena.bradley_terry(a, b, out, ties="davidson", reps=100, seed=3)
    assert fit.replicates.shape == (100, 5)
    x = np.random.default_rng(2).normal(size=len(a))
    styled = arena.bradley_terry(a, b, out, features=x, reps=100, seed=3)
    assert styled.coefficient_replicates.shape == (100, 1)


def test_failed_replicates_warn_and_are_dropped():
    # A model with a single battle loses it in about a third of the resamples.
    a = np.array(["x", "y"] * 50 + ["x", "z", "z"])
    b = np.array(["y", "x"] * 50 + ["z", "x", "y"])
    out = np.array([1.0, 1.0] * 50 + [1.0, 1.0, 0.0])
    with pytest.warns(arena.ConvergenceWarning, match="could not be fitted"):
        fit = arena.bradley_terry(a, b, out, reps=200, seed=1)
    assert fit.failed_replicates > 0
    assert fit.replicates.shape[0] == 200 - fit.failed_replicates


def test_bootstrap_on_dask_is_bit_identical():
    distributed = pytest.importorskip("distributed")
    a, b, out, _ = simulated(m=6, n=1000, seed=15)
    local = arena.bradley_terry(a, b, out, reps=4100, seed=9)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    with distributed.Client(cluster) as client:
        remote = arena.bradley_terry(a, b, out, reps=4100, seed=9, client=client)
    cluster.close()
    np.testing.assert_array_equal(local.replicates, remote.replicates)


# --- bad input -------------------------------------------------------------------------------


def test_model_that_never_plays():
    with pytest.raises(ValueError, match="never play"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1, 0], models=["x", "y", "w"])
    with pytest.raises(ValueError, match="missing from models"):
        arena.bradley_terry(["x", "y"], ["y", "q"], [1, 0], models=["x", "y"])


def test_disconnected_graph_names_the_components():
    with pytest.raises(ValueError, match=r"disconnected into 2 components.*'u'.*prior="):
        arena.bradley_terry(["x", "y", "u", "v"], ["y", "x", "v", "u"], [1, 1, 1, 1])


def test_all_battles_won_by_one_side_says_infinite():
    with pytest.raises(ValueError, match=r"infinite.*prior="):
        arena.bradley_terry(["x", "x", "y"], ["y", "z", "z"], [1, 1, 0.5])


def test_unknown_outcome_labels():
    with pytest.raises(ValueError, match=r"unknown labels \['bothgood'\]"):
        arena.bradley_terry(["x", "y"], ["y", "x"], ["model_a", "bothgood"])


def test_self_battles():
    with pytest.raises(ValueError, match="self-battles"):
        arena.bradley_terry(["x", "y", "x"], ["y", "x", "x"], [1, 0, 1])


def test_nan_and_out_of_range_outcomes():
    with pytest.raises(ValueError, match="NaN"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1.0, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1.0, 2.0])
    with pytest.raises(ValueError, match="model_a holds NaN"):
        arena.bradley_terry([1.0, np.nan], [2.0, 1.0], [1, 0])
    with pytest.raises(ValueError, match="missing model name"):
        arena.bradley_terry(np.array(["x", None], dtype=object), ["y", "x"], [1, 0])


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="model_b has 1 battles"):
        arena.bradley_terry(["x", "y"], ["y"], [1, 0])
    with pytest.raises(ValueError, match="outcome"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1])
    with pytest.raises(ValueError, match="weights"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1, 0], weights=[1.0])
    with pytest.raises(ValueError, match="features"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [1, 0], features=np.zeros((3, 1)))


def test_other_bad_arguments():
    args = (["x", "y"], ["y", "x"], [1, 0])
    with pytest.raises(ValueError, match="ties"):
        arena.bradley_terry(*args, ties="glenn")
    with pytest.raises(ValueError, match="fractional"):
        arena.bradley_terry(["x", "y"], ["y", "x"], [0.7, 0.2], ties="davidson")
    with pytest.raises(ValueError, match="prior"):
        arena.bradley_terry(*args, prior=-1.0)
    with pytest.raises(ValueError, match="weights"):
        arena.bradley_terry(*args, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="anchor"):
        arena.bradley_terry(*args, anchor=("nobody", 1000.0))
    with pytest.raises(ValueError, match="no battles"):
        arena.bradley_terry([], [], [])
    with pytest.raises(ValueError, match="reps"):
        arena.bradley_terry(*args, reps=-1)


def test_input_arrays_are_not_modified():
    a, b, out, _ = simulated(m=4, n=300, seed=16)
    w = np.ones(len(a))
    copies = [x.copy() for x in (a, b, out, w)]
    arena.bradley_terry(a, b, out, weights=w, reweight="inverse_pair", reps=20, seed=1)
    for before, after in zip(copies, (a, b, out, w)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("wins,losses", [(150, 50), (6, 34)])
def test_resampled_counts_are_exactly_binomial(wins, losses):
    # Two models: each replicate's rating gap is log(X / (N - X)) for the resampled
    # number X of a's wins, so X comes back from the ratings and must be
    # Binomial(N, wins / N) (cells of mean 150 and 34 take the PTRS Poisson path,
    # 6 the inversion path; every replicate adjusts the Poisson total to N).
    from scipy import stats

    n = wins + losses
    with warnings.catch_warnings():  # resamples without a win of a cannot be fitted
        warnings.simplefilter("ignore", arena.ConvergenceWarning)
        fit = arena.bradley_terry(["a"] * n, ["b"] * n, [1.0] * wins + [0.0] * losses, reps=20_000, seed=4)
    gap = (fit.replicates[:, 0] - fit.replicates[:, 1]) / fit.elo_factor
    x = n * expit(gap)
    np.testing.assert_allclose(x, np.round(x), atol=1e-6)
    x = np.round(x).astype(int)
    assert fit.failed_replicates + len(x) == 20_000
    support = np.arange(n + 1)
    expected = stats.binom.pmf(support, n, wins / n) * len(x)
    observed = np.bincount(x, minlength=n + 1).astype(float)
    # A resample without a win of a cannot be fitted (P(X = N) is below 1e-25 in both cases).
    observed[0] += fit.failed_replicates
    keep = expected > 5  # pool the tails
    obs = np.r_[observed[keep], observed[~keep].sum()]
    exp = np.r_[expected[keep], expected[~keep].sum()]
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(2, 5),
    battles=st.lists(
        st.tuples(st.integers(0, 4), st.integers(1, 4), st.sampled_from([0.0, 0.5, 1.0])), min_size=2, max_size=40
    ),
)
def test_any_small_table_is_fitted_at_a_stationary_point_or_refused_clearly(m, battles):
    a = np.array([x % m for x, _, _ in battles])
    b = np.array([(x + d) % m for x, d, _ in battles])
    out = np.array([o for _, _, o in battles])
    keep = a != b
    a, b, out = a[keep], b[keep], out[keep]
    if len(a) == 0:
        return
    try:
        fit = arena.bradley_terry(a, b, out)
    except ValueError as error:
        assert "disconnected" in str(error) or "infinite" in str(error) or "two models" in str(error)
        return
    eta = fit.logit[np.searchsorted(fit.models, a)] - fit.logit[np.searchsorted(fit.models, b)]
    resid = out - expit(eta)
    grad = np.bincount(np.searchsorted(fit.models, a), resid, len(fit.models))
    grad -= np.bincount(np.searchsorted(fit.models, b), resid, len(fit.models))
    np.testing.assert_allclose(grad, 0.0, atol=1e-8)
    assert abs(fit.logit.sum()) < 1e-9


def test_anchor_rating_and_elo_constants_are_checked():
    a, b, w = ["x", "y", "x", "y"], ["y", "x", "y", "x"], ["model_a", "model_b", "tie", "model_a"]
    with pytest.raises(ValueError, match="anchor: the rating must be a finite number"):
        arena.bradley_terry(a, b, w, anchor=("x", np.inf))
    with pytest.raises(ValueError, match="base must be above 1"):
        arena.online_elo(a, b, w, base=1.0)
    with pytest.raises(ValueError, match="k must be at least 0"):
        arena.online_elo(a, b, w, k=-4.0)


@pytest.mark.parametrize("connection", ["weak", "strong"])
def test_components_without_scipy_equal_scipys(monkeypatch, connection):
    """scipy is not a runtime dependency: the identification check falls back to
    reachability by repeated squaring, which must find scipy's components."""
    import sys

    from precipice.arena import _components

    rng = np.random.default_rng(7)
    cases = []
    for m in (1, 2, 5, 12, 30):
        edges = rng.integers(0, m, size=(2, rng.integers(0, 2 * m + 1)))
        cases.append((m, edges[0].astype(np.int32), edges[1].astype(np.int32)))
    with_scipy = [_components(m, a, b, connection) for m, a, b in cases]
    monkeypatch.setitem(sys.modules, "scipy.sparse.csgraph", None)
    for (m, a, b), expected in zip(cases, with_scipy):
        np.testing.assert_array_equal(_components(m, a, b, connection), expected)
