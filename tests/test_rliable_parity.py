"""Parity with rliable 1.2.0 (the anchor) on Atari-like data.

Point estimates must agree to rtol 1e-12. Intervals come from two different
random streams, so they agree only within Monte Carlo error: rliable runs B1 =
2000 replicates (the global numpy RNG, seeded here), precipice B2 = 20000. The
q-quantile of B bootstrap replicates has standard error about
s(q) sqrt(q (1 - q) / B), where s(q) = dQ/dq is the sparsity of the bootstrap
distribution at q; s is estimated from precipice's replicates by a central
difference over +-0.01 in q. An endpoint of the two libraries may differ by
5 sd of the difference, sqrt(1/B1 + 1/B2) s(q) sqrt(q (1 - q)), plus, for
lattice-valued statistics (profiles), one lattice step. At 5 sd a failure by
chance has probability below 1e-6 per endpoint, and the seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

rly = pytest.importorskip("rliable.library")
rmetrics = pytest.importorskip("rliable.metrics")

import precipice.bootstrap as pb  # noqa: E402

B_RLIABLE = 2000
B_PRECIPICE = 20_000
CONFIDENCE = 0.95


@pytest.fixture(scope="module")
def atari():
    return np.random.default_rng(0).gamma(1, 1, (10, 26))


@pytest.fixture(scope="module")
def atari_other():
    return np.random.default_rng(1).gamma(1.15, 1, (7, 26))


@pytest.fixture(autouse=True)
def seeded_global_rng():
    """rliable draws from numpy's global RNG: seed it, and put it back after."""
    state = np.random.get_state()
    np.random.seed(12345)
    yield
    np.random.set_state(state)


def endpoint_tolerance(replicates, q, b1=B_RLIABLE, b2=B_PRECIPICE, lattice=0.0, d=0.01):
    """5 sd of the difference of two bootstrap q-quantiles, per column."""
    replicates = replicates.reshape(replicates.shape[0], -1)
    lo, hi = np.quantile(replicates, [max(q - d, 0.0), min(q + d, 1.0)], axis=0)
    sparsity = (hi - lo) / (min(q + d, 1.0) - max(q - d, 0.0))
    sd = sparsity * np.sqrt(q * (1 - q) * (1 / b1 + 1 / b2))
    return 5 * sd + lattice + 1e-12


def assert_intervals_close(ours, theirs, replicates, lattice=0.0):
    alpha = (1 - CONFIDENCE) / 2
    ours = np.asarray(ours).reshape(2, -1)
    theirs = np.asarray(theirs).reshape(2, -1)
    for row, q in enumerate((alpha, 1 - alpha)):
        tol = endpoint_tolerance(replicates, q, lattice=lattice)
        diff = np.abs(ours[row] - theirs[row])
        assert np.all(diff <= tol), f"endpoint {row}: |diff| {diff} > tolerance {tol}"


def rliable_aggregates(scores):
    return np.array(
        [
            rmetrics.aggregate_iqm(scores),
            rmetrics.aggregate_median(scores),
            rmetrics.aggregate_mean(scores),
            rmetrics.aggregate_optimality_gap(scores),
        ]
    )


METRICS = ["iqm", "median", "mean", "optimality_gap"]


@pytest.mark.parametrize("task_bootstrap", [False, True])
def test_aggregates_match_rliable(atari, task_bootstrap):
    points, cis = rly.get_interval_estimates(
        {"a": atari},
        rliable_aggregates,
        reps=B_RLIABLE,
        task_bootstrap=task_bootstrap,
        confidence_interval_size=CONFIDENCE,
    )
    est = pb.interval_estimates(
        atari,
        METRICS,
        reps=B_PRECIPICE,
        seed=7,
        task_bootstrap=task_bootstrap,
        confidence=CONFIDENCE,
        return_replicates=True,
    )
    np.testing.assert_allclose(est.point, points["a"], rtol=1e-12)
    assert cis["a"].shape == est.interval.shape == (2, 4)
    assert_intervals_close(est.interval, cis["a"], est.replicates)


