"""Item-level evaluation statistics for benchmarks with one score per item (often 0/1):
standard errors (CLT and clustered) with normal or Student-t intervals, one-sample
and paired bootstraps, paired comparisons (analytic test, exact McNemar) and power.

Every bootstrap here resamples items (or clusters of items) with replacement and
only needs the resampled column sums of a table of per-item statistics: the
native engine draws those sums directly, as multinomial counts when the items
take few distinct values (0/1 scores: one exact binomial draw per replicate).
Replicate ``r`` depends only on ``(seed, r)``: same seed, same numbers, whatever
``n_threads``.

A metric callable never sees the caller's arrays: the point estimate gets a
copy, every resample and jackknife sample is a fresh array, so a metric that
works in place (sorts, say) changes nothing of the caller's and gives the same
numbers as one that does not.

Standard errors follow Miller (2024), "Adding Error Bars to Evals: A Statistical
Approach to Language Model Evaluations" (arXiv 2411.00640).
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._distributed import map_replicates
from ._intervals import IntervalBounds, intervals
from ._resample import accepts_axis, index_blocks, metric_of, permuted_medians, permuted_sums, sum_chunk
from ._special import normal_p_value
from ._validation import (
    ResampleOptions,
    as_flag,
    as_int,
    as_real_array,
    check_confidence,
    check_reps,
    check_squares_finite,
    resolve_seed,
    resolve_threads,
    unmasked,
)

if TYPE_CHECKING:
    from ._typing import Client, IntervalMethod, NanPolicy, SeedLike

# A test's alternative hypothesis about mean(a) - mean(b).
Alternative: TypeAlias = Literal["two-sided", "greater", "less"]
# "mean" (native), or a callable of the item scores.
Statistic: TypeAlias = Literal["mean"] | Callable[..., object]

__all__ = [
    "BootstrapInterval",
    "McNemar",
    "PairedBootstrap",
    "PairedTest",
    "PermutationTest",
    "StandardError",
    "TooFewItemsWarning",
    "bootstrap_interval",
    "mcnemar",
    "min_detectable_effect",
    "paired_bootstrap",
    "paired_permutation_test",
    "paired_test",
    "power",
    "sample_size",
    "standard_error",
]

_NORMAL = NormalDist()


# --------------------------------------------------------------------------
# Validation at the boundary.


def as_item_scores(scores: ArrayLike, name: str, *, nan_policy: NanPolicy = "raise") -> NDArray[np.float64]:
    """A 1-D float64 array of item scores, read-only: what is computed from it
    can never write it.

    Parameters
    ----------
    scores : array_like, ``(n,)``
        One real score per item.
    name : str
        The argument's name, for the messages.
    nan_policy : {"raise", "omit"}
        NaN (and masked entries) raise unless "omit".

    Returns
    -------
    ndarray of float64, ``(n,)``
        A read-only view.

    Raises
    ------
    ValueError, TypeError
        Scores that are not 1-D real numbers, empty, infinite, or NaN (or
        masked) under nan_policy="raise"; an unknown nan_policy.
    """
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    array = as_real_array(unmasked(scores, name, nan_policy=nan_policy), name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per item), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    array = np.asarray(array, dtype=np.float64)
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite values")
    if nan_policy == "raise" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN (pass nan_policy='omit' to leave those items out)")
    view = array.view()
    view.flags.writeable = False
    return view


def as_cluster_codes(clusters: ArrayLike, n: int, name: str = "clusters") -> tuple[NDArray[np.int64], int]:
    """Cluster labels as codes.

    Parameters
    ----------
    clusters : array_like, ``(n,)``
        A label per item: numbers, or strings.
    n : int
        The number of items.
    name : str, default "clusters"
        The argument's name, for the messages.

    Returns
    -------
    codes : ndarray of int64, ``(n,)``
        Each item's cluster, in [0, C), in the labels' sorted order.
    C : int
        The number of clusters.

    Raises
    ------
    ValueError, TypeError
        Labels that are not 1-D, not n of them, NaN, or of kinds that do not sort
        together.
    """
    labels = np.asarray(unmasked(clusters, name))
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per item), got shape {labels.shape}")
    if labels.shape[0] != n:
        raise ValueError(f"{name} has {labels.shape[0]} labels but there are {n} scores; they must be aligned")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError(f"{name} contains NaN labels")
    try:
        _, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        # An object array whose labels do not compare with each other (1 and "a").
        kinds = sorted({type(label).__name__ for label in labels.tolist()})
        raise TypeError(
            f"{name} must be labels of one kind (all numbers or all strings) that can be sorted; "
            f"got a mix of {', '.join(kinds)}"
        ) from None
    codes = codes.reshape(-1).astype(np.int64)
    return codes, int(codes.max()) + 1


def _as_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    if low is not None and (number < low or (low_open and number == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {number}")
    if high is not None and (number > high or (high_open and number == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {number}")
    return number


def _check_alternative(alternative: str) -> Alternative:
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    return cast(Alternative, alternative)


def _aligned_items(named, clusters, nan_policy):
    """([score arrays], cluster codes or None, C or None) for one or two systems
    scored on the same items; with nan_policy='omit', items with a NaN score in
    any system are left out (and the clusters renumbered)."""
    arrays = [as_item_scores(values, name, nan_policy=nan_policy) for name, values in named]
    if len(arrays) == 2 and arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"a and b must be paired (the same items): a has {arrays[0].size} scores, b has {arrays[1].size}"
        )
    codes = None if clusters is None else as_cluster_codes(clusters, arrays[0].size)[0]
    keep = ~np.logical_or.reduce([np.isnan(x) for x in arrays])
    if not keep.all():
        arrays = [x[keep] for x in arrays]
        codes = None if codes is None else codes[keep]
        if arrays[0].size == 0:
            raise ValueError(
                "a and b: no item has both scores (all pairs contain NaN)"
                if len(arrays) == 2
                else f"{named[0][0]}: every score is NaN"
            )
    for (name, _), x in zip(named, arrays):
        check_squares_finite(x, name, "scores", "sums and squares behind these statistics")
    n_clusters = None
    if codes is not None:
        codes, n_clusters = as_cluster_codes(codes, arrays[0].size)
    return arrays, codes, n_clusters


def _paired_arrays(
    a: ArrayLike, b: ArrayLike, clusters: ArrayLike | None, nan_policy: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], Any, Any]:
    """(a, b, cluster codes or None, C or None), as _aligned_items."""
    (x, y), codes, n_clusters = _aligned_items([("a", a), ("b", b)], clusters, nan_policy)
    return x, y, codes, n_clusters


# --------------------------------------------------------------------------
# Student's t quantile (numpy is the only runtime dependency: no scipy.stats.t).

_EPS = 2.0**-52
_TINY = 1e-300
# From here on the Cornish-Fisher expansion to 1/df^4 is exact to rounding
# for any probability an interval asks for.
_CORNISH_FISHER_DF = 2e4


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) / (x^a (1-x)^b / (a B(a, b))), by the
    modified Lentz method; it converges fast for x < (a + 1) / (a + b + 2)."""
    f = c = _TINY
    d = 0.0
    for j in range(1, 100_000):
        m = (j - 1) // 2
        if j == 1:
            term = 1.0
        elif j % 2 == 0:
            term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + term * d
        d = 1.0 / (_TINY if abs(d) < _TINY else d)
        c = 1.0 + term / c
        c = _TINY if abs(c) < _TINY else c
        f *= c * d
        if abs(c * d - 1.0) < _EPS:
            return f
    raise ArithmeticError(f"incomplete beta I_x({a}, {b}) at x={x}: the continued fraction did not converge")


