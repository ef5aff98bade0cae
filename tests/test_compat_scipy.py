"""precipice.compat.scipy.bootstrap against scipy.stats.bootstrap itself: the same
result object, and intervals and standard errors within Monte Carlo error."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

scipy_stats = pytest.importorskip("scipy.stats")

from precipice.compat import scipy as ps  # noqa: E402

RESAMPLES = 9999


@pytest.fixture(scope="module")
def skewed():
    return np.random.default_rng(0).gamma(2.0, 1.0, 300)


def assert_close_to_scipy(ours, theirs, tolerance=0.2):
    """Bounds within tolerance x (the bootstrap standard error): the two use
    independent resamples, and the Monte Carlo error of a 2.5% quantile of 9999
    replicates is about 0.03 standard errors (0.04 for the difference of two)."""
    se = float(np.max(theirs.standard_error))
    np.testing.assert_allclose(ours.confidence_interval.low, theirs.confidence_interval.low, atol=tolerance * se)
    np.testing.assert_allclose(ours.confidence_interval.high, theirs.confidence_interval.high, atol=tolerance * se)
    np.testing.assert_allclose(ours.standard_error, theirs.standard_error, rtol=0.05)


@pytest.mark.parametrize("statistic", [np.mean, np.median, np.std, np.var])
@pytest.mark.parametrize("method", ["BCa", "percentile", "basic"])
def test_native_statistics_match_scipy(skewed, statistic, method):
    ours = ps.bootstrap((skewed,), statistic, method=method, rng=1)
    theirs = scipy_stats.bootstrap((skewed,), statistic, method=method, rng=1, n_resamples=RESAMPLES)
    assert isinstance(ours.confidence_interval, ps.ConfidenceInterval)
    assert np.ndim(ours.confidence_interval.low) == 0 and np.ndim(ours.standard_error) == 0
    assert ours.bootstrap_distribution.shape == theirs.bootstrap_distribution.shape
    assert_close_to_scipy(ours, theirs)


def test_zero_one_mean_matches_scipy_and_is_binomial():
    x = (np.random.default_rng(1).random(800) < 0.73).astype(float)
    ours = ps.bootstrap((x,), np.mean, rng=2)
    theirs = scipy_stats.bootstrap((x,), np.mean, rng=2)
    assert_close_to_scipy(ours, theirs, tolerance=0.25)
    # the resampled number of ones is an exact Binomial(n, p) draw
    k = np.round(ours.bootstrap_distribution * x.size)
    support = np.arange(520, 650)
    counts = np.array([(k == s).sum() for s in support])
    expected = scipy_stats.binom.pmf(support, x.size, x.mean()) * k.size
    keep = expected > 5
    stat = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert scipy_stats.chi2.sf(stat, keep.sum() - 1) > 1e-4


def test_closed_form_jackknives_are_leave_one_out_values(skewed):
    x = skewed[:60]
    loo = np.array([np.delete(x, i) for i in range(x.size)])
    for kind, func in (("mean", np.mean), ("median", np.median), ("std", np.std), ("var", np.var)):
        _, jack = ps._native_replicates(kind, x, 0, 0, 1, True)
        np.testing.assert_allclose(jack[:, 0], func(loo, axis=1), rtol=1e-10, atol=1e-12)
    # even n for the median as well
    x = x[:59]
    loo = np.array([np.delete(x, i) for i in range(x.size)])
    np.testing.assert_allclose(ps._native_replicates("median", x, 0, 0, 1, True)[1][:, 0], np.median(loo, axis=1))


def test_multidimensional_data_along_an_axis():
    data = np.random.default_rng(3).normal(size=(3, 200, 2)) + np.arange(2)
    for statistic in (np.mean, np.median):
        ours = ps.bootstrap((data,), statistic, axis=1, rng=0, n_resamples=4000)
        theirs = scipy_stats.bootstrap((data,), statistic, axis=1, rng=0, n_resamples=4000)
        assert ours.confidence_interval.low.shape == (3, 2)
        assert ours.bootstrap_distribution.shape == theirs.bootstrap_distribution.shape == (3, 2, 4000)
        assert_close_to_scipy(ours, theirs, tolerance=0.3)


def test_generic_statistics_match_scipy():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=120), rng.normal(size=90) + 0.3

    def q90(v, axis):
        return np.percentile(v, 90, axis=axis)

    def diff(a, b, axis):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    for data, statistic, kwargs in (
        ((x,), q90, {}),
        ((x, y), diff, {}),
        ((x, x + rng.normal(size=120) * 0.1), diff, {"paired": True}),
        ((x,), lambda v: (np.mean(v) + 2.0) ** 2, {"vectorized": False, "n_resamples": 1500}),
    ):
        n = kwargs.pop("n_resamples", 4000)
        ours = ps.bootstrap(data, statistic, rng=5, n_resamples=n, **kwargs)
        theirs = scipy_stats.bootstrap(data, statistic, rng=5, n_resamples=n, **kwargs)
        assert_close_to_scipy(ours, theirs, tolerance=0.4)


def test_native_and_generic_paths_draw_the_same_resamples(skewed):
    native = ps.bootstrap((skewed,), np.mean, rng=7, n_resamples=500, method="percentile")
    generic = ps.bootstrap(
        (skewed,), lambda v, axis: np.mean(v, axis=axis), rng=7, n_resamples=500, method="percentile"
    )
    np.testing.assert_allclose(native.bootstrap_distribution, generic.bootstrap_distribution, rtol=1e-12)


def test_alternatives_and_continuation(skewed):
    less = ps.bootstrap((skewed,), np.mean, alternative="less", rng=0, n_resamples=2000)
    assert less.confidence_interval.low == -np.inf and np.isfinite(less.confidence_interval.high)
    greater = ps.bootstrap((skewed,), np.mean, alternative="greater", rng=0, n_resamples=2000)
    assert greater.confidence_interval.high == np.inf
    more = ps.bootstrap((skewed,), np.mean, rng=1, n_resamples=1000, bootstrap_result=less)
    assert more.bootstrap_distribution.shape == (3000,)
    # scipy's result objects are accepted for continuation too
    theirs = scipy_stats.bootstrap((skewed,), np.mean, rng=1, n_resamples=500)
    assert ps.bootstrap((skewed,), np.mean, n_resamples=0, bootstrap_result=theirs).bootstrap_distribution.size == 500


def test_same_seed_same_result_for_any_thread_count(skewed):
    for statistic in (np.mean, np.median, lambda v, axis: np.max(v, axis=axis)):
        one = ps.bootstrap((skewed,), statistic, rng=11, n_resamples=3000, n_threads=1, method="percentile")
        two = ps.bootstrap((skewed,), statistic, rng=11, n_resamples=3000, n_threads=2, method="percentile")
        assert np.array_equal(one.bootstrap_distribution, two.bootstrap_distribution)
    gen = ps.bootstrap((skewed,), np.mean, rng=np.random.default_rng(3), n_resamples=100)
    assert gen.bootstrap_distribution.shape == (100,)


def test_degenerate_data_warns_like_scipy():
    x = np.ones(50)
    with pytest.warns(ps.DegenerateDataWarning):
        res = ps.bootstrap((x,), np.mean, n_resamples=200, rng=0)
    assert np.isnan(res.confidence_interval.low)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ps.bootstrap((x,), np.mean, n_resamples=200, rng=0, method="percentile")
    assert res.confidence_interval.low == 1.0 and res.standard_error == 0.0


def test_nan_data_falls_back_and_propagates():
    x = np.r_[np.random.default_rng(0).normal(size=30), np.nan]
    with pytest.warns(ps.DegenerateDataWarning):
        res = ps.bootstrap((x,), np.mean, n_resamples=100, rng=0, method="percentile")
    assert np.isnan(res.standard_error)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"data": ([],)}, ValueError),
        ({"data": ([1.0],)}, ValueError),
        ({"data": ()}, ValueError),
        ({"data": 5}, ValueError),
        ({"method": "studentized"}, ValueError),
        ({"alternative": "both"}, ValueError),
        ({"n_resamples": -1}, ValueError),
        ({"n_resamples": 0}, ValueError),
        ({"batch": 0}, ValueError),
        ({"vectorized": "yes"}, ValueError),
        ({"paired": 1.5}, ValueError),
        ({"axis": 1.5}, ValueError),
        ({"confidence_level": 1.5}, ValueError),
        ({"confidence_level": "ni"}, ValueError),
        ({"n_resamples": 10.5}, ValueError),
        ({"batch": 2.5}, ValueError),
        ({"axis": 1}, ValueError),
        ({"rng": "herring"}, TypeError),
        ({"random_state": "herring"}, ValueError),
        ({"data": (np.ones((10, 2)), np.ones(10)), "statistic": lambda a, b, axis: a.mean(axis)}, ValueError),
        ({"data": (["a", "b"],)}, TypeError),
        (
            {"data": ([1.0, 2.0, 3.0], [1.0, 2.0]), "paired": True, "statistic": lambda a, b, axis: a.mean(axis)},
            ValueError,
        ),
        ({"rng": 1, "random_state": 2}, TypeError),
    ],
)
def test_bad_input(kwargs, error):
    args = {"data": ([1.0, 2.0, 3.0],), "statistic": np.mean, "n_resamples": 10}
    args.update(kwargs)
    data = args.pop("data")
    statistic = args.pop("statistic")
    with pytest.raises(error):
        ps.bootstrap(data, statistic, **args)


@pytest.mark.parametrize(
    "statistic", [np.mean, np.median, lambda v, axis: np.percentile(v, 90, axis=axis)], ids=["mean", "median", "q90"]
)
@pytest.mark.parametrize("method", ["BCa", "percentile", "basic"])
def test_float32_data_gives_float32_results_as_scipy(skewed, statistic, method):
    x = skewed[:40].astype(np.float32)
    ours = ps.bootstrap((x,), statistic, n_resamples=300, rng=0, method=method)
    theirs = scipy_stats.bootstrap((x,), statistic, n_resamples=300, rng=0, method=method)
    for mine, ref in (
        (ours.confidence_interval.low, theirs.confidence_interval.low),
        (ours.confidence_interval.high, theirs.confidence_interval.high),
        (ours.standard_error, theirs.standard_error),
        (ours.bootstrap_distribution, theirs.bootstrap_distribution),
    ):
        assert type(mine) is type(ref) and mine.dtype == ref.dtype == np.float32


def test_integer_samples_reach_the_statistic_as_integers():
    """scipy's pattern for a paired bootstrap by hand: resample an index sample."""
    rng = np.random.default_rng(0)
    x, y = rng.random(60), rng.random(60)
    seen = []

    def on_indices(i, axis=-1):
        seen.append(i.dtype)
        return np.mean((x[i] - y[i]) ** 2, axis=axis)

    by_hand = ps.bootstrap((np.arange(60),), on_indices, rng=0, n_resamples=500)
    assert all(dtype.kind == "i" for dtype in seen)
    paired = ps.bootstrap(
        (x, y), lambda a, b, axis=-1: np.mean((a - b) ** 2, axis=axis), paired=True, rng=0, n_resamples=500
    )
    np.testing.assert_allclose(by_hand.confidence_interval, paired.confidence_interval, rtol=1e-12)
    np.testing.assert_allclose(by_hand.standard_error, paired.standard_error, rtol=1e-12)


