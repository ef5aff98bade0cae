"""``scipy.stats.bootstrap`` (scipy 1.17), same signature and result, computed by precipice.

``np.mean``, ``np.median``, ``np.std`` and ``np.var`` of one sample run natively:
the mean, variance and standard deviation from resampled sums of (x, x^2), the
median from resampled counts over the sorted values; data with few distinct values
(0/1 scores above all) is resampled as multinomial counts, one exact binomial draw
per replicate for 0/1 data. BCa's acceleration comes from the closed-form jackknife
of these statistics. Any other statistic, several samples, or data holding NaN take
the generic path: scipy's algorithm on precipice's resample indices, in blocks.

Same as scipy: the signature and defaults, the result object, dtypes (float32
data gives float32 intervals, standard errors and distributions; integer samples
reach the statistic as integers), seeds as scipy reads them (``rng`` through
``np.random.default_rng``, ``random_state`` as a RandomState, numpy's global
RandomState when neither is given), the validation and its exception types, the
broadcasting rule of gh-20850, and BCa's bias correction counting replicates tied
with the point estimate as half (``precipice.bootstrap.interval_estimates`` counts
strictly below, Efron's rule). scipy 1.17's own ``TestBootstrap`` runs against this
function in tests/test_compat_scipy_suite.py.

Differences from scipy: the resamples come from precipice's Philox streams, so the
numbers agree with scipy's within Monte Carlo error, not digit for digit (the same
``rng`` seed gives the same result for any ``n_threads``), and a Generator shared
by two calls gives the second call fresh resamples rather than the continuation of
numpy's stream; ``batch`` only bounds memory, which precipice bounds anyway;
``confidence_level`` outside (0, 1) is a ValueError (scipy returns NaN or nonsense);
``n_threads`` is an extra keyword.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike

from .._intervals import acceleration, column_quantiles
from .._resample import resample_indices, resampled_order_statistic, sum_replicates
from .._validation import as_real_array, check_replicate_memory, resolve_seed, resolve_threads

__all__ = ["BootstrapResult", "ConfidenceInterval", "bootstrap"]

try:  # scipy's warning class, so that filters written for scipy keep working
    from scipy.stats import DegenerateDataWarning
except ImportError:  # pragma: no cover - scipy is optional

    class DegenerateDataWarning(RuntimeWarning):  # type: ignore[no-redef]  # scipy's class when it is there
        """The data is degenerate for the requested interval."""


ConfidenceInterval = namedtuple("ConfidenceInterval", ["low", "high"])
# scipy's string options (it reads them case-insensitively).
Alternative: TypeAlias = Literal["two-sided", "less", "greater"]
Method: TypeAlias = Literal["BCa", "bca", "percentile", "basic"]
_NORMAL = NormalDist()
# Values per block of resampled data on the generic path (a Python statistic sees
# arrays of this size at most, unless `batch` asks for more).
_GENERIC_BLOCK_VALUES = 1 << 22


@dataclass
class BootstrapResult:
    """Result of :func:`bootstrap`, as scipy's.

    confidence_interval : ConfidenceInterval (low, high)
    bootstrap_distribution : ndarray, the statistic of every resample on its last axis
    standard_error : float or ndarray, the sample standard deviation (ddof=1) of the
        bootstrap distribution
    """

    confidence_interval: ConfidenceInterval
    bootstrap_distribution: np.ndarray
    standard_error: float | np.ndarray


_NATIVE = {id(np.mean): "mean", id(np.median): "median", id(np.std): "std", id(np.var): "var"}


def _native_kind(statistic) -> str | None:
    return _NATIVE.get(id(statistic))


def bootstrap(
    data: Sequence[ArrayLike],
    statistic: Callable[..., ArrayLike],
    *,
    n_resamples: int = 9999,
    batch: int | None = None,
    vectorized: bool | None = None,
    paired: bool = False,
    axis: int = 0,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    method: Method = "BCa",
    bootstrap_result: BootstrapResult | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | np.random.BitGenerator | None = None,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    n_threads: int | None = None,
) -> BootstrapResult:
    """Two-sided or one-sided bootstrap confidence interval of a statistic, as
    ``scipy.stats.bootstrap`` (scipy 1.17).

    Parameters
    ----------
    data : sequence of array_like
        The samples; each is resampled along ``axis``, the other axes broadcast
        together after padding the shapes with leading ones.
    statistic : callable
        ``statistic(*samples, axis=-1)``, or with ``vectorized=False``
        ``statistic(*samples)`` of 1-D samples. ``np.mean``, ``np.median``,
        ``np.std`` and ``np.var`` of one finite sample run natively.
    n_resamples : int
        Number of resamples (0 with ``bootstrap_result`` reuses its distribution).
    batch : int or None
        Resamples per call of ``statistic`` (bounds memory only).
    vectorized : bool or None
        None: vectorized when ``statistic`` takes ``axis``.
    paired : bool
        Resample the observations of all samples together (equal lengths).
    axis : int
        The axis of the observations.
    confidence_level : float
        In (0, 1).
    alternative : {"two-sided", "less", "greater"}
    method : {"BCa", "percentile", "basic"}
        BCa's bias correction counts replicates equal to the point estimate as half
        below it, as scipy does; its acceleration is the jackknife's.
    bootstrap_result : BootstrapResult, optional
        A previous result (precipice's or scipy's) whose distribution is extended.
    rng : int, numpy Generator, SeedSequence, BitGenerator or None
        Read with ``np.random.default_rng``; a Generator passed in advances.
    random_state : int, numpy RandomState or Generator, or None
        The older argument: an int seeds a RandomState. Neither given: numpy's
        global RandomState supplies the seed, so ``np.random.seed`` applies.
    n_threads : int or None
        precipice's extra: threads for the resampling (None: all usable cores).

    Returns
    -------
    BootstrapResult
        ``confidence_interval`` (low, high), ``bootstrap_distribution`` (the
        statistic's shape plus the resamples on the last axis) and
        ``standard_error``, in the dtype of the statistic's values.

    Raises
    ------
    ValueError
        For the arguments scipy rejects, with scipy's messages (and for a
        ``confidence_level`` outside (0, 1)).
    TypeError
        For a statistic that is not callable, both ``rng`` and ``random_state``,
        a seed ``np.random.default_rng`` rejects, or samples that are not real.
    """
    # Validation in scipy 1.17's order, with its exception types and messages, so
    # that code (and tests) written against scipy see the same errors.
    if vectorized not in (True, False, None):
        raise ValueError("`vectorized` must be `True`, `False`, or `None`.")
    if not callable(statistic):
        raise TypeError(f"`statistic` must be callable, got {type(statistic).__name__}")
    if vectorized is None:
        try:
            vectorized = "axis" in inspect.signature(statistic).parameters
        except (TypeError, ValueError):
            vectorized = False
    axis = _integral(axis, "`axis` must be an integer.")
    samples = _as_samples(data, axis)
    if paired not in (True, False):
        raise ValueError("`paired` must be `True` or `False`.")
    if paired:
        n = samples[0].shape[-1]
        if any(s.shape[-1] != n for s in samples[1:]):
            raise ValueError("When `paired is True`, all samples must have the same length along `axis`")
    confidence_level = float(confidence_level)  # scipy's conversion: "ni" is a ValueError
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"`confidence_level` must lie strictly between 0 and 1, got {confidence_level}")
    alternatives = ("two-sided", "less", "greater")
    if not isinstance(alternative, str) or alternative.lower() not in alternatives:
        raise ValueError(f"`alternative` must be one of {set(alternatives)}")
    alternative = cast(Alternative, alternative.lower())
    n_resamples = _integral(n_resamples, "`n_resamples` must be a non-negative integer.", minimum=0)
    if batch is not None:
        batch = _integral(batch, "`batch` must be a positive integer or None.", minimum=1)
    methods = ("percentile", "basic", "bca")
    if not isinstance(method, str) or method.lower() not in methods:
        raise ValueError(f"`method` must be in {set(methods)}")
    method = cast(Method, method.lower())
    previous = None
    if bootstrap_result is not None:
        if not hasattr(bootstrap_result, "bootstrap_distribution"):
            raise ValueError("`bootstrap_result` must have attribute `bootstrap_distribution'")
        previous = np.asarray(bootstrap_result.bootstrap_distribution)
    if n_resamples == 0 and (previous is None or previous.size == 0):
        raise ValueError("Either `bootstrap_result.bootstrap_distribution.size` or `n_resamples` must be positive.")
    seed = _seed_as_scipy_reads_it(rng, random_state)
    threads = resolve_threads(n_threads)

    alpha = (1.0 - confidence_level) / 2.0 if alternative == "two-sided" else 1.0 - confidence_level
    kind = _native_kind(statistic)
    native = kind is not None and len(samples) == 1 and bool(np.isfinite(samples[0]).all())
    if native:
        theta_hat = np.asarray(statistic(samples[0], axis=-1))
        _check_memory(n_resamples, previous, theta_hat.size, threads)
        theta_b, jack = _native_replicates(
            kind, samples[0].astype(np.float64, copy=False), n_resamples, seed, threads, method == "bca"
        )
        if theta_hat.dtype.kind == "f":  # np.mean of float32 data is float32, as scipy returns it
            theta_b = theta_b.astype(theta_hat.dtype, copy=False)
    else:
        stat = statistic if vectorized else _vectorize(statistic)
        if paired:
            stat, samples_used = _paired_statistic(stat, samples), [np.arange(samples[0].shape[-1])]
        else:
            samples_used = samples
        theta_hat = np.asarray(stat(*samples_used, axis=-1))
        _check_memory(n_resamples, previous, theta_hat.size, threads)
        theta_b = _generic_replicates(stat, samples_used, n_resamples, batch, seed, threads)
        jack = None
    if previous is not None:
        previous = previous.reshape(theta_hat.shape + (-1,))
        # No new resamples: the previous distribution as it is, dtype included.
        theta_b = np.concatenate([previous, theta_b], axis=-1) if n_resamples else previous
    # scipy's results carry the dtype of the statistic's values (float32 data gives
    # float32 intervals); the arithmetic below runs in float64 and is cast back.
    out_dtype = theta_b.dtype if theta_b.dtype.kind == "f" else np.dtype(np.float64)
    theta_hat = theta_hat.astype(np.float64)

    # Intervals column by column: statistics of several batch dims flatten to columns.
    batch_shape = theta_hat.shape
    columns = int(np.prod(batch_shape, dtype=np.int64))
    reps = theta_b.shape[-1]
    flat = np.ascontiguousarray(theta_b.reshape(columns, reps).T, dtype=np.float64)
    point = theta_hat.reshape(columns)
    if method == "bca":
        if jack is None:
            a_hat = _generic_acceleration(stat, samples_used, batch).reshape(columns)
        else:
            a_hat = _acceleration_or_nan(jack)
        q_lo, q_hi = _bca_levels(point, flat, a_hat, alpha)
    else:
        q_lo, q_hi = np.full(columns, alpha), np.full(columns, 1.0 - alpha)
    bounds = np.full((2, columns), np.nan)
    ok = np.isfinite(q_lo) & np.isfinite(q_hi) & ~np.isnan(flat).any(axis=0)
    if ok.any():
        bounds[:, ok] = column_quantiles(np.ascontiguousarray(flat[:, ok]), q_lo[ok], q_hi[ok], threads)
    if np.isnan(bounds).any():
        warnings.warn(
            DegenerateDataWarning(
                "The BCa confidence interval cannot be calculated. This problem is known to occur when the "
                "distribution is degenerate or the statistic is np.min."
            ),
            stacklevel=2,
        )
    low, high = bounds
    if method == "basic":
        low, high = 2.0 * point - high, 2.0 * point - low
    if alternative == "less":
        low = np.full_like(low, -np.inf)
    elif alternative == "greater":
        high = np.full_like(high, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.std(flat, axis=0, ddof=1)
    shape = lambda v: v.astype(out_dtype).reshape(batch_shape)[()]
    return BootstrapResult(
        confidence_interval=ConfidenceInterval(shape(low), shape(high)),
        bootstrap_distribution=theta_b,
        standard_error=shape(se),
    )


def _integral(value, message: str, minimum: int | None = None) -> int:
    """value as an int, as scipy reads an integer argument: 1000.0 is 1000, 1000.5
    and -1 (below minimum) are a ValueError with scipy's message."""
    try:
        as_int = int(value)
    except (TypeError, ValueError) as error:
        raise type(error)(message) from None
    if as_int != value or (minimum is not None and as_int < minimum):
        raise ValueError(message)
    return as_int