def _stirling_correction(x: float) -> float:
    """log Gamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2) by its Stirling series
    (x >= 50: truncation error below 1e-18)."""
    r = 1.0 / (x * x)
    return (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r / 1680))) / x


def _log_gamma_ratio(big: float, small: float) -> float:
    """log Gamma(big + small) - log Gamma(big), without the cancellation of two
    large lgamma values when big is large."""
    if big < 50:
        return math.lgamma(big + small) - math.lgamma(big)
    return (
        (big + small - 0.5) * math.log1p(small / big)
        + small * math.log(big)
        - small
        + _stirling_correction(big + small)
        - _stirling_correction(big)
    )


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """Regularized incomplete beta I_x(a, b), with y = 1 - x given separately
    (computed by the caller without cancellation)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, y, x)
    log_x = math.log1p(-y) if y < 0.5 else math.log(x)
    log_y = math.log1p(-x) if x < 0.5 else math.log(y)
    small, big = min(a, b), max(a, b)
    log_beta = math.lgamma(small) - _log_gamma_ratio(big, small)
    return math.exp(a * log_x + b * log_y - math.log(a) - log_beta) * _beta_fraction(a, b, x)


def _cornish_fisher(z: float, df: float) -> float:
    """The t quantile at the normal quantile z, to 1/df^4 (Abramowitz & Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t distribution with ``df`` degrees of freedom.

    Closed forms for df = 1 and 2; the Cornish-Fisher expansion for df >= 2e4;
    otherwise Newton's method, safeguarded by bisection, on the t tail
    P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2 (the regularized incomplete beta,
    by its continued fraction), on a log scale in the tails. Relative error
    below 1e-12 (tests compare with scipy.stats.t.ppf).

    Parameters
    ----------
    p : float
        Probability, in (0, 1).
    df : float
        Degrees of freedom, > 0.

    Returns
    -------
    float
        t with P(T <= t) = p.
    """
    p = _as_real(p, "p", low=0.0, high=1.0, low_open=True, high_open=True)
    df = _as_real(df, "df", low=0.0, low_open=True)
    if p == 0.5:
        return 0.0
    q = min(p, 1.0 - p)
    sign = 1.0 if p > 0.5 else -1.0
    if df == 1:
        return sign / math.tan(math.pi * q)
    if df == 2:
        return sign * (1.0 - 2.0 * q) / math.sqrt(2.0 * q * (1.0 - q))
    guess = _cornish_fisher(-_NORMAL.inv_cdf(q), df)
    if df >= _CORNISH_FISHER_DF:
        return sign * guess
    a = 0.5 * df
    # Near the centre solve P(0 < T < t) = 1/2 - q, in the tail log P(T > t) =
    # log q: each keeps its relative precision where the other loses it.
    central = q > 0.25
    target = 0.5 - q if central else math.log(q)
    log_pdf_0 = _log_gamma_ratio(a, 0.5) - 0.5 * math.log(df * math.pi)
    lo, hi = 0.0, math.inf
    t = guess if guess > 0 else 1.0
    for _ in range(200):
        t2 = t * t
        x, y = df / (df + t2), t2 / (df + t2)
        pdf = math.exp(log_pdf_0 - 0.5 * (df + 1.0) * math.log1p(t2 / df))
        if central:
            value = 0.5 * _betainc(0.5, a, y, x)
            below = value < target
            step = (target - value) / pdf
        else:
            tail = 0.5 * _betainc(a, 0.5, x, y)
            below = tail > q
            step = (math.log(tail) - target) * tail / pdf
        if below:
            lo = t
        else:
            hi = t
        new = t + step
        if not lo < new < hi:
            new = 2.0 * lo + 1.0 if math.isinf(hi) else 0.5 * (lo + hi)
        if abs(new - t) <= 4.0 * _EPS * new:
            return sign * new
        t = new
    return sign * t


# --------------------------------------------------------------------------
# Standard errors.


class TooFewItemsWarning(UserWarning):
    """One item (or one cluster) cannot show how much a mean varies: the standard
    error, and every interval built from it or by resampling, is NaN."""


def _too_few_items(n: int, n_clusters: int | None, what: str, stacklevel: int = 3) -> bool:
    """Warn and return True when n (or n_clusters) is 1."""
    if n_clusters is not None and n_clusters < 2:
        warnings.warn(
            f"{what}: all {n} items are in a single cluster, so the clustered standard error and any cluster "
            "bootstrap are undefined (one cluster shows no variation between clusters); the standard error and "
            "interval are NaN. Use finer clusters, or leave clusters out if the items are independent.",
            TooFewItemsWarning,
            stacklevel=stacklevel,
        )
        return True
    if n < 2:
        warnings.warn(
            f"{what}: a single item cannot show how much the score varies; the standard error and interval "
            "are NaN (a resample of one item is that item again, which would give a zero-width interval).",
            TooFewItemsWarning,
            stacklevel=stacklevel,
        )
        return True
    return False


@dataclass(frozen=True)
class StandardError:
    """The mean score and its standard error.

    ``standard_error`` is the clustered one when clusters were given, else the
    CLT one; ``clt_standard_error`` is always sqrt(s^2 / n) with the sample
    variance s^2. ``design_effect`` is the ratio of the two variances and ``icc``
    the intra-cluster correlation it implies, (deff - 1) / (m - 1) with m =
    sum(size^2) / n the size-weighted mean cluster size (NaN without clusters or
    with singleton clusters only). ``df``: the degrees of freedom of the t
    interval, n - 1, or C - 1 for C clusters.
    """

    mean: float
    standard_error: float
    n: int
    clt_standard_error: float
    n_clusters: int | None = None
    design_effect: float = 1.0
    icc: float = math.nan

    @property
    def df(self) -> int:
        return (self.n if self.n_clusters is None else self.n_clusters) - 1

    def interval(self, confidence: float = 0.95, kind: str = "normal") -> tuple[float, float]:
        """Confidence interval mean +- c * standard_error.

        Parameters
        ----------
        confidence : float
            Coverage, in (0, 1).
        kind : {"normal", "t"}
            c is the normal quantile, or Student's t quantile with ``df`` degrees
            of freedom (n - 1, or C - 1 with clusters), as Inspect's
            ``ci(method="t")``: wider for few items or clusters.

        Returns
        -------
        (lower, upper) : tuple of float
            NaN when the standard error is (one item, one cluster).

        Raises
        ------
        ValueError
            For an unknown kind or a confidence outside (0, 1).
        """
        confidence = check_confidence(confidence)
        if kind == "normal":
            c = _NORMAL.inv_cdf(0.5 + confidence / 2.0)
        elif kind == "t":
            c = t_quantile(0.5 + confidence / 2.0, self.df) if self.df >= 1 else math.nan
        else:
            raise ValueError(f"kind must be 'normal' or 't', got {kind!r}")
        return (self.mean - c * self.standard_error, self.mean + c * self.standard_error)


def _cluster_sums(values: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n_clusters)


def _clustered_se(centered: np.ndarray, codes: np.ndarray, n_clusters: int) -> float:
    """sqrt(C / (C - 1) * sum_c (sum_{i in c} centered_i)^2) / n: the cluster-robust
    (sandwich) standard error of a mean."""
    if n_clusters < 2:
        return math.nan
    totals = _cluster_sums(centered, codes, n_clusters)
    return math.sqrt(n_clusters / (n_clusters - 1) * float(totals @ totals)) / centered.size


def standard_error(
    scores: ArrayLike, clusters: ArrayLike | None = None, *, nan_policy: NanPolicy = "raise"
) -> StandardError:
    """CLT standard error of a mean score, or the clustered one.

    Parameters
    ----------
    scores : array_like, (n,)
        One score per item (0/1 or real).
    clusters : array_like, (n,), optional
        A cluster label per item (the passage a question is about, the problem
        several samples come from). Items of one cluster are not independent: the
        clustered standard error sqrt(C/(C-1) * sum_c (sum_{i in c} (s_i - mean))^2) / n
        accounts for it (Miller 2024, eq. 4, with the small-sample factor C/(C-1)).
    nan_policy : {"raise", "omit"}
        "omit" leaves items with a NaN (or masked) score out.

    Returns
    -------
    StandardError
        With ``.interval(confidence, kind="normal" or "t")``.

    Raises
    ------
    ValueError, TypeError
        For scores that are not 1-D real numbers, NaN under nan_policy="raise",
        masked entries under nan_policy="raise", or misaligned clusters.

    Warns
    -----
    TooFewItemsWarning
        For one item or a single cluster (the standard error is NaN).
    """
    (s,), codes, n_clusters = _aligned_items([("scores", scores)], clusters, nan_policy)
    n = s.size
    mean = float(s.mean())
    centered = s - mean
    clt = math.sqrt(float(centered @ centered) / (n - 1) / n) if n > 1 else math.nan
    if codes is None:
        _too_few_items(n, None, "standard_error")
        return StandardError(mean=mean, standard_error=clt, n=n, clt_standard_error=clt)
    _too_few_items(n, n_clusters, "standard_error")
    se = _clustered_se(centered, codes, n_clusters)
    deff = (se / clt) ** 2 if clt > 0 else math.nan
    sizes = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    m = float(sizes @ sizes) / n
    icc = (deff - 1.0) / (m - 1.0) if m > 1 else math.nan
    return StandardError(
        mean=mean, standard_error=se, n=n, clt_standard_error=clt, n_clusters=n_clusters, design_effect=deff, icc=icc
    )


# --------------------------------------------------------------------------
# Bootstraps: one sample, and paired.


@dataclass(frozen=True)
class BootstrapInterval(IntervalBounds):
    """statistic(scores) with a bootstrap interval over items (or clusters).
    ``standard_error`` is the standard deviation of the replicates."""

    estimate: float
    interval: np.ndarray
    standard_error: float
    statistic: str
    method: str
    confidence: float
    reps: int
    seed: int
    n: int
    n_clusters: int | None = None
    replicates: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PairedBootstrap(IntervalBounds):
    """metric(a) - metric(b) on the same items, with a bootstrap interval and
    p-value. ``p_value`` is two-sided, from the bootstrap distribution shifted to
    the null: (1 + #{|d*_r - d| >= |d|}) / (reps + 1)."""

    difference: float
    interval: np.ndarray
    p_value: float
    standard_error: float
    metric: str
    method: str
    confidence: float
    reps: int
    seed: int
    n: int
    n_clusters: int | None = None
    replicates: np.ndarray | None = field(default=None, repr=False)


def _checked_options(
    reps: object, confidence: object, method: object, seed: object, n_threads: object, return_replicates: object
) -> tuple[int, float, int, int, bool]:
    options = ResampleOptions.from_args(reps=reps, confidence=confidence, method=method, seed=seed, n_threads=n_threads)
    return (
        options.reps,
        options.confidence,
        options.seed,
        options.n_threads,
        as_flag(return_replicates, "return_replicates"),
    )


def _resample(samples, statistic, codes, n_clusters, *, reps, method, seed, threads, client):
    """(point, replicates (reps,), jackknife or None) of statistic ("mean" or a
    callable) over resamples of the items (or clusters) shared by all samples:
    the statistic itself for one sample, its paired difference for two."""
    n = samples[0].size
    if isinstance(statistic, str):
        point = float(samples[0].mean() - (samples[1].mean() if len(samples) == 2 else 0.0))
        # Centered values keep the resampled sums small (fewer rounding errors).
        d = (samples[0] - samples[1] if len(samples) == 2 else samples[0]) - point
        if codes is None:
            rows = d[:, None]
            sums = functools.partial(_mean_of_sums, point, n)
            jack = point + (-d) / (n - 1) if method == "bca" else None
        else:
            rows = np.stack(
                [_cluster_sums(d, codes, n_clusters), np.bincount(codes, minlength=n_clusters).astype(np.float64)],
                axis=1,
            )
            sums = functools.partial(_mean_of_sums, point, None)
            jack = point + (-rows[:, 0]) / (n - rows[:, 1]) if method == "bca" else None
        replicates = map_replicates(sum_chunk, [rows], [sums, seed], reps, client, threads)
    else:
        point = metric_of(statistic, [x.copy() for x in samples])
        replicates = map_replicates(
            _callable_replicates, [list(samples)], [statistic, codes, n_clusters, seed], reps, client, threads
        )
        jack = _callable_jackknife(statistic, samples, codes, n_clusters) if method == "bca" else None
    return point, replicates, jack


def _interval_of(point, replicates, jack, method, confidence, name, threads) -> np.ndarray:
    bounds = intervals(
        np.array([point]),
        replicates.reshape(-1, 1),
        method,
        confidence,
        None if jack is None else np.asarray(jack, dtype=np.float64).reshape(-1, 1),
        [name],
        threads,
    )
    return bounds[:, 0]


def _statistic_name(statistic, argument: str) -> str:
    if isinstance(statistic, str):
        if statistic != "mean":
            raise ValueError(f"{argument} must be 'mean' or a callable, got {statistic!r}")
        return "mean"
    if not callable(statistic):
        raise TypeError(f"{argument} must be 'mean' or a callable, got {type(statistic).__name__}")
    return getattr(statistic, "__name__", "callable")


def bootstrap_interval(
    scores: ArrayLike,
    statistic: Statistic = "mean",
    clusters: ArrayLike | None = None,
    *,
    reps: int = 10_000,
    confidence: float = 0.95,
    method: IntervalMethod = "percentile",
    seed: SeedLike = None,
    n_threads: int | None = None,
    nan_policy: NanPolicy = "raise",
    return_replicates: bool = False,
    client: Client | None = None,
) -> BootstrapInterval:
    """Bootstrap interval of a statistic of item scores (Inspect's bootstrap ``ci()``).

    Every replicate resamples the items with replacement (with ``clusters``: the
    clusters, each with all of its items), in one native call for the mean.

    Parameters
    ----------
    scores : array_like, (n,)
        One score per item (0/1 or real).
    statistic : "mean" or callable
        "mean" runs natively on resampled sums (0/1 scores: one exact binomial
        draw per replicate). A callable ``f(x) -> float`` is applied to each
        resample (once per block of replicates when it takes an ``axis``
        argument, as numpy reductions do); it never sees the caller's array.
    clusters : array_like, (n,), optional
        A cluster label per item (numbers or strings): resample whole clusters.
    reps : int
        Number of bootstrap replicates.
    confidence : float
        Coverage of the two-sided interval, in (0, 1).
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction; "bca" takes its acceleration from a leave-one-out
        jackknife over items (or clusters), closed-form for the mean.
    seed : int, numpy Generator, or None
        Same seed, same result, whatever ``n_threads``; the seed used is returned.
    n_threads : int or None
        None uses every usable core.
    nan_policy : {"raise", "omit"}
        "omit" leaves items with a NaN (or masked) score out.
    return_replicates : bool
        Keep the bootstrap distribution in ``.replicates``.
    client : dask.distributed.Client, optional
        Compute the replicates on a Dask cluster, bit-identical to the local run.

    Returns
    -------
    BootstrapInterval

    Raises
    ------
    ValueError, TypeError
        For invalid scores, clusters or options, each naming the argument.

    Warns
    -----
    TooFewItemsWarning
        For one item or a single cluster: the interval and standard error are NaN.
    """
    (s,), codes, n_clusters = _aligned_items([("scores", scores)], clusters, nan_policy)
    name = _statistic_name(statistic, "statistic")
    reps, confidence, seed, threads, return_replicates = _checked_options(
        reps, confidence, method, seed, n_threads, return_replicates
    )
    if _too_few_items(s.size, n_clusters, "bootstrap_interval"):
        point = metric_of(statistic, [s.copy()]) if callable(statistic) else float(s.mean())
        return BootstrapInterval(
            estimate=point,
            interval=np.full(2, np.nan),
            standard_error=math.nan,
            statistic=name,
            method=method,
            confidence=confidence,
            reps=reps,
            seed=seed,
            n=s.size,
            n_clusters=n_clusters,
        )
    point, replicates, jack = _resample(
        [s], statistic, codes, n_clusters, reps=reps, method=method, seed=seed, threads=threads, client=client
    )
    return BootstrapInterval(
        estimate=point,
        interval=_interval_of(point, replicates, jack, method, confidence, name, threads),
        standard_error=float(np.std(replicates, ddof=1)) if reps > 1 else math.nan,
        statistic=name,
        method=method,
        confidence=confidence,
        reps=reps,
        seed=seed,
        n=s.size,
        n_clusters=n_clusters,
        replicates=replicates if return_replicates else None,
    )


def paired_bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    *,
    metric: Statistic = "mean",
    reps: int = 10_000,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    method: IntervalMethod = "percentile",
    seed: SeedLike = None,
    n_threads: int | None = None,
    nan_policy: NanPolicy = "raise",
    return_replicates: bool = False,
    client: Client | None = None,
) -> PairedBootstrap:
    """Paired bootstrap of metric(a) - metric(b): both systems scored on the same items.

    Every replicate resamples the items (with ``clusters``: the clusters, each with
    all of its items) once and evaluates both systems on that resample, so the
    correlation between the systems is kept.

    Parameters
    ----------
    a, b : array_like, (n,)
        Scores of the two systems, item by item.
    metric : "mean" or callable
        "mean" runs natively on resampled sums. A callable ``f(x) -> float`` is
        applied to the resampled scores of each system (once per block of
        replicates when it takes an ``axis`` argument, as numpy reductions do).
        It never sees the caller's arrays (a copy for the point estimate, fresh
        arrays for every resample), so a metric that sorts or otherwise works in
        place gives the same result as one that does not.
    reps, clusters, confidence, seed, n_threads, nan_policy, return_replicates
        As in :func:`bootstrap_interval`.
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction; "bca" takes its acceleration from a leave-one-out
        jackknife over items (or clusters), closed-form for the mean.
    client : dask.distributed.Client, optional
        Compute the replicates on a Dask cluster, bit-identical to the local run.

    Returns
    -------
    PairedBootstrap

    Raises
    ------
    ValueError, TypeError
        For unpaired or invalid scores, clusters or options, each naming the argument.

    Warns
    -----
    TooFewItemsWarning
        For one item or a single cluster: the interval, p-value and standard error are NaN.
    """
    a, b, codes, n_clusters = _paired_arrays(a, b, clusters, nan_policy)
    name = _statistic_name(metric, "metric")
    reps, confidence, seed, threads, return_replicates = _checked_options(
        reps, confidence, method, seed, n_threads, return_replicates
    )
    n = a.size
    if _too_few_items(n, n_clusters, "paired_bootstrap"):
        point = metric_of(metric, [a.copy(), b.copy()]) if callable(metric) else float(a.mean() - b.mean())
        return PairedBootstrap(
            difference=point,
            interval=np.full(2, np.nan),
            p_value=math.nan,
            standard_error=math.nan,
            metric=name,
            method=method,
            confidence=confidence,
            reps=reps,
            seed=seed,
            n=n,
            n_clusters=n_clusters,
        )
    point, replicates, jack = _resample(
        [a, b], metric, codes, n_clusters, reps=reps, method=method, seed=seed, threads=threads, client=client
    )
    extreme = np.count_nonzero(np.abs(replicates - point) >= abs(point))
    return PairedBootstrap(
        difference=point,
        interval=_interval_of(point, replicates, jack, method, confidence, name, threads),
        p_value=(1.0 + extreme) / (reps + 1.0),
        standard_error=float(np.std(replicates, ddof=1)) if reps > 1 else math.nan,
        metric=name,
        method=method,
        confidence=confidence,
        reps=reps,
        seed=seed,
        n=n,
        n_clusters=n_clusters,
        replicates=replicates if return_replicates else None,
    )


def _cluster_members(codes: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_clusters))])
    return order, starts


