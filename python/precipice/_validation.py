"""Argument normalisation shared by the public API: each check names the argument."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _core
from ._intervals import METHODS

# Replicate statistics are kept in memory (they are the bootstrap distribution);
# refuse a request whose peak (check_replicate_memory) would not fit comfortably.
MAX_REPLICATE_BYTES = 8 * 2**30
# Paths that keep counts instead (a profile's histograms) are bounded by time,
# not memory: no interval needs more than 2**32 replicates.
MAX_REPS = 2**32
# Columns of replicates that column_quantiles keeps per working thread.
_SELECTION_BUFFERS = 3
# More threads than any machine has cores is a mistake, not a request.
MAX_THREADS = 4096


def as_int(value: object, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


def check_reps(reps: object, name: str = "reps") -> int:
    count = as_int(reps, name, minimum=1)
    if count > MAX_REPS:
        raise ValueError(f"{name} must lie in [1, 2**32], got {count}")
    return count


def check_optional_reps(reps: object, name: str = "reps") -> int:
    """``reps`` where 0 means no bootstrap (a point estimate alone), otherwise
    a replicate count :func:`check_reps` accepts."""
    count = as_int(reps, name, minimum=0)
    return check_reps(count, name) if count else 0


def check_replicate_memory(reps: int, outputs: int, threads: int, *, name: str = "reps", copies: int = 1) -> None:
    """Refuse a request whose peak would pass MAX_REPLICATE_BYTES. The peak is
    ``copies`` arrays of reps x outputs float64 (the replicates and the copies of
    them the caller makes) and the quantile step's selection buffers: on each of
    min(threads, outputs) threads, two columns of reps values (the values inside
    each bracket) and a third where a bracket misses (cpp/src/quantiles.cpp)."""
    outputs = max(outputs, 1)
    columns = copies * outputs + _SELECTION_BUFFERS * min(max(threads, 1), outputs)
    need = 8 * reps * columns
    if need > MAX_REPLICATE_BYTES:
        raise ValueError(
            f"{name}={reps} would need {need / 2**30:.1f} GiB at peak ({outputs} replicate statistics of {reps} "
            f"values, their copies and the interval step's buffers); use fewer replicates "
            f"(at most {MAX_REPLICATE_BYTES // (8 * columns)})"
        )


def check_confidence(confidence: object) -> float:
    if isinstance(confidence, (bool, np.bool_)) or not isinstance(confidence, numbers.Real):
        raise TypeError(f"confidence must be a number, got {type(confidence).__name__}")
    level = float(confidence)
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {level}")
    return level


def resolve_seed(seed: object) -> int:
    """An int in [0, 2**64): the seed as given, or fresh entropy for None."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, np.random.RandomState):
        return int(seed.randint(0, 2**63, dtype=np.int64)) * 2 + int(seed.randint(0, 2))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    value = as_int(seed, "seed", minimum=0)
    if value >= 2**64:
        raise ValueError(f"seed must be below 2**64, got {value}")
    return value


def resolve_threads(n_threads) -> int:
    """scikit-learn's convention: None -> the threads OpenMP would use
    (``_core.effective_threads()``: OMP_NUM_THREADS, else the usable cores, the
    affinity mask and a cgroup quota counted), k > 0 -> k, -k -> that count
    minus k - 1 (-1: all of it). A build without OpenMP runs one thread."""
    available = _core.effective_threads()
    if n_threads is None:
        resolved = available
    else:
        n_threads = as_int(n_threads, "n_threads")
        if n_threads == 0:
            raise ValueError("n_threads must not be 0 (use None for all cores, or a positive count)")
        if n_threads > MAX_THREADS:
            raise ValueError(f"n_threads={n_threads} is more than {MAX_THREADS} threads")
        resolved = available + 1 + n_threads if n_threads < 0 else n_threads
        if resolved < 1:
            raise ValueError(f"n_threads={n_threads} leaves no threads of the {available} available")
    return resolved if _core.has_openmp() else 1


def as_real_array(values: object, name: str, *, booleans: bool = True) -> np.ndarray:
    """``np.asarray(values)``, refused with a TypeError naming ``name`` unless it
    holds real numbers (integers, floats and, when ``booleans``, booleans; never
    complex, datetime, text or objects). Neither copies nor converts."""
    array = np.asarray(values)
    if array.dtype.kind not in ("fiub" if booleans else "fiu"):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def overflow_exponent(values: np.ndarray, largest: int) -> int:
    """The power of two ``e`` for which ``values * 2**-e`` lies below
    ``2**largest`` in magnitude (0 when it already does; NaN ignored).

    Statistics that are equivariant under scaling (means, quantiles, trimmed
    means, standard errors) computed on ``np.ldexp(values, -e)`` and scaled
    back by ``2**e`` are the very numbers the sums would give with no ceiling:
    multiplying by a power of two rounds nothing (short of subnormals), so
    scores near the float maximum do not overflow to inf or NaN."""
    if values.size == 0 or values.dtype.kind != "f":
        return 0
    with np.errstate(invalid="ignore"):
        top = np.max(np.abs(values), initial=0.0, where=~np.isnan(values))
    if not np.isfinite(top) or top < 2.0**largest:
        return 0
    return int(np.frexp(top)[1]) - largest


