"""precipice.irt against a slow reference (direct maximisation of the marginal
likelihood with scipy on the same quadrature grid), published R ltm / mirt fits
of LSAT6 and LSAT7, and simulated data."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from precipice import _core, datasets, irt
from scipy import optimize, special, stats

# ---------------------------------------------------------------------------
# The slow reference: the marginal log-likelihood written out with numpy and
# maximised by scipy, on the fit's grid (61 equally spaced nodes on [-6, 6]).

NODES = np.linspace(-6.0, 6.0, 61)
LOG_W = -0.5 * NODES**2 - special.logsumexp(-0.5 * NODES**2)


def unpack(model, x, J):
    if model == "rasch":
        return np.ones(J), x, np.zeros(J)
    if model == "1pl":
        return np.full(J, x[0]), x[1:], np.zeros(J)
    if model == "2pl":
        return x[:J], x[J:], np.zeros(J)
    return x[:J], x[J : 2 * J], special.expit(x[2 * J :])  # 3pl: logit c


def marginal_loglik(model, x, y, counts, prior=None):
    """y: (rows, items) 0/1 with NaN; the log-posterior when prior is given."""
    J = y.shape[1]
    a, d, c = unpack(model, x, J)
    if prior is not None and prior.slope is not None and np.any(a <= 0):
        return -np.inf
    z = NODES[:, None] * a[None, :] + d[None, :]  # (Q, J)
    log_p = np.logaddexp(np.log(np.maximum(c, 1e-300)), np.log1p(-c) + special.log_expit(z))
    log_q = np.log1p(-c) + special.log_expit(-z)
    seen = ~np.isnan(y)
    y0 = np.where(seen, y, 0.0)
    ll = (y0 * seen) @ log_p.T + ((1 - y0) * seen) @ log_q.T  # (rows, Q)
    total = float(counts @ special.logsumexp(ll + LOG_W, axis=1))
    if prior is not None:
        if prior.slope is not None and model != "rasch":
            mu, sd = prior.slope
            la = np.log(a if model != "1pl" else a[:1])  # the common slope's prior counts once
            total += np.sum(-la - (la - mu) ** 2 / (2 * sd**2))
        if prior.intercept is not None:
            mu, sd = prior.intercept
            total += np.sum(-((d - mu) ** 2) / (2 * sd**2))
        if prior.guess is not None:
            al, be = prior.guess
            total += np.sum((al - 1) * np.log(c) + (be - 1) * np.log1p(-c))
    return total


def reference_fit(model, y, counts, prior=None, start=None):
    J = y.shape[1]
    if start is None:
        start = {
            "rasch": np.zeros(J),
            "1pl": np.r_[1.0, np.zeros(J)],
            "2pl": np.r_[np.ones(J), np.zeros(J)],
            "3pl": np.r_[np.ones(J), np.zeros(J), np.full(J, -1.5)],
        }[model]
    res = optimize.minimize(
        lambda x: -marginal_loglik(model, x, y, counts, prior), start, method="BFGS", options={"gtol": 1e-7}
    )
    x = res.x.copy()
    # theta -> -theta leaves the likelihood unchanged and flips the slopes' sign.
    if model == "1pl" and x[0] < 0:
        x[0] = -x[0]
    elif model == "2pl" and x[:J].sum() < 0:
        x[:J] = -x[:J]
    return x, -res.fun


def numeric_hessian(f, x, h=1e-4):
    k = x.size
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = H[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (
                4 * h * h
            )
    return H


def lsat(version):
    patterns, counts = datasets.lsat(version)
    return patterns.astype(float), counts.astype(float)


def simulate(n, J, rng, *, missing=0.0, c=None):
    a = rng.lognormal(0.0, 0.3, J)
    d = rng.normal(0.0, 1.0, J)
    theta = rng.normal(size=n)
    p = special.expit(theta[:, None] * a + d)
    if c is not None:
        p = c + (1 - c) * p
    y = (rng.random((n, J)) < p).astype(float)
    if missing:
        y[rng.random((n, J)) < missing] = np.nan
    return y, a, d, theta


# ---------------------------------------------------------------------------
# Against the reference


@pytest.mark.parametrize("version", [6, 7])
@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl"])
def test_matches_direct_maximisation(version, model):
    y, counts = lsat(version)
    res = irt.fit(y, model, counts=counts, tol=1e-7)
    x, ll = reference_fit(model, y, counts)
    a, d, _ = unpack(model, x, y.shape[1])
    assert res.converged
    np.testing.assert_allclose(res.a, a, atol=2e-5)
    np.testing.assert_allclose(res.d, d, atol=2e-5)
    assert res.loglik == pytest.approx(ll, abs=1e-7)
    # Standard errors: the inverse of the numerical Hessian of the reference.
    H = numeric_hessian(lambda v: marginal_loglik(model, v, y, counts), x)
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    J = y.shape[1]
    if model == "rasch":
        np.testing.assert_allclose(res.se_d, se, rtol=2e-4)
        assert np.isnan(res.se_a).all()
    elif model == "1pl":
        np.testing.assert_allclose(res.se_a, se[0], rtol=2e-4)
        np.testing.assert_allclose(res.se_d, se[1:], rtol=2e-4)
    else:
        np.testing.assert_allclose(res.se_a, se[:J], rtol=2e-4)
        np.testing.assert_allclose(res.se_d, se[J:], rtol=2e-4)


def test_3pl_matches_direct_maximisation():
    """Without a prior most lower asymptotes run to 0 (logit c to -inf), so
    the comparison is on the log-likelihood; estimates are compared with a prior."""
    y, counts = lsat(7)
    res = irt.fit(y, "3pl", counts=counts)
    start = np.r_[res.a, res.d, special.logit(np.maximum(res.c, 1e-6))]
    x, ll = reference_fit("3pl", y, counts, start=start)
    assert res.loglik == pytest.approx(ll, abs=1e-4)
    prior = irt.Prior(guess=(2.0, 8.0))
    res = irt.fit(y, "3pl", counts=counts, prior=prior, tol=1e-7)
    assert res.converged
    x, _ = reference_fit("3pl", y, counts, prior=prior, start=np.r_[np.ones(5), np.zeros(5), np.full(5, -1.5)])
    a, d, c = unpack("3pl", x, 5)
    np.testing.assert_allclose(res.a, a, atol=1e-4)
    np.testing.assert_allclose(res.d, d, atol=1e-4)
    np.testing.assert_allclose(res.c, c, atol=1e-5)
    H = numeric_hessian(lambda v: marginal_loglik("3pl", v, y, counts, prior), x)
    cov = np.linalg.inv(-H)
    se_c = np.sqrt(np.diag(cov)[10:]) * c * (1 - c)
    np.testing.assert_allclose(res.se_a, np.sqrt(np.diag(cov)[:5]), rtol=1e-3)
    np.testing.assert_allclose(res.se_c, se_c, rtol=1e-3)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the reference's -inf outside a > 0
def test_priors_match_direct_posterior_mode():
    y, counts = lsat(6)
    prior = irt.Prior(slope=(0.0, 0.5), intercept=(0.0, 2.0), guess=(5.0, 17.0))
    for model in ("1pl", "2pl", "3pl"):
        used = prior if model == "3pl" else irt.Prior(prior.slope, prior.intercept)
        res = irt.fit(y, model, counts=counts, prior=used, tol=1e-7)
        assert res.converged
        x, _ = reference_fit(model, y, counts, prior=used)
        a, d, c = unpack(model, x, 5)
        np.testing.assert_allclose(res.a, a, atol=1e-4)
        np.testing.assert_allclose(res.d, d, atol=1e-4)
        np.testing.assert_allclose(res.c, c, atol=1e-4)


def test_missing_at_random_matches_reference():
    patterns, counts = datasets.lsat(7)
    y = np.repeat(patterns, counts, axis=0).astype(float)
    rng = np.random.default_rng(3)
    y[rng.random(y.shape) < 0.15] = np.nan
    res = irt.fit(y, "2pl", tol=1e-7)
    x, ll = reference_fit("2pl", y, np.ones(len(y)))
    np.testing.assert_allclose(np.r_[res.a, res.d], x, atol=3e-5)
    assert res.loglik == pytest.approx(ll, abs=1e-6)


# ---------------------------------------------------------------------------
# Published fits


def test_ltm_lsat6_2pl():
    """ltm(LSAT ~ z1, IRT.param = TRUE): log.Lik -2466.653, AIC 4953.307, BIC 5002.384
    (ltm integrates with 21 Gauss-Hermite nodes: agreement to its printed digits
    up to that difference)."""
    y, counts = lsat(6)
    res = irt.fit(y, "2pl", counts=counts)
    np.testing.assert_allclose(res.b, [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236], atol=3e-3)
    np.testing.assert_allclose(res.a, [0.8254, 0.7229, 0.8905, 0.6886, 0.6575], atol=1e-3)
    np.testing.assert_allclose(res.se_b, [0.8669, 0.3073, 0.0997, 0.4341, 0.8700], atol=2e-3)
    np.testing.assert_allclose(res.se_a, [0.2581, 0.1867, 0.2326, 0.1852, 0.2100], atol=1e-3)
    assert res.loglik == pytest.approx(-2466.653, abs=2e-3)
    assert res.aic == pytest.approx(4953.307, abs=4e-3)
    assert res.bic == pytest.approx(5002.384, abs=4e-3)
    # ltm's empirical Bayes factor scores are posterior modes.
    scores = irt.score(res, [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 1, 1]], "map")
    np.testing.assert_allclose(scores.theta, [-1.895, 0.606, -0.506], atol=3e-3)
    np.testing.assert_allclose(scores.se, [0.795, 0.855, 0.811], atol=3e-3)


def test_mirt_lsat7():
    """mirt(expand.table(LSAT7), 1): a, d, logLik -2658.805, AIC 5337.61,
    BIC 5386.688; mirt(..., '3PL'): d and b of its test suite (test-15-IRTpars)."""
    y, counts = lsat(7)
    res = irt.fit(y, "2pl", counts=counts)
    np.testing.assert_allclose(res.a, [0.9879, 1.0809, 1.7058, 0.7652, 0.7358], atol=2e-3)
    np.testing.assert_allclose(res.d, [1.8561, 0.8080, 1.8042, 0.4860, 1.8545], atol=1e-3)
    assert res.loglik == pytest.approx(-2658.805, abs=1e-3)
    assert res.aic == pytest.approx(5337.61, abs=1e-2)
    assert res.bic == pytest.approx(5386.688, abs=1e-2)
    three = irt.fit(y, "3pl", counts=counts)
    # Item 2's lower asymptote is weakly identified; mirt stops early on it.
    np.testing.assert_allclose(three.d, [1.86562, 0.09404, 1.78052, 0.48189, 1.86845], atol=2e-2)
    np.testing.assert_allclose(three.b, [-1.85292, -0.04877, -1.06840, -0.65463, -2.43552], atol=2e-2)


# ---------------------------------------------------------------------------
# Data handling


def test_counts_equal_expanded_rows():
    patterns, counts = datasets.lsat(6)
    expanded = np.repeat(patterns, counts, axis=0)
    for model in ("1pl", "2pl"):
        a = irt.fit(patterns, model, counts=counts)
        b = irt.fit(expanded, model)
        np.testing.assert_allclose(a.a, b.a, rtol=1e-10)
        np.testing.assert_allclose(a.d, b.d, rtol=1e-10)
        np.testing.assert_allclose(a.se_d, b.se_d, rtol=1e-8)
        assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
        assert a.n_obs == b.n_obs == 1000


def test_dtypes_inputs_untouched_and_threads():
    y, a, d, _ = simulate(600, 12, np.random.default_rng(0), missing=0.1)
    before = y.copy()
    r1 = irt.fit(y, n_threads=1)
    r2 = irt.fit(y, n_threads=2)
    np.testing.assert_array_equal(y, before)
    np.testing.assert_array_equal(r1.a, r2.a)
    assert r1.loglik == r2.loglik
    complete = np.nan_to_num(y).astype(bool)
    fb = irt.fit(complete)
    fi = irt.fit(complete.astype(np.int8))
    np.testing.assert_array_equal(fb.a, fi.a)


def test_parameter_recovery():
    rng = np.random.default_rng(1)
    y, a, d, theta = simulate(4000, 20, rng, missing=0.05)
    res = irt.fit(y, "2pl")
    assert res.converged
    assert np.all(np.abs(res.a - a) < 4 * res.se_a)
    assert np.all(np.abs(res.d - d) < 4 * res.se_d)
    scores = irt.score(res, y)
    assert np.corrcoef(scores.theta, theta)[0, 1] > 0.85


def test_item_block_standard_errors_close_to_full(monkeypatch):
    y, *_ = simulate(800, 30, np.random.default_rng(2))
    full = irt.fit(y)
    monkeypatch.setattr(irt._information, "_FULL_INFO_MAX_PARAMS", 0)
    blocks = irt.fit(y)
    assert full.se_method == "observed" and blocks.se_method == "observed, item blocks"
    # Leaving out the between-item terms can only shrink the variances: a lower
    # bound, close for slopes, within about 20% for intercepts at 30 items.
    assert np.all(blocks.se_a <= full.se_a * (1 + 1e-9))
    assert np.all(blocks.se_d <= full.se_d * (1 + 1e-9))
    np.testing.assert_allclose(blocks.se_a, full.se_a, rtol=0.05)
    np.testing.assert_allclose(blocks.se_d, full.se_d, rtol=0.25)
    one_blocks = irt.fit(y, "1pl")
    monkeypatch.undo()
    one_full = irt.fit(y, "1pl")
    np.testing.assert_allclose(one_blocks.se_d, one_full.se_d, rtol=0.25)
    assert one_blocks.se_a[0] <= one_full.se_a[0]  # the common slope is the most coupled


def test_slope_prior_many_items_few_subjects():
    rng = np.random.default_rng(4)
    y, *_ = simulate(25, 300, rng)
    keep = (np.nanmean(y, axis=0) > 0) & (np.nanmean(y, axis=0) < 1)
    y = y[:, keep]
    res = irt.fit(y, prior=irt.Prior(slope=(0.0, 0.5), intercept=(0.0, 2.0)))
    assert res.converged
    assert np.all(np.isfinite(res.a)) and res.a.max() < 10


# ---------------------------------------------------------------------------
# Scoring


def test_scores_against_direct_computation():
    y, counts = lsat(7)
    res = irt.fit(y, "2pl", counts=counts)
    rows = np.array([[1, 0, 1, np.nan, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [np.nan] * 5])

    def loglik(t, row):
        seen = ~np.isnan(row)
        z = res.a[seen] * t + res.d[seen]
        return np.sum(row[seen] * special.log_expit(z) + (1 - row[seen]) * special.log_expit(-z))

    eap = irt.score(res, rows, "eap")
    mapped = irt.score(res, rows, "map")
    ml = irt.score(res, rows, "ml")
    for i, row in enumerate(rows):
        lp = np.array([loglik(t, row) for t in NODES]) + LOG_W
        post = np.exp(lp - special.logsumexp(lp))
        assert eap.theta[i] == pytest.approx(post @ NODES, abs=1e-10)
        assert eap.se[i] == pytest.approx(np.sqrt(post @ NODES**2 - (post @ NODES) ** 2), abs=1e-10)
        mode = optimize.minimize_scalar(
            lambda t: -loglik(t, row) + 0.5 * t * t, bounds=(-8, 8), method="bounded", options={"xatol": 1e-10}
        )
        assert mapped.theta[i] == pytest.approx(mode.x, abs=1e-6)
    assert np.isfinite(eap.theta).all() and np.isfinite(mapped.theta).all()
    # ML: finite for a mixed pattern, +-inf for all wrong / all correct, NaN without answers.
    mode = optimize.minimize_scalar(
        lambda t: -loglik(t, rows[0]), bounds=(-8, 8), method="bounded", options={"xatol": 1e-10}
    )
    assert ml.theta[0] == pytest.approx(mode.x, abs=1e-6)
    seen = ~np.isnan(rows[0])
    p = special.expit(res.a[seen] * ml.theta[0] + res.d[seen])
    assert ml.se[0] == pytest.approx(1 / np.sqrt(np.sum(res.a[seen] ** 2 * p * (1 - p))), rel=1e-8)
    assert ml.theta[1] == -np.inf and ml.theta[2] == np.inf and np.isnan(ml.theta[3])
    assert eap.theta[3] == pytest.approx(0.0, abs=1e-12)  # the prior mean


def test_3pl_ml_and_map():
    y, counts = lsat(7)
    res = irt.fit(y, "3pl", counts=counts, prior={"guess": (5, 17)})
    rows = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0]], dtype=float)
    ml = irt.score(res, rows, "ml")

    def loglik(t, row):
        p = res.c + (1 - res.c) * special.expit(res.a * t + res.d)
        return np.sum(row * np.log(p) + (1 - row) * np.log1p(-p))

    mode = optimize.minimize_scalar(
        lambda t: -loglik(t, rows[0]), bounds=(-8, 8), method="bounded", options={"xatol": 1e-10}
    )
    assert ml.theta[0] == pytest.approx(mode.x, abs=1e-5)
    assert ml.theta[1] == -np.inf
    assert np.isfinite(irt.score(res, rows, "map").theta).all()


# ---------------------------------------------------------------------------
# Item functions


def test_information_and_expected_score():
    y, counts = lsat(7)
    for model in ("2pl", "3pl"):
        res = irt.fit(y, model, counts=counts, prior={"guess": (5, 17)} if model == "3pl" else None)
        theta = np.linspace(-3, 3, 13)
        h = 1e-5
        p = irt.probability(res, theta)
        dp = (irt.probability(res, theta + h) - irt.probability(res, theta - h)) / (2 * h)
        np.testing.assert_allclose(irt.item_information(res, theta), dp**2 / (p * (1 - p)), rtol=1e-6)
        np.testing.assert_allclose(irt.test_information(res, theta), (dp**2 / (p * (1 - p))).sum(1), rtol=1e-6)
        np.testing.assert_allclose(irt.expected_score(res, theta), p.sum(1))


def test_item_fit():
    rng = np.random.default_rng(5)
    y, _, _, theta = simulate(3000, 40, rng)
    res = irt.fit(y)
    stats = irt.item_fit(res, y)
    assert set(stats) == {"infit", "outfit", "rmsd", "s_x2", "df_s_x2", "p_s_x2", "rmsea_s_x2"}
    np.testing.assert_allclose(stats["infit"], 1.0, atol=0.15)
    assert np.all(stats["rmsd"] < 0.05)
    # An item that no logistic curve can follow (easy only for middling
    # abilities) stands out.
    bad = y.copy()
    bad[:, 0] = rng.random(len(y)) < np.where(np.abs(theta) < 0.7, 0.9, 0.1)
    res_bad = irt.fit(bad)
    rmsd = irt.item_fit(res_bad, bad)["rmsd"]
    assert rmsd[0] == rmsd.max()


def s_x2_reference(result, y, w, mincell=1.0):
    """S-X2 by brute force: the summed-score distributions by enumerating every
    response pattern at every grid node, the observed table by counting, and
    mirt's grouping of sparse cells written out plainly."""
    import itertools

    J = y.shape[1]
    nodes, log_weights = _core.irt.grid(result.n_quad)
    weight = np.exp(log_weights)
    p = irt.probability(result, nodes)  # (Q, J)
    patterns = np.array(list(itertools.product([0.0, 1.0], repeat=J)))
    like = np.prod(np.where(patterns[None] == 1.0, p[:, None, :], 1.0 - p[:, None, :]), axis=2)  # (Q, 2^J)
    marginal = weight @ like  # P(pattern)
    scores = patterns.sum(axis=1)
    score = y.sum(axis=1)
    stats = []
    for i in range(J):
        rows = []
        for k in range(1, J):
            at_k = scores == k
            share = marginal[at_k & (patterns[:, i] == 1.0)].sum() / marginal[at_k].sum()
            n = w[score == k].sum()
            right = w[(score == k) & (y[:, i] == 1.0)].sum()
            rows.append([right, n - right, n * share, n - n * share])
        rows = [r for r in rows if r[0] + r[1] > 0]
        joined = []
        for j, r in enumerate(rows):
            if j + 1 < len(rows) and r[0] + r[1] == 1:
                rows[j + 1] = [a + b for a, b in zip(rows[j + 1], r)]
            else:
                joined.append(r)
        if len(joined) >= 2 and joined[-1][0] + joined[-1][1] == 1:
            joined[-2] = [a + b for a, b in zip(joined[-2], joined.pop())]
        rows = joined

        def sparse(r):
            return any(0 < e < mincell for e in r[2:])

        while len(rows) > 1 and any(sparse(r) for r in rows):
            j = next(j for j, r in enumerate(rows) if sparse(r))
            if j == 0:
                into = 1
            elif j == len(rows) - 1:
                into = j - 1
            else:
                into = j - 1 if sum(rows[j - 1][:2]) <= sum(rows[j + 1][:2]) else j + 1
            rows[into] = [a + b for a, b in zip(rows[into], rows[j])]
            del rows[j]
        stat = sum((r[0] - r[2]) ** 2 / r[2] + (r[1] - r[3]) ** 2 / r[3] for r in rows) if len(rows) > 1 else np.nan
        stats.append((stat, len(rows)))
    return stats