def _mean_of_sums(point, n, sums):
    """Replicates of the mean (difference) from resampled sums of centred
    values: over n items, or over clusters (sums[:, 1] counts their items)."""
    return point + sums[:, 0] / (n if n is not None else sums[:, 1])


def _callable_replicates(samples, func, codes, n_clusters, seed, threads, first, reps):
    """Replicates first .. first + reps - 1 of func (one sample) or func(a) - func(b).
    Every resample is fancy-indexed, hence a fresh array that func may change."""
    out = np.empty(reps)
    n = samples[0].size
    vectorised = accepts_axis(func)
    if codes is None:
        for start, idx in index_blocks(n, n, reps, seed, threads, values_per_index=len(samples), first=first):
            if vectorised:
                values = [np.asarray(func(x[idx], axis=-1), dtype=np.float64) for x in samples]
                out[start : start + idx.shape[0]] = values[0] if len(values) == 1 else values[0] - values[1]
            else:
                # An arbitrary Python function: one call per replicate is all it allows.
                out[start : start + idx.shape[0]] = [metric_of(func, [x[i] for x in samples]) for i in idx]
        return out
    order, starts = _cluster_members(codes, n_clusters)
    sizes = np.diff(starts)
    for start, picked in index_blocks(
        n_clusters, n_clusters, reps, seed, threads, values_per_index=len(samples) * n // n_clusters, first=first
    ):
        for row, clusters_drawn in enumerate(picked):
            # Resampled clusters have different total sizes: one replicate at a time.
            items = order[
                np.repeat(starts[clusters_drawn], sizes[clusters_drawn]) + _ranks_within(sizes[clusters_drawn])
            ]
            out[start + row] = metric_of(func, [x[items] for x in samples])
    return out


