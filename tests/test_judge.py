"""precipice.judge: prediction-powered inference (ppi_py 0.2.3's numbers), the
prediction-powered bootstrap on the native engine, paired and clustered
variants, Rogan-Gladen, coverage by simulation, and bad input.

ppi_py (``pip install ppi-python``; it pulls numba) is the anchor: the parity
tests run it when it imports and skip otherwise; the pinned tests hold values it
computed on the same data, so the formulas stay checked without it."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import _resample, judge

Z95 = NormalDist().inv_cdf(0.975)


@pytest.fixture(scope="module")
def ppi_py():
    # ppi_py calls warnings.simplefilter("ignore") at import: the test's own
    # warning filters are restored after it.
    return pytest.importorskip("ppi_py")


def pinned_data():
    """Deterministic data (no RNG: the same on every numpy) for the pinned values."""
    i = np.arange(40.0)
    j = np.arange(400.0)
    y = np.round(np.sin(i * 1.7) * 3 + i / 20, 3)
    yhat = np.round(y * 0.8 + np.cos(i * 2.3) + 0.4, 3)
    yu = np.round(np.sin(j * 0.37) * 2.4 + np.cos(j * 1.9) + 0.5 + j / 400, 3)
    return y, yhat, yu, 1 + (i % 3), 1 + (j % 5) / 2


def continuous_data(seed=0, n=300, big_n=3000, bias=0.5):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    yhat = y + rng.normal(bias, 0.7, size=n)
    yu = rng.normal(size=big_n) + rng.normal(bias, 0.7, size=big_n)
    return y, yhat, yu


def binary_data(seed=0, n=500, big_n=20000, p=0.6, agreement=0.8):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < p).astype(float)
    yhat = np.where(rng.random(n) < agreement, y, 1 - y)
    truth_u = rng.random(big_n) < p
    yu = np.where(rng.random(big_n) < agreement, truth_u, ~truth_u).astype(float)
    return y, yhat, yu


# --------------------------------------------------------------------------
# Values ppi_py 0.2.3 computed on pinned_data() (alpha=0.05).

PINNED_MEAN = {
    # (lam, weighted): (point estimate, lower, upper)
    (None, False): (0.8268198157976057, 0.506341079706879, 1.1472985518883323),
    (None, True): (0.8527799683544302, 0.5109475251558855, 1.1946124115529748),
    (0.5, False): (0.9236587500000001, 0.49028890865800795, 1.3570285913419922),
    (0.5, True): (0.9906494778481012, 0.5175379291319131, 1.4637610265642893),
}
PINNED_QUANTILE = {
    # (q, exact_grid): (point estimate, lower, upper)
    (0.25, False): (-1.1309641928385676, -1.7376143228645728, -0.4962428485697137),
    (0.25, True): (-1.131, -1.738, -0.516),
    (0.5, False): (1.5513962792558509, 0.10416923384676924, 1.9100840168033608),
    (0.5, True): (1.55, 0.103, 1.907),
}


@pytest.mark.parametrize("lam,weighted", list(PINNED_MEAN))
def test_mean_equals_pinned_ppi_py_values(lam, weighted):
    y, yhat, yu, w, wu = pinned_data()
    weights = {"w": w, "w_unlabeled": wu} if weighted else {}
    result = judge.ppi_mean(y, yhat, yu, lam=lam, confidence=0.95, **weights)
    estimate, lower, upper = PINNED_MEAN[(lam, weighted)]
    assert result.estimate == pytest.approx(estimate, abs=1e-10)
    np.testing.assert_allclose(result.interval, [lower, upper], rtol=0, atol=1e-10)


def test_p_value_equals_pinned_ppi_py_value():
    y, yhat, yu, _, _ = pinned_data()
    assert judge.ppi_mean(y, yhat, yu, lam=0.5, null=0.3).p_value == pytest.approx(0.004793885622193859, abs=1e-12)


@pytest.mark.parametrize("q,exact", list(PINNED_QUANTILE))
def test_quantile_equals_pinned_ppi_py_values(q, exact):
    y, yhat, yu, _, _ = pinned_data()
    result = judge.ppi_quantile(y, yhat, yu, q, confidence=0.95, exact_grid=exact)
    estimate, lower, upper = PINNED_QUANTILE[(q, exact)]
    assert result.estimate == pytest.approx(estimate, abs=1e-10)
    np.testing.assert_allclose(result.interval, [lower, upper], rtol=0, atol=1e-10)


# --------------------------------------------------------------------------
# Parity with ppi_py itself.


@pytest.mark.parametrize("lam", [None, 0.0, 0.3, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["continuous", "binary"])
def test_mean_matches_ppi_py(ppi_py, lam, weighted, kind):
    y, yhat, yu = continuous_data(1) if kind == "continuous" else binary_data(1, big_n=3000)
    rng = np.random.default_rng(2)
    weights = {"w": rng.uniform(0.2, 3, y.size), "w_unlabeled": rng.uniform(0.2, 3, yu.size)} if weighted else {}
    result = judge.ppi_mean(y, yhat, yu, lam=lam, confidence=0.9, **weights)
    point = ppi_py.ppi_mean_pointestimate(y, yhat, yu, lam=lam, **weights)
    lower, upper = ppi_py.ppi_mean_ci(y, yhat, yu, lam=lam, alpha=0.1, **weights)
    assert result.estimate == pytest.approx(float(np.squeeze(point)), abs=1e-10)
    np.testing.assert_allclose(result.interval, [lower[0], upper[0]], rtol=0, atol=1e-10)
    half = (upper[0] - lower[0]) / 2
    assert result.standard_error == pytest.approx(half / NormalDist().inv_cdf(0.95), abs=1e-10)


@pytest.mark.parametrize("alternative", ["larger", "smaller", "greater", "less"])
def test_one_sided_intervals_and_p_values_match_ppi_py(ppi_py, alternative):
    y, yhat, yu = continuous_data(3)
    theirs = {"greater": "larger", "less": "smaller"}.get(alternative, alternative)
    result = judge.ppi_mean(y, yhat, yu, lam=0.6, confidence=0.9, alternative=alternative, null=0.4)
    lower, upper = ppi_py.ppi_mean_ci(y, yhat, yu, lam=0.6, alpha=0.1, alternative=theirs)
    np.testing.assert_allclose(result.interval, [np.squeeze(lower), np.squeeze(upper)], rtol=0, atol=1e-10)
    p = ppi_py.ppi_mean_pval(y, yhat, yu, lam=0.6, alternative=theirs, null=0.4)
    assert result.p_value == pytest.approx(float(p[0]), abs=1e-10)


@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_quantile_matches_ppi_py(ppi_py, q, exact, weighted):
    y, yhat, yu = continuous_data(4, n=120, big_n=600)
    rng = np.random.default_rng(5)
    weights = {"w": rng.uniform(0.2, 3, y.size), "w_unlabeled": rng.uniform(0.2, 3, yu.size)} if weighted else {}
    result = judge.ppi_quantile(y, yhat, yu, q, confidence=0.9, exact_grid=exact, **weights)
    point = ppi_py.ppi_quantile_pointestimate(y, yhat, yu, q, exact_grid=exact, **weights)
    lower, upper = ppi_py.ppi_quantile_ci(y, yhat, yu, q, alpha=0.1, exact_grid=exact, **weights)
    assert result.estimate == pytest.approx(float(point), abs=1e-10)
    np.testing.assert_allclose(result.interval, [lower, upper], rtol=0, atol=1e-10)


def test_difference_matches_ppi_py_on_the_differences(ppi_py):
    rng = np.random.default_rng(6)
    y_a, yhat_a, yu_a = continuous_data(7)
    y_b, yhat_b, yu_b = (x + rng.normal(0.1, 0.5, x.size) for x in (y_a, yhat_a, yu_a))
    result = judge.ppi_mean_difference(y_a, y_b, yhat_a, yhat_b, yu_a, yu_b, confidence=0.9)
    d, dhat, du = y_a - y_b, yhat_a - yhat_b, yu_a - yu_b
    lower, upper = ppi_py.ppi_mean_ci(d, dhat, du, alpha=0.1)
    assert result.estimate == pytest.approx(float(np.squeeze(ppi_py.ppi_mean_pointestimate(d, dhat, du))), abs=1e-10)
    np.testing.assert_allclose(result.interval, [lower[0], upper[0]], rtol=0, atol=1e-10)


def test_bootstrap_agrees_with_ppi_py_in_distribution(ppi_py):
    y, yhat, yu = binary_data(8, big_n=5000)
    np.random.seed(0)
    theirs = np.array([ppi_py.ppboot(np.mean, y, yhat, yu, lam=0.5, n_resamples=1000, alpha=0.1) for _ in range(3)])
    ours = np.array([judge.ppboot(y, yhat, yu, lam=0.5, reps=1000, confidence=0.9, seed=s).interval for s in range(3)])
    width = theirs[:, 1].mean() - theirs[:, 0].mean()
    # Monte Carlo error of a 5% quantile from 3 x 1000 replicates: a few percent of the width.
    np.testing.assert_allclose(ours.mean(axis=0), theirs.mean(axis=0), atol=0.08 * width)
    point = 0.5 * yu.mean() + y.mean() - 0.5 * yhat.mean()
    assert judge.ppboot(y, yhat, yu, lam=0.5, seed=0).estimate == pytest.approx(point, abs=1e-14)


# --------------------------------------------------------------------------
# The formulas, written out (no anchor needed).


def reference_ppi(y, yhat, yu, lam, w=None, wu=None):
    """Estimate and variance straight from the definitions, and ppi_py's lambda."""
    n, big_n = y.size, yu.size
    w = np.ones(n) if w is None else w / w.sum() * n
    wu = np.ones(big_n) if wu is None else wu / wu.sum() * big_n
    if lam is None:
        theta = np.mean(wu * yu) + np.mean(w * (y - yhat))
        g, gh, ghu = w * (y - theta), w * (yhat - theta), wu * (yu - theta)
        cov = np.mean((g - g.mean()) * (gh - gh.mean()))
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN for a judge with one score everywhere
            lam = float(np.clip(cov / ((1 + n / big_n) * np.var(np.r_[gh, ghu], ddof=1)), 0, 1))
    estimate = np.mean(lam * wu * yu) + np.mean(w * (y - lam * yhat))
    variance = np.var(lam * wu * yu) / big_n + np.var(w * (y - lam * yhat)) / n
    return estimate, variance, lam


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 30),
    big_n=st.integers(2, 60),
    lam=st.one_of(st.none(), st.floats(0, 1)),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    levels=st.integers(2, 5),
)
def test_mean_matches_the_written_out_formulas(n, big_n, lam, weighted, seed, levels):
    rng = np.random.default_rng(seed)
    # Few levels: ties, constant columns and a judge that never varies all come up.
    y = rng.integers(0, levels, n).astype(float)
    yhat = rng.integers(0, levels, n).astype(float)
    yu = rng.integers(0, levels, big_n).astype(float)
    w = rng.uniform(0.1, 2, n) if weighted else None
    wu = rng.uniform(0.1, 2, big_n) if weighted else None
    result = judge.ppi_mean(y, yhat, yu, lam=lam, w=w, w_unlabeled=wu)
    estimate, variance, lam_ref = reference_ppi(y, yhat, yu, lam, w, wu)
    if np.isfinite(lam_ref):
        assert result.lam == pytest.approx(lam_ref, abs=1e-9)
        assert result.estimate == pytest.approx(estimate, abs=1e-9)
        assert result.variance == pytest.approx(variance, abs=1e-9)
    else:
        # A judge with one score everywhere: the formula is 0 / 0, lambda is 0.
        assert result.lam == 0.0
    assert 0.0 <= result.lam <= 1.0
    lower, upper = result.interval
    assert lower <= result.estimate <= upper
    assert upper - lower == pytest.approx(2 * Z95 * result.standard_error, abs=1e-9)


