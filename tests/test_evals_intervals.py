"""precipice.evals: Student-t quantiles and intervals, the one-sample bootstrap,
metric callables that work in place, power-analysis ranges, masked and
mixed-type inputs."""

import math
import warnings

import numpy as np
import pytest
from precipice import _core, evals

scipy_stats = pytest.importorskip("scipy.stats")


# --------------------------------------------------------------------------
# Student's t quantile.

T_DFS = [1, 2, 3, 4, 5, 7, 10, 29, 30, 99, 500, 1000, 5000, 19_999, 20_000, 10**5, 10**6, 10**8, 2.5, 0.3, 1.7]
T_PROBS = [1e-12, 1e-8, 1e-5, 1e-3, 0.005, 0.025, 0.05, 0.1, 0.2, 0.25, 0.25000001, 0.3, 0.45, 0.49]


@pytest.mark.parametrize("df", T_DFS)
def test_t_quantile_matches_scipy(df):
    for p in T_PROBS:
        for prob in (p, 1.0 - p):
            want = scipy_stats.t.ppf(prob, df)
            assert evals.t_quantile(prob, df) == pytest.approx(want, rel=1e-12), (prob, df)


def test_t_quantile_random_arguments_match_scipy():
    rng = np.random.default_rng(0)
    for _ in range(400):
        df = float(np.exp(rng.uniform(0.0, 14.0)))
        df = round(df) if rng.random() < 0.5 and df >= 1 else df
        p = float(10 ** rng.uniform(-12, math.log10(0.49)))
        p = 1.0 - p if rng.random() < 0.5 else p
        assert evals.t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-12), (p, df)


def test_t_quantile_near_the_centre():
    # P(T <= t) = 1/2 + f(0) t + O(t^3): scipy's ppf loses digits here (df=4 at
    # 1/2 - 1e-8 it is 60% off), the expansion does not.
    for df in (3, 4, 11, 300):
        f0 = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
        for delta in (1e-8, 1e-6):
            p = 0.5 + delta
            assert evals.t_quantile(p, df) == pytest.approx((p - 0.5) / f0, rel=1e-9)
            assert evals.t_quantile(1.0 - p, df) == -evals.t_quantile(p, df)  # 1 - p is exact here
    assert evals.t_quantile(0.5, 7) == 0.0


def test_t_quantile_bad_arguments():
    for p in (0.0, 1.0, -0.1, math.nan):
        with pytest.raises(ValueError, match="^p "):
            evals.t_quantile(p, 5)
    with pytest.raises(ValueError, match="^df "):
        evals.t_quantile(0.9, 0)
    with pytest.raises(TypeError, match="^df "):
        evals.t_quantile(0.9, "5")


# --------------------------------------------------------------------------
# Standard errors: t intervals, one item, one cluster.


def test_t_interval_uses_n_minus_one_degrees_of_freedom():
    rng = np.random.default_rng(1)
    s = rng.random(12)
    res = evals.standard_error(s)
    assert res.df == 11
    half = scipy_stats.t.ppf(0.975, 11) * res.standard_error
    np.testing.assert_allclose(res.interval(kind="t"), (s.mean() - half, s.mean() + half), rtol=1e-13)
    normal = res.interval()
    assert res.interval(kind="normal") == normal
    assert normal[1] - normal[0] < res.interval(kind="t")[1] - res.interval(kind="t")[0]
    _, hi = res.interval(0.8, kind="t")
    assert hi - s.mean() == pytest.approx(scipy_stats.t.ppf(0.9, 11) * res.standard_error, rel=1e-13)
    with pytest.raises(ValueError, match="kind"):
        res.interval(kind="studentized")


def test_clustered_t_interval_uses_clusters_minus_one():
    rng = np.random.default_rng(2)
    clusters = np.repeat(np.arange(6), 4)
    s = rng.random(24)
    res = evals.standard_error(s, clusters=clusters)
    assert res.df == 5
    half = scipy_stats.t.ppf(0.975, 5) * res.standard_error
    np.testing.assert_allclose(res.interval(kind="t"), (s.mean() - half, s.mean() + half), rtol=1e-13)