def _ranks_within(sizes: np.ndarray) -> np.ndarray:
    """0, 1, .., s_0 - 1, 0, 1, .., s_1 - 1, ...: positions inside each drawn cluster."""
    total = int(sizes.sum())
    offsets = np.repeat(np.cumsum(sizes) - sizes, sizes)
    ranks: np.ndarray = np.arange(total) - offsets
    return ranks


def _callable_jackknife(func, samples, codes, n_clusters):
    """Leave-one-item (or one-cluster) -out values; np.delete and boolean
    indexing give func arrays of its own."""
    if codes is None:
        # A Python function has no closed-form jackknife: one call per left-out item.
        return np.array([metric_of(func, [np.delete(x, i) for x in samples]) for i in range(samples[0].size)])
    return np.array([metric_of(func, [x[codes != c] for x in samples]) for c in range(n_clusters)])


@dataclass(frozen=True)
class PairedTest:
    """Paired analytic test of mean(a) - mean(b): the standard error of the mean
    of paired differences (clustered when clusters were given), a z statistic and
    a normal p-value and interval (Miller 2024, section 4)."""

    difference: float
    standard_error: float
    statistic: float
    p_value: float
    interval: tuple[float, float]
    correlation: float
    n: int
    n_clusters: int | None = None
    alternative: str = "two-sided"


