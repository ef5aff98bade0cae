"""rliable.metrics, with the same definitions and results.

Each aggregate carries the name of the native metric it equals, so
``library.get_interval_estimates`` can compute its bootstrap natively when
``func`` is one of these or a function that stacks several of them.
"""

from __future__ import annotations

import numbers

import numpy as np

from ...bootstrap import improvement_points
from ._trace import traced

__all__ = [
    "aggregate_iqm",
    "aggregate_mean",
    "aggregate_median",
    "aggregate_optimality_gap",
    "probability_of_improvement",
]


@traced(lambda scores: "mean")
def aggregate_mean(scores: np.ndarray):
    """Mean over tasks of the per-task mean scores; scores ``(num_runs, num_tasks)``."""
    return np.mean(np.mean(scores, axis=0, keepdims=False), axis=0)


@traced(lambda scores: "median")
def aggregate_median(scores: np.ndarray):
    """Median over tasks of the per-task mean scores."""
    return np.median(np.mean(scores, axis=0, keepdims=False), axis=0)


def _gap_spec(scores, gamma=1):
    # The engine takes one real threshold; an array of them is left to numpy.
    if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real):
        return None
    return ("optimality_gap", float(gamma))


@traced(_gap_spec)
def aggregate_optimality_gap(scores: np.ndarray, gamma=1):
    """``gamma - mean(min(scores, gamma))`` over all runs and tasks."""
    return gamma - np.mean(np.minimum(scores, gamma))


@traced(lambda scores: "iqm")
def aggregate_iqm(scores: np.ndarray):
    """Interquartile mean over all runs and tasks: scipy.stats.trim_mean(scores,
    0.25, axis=None), which cuts int(0.25 N) values from each end."""
    flat = np.sort(np.asarray(scores, dtype=np.float64), axis=None)
    cut = int(0.25 * flat.size)
    return np.mean(flat[cut : flat.size - cut])


def probability_of_improvement(scores_x: np.ndarray, scores_y: np.ndarray):
    """P(X_m > Y_m) + P(X_m = Y_m)/2 averaged over tasks m; scores ``(num_runs_x,
    num_tasks)`` and ``(num_runs_y, num_tasks)``. Equals rliable's Mann-Whitney
    U / (n_x n_y); a task whose two columns are identical scores 0.5."""
    x = np.ascontiguousarray(scores_x, dtype=np.float64)
    y = np.ascontiguousarray(scores_y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"scores_x and scores_y must be (num_runs, num_tasks) with the same tasks; got {x.shape} and {y.shape}"
        )
    return np.float64(improvement_points([x, y], [(0, 1)])[0])