@pytest.mark.parametrize("model, n", [("2pl", 400), ("rasch", 60), ("3pl", 900), ("1pl", 25)])
def test_s_x2_against_brute_force(model, n):
    rng = np.random.default_rng(11)
    y, _, _, _ = simulate(n, 7, rng, c=0.15 if model == "3pl" else None)
    w = rng.integers(1, 4, n).astype(float) if model == "2pl" else np.ones(n)
    res = irt.fit(y, model, counts=w if model == "2pl" else None)
    fit = irt.item_fit(res, y, counts=w if model == "2pl" else None)
    want = s_x2_reference(res, y, w)
    params = {"rasch": 1, "1pl": 2, "2pl": 2, "3pl": 3}[model]
    for i, (stat, groups) in enumerate(want):
        df = groups - params
        if df <= 0:
            assert np.isnan(fit["s_x2"][i]) and np.isnan(fit["df_s_x2"][i]) and np.isnan(fit["p_s_x2"][i])
            continue
        assert fit["df_s_x2"][i] == df
        np.testing.assert_allclose(fit["s_x2"][i], stat, rtol=1e-9)
        np.testing.assert_allclose(fit["p_s_x2"][i], stats.chi2.sf(stat, df), rtol=1e-10)
        rmsea = np.sqrt(max(stat / df - 1.0, 0.0) / (w.sum() - 1.0))
        np.testing.assert_allclose(fit["rmsea_s_x2"][i], rmsea, rtol=1e-10, atol=1e-15)