def paired_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> PairedTest:
    """z test of mean(a) - mean(b) from paired differences d_i = a_i - b_i.

    The standard error is that of the mean of d (sample variance, or clustered as in
    :func:`standard_error`), which is smaller than the unpaired one whenever the two
    systems' scores are positively correlated across items.

    Parameters
    ----------
    a, b : array_like, ``(n,)``
        Scores of the two systems, item by item.
    clusters : array_like, ``(n,)``, optional
        A cluster label per item: the clustered standard error.
    alternative : {"two-sided", "greater", "less"}
        "greater": mean(a) > mean(b).
    confidence : float, default 0.95
        Coverage of the interval of the difference, in (0, 1).
    nan_policy : {"raise", "omit"}
        "omit" leaves items where either score is NaN (or masked) out.

    Returns
    -------
    PairedTest

    Raises
    ------
    ValueError, TypeError
        For unpaired or invalid scores, fewer than two items, or invalid options.

    Warns
    -----
    TooFewItemsWarning
        For a single cluster: the standard error, statistic, p-value and interval are NaN.
    """
    alternative = _check_alternative(alternative)
    confidence = check_confidence(confidence)
    a, b, codes, n_clusters = _paired_arrays(a, b, clusters, nan_policy)
    n = a.size
    if n < 2:
        raise ValueError("a and b: need at least two paired items")
    d = a - b
    diff = float(d.mean())
    centered = d - diff
    if codes is None:
        se = math.sqrt(float(centered @ centered) / (n - 1) / n)
    else:
        se = _clustered_se(centered, codes, n_clusters)
        # One cluster: no standard error, so no statistic (not the infinite z of se = 0).
        _too_few_items(n, n_clusters, "paired_test")
    with np.errstate(divide="ignore", invalid="ignore"):
        if math.isnan(se):
            z = math.nan
        else:
            z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    sa, sb = a.std(), b.std()
    corr = float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb)) if sa > 0 and sb > 0 else math.nan
    zc = _NORMAL.inv_cdf(0.5 + confidence / 2.0)
    return PairedTest(
        difference=diff,
        standard_error=se,
        statistic=float(z),
        p_value=normal_p_value(float(z), alternative),
        interval=(diff - zc * se, diff + zc * se),
        correlation=corr,
        n=n,
        n_clusters=n_clusters,
        alternative=alternative,
    )


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test for paired 0/1 scores: of the n_discordant items where
    the systems disagree, a_only are right only for a and b_only only for b; under
    the null each discordant item favours a with probability 1/2."""

    difference: float
    a_only: int
    b_only: int
    p_value: float
    n: int
    alternative: str = "two-sided"


def _binom_half_cdf(k: int, m: int) -> float:
    """P(X <= k) for X ~ Binomial(m, 1/2), summed in log space (no Python loop)."""
    if k < 0:
        return 0.0
    if k >= m:
        return 1.0
    ks = np.arange(1, k + 1, dtype=np.float64)
    log_choose = np.concatenate([[0.0], np.cumsum(np.log(m - ks + 1.0) - np.log(ks))])
    log_terms = log_choose - m * math.log(2.0)
    top = log_terms.max()
    return float(min(1.0, math.exp(top) * np.exp(log_terms - top).sum()))


def mcnemar(a: ArrayLike, b: ArrayLike, *, alternative: Alternative = "two-sided") -> McNemar:
    """Exact (binomial) McNemar test that two systems have the same accuracy on the
    same items.

    Parameters
    ----------
    a, b : array_like of 0/1, ``(n,)``
        The two systems' correctness, item by item.
    alternative : {"two-sided", "greater", "less"}
        "greater": a is more accurate than b.

    Returns
    -------
    McNemar
        The discordant counts and the exact p-value.

    Raises
    ------
    ValueError, TypeError
        Unpaired or invalid scores, scores other than 0 and 1, or an unknown
        alternative.
    """
    alternative = _check_alternative(alternative)
    a, b, _, _ = _paired_arrays(a, b, None, "raise")
    for name, x in (("a", a), ("b", b)):
        if not np.isin(x, (0.0, 1.0)).all():
            raise ValueError(f"{name}: the McNemar test needs 0/1 scores; got values other than 0 and 1")
    a_only = int(np.count_nonzero((a == 1) & (b == 0)))
    b_only = int(np.count_nonzero((a == 0) & (b == 1)))
    m = a_only + b_only
    if alternative == "two-sided":
        p = min(1.0, 2.0 * _binom_half_cdf(min(a_only, b_only), m)) if m else 1.0
    elif alternative == "greater":
        p = _binom_half_cdf(b_only, m)  # P(A >= a_only) = P(B <= b_only)
    else:
        p = _binom_half_cdf(a_only, m)
    return McNemar(
        difference=(a_only - b_only) / a.size,
        a_only=a_only,
        b_only=b_only,
        p_value=p,
        n=a.size,
        alternative=alternative,
    )


# --------------------------------------------------------------------------
# Power.


# Per-item standard deviations outside this range are a units mistake, not a
# measurement, and their squares would overflow or underflow in the formulas.
_SD_RANGE = (1e-100, 1e100)
# More items than this are beyond any benchmark, and past 2**53 consecutive
# counts are no longer distinct floats (sqrt(n - 1) == sqrt(n)).
_MAX_ITEMS = 2**53


def _as_sd(value: object, name: str) -> float:
    sd = _as_real(value, name)
    low, high = _SD_RANGE
    if not low <= sd <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}] (a per-item standard deviation), got {sd:g}")
    return sd


def _difference_sd(sd, sd_b, correlation, samples_per_item, within_item_share, cluster_size, icc) -> float:
    """Standard deviation of one item's paired difference, inflated by the design effect."""
    sd = _as_sd(sd, "sd")
    sd_b = sd if sd_b is None else _as_sd(sd_b, "sd_b")
    rho = _as_real(correlation, "correlation", low=-1.0, high=1.0)
    k = as_int(samples_per_item, "samples_per_item", minimum=1)
    share = _as_real(within_item_share, "within_item_share", low=0.0, high=1.0)
    m = _as_real(cluster_size, "cluster_size", low=1.0)
    icc = _as_real(icc, "icc", low=0.0, high=1.0)
    # Averaging k samples per item divides only the within-item part of the variance by k.
    shrink = 1.0 - share + share / k
    # In units of sd, so no square leaves the range of floats.
    ratio = sd_b / sd
    var = shrink * (1.0 + ratio * ratio - 2.0 * rho * ratio)
    deff = 1.0 + (m - 1.0) * icc
    difference_sd: float = sd * math.sqrt(max(var, 0.0) * deff)
    return difference_sd


