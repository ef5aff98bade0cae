"""Argument checks of precipice.irt: each names the argument it refuses."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._core import irt as _core_irt
from .._validation import as_int
from ._results import IRTResult, Prior

# The user's names for the binary models and scoring methods.
_MODELS = {
    "rasch": _core_irt.Model.rasch,
    "1pl": _core_irt.Model.onepl,
    "2pl": _core_irt.Model.twopl,
    "3pl": _core_irt.Model.threepl,
}
_METHODS = {"eap": _core_irt.ScoreMethod.eap, "map": _core_irt.ScoreMethod.map, "ml": _core_irt.ScoreMethod.ml}


def _as_responses(responses: ArrayLike, name: str = "responses") -> np.ndarray:
    """float64 C-contiguous (subjects, items); the caller's array is never written.
    Values other than 0, 1 and NaN are reported by the native packer, by cell."""
    try:
        array = np.asarray(responses)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array: {error}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_
    ):
        raise TypeError(f"{name} must hold 0/1 numbers or booleans, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (num_subjects, num_items); got an array with shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    return np.ascontiguousarray(array, dtype=np.float64)


def _as_counts(counts: ArrayLike | None, n_rows: int) -> np.ndarray | None:
    if counts is None:
        return None
    array = np.asarray(counts)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"counts must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(f"counts must have one entry per row of responses ({n_rows}); got shape {array.shape}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(array) & (array >= 0)))
    if bad.size:
        raise ValueError(f"counts[{bad[0]}] must be a non-negative number, got {array[bad[0]]}")
    if not array.sum() > 0:
        raise ValueError("counts: all counts are zero")
    return array


def _as_pair(value: Any, what: str, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        first, second = value
        first, second = float(first), float(second)
    except (TypeError, ValueError):
        raise TypeError(f"prior.{name} must be a pair of numbers ({what}), got {value!r}") from None
    return first, second


def _as_prior(prior: Prior | dict[str, Any] | str | None) -> Prior | None:
    if prior is None:
        return None
    if isinstance(prior, str):
        if prior != "weak":
            raise ValueError(f"prior must be None, 'weak', a Prior or a dict, got {prior!r}")
        return Prior.weak()
    if isinstance(prior, dict):
        unknown = set(prior) - {"slope", "intercept", "guess"}
        if unknown:
            raise ValueError(f"prior: unknown keys {sorted(unknown)}; use slope, intercept and guess")
        prior = Prior(**prior)
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be None, 'weak', a Prior or a dict, got {type(prior).__name__}")
    slope = _as_pair(prior.slope, "mean, sd of log a", "slope")
    intercept = _as_pair(prior.intercept, "mean, sd of d", "intercept")
    guess = _as_pair(prior.guess, "alpha, beta", "guess")
    for name, pair in (("slope", slope), ("intercept", intercept)):
        if pair is not None and not (np.isfinite(pair[0]) and np.isfinite(pair[1]) and pair[1] > 0):
            raise ValueError(f"prior.{name} needs a finite mean and a positive sd, got {pair}")
    if guess is not None and not (np.isfinite(guess).all() and guess[0] > 0 and guess[1] > 0):
        raise ValueError(f"prior.guess needs Beta(alpha, beta) with alpha, beta > 0, got {guess}")
    return Prior(slope, intercept, guess)


def _as_model(model: object) -> str:
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {type(model).__name__}")
    key = model.lower()
    if key not in _MODELS and key != "grm":
        raise ValueError(f"model must be one of {', '.join(_MODELS)} or grm, got {model!r}")
    return key


def _as_bounded_int(value: object, name: str, minimum: int, maximum: int, why: str) -> int:
    number: int = as_int(value, name, minimum=minimum)
    if number > maximum:
        raise ValueError(f"{name} must be at most {maximum} ({why}), got {number}")
    return number


def _as_positive_float(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive number, got {number}")
    return number


def _check_result(result: object) -> IRTResult:
    if not isinstance(result, IRTResult):
        raise TypeError(f"result must be an IRTResult from irt.fit, got {type(result).__name__}")
    return result


def _as_theta(theta: ArrayLike, dims: int = 1) -> np.ndarray:
    array = np.asarray(theta, dtype=np.float64)
    if dims > 1:
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != dims:
            raise ValueError(f"theta must have shape (n, {dims}) for a {dims}-dimensional fit, got {array.shape}")
    elif array.ndim > 1:
        raise ValueError(f"theta must be a number or a 1-D array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("theta must be finite")
    return np.atleast_1d(array)