# Scores that are squared and summed (variances, covariances, the spread of
# replicates) must stay below 2**500: a square is then below 2**1000, and the
# sums of squares of up to 2**23 items stay finite.
LARGEST_SQUARED_EXPONENT = 500


def check_squares_finite(values: np.ndarray, name: str, what: str, behind: str) -> None:
    """Refuse ``values`` (NaN ignored) whose squares would overflow the float64
    sums ``behind`` the statistics, with a ValueError naming ``name``; ``what``
    is how the message calls the values ("scores", "values")."""
    if overflow_exponent(values, LARGEST_SQUARED_EXPONENT):
        raise ValueError(
            f"{name}: {what} as large as {np.nanmax(np.abs(values)):.3g} overflow the float64 {behind} "
            f"(|value| must stay below 2**{LARGEST_SQUARED_EXPONENT}, about 3e150); rescale them"
        )


@dataclass(frozen=True)
class ResampleOptions:
    """The checked options every bootstrap takes: replicate count, coverage,
    interval method, the seed actually used and the resolved thread count."""

    reps: int
    confidence: float
    method: str
    seed: int
    n_threads: int

    @classmethod
    def from_args(
        cls,
        *,
        reps: object,
        confidence: object,
        method: object,
        seed: object,
        n_threads: object,
        outputs_per_replicate: int | None = 1,
        copies: int = 1,
    ) -> ResampleOptions:
        """Check the user's arguments in one order (reps, confidence, method,
        seed, n_threads, then the memory of ``reps``); each error names its
        argument. ``outputs_per_replicate`` and ``copies`` size the memory check
        (:func:`check_replicate_memory`); None leaves it to a caller that learns
        later which path will run."""
        count = check_reps(reps)
        confidence = check_confidence(confidence)
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        options = cls(count, confidence, str(method), resolve_seed(seed), resolve_threads(n_threads))
        if outputs_per_replicate is not None:
            check_replicate_memory(count, outputs_per_replicate, options.n_threads, copies=copies)
        return options


def as_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def unmasked(values, name: str, *, nan_policy: str | None = None):
    """``values`` itself, or the data of a numpy masked array.

    np.asarray drops a mask and keeps the numbers hidden under it, so a masked
    entry would silently count. Masked entries are missing values: NaN where the
    caller chose ``nan_policy="omit"``, otherwise (``"raise"``, or None for an
    argument with no notion of missing values) a ValueError naming ``name``."""
    if not np.ma.isMaskedArray(values):
        return values
    mask = np.ma.getmaskarray(values)
    if not mask.any():
        return np.ma.getdata(values)
    if nan_policy == "omit":
        if values.dtype.kind not in "fiub":
            raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
        return np.ma.filled(values.astype(np.float64), np.nan)
    hint = "pass nan_policy='omit' to leave them out as missing, or " if nan_policy == "raise" else ""
    raise ValueError(
        f"{name} is a masked array with {int(mask.sum())} masked entries, and the mask would be ignored "
        f"(the values under it would count); {hint}fill them explicitly (np.ma.filled)"
    )


def as_scores(scores, name: str = "scores", *, ndims=(2, 3), nan_policy: str = "raise") -> np.ndarray:
    """A float64 C-contiguous copy-if-needed view; the caller's array is never written.
    Masked entries of a masked array are NaN under nan_policy="omit" and refused
    otherwise."""
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    scores = unmasked(scores, name, nan_policy=nan_policy)
    if isinstance(scores, (list, tuple)):
        lengths = {len(row) if hasattr(row, "__len__") else -1 for row in scores}
        if len(lengths) > 1:
            raise ValueError(f"{name} is ragged (rows of different lengths); pad with NaN and pass nan_policy='omit'")
    try:
        array = as_real_array(scores, name)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array: {error}") from None
    if array.ndim not in ndims:
        shapes = " or ".join(
            {1: "(num_runs,)", 2: "(num_runs, num_tasks)", 3: "(num_runs, num_tasks, num_frames)"}[d] for d in ndims
        )
        raise ValueError(f"{name} must have shape {shapes}; got an array with shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if nan_policy == "raise":
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values (pass nan_policy='omit' to skip NaN)")
    else:
        if np.isinf(array).any():
            raise ValueError(f"{name} contains infinite values")
        if array.ndim >= 2:
            empty = np.argwhere(np.isnan(array).all(axis=0))
            if empty.size:
                where = f" in frame {empty[0][1]}" if array.ndim == 3 else ""
                raise ValueError(f"{name}: task {empty[0][0]} has no valid (non-NaN) runs{where}")
    return array