def test_one_item_or_one_cluster_is_nan_with_a_warning():
    with pytest.warns(evals.TooFewItemsWarning, match="single item"):
        res = evals.standard_error([1.0])
    assert math.isnan(res.standard_error)
    assert all(math.isnan(v) for v in res.interval(kind="t")) and all(math.isnan(v) for v in res.interval())
    with pytest.warns(evals.TooFewItemsWarning, match="single cluster"):
        res = evals.standard_error([1.0, 0.0, 1.0], clusters=["q", "q", "q"])
    assert math.isnan(res.standard_error) and res.df == 0
    assert all(math.isnan(v) for v in res.interval(kind="t"))
    assert issubclass(evals.TooFewItemsWarning, UserWarning)


# --------------------------------------------------------------------------
# The one-sample bootstrap.


def test_bootstrap_interval_mean_matches_resampled_items():
    rng = np.random.default_rng(3)
    s = rng.normal(size=120)
    res = evals.bootstrap_interval(s, reps=400, seed=5, return_replicates=True)
    assert res.estimate == pytest.approx(s.mean())
    # The slow, obvious reference: the mean of the resampled items of each replicate.
    idx = _core.evals.resample_indices(s.size, s.size, 5, 0, 400, 0, 1)
    np.testing.assert_allclose(res.replicates, s[idx].mean(axis=1), atol=1e-12)
    generic = evals.bootstrap_interval(s, np.mean, reps=400, seed=5, return_replicates=True)
    np.testing.assert_allclose(generic.replicates, res.replicates, atol=1e-12)
    unvectorised = evals.bootstrap_interval(s, lambda x: float(np.mean(x)), reps=400, seed=5, return_replicates=True)
    np.testing.assert_allclose(unvectorised.replicates, res.replicates, atol=1e-12)
    want = np.percentile(res.replicates, [2.5, 97.5])
    np.testing.assert_allclose(res.interval, want, rtol=1e-12)
    assert res.lower < res.estimate < res.upper and res.n == 120 and res.statistic == "mean"


def test_bootstrap_interval_reproducible_across_threads():
    s = (np.random.default_rng(4).random(5000) < 0.7).astype(float)
    one = evals.bootstrap_interval(s, reps=3000, seed=11, n_threads=1, return_replicates=True)
    many = evals.bootstrap_interval(s, reps=3000, seed=11, n_threads=3, return_replicates=True)
    np.testing.assert_array_equal(one.replicates, many.replicates)
    # 0/1 scores: one exact binomial draw per replicate, sd sqrt(p (1 - p) / n)
    assert one.standard_error == pytest.approx(math.sqrt(s.mean() * (1 - s.mean()) / s.size), rel=0.06)


def test_bootstrap_interval_clusters_and_bca():
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(40), 10)
    s = rng.normal(size=40)[clusters] + rng.normal(size=400) * 0.5
    flat = evals.bootstrap_interval(s, reps=4000, seed=1)
    clustered = evals.bootstrap_interval(s, clusters=clusters, reps=4000, seed=1, method="bca", return_replicates=True)
    assert clustered.n_clusters == 40
    assert clustered.upper - clustered.lower > 1.5 * (flat.upper - flat.lower)
    se = evals.standard_error(s, clusters=clusters).standard_error
    assert clustered.standard_error == pytest.approx(se, rel=0.1)
    generic = evals.bootstrap_interval(
        s, lambda x: x.mean(), clusters=clusters, reps=300, seed=1, return_replicates=True
    )
    np.testing.assert_allclose(generic.replicates, clustered.replicates[:300], atol=1e-12)
    median = evals.bootstrap_interval(s, np.median, reps=500, seed=2, method="bca")
    assert median.lower < np.median(s) < median.upper


def test_bootstrap_interval_one_item_or_one_cluster_is_nan():
    with pytest.warns(evals.TooFewItemsWarning, match="single item"):
        res = evals.bootstrap_interval([0.7], reps=100, seed=0)
    assert res.estimate == 0.7 and np.isnan(res.interval).all() and math.isnan(res.standard_error)
    with pytest.warns(evals.TooFewItemsWarning, match="single cluster"):
        res = evals.bootstrap_interval([1.0, 0.0], clusters=[3, 3], reps=100, seed=0)
    assert np.isnan(res.interval).all()
    with pytest.warns(evals.TooFewItemsWarning):
        res = evals.paired_bootstrap([1.0], [0.0], reps=100, seed=0)
    assert res.difference == 1.0 and np.isnan(res.interval).all() and math.isnan(res.p_value)
    with pytest.warns(evals.TooFewItemsWarning):
        evals.bootstrap_interval([1.0, np.nan], nan_policy="omit", reps=10, seed=0)
    # the paired z test with one cluster: NaN, not the p = 0 of an infinite z
    with pytest.warns(evals.TooFewItemsWarning, match="paired_test"):
        res = evals.paired_test([1.0, 1.0, 0.0], [0.0, 0.0, 0.0], clusters=[7, 7, 7])
    assert math.isnan(res.p_value) and math.isnan(res.statistic) and np.isnan(res.interval).all()


