"""Leaderboards with honest uncertainty: ranks from resampled scores, and the
multiple-comparison corrections their pairwise tests need.

:func:`ranks` runs a joint paired bootstrap over the items of a
``(num_models, num_items)`` score table (every model sees the same resampled
items in a replicate) in one native call, and summarises it as a leaderboard:
means with intervals, rank probabilities, marginal and simultaneous rank
intervals, and groups of models the data cannot separate. This module is the
one Python owner of ``_core.leaderboard``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core, longform
from ._distributed import map_replicates
from ._intervals import IntervalBounds, intervals
from ._special import chi_square_survival
from ._validation import (
    as_flag,
    as_real_array,
    check_confidence,
    check_replicate_memory,
    check_reps,
    check_squares_finite,
    resolve_seed,
    resolve_threads,
)

AdjustMethod = Literal["bonferroni", "holm", "hochberg", "bh", "by"]
_ADJUST_METHODS = ("bonferroni", "holm", "hochberg", "bh", "by")

__all__ = ["Leaderboard", "RankSummary", "ScoreTable", "adjust_pvalues", "rank_summary", "ranks", "read_scores"]


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


@dataclass(frozen=True)
class Leaderboard(IntervalBounds):
    """A leaderboard from a joint paired bootstrap over items.

    Models are in the order of the rows of ``scores``; ranks run from 1 (best).

    Attributes
    ----------
    mean : numpy.ndarray
        ``(num_models,)``: each model's mean score over the items it was scored
        on (missing cells left out; with samples, the mean over items of each
        item's mean over its samples).
    interval : numpy.ndarray
        ``(2, num_models)``: percentile bootstrap interval of each mean, lower
        row then upper row (also ``.lower`` and ``.upper``).
    rank_probabilities : numpy.ndarray
        ``(num_models, num_models)``: row m is P(rank of m = r), r = 1..M, over
        the replicates; models tied in a replicate share the ranks they span
        (:func:`rank_summary`'s convention). Rows sum to 1.
    p_best : numpy.ndarray
        ``(num_models,)``: P(rank = 1).
    expected_rank : numpy.ndarray
        ``(num_models,)``: the mean rank.
    rank_interval : numpy.ndarray
        ``(num_models, 2)`` integer ranks: the marginal percentile rank interval
        of :func:`rank_summary` (each model on its own).
    simultaneous_rank_interval : numpy.ndarray
        ``(num_models, 2)`` integer ranks that hold for all models at once with
        probability ``confidence`` (Mogstad, Romano, Shaikh & Wilhelm 2023):
        ``[1 + #models significantly better, M - #models significantly worse]``,
        "significantly" from the step-down max-|t| test of all pairwise
        differences.
    difference_interval : numpy.ndarray
        ``(2, num_models, num_models)``: simultaneous intervals of
        ``mean[j] - mean[k]`` for all pairs at once, ``d ± critical_value * se``
        (the single-step max-|t| intervals the step-down test starts from).
    difference_se : numpy.ndarray
        ``(num_models, num_models)``: bootstrap standard error of each paired
        difference of means.
    critical_value : float
        The ``confidence`` quantile of the bootstrap max-|t| over all pairs.
    pvalues : numpy.ndarray
        ``(num_models, num_models)``: Holm-adjusted two-sided p-values of the
        paired tests of equal means (``z = d / se``, normal reference), all
        ``M (M - 1) / 2`` pairs as one family; 1 on the diagonal.
    tie_groups : numpy.ndarray
        ``(num_models,)`` int: group labels 0, 1, ... down the leaderboard. Two
        models are separable when their Holm-adjusted p-value is below
        ``1 - confidence``. Walking the models best first (by mean, ties by
        row), a model joins the current group unless it is separable from the
        group's first model, its leader; then it leads the next group. So every
        model is not separable from its group's leader, each group's leader is
        separable from the previous leader, and groups are runs of consecutive
        places. (Two members of a group may still be separable from each other:
        ``pvalues`` has every pair.)
    replicates : numpy.ndarray
        ``(reps, num_models)``: the replicate means.
    reps, confidence, seed
        The replicate count, the coverage and the seed used.
    higher_is_better : bool
        Whether rank 1 is the largest mean.
    """

    mean: NDArray[np.float64]
    interval: NDArray[np.float64]
    rank_probabilities: NDArray[np.float64]
    p_best: NDArray[np.float64]
    expected_rank: NDArray[np.float64]
    rank_interval: NDArray[np.int64]
    simultaneous_rank_interval: NDArray[np.int64]
    difference_interval: NDArray[np.float64]
    difference_se: NDArray[np.float64]
    critical_value: float
    pvalues: NDArray[np.float64]
    tie_groups: NDArray[np.int64]
    replicates: NDArray[np.float64]
    reps: int
    confidence: float
    seed: int
    higher_is_better: bool


@dataclass(frozen=True)
class _Table:
    """The kernel's input: replicate r's mean of model m is
    (weights_r @ table)[m] / denominator, the denominator being
    (weights_r @ table)[observed column of m] for a model with missing cells,
    else the total weight (a constant without clusters)."""

    table: NDArray[np.float64]
    units: int
    unit_of_item: NDArray[np.int64] | None
    samples: int
    observed_column: NDArray[np.int64]  # per model: its column, or -1 for the total weight
    total_column: int  # column of the total weight, or -1 where it is the constant units * samples


def _clusters(clusters: object, items: int) -> tuple[NDArray[np.int64], int]:
    labels = np.asarray(clusters)
    if labels.ndim != 1 or labels.shape[0] != items:
        raise ValueError(f"clusters must have one label per item ({items}), got shape {labels.shape}")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("clusters must not contain NaN")
    if labels.dtype.kind not in "biufUSO":
        raise TypeError(f"clusters must hold labels (integers or strings), got dtype {labels.dtype}")
    try:
        _, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise TypeError("clusters must hold labels of one comparable type") from None
    count = int(codes.max()) + 1
    if count < 2:
        raise ValueError("clusters: all items are in one cluster; the bootstrap over clusters needs at least 2")
    return codes.astype(np.int64).ravel(), count


def _scores(scores: object) -> NDArray[np.float64]:
    if isinstance(scores, (list, tuple)):
        try:
            array = np.asarray(scores)
        except ValueError:
            raise ValueError("scores is ragged (rows of different lengths); pad missing cells with NaN") from None
        if array.dtype == object:
            raise ValueError("scores is ragged (rows of different lengths); pad missing cells with NaN")
    values = as_real_array(scores, "scores")
    if values.ndim not in (2, 3):
        raise ValueError(
            f"scores must be (num_models, num_items) or (num_models, num_items, num_samples), got shape {values.shape}"
        )
    models, items = values.shape[:2]
    if models < 2:
        raise ValueError(f"scores must have at least 2 models (rows) to rank, got {models}")
    if items < 2:
        raise ValueError(f"scores must have at least 2 items (columns) to resample, got {items}")
    if values.ndim == 3 and values.shape[2] < 1:
        raise ValueError("scores must have at least one sample per item")
    values = np.asarray(values, dtype=np.float64)
    if np.isinf(values).any():
        raise ValueError("scores contains infinite values (NaN marks a missing cell)")
    check_squares_finite(values, "scores", "values", "sums and squares behind the means and their standard errors")
    missing = np.isnan(values)
    if values.ndim == 3:
        partial = missing.any(axis=2) & ~missing.all(axis=2)
        if partial.any():
            m, i = np.argwhere(partial)[0]
            raise ValueError(f"scores[{m}, {i}, :] mixes NaN and numbers: a missing item is NaN in all its samples")
    empty = missing.reshape(models, -1).all(axis=1)
    if empty.any():
        raise ValueError(f"scores: model {int(np.flatnonzero(empty)[0])} has no scores (all NaN)")
    return values


def _design(values: NDArray[np.float64], codes: NDArray[np.int64] | None, clusters: int) -> _Table:
    models, items = values.shape[:2]
    samples = values.shape[2] if values.ndim == 3 else 1
    observed = ~np.isnan(values if values.ndim == 2 else values[:, :, 0])  # (models, items)
    with_missing = np.flatnonzero(~observed.all(axis=1))
    # Rows: items (or their samples, item-major); columns: the models' scores,
    # then an observed-indicator per model with missing cells, then (clusters)
    # the total weight. NaN cells count 0 in both.
    cells = np.nan_to_num(values, nan=0.0).reshape(models, items * samples).T
    indicator = np.repeat(observed[with_missing].T.astype(np.float64), samples, axis=0)
    blocks = [cells, indicator]
    if codes is not None:
        blocks.append(np.ones((items * samples, 1)))
    table = np.concatenate(blocks, axis=1)
    unit_of_item = None
    units = items
    if codes is not None:
        units = clusters
        if samples == 1:
            # One level: a cluster is one row, the sums of its items.
            summed = np.zeros((clusters, table.shape[1]))
            np.add.at(summed, codes, table)
            table = summed
        else:
            unit_of_item = codes
    observed_column = np.full(models, -1, dtype=np.int64)
    observed_column[with_missing] = models + np.arange(with_missing.size)
    return _Table(
        np.ascontiguousarray(table),
        units,
        unit_of_item,
        samples,
        observed_column,
        table.shape[1] - 1 if codes is not None else -1,
    )


def _totals_chunk(
    table: NDArray[np.float64],
    unit_of_item: NDArray[np.int64],
    units: int,
    samples: int,
    seed: int,
    n_threads: int,
    first: int,
    count: int,
) -> NDArray[np.float64]:
    """Replicates ``first .. first + count - 1`` of the resampled totals (a Dask
    task); an empty ``unit_of_item`` means one unit per item."""
    units_of = unit_of_item if unit_of_item.size else None
    return _core.leaderboard.resampled_totals(table, units, units_of, samples, seed, first, count, n_threads)


def _means(design: _Table, totals: NDArray[np.float64], models: int) -> NDArray[np.float64]:
    """Replicate means ``(reps, models)`` from the totals."""
    if design.total_column >= 0:
        total = totals[:, design.total_column : design.total_column + 1]
    else:
        total = np.full((totals.shape[0], 1), float(design.units * design.samples))
    columns = np.where(design.observed_column >= 0, design.observed_column, 0)
    # Both count cells (an item's samples), so the ratio needs no rescaling.
    denominator = np.where(design.observed_column >= 0, totals[:, columns], total)
    numerator = totals[:, :models]
    empty = denominator == 0
    if empty.any():
        model = int(np.flatnonzero(empty.any(axis=0))[0])
        raise ValueError(
            f"scores: model {model} has no scored item in {int(empty[:, model].sum())} of the replicates "
            "(it is scored on too few items for a bootstrap over items); drop it or score it on more items"
        )
    means: NDArray[np.float64] = numerator / denominator
    return means


def _normal_two_sided(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """2 P(Z > |z|) for a standard normal Z: the chi-square(1) tail at z**2."""
    return chi_square_survival(np.square(z), 1.0)


def _leader_groups(separable: NDArray[np.bool_], order: NDArray[np.int64]) -> NDArray[np.int64]:
    """Tie groups: walking the models best first, a model joins the current
    group unless it is separable from that group's first (best) model, in
    which case it starts the next group."""
    labels = np.empty(order.shape[0], dtype=np.int64)
    leader = int(order[0])
    label = 0
    for m in order:  # one pass over the models, not over replicates or items
        if separable[leader, m]:
            leader = int(m)
            label += 1
        labels[m] = label
    return labels


def _pairwise(
    replicates: NDArray[np.float64], keyed_mean: NDArray[np.float64], confidence: float, threads: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.int64]]:
    """Standard errors, Holm-adjusted p-values, the single-step critical value,
    and the step-down simultaneous rank intervals, on keyed means (larger is
    better)."""
    models = keyed_mean.shape[0]
    se = _core.leaderboard.difference_scales(np.ascontiguousarray(replicates.T), threads)
    difference = keyed_mean[:, None] - keyed_mean[None, :]
    off_diagonal = ~np.eye(models, dtype=bool)
    studentizable = (se > 0) & off_diagonal
    inverse = np.where(studentizable, 1.0 / np.where(studentizable, se, 1.0), 0.0)
    z = difference * inverse
    # A difference the bootstrap never moves (se = 0) is certain: 0 or not.
    raw = np.where(studentizable, _normal_two_sided(z), np.where(difference != 0, 0.0, 1.0))
    upper = np.triu_indices(models, 1)
    pvalues = np.ones((models, models))
    pvalues[upper] = adjust_pvalues(raw[upper], "holm")
    pvalues.T[upper] = pvalues[upper]
    centered = np.ascontiguousarray(replicates - keyed_mean)
    # Step-down (Romano & Wolf 2005; Mogstad et al. 2023, sec. 3): "j better
    # than k" is claimed when (d_jk) / se_jk passes the max-t critical value of
    # the ordered pairs not yet claimed; repeat until nothing new is claimed.
    better = (se == 0) & (difference > 0) & off_diagonal
    first_step = math.inf
    while True:
        active = studentizable & ~better
        if not active.any():
            break
        maxima = _core.leaderboard.max_studentized_difference(centered, inverse, active.astype(np.uint8), threads)
        critical = float(np.quantile(maxima, confidence))
        if first_step == math.inf:
            first_step = critical
        claimed = active & (z > critical)
        if not claimed.any():
            break
        better |= claimed
    lower = 1 + better.sum(axis=0)
    upper_rank = models - better.sum(axis=1)
    intervals_ = np.stack([lower, upper_rank], axis=1).astype(np.int64)
    if first_step == math.inf:
        first_step = 0.0
    return se, pvalues, first_step, intervals_


def ranks(
    scores: ArrayLike,
    *,
    reps: int = 10_000,
    confidence: float = 0.95,
    clusters: ArrayLike | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    n_threads: int | None = None,
    client: Any = None,
    higher_is_better: bool = True,
) -> Leaderboard:
    """Leaderboard ranks from a joint paired bootstrap over items.

    A replicate draws the items (or, with ``clusters``, whole clusters of
    items) with replacement once, and every model is scored on that same
    resample: differences between models are paired. With samples per item
    (``(num_models, num_items, num_samples)``: several generations or epochs),
    the bootstrap has two levels: each drawn copy of an item then redraws its
    samples with replacement.

    Missing cells (NaN) are left out of a model's mean: in a replicate, a model's
    mean is the weighted mean over the drawn items it was scored on, the weight
    of an item being the number of times it was drawn. So a model scored on a
    subset is compared on its own items, resampled jointly with everyone else's.

    Replicate r depends only on ``(seed, r)``: the result is bit-identical for
    any ``n_threads`` and on a Dask ``client``. Memory is the scores, the
    ``(reps, num_models)`` replicate means and per-thread blocks; never
    ``reps x num_items``.

    Parameters
    ----------
    scores : array_like
        ``(num_models, num_items)`` scores (0/1 or real; booleans accepted),
        or ``(num_models, num_items, num_samples)``. NaN marks a missing cell;
        with samples, a missing item is NaN in all of its samples.
    reps : int
        Bootstrap replicates, at least 2.
    confidence : float
        Coverage of the intervals, in (0, 1); the tests' level is
        ``1 - confidence``.
    clusters : array_like, optional
        ``(num_items,)`` labels: items with the same label are resampled
        together (questions sharing a passage, tasks of one family).
    seed : int, numpy Generator or SeedSequence, optional
        Fresh entropy when None (the seed used is in the result).
    n_threads : int, optional
        Threads (None: all cores; negative: scikit-learn's convention).
    client : dask.distributed.Client, optional
        Splits the replicates over the cluster's workers; the same numbers.
    higher_is_better : bool
        Whether a larger mean ranks better; False for losses and errors.

    Returns
    -------
    Leaderboard

    Raises
    ------
    ValueError
        If ``scores`` is ragged, not 2-D or 3-D, has fewer than 2 models or
        items, holds infinity, a model with no scores or an item whose samples
        are partly NaN, or leaves a model with no scored item in a replicate; if
        ``clusters`` does not give one label per item or puts all in one cluster;
        if ``reps`` is below 2 or needs too much memory; if ``confidence`` is
        outside (0, 1).
    TypeError
        If ``scores`` or ``clusters`` is not numeric / not labels, or an option
        has the wrong type.
    """
    values = _scores(scores)
    count = check_reps(reps)
    if count < 2:
        raise ValueError(f"reps must be at least 2 (standard errors need two replicates), got {count}")
    level = check_confidence(confidence)
    higher = as_flag(higher_is_better, "higher_is_better")
    codes, n_clusters = (None, 0) if clusters is None else _clusters(clusters, values.shape[1])
    used_seed = resolve_seed(seed)
    threads = resolve_threads(n_threads)
    models = values.shape[0]
    design = _design(values, codes, n_clusters)
    # The totals, the means and the centered copy of the means, at once.
    check_replicate_memory(count, design.table.shape[1] + 2 * models, threads)
    totals = map_replicates(
        _totals_chunk,
        [design.table, np.empty(0, np.int64) if design.unit_of_item is None else design.unit_of_item],
        [design.units, design.samples, used_seed],
        count,
        client,
        threads,
    )
    replicates = _means(design, totals, models)
    del totals
    item_means = values if values.ndim == 2 else values.mean(axis=2)
    mean = np.nanmean(item_means, axis=1)
    interval = intervals(mean, replicates, "percentile", level, n_threads=threads)
    summary = rank_summary(replicates, confidence=level, higher_is_better=higher)
    sign = 1.0 if higher else -1.0
    se, pvalues, critical, simultaneous = _pairwise(sign * replicates, sign * mean, level, threads)
    difference = mean[:, None] - mean[None, :]
    order = np.argsort(-sign * mean, kind="stable")
    groups = _leader_groups(pvalues < 1.0 - level, order)
    return Leaderboard(
        mean=mean,
        interval=interval,
        rank_probabilities=summary.rank_probabilities,
        p_best=summary.p_best,
        expected_rank=summary.expected_rank,
        rank_interval=summary.rank_interval,
        simultaneous_rank_interval=simultaneous,
        difference_interval=np.stack([difference - critical * se, difference + critical * se]),
        difference_se=se,
        critical_value=critical,
        pvalues=pvalues,
        tie_groups=groups,
        replicates=replicates,
        reps=count,
        confidence=level,
        seed=used_seed,
        higher_is_better=higher,
    )


@dataclass(frozen=True)
class ScoreTable:
    """A score file as :func:`ranks` takes it.

    Attributes
    ----------
    scores : numpy.ndarray
        ``(num_models, num_items)`` or ``(num_models, num_items, num_samples)``;
        NaN where a model has no score for an item.
    models : list of str
        Row labels, in order of first appearance.
    items : list of str
        Column labels, sorted.
    clusters : numpy.ndarray or None
        ``(num_items,)`` cluster labels, when the table names a cluster column.
    """

    scores: NDArray[np.float64]
    models: list[str]
    items: list[str]
    clusters: NDArray[Any] | None


def read_scores(
    data: Any,
    *,
    model: str = "model",
    item: str = "item",
    score: str = "score",
    sample: str | None = None,
    cluster: str | None = None,
) -> ScoreTable:
    """Read a leaderboard's item-level scores from a table.

    Long format (when the table has the ``item`` and ``score`` columns): one row
    per model and item (and sample), a missing row is a missing cell. Wide
    format (otherwise): one row per model, one column per item, empty cells
    missing; a model on several rows has one sample per row.

    Parameters
    ----------
    data : pandas.DataFrame, or a path to a CSV/TSV/Parquet file
        Read as :func:`precipice.from_long` reads it (gzip-compressed text,
        the delimiter detected).
    model, item, score : str
        Column names (``item`` and ``score`` in the long format only).
    sample : str, optional
        Long format: the column numbering the samples (generations, epochs) of
        a model on an item; every scored cell needs the same number.
    cluster : str, optional
        Long format: the column naming each item's cluster.

    Returns
    -------
    ScoreTable

    Raises
    ------
    ValueError
        A missing column, an empty or non-numeric score (named by line), a
        duplicate row, cells with different numbers of samples, or an item in
        two clusters.
    ImportError
        Without pandas.
    """
    frame, lines = longform._read(data)
    locate = longform._locator(lines)
    if item not in frame.columns or score not in frame.columns:
        if sample is not None or cluster is not None:
            raise ValueError(f"sample and cluster columns need the long format (an {item!r} and a {score!r} column)")
        wide, items, _ = longform.from_wide(data, algorithm=model, ragged=True, return_labels=True)
        runs = {array.shape[0] for array in wide.values()}
        if len(runs) > 1:
            raise ValueError(f"wide table: models have different numbers of rows (samples): {sorted(runs)}")
        stacked = np.stack([array.T for array in wide.values()])  # (models, items, samples)
        return ScoreTable(stacked[:, :, 0] if runs == {1} else stacked, list(wide), items, None)
    keys = [model, item] + ([sample] if sample is not None else [])
    longform._require_columns(
        frame,
        [("model", model), ("item", item), ("score", score)]
        + ([("sample", sample)] if sample is not None else [])
        + ([("cluster", cluster)] if cluster is not None else []),
    )
    values = longform._scores(frame[score], score, locate, False)
    empty = frame[keys].isna().any(axis=1).to_numpy()
    if empty.any():
        raise ValueError(f"{locate(int(np.flatnonzero(empty)[0]))} has an empty {', '.join(keys)} cell")
    duplicated = frame.duplicated(subset=keys).to_numpy()
    if duplicated.any():
        hint = "" if sample is not None else "; several samples per item need a sample column (--sample-col)"
        raise ValueError(f"{locate(int(np.flatnonzero(duplicated)[0]))} repeats an earlier ({', '.join(keys)}){hint}")
    models = [str(m) for m in dict.fromkeys(frame[model].tolist())]
    model_codes = frame[model].map({m: i for i, m in enumerate(dict.fromkeys(frame[model].tolist()))}).to_numpy()
    item_labels = sorted(frame[item].unique(), key=str)
    item_codes = frame[item].map({t: i for i, t in enumerate(item_labels)}).to_numpy()
    if sample is None:
        table = np.full((len(models), len(item_labels)), np.nan)
        table[model_codes, item_codes] = values
    else:
        # Samples of a cell in file order, whatever their labels.
        position = frame.groupby([model, item], sort=False).cumcount().to_numpy()
        per_cell = np.zeros((len(models), len(item_labels)), dtype=np.int64)
        np.add.at(per_cell, (model_codes, item_codes), 1)
        counts = np.unique(per_cell[per_cell > 0])
        if counts.size > 1:
            raise ValueError(f"cells have different numbers of samples ({', '.join(map(str, counts))})")
        table = np.full((len(models), len(item_labels), int(counts[0])), np.nan)
        table[model_codes, item_codes, position] = values
    clusters = None
    if cluster is not None:
        per_item = frame.groupby(item)[cluster].nunique(dropna=False)
        if (per_item > 1).any():
            raise ValueError(f"item {per_item.index[per_item > 1][0]!r} is in more than one {cluster!r}")
        first = frame.drop_duplicates(subset=[item]).set_index(item)[cluster]
        clusters = first.loc[item_labels].to_numpy()
    return ScoreTable(table, models, [str(t) for t in item_labels], clusters)
