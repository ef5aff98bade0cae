"""precipice.evals: the resampling kernels (exact binomial and multinomial draws,
index-draw sums, order statistics), standard errors, paired comparisons, power."""

import math

import numpy as np
import pytest
from precipice import _core, _resample, evals

scipy_stats = pytest.importorskip("scipy.stats")


def chi_square_pvalue(observed_values, pmf_support, pmf):
    """Chi-square goodness of fit of integer draws to a pmf, bins with expectation < 5 pooled."""
    counts = np.array([(observed_values == k).sum() for k in pmf_support], dtype=float)
    expected = pmf * observed_values.size
    keep = expected >= 5
    obs = np.append(counts[keep], observed_values.size - counts[keep].sum())
    exp = np.append(expected[keep], observed_values.size - expected[keep].sum())
    if exp[-1] < 5:  # fold a tiny remainder into the last kept bin
        obs[-2] += obs[-1]
        exp[-2] += exp[-1]
        obs, exp = obs[:-1], exp[:-1]
    return scipy_stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


# --------------------------------------------------------------------------
# The exact binomial sampler.

BINOMIAL_CASES = [
    (1, 0.5),  # inversion, smallest
    (7, 0.3),  # inversion
    (60, 0.1),  # inversion near the switch (n p = 6)
    (40, 0.25),  # BTRD at n p = 10
    (200, 0.5),  # BTRD, symmetric
    (1000, 0.93),  # BTRD on the flipped side
    (10**6, 0.3),  # BTRD, large n: the Stirling-corrected final test
    (5000, 0.0004),  # inversion, tiny p
    (30, 0.8),  # inversion after the flip
]


@pytest.mark.parametrize("n,p", BINOMIAL_CASES)
def test_binomial_draws_follow_the_binomial_pmf(n, p):
    draws = _core.evals.binomial_draws(n, p, 12345, 0, 60_000, 2)
    lo, hi = int(scipy_stats.binom.ppf(1e-9, n, p)), int(scipy_stats.binom.isf(1e-9, n, p))
    support = np.arange(lo, hi + 1)
    assert draws.min() >= 0 and draws.max() <= n
    assert chi_square_pvalue(draws, support, scipy_stats.binom.pmf(support, n, p)) > 1e-4
    # mean and variance within 5 standard errors of theirs
    mu, var = n * p, n * p * (1 - p)
    assert abs(draws.mean() - mu) < 5 * math.sqrt(var / draws.size)
    assert abs(draws.var() / var - 1) < 5 * math.sqrt(2 / draws.size)


def test_binomial_edge_cases():
    assert (_core.evals.binomial_draws(0, 0.4, 1, 0, 100, 1) == 0).all()
    assert (_core.evals.binomial_draws(50, 0.0, 1, 0, 100, 1) == 0).all()
    assert (_core.evals.binomial_draws(50, 1.0, 1, 0, 100, 1) == 50).all()
    with pytest.raises(ValueError):
        _core.evals.binomial_draws(5, 1.5, 1, 0, 10, 1)
    with pytest.raises(ValueError):
        _core.evals.binomial_draws(-1, 0.5, 1, 0, 10, 1)


def test_binomial_draws_are_a_function_of_seed_and_replicate():
    full = _core.evals.binomial_draws(500, 0.37, 99, 0, 3000, 1)
    assert np.array_equal(full, _core.evals.binomial_draws(500, 0.37, 99, 0, 3000, 2))
    assert np.array_equal(full[1000:], _core.evals.binomial_draws(500, 0.37, 99, 1000, 2000, 2))
    assert not np.array_equal(full, _core.evals.binomial_draws(500, 0.37, 100, 0, 3000, 1))


# --------------------------------------------------------------------------
# Resampled sums.


def test_index_draw_sums_are_the_sums_of_the_resampled_rows():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(53, 3))
    sums = _core.evals.resampled_sums(rows, None, 53, 7, 10, 40, 1)
    idx = _core.evals.resample_indices(53, 53, 7, 10, 40, 0, 1)
    np.testing.assert_allclose(sums, rows[idx].sum(axis=1), rtol=1e-12, atol=1e-12)
    # one column and a width without a fixed-width kernel too
    for d in (1, 6):
        r = rng.normal(size=(20, d))
        np.testing.assert_allclose(
            _core.evals.resampled_sums(r, None, 20, 3, 0, 5, 1),
            r[_core.evals.resample_indices(20, 20, 3, 0, 5, 0, 1)].sum(axis=1),
            atol=1e-12,
        )


