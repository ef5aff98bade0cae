"""One definition of BCa per API, each pinned against its reference.

BCa's bias correction is z0 = Phi^-1(share of replicates below the point
estimate). Two rules exist for the replicates *equal* to it, which a statistic of
few distinct values (a median, a quantile, scores on a grid) produces in bulk:

- ``precipice.compat.scipy.bootstrap`` counts them as half (scipy's
  ``_percentile_of_score``), because it is a drop-in for scipy;
- ``precipice.bootstrap.interval_estimates`` (and the rliable drop-in, through arch)
  counts strictly below: Efron & Tibshirani (1993) eq. 14.14, R boot's ``bca.ci``
  (``qnorm(sum(t < t0) / R)``), arch's ``(replicates < point).mean()``.

The references here are slow numpy transcriptions of those formulas, applied to
the very replicates each API drew, so the tests are exact: the Monte Carlo error
of the resampling is not part of them.
"""

import warnings
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import bootstrap as pb
from precipice._intervals import intervals
from precipice.compat import scipy as ps

NORMAL = NormalDist()
CONFIDENCE = 0.95


def bca_reference(replicates, point, jackknife, confidence, ties):
    """Efron's BCa interval from a bootstrap distribution and leave-one-out values;
    ``ties="below"`` counts replicates equal to the point estimate as above it,
    ``ties="half"`` as half below."""
    share = np.mean(replicates < point)
    if ties == "half":
        share = (share + np.mean(replicates <= point)) / 2
    z0 = NORMAL.inv_cdf(share)
    u = jackknife.mean() - jackknife
    a = (u**3).sum() / (6 * (u**2).sum() ** 1.5)
    alpha = (1 - confidence) / 2
    levels = [
        NORMAL.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))) for z in (NORMAL.inv_cdf(alpha), NORMAL.inv_cdf(1 - alpha))
    ]
    return np.quantile(replicates, levels)  # numpy's linear interpolation, as both APIs use


def leave_one_out(statistic, x):
    return np.array([statistic(np.delete(x, i)) for i in range(x.size)])


@pytest.fixture(scope="module")
def values51():
    """51 skewed values rounded to a grid: the median's replicates tie with it often."""
    return np.round(np.random.default_rng(20).lognormal(0.0, 0.5, 51), 1)


def test_compat_scipy_counts_ties_as_half(values51):
    res = ps.bootstrap((values51,), np.median, n_resamples=9999, rng=0, confidence_level=CONFIDENCE)
    reps = res.bootstrap_distribution
    point = np.median(values51)
    assert np.mean(reps == point) > 0.05  # the case the rules disagree on
    ref = bca_reference(reps, point, leave_one_out(np.median, values51), CONFIDENCE, ties="half")
    np.testing.assert_allclose(res.confidence_interval, ref, rtol=1e-12)
    other = bca_reference(reps, point, leave_one_out(np.median, values51), CONFIDENCE, ties="below")
    assert not np.allclose(ref, other, rtol=1e-3)


def test_compat_scipy_agrees_with_scipy_on_the_same_replicates(values51):
    """scipy itself, given our replicates (n_resamples=0), computes the same interval."""
    scipy_stats = pytest.importorskip("scipy.stats")
    ours = ps.bootstrap((values51,), np.median, n_resamples=9999, rng=0)
    theirs = scipy_stats.bootstrap((values51,), np.median, n_resamples=0, bootstrap_result=ours)
    np.testing.assert_allclose(ours.confidence_interval, theirs.confidence_interval, rtol=1e-12)


def test_native_interval_estimates_count_strictly_below(values51):
    """interval_estimates on 51 runs of one task: the stratified bootstrap is the
    ordinary bootstrap of the runs, the jackknife leaves one run out."""

    @pb.batched
    def median(block):
        return np.median(block.reshape(block.shape[0], -1), axis=1)

    est = pb.interval_estimates(
        values51[:, None], median, reps=9999, method="bca", seed=0, confidence=CONFIDENCE, return_replicates=True
    )
    reps = est.replicates[:, 0]
    point = np.median(values51)
    assert est.point[0] == point and np.mean(reps == point) > 0.05
    ref = bca_reference(reps, point, leave_one_out(np.median, values51), CONFIDENCE, ties="below")
    np.testing.assert_allclose(est.interval[:, 0], ref, rtol=1e-12)
    # the same replicates under scipy's rule give another interval
    other = bca_reference(reps, point, leave_one_out(np.median, values51), CONFIDENCE, ties="half")
    assert not np.allclose(ref, other, rtol=1e-3)


def test_native_rule_on_given_replicates():
    """_intervals.intervals, the one place the native rule lives, column by column."""
    rng = np.random.default_rng(3)
    point = np.array([0.0, 1.0, 2.0])
    replicates = np.round(rng.normal(point, 1.0, size=(4001, 3)), 0)  # integers: many ties
    jackknife = rng.normal(point, 0.1, size=(40, 3)) ** 3
    got = intervals(point, replicates, "bca", CONFIDENCE, jackknife)
    for c in range(3):
        ref = bca_reference(replicates[:, c], point[c], jackknife[:, c], CONFIDENCE, ties="below")
        np.testing.assert_allclose(got[:, c], ref, rtol=1e-12)


def test_the_rules_agree_without_ties(values51):
    """For a statistic whose replicates never equal the point estimate the two
    definitions are one."""
    x = values51 + np.random.default_rng(1).normal(0, 1e-3, 51)
    res = ps.bootstrap((x,), np.mean, n_resamples=4000, rng=1)
    reps = res.bootstrap_distribution
    assert not np.any(reps == x.mean())
    jack = leave_one_out(np.mean, x)
    half = bca_reference(reps, x.mean(), jack, CONFIDENCE, ties="half")
    below = bca_reference(reps, x.mean(), jack, CONFIDENCE, ties="below")
    np.testing.assert_array_equal(half, below)
    np.testing.assert_allclose(res.confidence_interval, half, rtol=1e-12)


@pytest.mark.parametrize(
    "statistic", [np.mean, np.median, lambda v, axis: np.percentile(v, 80, axis=axis)], ids=["mean", "median", "q80"]
)
@settings(max_examples=40)
@given(
    x=st.lists(st.integers(0, 6), min_size=2, max_size=30),  # few distinct values: ties everywhere
    method=st.sampled_from(["BCa", "percentile", "basic"]),
    alternative=st.sampled_from(["two-sided", "less", "greater"]),
    level=st.sampled_from([0.5, 0.9, 0.95]),
)
def test_interval_step_is_scipys_on_the_same_replicates(statistic, x, method, alternative, level):
    """scipy, handed our replicates (n_resamples=0), returns our interval: ties,
    degenerate data and small samples included."""
    scipy_stats = pytest.importorskip("scipy.stats")
    x = np.asarray(x, dtype=float)
    kwargs = {"method": method, "alternative": alternative, "confidence_level": level}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ps.bootstrap((x,), statistic, n_resamples=300, rng=0, **kwargs)
        theirs = scipy_stats.bootstrap((x,), statistic, n_resamples=0, bootstrap_result=ours, **kwargs)
    np.testing.assert_allclose(ours.confidence_interval, theirs.confidence_interval, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.standard_error, theirs.standard_error, rtol=1e-10, atol=1e-12)