def test_bootstrap_interval_bad_input():
    with pytest.raises(ValueError, match="statistic"):
        evals.bootstrap_interval([1.0, 0.0], "median")
    with pytest.raises(TypeError, match="statistic"):
        evals.bootstrap_interval([1.0, 0.0], 3)
    with pytest.raises(ValueError, match="method"):
        evals.bootstrap_interval([1.0, 0.0], method="t")
    with pytest.raises(TypeError, match="return_replicates"):
        evals.bootstrap_interval([1.0, 0.0], return_replicates="yes")
    with pytest.raises(TypeError, match="return_replicates"):
        evals.paired_bootstrap([1.0, 0.0], [0.0, 1.0], return_replicates=1)
    with pytest.raises(ValueError, match="aligned"):
        evals.bootstrap_interval([1.0, 0.0], clusters=[1])
    with pytest.raises(ValueError, match="must return one number, got an array of shape \\(2,\\)"):
        evals.bootstrap_interval([1.0, 0.0, 1.0], lambda x: x[:2], reps=5, seed=0)


# --------------------------------------------------------------------------
# A metric that works in place never sees the caller's arrays (#17 item 1).


def _sorting_median(x):
    x.sort()
    return x[x.size // 2]


def test_in_place_metric_leaves_caller_arrays_and_result_alone():
    np.random.seed(0)
    a = np.random.rand(200)
    b = a + np.random.normal(0, 0.05, 200)
    a0, b0 = a.copy(), b.copy()
    mutating = evals.paired_bootstrap(a, b, metric=lambda x: (x.sort(), x[100])[1], reps=2000, seed=0)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    pure = evals.paired_bootstrap(a, b, metric=lambda x: np.sort(x)[100], reps=2000, seed=0)
    assert mutating.difference == pure.difference
    np.testing.assert_array_equal(mutating.interval, pure.interval)
    # every path that calls the metric: clusters, the jackknife of BCa, one sample
    clusters = np.repeat(np.arange(50), 4)
    for kwargs in ({"clusters": clusters}, {"method": "bca"}, {"method": "bca", "clusters": clusters}):
        m = evals.paired_bootstrap(a, b, metric=_sorting_median, reps=300, seed=1, **kwargs)
        p = evals.paired_bootstrap(a, b, metric=lambda x: np.sort(x)[x.size // 2], reps=300, seed=1, **kwargs)
        np.testing.assert_array_equal(m.interval, p.interval)
        m = evals.bootstrap_interval(a, _sorting_median, reps=300, seed=1, **kwargs)
        p = evals.bootstrap_interval(a, lambda x: np.sort(x)[x.size // 2], reps=300, seed=1, **kwargs)
        np.testing.assert_array_equal(m.interval, p.interval)
        assert m.estimate == p.estimate
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_in_place_vectorised_metric():
    def sorting_median(x, axis=-1):
        x.sort(axis=axis)
        return np.take(x, x.shape[axis] // 2, axis=axis)

    a = np.random.default_rng(6).random(101)
    a0 = a.copy()
    m = evals.bootstrap_interval(a, sorting_median, reps=500, seed=3, return_replicates=True)
    p = evals.bootstrap_interval(a, lambda x: float(np.sort(x)[x.size // 2]), reps=500, seed=3, return_replicates=True)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(m.replicates, p.replicates)


# --------------------------------------------------------------------------
# Power analysis: closed form and bisection, ranges (#17 items 9 and 16).


def _linear_sample_size(effect, alternative="two-sided", **kwargs):
    n = 2
    while evals.power(effect, n, alternative=alternative, **kwargs) < 0.8:
        n += 1
    return n


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
@pytest.mark.parametrize("effect", [0.5, 0.3, 0.12, 0.07])
def test_sample_size_is_the_fewest_items_reaching_the_power(effect, alternative):
    assert evals.sample_size(effect, alternative=alternative) == _linear_sample_size(effect, alternative)
    assert evals.sample_size(effect, alternative=alternative, correlation=0.4, sd_b=0.3) == _linear_sample_size(
        effect, alternative, correlation=0.4, sd_b=0.3
    )


def test_sample_size_of_tiny_effects_returns_at_once():
    n = evals.sample_size(1e-7)
    assert evals.power(1e-7, n) >= 0.8 > evals.power(1e-7, n - 1)
    # the one-tail formula bounds the two-sided answer (the far tail adds 1e-6 of power)
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert n <= (z * math.sqrt(0.5) / 1e-7) ** 2
    one_sided = evals.sample_size(1e-7, alternative="greater")
    z = scipy_stats.norm.ppf(0.95) + scipy_stats.norm.ppf(0.8)
    assert one_sided == pytest.approx((z * math.sqrt(0.5) / 1e-7) ** 2, rel=1e-9)
    with pytest.raises(ValueError, match="effect=1e-200 is too small.*2\\*\\*53"):
        evals.sample_size(1e-200)
    with pytest.raises(ValueError, match="effect=1e-09 is too small"):
        evals.sample_size(1e-9)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: evals.sample_size(0.1, sd=1e200), r"^sd must lie in \[1e-100, 1e\+100\]"),
        (lambda: evals.sample_size(0.1, sd_b=1e-300), r"^sd_b must lie in"),
        (lambda: evals.power(0.1, 10**400), r"^n must lie in \[2, 2\*\*53\].*401 digits"),
        (lambda: evals.power(0.1, 2**53 + 1), r"^n must lie in \[2, 2\*\*53\]"),
        (lambda: evals.min_detectable_effect(100, sd=1e300), r"^sd must lie in"),
        (lambda: evals.min_detectable_effect(10**30), r"^n must lie in"),
    ],
)
def test_power_arguments_out_of_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_power_at_the_range_ends_is_finite():
    assert 0.0 <= evals.power(0.1, 2**53) <= 1.0
    assert math.isfinite(evals.min_detectable_effect(100, sd=1e100))
    assert evals.min_detectable_effect(100, sd=1e100) == pytest.approx(evals.min_detectable_effect(100) * 2e100)


# --------------------------------------------------------------------------
# Cluster labels and masked arrays.


def test_mixed_type_cluster_labels_are_a_type_error():
    labels = np.array([1, "a", 2, "b"], dtype=object)
    with pytest.raises(TypeError, match="^clusters must be labels of one kind.*int, str"):
        evals.standard_error([1.0, 0.0, 1.0, 1.0], clusters=labels)
    with pytest.raises(TypeError, match="^clusters"):
        evals.paired_bootstrap([1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], clusters=[None, 1, 2, 3])
    # one kind works: strings, numbers
    assert evals.standard_error([1.0, 0.0, 1.0, 1.0], clusters=["a", "b", "a", "b"]).n_clusters == 2


def test_masked_item_scores():
    s = np.ma.masked_array([1.0, 0.0, 1.0, 1e6], mask=[0, 0, 0, 1])
    with pytest.raises(ValueError, match="^scores is a masked array with 1 masked entries.*nan_policy='omit'"):
        evals.standard_error(s)
    with pytest.raises(ValueError, match="^a is a masked array"):
        evals.paired_test(s, [0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="masked"):
        evals.bootstrap_interval(s, reps=10, seed=0)
    assert evals.standard_error(s, nan_policy="omit").mean == pytest.approx(2 / 3)
    assert evals.bootstrap_interval(s, nan_policy="omit", reps=10, seed=0).n == 3
    assert evals.paired_test(s, [0.0, 0.0, 1.0, 1.0], nan_policy="omit").n == 3
    # a mask that hides nothing is an ordinary array
    assert evals.standard_error(np.ma.masked_array([1.0, 0.0], mask=[0, 0])).mean == 0.5
    with pytest.raises(ValueError, match="^clusters is a masked array"):
        evals.standard_error([1.0, 0.0], clusters=np.ma.masked_array([1, 2], mask=[0, 1]))


def test_item_scores_are_read_only_inside():
    s = np.array([1.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evals.standard_error(s)
    assert s.flags.writeable  # the caller's array keeps its flags