def reference_quantile(y, yhat, yu, q, confidence, exact):
    """ppi_py's construction with the (items x grid) indicator matrices."""
    grid = np.r_[y, yhat, yu]
    grid = np.sort(grid) if exact else np.linspace(grid.min(), grid.max(), 5000)
    ind_u = (yu[:, None] <= grid).astype(float)
    diff = (y[:, None] <= grid).astype(float) - (yhat[:, None] <= grid).astype(float)
    cdf = ind_u.mean(0) + diff.mean(0)
    se = np.maximum(np.sqrt(ind_u.std(0) ** 2 / yu.size + diff.std(0) ** 2 / y.size), 1e-16)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    inside = grid[np.abs(cdf - q) / se < z]
    return grid[np.argmin(np.abs(cdf - q))], inside[[0, -1]] if inside.size else None


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 25),
    big_n=st.integers(2, 50),
    q=st.floats(0.02, 0.98),
    exact=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_quantile_matches_the_indicator_matrices(n, big_n, q, exact, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 6, n).astype(float)
    yhat = y + rng.integers(-1, 2, n)
    yu = rng.integers(0, 7, big_n).astype(float)
    point, bounds = reference_quantile(y, yhat, yu, q, 0.9, exact)
    if bounds is None:
        with pytest.raises(ValueError, match="no candidate value"):
            judge.ppi_quantile(y, yhat, yu, q, confidence=0.9, exact_grid=exact)
        return
    result = judge.ppi_quantile(y, yhat, yu, q, confidence=0.9, exact_grid=exact)
    assert result.estimate == point
    np.testing.assert_array_equal(result.interval, bounds)