def test_bootstrap_distributions_match_rliable(atari):
    # Beyond the endpoints: the whole replicate distribution of each metric, by a
    # two-sample Kolmogorov-Smirnov test at level 1e-4 (fixed seeds).
    from scipy import stats

    theirs = rly.StratifiedBootstrap(atari).apply(rliable_aggregates, B_RLIABLE)
    est = pb.interval_estimates(atari, METRICS, reps=B_PRECIPICE, seed=8, return_replicates=True)
    for k, name in enumerate(METRICS):
        p = stats.ks_2samp(theirs[:, k], est.replicates[:, k]).pvalue
        assert p > 1e-4, (name, p)
        # and the bootstrap standard errors agree to 10% (the sd of a sample sd
        # of 2000 draws is about 1.6%)
        assert abs(theirs[:, k].std() / est.replicates[:, k].std() - 1) < 0.1, name


@pytest.mark.parametrize("method", ["basic", "bc", "bca"])
def test_single_metric_methods_match_rliable(atari, method):
    # One metric at a time, so arch's all-metrics BCa acceleration is per metric.
    points, cis = rly.get_interval_estimates(
        {"a": atari},
        lambda s: np.array([rmetrics.aggregate_iqm(s)]),
        method=method,
        reps=B_RLIABLE,
    )
    est = pb.interval_estimates(atari, "iqm", reps=B_PRECIPICE, seed=9, method=method, return_replicates=True)
    np.testing.assert_allclose(est.point, points["a"], rtol=1e-12)
    assert_intervals_close(est.interval, cis["a"], est.replicates)


def test_sample_efficiency_frames_match_rliable(atari):
    rng = np.random.default_rng(2)
    frames = np.stack([atari * f + rng.normal(0, 0.05, atari.shape) for f in (0.2, 0.6, 1.0)], axis=-1)

    def iqm_per_frame(s):
        return np.array([rmetrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])])

    points, cis = rly.get_interval_estimates({"a": frames}, iqm_per_frame, reps=1000)
    est = pb.interval_estimates(frames, "iqm", reps=B_PRECIPICE, seed=10, return_replicates=True)
    np.testing.assert_allclose(est.point[0], points["a"], rtol=1e-12)
    alpha = (1 - CONFIDENCE) / 2
    for row, q in enumerate((alpha, 1 - alpha)):
        tol = endpoint_tolerance(est.replicates[:, 0, :], q, b1=1000)
        assert np.all(np.abs(est.interval[row, 0] - cis["a"][row]) <= tol)


def test_probability_of_improvement_matches_rliable(atari, atari_other):
    # rliable's PoI costs about 11 ms a replicate: 200 replicates, wider tolerance.
    reps = 200
    points, cis = rly.get_interval_estimates(
        {"xy": [atari, atari_other]}, rmetrics.probability_of_improvement, reps=reps
    )
    est = pb.probability_of_improvement(atari, atari_other, reps=B_PRECIPICE, seed=11, return_replicates=True)
    np.testing.assert_allclose(est.point, [points["xy"]], rtol=1e-12)
    np.testing.assert_allclose(est.point, [rmetrics.probability_of_improvement(atari, atari_other)], rtol=1e-12)
    alpha = (1 - CONFIDENCE) / 2
    for row, q in enumerate((alpha, 1 - alpha)):
        tol = endpoint_tolerance(est.replicates, q, b1=reps)
        assert np.all(np.abs(est.interval[row] - cis["xy"][row]) <= tol)


def test_probability_of_improvement_points_match_rliable_with_ties(atari):
    x = np.round(atari)  # many ties
    y = np.round(atari[::-1][:6])
    ours = pb.probability_of_improvement(x, y, reps=10, seed=0).point
    np.testing.assert_allclose(ours, [rmetrics.probability_of_improvement(x, y)], rtol=1e-12)
    same = pb.probability_of_improvement(x, x.copy(), reps=10, seed=0).point
    np.testing.assert_allclose(same, [rmetrics.probability_of_improvement(x, x.copy())], rtol=1e-12)


@pytest.mark.parametrize("kind", ["runs", "task_means"])
def test_performance_profiles_match_rliable(atari, kind):
    taus = np.linspace(0.0, 3.0, 13)
    profiles, cis = rly.create_performance_profile(
        {"a": atari},
        taus,
        use_score_distribution=(kind == "runs"),
        reps=B_RLIABLE,
    )
    est = pb.performance_profile(atari, taus, kind=kind, reps=B_PRECIPICE, seed=12, return_replicates=True)
    np.testing.assert_allclose(est.point, profiles["a"], rtol=1e-12)
    step = 1 / atari.size if kind == "runs" else 1 / atari.shape[1]
    assert_intervals_close(est.interval, cis["a"], est.replicates, lattice=step)