def test_s_x2_is_calibrated_and_finds_a_misfitting_item():
    rng = np.random.default_rng(6)
    y, _, _, theta = simulate(3000, 30, rng)
    fit = irt.item_fit(irt.fit(y), y)
    # Data from the model: the statistic is about its degrees of freedom.
    assert 0.85 < np.mean(fit["s_x2"] / fit["df_s_x2"]) < 1.15
    assert 0.3 < np.mean(fit["p_s_x2"]) < 0.7
    bad = y.copy()
    bad[:, 0] = rng.random(len(y)) < np.where(np.abs(theta) < 0.7, 0.9, 0.1)
    p = irt.item_fit(irt.fit(bad), bad)["p_s_x2"]
    assert p[0] == p.min() and p[0] < 1e-6


def test_s_x2_needs_complete_responses():
    rng = np.random.default_rng(7)
    y, _, _, _ = simulate(500, 8, rng, missing=0.02)
    res = irt.fit(y)
    with pytest.warns(RuntimeWarning, match="S-X2 needs complete"):
        fit = irt.item_fit(res, y)
    assert np.isnan(fit["s_x2"]).all() and np.isfinite(fit["infit"]).all()
    with pytest.raises(ValueError, match="mincell"):
        irt.item_fit(res, np.nan_to_num(y), mincell=-1)


