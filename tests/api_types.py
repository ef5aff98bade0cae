# mypy: disallow-any-expr
"""Type-checked by tests/test_typing.py, never run: typical calls of the public
API, whose every result must have a precise type (no ``Any`` anywhere in it:
``disallow-any-expr`` above makes any such expression an error)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from precipice import bootstrap, datasets, evals, irt, longform, passk
from precipice.compat import lm_eval
from precipice.compat import scipy as compat_scipy
from precipice.compat.rliable import library, metrics

scores: NDArray[np.float64] = np.zeros((5, 3))
items: NDArray[np.float64] = np.zeros(10)

estimate: bootstrap.IntervalEstimate = bootstrap.interval_estimates(scores, ["iqm", ("trimmed_mean", 0.1)], seed=0)
point: NDArray[np.float64] = estimate.point
profile = bootstrap.performance_profile(scores, [0.5, 1.0], kind="task_means")
improvement = bootstrap.probability_of_improvement(scores, scores, method="bc")
pairwise = bootstrap.pairwise_probability_of_improvement({"a": scores, "b": scores})

one: np.float64 = passk.pass_at_k(10, 3, 1)
table: NDArray[np.float64] = passk.pass_at_k(10, [3, 4], [1, 2])
hats = passk.pass_hat_k([10, 10], [3, 4], 2)
shares = passk.g_pass_at_k(10, [3, 4], 4, [0.5, 1.0])
benchmark = passk.pass_at_k_interval(10, [3, 4], 1, method="bca")
comparison = passk.compare_pass_at_k(10, [3, 4], 10, [2, 2], [1, 5])
best = passk.max_at_k([[0.1, 0.2]], 1)
until = passk.pass_until([5], [2])

error = evals.standard_error(items, nan_policy="omit")
interval = evals.bootstrap_interval(items, "mean", seed=np.random.default_rng(0))
paired = evals.paired_bootstrap(items, items, method="bca")
test = evals.paired_test(items, items, alternative="greater")
exact = evals.mcnemar(items, items)
chance: float = evals.power(0.05, 500)
needed: int = evals.sample_size(0.05, power=0.9)
smallest: float = evals.min_detectable_effect(500)

runs: dict[str, NDArray[np.float64]] = longform.from_long("scores.csv")
labelled = longform.from_wide("scores.csv", return_labels=True)
atari = datasets.atari100k()

iqm: np.float64 = metrics.aggregate_iqm(scores)
points, intervals = library.get_interval_estimates({"a": scores}, metrics.aggregate_iqm, reps=100)
profiles, bands = library.create_performance_profile({"a": scores}, [0.5])
resampled = library.StratifiedBootstrap(scores, random_state=0).conf_int(metrics.aggregate_mean, reps=10)

result = compat_scipy.bootstrap((items,), lm_eval.mean, vectorized=False, method="percentile")
stderr: float = lm_eval.bootstrap_stderr(lm_eval.mean, [1.0, 2.0], 100)
passed: list[float] = lm_eval.acc_fn([1.0, 0.0])

fitted = irt.fit(scores)