def test_difference_is_ppi_on_the_paired_differences():
    rng = np.random.default_rng(9)
    y_a, yhat_a, yu_a = binary_data(10, big_n=4000)
    y_b, yhat_b, yu_b = binary_data(11, big_n=4000, p=0.5)
    result = judge.ppi_mean_difference(y_a, y_b, yhat_a, yhat_b, yu_a, yu_b, null=0.0)
    direct = judge.ppi_mean(y_a - y_b, yhat_a - yhat_b, yu_a - yu_b)
    assert (result.estimate, result.lam, result.variance) == (direct.estimate, direct.lam, direct.variance)
    np.testing.assert_array_equal(result.interval, direct.interval)
    assert result.p_value == pytest.approx(2 * NormalDist().cdf(-abs(result.estimate) / result.standard_error))
    # A shared item effect cancels in the pairing: narrower than the two separate intervals combined.
    shift = rng.normal(size=y_a.size)
    shift_u = rng.normal(size=yu_a.size)
    paired = judge.ppi_mean_difference(
        y_a + shift, y_b + shift, yhat_a + shift, yhat_b + shift, yu_a + shift_u, yu_b + shift_u
    )
    separate = [
        judge.ppi_mean(y + shift, yh + shift, yu + shift_u) for y, yh, yu in ((y_a, yhat_a, yu_a), (y_b, yhat_b, yu_b))
    ]
    assert paired.standard_error < math.hypot(*(r.standard_error for r in separate))


