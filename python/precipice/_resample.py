"""The resampling engine shared by ``evals`` and the drop-ins: resampled sums of
per-item statistics (from rows compressed to their distinct values when that is
cheaper), resample indices and resampled order statistics, produced block by
block so that memory does not grow with reps x n.

This module is the one Python owner of the ``_core.evals`` kernels. Replicate
``r`` depends only on ``(seed, r)``; ``first`` shifts the replicate range, so a
range computed in pieces (Dask chunks) equals the range computed at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

from . import _core

__all__ = [
    "accepts_axis",
    "compress_rows",
    "index_blocks",
    "metric_of",
    "permuted_medians",
    "permuted_sums",
    "resample_indices",
    "resampled_order_statistic",
    "sum_chunk",
    "sum_replicates",
]

# Resampled sums (or resampled values for a Python callable) are produced in
# blocks of at most this many numbers: memory does not grow with reps x n.
_BLOCK_VALUES = 1 << 21
# A multinomial draw over K distinct rows costs about as much as this many index
# draws per row: below n / _MULTINOMIAL_RATIO distinct rows, draw counts instead.
_MULTINOMIAL_RATIO = 32

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def compress_rows(rows: FloatArray) -> tuple[FloatArray, IntArray | None]:
    """Distinct rows and their multiplicities, when a multinomial draw over them
    is cheaper than index draws.

    Parameters
    ----------
    rows : ndarray, ``(m, d)``
        Per-item (or per-cluster) statistics.

    Returns
    -------
    rows : ndarray
        The distinct rows ``(K, d)``, or ``rows`` itself.
    multiplicity : ndarray of int64 ``(K,)``, or None
        How often each distinct row occurs; None when ``rows`` is returned as given.
    """
    n = rows.shape[0]
    if n < 2 * _MULTINOMIAL_RATIO:
        return rows, None
    if rows.shape[1] == 1:
        values, counts = np.unique(rows[:, 0], return_counts=True)
        values = values[:, None]
    else:
        values, counts = np.unique(rows, axis=0, return_counts=True)
    if values.shape[0] * _MULTINOMIAL_RATIO > n:
        return rows, None
    return np.ascontiguousarray(values, dtype=np.float64), counts.astype(np.int64)


def sum_replicates(
    rows: FloatArray,
    statistic: Callable[[FloatArray], object],
    reps: int,
    seed: int,
    threads: int,
    *,
    draws: int | None = None,
    first: int = 0,
    compress: bool = True,
    multiplicity: IntArray | None = None,
) -> FloatArray:
    """A statistic of the resampled column sums of ``rows``, replicate by replicate.

    Parameters
    ----------
    rows : ndarray, ``(m, d)``
        Per-item (or per-cluster) statistics; replicate r draws ``draws`` rows
        with replacement and sums each column.
    statistic : callable
        Maps a ``(block, d)`` array of column sums to ``(block,)`` or ``(block, k)``.
    reps, seed, threads : int
        Replicate count, resolved seed and thread count.
    draws : int, optional
        Rows drawn per replicate (default m).
    first : int
        Index of the first replicate.
    compress : bool
        Draw multinomial counts over the distinct rows when there are few.
    multiplicity : ndarray of int64 ``(m,)``, optional
        Rows already compressed by the caller: row k stands for multiplicity[k]
        items (``draws`` defaults to their total); no further compression.

    Returns
    -------
    ndarray
        ``(reps,)`` or ``(reps, k)``: the statistic of each replicate.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    if multiplicity is not None:
        draws = int(multiplicity.sum()) if draws is None else draws
    else:
        draws = rows.shape[0] if draws is None else draws
        if compress:
            rows, multiplicity = compress_rows(rows)
    block = max(1, min(reps, _BLOCK_VALUES // rows.shape[1]))
    out: FloatArray | None = None
    for start in range(0, reps, block):
        count = min(block, reps - start)
        sums = _core.evals.resampled_sums(rows, multiplicity, draws, seed, first + start, count, threads)
        values = np.asarray(statistic(sums), dtype=np.float64)
        if out is None:
            out = np.empty((reps,) + values.shape[1:])
        out[start : start + count] = values
    assert out is not None  # reps >= 1: the loop ran
    return out


def sum_chunk(
    rows: FloatArray, statistic: Callable[[FloatArray], object], seed: int, n_threads: int, first: int, count: int
) -> FloatArray:
    """Replicates ``first .. first + count - 1`` of :func:`sum_replicates` (a Dask task).

    Parameters
    ----------
    rows, statistic, seed, n_threads
        As for :func:`sum_replicates`.
    first, count : int
        The replicate range.

    Returns
    -------
    ndarray
        The ``count`` replicates.
    """
    return sum_replicates(rows, statistic, count, seed, n_threads, first=first)


def resample_indices(m: int, draws: int, seed: int, first: int, count: int, stream: int, threads: int) -> IntArray:
    """Indices of resamples with replacement from ``range(m)``.

    Parameters
    ----------
    m : int
        Population size.
    draws : int
        Indices per resample.
    seed, first, count : int
        Resolved seed and the replicate range.
    stream : int
        Independent stream id (one per sample resampled independently).
    threads : int
        Thread count.

    Returns
    -------
    ndarray of int64, ``(count, draws)``
    """
    return _core.evals.resample_indices(m, draws, seed, first, count, stream, threads)


def index_blocks(
    m: int,
    draws: int,
    reps: int,
    seed: int,
    threads: int,
    *,
    values_per_index: int = 1,
    stream: int = 0,
    first: int = 0,
) -> Iterator[tuple[int, IntArray]]:
    """The resample indices of replicates ``first .. first + reps - 1`` in blocks.

    Parameters
    ----------
    m, draws, seed, threads, stream
        As for :func:`resample_indices`.
    reps : int
        Number of replicates.
    values_per_index : int
        Numbers each index selects: blocks keep the selected data under a fixed
        budget of numbers.
    first : int
        Index of the first replicate.

    Yields
    ------
    start : int
        Position of the block's first replicate, counted from 0.
    indices : ndarray of int64, ``(count, draws)``
    """
    block = max(1, min(reps, _BLOCK_VALUES // max(draws * values_per_index, 1)))
    for start in range(0, reps, block):
        count = min(block, reps - start)
        yield start, resample_indices(m, draws, seed, first + start, count, stream, threads)


def resampled_order_statistic(
    values: FloatArray, multiplicity: IntArray, lo: int, hi: int, seed: int, first: int, count: int, threads: int
) -> FloatArray:
    """The mean of order statistics ``lo`` and ``hi`` of resamples of a sample
    given as sorted distinct values with multiplicities (``lo = hi = n // 2`` is
    the upper median; ``(n - 1) // 2, n // 2`` numpy's median).

    Parameters
    ----------
    values : ndarray of float64, ``(K,)``
        The distinct values, increasing.
    multiplicity : ndarray of int64, ``(K,)``
        How often each occurs (n in all).
    lo, hi : int
        Zero-based ranks in the resample, ``lo <= hi < n``.
    seed, first, count, threads : int
        Resolved seed, the replicate range and the thread count.

    Returns
    -------
    ndarray of float64, ``(count,)``
    """
    return _core.evals.resampled_order_statistic(values, multiplicity, lo, hi, seed, first, count, threads)


def accepts_axis(func: Callable[..., object]) -> bool:
    """Whether a user statistic takes ``axis=``.

    Parameters
    ----------
    func : callable
        The user's statistic.

    Returns
    -------
    bool
        True when its signature names ``axis``: it then gets blocks of
        resamples, one per row, instead of one call per resample.
    """
    try:
        return "axis" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def metric_of(func: Callable[..., object], samples: list[NDArray[np.float64]]) -> float:
    """A user statistic of one sample, or its paired difference.

    Parameters
    ----------
    func : callable
        The statistic; it must return one number.
    samples : list of numpy.ndarray
        One sample, or the two samples of a paired pair. Every caller hands
        arrays of its own: ``func`` may change them.

    Returns
    -------
    float
        ``func(a)``, or ``func(a) - func(b)``.

    Raises
    ------
    ValueError
        If ``func`` returns more than one number.
    """
    values = [np.asarray(func(x), dtype=np.float64) for x in samples]
    if any(v.size != 1 for v in values):
        shape = next(v.shape for v in values if v.size != 1)
        raise ValueError(f"the metric callable must return one number, got an array of shape {shape}")
    return float(values[0].item()) if len(values) == 1 else float(values[0].item() - values[1].item())


def permuted_sums(
    a: FloatArray, b: FloatArray, exact: bool, seed: int, first: int, count: int, threads: int
) -> FloatArray:
    """Column sums of two systems' per-item statistics after paired swaps.

    Parameters
    ----------
    a, b : ndarray of float64, ``(n, d)``
        Per-item sufficient statistics of the two systems.
    exact : bool
        Permutation r swaps the items whose bits are set in ``first + r``
        (enumeration of all 2**n); otherwise every swap is a fair coin of the
        replicate stream ``first + r``.
    seed, first, count, threads : int
        Resolved seed, the permutation range and the thread count.

    Returns
    -------
    ndarray of float64, ``(count, 2 d)``
        The sums of the permuted a, then of the permuted b.
    """
    return _core.evals.permuted_sums(a, b, exact, seed, first, count, threads)


def permuted_medians(
    a: FloatArray, b: FloatArray, exact: bool, seed: int, first: int, count: int, threads: int
) -> FloatArray:
    """numpy's medians of two systems' scores after paired swaps (as :func:`permuted_sums`).

    Parameters
    ----------
    a, b : ndarray of float64, ``(n,)``
        Per-item scores of the two systems.
    exact, seed, first, count, threads
        As for :func:`permuted_sums`.

    Returns
    -------
    ndarray of float64, ``(count, 2)``
        The medians of the permuted a and b.
    """
    return _core.evals.permuted_medians(a, b, exact, seed, first, count, threads)
