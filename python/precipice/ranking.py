"""Rank-based comparisons of methods across datasets or tasks (Demšar 2006):
the Friedman test with the Iman–Davenport correction, the Nemenyi critical
difference and all-pairs p-values, all-pairs Wilcoxon signed-rank tests with
Holm's correction, and rank aggregation (Borda, Kemeny) with a bootstrap over
tasks for the stability of the aggregate ranking.

Scores are ``(num_datasets, num_methods)``: one row per dataset (task, block),
one column per method. Ranks run from 1 (best); by default a larger score is
better (``higher_is_better=True``), as autorank's default ``order="descending"``
and Demšar's tables rank them. The tests' p-values do not depend on the
direction, only the reported ranks do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._core import ranking as _core_ranking
from ._special import chi_square_survival, f_survival, studentized_range_quantile, studentized_range_survival
from ._validation import (
    as_flag,
    as_int,
    as_real_array,
    check_confidence,
    check_optional_reps,
    check_replicate_memory,
    resolve_seed,
    resolve_threads,
    unmasked,
)
from .leaderboard import RankSummary, adjust_pvalues, rank_summary

NanPolicy = Literal["omit", "raise"]

__all__ = [
    "Aggregation",
    "FriedmanResult",
    "NemenyiResult",
    "WilcoxonResult",
    "borda",
    "critical_difference_cliques",
    "friedman",
    "kemeny",
    "nemenyi",
    "nemenyi_cd",
    "wilcoxon",
]

# Demšar (2006), Table 5(a): q_alpha, the studentized range quantile over
# sqrt(2) with infinite degrees of freedom, for k = 2..10 methods, as printed.
_DEMSAR_Q = {
    0.05: (1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164),
    0.10: (1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920),
}

# The exact Kemeny search is a table of 2^k x k costs per call (and per
# replicate): up to 12 methods by default, at most 16 on request.
_KEMENY_EXACT_DEFAULT = 12
_KEMENY_EXACT_LIMIT = 16

# scipy.stats.wilcoxon's method="auto": the exact null distribution up to 50
# pairs without ties or zeros; with them, the full sign-flip permutation
# distribution up to 13 (2^13 < its 9999 resamples); otherwise the normal
# approximation with the tie correction.
_WILCOXON_EXACT_MAX = 50
_WILCOXON_PERMUTATION_MAX = 13


def _score_table(scores: object, name: str, *, nan_policy: str | None) -> NDArray[np.float64]:
    """A float64 copy of a (rows, columns) real table with at least 2 of each;
    NaN marks a missing cell, refused under nan_policy="raise"; infinity refused."""
    if nan_policy not in ("omit", "raise", None):
        raise ValueError(f"nan_policy must be 'omit' or 'raise', got {nan_policy!r}")
    values = unmasked(scores, name, nan_policy="omit" if nan_policy is None else nan_policy)
    if isinstance(values, (list, tuple)) and len({len(row) if hasattr(row, "__len__") else -1 for row in values}) > 1:
        raise ValueError(f"{name} is ragged (rows of different lengths); pad with NaN for missing cells")
    try:
        array = as_real_array(values, name)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array: {error}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (num_datasets, num_methods), got shape {array.shape}")
    if array.shape[0] < 2 or array.shape[1] < 2:
        raise ValueError(f"{name} needs at least 2 datasets (rows) and 2 methods (columns), got shape {array.shape}")
    table = np.array(array, dtype=np.float64)  # a copy: the caller's array is never written
    if np.isinf(table).any():
        raise ValueError(f"{name} contains infinite values")
    if nan_policy == "raise" and np.isnan(table).any():
        raise ValueError(f"{name} contains NaN (pass nan_policy='omit' to leave missing cells out)")
    return table


def _complete_rows(table: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """The datasets with every method scored (the Friedman test needs complete
    blocks), with a warning saying how many were dropped."""
    complete = ~np.isnan(table).any(axis=1)
    kept = table[complete]
    if kept.shape[0] < 2:
        raise ValueError(f"{name}: fewer than 2 datasets with every method scored ({kept.shape[0]})")
    dropped = int(table.shape[0] - kept.shape[0])
    if dropped:
        warnings.warn(
            f"{name}: dropped {dropped} of {table.shape[0]} datasets with a missing cell (NaN); "
            "the Friedman-type tests need every method scored on each dataset",
            RuntimeWarning,
            stacklevel=3,
        )
    return kept


def _rank_rows(keys: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Average ranks (1 = smallest) along each row and, per element, the size of
    its tie group. Equal keys share the mean of the ranks they occupy."""
    rows, columns = keys.shape
    order = np.argsort(keys, axis=1, kind="stable")
    ordered = np.take_along_axis(keys, order, axis=1)
    position = np.broadcast_to(np.arange(columns), (rows, columns))
    starts = np.ones((rows, columns), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones((rows, columns), dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    # A tie group runs from its first sorted position to its last: the first is
    # carried forward from each group's start, the last backward from its end.
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, position, columns)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((rows, columns))
    sizes = np.empty((rows, columns))
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    np.put_along_axis(sizes, order, (last - first + 1).astype(np.float64), axis=1)
    return ranks, sizes


def _ranks_best_first(table: NDArray[np.float64], higher_is_better: bool) -> NDArray[np.float64]:
    ranks, _ = _rank_rows(-table if higher_is_better else table)
    return ranks


@dataclass(frozen=True)
class FriedmanResult:
    """The Friedman test of equal average ranks over datasets.

    Attributes
    ----------
    statistic : float
        Friedman's chi-square statistic with the tie correction, as
        ``scipy.stats.friedmanchisquare`` computes it.
    pvalue : float
        Its chi-square tail with ``num_methods - 1`` degrees of freedom.
    iman_davenport : float
        Iman and Davenport's F statistic, (N - 1) chi2 / (N (k - 1) - chi2)
        (Demšar 2006, eq. 2, from the tie-corrected chi2; infinite when every
        dataset ranks the methods alike).
    iman_davenport_pvalue : float
        Its F tail with (k - 1, (k - 1)(N - 1)) degrees of freedom.
    average_ranks : numpy.ndarray
        ``(num_methods,)``: each method's mean rank over the datasets, 1 best,
        ties sharing the ranks they occupy.
    num_datasets : int
        The datasets the test used (those with every method scored).
    num_methods : int
    """

    statistic: float
    pvalue: float
    iman_davenport: float
    iman_davenport_pvalue: float
    average_ranks: NDArray[np.float64]
    num_datasets: int
    num_methods: int


def friedman(scores: ArrayLike, *, higher_is_better: bool = True, nan_policy: NanPolicy = "omit") -> FriedmanResult:
    """The Friedman test, with the Iman–Davenport F version, over datasets.

    Parameters
    ----------
    scores : array_like
        ``(num_datasets, num_methods)`` real scores; NaN marks a missing cell.
    higher_is_better : bool
        Whether a larger score ranks better (rank 1). Only the reported
        ``average_ranks`` depend on it.
    nan_policy : {"omit", "raise"}
        ``"omit"`` drops the datasets with a missing cell, with a
        RuntimeWarning saying how many (scikit-posthocs drops such blocks
        silently; scipy returns NaN); ``"raise"`` refuses NaN.

    Returns
    -------
    FriedmanResult

    Raises
    ------
    ValueError
        If ``scores`` is not two-dimensional, has fewer than 2 methods or
        fewer than 2 complete datasets, holds infinity, or NaN under
        ``nan_policy="raise"``; if ``nan_policy`` is unknown.
    TypeError
        If ``scores`` is not numeric or ``higher_is_better`` not a bool.

    Notes
    -----
    scipy's ``friedmanchisquare`` needs at least 3 methods; two are accepted
    here (the test is then the two-sided sign test's chi-square form). When
    every dataset ties every method the statistic is 0/0: NaN, as scipy.
    """
    better = as_flag(higher_is_better, "higher_is_better")
    table = _complete_rows(_score_table(scores, "scores", nan_policy=nan_policy), "scores")
    n, k = table.shape
    ranks, sizes = _rank_rows(table)
    # sum over tie groups of t^3 - t, as the sum over their members of t^2 - 1.
    ties = float(np.sum(sizes**2 - 1.0))
    correction = 1.0 - ties / (k * (k * k - 1.0) * n)
    rank_sums = ranks.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = float((12.0 / (k * n * (k + 1.0)) * np.sum(rank_sums**2) - 3.0 * n * (k + 1.0)) / correction)
    if np.isnan(statistic):
        warnings.warn(
            "scores: every dataset ties every method; the Friedman statistic is undefined (NaN)",
            RuntimeWarning,
            stacklevel=2,
        )
    pvalue = float(chi_square_survival(statistic, k - 1.0)) if not np.isnan(statistic) else np.nan
    denominator = n * (k - 1.0) - statistic
    if np.isnan(statistic):
        f_statistic = np.nan
    elif denominator <= 1e-12 * n * (k - 1.0):
        f_statistic = np.inf
    else:
        f_statistic = (n - 1.0) * statistic / denominator
    f_pvalue = float(f_survival(f_statistic, k - 1.0, (k - 1.0) * (n - 1.0))) if not np.isnan(f_statistic) else np.nan
    average = (k + 1.0 - rank_sums / n) if better else rank_sums / n
    return FriedmanResult(
        statistic=statistic,
        pvalue=pvalue,
        iman_davenport=float(f_statistic),
        iman_davenport_pvalue=f_pvalue,
        average_ranks=average,
        num_datasets=int(n),
        num_methods=int(k),
    )


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}")
    level = float(alpha)
    if not 0.0 < level < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {level}")
    return level