def _seed_as_scipy_reads_it(rng, random_state) -> int:
    """precipice's stream seed, drawn from the generator scipy would use: ``rng``
    through ``np.random.default_rng`` (so 0 and ``default_rng(0)`` agree), the
    older ``random_state`` as a RandomState (0 and ``RandomState(0)`` agree), and
    numpy's global RandomState when neither is given (``np.random.seed`` applies)."""
    if rng is not None and random_state is not None:
        raise TypeError(
            "bootstrap() got multiple values for argument now known as `rng`. Specify one of `rng` or `random_state`."
        )
    source: np.random.Generator | np.random.RandomState
    if rng is not None:
        source = np.random.default_rng(rng)  # its TypeError for a bad seed is scipy's
    elif random_state is None or random_state is np.random:
        source = np.random.mtrand._rand
    elif isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        source = random_state
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        source = np.random.RandomState(int(random_state))
    else:
        raise ValueError(f"{random_state!r} cannot be used to seed a numpy.random.RandomState instance")
    return resolve_seed(source)


def _as_samples(data, axis: int) -> list[np.ndarray]:
    """Each sample with the resampled axis last and its dtype kept, the other axes
    broadcast together by scipy's rule: shapes are first padded with leading ones
    to a common length, so ``axis`` names the same dimension of every sample (an
    (10, 2) and a (10,) sample do not broadcast along axis 0, gh-20850)."""
    try:
        n_samples = len(data)
    except TypeError:
        raise ValueError("`data` must be a sequence of samples.") from None
    if n_samples == 0:
        raise ValueError("`data` must contain at least one sample.")
    arrays = []
    for i, sample in enumerate(data):
        arrays.append(as_real_array(sample, f"data: sample {i}"))
    ndim = max(a.ndim for a in arrays)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"`axis` {axis} is out of bounds for samples of dimension {ndim}")
    arrays = [
        np.moveaxis(a.reshape((1,) * (ndim - a.ndim) + a.shape), axis, -1) if ndim else a.reshape(1) for a in arrays
    ]
    try:
        common = np.broadcast_shapes(*[a.shape[:-1] for a in arrays])
    except ValueError:
        raise ValueError("Array shapes are incompatible for broadcasting.") from None
    if any(a.shape[-1] <= 1 for a in arrays):
        raise ValueError("each sample in `data` must contain two or more observations along `axis`.")
    return [np.broadcast_to(a, common + a.shape[-1:]) for a in arrays]


