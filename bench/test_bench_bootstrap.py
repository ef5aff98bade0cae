"""pytest-benchmark: rliable and precipice on the same data, grouped side by side.

pip install ".[bench]" && python -m pytest bench --benchmark-group-by=group
"""

import numpy as np
import pytest
from precipice import bootstrap as pb

compare = pytest.importorskip("compare", reason="run from the repository root: python -m pytest bench")

X = np.random.default_rng(0).gamma(1.0, 1.0, size=(10, 26))
Y = X[::-1] * 0.9 + 0.05
TAUS = np.linspace(0.0, 8.0, 201)
METRICS = ["iqm", "median", "mean", "optimality_gap"]
REPS = 1000  # the same for both tools, so the two timings compare directly


@pytest.mark.benchmark(group="four metrics, 10 x 26")
def test_rliable_four_metrics(benchmark):
    pytest.importorskip("rliable.library")
    benchmark(compare.rliable_interval, X, compare.four_metrics, REPS)


@pytest.mark.benchmark(group="four metrics, 10 x 26")
def test_precipice_four_metrics(benchmark):
    benchmark(pb.interval_estimates, X, METRICS, reps=REPS, seed=1, n_threads=1)


@pytest.mark.benchmark(group="profile 201 taus, 10 x 26")
def test_rliable_profile(benchmark):
    pytest.importorskip("rliable.library")
    benchmark(compare.rliable_profile, X, TAUS, REPS)


@pytest.mark.benchmark(group="profile 201 taus, 10 x 26")
def test_precipice_profile(benchmark):
    benchmark(pb.performance_profile, X, TAUS, reps=REPS, seed=1, n_threads=1)


@pytest.mark.benchmark(group="probability of improvement, 10 x 26")
def test_rliable_improvement(benchmark):
    pytest.importorskip("rliable.library")
    benchmark.pedantic(compare.rliable_improvement, args=(X, Y, 20), rounds=2)


@pytest.mark.benchmark(group="probability of improvement, 10 x 26")
def test_precipice_improvement(benchmark):
    benchmark(pb.probability_of_improvement, X, Y, reps=20, seed=1, n_threads=1)