def nemenyi_cd(num_methods: int, num_datasets: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's critical difference of average ranks (Demšar 2006).

    CD = q_alpha sqrt(k (k + 1) / (6 N)), q_alpha the studentized range
    quantile (infinite degrees of freedom) at 1 - alpha over sqrt(2). For
    alpha 0.05 and 0.10 with k = 2..10, q_alpha is Demšar's Table 5(a) as
    printed (three decimals, as Orange's ``compute_CD``); elsewhere it is
    computed (autorank computes it everywhere, from statsmodels' interpolated
    table, so its CD differs in the fourth digit).

    Parameters
    ----------
    num_methods : int
        k, at least 2.
    num_datasets : int
        N, at least 1.
    alpha : float
        The family-wise significance level, in (0, 1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a count is too small or ``alpha`` is outside (0, 1).
    TypeError
        If a count is not an integer or ``alpha`` not a number.
    """
    k = as_int(num_methods, "num_methods", minimum=2)
    n = as_int(num_datasets, "num_datasets", minimum=1)
    level = _check_alpha(alpha)
    table = _DEMSAR_Q.get(level)
    if table is not None and k <= 10:
        q_alpha = table[k - 2]
    else:
        q_alpha = float(studentized_range_quantile(1.0 - level, k)) / np.sqrt(2.0)
    return float(q_alpha * np.sqrt(k * (k + 1.0) / (6.0 * n)))


@dataclass(frozen=True)
class NemenyiResult:
    """All-pairs Nemenyi tests of average ranks.

    Attributes
    ----------
    pvalues : numpy.ndarray
        ``(num_methods, num_methods)``, symmetric, 1 on the diagonal: the
        studentized range tail of sqrt(2) |R_i - R_j| / sqrt(k (k + 1) / (6 N)),
        as scikit-posthocs' ``posthoc_nemenyi_friedman``. Already a
        family-wise test: do not adjust them again.
    average_ranks : numpy.ndarray
        ``(num_methods,)``, 1 best.
    num_datasets : int
        The datasets used (those with every method scored).
    """

    pvalues: NDArray[np.float64]
    average_ranks: NDArray[np.float64]
    num_datasets: int


def nemenyi(scores: ArrayLike, *, higher_is_better: bool = True, nan_policy: NanPolicy = "omit") -> NemenyiResult:
    """All-pairs Nemenyi post-hoc tests after a Friedman test.

    Parameters
    ----------
    scores : array_like
        ``(num_datasets, num_methods)`` real scores; NaN marks a missing cell.
    higher_is_better : bool
        Whether a larger score ranks better (only ``average_ranks`` depends on it).
    nan_policy : {"omit", "raise"}
        As in :func:`friedman`: datasets with a missing cell are dropped with
        a warning (as scikit-posthocs drops incomplete blocks), or refused.

    Returns
    -------
    NemenyiResult

    Raises
    ------
    ValueError, TypeError
        As :func:`friedman`.
    """
    better = as_flag(higher_is_better, "higher_is_better")
    table = _complete_rows(_score_table(scores, "scores", nan_policy=nan_policy), "scores")
    n, k = table.shape
    average = _ranks_best_first(table, better).mean(axis=0)
    scale = np.sqrt(k * (k + 1.0) / (6.0 * n))
    first, second = np.triu_indices(k, 1)
    q = np.abs(average[first] - average[second]) / scale * np.sqrt(2.0)
    pvalues = np.ones((k, k))
    pvalues[first, second] = pvalues[second, first] = np.clip(studentized_range_survival(q, k), 0.0, 1.0)
    return NemenyiResult(pvalues=pvalues, average_ranks=average, num_datasets=int(n))


def critical_difference_cliques(average_ranks: ArrayLike, critical_difference: float) -> list[tuple[int, ...]]:
    """The groups a critical-difference diagram joins with a bar.

    Methods sorted by average rank; each group is a maximal run whose first
    and last ranks differ by at most ``critical_difference`` (not significantly
    different under the Nemenyi test), at least two methods long, and not
    inside an earlier group: autorank's rule.

    Parameters
    ----------
    average_ranks : array_like
        ``(num_methods,)`` finite average ranks.
    critical_difference : float
        The critical difference (:func:`nemenyi_cd`), nonnegative.

    Returns
    -------
    list of tuple of int
        Each group's method indices (into ``average_ranks``), in rank order.

    Raises
    ------
    ValueError
        If ``average_ranks`` is not one-dimensional and finite, or
        ``critical_difference`` is negative or not finite.
    TypeError
        If an argument is not numeric.
    """
    ranks = np.array(as_real_array(average_ranks, "average_ranks"), dtype=np.float64)
    if ranks.ndim != 1 or ranks.size < 2 or not np.isfinite(ranks).all():
        raise ValueError(f"average_ranks must be a finite 1-D array of at least 2 methods, got shape {ranks.shape}")
    cd = float(as_real_array(critical_difference, "critical_difference"))
    if not (np.isfinite(cd) and cd >= 0.0):
        raise ValueError(f"critical_difference must be finite and nonnegative, got {cd}")
    order = np.argsort(ranks, kind="stable")
    ordered = ranks[order]
    k = ordered.size
    within = np.abs(ordered[None, :] - ordered[:, None]) <= cd
    within &= np.arange(k)[None, :] > np.arange(k)[:, None]
    reach = np.where(within.any(axis=1), k - 1 - np.argmax(within[:, ::-1], axis=1), -1)
    earlier = np.concatenate(([-1], np.maximum.accumulate(reach)[:-1]))
    starts = np.flatnonzero((reach >= 0) & (reach > earlier))
    return [tuple(int(m) for m in order[i : reach[i] + 1]) for i in starts]


@dataclass(frozen=True)
class WilcoxonResult:
    """All-pairs Wilcoxon signed-rank tests.

    Attributes
    ----------
    statistic : numpy.ndarray
        ``(num_methods, num_methods)``: min(R+, R-) of the differences, as
        ``scipy.stats.wilcoxon`` reports it (NaN on the diagonal).
    pvalues : numpy.ndarray
        ``(num_methods, num_methods)`` two-sided p-values, unadjusted, 1 on the diagonal.
    adjusted : numpy.ndarray
        The p-values adjusted together over the k (k - 1) / 2 pairs by
        ``p_adjust`` (:func:`precipice.leaderboard.adjust_pvalues`); a pair
        whose p-value is NaN stays NaN and is not counted in the family.
    num_datasets : numpy.ndarray
        ``(num_methods, num_methods)`` int: the datasets each pair used (both scored).
    method : numpy.ndarray
        ``(num_methods, num_methods)`` str: "exact", "permutation" (the full
        sign-flip distribution, ties or zeros present) or "asymptotic" per
        pair ("" on the diagonal): scipy's choice under ``method="auto"``.
    """

    statistic: NDArray[np.float64]
    pvalues: NDArray[np.float64]
    adjusted: NDArray[np.float64]
    num_datasets: NDArray[np.int64]
    method: NDArray[np.str_]


def _sign_flip_tails(doubled: NDArray[np.float64], observed: NDArray[np.float64]) -> NDArray[np.float64]:
    """2 min(P(T <= t), P(T >= t)) for T the sum of a random subset of each row
    of ``doubled`` (twice the signed ranks, integers; 0 for unused slots), t
    ``observed``: the exact sign-flip distribution, by counting subsets."""
    pairs, slots = doubled.shape
    top = int(doubled.sum(axis=1).max()) + 1
    counts = np.zeros((pairs, top))
    counts[:, 0] = 1.0
    grid = np.arange(top)
    offsets = doubled.astype(np.int64)
    # One step per slot (at most 50), all pairs at once: adding rank r to the
    # subsets counted so far shifts their sums by r. A zero slot doubles every
    # count, which the normalization by the total cancels; totals stay below
    # 2^51, exact in float64.
    for slot in range(slots):
        source = grid[None, :] - offsets[:, slot : slot + 1]
        counts = counts + np.where(source >= 0, np.take_along_axis(counts, np.maximum(source, 0), axis=1), 0.0)
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1]
    t = observed.astype(np.int64)
    at_most = np.take_along_axis(cumulative, t[:, None], axis=1)[:, 0]
    below = np.where(t > 0, np.take_along_axis(cumulative, np.maximum(t - 1, 0)[:, None], axis=1)[:, 0], 0.0)
    at_least = total - below
    out: NDArray[np.float64] = np.clip(2.0 * np.minimum(at_most, at_least) / total, 0.0, 1.0)
    return out


def wilcoxon(
    scores: ArrayLike,
    *,
    p_adjust: Literal["bonferroni", "holm", "hochberg", "bh", "by"] = "holm",
    nan_policy: NanPolicy = "omit",
) -> WilcoxonResult:
    """Two-sided Wilcoxon signed-rank tests of every pair of methods over datasets.

    Each pair's p-value equals ``scipy.stats.wilcoxon(x, y)`` with its
    defaults (``zero_method="wilcox"``, ``correction=False``,
    ``method="auto"``) on the datasets where both are scored: the exact null
    distribution up to 50 datasets without ties or zero differences; with
    ties or zeros, the full sign-flip distribution up to 13 datasets
    (scipy's permutation test, deterministic there); otherwise the normal
    approximation with the tie correction. The p-values are then adjusted
    over the family of pairs (Holm by default, as Demšar recommends):
    scikit-posthocs' ``posthoc_wilcoxon(scores.T, p_adjust="holm")``.

    Parameters
    ----------
    scores : array_like
        ``(num_datasets, num_methods)`` real scores; NaN marks a missing cell.
    p_adjust : {"holm", "bonferroni", "hochberg", "bh", "by"}
        The multiple-comparison correction of ``adjusted``.
    nan_policy : {"omit", "raise"}
        ``"omit"`` tests each pair on the datasets where both are scored
        (scipy's ``nan_policy="omit"``; scikit-posthocs refuses missing
        cells); ``"raise"`` refuses NaN.

    Returns
    -------
    WilcoxonResult

    Raises
    ------
    ValueError
        If ``scores`` is not ``(num_datasets, num_methods)`` with at least 2
        of each, holds infinity, or NaN under ``nan_policy="raise"``; if
        ``p_adjust`` or ``nan_policy`` is unknown.
    TypeError
        If ``scores`` is not numeric.
    """
    table = _score_table(scores, "scores", nan_policy=nan_policy)
    if p_adjust not in ("bonferroni", "holm", "hochberg", "bh", "by"):
        raise ValueError(f"p_adjust must be one of 'bonferroni', 'holm', 'hochberg', 'bh', 'by', got {p_adjust!r}")
    k = table.shape[1]
    first, second = np.triu_indices(k, 1)
    d = table[:, first].T - table[:, second].T  # (pairs, datasets), NaN where either is missing
    used = ~np.isnan(d)
    count_all = used.sum(axis=1)
    nonzero = used & (d != 0)
    count = nonzero.sum(axis=1).astype(np.float64)
    # Ranks of |d| among each pair's nonzero differences; the rest sort last
    # as +inf, a group of their own that the masks leave out.
    magnitude = np.where(nonzero, np.abs(d), np.inf)
    ranks, sizes = _rank_rows(magnitude)
    ranks = np.where(nonzero, ranks, 0.0)
    r_plus = np.sum(np.where(d > 0, ranks, 0.0), axis=1)
    r_minus = np.sum(np.where(d < 0, ranks, 0.0), axis=1)
    has_ties = np.any(nonzero & (sizes > 1), axis=1)
    has_zeros = (count_all - count) > 0
    exact = (count_all <= _WILCOXON_EXACT_MAX) & ~has_ties & ~has_zeros
    permutation = ~exact & (count_all <= _WILCOXON_PERMUTATION_MAX)
    enumerated = exact | permutation
    pvalues = np.full(first.size, np.nan)
    if enumerated.any():
        doubled = 2.0 * ranks[enumerated]
        # Within an exact pair r_plus is an integer; scipy rounds a half-integer
        # statistic outward, which the sign-flip distribution's own support
        # (half-integers where ties are) makes moot.
        pvalues[enumerated] = _sign_flip_tails(doubled, 2.0 * r_plus[enumerated])
    normal = ~enumerated
    if normal.any():
        c = count[normal]
        tie_term = np.sum(np.where(nonzero[normal], sizes[normal] ** 2 - 1.0, 0.0), axis=1)
        spread = np.sqrt((c * (c + 1.0) * (2.0 * c + 1.0) - tie_term / 2.0) / 24.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (r_plus[normal] - c * (c + 1.0) / 4.0) / spread
        # A two-sided normal tail is the chi-square tail of z^2 with one degree of freedom.
        pvalues[normal] = np.where(np.isnan(z), np.nan, chi_square_survival(np.nan_to_num(z) ** 2, 1.0))
    pvalues[count_all == 0] = np.nan
    finite = ~np.isnan(pvalues)
    adjusted_pairs = np.full(first.size, np.nan)
    if finite.any():
        adjusted_pairs[finite] = adjust_pvalues(pvalues[finite], p_adjust)

    def square(values: NDArray[Any], diagonal: object, dtype: type[np.generic] | str) -> NDArray[Any]:
        out = np.full((k, k), diagonal, dtype=dtype)
        out[first, second] = values
        out[second, first] = values
        return out

    labels = np.where(exact, "exact", np.where(permutation, "permutation", "asymptotic"))
    return WilcoxonResult(
        statistic=square(np.minimum(r_plus, r_minus), np.nan, np.float64),
        pvalues=square(pvalues, 1.0, np.float64),
        adjusted=square(adjusted_pairs, 1.0, np.float64),
        num_datasets=square(count_all, 0, np.int64),
        method=square(labels, "", "<U11"),
    )


@dataclass(frozen=True)
class Aggregation:
    """An aggregate ranking of methods over tasks.

    Attributes
    ----------
    method : str
        ``"borda"`` or ``"kemeny"``.
    scores : numpy.ndarray
        ``(num_methods,)``, larger is better. Borda: each method's mean, over
        the tasks that score it, of the share of the other scored methods it
        beats (ties count half), in [0, 1]. Kemeny: ``num_methods - 1 -``
        its position in the consensus.
    order : numpy.ndarray
        ``(num_methods,)`` int: the methods, best first (Borda ties by index).
    ranks : numpy.ndarray
        ``(num_methods,)``: each method's aggregate rank, 1 best (Borda ties
        share the ranks they occupy).
    cost : float
        Kemeny: the consensus's summed Kendall tau distance to the tasks'
        rankings (the pairs of methods a task orders the other way; a tie or
        a missing method counts for neither order). NaN for Borda.
    exact : bool
        Kemeny: whether the consensus is a proven optimum (exact search) or a
        local optimum (Borda-started local search). True for Borda.
    stability : RankSummary or None
        With ``reps``: the distribution of each method's aggregate rank over
        tasks resampled with replacement (``rank_probabilities[m, r]`` =
        P(method m at rank r + 1)), else None.
    """

    method: str
    scores: NDArray[np.float64]
    order: NDArray[np.int64]
    ranks: NDArray[np.float64]
    cost: float
    exact: bool
    stability: RankSummary | None


def _aggregation_input(scores: object, higher_is_better: object) -> NDArray[np.float64]:
    """The (tasks, methods) table oriented so that larger is better; every
    method scored on a task that scores another."""
    better = as_flag(higher_is_better, "higher_is_better")
    table = _score_table(scores, "scores", nan_policy=None)
    if table.shape[1] > 255:
        raise ValueError(f"scores: at most 255 methods, got {table.shape[1]}")
    informative = (~np.isnan(table)).sum(axis=1) >= 2
    unscored = np.flatnonzero(~(~np.isnan(table[informative])).any(axis=0))
    if unscored.size:
        raise ValueError(
            f"scores: method {int(unscored[0])} is not scored on any task that scores another method "
            f"({unscored.size} such methods)"
        )
    return np.ascontiguousarray(table if better else -table)


def _stability(
    table: NDArray[np.float64], how: str, exact: bool, reps: object, seed: object, n_threads: object, confidence: object
) -> RankSummary | None:
    count = check_optional_reps(reps)
    if not count:
        return None
    level = check_confidence(confidence)
    threads = resolve_threads(n_threads)
    check_replicate_memory(count, table.shape[1], threads)
    replicates = _core_ranking.bootstrap(table, how, exact, count, resolve_seed(seed), threads)
    # A replicate that draws no task scoring a method (possible with missing
    # cells) ranks it below every Borda score, which lies in [0, 1].
    return rank_summary(np.where(np.isnan(replicates), -1.0, replicates), confidence=level)


def borda(
    scores: ArrayLike,
    *,
    higher_is_better: bool = True,
    reps: int = 0,
    seed: object = None,
    n_threads: int | None = None,
    confidence: float = 0.95,
) -> Aggregation:
    """Borda aggregation of per-task rankings, with ties and missing entries.

    On each task the methods it scores get Borda points: the share of the
    others they beat, ties counting half. A method's Borda score is its mean
    over the tasks that score it, so a method missing from a task is neither
    rewarded nor punished there. Without missing cells the order is that of
    the average ranks.

    Parameters
    ----------
    scores : array_like
        ``(num_tasks, num_methods)`` real scores; NaN marks a method not run on a task.
    higher_is_better : bool
        Whether a larger score ranks better.
    reps : int
        Bootstrap replicates over tasks for ``stability``; 0 for none.
    seed : int, numpy Generator or None
        The bootstrap's seed: the same seed gives the same result for any ``n_threads``.
    n_threads : int or None
        Threads for the bootstrap (None: all usable cores).
    confidence : float
        The coverage of ``stability.rank_interval``.

    Returns
    -------
    Aggregation

    Raises
    ------
    ValueError
        If ``scores`` is not ``(num_tasks, num_methods)`` with at least 2 of
        each (at most 255 methods), holds infinity, or leaves a method unscored
        on every task that scores another; if ``reps``, ``confidence``,
        ``seed`` or ``n_threads`` is out of range.
    TypeError
        If ``scores`` is not numeric, ``higher_is_better`` not a bool, or a
        count not an integer.
    """
    table = _aggregation_input(scores, higher_is_better)
    stability = _stability(table, "borda", False, reps, seed, n_threads, confidence)
    points = _core_ranking.borda(table)
    order = np.argsort(-points, kind="stable").astype(np.int64)
    ranks, _ = _rank_rows(-points[None, :])
    return Aggregation("borda", points, order, ranks[0], float("nan"), True, stability)


def kemeny(
    scores: ArrayLike,
    *,
    higher_is_better: bool = True,
    exact: bool | None = None,
    reps: int = 0,
    seed: object = None,
    n_threads: int | None = None,
    confidence: float = 0.95,
) -> Aggregation:
    """The Kemeny consensus of per-task rankings, with ties and missing entries
    (Colombo et al. 2022, "What are the best systems?").

    The consensus is the order of the methods that minimizes the summed
    Kendall tau distance to the tasks' rankings: the number of (task, pair)
    where the task orders the pair the other way. A pair tied on a task, or
    with a method missing there, costs the same under either order and so
    does not count.

    Parameters
    ----------
    scores : array_like
        ``(num_tasks, num_methods)`` real scores; NaN marks a method not run on a task.
    higher_is_better : bool
        Whether a larger score ranks better.
    exact : bool or None
        True: the exact optimum, by dynamic programming over subsets of
        methods (O(2^k k) time and memory; at most 16 methods). False: local
        search from the Borda order, each method in turn moved to the
        position that lowers the cost most until no move lowers it (a local
        optimum, often the global one). None: exact up to 12 methods.
        Between orders of equal cost the result is a fixed function of the input.
    reps, seed, n_threads, confidence
        The bootstrap over tasks for ``stability``, as :func:`borda`; each
        replicate's consensus is computed as the point estimate's.

    Returns
    -------
    Aggregation

    Raises
    ------
    ValueError
        As :func:`borda`, and if ``exact=True`` with more than 16 methods.
    TypeError
        As :func:`borda`, and if ``exact`` is not a bool or None.
    """
    table = _aggregation_input(scores, higher_is_better)
    k = table.shape[1]
    if exact is None:
        search_exact = k <= _KEMENY_EXACT_DEFAULT
    else:
        search_exact = as_flag(exact, "exact")
        if search_exact and k > _KEMENY_EXACT_LIMIT:
            raise ValueError(f"exact=True takes at most {_KEMENY_EXACT_LIMIT} methods, got {k}; pass exact=False")
    stability = _stability(table, "kemeny", search_exact, reps, seed, n_threads, confidence)
    order, cost = _core_ranking.kemeny(table, search_exact)
    ranks = np.empty(k)
    ranks[order] = np.arange(1.0, k + 1.0)
    return Aggregation("kemeny", k - ranks, order, ranks, float(cost), bool(search_exact), stability)