def test_resampled_sums_do_not_depend_on_threads_or_split():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(300, 2))
    counts = np.array([5, 100, 195], dtype=np.int64)
    for mult, data in ((None, rows), (counts, rows[:3])):
        full = _core.evals.resampled_sums(data, mult, 300, 42, 0, 500, 1)
        assert np.array_equal(full, _core.evals.resampled_sums(data, mult, 300, 42, 0, 500, 2))
        assert np.array_equal(full[123:], _core.evals.resampled_sums(data, mult, 300, 42, 123, 377, 2))


def test_zero_one_resampled_mean_is_an_exact_binomial():
    n, ones = 400, 280
    sums = _core.evals.resampled_sums(np.array([[0.0], [1.0]]), np.array([n - ones, ones]), n, 5, 0, 50_000, 2)
    k = sums[:, 0]
    assert np.array_equal(k, np.round(k))
    support = np.arange(200, 361)
    assert chi_square_pvalue(k, support, scipy_stats.binom.pmf(support, n, ones / n)) > 1e-4


def test_multinomial_sums_match_item_resampling_moments():
    # Three categories: the resampled counts have multinomial means and covariances.
    counts = np.array([50, 30, 20], dtype=np.int64)
    n = 100
    k = _core.evals.resampled_sums(np.eye(3), counts, n, 11, 0, 40_000, 2)
    p = counts / n
    np.testing.assert_allclose(k.mean(axis=0), n * p, atol=5 * np.sqrt(n * p * (1 - p) / k.shape[0]).max())
    cov = np.cov(k.T)
    expected = n * (np.diag(p) - np.outer(p, p))
    np.testing.assert_allclose(cov, expected, atol=0.05 * expected.max())
    assert (k.sum(axis=1) == n).all()


def test_sum_replicates_compresses_few_distinct_rows():
    x = np.tile([0.0, 1.0, 1.0], 100)
    rows, mult = _resample.compress_rows(x[:, None])
    assert rows.shape == (2, 1) and mult.tolist() == [100, 200]
    continuous = np.random.default_rng(0).normal(size=(300, 1))
    assert _resample.compress_rows(continuous)[1] is None


def test_bad_kernel_arguments_raise():
    with pytest.raises(ValueError, match="multiplicity"):
        _core.evals.resampled_sums(np.eye(2), np.array([1, -1]), 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="multiplicity"):
        _core.evals.resampled_sums(np.eye(2), np.array([1]), 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="rows"):
        _core.evals.resampled_sums(np.empty((0, 2)), None, 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="values"):
        _core.evals.resampled_order_statistic(np.array([2.0, 1.0]), np.array([1, 1]), 0, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="ranks"):
        _core.evals.resampled_order_statistic(np.array([1.0, 2.0]), np.array([1, 1]), 1, 0, 0, 0, 1, 1)


# --------------------------------------------------------------------------
# Order statistics from counts.


