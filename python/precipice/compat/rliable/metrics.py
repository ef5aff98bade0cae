"""rliable.metrics, with the same definitions and results.

Each aggregate carries the name of the native metric it equals, so
``library.get_interval_estimates`` can compute its bootstrap natively when
``func`` is one of these or a function that stacks several of them.
"""

from __future__ import annotations

import numbers
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...bootstrap import improvement_points
from ._trace import traced

__all__ = [
    "aggregate_iqm",
    "aggregate_mean",
    "aggregate_median",
    "aggregate_optimality_gap",
    "probability_of_improvement",
]


def _real(scores: ArrayLike) -> NDArray[np.float64]:
    # Only for the type checker: numpy's own functions take the scores as given
    # (a masked array keeps its mask).
    return cast("NDArray[np.float64]", scores)


@traced(lambda scores: "mean")
def aggregate_mean(scores: ArrayLike) -> np.float64:
    """Mean over tasks of the per-task mean scores.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.

    Returns
    -------
    numpy.float64
        The mean of the task means.
    """
    return cast(np.float64, np.mean(np.mean(_real(scores), axis=0, keepdims=False), axis=0))


@traced(lambda scores: "median")
def aggregate_median(scores: ArrayLike) -> np.float64:
    """Median over tasks of the per-task mean scores.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.

    Returns
    -------
    numpy.float64
        The median of the task means.
    """
    return cast(np.float64, np.median(np.mean(_real(scores), axis=0, keepdims=False), axis=0))


def _gap_spec(scores, gamma=1):
    # The engine takes one real threshold; an array of them is left to numpy.
    if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real):
        return None
    return ("optimality_gap", float(gamma))


@traced(_gap_spec)
def aggregate_optimality_gap(scores: ArrayLike, gamma: float = 1) -> np.float64:
    """``gamma - mean(min(scores, gamma))`` over all runs and tasks.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.
    gamma : float, default 1
        The threshold above which a score counts as optimal.

    Returns
    -------
    numpy.float64
        The optimality gap.
    """
    return cast(np.float64, gamma - np.mean(np.minimum(_real(scores), gamma)))


@traced(lambda scores: "iqm")
def aggregate_iqm(scores: ArrayLike) -> np.float64:
    """Interquartile mean over all runs and tasks.

    As scipy.stats.trim_mean(scores, 0.25, axis=None), which cuts int(0.25 N)
    values from each end.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.

    Returns
    -------
    numpy.float64
        The mean of the middle half of all scores.
    """
    flat = np.sort(np.asarray(scores, dtype=np.float64), axis=None)
    cut = int(0.25 * flat.size)
    return cast(np.float64, np.mean(flat[cut : flat.size - cut]))


def probability_of_improvement(scores_x: ArrayLike, scores_y: ArrayLike) -> np.float64:
    """P(X_m > Y_m) + P(X_m = Y_m)/2 averaged over tasks m.

    Equals rliable's Mann-Whitney U / (n_x n_y); a task whose two columns are
    identical scores 0.5.

    Parameters
    ----------
    scores_x, scores_y : array_like, ``(num_runs_x, num_tasks)`` and ``(num_runs_y, num_tasks)``
        The two algorithms' scores, with the same tasks.

    Returns
    -------
    numpy.float64
        The average probability of improvement of X over Y.

    Raises
    ------
    ValueError
        When the scores are not 2-D or have different numbers of tasks.
    """
    x = np.ascontiguousarray(scores_x, dtype=np.float64)
    y = np.ascontiguousarray(scores_y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"scores_x and scores_y must be (num_runs, num_tasks) with the same tasks; got {x.shape} and {y.shape}"
        )
    return np.float64(improvement_points([x, y], [(0, 1)])[0])