def test_chi_square_survival_matches_scipy():
    x = np.array([0.0, 1e-6, 0.5, 3.0, 10.0, 100.0, 2.0, 700.0, 45.0])
    df = np.array([1.0, 4.0, 1.0, 2.0, 3.0, 50.0, 30.0, 2.0, 45.0])
    np.testing.assert_allclose(_core.stats.chi_square_survival(x, df), stats.chi2.sf(x, df), rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------
# Bad input


def test_bad_input_names_the_cell_row_or_item():
    y, counts = lsat(6)
    bad = y.copy()
    bad[3, 2] = 2
    with pytest.raises(ValueError, match=r"responses\[3, 2\]"):
        irt.fit(bad, counts=counts)
    empty_row = y.copy()
    empty_row[5] = np.nan
    with pytest.raises(ValueError, match="row 5 has no responses"):
        irt.fit(empty_row, counts=counts)
    empty_item = y.copy()
    empty_item[:, 4] = np.nan
    with pytest.raises(ValueError, match="item 4 has no responses"):
        irt.fit(empty_item, counts=counts)
    constant = y.copy()
    constant[:, 1] = 1
    with pytest.warns(RuntimeWarning, match=r"1 \(constant\)"):
        held = irt.fit(constant, counts=counts)  # flagged and held (tests/test_irt_flagged.py)
    assert list(held.flagged) == [1] and np.isfinite(held.d).all()
    # ... which an intercept prior estimates.
    res = irt.fit(constant, counts=counts, prior=irt.Prior(intercept=(0.0, 3.0)))
    assert np.isfinite(res.d).all() and res.d[1] > 3
    negative = counts.copy()
    negative[7] = -1
    with pytest.raises(ValueError, match=r"counts\[7\]"):
        irt.fit(y, counts=negative)
    with pytest.raises(ValueError, match="one entry per row"):
        irt.fit(y, counts=counts[:-1])
    with pytest.raises(ValueError, match="model"):
        irt.fit(y, "4pl")
    with pytest.raises(ValueError, match="shape"):
        irt.fit(y[0])
    with pytest.raises(TypeError):
        irt.fit(y.astype(str))
    with pytest.raises(ValueError, match="n_threads"):
        irt.fit(y, counts=counts, n_threads=0)
    with pytest.raises(ValueError, match="prior.slope"):
        irt.fit(y, counts=counts, prior=irt.Prior(slope=(0.0, -1.0)))
    res = irt.fit(y, counts=counts)
    with pytest.raises(ValueError, match="items"):
        irt.score(res, y[:, :4])
    with pytest.raises(ValueError, match="method"):
        irt.score(res, y, "wle")


def test_not_converged_warns():
    y, counts = lsat(6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = irt.fit(y, counts=counts, max_iter=3)
    assert not res.converged and res.n_iter == 3
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)


def test_3pl_recovery_with_beta_prior():
    rng = np.random.default_rng(6)
    y, a, d, _ = simulate(3000, 15, rng, c=0.2)
    res = irt.fit(y, "3pl", prior=irt.Prior(guess=(5.0, 17.0)))
    assert res.converged
    assert np.all(np.abs(res.c - 0.2) < 4 * res.se_c + 0.05)
    assert np.corrcoef(res.b, -d / a)[0, 1] > 0.95
    assert np.all(np.isfinite(res.se_a)) and np.all(res.se_c > 0)


# ---------------------------------------------------------------------------
# Graded response model


def simulate_graded(n, categories, rng, *, missing=0.0):
    """Ordinal responses (n, len(categories)); item j has categories 0 .. K_j - 1."""
    J = len(categories)
    a = rng.lognormal(0.0, 0.3, J)
    d = np.full((J, max(categories) - 1), np.nan)
    for j, k in enumerate(categories):
        d[j, : k - 1] = np.sort(rng.normal(0.0, 1.2, k - 1))[::-1] + np.linspace(0.6, -0.6, k - 1)
    theta = rng.normal(size=n)
    at_least = special.expit(theta[:, None, None] * a[None, :, None] + d[None])  # (n, J, width)
    y = np.nansum(rng.random((n, J, 1)) < np.nan_to_num(at_least, nan=0.0), axis=2).astype(float)
    if missing:
        y[rng.random(y.shape) < missing] = np.nan
    return y, a, d, theta


def graded_unpack(x, K):
    a, rest, d = x[: len(K)], x[len(K) :], []
    for k in K:
        d.append(rest[: k - 1])
        rest = rest[k - 1 :]
    return a, d


def graded_loglik(x, y, K, counts):
    """Marginal log-likelihood of the graded model written out with numpy;
    -inf for unordered intercepts."""
    a, d = graded_unpack(x, K)
    ll = np.zeros((y.shape[0], NODES.size))
    for j, k in enumerate(K):  # the reference may loop: it is the slow one
        if np.any(np.diff(d[j]) >= 0):
            return -np.inf
        at_least = np.ones((NODES.size, k + 1))
        at_least[:, 1:k] = special.expit(a[j] * NODES[:, None] + d[j][None, :])
        at_least[:, k] = 0.0
        log_p = np.log(at_least[:, :-1] - at_least[:, 1:])  # (Q, k)
        seen = ~np.isnan(y[:, j])
        ll[seen] += log_p[:, y[seen, j].astype(int)].T
    return float(counts @ special.logsumexp(ll + LOG_W, axis=1))


def graded_reference(y, K, counts):
    start = np.r_[np.ones(len(K)), np.concatenate([np.linspace(1, -1, k - 1) for k in K])]
    res = optimize.minimize(lambda x: -graded_loglik(x, y, K, counts), start, method="BFGS", options={"gtol": 1e-7})
    return res.x, -res.fun


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the reference's -inf for unordered intercepts
def test_graded_matches_direct_maximisation():
    rng = np.random.default_rng(11)
    y, *_ = simulate_graded(300, [3, 4, 2, 3], rng, missing=0.05)
    K = [3, 4, 2, 3]
    res = irt.fit(y, "grm", tol=1e-7)
    x, ll = graded_reference(y, K, np.ones(len(y)))
    a, d = graded_unpack(x, K)
    assert res.converged
    np.testing.assert_array_equal(res.n_categories, K)
    np.testing.assert_allclose(res.a, a, atol=3e-5)
    for j, k in enumerate(K):
        np.testing.assert_allclose(res.d[j, : k - 1], d[j], atol=3e-5)
        assert np.isnan(res.d[j, k - 1 :]).all()
    assert res.loglik == pytest.approx(ll, abs=1e-6)
    assert res.n_params == sum(K)
    assert res.aic == pytest.approx(-2 * ll + 2 * sum(K), abs=1e-5)
    # Standard errors: the inverse of the numerical Hessian of the reference.
    H = numeric_hessian(lambda v: graded_loglik(v, y, K, np.ones(len(y))), x)
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    se_a, se_d = graded_unpack(se, K)
    np.testing.assert_allclose(res.se_a, se_a, rtol=5e-4)
    for j, k in enumerate(K):
        np.testing.assert_allclose(res.se_d[j, : k - 1], se_d[j], rtol=5e-4)


def test_graded_binary_items_equal_2pl():
    y, counts = lsat(7)
    graded = irt.fit(y, "grm", counts=counts, tol=1e-7)
    binary = irt.fit(y, "2pl", counts=counts, tol=1e-7)
    np.testing.assert_allclose(graded.a, binary.a, atol=1e-8)
    np.testing.assert_allclose(graded.d[:, 0], binary.d, atol=1e-8)
    np.testing.assert_allclose(graded.se_a, binary.se_a, rtol=1e-7)
    np.testing.assert_allclose(graded.se_d[:, 0], binary.se_d, rtol=1e-7)
    assert graded.loglik == pytest.approx(binary.loglik, abs=1e-9)
    theta = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(irt.probability(graded, theta)[:, :, 1], irt.probability(binary, theta), atol=1e-9)
    np.testing.assert_allclose(irt.item_information(graded, theta), irt.item_information(binary, theta), atol=1e-8)
    for method in ("eap", "map", "ml"):
        g, b = irt.score(graded, y, method), irt.score(binary, y, method)
        np.testing.assert_allclose(g.theta, b.theta, atol=1e-7)


def test_graded_counts_equal_expanded_rows():
    y, *_ = simulate_graded(400, [4, 3, 5], np.random.default_rng(12))
    patterns, counts = np.unique(y, axis=0, return_counts=True)
    a = irt.fit(patterns, "grm", counts=counts)
    b = irt.fit(y, "grm")
    np.testing.assert_allclose(a.a, b.a, rtol=1e-9)
    np.testing.assert_allclose(a.d, b.d, rtol=1e-9)
    np.testing.assert_allclose(a.se_d, b.se_d, rtol=1e-7)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    assert a.n_obs == b.n_obs == 400


def test_graded_recovery_scoring_and_information():
    rng = np.random.default_rng(13)
    K = [5, 4, 3, 5, 2, 4] * 3
    y, a, d, theta = simulate_graded(3000, K, rng, missing=0.05)
    before = y.copy()
    res = irt.fit(y, "grm")
    np.testing.assert_array_equal(y, before)
    assert res.converged
    assert np.all(np.abs(res.a - a) < 4 * res.se_a)
    seen = ~np.isnan(d)
    assert np.all(np.abs(res.d - d)[seen] < 4 * res.se_d[seen])
    assert np.all(np.isnan(res.se_d[~seen]))
    for method in ("eap", "map"):
        assert np.corrcoef(irt.score(res, y, method).theta, theta)[0, 1] > 0.9
    assert res.se_method == "observed"
    # Information is sum_k P_k'^2 / P_k, from numerical derivatives.
    grid = np.linspace(-3, 3, 13)
    h = 1e-5
    p = irt.probability(res, grid)
    dp = (irt.probability(res, grid + h) - irt.probability(res, grid - h)) / (2 * h)
    np.testing.assert_allclose(irt.item_information(res, grid), np.nansum(dp**2 / p, axis=2), rtol=1e-5)
    np.testing.assert_allclose(np.nansum(p, axis=2), 1.0)
    np.testing.assert_allclose(irt.expected_score(res, grid), np.nansum(p * np.arange(p.shape[2]), axis=(1, 2)))
    # ML: +-inf for the lowest / highest category everywhere.
    top = (np.asarray(K) - 1)[None, :].astype(float)
    ml = irt.score(res, np.vstack([np.zeros((1, len(K))), top, y[:1]]), "ml")
    assert ml.theta[0] == -np.inf and ml.theta[1] == np.inf and np.isfinite(ml.theta[2])


def test_graded_item_blocks_close_to_full(monkeypatch):
    y, *_ = simulate_graded(600, [4, 3, 5, 4, 3] * 2, np.random.default_rng(14))
    full = irt.fit(y, "grm")
    monkeypatch.setattr(irt._information, "_FULL_INFO_MAX_PARAMS", 0)
    blocks = irt.fit(y, "grm")
    assert blocks.se_method == "observed, item blocks"
    assert np.all(blocks.se_a <= full.se_a * (1 + 1e-9))
    np.testing.assert_allclose(blocks.se_a, full.se_a, rtol=0.1)
    np.testing.assert_allclose(blocks.se_d, full.se_d, rtol=0.3)


def test_graded_priors_and_bad_input():
    y, *_ = simulate_graded(300, [3, 4, 3], np.random.default_rng(15))
    res = irt.fit(y, "grm", prior=irt.Prior(slope=(0.0, 0.5), intercept=(0.0, 2.0)))
    assert res.converged and np.all(res.a > 0)
    bad = y.copy()
    bad[4, 1] = 1.5
    with pytest.raises(ValueError, match=r"responses\[4, 1\].*whole-number"):
        irt.fit(bad, "grm")
    bad[4, 1] = -1
    with pytest.raises(ValueError, match=r"responses\[4, 1\]"):
        irt.fit(bad, "grm")
    gap = y.copy()
    gap[gap[:, 2] == 1, 2] = 0  # item 2 uses categories 0 and 2 only
    with pytest.raises(ValueError, match="item 2 has no responses in category 1"):
        irt.fit(gap, "grm")
    single = y.copy()
    single[:, 0] = 0
    with pytest.raises(ValueError, match="item 0 has a single category"):
        irt.fit(single, "grm")
    with pytest.raises(ValueError, match="prior.guess"):
        irt.fit(y, "grm", prior=irt.Prior(guess=(5, 17)))
    res = irt.fit(y, "grm")
    above = y[:3].copy()
    above[0, 0] = 3
    with pytest.raises(ValueError, match=r"responses\[0, 0\] is 3 but item 0 has 3 categories"):
        irt.score(res, above)
    with pytest.raises(NotImplementedError):
        irt.item_fit(res, y)


# ---------------------------------------------------------------------------
# Joint posterior mode (JMAP), multidimensional


def simulate_multidimensional(n, J, dims, rng, *, missing=0.05):
    a = rng.normal(0.0, 1.5 / np.sqrt(dims), (J, dims))
    d = rng.normal(0.0, 1.0, J)
    theta = rng.normal(size=(n, dims))
    logits = theta @ a.T + d
    y = (rng.random(logits.shape) < special.expit(logits)).astype(float)
    y[rng.random(y.shape) < missing] = np.nan
    return y, logits


def test_jmap_recovers_multidimensional_logits():
    y, logits = simulate_multidimensional(600, 200, 4, np.random.default_rng(21))
    before = y.copy()
    res = irt.fit(y, "2pl", dims=4, method="jmap", n_threads=1)
    np.testing.assert_array_equal(y, before)
    assert res.converged and res.method == "jmap"
    assert res.a.shape == (200, 4) and res.theta.shape == (600, 4) and res.dims == 4
    fitted = res.theta @ res.a.T + res.d
    assert np.corrcoef(fitted.ravel(), logits.ravel())[0, 1] > 0.9
    # Reported on the scale where the abilities are standardised.
    np.testing.assert_allclose(res.theta.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(np.cov(res.theta.T, bias=True), np.eye(4), atol=1e-10)
    np.testing.assert_allclose(irt.probability(res, res.theta), special.expit(fitted), rtol=1e-9)
    seen = ~np.isnan(y)
    p = special.expit(fitted)[seen]
    loglik = np.sum(y[seen] * np.log(p) + (1 - y[seen]) * np.log1p(-p))
    assert res.loglik == pytest.approx(loglik, rel=1e-9)
    assert np.isnan(res.se_a).all()
    threaded = irt.fit(y, dims=4, n_threads=2)
    np.testing.assert_array_equal(threaded.a, res.a)
    # MAP scores of rows with the items fixed (the N(0, I) prior on the
    # standardised scale): close to the fitted abilities, shrunk a little.
    scores = irt.score(res, y, "map")
    assert scores.theta.shape == (600, 4) and np.isnan(scores.se).all()
    for k in range(4):
        assert np.corrcoef(scores.theta[:, k], res.theta[:, k])[0, 1] > 0.95
    with pytest.raises(ValueError, match="map"):
        irt.score(res, y[:5], "eap")
    with pytest.raises(NotImplementedError):
        irt.item_information(res, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="not defined"):
        _ = res.b


def test_jmap_stops_near_the_mode():
    # The sweeps' bounded SQUAREM steps stop, at the default tol, where a fit to
    # tol=1e-8 agrees on the logits (rotation-free) to the order of tol.
    y, _ = simulate_multidimensional(300, 120, 3, np.random.default_rng(23))
    fit = irt.fit(y, dims=3, n_threads=1)
    tight = irt.fit(y, dims=3, tol=1e-8, max_iter=5000, n_threads=1)
    assert fit.converged and tight.converged and fit.n_iter < tight.n_iter
    logits = fit.theta @ fit.a.T + fit.d
    tight_logits = tight.theta @ tight.a.T + tight.d
    assert np.abs(logits - tight_logits).max() < 5e-3
    assert fit.loglik == pytest.approx(tight.loglik, abs=1e-2)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(2, 60),
    k=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    spread=st.floats(0.1, 4.0),
    precision=st.floats(0.0, 2.0),
    move=st.floats(0.01, 0.689),
)
def test_newton_steps_the_joint_fit_takes_untested_raise_the_posterior(n, k, seed, spread, precision, move):
    # The JMAP sweeps take a Newton step without its trial evaluation when no
    # cell's logit moves by ln 2 or more (cpp/src/irt/joint.cpp): the weighted
    # Bernoulli log-likelihood plus a Gaussian log prior must then rise. Checked
    # here on the mathematics, for the step scaled so that its largest logit move
    # is `move`, from any point: the step is shortened as the fit's regularised or
    # capped steps are, which the bound also covers.
    rng = np.random.default_rng(seed)
    X = rng.normal(0, spread, (n, k))
    y = (rng.random(n) < 0.5).astype(float)
    w = rng.uniform(0, 2, n)
    x = rng.normal(0, spread, k)

    def f(v):
        z = X @ v
        return math.fsum(w * (y * z - np.logaddexp(0, z))) - 0.5 * precision * math.fsum(v * v)

    p = special.expit(X @ x)
    g = X.T @ (w * (y - p)) - precision * x
    H = X.T @ (X * (w * p * (1 - p))[:, None]) + precision * np.eye(k)
    step = np.linalg.solve(H + 1e-9 * np.eye(k), g)
    largest = np.abs(X @ step).max()
    assume(largest > 0 and np.isfinite(largest))
    shortened = step * min(1.0, move / largest)
    gain = f(x + shortened) - f(x)
    assert gain >= -1e-12 * abs(f(x))


def test_jmap_one_dimension_close_to_marginal_fit():
    y, *_ = simulate(1000, 100, np.random.default_rng(22), missing=0.05)
    marginal = irt.fit(y)
    joint = irt.fit(y, method="jmap")
    assert joint.converged and joint.a.shape == (100,) and joint.theta.shape == (1000,)
    # Joint estimates of slopes are inflated by a few percent at 100 items.
    assert np.sqrt(np.mean((joint.a - marginal.a) ** 2)) < 0.06
    assert np.sqrt(np.mean((joint.d - marginal.d) ** 2)) < 0.02
    assert np.corrcoef(joint.theta, irt.score(marginal, y, "map").theta)[0, 1] > 0.995
    # Unidimensional JMAP fits score like marginal ones.
    assert np.corrcoef(irt.score(joint, y).theta, joint.theta)[0, 1] > 0.99


def test_jmap_bad_input():
    y, counts = lsat(6)
    with pytest.raises(ValueError, match="needs method='jmap'"):
        irt.fit(y, dims=2, method="marginal")
    with pytest.raises(ValueError, match="fits model='2pl' only"):
        irt.fit(y, "3pl", dims=2)
    with pytest.raises(ValueError, match="method"):
        irt.fit(y, method="vem")
    with pytest.raises(ValueError, match="dims"):
        irt.fit(y, dims=0)
    constant = y.copy()
    constant[:, 1] = 1
    with pytest.raises(ValueError, match="item 1 is answered 1"):
        irt.fit(constant, counts=counts, dims=2)


# ---------------------------------------------------------------------------
# The native layer: one submodule, bound enumerations, one grid range


def test_core_irt_is_one_submodule_with_bound_enumerations():
    assert not [name for name in dir(_core) if name.startswith("irt_") or name == "chi_square_survival"]
    assert [m.name for m in _core.irt.Model.__members__.values()] == ["rasch", "onepl", "twopl", "threepl"]
    assert set(_core.irt.ScoreMethod.__members__) == {"eap", "map", "ml"}
    y = (np.random.default_rng(0).random((50, 4)) < 0.5).astype(float)
    res = irt.fit(y, "rasch", se=False)
    with pytest.raises(TypeError):  # a bare integer is no longer a method
        _core.irt.score_binary(y, res.a, res.d, res.c, 0, res.n_quad, 1)
    theta, _ = _core.irt.score_binary(y, res.a, res.d, res.c, _core.irt.ScoreMethod.eap, res.n_quad, 1)
    np.testing.assert_array_equal(theta, irt.score(res, y).theta)


@pytest.mark.parametrize("n_quad", [_core.irt.MIN_QUAD - 1, _core.irt.MAX_QUAD + 1])
def test_grid_size_bounds_agree_between_python_and_core(n_quad):
    y = (np.random.default_rng(0).random((50, 4)) < 0.5).astype(float)
    with pytest.raises(ValueError, match="n_quad"):
        irt.fit(y, n_quad=n_quad)
    with pytest.raises(ValueError, match="n_quad"):
        _core.irt.grid(n_quad)
    for edge in (_core.irt.MIN_QUAD, _core.irt.MAX_QUAD):
        assert _core.irt.grid(edge)[0].shape == (edge,)


def test_core_prior_curvature_is_the_log_prior_hessian():
    """The one owner of the prior's curvature (the standard errors add it) agrees
    with the closed forms of the lognormal, normal and Beta log-densities."""
    rng = np.random.default_rng(5)
    y = (rng.random((300, 6)) < 0.6).astype(float)
    slope, intercept, guess = (0.2, 0.5), (0.1, 2.0), (2.0, 8.0)
    raw = _core.irt.fit_binary(
        y, None, _core.irt.Model.threepl, 21, 1e-4, 500, slope, intercept, guess, _core.irt.Information.none, 1
    )
    a, c = raw["a"], raw["c"]
    la = np.log(a)
    expected = np.stack(
        [
            (1 - (1 - la + slope[0]) / slope[1] ** 2) / a**2,
            np.full(6, -1 / intercept[1] ** 2),
            -(guess[0] + guess[1] - 2) * c * (1 - c),
        ],
        axis=1,
    )
    np.testing.assert_allclose(raw["prior_curvature"], expected, rtol=1e-12)
    g = np.clip(np.round(rng.normal(1.5, 1, (300, 4))), 0, 3)
    graded = _core.irt.fit_graded(g, None, 21, 1e-4, 500, slope, intercept, 1)
    K = 1 + np.sum(~np.isnan(graded["d"]), axis=1)
    assert np.allclose(
        graded["prior_curvature"][:, 0],
        (1 - (1 - np.log(graded["a"]) + slope[0]) / slope[1] ** 2) / graded["a"] ** 2,
        rtol=1e-12,
    )
    for j, k in enumerate(K):
        np.testing.assert_array_equal(graded["prior_curvature"][j, 1:k], -1 / intercept[1] ** 2)
        np.testing.assert_array_equal(graded["prior_curvature"][j, k:], 0.0)


def test_core_graded_node_scores_are_the_gradients_of_log_category_probabilities():
    a = np.array([1.3, 0.7])
    d = np.array([[1.0, -0.5, -2.0], [0.4, np.nan, np.nan]])  # 4 and 2 categories
    n_quad = 7
    nodes, _ = _core.irt.grid(n_quad)
    scores = _core.irt.graded_node_scores(a, d, n_quad)
    assert scores.shape == (2, 4, n_quad, 4)

    def log_p(slope, intercepts):  # (categories, nodes)
        at_least = np.vstack([np.ones(n_quad), special.expit(slope * nodes + intercepts[:, None]), np.zeros(n_quad)])
        return np.log(at_least[:-1] - at_least[1:])

    h = 1e-6
    for j, k_j in enumerate((4, 2)):
        x = np.r_[a[j], d[j, : k_j - 1]]
        numeric = np.zeros((k_j, n_quad, k_j))
        for p in range(k_j):
            step = np.zeros(k_j)
            step[p] = h
            up, down = x + step, x - step
            numeric[:, :, p] = (log_p(up[0], up[1:]) - log_p(down[0], down[1:])) / (2 * h)
        np.testing.assert_allclose(scores[j, :k_j, :, :k_j], numeric, rtol=1e-6, atol=1e-7)
        assert not scores[j, k_j:].any() and not scores[j, :, :, k_j:].any()