def test_order_statistic_by_index_draws_is_the_resampled_median():
    # Many distinct values: items are drawn, so the result is the median of the
    # sorted values at the drawn positions.
    x = np.sort(np.random.default_rng(3).normal(size=101))
    x[10] = x[11]  # a tie
    values, counts = np.unique(x, return_counts=True)
    n = x.size
    med = _core.evals.resampled_order_statistic(values, counts, (n - 1) // 2, n // 2, 8, 0, 200, 1)
    idx = _core.evals.resample_indices(n, n, 8, 0, 200, 0, 1)
    np.testing.assert_array_equal(med, np.median(x[idx], axis=1))
    upper = _core.evals.resampled_order_statistic(values, counts, n // 2, n // 2, 8, 0, 200, 1)
    np.testing.assert_array_equal(upper, np.sort(x[idx], axis=1)[:, n // 2])


def test_order_statistic_by_binomials_has_the_resampled_median_distribution():
    # Few distinct values: conditional binomials. Compare the distribution of the
    # even-n median (which averages two ranks) with numpy's resampling.
    values = np.array([0.0, 1.0, 2.0, 3.0])
    counts = np.array([30, 50, 60, 60], dtype=np.int64)
    n = int(counts.sum())
    ours = _core.evals.resampled_order_statistic(values, counts, (n - 1) // 2, n // 2, 4, 0, 40_000, 2)
    x = np.repeat(values, counts)
    ref = np.median(x[np.random.default_rng(0).integers(0, n, (40_000, n))], axis=1)
    support = np.unique(np.concatenate([ours, ref]))
    table = np.array([[(ours == v).sum() for v in support], [(ref == v).sum() for v in support]])
    table = table[:, table.sum(axis=0) >= 10]
    assert scipy_stats.chi2_contingency(table).pvalue > 1e-4


# --------------------------------------------------------------------------
# Standard errors.


def test_clt_standard_error():
    s = np.random.default_rng(0).random(50)
    se = evals.standard_error(s)
    assert se.mean == pytest.approx(s.mean())
    assert se.standard_error == pytest.approx(s.std(ddof=1) / np.sqrt(50))
    assert se.design_effect == 1.0 and se.n_clusters is None
    lo, hi = se.interval(0.95)
    assert lo == pytest.approx(s.mean() - 1.959963984540054 * se.standard_error)


def test_clustered_standard_error_formula():
    rng = np.random.default_rng(1)
    clusters = np.repeat(np.arange(20), 5)
    s = rng.normal(size=20)[clusters] + rng.normal(size=100)
    se = evals.standard_error(s, clusters)
    d = s - s.mean()
    totals = np.array([d[clusters == c].sum() for c in range(20)])
    expected = np.sqrt(20 / 19 * (totals**2).sum()) / 100
    assert se.standard_error == pytest.approx(expected)
    assert se.design_effect == pytest.approx((expected / se.clt_standard_error) ** 2)
    assert se.icc == pytest.approx((se.design_effect - 1) / 4)
    assert se.design_effect > 1.5  # clustered items share a cluster effect
    # labels of any kind; singleton clusters reproduce the CLT standard error
    assert evals.standard_error(s, clusters.astype(str)).standard_error == pytest.approx(expected)
    single = evals.standard_error(s, np.arange(100))
    assert single.standard_error == pytest.approx(single.clt_standard_error)
    assert math.isnan(single.icc)


def test_standard_error_bad_input():
    with pytest.raises(ValueError, match="empty"):
        evals.standard_error([])
    with pytest.raises(ValueError, match="NaN"):
        evals.standard_error([1.0, np.nan, 0.0])
    assert evals.standard_error([1.0, np.nan, 0.0], nan_policy="omit").n == 2
    with pytest.raises(ValueError, match="aligned"):
        evals.standard_error([1.0, 0.0, 1.0], clusters=[0, 1])
    with pytest.raises(TypeError, match="real numbers"):
        evals.standard_error(["a", "b"])
    with pytest.raises(ValueError, match="nan_policy"):
        evals.standard_error([1.0, 0.0], nan_policy="drop")


# --------------------------------------------------------------------------
# Paired comparisons.


def _paired_scores(n=400, seed=0):
    rng = np.random.default_rng(seed)
    difficulty = rng.random(n)
    a = (rng.random(n) < 0.2 + 0.7 * difficulty).astype(float)
    b = (rng.random(n) < 0.15 + 0.7 * difficulty).astype(float)
    return a, b


def test_paired_bootstrap_mean_of_zero_one_scores():
    a, b = _paired_scores()
    res = evals.paired_bootstrap(a, b, reps=20_000, seed=3, return_replicates=True)
    assert res.difference == pytest.approx(a.mean() - b.mean())
    analytic = evals.paired_test(a, b)
    assert res.standard_error == pytest.approx(analytic.standard_error * np.sqrt((a.size - 1) / a.size), rel=0.05)
    assert res.lower < res.difference < res.upper
    assert res.replicates.shape == (20_000,)
    same = evals.paired_bootstrap(a, b, reps=20_000, seed=3, n_threads=1)
    assert np.array_equal(same.interval, res.interval) and same.p_value == res.p_value
    # a large difference: a tiny p-value; none: 1
    assert evals.paired_bootstrap(a, np.zeros_like(a), reps=2000, seed=1).p_value < 0.001
    null = evals.paired_bootstrap(a, a.copy(), reps=2000, seed=1)
    assert null.difference == 0 and null.p_value == 1.0


def test_paired_bootstrap_native_and_callable_paths_draw_the_same_resamples():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=150), rng.normal(size=150) + 0.1
    native = evals.paired_bootstrap(a, b, reps=300, seed=9, return_replicates=True)
    generic = evals.paired_bootstrap(a, b, metric=np.mean, reps=300, seed=9, return_replicates=True)
    np.testing.assert_allclose(native.replicates, generic.replicates, atol=1e-12)
    clusters = np.repeat(np.arange(30), 5)
    native = evals.paired_bootstrap(a, b, reps=200, seed=9, clusters=clusters, return_replicates=True)
    generic = evals.paired_bootstrap(
        a, b, metric=lambda x: x.mean(), reps=200, seed=9, clusters=clusters, return_replicates=True
    )
    np.testing.assert_allclose(native.replicates, generic.replicates, atol=1e-12)
    assert native.n_clusters == 30


def test_paired_bootstrap_bca_and_cluster_width():
    rng = np.random.default_rng(4)
    clusters = np.repeat(np.arange(40), 10)
    shared = rng.normal(size=40)[clusters]
    a = shared + rng.normal(size=400) * 0.5 + 0.05
    b = rng.normal(size=400)
    flat = evals.paired_bootstrap(a, b, reps=4000, seed=1)
    clustered = evals.paired_bootstrap(a, b, reps=4000, seed=1, clusters=clusters, method="bca")
    # the cluster bootstrap sees the shared effects: a wider interval
    assert clustered.upper - clustered.lower > 1.5 * (flat.upper - flat.lower)
    se = evals.paired_test(a, b, clusters=clusters).standard_error
    assert clustered.standard_error == pytest.approx(se, rel=0.1)


def test_paired_bad_input():
    with pytest.raises(ValueError, match="paired"):
        evals.paired_bootstrap([1.0, 0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="aligned"):
        evals.paired_bootstrap([1.0, 0.0], [1.0, 0.0], clusters=[1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        evals.paired_bootstrap([1.0, np.nan], [1.0, 0.0])
    with pytest.raises(ValueError, match="empty"):
        evals.paired_test([], [])
    with pytest.raises(ValueError, match="metric"):
        evals.paired_bootstrap([1.0, 0.0], [1.0, 0.0], metric="median")
    with pytest.raises(ValueError, match="method"):
        evals.paired_bootstrap([1.0, 0.0], [1.0, 0.0], method="studentized")
    res = evals.paired_bootstrap([1.0, np.nan, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], nan_policy="omit", reps=100)
    assert res.n == 3


def test_paired_test_matches_the_formula():
    a, b = _paired_scores(seed=5)
    res = evals.paired_test(a, b)
    d = a - b
    assert res.difference == pytest.approx(d.mean())
    assert res.standard_error == pytest.approx(d.std(ddof=1) / np.sqrt(d.size))
    assert res.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(res.statistic)))
    assert res.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    greater = evals.paired_test(a, b, alternative="greater")
    assert greater.p_value == pytest.approx(scipy_stats.norm.sf(res.statistic))


def test_mcnemar_exact_matches_a_binomial_test():
    a, b = _paired_scores(seed=6)
    res = evals.mcnemar(a, b)
    n10, n01 = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    assert (res.a_only, res.b_only) == (n10, n01)
    assert res.p_value == pytest.approx(scipy_stats.binomtest(n10, n10 + n01, 0.5).pvalue, rel=1e-9)
    assert evals.mcnemar(a, b, alternative="greater").p_value == pytest.approx(
        scipy_stats.binomtest(n10, n10 + n01, 0.5, alternative="greater").pvalue, rel=1e-9
    )
    assert evals.mcnemar(a, b, alternative="less").p_value == pytest.approx(
        scipy_stats.binomtest(n10, n10 + n01, 0.5, alternative="less").pvalue, rel=1e-9
    )
    assert evals.mcnemar(a, a).p_value == 1.0
    with pytest.raises(ValueError, match="0/1"):
        evals.mcnemar([0.0, 0.5, 1.0], [0.0, 1.0, 1.0])


# --------------------------------------------------------------------------
# Power.


def test_power_formula_and_inverses():
    # Independent systems with sd 0.5 each: Var(d) = 0.5, SE = sqrt(0.5 / n).
    p = evals.power(0.05, 1000)
    se = np.sqrt(0.5 / 1000)
    expected = scipy_stats.norm.cdf(0.05 / se - 1.959963984540054) + scipy_stats.norm.cdf(
        -0.05 / se - 1.959963984540054
    )
    assert p == pytest.approx(expected)
    n = evals.sample_size(0.05, power=0.8)
    assert evals.power(0.05, n) >= 0.8 > evals.power(0.05, n - 1)
    mde = evals.min_detectable_effect(n, power=0.8)
    assert evals.power(mde, n) == pytest.approx(0.8, abs=1e-9)
    assert mde <= 0.05
    # correlation between systems, more samples per item, and clustering move n the right way
    assert evals.sample_size(0.05, correlation=0.5) < n
    assert evals.sample_size(0.05, samples_per_item=10, within_item_share=0.6) < n
    assert evals.sample_size(0.05, cluster_size=5, icc=0.2) > n
    assert evals.min_detectable_effect(500, alternative="less") < 0


def test_power_bad_input():
    with pytest.raises(ValueError, match="correlation"):
        evals.power(0.1, 100, correlation=1.5)
    with pytest.raises(TypeError, match="n"):
        evals.power(0.1, 100.5)
    with pytest.raises(ValueError, match="never"):
        evals.sample_size(0.0)
    with pytest.raises(ValueError, match="alpha"):
        evals.power(0.1, 100, alpha=0.0)