# --------------------------------------------------------------------------
# Clusters.


def test_singleton_clusters_give_the_iid_variance_times_c_over_c_minus_1():
    y, yhat, yu = continuous_data(12, n=50, big_n=200)
    iid = judge.ppi_mean(y, yhat, yu, lam=0.7)
    clustered = judge.ppi_mean(y, yhat, yu, lam=0.7, clusters=np.arange(50), clusters_unlabeled=np.arange(200))
    var_l = np.var(y - 0.7 * yhat) / 50
    var_u = np.var(0.7 * yu) / 200
    assert clustered.estimate == iid.estimate
    assert clustered.variance == pytest.approx(50 / 49 * var_l + 200 / 199 * var_u, rel=1e-12)
    assert (clustered.n_clusters, clustered.n_clusters_unlabeled) == (50, 200)


def test_cluster_robust_variance_and_its_optimal_lambda():
    rng = np.random.default_rng(13)
    codes = np.repeat(np.arange(30), 8)
    effect = rng.normal(size=30)[codes]
    y = effect + rng.normal(size=codes.size)
    yhat = y + 0.3 + rng.normal(0, 0.6, codes.size)
    codes_u = np.repeat(np.arange(200), 10)
    yu = rng.normal(size=200)[codes_u] + rng.normal(size=codes_u.size) + 0.3
    labels = np.array([f"passage-{c}" for c in codes])  # string labels work too

    def variance(lam):
        def robust(v, c):
            totals = np.bincount(c, weights=v - v.mean())
            k = totals.size
            return k / (k - 1) * totals @ totals / v.size**2

        return robust(y - lam * yhat, codes) + robust(lam * yu, codes_u)

    result = judge.ppi_mean(y, yhat, yu, clusters=labels, clusters_unlabeled=codes_u)
    assert result.variance == pytest.approx(variance(result.lam), rel=1e-12)
    grid = np.linspace(0, 1, 101)
    assert result.variance <= min(variance(lam) for lam in grid) + 1e-15
    # Clustering widens the interval: the items of a passage move together.
    assert result.standard_error > judge.ppi_mean(y, yhat, yu, lam=result.lam).standard_error


# --------------------------------------------------------------------------
# The prediction-powered bootstrap on the native engine.


def test_bootstrap_replicates_equal_a_slow_reference_on_the_same_indices():
    y, yhat, yu = continuous_data(14, n=80, big_n=400)
    reps, seed = 300, 1234
    result = judge.ppboot(y, yhat, yu, lam=0.4, reps=reps, seed=seed, n_threads=1, return_replicates=True)
    # Continuous scores take no repeated values: the engine draws indices, stream 0.
    first = 50  # after the default reps_lam replicates that tune lambda
    idx = _resample.resample_indices(y.size, y.size, seed, judge._LABELED + first, reps, 0, 1)
    idx_u = _resample.resample_indices(yu.size, yu.size, seed, judge._UNLABELED + first, reps, 0, 1)
    expected = 0.4 * yu[idx_u].mean(axis=1) + y[idx].mean(axis=1) - 0.4 * yhat[idx].mean(axis=1)
    np.testing.assert_allclose(result.replicates, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.interval, np.quantile(expected, [0.025, 0.975]), rtol=0, atol=1e-12)
    basic = judge.ppboot(y, yhat, yu, lam=0.4, reps=reps, seed=seed, method="basic")
    np.testing.assert_allclose(
        basic.interval, 2 * result.estimate - np.quantile(expected, [0.975, 0.025]), rtol=0, atol=1e-12
    )
    assert result.standard_error == pytest.approx(np.std(expected, ddof=1), rel=1e-10)