def _as_items(n: object, name: str = "n") -> int:
    items = as_int(n, name, minimum=2)
    if items > _MAX_ITEMS:
        shown = f"{items}" if items < 10**20 else f"a number of {len(str(items))} digits"
        raise ValueError(f"{name} must lie in [2, 2**53] (items of one benchmark), got {shown}")
    return items


def _power_of(effect: float, se: float, alpha: float, alternative: str) -> float:
    if se == 0:
        return 1.0 if effect != 0 else alpha
    if alternative == "two-sided":
        z = _NORMAL.inv_cdf(1.0 - alpha / 2.0)
        return _NORMAL.cdf(effect / se - z) + _NORMAL.cdf(-effect / se - z)
    z = _NORMAL.inv_cdf(1.0 - alpha)
    return _NORMAL.cdf(effect / se - z) if alternative == "greater" else _NORMAL.cdf(-effect / se - z)


# The Notes section the three power functions share (appended to their docstrings).
_POWER_DOC = """
    Notes
    -----
    The comparison is the paired z test of :func:`paired_test` on n items. The
    variance of one item's difference is va + vb - 2 rho sqrt(va vb), where each
    system's per-item variance is sd^2 (1 - w + w / k) for k samples per item
    averaged and a share w of the variance within items (w = 1 - Var(p_i)/sd^2 for
    0/1 scores with per-item success rates p_i), multiplied by the design effect
    1 + (cluster_size - 1) icc (Miller 2024, sections 3-5).
"""


