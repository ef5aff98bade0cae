"""rliable's own test suite, run against precipice.compat.rliable.

rliable 1.2.0's wheel does not ship its tests; this file restates every case of
its ``tests/rliable/library_test.py`` (10 cases) and ``metrics_test.py`` (1
case) with the same inputs and assertions, written for pytest, imports pointed
at the compat layer. The compat needs neither rliable nor arch, so nothing here
is skipped.

rliable's suite leaves numpy's global generator unseeded; here every case
seeds it, since with 100 replicates the optimality gap of y (a lattice of
steps 1/80) gets a "bc" interval that touches its point in about 4% of runs,
in rliable (measured: 5 of 100 seeds) as in the compat (12 of 300).
"""

from __future__ import annotations

import numpy as np
import pytest
from precipice.compat.rliable import library as rly
from precipice.compat.rliable import metrics

NUM_RUNS, NUM_TASKS = 5, 16


@pytest.fixture(autouse=True)
def seeded_global_rng():
    """The compat, like rliable, draws its seed from numpy's global generator."""
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)


@pytest.fixture
def data():
    """The suite's inputs: x (5, 16), y its runs reversed, z (5, 16, 2) = [x, 2x]."""
    x = np.arange(NUM_RUNS * NUM_TASKS).reshape(NUM_RUNS, NUM_TASKS)
    y = np.flip(x, axis=0)
    z = np.stack([x, 2 * x], axis=-1)
    return x, y, z


# library_test.py: test_stratified_bootstrap (runs_only, runs_and_tasks)
@pytest.mark.parametrize("task_bootstrap", [False, True], ids=["runs_only", "runs_and_tasks"])
def test_stratified_bootstrap(data, task_bootstrap):
    x, y, z = data
    bs = rly.StratifiedBootstrap(x, y=y, z=z, task_bootstrap=task_bootstrap)
    for positional, named in bs.bootstrap(5):
        index = bs.index
        assert len(positional) == 1
        assert len(list(named)) == 2
        np.testing.assert_array_equal(positional[0], x[index])
        np.testing.assert_array_equal(named["y"], y[index])
        np.testing.assert_array_equal(named["z"], z[index])
        # keyword inputs are attributes holding the current resample
        np.testing.assert_array_equal(bs.y, y[index])
        np.testing.assert_array_equal(bs.z, z[index])


# library_test.py: test_stratified_independent_bootstrap
def test_stratified_independent_bootstrap(data):
    x, y, z = data
    bs = rly.StratifiedIndependentBootstrap(x, y=y, z=z)
    for positional, named in bs.bootstrap(2):
        assert isinstance(bs.index, tuple)
        positional_index, named_index = bs.index
        assert len(positional) == 1
        assert len(list(named)) == 2
        np.testing.assert_array_equal(positional[0], x[positional_index[0]])
        np.testing.assert_array_equal(named["y"], y[named_index["y"]])
        np.testing.assert_array_equal(named["z"], z[named_index["z"]])
        np.testing.assert_array_equal(bs.y, y[named_index["y"]])
        np.testing.assert_array_equal(bs.z, z[named_index["z"]])


def four_aggregates(scores):
    return np.array(
        [
            metrics.aggregate_iqm(scores),
            metrics.aggregate_mean(scores),
            metrics.aggregate_median(scores),
            metrics.aggregate_optimality_gap(scores),
        ]
    )


# library_test.py: test_interval_estimation (percentile, basic, bc, bca)
@pytest.mark.parametrize(
    ("method", "task_bootstrap"),
    [("percentile", False), ("basic", True), ("bc", False), ("bca", False)],
    ids=["percentile", "basic", "bc", "bca"],
)
def test_interval_estimation(data, method, task_bootstrap):
    x, y, _ = data
    score_dict = {"method": x, "baseline": y}
    points, intervals = rly.get_interval_estimates(
        score_dict, four_aggregates, method=method, task_bootstrap=task_bootstrap, reps=100
    )
    for key, scores in score_dict.items():
        lower, upper = intervals[key]
        np.testing.assert_array_equal(points[key], four_aggregates(scores))
        np.testing.assert_array_less(lower, points[key])
        np.testing.assert_array_less(points[key], upper)


# library_test.py: test_performance_profiles (score, average_scores)
@pytest.mark.parametrize("use_score_distribution", [True, False], ids=["score", "average_scores"])
def test_performance_profiles(data, use_score_distribution):
    x, y, _ = data
    taus = [0.0, 0.25, 0.5, 1.0]
    profiles, cis = rly.create_performance_profile(
        {"x": x, "y": y}, taus, use_score_distribution=use_score_distribution, reps=100
    )
    for key in ("x", "y"):
        assert isinstance(profiles[key], np.ndarray)
        np.testing.assert_array_equal(profiles[key], sorted(profiles[key], reverse=True))
        assert len(profiles[key]) == len(taus)
        assert cis[key].shape == (2, len(taus))


# library_test.py: test_improvement_probability_cis
def test_improvement_probability_cis(data):
    x, y, _ = data
    score_dict = {"x,y": [x, y]}
    points, intervals = rly.get_interval_estimates(score_dict, metrics.probability_of_improvement, reps=100)
    for key, scores in score_dict.items():
        lower, upper = intervals[key]
        np.testing.assert_array_equal(points[key], metrics.probability_of_improvement(*scores))
        np.testing.assert_array_less(lower, points[key])
        np.testing.assert_array_less(points[key], upper)


# metrics_test.py: test_aggregate_metrics
def test_aggregate_metrics():
    x = np.array([[1, 2], [2, 2], [1, 1], [2, 1]])  # (runs, tasks)
    y = np.array([[1, 1], [2, 2], [3, 3]])
    assert metrics.aggregate_median(x) == 1.5
    assert metrics.aggregate_mean(x) == 1.5
    assert metrics.aggregate_iqm(x) == 1.5
    assert metrics.aggregate_median(y) == 2
    assert metrics.aggregate_mean(y) == 2
    assert metrics.aggregate_iqm(y) == 2
    assert metrics.probability_of_improvement(x, y) == pytest.approx(1 / 3, abs=1e-7)