def test_bootstrap_lambda_is_ppi_pys_rule_on_its_own_replicates():
    y, yhat, yu = continuous_data(15, n=60, big_n=300)
    result = judge.ppboot(y, yhat, yu, reps=10, reps_lam=40, seed=5)
    idx = _resample.resample_indices(y.size, y.size, 5, judge._LABELED, 50, 0, 1)
    idx_u = _resample.resample_indices(yu.size, yu.size, 5, judge._UNLABELED, 50, 0, 1)
    my, myhat, myu = y[idx].mean(1), yhat[idx].mean(1), yu[idx_u].mean(1)
    lam = np.cov(my[:40], myhat[:40])[0, 1] / (np.var(myhat[:40]) + np.var(myu[:40]))
    assert result.lam == pytest.approx(lam, rel=1e-9)
    # The interval's replicates follow the tuning ones, and are the same when that lambda is given.
    given = judge.ppboot(y, yhat, yu, lam=result.lam, reps=10, reps_lam=40, seed=5, return_replicates=True)
    expected = result.lam * myu[40:] + my[40:] - result.lam * myhat[40:]
    np.testing.assert_allclose(given.replicates, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(given.interval, result.interval)


def test_cluster_bootstrap_resamples_whole_clusters():
    rng = np.random.default_rng(16)
    codes = rng.integers(0, 25, 150)
    codes_u = rng.integers(0, 90, 900)
    y = rng.normal(size=25)[codes] + rng.normal(size=150)
    yhat = y + rng.normal(0.2, 0.5, 150)
    yu = rng.normal(size=90)[codes_u] + rng.normal(size=900)
    reps, seed = 200, 99
    result = judge.ppboot(
        y, yhat, yu, lam=0.8, reps=reps, seed=seed, clusters=codes, clusters_unlabeled=codes_u, return_replicates=True
    )
    pick = _resample.resample_indices(25, 25, seed, judge._LABELED + 50, reps, 0, 1)
    pick_u = _resample.resample_indices(90, 90, seed, judge._UNLABELED + 50, reps, 0, 1)

    def cluster_means(values, c, k, drawn):
        totals = np.bincount(c, weights=values, minlength=k)
        sizes = np.bincount(c, minlength=k)
        return totals[drawn].sum(1) / sizes[drawn].sum(1)

    expected = (
        0.8 * cluster_means(yu, codes_u, 90, pick_u)
        + cluster_means(y, codes, 25, pick)
        - 0.8 * cluster_means(yhat, codes, 25, pick)
    )
    np.testing.assert_allclose(result.replicates, expected, rtol=0, atol=1e-12)
    assert (result.n_clusters, result.n_clusters_unlabeled) == (25, 90)


def test_bootstrap_of_a_callable_uses_the_same_resamples():
    y, yhat, yu = continuous_data(26, n=70, big_n=350)
    native = judge.ppboot(y, yhat, yu, reps=200, seed=8, return_replicates=True)
    vectorised = judge.ppboot(y, yhat, yu, statistic=np.mean, reps=200, seed=8, return_replicates=True)
    calls = []

    def one_at_a_time(x):
        calls.append(x.size)
        x.sort()  # a statistic that changes its argument changes nothing of the caller's
        return float(np.mean(x))

    looped = judge.ppboot(y, yhat, yu, statistic=one_at_a_time, reps=200, seed=8, return_replicates=True)
    for other in (vectorised, looped):
        assert other.lam == pytest.approx(native.lam, abs=1e-12)
        np.testing.assert_allclose(other.replicates, native.replicates, rtol=0, atol=1e-12)
    assert (native.statistic, vectorised.statistic, looped.statistic) == ("mean", "mean", "one_at_a_time")
    # 250 resamples (50 tune lambda) of each of y, yhat, yhat_unlabeled, and the three point values.
    assert len(calls) == 3 * 250 + 3
    np.testing.assert_array_equal(y, continuous_data(26, n=70, big_n=350)[0])
    median = judge.ppboot(y, yhat, yu, statistic=np.median, lam=0.5, seed=1)
    assert median.estimate == pytest.approx(0.5 * np.median(yu) + np.median(y) - 0.5 * np.median(yhat))


def test_bootstrap_of_a_median_agrees_with_ppi_py_in_distribution(ppi_py):
    y, yhat, yu = continuous_data(27, n=200, big_n=1000)
    np.random.seed(2)
    theirs = np.array(ppi_py.ppboot(np.median, y, yhat, yu, lam=0.7, n_resamples=2000, alpha=0.1))
    ours = judge.ppboot(y, yhat, yu, statistic=np.median, lam=0.7, reps=2000, confidence=0.9, seed=2).interval
    np.testing.assert_allclose(ours, theirs, atol=0.08 * (theirs[1] - theirs[0]))


def test_bootstrap_of_binary_scores_has_the_analytic_spread():
    # 0/1 scores take the multinomial path (few distinct rows): check it in distribution.
    y, yhat, yu = binary_data(17, n=400, big_n=10000)
    result = judge.ppboot(y, yhat, yu, lam=0.6, reps=20000, seed=3, return_replicates=True)
    expected_var = np.var(y - 0.6 * yhat) / y.size + np.var(0.6 * yu) / yu.size
    # The standard deviation of 20,000 replicates is within 1% (1 sd ~ 0.5%).
    assert result.standard_error == pytest.approx(math.sqrt(expected_var), rel=0.02)
    assert result.replicates.mean() == pytest.approx(result.estimate, abs=4 * math.sqrt(expected_var / 20000))


@pytest.mark.parametrize("clustered", [False, True])
def test_bootstrap_is_identical_for_any_thread_count(clustered):
    y, yhat, yu = binary_data(18, big_n=5000)
    kwargs = {"clusters": np.arange(y.size) // 4, "clusters_unlabeled": np.arange(yu.size) // 10} if clustered else {}
    runs = [
        judge.ppboot(y, yhat, yu, reps=3000, seed=42, n_threads=t, return_replicates=True, **kwargs) for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.replicates, runs[0].replicates)
        np.testing.assert_array_equal(other.interval, runs[0].interval)
        assert other.lam == runs[0].lam
    assert judge.ppboot(y, yhat, yu, reps=3000, seed=43).lam != runs[0].lam


def test_bootstrap_one_sided_intervals():
    y, yhat, yu = continuous_data(19)
    two = judge.ppboot(y, yhat, yu, lam=0.5, reps=2000, seed=1, return_replicates=True)
    greater = judge.ppboot(y, yhat, yu, lam=0.5, reps=2000, seed=1, alternative="greater", confidence=0.9)
    less = judge.ppboot(y, yhat, yu, lam=0.5, reps=2000, seed=1, alternative="smaller", confidence=0.9)
    assert greater.interval[1] == math.inf and less.interval[0] == -math.inf
    assert greater.interval[0] == pytest.approx(np.quantile(two.replicates, 0.1), abs=1e-12)
    assert less.interval[1] == pytest.approx(np.quantile(two.replicates, 0.9), abs=1e-12)
    assert greater.alternative == "greater" and less.alternative == "less"


# --------------------------------------------------------------------------
# Rogan-Gladen.


def test_rogan_gladen_formula():
    y = np.array([1] * 40 + [0] * 60)
    yhat = np.array([1] * 36 + [0] * 4 + [1] * 12 + [0] * 48)  # Se = 0.9, Sp = 0.8
    yu = np.array([1] * 460 + [0] * 540, dtype=bool)  # apparent prevalence 0.46
    result = judge.rogan_gladen(y, yhat, yu)
    pi = (0.46 + 0.8 - 1) / 0.7
    var = (0.46 * 0.54 / 1000 + pi**2 * 0.9 * 0.1 / 40 + (1 - pi) ** 2 * 0.8 * 0.2 / 60) / 0.7**2
    assert (result.sensitivity, result.specificity, result.apparent_prevalence) == pytest.approx((0.9, 0.8, 0.46))
    assert result.estimate == pytest.approx(pi, abs=1e-14)
    assert result.standard_error == pytest.approx(math.sqrt(var), rel=1e-12)
    np.testing.assert_allclose(result.interval, [pi - Z95 * math.sqrt(var), pi + Z95 * math.sqrt(var)], atol=1e-12)
    assert (result.n_positive, result.n_negative, result.n_unlabeled) == (40, 60, 1000)


def test_rogan_gladen_clips_to_the_unit_interval():
    y = np.array([1] * 50 + [0] * 50)
    yhat = np.array([1] * 45 + [0] * 5 + [1] * 20 + [0] * 30)  # Se 0.9, Sp 0.6: false-positive rate 0.4
    result = judge.rogan_gladen(y, yhat, np.r_[np.ones(30), np.zeros(70)])  # apparent 0.3 < 0.4
    assert result.unclipped < 0 and result.estimate == 0.0
    assert result.interval[0] == 0.0 and 0.0 <= result.interval[1] <= 1.0


def test_rogan_gladen_refuses_a_judge_no_better_than_chance():
    y = np.array([1, 1, 0, 0])
    with pytest.raises(ValueError, match="no better than chance"):
        judge.rogan_gladen(y, np.array([1, 0, 1, 0]), np.array([1, 0, 1]))  # Se + Sp = 1
    with pytest.raises(ValueError, match="no better than chance"):
        judge.rogan_gladen(y, np.array([0, 0, 1, 1]), np.array([1, 0, 1]))  # Se + Sp = 0
    with pytest.raises(ValueError, match="no item labelled 1"):
        judge.rogan_gladen(np.zeros(4), np.array([0, 0, 1, 0]), np.array([1, 0]))
    with pytest.raises(ValueError, match="no item labelled 0"):
        judge.rogan_gladen(np.ones(4), np.array([0, 1, 1, 1]), np.array([1, 0]))
    with pytest.raises(ValueError, match="yhat_unlabeled must be binary"):
        judge.rogan_gladen(y, np.array([1, 1, 0, 0]), np.array([0.5, 1]))


# --------------------------------------------------------------------------
# Coverage by simulation: a judge with a known bias.


def test_corrected_intervals_cover_and_the_judge_alone_does_not():
    rng = np.random.default_rng(20)
    sims, n, big_n, truth = 600, 300, 4000, 0.6
    # The judge passes 90% of correct answers and 40% of wrong ones: it reports 0.70 for 0.60.
    sens, false_pos = 0.9, 0.4
    y = rng.random((sims, n)) < truth
    yhat = np.where(y, rng.random((sims, n)) < sens, rng.random((sims, n)) < false_pos)
    truth_u = rng.random((sims, big_n)) < truth
    yu = np.where(truth_u, rng.random((sims, big_n)) < sens, rng.random((sims, big_n)) < false_pos)
    ppi = [judge.ppi_mean(y[s], yhat[s], yu[s]).interval for s in range(sims)]
    rg = [judge.rogan_gladen(y[s], yhat[s], yu[s]).interval for s in range(sims)]
    boot = [judge.ppboot(y[s], yhat[s], yu[s], reps=400, seed=s).interval for s in range(sims // 3)]
    judge_mean = yu.mean(axis=1)
    judge_half = Z95 * np.sqrt(judge_mean * (1 - judge_mean) / big_n)
    judge_only = np.mean(np.abs(judge_mean - truth) <= judge_half)

    def coverage(bounds):
        bounds = np.array(bounds)
        return np.mean((bounds[:, 0] <= truth) & (truth <= bounds[:, 1]))

    # Binomial error of a 95% rate over 600 (200) simulations: 0.9% (1.5%); allow 3.5 of them.
    assert abs(coverage(ppi) - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / sims)
    assert abs(coverage(rg) - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / sims)
    assert abs(coverage(boot) - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / (sims // 3)) + 0.01  # plus 400-replicate noise
    assert judge_only < 0.01


# --------------------------------------------------------------------------
# Bad input.


def test_inputs_are_never_modified_and_read_only_inputs_work():
    y, yhat, yu = continuous_data(21, n=50, big_n=200)
    w = np.linspace(1, 2, 50)
    copies = [a.copy() for a in (y, yhat, yu, w)]
    for a in (y, yhat, yu, w):
        a.flags.writeable = False
    judge.ppi_mean(y, yhat, yu, w=w)
    judge.ppi_quantile(y, yhat, yu, 0.5, w=w)
    judge.ppboot(y, yhat, yu, reps=50, seed=0)
    judge.ppi_mean_difference(y, yhat, yhat, y, yu, yu[::-1])
    for a, c in zip((y, yhat, yu, w), copies):
        np.testing.assert_array_equal(a, c)
    result = judge.ppi_mean(y.tolist(), yhat.tolist(), yu.tolist())
    assert not result.interval.flags.writeable
    with pytest.raises(AttributeError):
        result.estimate = 0.0  # type: ignore[misc]


ALL = [
    lambda y, yhat, yu, **kw: judge.ppi_mean(y, yhat, yu, **kw),
    lambda y, yhat, yu, **kw: judge.ppi_quantile(y, yhat, yu, 0.5, **kw),
    lambda y, yhat, yu, **kw: judge.ppboot(y, yhat, yu, reps=20, seed=0, **kw),
]


@pytest.mark.parametrize("call", ALL)
def test_bad_arrays_name_the_argument(call):
    y, yhat, yu = np.array([0.0, 1, 1, 0]), np.array([0.0, 1, 0, 0]), np.array([1.0, 0, 1, 1, 0])
    with pytest.raises(ValueError, match="y and yhat must be aligned"):
        call(y, yhat[:3], yu)
    with pytest.raises(ValueError, match="y is empty"):
        call([], [], yu)
    with pytest.raises(ValueError, match="y has 1 item"):
        call([1.0], [1.0], yu)
    with pytest.raises(ValueError, match="yhat_unlabeled is empty"):
        call(y, yhat, [])
    with pytest.raises(ValueError, match="yhat contains NaN"):
        call(y, np.r_[yhat[:3], np.nan], yu)
    with pytest.raises(ValueError, match="yhat_unlabeled contains infinite"):
        call(y, yhat, np.r_[yu, np.inf])
    with pytest.raises(ValueError, match="y must be 1-D"):
        call(y.reshape(2, 2), yhat, yu)
    with pytest.raises(TypeError, match="y must hold real numbers"):
        call(np.array(["a", "b", "c", "d"]), yhat, yu)
    with pytest.raises(TypeError, match="yhat_unlabeled must hold real numbers"):
        call(y, yhat, yu.astype(complex))
    with pytest.raises(TypeError, match="yhat must hold real numbers"):
        call(y, np.array([None, 1, 2, 3], dtype=object), yu)
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1"):
        call(y, yhat, yu, confidence=1.0)
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1"):
        call(y, yhat, yu, confidence=0.0)
    with pytest.raises(TypeError, match="confidence must be a number"):
        call(y, yhat, yu, confidence="0.9")


@pytest.mark.parametrize("call", [ALL[0], ALL[2]])
def test_bad_lam_and_options(call):
    y, yhat, yu = continuous_data(22, n=20, big_n=40)
    for bad in (-0.1, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="lam must lie in"):
            call(y, yhat, yu, lam=bad)
    for bad in ("0.5", True, [0.5]):
        with pytest.raises(TypeError, match="lam must be None or a number"):
            call(y, yhat, yu, lam=bad)
    with pytest.raises(ValueError, match="alternative must be"):
        call(y, yhat, yu, alternative="both")
    with pytest.raises(ValueError, match="clusters has 3 labels"):
        call(y, yhat, yu, clusters=[0, 1, 2])
    with pytest.raises(ValueError, match="clusters_unlabeled: all 40 items are in a single cluster"):
        call(y, yhat, yu, clusters_unlabeled=np.zeros(40))


def test_bad_weights_quantile_and_bootstrap_options():
    y, yhat, yu = continuous_data(23, n=20, big_n=40)
    with pytest.raises(ValueError, match="w must have one weight per item"):
        judge.ppi_mean(y, yhat, yu, w=np.ones(19))
    with pytest.raises(ValueError, match="w_unlabeled contains negative"):
        judge.ppi_mean(y, yhat, yu, w_unlabeled=-np.ones(40))
    with pytest.raises(ValueError, match="w: the weights sum to zero"):
        judge.ppi_quantile(y, yhat, yu, 0.5, w=np.zeros(20))
    with pytest.raises(ValueError, match="w_unlabeled contains NaN"):
        judge.ppi_mean(y, yhat, yu, w_unlabeled=np.full(40, np.nan))
    with pytest.raises(TypeError, match="null must be a number"):
        judge.ppi_mean(y, yhat, yu, null=None)
    for bad in (0.0, 1.0, -1, math.nan):
        with pytest.raises(ValueError, match="q must lie strictly between 0 and 1|q must be finite"):
            judge.ppi_quantile(y, yhat, yu, bad)
    with pytest.raises(TypeError, match="exact_grid must be True or False"):
        judge.ppi_quantile(y, yhat, yu, 0.5, exact_grid="yes")
    with pytest.raises(ValueError, match="method must be 'percentile' or 'basic'"):
        judge.ppboot(y, yhat, yu, method="bca")
    with pytest.raises(ValueError, match="reps must be at least 1"):
        judge.ppboot(y, yhat, yu, reps=0)
    with pytest.raises(ValueError, match="reps_lam must be at least 2"):
        judge.ppboot(y, yhat, yu, reps_lam=1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        judge.ppboot(y, yhat, yu, seed="x")
    with pytest.raises(ValueError, match="n_threads must not be 0"):
        judge.ppboot(y, yhat, yu, n_threads=0)
    with pytest.raises(TypeError, match="return_replicates must be True or False"):
        judge.ppboot(y, yhat, yu, return_replicates=1)
    with pytest.raises(ValueError, match="statistic must be 'mean' or a callable"):
        judge.ppboot(y, yhat, yu, statistic="median")
    with pytest.raises(TypeError, match="statistic must be 'mean' or a callable"):
        judge.ppboot(y, yhat, yu, statistic=3)
    with pytest.raises(ValueError, match="clusters and clusters_unlabeled need statistic='mean'"):
        judge.ppboot(y, yhat, yu, statistic=np.mean, clusters=np.arange(20) // 2)
    with pytest.raises(ValueError, match="must return one number"):
        judge.ppboot(y, yhat, yu, statistic=lambda x: x[:2])
    with pytest.raises(ValueError, match="one number per resample"):
        judge.ppboot(y, yhat, yu, statistic=lambda x, axis: np.sort(x, axis=axis))


def test_difference_checks_the_pairing():
    y, yhat, yu = continuous_data(24, n=20, big_n=40)
    with pytest.raises(ValueError, match="y_a and y_b must be aligned"):
        judge.ppi_mean_difference(y, y[:-1], yhat, yhat, yu, yu)
    with pytest.raises(ValueError, match="y_a and yhat_b must be aligned"):
        judge.ppi_mean_difference(y, y, yhat, yhat[:-1], yu, yu)
    with pytest.raises(ValueError, match="yhat_unlabeled_a and yhat_unlabeled_b must be aligned"):
        judge.ppi_mean_difference(y, y, yhat, yhat, yu, yu[:-1])
    with pytest.raises(ValueError, match="yhat_unlabeled_b contains NaN"):
        judge.ppi_mean_difference(y, y, yhat, yhat, yu, np.full(40, np.nan))


def test_masked_arrays_are_refused_rather_than_read_without_their_mask():
    y, yhat, yu = continuous_data(25, n=20, big_n=40)
    with pytest.raises(ValueError, match="y is a masked array"):
        judge.ppi_mean(np.ma.masked_less(y, 0), yhat, yu)