def power(
    effect: float,
    n: int,
    *,
    sd: float = 0.5,
    sd_b: float | None = None,
    correlation: float = 0.0,
    samples_per_item: int = 1,
    within_item_share: float = 0.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> float:
    """Probability that a level-alpha paired test on n items (2 <= n <= 2**53)
    detects a true difference in mean score of ``effect``.

    Parameters
    ----------
    effect : float
        The true difference in mean score.
    n : int
        Items, in [2, 2**53].
    sd : float, default 0.5
        Standard deviation of one system's single-sample item score (0.5 bounds
        any 0/1 score), in [1e-100, 1e100].
    sd_b : float, optional
        The other system's, in the same range (default: sd).
    correlation : float, default 0
        Of the two systems' item scores, in [-1, 1].
    samples_per_item : int, default 1
        k samples per item, averaged.
    within_item_share : float, default 0
        w: the share of the variance within items, in [0, 1].
    cluster_size : float, default 1
        Items per cluster, at least 1.
    icc : float, default 0
        Intra-cluster correlation, in [0, 1].
    alpha : float, default 0.05
        The test's level, in (0, 1).
    alternative : {"two-sided", "greater", "less"}
        The alternative hypothesis.

    Returns
    -------
    float
        The power, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        Naming the argument that lies outside its range (TypeError for a wrong
        type): n in [2, 2**53], sd and sd_b in [1e-100, 1e100], correlation in
        [-1, 1], probabilities in (0, 1).
    """
    effect = _as_real(effect, "effect")
    n = _as_items(n)
    alpha = _as_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    alternative = _check_alternative(alternative)
    sd_d = _difference_sd(sd, sd_b, correlation, samples_per_item, within_item_share, cluster_size, icc)
    return _power_of(effect, sd_d / math.sqrt(n), alpha, alternative)


def sample_size(
    effect: float,
    *,
    power: float = 0.8,
    sd: float = 0.5,
    sd_b: float | None = None,
    correlation: float = 0.0,
    samples_per_item: int = 1,
    within_item_share: float = 0.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> int:
    """The fewest items at which :func:`power` reaches ``power``.

    Parameters
    ----------
    effect : float
        The true difference in mean score to detect.
    power : float, default 0.8
        The power to reach, in (alpha, 1).
    sd : float, default 0.5
        Standard deviation of one system's single-sample item score (0.5 bounds
        any 0/1 score), in [1e-100, 1e100].
    sd_b : float, optional
        The other system's, in the same range (default: sd).
    correlation : float, default 0
        Of the two systems' item scores, in [-1, 1].
    samples_per_item : int, default 1
        k samples per item, averaged.
    within_item_share : float, default 0
        w: the share of the variance within items, in [0, 1].
    cluster_size : float, default 1
        Items per cluster, at least 1.
    icc : float, default 0
        Intra-cluster correlation, in [0, 1].
    alpha : float, default 0.05
        The test's level, in (0, 1).
    alternative : {"two-sided", "greater", "less"}
        The alternative hypothesis.

    Returns
    -------
    int
        The number of items, at least 2.

    Raises
    ------
    ValueError, TypeError
        Naming the argument that lies outside its range (TypeError for a wrong
        type): n in [2, 2**53], sd and sd_b in [1e-100, 1e100], correlation in
        [-1, 1], probabilities in (0, 1). Also an effect that can never be detected
        (0, or of the wrong sign for a one-sided alternative) or that would need
        more than 2**53 items, and a power not above alpha.
    """
    effect = _as_real(effect, "effect")
    target = _as_real(power, "power", low=0.0, high=1.0, low_open=True, high_open=True)
    alpha = _as_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    alternative = _check_alternative(alternative)
    if effect == 0 or (alternative == "greater" and effect < 0) or (alternative == "less" and effect > 0):
        raise ValueError(f"effect={effect} can never be detected with alternative={alternative!r}")
    if target <= alpha:
        raise ValueError(f"power must exceed alpha ({alpha}), got {target}")
    sd_d = _difference_sd(sd, sd_b, correlation, samples_per_item, within_item_share, cluster_size, icc)
    if sd_d == 0:
        return 2
    z_alpha = _NORMAL.inv_cdf(1.0 - (alpha / 2.0 if alternative == "two-sided" else alpha))
    # The one-tail formula: exact for a one-sided test; for the two-sided one an
    # upper bound (the other tail only adds power), and power grows with n.
    root = (z_alpha + _NORMAL.inv_cdf(target)) * (sd_d / abs(effect))
    if not root * root <= _MAX_ITEMS:
        raise ValueError(
            f"effect={effect} is too small to detect: with a per-item difference sd of {sd_d:.3g} it needs about "
            f"{root * root:.3g} items, more than 2**53 (9.0e15); effect / sd must be at least about "
            f"{(z_alpha + _NORMAL.inv_cdf(target)) / math.sqrt(_MAX_ITEMS):.1e}"
        )
    hi = max(2, math.ceil(root * root))
    while _power_of(effect, sd_d / math.sqrt(hi), alpha, alternative) < target:
        hi += 1  # rounding in the formula: one or two steps at most
    # Bisect for the smallest n in [2, hi] that reaches the target.
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _power_of(effect, sd_d / math.sqrt(mid), alpha, alternative) >= target:
            hi = mid
        else:
            lo = mid
    items: int = hi
    return items


def min_detectable_effect(
    n: int,
    *,
    power: float = 0.8,
    sd: float = 0.5,
    sd_b: float | None = None,
    correlation: float = 0.0,
    samples_per_item: int = 1,
    within_item_share: float = 0.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> float:
    """The smallest positive difference in mean score (negative for
    alternative="less") that a paired test on n items (2 <= n <= 2**53) detects
    with probability ``power``.

    Parameters
    ----------
    n : int
        Items, in [2, 2**53].
    power : float, default 0.8
        The power to reach, in (alpha, 1).
    sd : float, default 0.5
        Standard deviation of one system's single-sample item score (0.5 bounds
        any 0/1 score), in [1e-100, 1e100].
    sd_b : float, optional
        The other system's, in the same range (default: sd).
    correlation : float, default 0
        Of the two systems' item scores, in [-1, 1].
    samples_per_item : int, default 1
        k samples per item, averaged.
    within_item_share : float, default 0
        w: the share of the variance within items, in [0, 1].
    cluster_size : float, default 1
        Items per cluster, at least 1.
    icc : float, default 0
        Intra-cluster correlation, in [0, 1].
    alpha : float, default 0.05
        The test's level, in (0, 1).
    alternative : {"two-sided", "greater", "less"}
        The alternative hypothesis.

    Returns
    -------
    float
        The effect.

    Raises
    ------
    ValueError, TypeError
        Naming the argument that lies outside its range (TypeError for a wrong
        type): n in [2, 2**53], sd and sd_b in [1e-100, 1e100], correlation in
        [-1, 1], probabilities in (0, 1). Also a power not above alpha.
    """
    n = _as_items(n)
    target = _as_real(power, "power", low=0.0, high=1.0, low_open=True, high_open=True)
    alpha = _as_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    alternative = _check_alternative(alternative)
    if target <= alpha:
        raise ValueError(f"power must exceed alpha ({alpha}), got {target}")
    se = _difference_sd(sd, sd_b, correlation, samples_per_item, within_item_share, cluster_size, icc) / math.sqrt(n)
    sign = -1.0 if alternative == "less" else 1.0
    lo, hi = 0.0, (abs(_NORMAL.inv_cdf(target)) + _NORMAL.inv_cdf(1.0 - alpha / 2.0) + 1.0) * se
    # Power is increasing in |effect|: bisect to machine precision.
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _power_of(sign * mid, se, alpha, alternative) >= target:
            hi = mid
        else:
            lo = mid
    return sign * hi


for _f in (power, sample_size, min_detectable_effect):
    _f.__doc__ = (_f.__doc__ or "") + _POWER_DOC


# --------------------------------------------------------------------------
# Paired permutation (approximate randomization) test.

# exact=None enumerates all 2**n swap patterns up to this many items (65,536
# permutations: milliseconds); exact=True allows up to _EXACT_MAX_ITEMS.
_EXACT_AUTO_ITEMS = 16
_EXACT_MAX_ITEMS = 26
# Permuted sums are produced in blocks of at most this many numbers.
_PERMUTATION_BLOCK_VALUES = 1 << 21
# A permuted statistic within this relative distance of the observed one counts
# as tied with it (scipy.stats.permutation_test's rule): sums of the same values
# in another order can differ in the last bits.
_TIE_RELATIVE = 100 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class PermutationTest:
    """Paired permutation test of metric(a) - metric(b) on the same items.

    ``p_value`` is the share of swap patterns whose difference is at least as
    extreme as the observed one: over all 2**n patterns when ``exact`` (the
    observed one included), else (c + 1) / (reps + 1) for c of ``reps`` random
    patterns (sacrebleu's convention). ``reps`` is the number of patterns
    evaluated (2**n when exact); ``seed`` is None when exact.
    """

    difference: float
    p_value: float
    metric_a: float
    metric_b: float
    statistic: str
    alternative: str
    exact: bool
    reps: int
    seed: int | None
    n: int


def _permutation_inputs(a, b, statistic):
    """(a, b) as (n, d) float64 arrays (1-D for the median), the metric of
    column sums (None for the median) and the statistic's name."""
    if isinstance(statistic, str):
        if statistic not in ("mean", "median", "ratio"):
            raise ValueError(f"statistic must be 'mean', 'median', 'ratio' or a callable, got {statistic!r}")
        name = statistic
    elif callable(statistic):
        name = getattr(statistic, "__name__", "callable")
    else:
        raise TypeError(f"statistic must be 'mean', 'median', 'ratio' or a callable, got {type(statistic).__name__}")
    if statistic in ("mean", "median"):
        x, y, _, _ = _paired_arrays(a, b, None, "raise")
        if statistic == "median":
            return np.ascontiguousarray(x), np.ascontiguousarray(y), None, name
        n = float(x.size)
        return x[:, None].copy(), y[:, None].copy(), lambda sums: sums[:, 0] / n, name
    arrays = []
    for label, values in (("a", a), ("b", b)):
        array = np.asarray(as_real_array(unmasked(values, label), label), dtype=np.float64)
        if array.ndim == 1 and callable(statistic):
            array = array[:, None]
        if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
            shape = "(n, 2) (numerator, denominator per item)" if statistic == "ratio" else "(n, d)"
            raise ValueError(f"{label} must have shape {shape} with n >= 1, got shape {array.shape}")
        if statistic == "ratio" and array.shape[1] != 2:
            raise ValueError(f"{label} must have shape (n, 2) (numerator, denominator per item), got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{label} contains NaN or infinite values")
        arrays.append(np.ascontiguousarray(array))
    x, y = arrays
    if x.shape != y.shape:
        raise ValueError(f"a and b must be paired (the same items and statistics): shapes {x.shape} and {y.shape}")
    if statistic == "ratio":

        def ratio(sums):
            with np.errstate(divide="ignore", invalid="ignore"):
                return sums[:, 0] / sums[:, 1]

        return x, y, ratio, name
    return x, y, statistic, name


def _metric_of_sums(metric, sums: np.ndarray) -> np.ndarray:
    values = np.asarray(metric(sums.copy()), dtype=np.float64)
    if values.shape != (sums.shape[0],):
        raise ValueError(
            f"the statistic callable must map a (k, d) array of column sums to k numbers, got shape {values.shape}"
        )
    return values


def paired_permutation_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    statistic: Literal["mean", "median", "ratio"] | Callable[..., object] = "mean",
    reps: int = 10_000,
    alternative: Alternative = "two-sided",
    exact: bool | None = None,
    seed: SeedLike = None,
    n_threads: int | None = None,
) -> PermutationTest:
    """Paired permutation (approximate randomization) test that two systems
    scored on the same items have the same metric.

    Under the null the two systems are exchangeable on each item: every
    permutation swaps a_i and b_i on a random subset of the items and recomputes
    both metrics from the swapped per-item statistics (sacrebleu's
    ``paired_ar``), in one native pass per block of permutations.

    Parameters
    ----------
    a, b : array_like
        The two systems' per-item values, item by item: ``(n,)`` scores for
        "mean" and "median"; ``(n, 2)`` (numerator, denominator) pairs for
        "ratio"; ``(n, d)`` sufficient statistics for a callable.
    statistic : {"mean", "median", "ratio"} or callable
        The metric of one system: the mean or numpy's median of its scores;
        sum(numerator) / sum(denominator) (corpus accuracy over tokens, micro
        F1 from (2 TP, 2 TP + FP + FN), any ratio of sums); or a callable
        ``f(sums) -> (k,)`` evaluating the metric on a ``(k, d)`` array of
        column sums, one row per permutation (BLEU from n-gram match counts).
    reps : int
        Random permutations when not exact.
    alternative : {"two-sided", "greater", "less"}
        "greater": metric(a) > metric(b) under the alternative.
    exact : bool or None
        Enumerate all 2**n swap patterns (n <= 26). None: exact when
        n <= 16 (65,536 patterns), random permutations otherwise.
    seed : int, numpy Generator, or None
        Same seed, same p-value, whatever ``n_threads``.
    n_threads : int or None
        None uses every usable core.

    Returns
    -------
    PermutationTest
        A permuted difference counts as extreme when it is at least as far out
        as the observed one, less 100 machine epsilons relative (ties:
        scipy.stats.permutation_test's rule; sacrebleu counts only strictly
        larger ones).

    Raises
    ------
    ValueError, TypeError
        For unpaired, empty, NaN or misshapen inputs, an unknown statistic or
        alternative, a statistic undefined for some permutation (a zero
        denominator), exact enumeration of more than 26 items, or invalid options.
    """
    alternative = _check_alternative(alternative)
    x, y, metric, name = _permutation_inputs(a, b, statistic)
    n = x.shape[0]
    reps = check_reps(reps)
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact must be True, False or None, got {exact!r}")
    if exact and n > _EXACT_MAX_ITEMS:
        raise ValueError(f"exact: {n} items have 2**{n} swap patterns; enumeration allows at most {_EXACT_MAX_ITEMS}")
    exact = n <= _EXACT_AUTO_ITEMS if exact is None else bool(exact)
    resolved_seed = resolve_seed(seed)
    seed = None if exact else resolved_seed
    threads = resolve_threads(n_threads)

    def differences(first: int, count: int, draws_exact: bool) -> tuple[np.ndarray, np.ndarray]:
        if metric is None:
            medians = permuted_medians(x, y, draws_exact, seed or 0, first, count, threads)
            return medians[:, 0] - medians[:, 1], medians
        sums = permuted_sums(x, y, draws_exact, seed or 0, first, count, threads)
        d = x.shape[1]
        ma, mb = _metric_of_sums(metric, sums[:, :d]), _metric_of_sums(metric, sums[:, d:])
        return ma - mb, np.stack([ma, mb], axis=1)

    # Pattern 0 of the enumeration swaps nothing: the observed metrics, summed
    # in the same order as every permutation.
    observed, metrics = differences(0, 1, True)
    t = float(observed[0])
    if not math.isfinite(t):
        raise ValueError(f"statistic {name!r} is undefined (or infinite) for a or b")
    tolerance = _TIE_RELATIVE * abs(t)
    total = 2**n if exact else reps
    block = max(1, _PERMUTATION_BLOCK_VALUES // (2 * (x.shape[1] if x.ndim == 2 else 1)))
    extreme = 0
    for start in range(0, total, block):
        permuted, _ = differences(start, min(block, total - start), exact)
        if not np.isfinite(permuted).all():
            raise ValueError(
                f"statistic {name!r} is undefined for some permutations of the items (a zero denominator); "
                "the test needs it defined for every swap of a_i and b_i"
            )
        if alternative == "two-sided":
            extreme += int(np.count_nonzero(np.abs(permuted) >= abs(t) - tolerance))
        elif alternative == "greater":
            extreme += int(np.count_nonzero(permuted >= t - tolerance))
        else:
            extreme += int(np.count_nonzero(permuted <= t + tolerance))
    p_value = extreme / total if exact else (extreme + 1.0) / (reps + 1.0)
    return PermutationTest(
        difference=t,
        p_value=float(p_value),
        metric_a=float(metrics[0, 0]),
        metric_b=float(metrics[0, 1]),
        statistic=name,
        alternative=alternative,
        exact=exact,
        reps=total,
        seed=seed,
        n=n,
    )
