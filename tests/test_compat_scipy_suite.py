"""scipy's own ``TestBootstrap`` (scipy 1.17, the installed
``scipy/stats/tests/test_resampling.py``) run against ``precipice.compat.scipy.bootstrap``.

The test module is imported at run time, not copied: every test of its
``TestBootstrap`` class is inherited below, and an autouse fixture points the names
its tests call (the module's ``bootstrap`` and ``scipy.stats.bootstrap``) at the
compat function. The ``xp`` fixture is NumPy, the one backend the compat layer
supports (scipy's ``skip_xp_backends("numpy")`` marks are honoured).

Deselected, each with its reason and a replacement test of the same property in
this file (they are the only tests that pin numpy's exact random stream):

========================================================  ==================================
scipy test                                                replaced by
========================================================  ==================================
test_bootstrap_against_itself_1samp[basic-1789] (and      test_replaces_against_itself_1samp
[percentile-1790], [BCa-1789]): exact coverage counts
of numpy's stream
test_bootstrap_against_itself_2samp[basic-892] (and       test_replaces_against_itself_2samp
[percentile-890]): exact coverage counts
test_bootstrap_against_theory[basic, percentile, BCa]:    test_replaces_against_theory
tolerances below the Monte Carlo error (standard error
within 3e-4, 1.1 Monte Carlo s.d. at 5000 resamples);
scipy itself passes for 25 of 40 other seeds
test_re_bootstrap[1000]: two calls sharing one Generator  test_replaces_re_bootstrap
equal one call with the summed resamples, i.e. the
Generator's stream continues across calls
test_vector_valued_statistic_gh17715: two calls with one  test_replaces_gh17715
advancing Generator must land on the same atom of a
discrete distribution (scipy gets 0.9 or 0.897959
depending on the seed)
========================================================  ==================================

Not collected: the class's tests of scipy's private helpers, which never call
``bootstrap`` (``_jackknife_resample``, ``_bootstrap_resample``,
``_percentile_of_score``, ``_vectorize_statistic``).
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("scipy", minversion="1.17")
with warnings.catch_warnings():
    # scipy's own markers (skip_xp_backends, xfail_on_32bit, ...) are registered by its conftest only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    scipy_suite = pytest.importorskip("scipy.stats.tests.test_resampling")

import scipy.stats  # noqa: E402
from precipice.compat import scipy as ps  # noqa: E402
from scipy._lib._array_api import array_namespace  # noqa: E402

STREAM_PINNED = {
    **{
        f"test_bootstrap_against_itself_1samp[{m}-{c}]": "exact coverage count of numpy's stream; "
        "see test_replaces_against_itself_1samp"
        for m, c in (("basic", 1789), ("percentile", 1790), ("BCa", 1789))
    },
    **{
        f"test_bootstrap_against_itself_2samp[{m}-{c}]": "exact coverage count of numpy's stream; "
        "see test_replaces_against_itself_2samp"
        for m, c in (("basic", 892), ("percentile", 890))
    },
    **{
        f"test_bootstrap_against_theory[{m}]": "tolerance below the Monte Carlo error, met by scipy's stream; "
        "see test_replaces_against_theory"
        for m in ("basic", "percentile", "BCa")
    },
    "test_re_bootstrap[1000]": "needs the Generator's stream to continue across calls; see test_replaces_re_bootstrap",
    "test_vector_valued_statistic_gh17715": "two calls on one advancing Generator must hit the same atom; "
    "see test_replaces_gh17715",
}


@pytest.fixture
def xp(request):
    for mark in request.node.iter_markers("skip_xp_backends"):
        if mark.args and mark.args[0] == "numpy":
            pytest.skip(mark.kwargs.get("reason") or "scipy skips it for NumPy")
    return array_namespace(np.empty(0))


@pytest.fixture(autouse=True)
def compat_bootstrap(request, monkeypatch):
    if request.node.name in STREAM_PINNED:
        pytest.skip(f"deselected: {STREAM_PINNED[request.node.name]}")
    if request.node.get_closest_marker("xfail_on_32bit") and np.intp(0).itemsize < 8:
        pytest.xfail("scipy marks it as failing on 32-bit platforms")
    monkeypatch.setattr(scipy_suite, "bootstrap", ps.bootstrap)
    monkeypatch.setattr(scipy.stats, "bootstrap", ps.bootstrap)


class TestScipyBootstrap(scipy_suite.TestBootstrap):
    # scipy's private helpers, not bootstrap: nothing of precipice runs in them
    test_jackknife_resample = None
    test_bootstrap_resample = None
    test_percentile_of_score = None
    test_vectorize_statistic = None


def test_scipy_parameter_vectorized():
    scipy_suite.test_parameter_vectorized("bootstrap")


def test_every_deselected_test_exists():
    """The deselection list names tests of this scipy version, no stale ids."""
    names = {name for name in dir(scipy_suite.TestBootstrap) if name.startswith("test_")}
    for test_id in STREAM_PINNED:
        assert test_id.split("[")[0] in names


# --------------------------------------------------------------------------
# Replacements: the same properties, with tolerances set by the Monte Carlo error.


def coverage_is_nominal(count, n, level):
    """A count of intervals holding the true value is consistent with Binomial(n,
    level) (two-sided binomial test at 0.1%: the seed is fixed, so this either
    always passes or always fails; the tolerance says how much room it leaves)."""
    return scipy.stats.binomtest(int(count), n, level).pvalue > 1e-3


@pytest.mark.parametrize("method", ["basic", "percentile", "BCa"])
def test_replaces_against_itself_1samp(method):
    rng = np.random.default_rng(9123847)
    data = rng.normal(5.0, 1.0, size=(2000, 100))
    res = ps.bootstrap(
        (data,), np.mean, confidence_level=0.9, n_resamples=999, batch=50, method=method, axis=-1, rng=rng
    )
    low, high = res.confidence_interval
    assert low.shape == high.shape == (2000,)
    assert coverage_is_nominal(np.count_nonzero((low < 5.0) & (5.0 < high)), 2000, 0.9)


@pytest.mark.parametrize("method", ["basic", "percentile"])
def test_replaces_against_itself_2samp(method):
    rng = np.random.RandomState(0)
    data1 = rng.normal(0.0, 1.0, size=(1000, 100))
    data2 = rng.normal(0.1, 1.0, size=(1000, 120))

    def difference_of_means(a, b, axis=-1):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    res = ps.bootstrap(
        (data1, data2),
        difference_of_means,
        confidence_level=0.9,
        n_resamples=999,
        batch=50,
        method=method,
        axis=-1,
        random_state=rng,
    )
    low, high = res.confidence_interval
    assert coverage_is_nominal(np.count_nonzero((low < -0.1) & (-0.1 < high)), 1000, 0.9)


@pytest.mark.parametrize("method", ["basic", "percentile", "BCa"])
def test_replaces_against_theory(method):
    """The interval and standard error of a mean of 5000 normal values agree with
    the t interval within 4 Monte Carlo standard deviations at 5000 resamples: for
    the standard error SE / sqrt(2 B), for a 2.5% quantile
    sqrt(p (1 - p) / B) / phi(z_p) SE."""
    rng = np.random.default_rng(2442101192988600726)
    data = rng.normal(5.0, 2.0, size=5000)
    reps = 5000
    dist = scipy.stats.t(df=data.size - 1, loc=data.mean(), scale=scipy.stats.sem(data))
    se = dist.std()
    se_tol = 4 * se / np.sqrt(2 * reps)

    def bound_tol(p):
        return 4 * np.sqrt(p * (1 - p) / reps) / scipy.stats.norm.pdf(scipy.stats.norm.ppf(p)) * se

    res = ps.bootstrap((data,), np.mean, n_resamples=reps, method=method, rng=rng, confidence_level=0.95)
    low, high = dist.interval(0.95)
    np.testing.assert_allclose(res.confidence_interval.low, low, atol=bound_tol(0.025))
    np.testing.assert_allclose(res.confidence_interval.high, high, atol=bound_tol(0.025))
    np.testing.assert_allclose(res.standard_error, se, atol=se_tol)
    less = ps.bootstrap(
        (data,), np.mean, n_resamples=0, bootstrap_result=res, method=method, confidence_level=0.95, alternative="less"
    )
    np.testing.assert_allclose(less.confidence_interval.high, dist.ppf(0.95), atol=bound_tol(0.05))
    greater = ps.bootstrap(
        (data,),
        np.mean,
        n_resamples=0,
        bootstrap_result=res,
        method=method,
        confidence_level=0.95,
        alternative="greater",
    )
    np.testing.assert_allclose(greater.confidence_interval.low, dist.ppf(0.05), atol=bound_tol(0.05))


def test_replaces_re_bootstrap():
    """Continuing a result with 1000 more resamples (drawn afresh from the same
    Generator) gives the interval of all 2000, within Monte Carlo error of a fresh
    run of 2000."""
    x = np.random.default_rng(8958153316228384).random(100)
    rng = np.random.default_rng(296689032789913033)
    first = ps.bootstrap((x,), np.mean, n_resamples=1000, rng=rng, confidence_level=0.95, method="percentile")
    res = ps.bootstrap(
        (x,), np.mean, n_resamples=1000, rng=rng, confidence_level=0.90, method="BCa", bootstrap_result=first
    )
    assert res.bootstrap_distribution.shape == (2000,)
    np.testing.assert_array_equal(res.bootstrap_distribution[:1000], first.bootstrap_distribution)
    assert not np.array_equal(res.bootstrap_distribution[1000:], first.bootstrap_distribution)
    again = ps.bootstrap((x,), np.mean, n_resamples=0, confidence_level=0.90, method="BCa", bootstrap_result=res)
    np.testing.assert_allclose(again.confidence_interval, res.confidence_interval, rtol=1e-14)
    np.testing.assert_allclose(again.standard_error, res.standard_error, rtol=1e-14)
    fresh = ps.bootstrap((x,), np.mean, n_resamples=2000, rng=1, confidence_level=0.90, method="BCa")
    np.testing.assert_allclose(res.confidence_interval, fresh.confidence_interval, atol=0.3 * fresh.standard_error)


def test_replaces_gh17715():
    """gh-17715: a multi-sample paired statistic with an extra leading dimension
    gets the interval of the same statistic without it (same seed for both)."""

    def concordance(x, y, axis):
        xm, ym = x.mean(axis), y.mean(axis)
        cov = ((x - xm[..., None]) * (y - ym[..., None])).mean(axis)
        return (2 * cov) / (x.var(axis) + y.var(axis) + (xm - ym) ** 2)

    def statistic(tp, tn, fp, fn, axis):
        return np.nan_to_num(concordance(tp + fp, tp + fn, axis))

    def statistic_extradim(*args, axis):
        return statistic(*args, axis)[np.newaxis, ...]

    data = np.array([[4, 0, 0, 2], [2, 1, 2, 1], [0, 6, 0, 0], [0, 6, 3, 0], [0, 8, 1, 0]]).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 in some resamples, as in scipy's test
        res = ps.bootstrap(data, statistic_extradim, rng=141921000979291141, paired=True)
        ref = ps.bootstrap(data, statistic, rng=np.random.default_rng(141921000979291141), paired=True)
    assert res.confidence_interval.low.shape == (1,)
    np.testing.assert_allclose(res.confidence_interval.low[0], ref.confidence_interval.low, atol=1e-15)
    np.testing.assert_allclose(res.confidence_interval.high[0], ref.confidence_interval.high, atol=1e-15)