def _vectorize(statistic):
    """A statistic of 1-D samples made to take `axis`, as scipy does: one call per
    slice (an arbitrary Python function allows nothing better). A vector-valued
    statistic's own dimensions come first, its values keep their dtype."""

    def stat_nd(*samples, axis=-1):
        moved = [np.moveaxis(np.asarray(d), axis, -1) for d in samples]
        lead = np.broadcast_shapes(*[d.shape[:-1] for d in moved])
        data = [np.broadcast_to(d, lead + d.shape[-1:]) for d in moved]
        values = [np.asarray(statistic(*[d[index] for d in data])) for index in np.ndindex(lead)]
        if not values:
            return np.empty(lead)
        out = np.stack(values, axis=-1)
        return out.reshape(out.shape[:-1] + lead)[()]

    return stat_nd


def _paired_statistic(statistic, samples):
    def on_indices(i, axis=-1):
        return statistic(*[s[..., i] for s in samples], axis=axis)

    return on_indices


def _check_memory(n_resamples: int, previous, columns: int, threads: int) -> None:
    """The guard of the native API: the distribution (previous resamples joined
    with the new ones), its float64 column copy for the quantiles and the copy of
    its usable columns, and the quantile step's buffers."""
    total = n_resamples + (previous.size // max(columns, 1) if previous is not None else 0)
    check_replicate_memory(total, columns, threads, name="n_resamples", copies=3)


def _generic_replicates(stat, samples, reps, batch, seed, threads) -> np.ndarray:
    if reps == 0:
        lead = np.broadcast_shapes(*[s.shape[:-1] for s in samples])
        return np.empty(lead + (0,))
    per_replicate = sum(int(np.prod(s.shape, dtype=np.int64)) for s in samples)
    block = batch or max(1, _GENERIC_BLOCK_VALUES // max(per_replicate, 1))
    out = []
    for start in range(0, reps, block):
        count = min(block, reps - start)
        resampled = []
        for j, sample in enumerate(samples):
            n = sample.shape[-1]
            # One stream per sample: the samples are resampled independently.
            idx = resample_indices(n, n, seed, start, count, j, threads)
            resampled.append(sample[..., idx])
        out.append(np.asarray(stat(*resampled, axis=-1)))
    return np.concatenate(out, axis=-1)


def _generic_acceleration(stat, samples, batch) -> np.ndarray:
    """BCa acceleration from the leave-one-out jackknife of every sample, as scipy
    combines them: 1/6 sum_j sum U^3 / n_j^3 / (sum_j sum U^2 / n_j^2)^(3/2)."""
    nums, dens = 0.0, 0.0
    jackknives = []
    for j, sample in enumerate(samples):
        n = sample.shape[-1]
        others = [s[..., np.newaxis, :] for s in samples]
        per = int(np.prod(sample.shape, dtype=np.int64))
        step = batch or max(1, _GENERIC_BLOCK_VALUES // max(per, 1))
        values = []
        for start in range(0, n, step):
            stop = min(n, start + step)
            # Row i leaves out observation start + i.
            idx = np.arange(n - 1)[np.newaxis, :] + (np.arange(n - 1)[np.newaxis, :] >= np.arange(start, stop)[:, None])
            others[j] = sample[..., idx]
            lead = np.broadcast_shapes(*[o.shape[:-1] for o in others])
            values.append(
                np.asarray(stat(*[np.broadcast_to(o, lead + o.shape[-1:]) for o in others], axis=-1), dtype=np.float64)
            )
        jackknives.append(np.concatenate(values, axis=-1))
    if len(jackknives) == 1:
        jk = jackknives[0]
        flat = jk.reshape(-1, jk.shape[-1]).T
        return _acceleration_or_nan(flat).reshape(jk.shape[:-1])
    for jk in jackknives:
        n = jk.shape[-1]
        u = (n - 1) * (jk.mean(axis=-1, keepdims=True) - jk)
        nums = nums + (u**3).sum(axis=-1) / n**3
        dens = dens + (u**2).sum(axis=-1) / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(nums / 6.0 / dens**1.5)


def _acceleration_or_nan(jack: np.ndarray) -> np.ndarray:
    """acceleration() per column, NaN where no left-out item moves the statistic:
    scipy's 0/0 there makes the BCa interval NaN, and so does this drop-in."""
    a = acceleration(jack)
    flat = (jack == jack[:1]).all(axis=0)
    return np.where(flat, np.nan, a)


def _bca_levels(point, flat, a_hat, alpha):
    """scipy's BCa quantile levels: z0 from the share of replicates below the point
    estimate counting ties as half, then Efron's adjusted levels."""
    share = ((flat < point).sum(axis=0) + (flat <= point).sum(axis=0)) / (2.0 * flat.shape[0])
    z_alpha = _NORMAL.inv_cdf(alpha)
    levels = []
    for z in (z_alpha, -z_alpha):
        out = np.full(point.shape, np.nan)
        for c in range(point.shape[0]):
            if not (0.0 < share[c] < 1.0) or not math.isfinite(a_hat[c]):
                continue
            z0 = _NORMAL.inv_cdf(share[c])
            num = z0 + z
            out[c] = _NORMAL.cdf(z0 + num / (1.0 - a_hat[c] * num))
        levels.append(out)
    return levels


# --------------------------------------------------------------------------
# Native statistics of one sample: replicates and closed-form jackknife.


def _native_replicates(kind, sample, reps, seed, threads, want_jackknife):
    """(bootstrap distribution batch_shape + (reps,), jackknife (n, columns) or None)."""
    batch_shape = sample.shape[:-1]
    n = sample.shape[-1]
    x = np.ascontiguousarray(sample.reshape(-1, n).T)  # (n, columns)
    columns = x.shape[1]
    jack = None
    if kind == "median":
        out = np.empty((columns, reps))
        for c in range(columns):
            values, counts = np.unique(x[:, c], return_counts=True)
            if reps:
                out[c] = resampled_order_statistic(
                    values, counts.astype(np.int64), (n - 1) // 2, n // 2, seed, 0, reps, threads
                )
        if want_jackknife:
            jack = _median_jackknife(x)
        return out.reshape(batch_shape + (reps,)), jack
    center = x.mean(axis=0)
    y = x - center
    if kind == "mean":
        rows = y
        stat = lambda s: center + s / n
        if want_jackknife:
            jack = center + (y.sum(axis=0) - y) / (n - 1)
    else:
        rows = np.concatenate([y, y * y], axis=1)
        root = kind == "std"

        def stat(s):
            s1, s2 = s[:, :columns], s[:, columns:]
            v = np.maximum((s2 - s1 * s1 / n) / n, 0.0)
            return np.sqrt(v) if root else v

        if want_jackknife:
            s1 = y.sum(axis=0) - y
            s2 = (y * y).sum(axis=0) - y * y
            v = np.maximum((s2 - s1 * s1 / (n - 1)) / (n - 1), 0.0)
            jack = np.sqrt(v) if root else v
    if reps == 0:
        return np.empty(batch_shape + (0,)), jack
    out = sum_replicates(rows, stat, reps, seed, threads)  # (reps, columns)
    return np.ascontiguousarray(out.T).reshape(batch_shape + (reps,)), jack


def _median_jackknife(x: np.ndarray) -> np.ndarray:
    """Leave-one-out medians of each column in O(n log n): with the column sorted,
    leaving out rank j shifts the ranks above j down by one."""
    n = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    m = n - 1
    lo, hi = (m - 1) // 2, m // 2
    j = np.arange(n)[:, None]
    # The value at rank i of the remaining n - 1 is xs[i] if i < j else xs[i + 1].
    lo_v = np.where(lo < j, xs[lo], xs[lo + 1])
    hi_v = np.where(hi < j, xs[hi], xs[hi + 1])
    by_rank = 0.5 * (lo_v + hi_v)
    out = np.empty_like(by_rank)
    np.put_along_axis(out, order, by_rank, axis=0)
    jackknife: np.ndarray = out
    return jackknife
