"""Leaderboards with honest uncertainty: ranks from resampled scores, and the
multiple-comparison corrections their pairwise tests need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_real_array, check_confidence

AdjustMethod = Literal["bonferroni", "holm", "hochberg", "bh", "by"]
_ADJUST_METHODS = ("bonferroni", "holm", "hochberg", "bh", "by")

__all__ = ["RankSummary", "adjust_pvalues", "rank_summary"]


def adjust_pvalues(pvalues: ArrayLike, method: AdjustMethod = "holm") -> NDArray[np.float64]:
    """Adjust p-values for multiple comparisons.

    The same numbers as statsmodels' ``multipletests(pvalues, method=...)[1]``
    (``"hochberg"`` is its ``"simes-hochberg"``, ``"bh"`` its ``"fdr_bh"``,
    ``"by"`` its ``"fdr_by"``).

    Parameters
    ----------
    pvalues : array_like
        P-values in [0, 1], any shape; adjusted together as one family.
    method : {"bonferroni", "holm", "hochberg", "bh", "by"}
        Bonferroni and Holm (step-down) control the family-wise error rate
        under any dependence, Hochberg (step-up) under positive dependence;
        Benjamini–Hochberg controls the false discovery rate under positive
        dependence, Benjamini–Yekutieli under any.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, float64, the shape of ``pvalues``, at most 1.

    Raises
    ------
    ValueError
        If a p-value is NaN or outside [0, 1], or ``method`` is unknown.
    TypeError
        If ``pvalues`` is not numeric.
    """
    if method not in _ADJUST_METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _ADJUST_METHODS))}, got {method!r}")
    values = as_real_array(pvalues, "pvalues")
    flat = values.ravel()
    if np.isnan(flat).any() or (flat < 0).any() or (flat > 1).any():
        raise ValueError("pvalues must lie in [0, 1] (no NaN)")
    count = flat.size
    if count == 0:
        return np.empty(values.shape)
    if method == "bonferroni":
        bonferroni: NDArray[np.float64] = np.minimum(values * count, 1.0)
        return bonferroni
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    position = np.arange(1.0, count + 1)
    if method == "holm":
        # Step-down: the i-th smallest is tested at alpha / (m - i + 1), and an
        # adjusted value may not be smaller than an earlier one.
        adjusted = np.maximum.accumulate(ordered * (count - position + 1))
    else:
        if method == "hochberg":
            scaled = ordered * (count - position + 1)
        else:
            factor = 1.0 if method == "bh" else np.sum(1.0 / position)
            scaled = ordered * (count * factor / position)
        # Step-up: an adjusted value may not exceed a later one.
        adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(count)
    out[order] = np.minimum(adjusted, 1.0)
    return out.reshape(values.shape)


@dataclass(frozen=True)
class RankSummary:
    """The distribution of each model's rank over resampled estimates.

    Ranks run from 1 (best). Models tied in a replicate share the ranks they
    occupy: two models tied for first each put half their mass on rank 1 and
    half on rank 2.

    Attributes
    ----------
    rank_probabilities : numpy.ndarray
        ``(num_models, num_models)``: row m is P(rank of m = r) for r = 1..M.
    p_best : numpy.ndarray
        ``(num_models,)``: P(rank of m = 1), the first column.
    expected_rank : numpy.ndarray
        ``(num_models,)``: the mean rank.
    rank_interval : numpy.ndarray
        ``(num_models, 2)`` integer ranks: the marginal percentile interval,
        from the ``(1 - confidence) / 2`` quantile of the best rank a model
        reaches in a replicate (one plus the number strictly better) to the
        upper quantile of its worst (the number better or tied).
    """

    rank_probabilities: NDArray[np.float64]
    p_best: NDArray[np.float64]
    expected_rank: NDArray[np.float64]
    rank_interval: NDArray[np.int64]


def rank_summary(replicates: ArrayLike, *, confidence: float = 0.95, higher_is_better: bool = True) -> RankSummary:
    """Rank probabilities, P(best), expected ranks and rank intervals from
    resampled estimates (bootstrap replicates of ratings or means).

    Parameters
    ----------
    replicates : array_like
        ``(reps, num_models)`` estimates, one row per replicate; finite.
    confidence : float
        The coverage of the marginal rank intervals, in (0, 1).
    higher_is_better : bool
        Whether a larger estimate ranks better (ratings, accuracies); False
        for errors and losses.

    Returns
    -------
    RankSummary

    Raises
    ------
    ValueError
        If ``replicates`` is not two-dimensional with at least one row and one
        column, or holds NaN or infinity; if ``confidence`` is outside (0, 1).
    TypeError
        If ``replicates`` is not numeric or ``higher_is_better`` not a bool.
    """
    values = as_real_array(replicates, "replicates")
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"replicates must be (reps, num_models) with both at least 1, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("replicates must be finite (no NaN or infinity)")
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(f"higher_is_better must be a bool, got {type(higher_is_better).__name__}")
    level = check_confidence(confidence)
    reps, models = values.shape
    keyed = -values if higher_is_better else values
    order = np.argsort(keyed, axis=1, kind="stable")
    ordered = np.take_along_axis(keyed, order, axis=1)
    position = np.broadcast_to(np.arange(models), (reps, models))
    # A tie block runs from its first sorted position to its last: the first is
    # carried forward from each block's start, the last backward from its end.
    starts = np.ones((reps, models), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones((reps, models), dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, position, models - 1)[:, ::-1], axis=1)[:, ::-1]
    best = np.empty((reps, models), dtype=np.int64)
    worst = np.empty((reps, models), dtype=np.int64)
    np.put_along_axis(best, order, first, axis=1)
    np.put_along_axis(worst, order, last, axis=1)
    # Each replicate spreads 1 / (block size) over ranks best..worst: a
    # difference array per model, summed along the ranks.
    share = 1.0 / (worst - best + 1)
    model = np.broadcast_to(np.arange(models), (reps, models))
    width = models + 1
    mass = np.bincount((model * width + best).ravel(), weights=share.ravel(), minlength=models * width)
    mass -= np.bincount((model * width + worst + 1).ravel(), weights=share.ravel(), minlength=models * width)
    probabilities = np.cumsum(mass.reshape(models, width)[:, :models], axis=1) / reps
    # Cumulative sums of shares leave rounding residue where a rank has no
    # mass; any mass there is is at least one share (>= 1 / models) of one replicate.
    probabilities[np.abs(probabilities) < 0.5 / (models * reps)] = 0.0
    tail = (1.0 - level) / 2.0
    lower = np.quantile(best, tail, axis=0, method="lower") + 1
    upper = np.quantile(worst, 1.0 - tail, axis=0, method="higher") + 1
    return RankSummary(
        rank_probabilities=probabilities,
        p_best=probabilities[:, 0].copy(),
        expected_rank=probabilities @ np.arange(1.0, models + 1),
        rank_interval=np.stack([lower, upper], axis=1).astype(np.int64),
    )