def test_seeds_are_read_as_scipy_reads_them(skewed):
    def draw(**seed):
        return ps.bootstrap((skewed,), np.mean, n_resamples=50, method="percentile", **seed).bootstrap_distribution

    np.testing.assert_array_equal(draw(rng=0), draw(rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(draw(random_state=0), draw(random_state=np.random.RandomState(0)))
    # scipy seeds a RandomState from random_state and a Generator from rng: different streams
    assert not np.array_equal(draw(rng=0), draw(random_state=0))
    # neither given: numpy's global RandomState, so np.random.seed makes a run reproducible
    np.random.seed(5)
    first = draw()
    np.random.seed(5)
    np.testing.assert_array_equal(draw(), first)
    assert not np.array_equal(draw(), first)
    # a generator passed in advances, as scipy's does
    gen = np.random.default_rng(1)
    assert not np.array_equal(draw(rng=gen), draw(rng=gen))


def test_samples_broadcast_by_scipys_rule():
    """gh-20850: shapes are padded with leading ones before `axis` applies."""
    rng = np.random.default_rng(2)
    x, y = rng.random((10, 2)), rng.random((11, 2))

    def diff(a, b, axis):
        return a.mean(axis=axis) - b.mean(axis=axis)

    assert ps.bootstrap((x, y), diff, n_resamples=50, rng=0).confidence_interval.low.shape == (2,)
    assert ps.bootstrap((x, y[:10, 0:1]), diff, n_resamples=50, rng=0).confidence_interval.low.shape == (2,)
    assert ps.bootstrap((x.T, y.T[0:1, :10]), diff, n_resamples=50, rng=0, axis=1).standard_error.shape == (2,)
    with pytest.raises(ValueError, match="incompatible for broadcasting"):
        ps.bootstrap((x, y[:10, 0]), diff, n_resamples=50, rng=0)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    axis_pick=st.integers(0, 2),
    paired=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.int64]),
    statistic=st.sampled_from(["mean", "two_sample"]),
)
def test_result_shapes_and_dtypes_are_scipys(shape, axis_pick, paired, dtype, statistic):
    axis = axis_pick % len(shape) - len(shape) * (axis_pick % 2)  # negative axes too
    shape[axis] += 2  # two or more observations
    rng = np.random.default_rng(0)
    x = (rng.random(shape) * 10).astype(dtype)
    if statistic == "mean":
        data, func = (x,), np.mean
    else:
        data = (x, (rng.random(shape) * 10).astype(dtype))

        def func(a, b, axis):
            return np.mean(a, axis=axis) - np.median(b, axis=axis)

    ours = ps.bootstrap(data, func, axis=axis, paired=paired, n_resamples=20, rng=0, method="percentile")
    theirs = scipy_stats.bootstrap(data, func, axis=axis, paired=paired, n_resamples=20, rng=0, method="percentile")
    for mine, ref in (
        (ours.confidence_interval.low, theirs.confidence_interval.low),
        (ours.standard_error, theirs.standard_error),
        (ours.bootstrap_distribution, theirs.bootstrap_distribution),
    ):
        assert np.shape(mine) == np.shape(ref)
        assert np.asarray(mine).dtype == np.asarray(ref).dtype


def test_reused_distribution_keeps_its_dtype(skewed):
    x = skewed[:30].astype(np.float32)
    statistic = lambda v, axis: np.percentile(v, 70, axis=axis)  # noqa: E731 - the generic path
    first = ps.bootstrap((x,), statistic, n_resamples=200, rng=0)
    again = ps.bootstrap((x,), statistic, n_resamples=0, bootstrap_result=first, method="percentile")
    theirs = scipy_stats.bootstrap((x,), statistic, n_resamples=0, bootstrap_result=first, method="percentile")
    assert again.bootstrap_distribution.dtype == theirs.bootstrap_distribution.dtype == np.float32
    assert again.confidence_interval.low.dtype == theirs.confidence_interval.low.dtype
