"""Judge-corrected estimates: a large set scored by an LLM judge, a small set
scored by the judge and by humans.

The judge alone is biased; humans alone are few. Prediction-powered inference
(PPI, Angelopoulos et al., Science 2023) uses the human-labelled items to
measure and remove the judge's bias and the judge-only items to shrink the
variance; PPI++ (Angelopoulos, Duchi & Zrnic 2023, arXiv 2311.01453) weights the
judge by a power-tuning factor lambda, so the interval is never wider than the
human-only one (asymptotically). With ``n`` labelled items (human label ``y``,
judge score ``yhat``) and ``N`` unlabelled ones (``yhat_unlabeled``):

    estimate = mean(lam * yhat_unlabeled) + mean(y - lam * yhat)
    variance = Var(lam * yhat_unlabeled) / N + Var(y - lam * yhat) / n

(variances with ddof 0, as ppi_py 0.2.3). ``lam=1`` is plain PPI, ``lam=0`` the
classical human-only mean, ``lam=None`` the power-tuned lambda of ppi_py's
``_calc_lam_glm``, clipped to [0, 1]:

    lam = Cov(y, yhat) / ((1 + n / N) * Var([yhat, yhat_unlabeled]))

(the covariance with ddof 0 over the labelled items, the variance with ddof 1
over all items). :func:`ppi_mean`, :func:`ppi_quantile`, :func:`ppboot` (the
prediction-powered bootstrap, Zrnic 2024, arXiv 2405.18379) and
:func:`ppi_mean_difference` (two models judged on the same items) give ppi_py's
numbers; :func:`rogan_gladen` corrects a binary judge's prevalence (a model's
judged accuracy) from its sensitivity and specificity.

The labelled and unlabelled sets are two independent samples (PPI's
assumption). With ``clusters`` (and/or ``clusters_unlabeled``) the items of a
set come in clusters sampled at random (several questions on one passage):
variances are cluster-robust within each set and the bootstrap resamples whole
clusters of each set.

The bootstrap runs on the resampling engine of :mod:`precipice.evals`: the
statistic is linear in per-set sums, so one native call per set draws the
resampled sums of all replicates. Replicate ``r`` depends only on ``(seed, r)``:
same seed, same result, whatever ``n_threads``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._intervals import IntervalBounds, column_quantiles

# The callable rules (a statistic taking axis= is evaluated a block of resamples
# at a time; one number per call) are the evals pillar's, shared rather than copied.
from ._resample import accepts_axis, index_blocks, metric_of, sum_replicates
from ._special import normal_p_value
from ._validation import (
    ResampleOptions,
    as_flag,
    as_real_array,
    check_confidence,
    check_reps,
    check_squares_finite,
    unmasked,
)
from .evals import as_cluster_codes

__all__ = [
    "PPIMean",
    "PPIQuantile",
    "PredictionPoweredBootstrap",
    "RoganGladen",
    "ppboot",
    "ppi_mean",
    "ppi_mean_difference",
    "ppi_quantile",
    "rogan_gladen",
]

FloatArray = NDArray[np.float64]

_NORMAL = NormalDist()
# ppi_py's grid for quantiles when exact_grid=False: this many evenly spaced points.
_QUANTILE_GRID = 5000
# ppi_py floors the standard error of the rectified CDF at this (a grid point
# below or above all data has none, and is then never inside the interval).
_MIN_CDF_SE = 1e-16
# The bootstrap's two independent samples share one seed and use disjoint
# replicate ranges (Philox counters never overlap): the labelled resamples start
# at replicate _LABELED, the unlabelled ones at _UNLABELED.
_LABELED, _UNLABELED = 0, 1 << 62
_ALTERNATIVES = {
    "two-sided": "two-sided",
    "greater": "greater",
    "less": "less",
    # statsmodels' and ppi_py's names
    "larger": "greater",
    "smaller": "less",
}


# --------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class PPIMean(IntervalBounds):
    """A prediction-powered mean (or difference of means) with its z-interval.

    ``estimate`` = mean(lam * yhat_unlabeled) + ``rectifier``, where
    ``rectifier`` = mean(y - lam * yhat) is the judge's measured bias (times
    lam). ``variance`` = ``standard_error`` ** 2; ``interval`` is
    ``(lower, upper)`` (one of them infinite for a one-sided ``alternative``);
    ``p_value`` tests ``estimate == null`` against ``alternative``. ``n`` and
    ``n_unlabeled`` count items; ``n_clusters`` and ``n_clusters_unlabeled`` the
    clusters when they were given.
    """

    estimate: float
    interval: np.ndarray
    lam: float
    variance: float
    standard_error: float
    rectifier: float
    p_value: float
    null: float
    confidence: float
    alternative: str
    n: int
    n_unlabeled: int
    n_clusters: int | None = None
    n_clusters_unlabeled: int | None = None


@dataclass(frozen=True)
class PPIQuantile(IntervalBounds):
    """A prediction-powered ``q``-quantile with its interval: the grid points
    where the rectified CDF is not rejected as equal to ``q`` (ppi_py's
    construction). ``grid_size`` is the number of candidate points."""

    estimate: float
    interval: np.ndarray
    q: float
    confidence: float
    exact_grid: bool
    grid_size: int
    n: int
    n_unlabeled: int


@dataclass(frozen=True)
class PredictionPoweredBootstrap(IntervalBounds):
    """A prediction-powered statistic (the mean, or the callable named by
    ``statistic``) with a bootstrap interval.

    ``standard_error`` is the standard deviation (ddof 1) of the replicates;
    ``lam`` the lambda used (tuned on ``reps_lam`` separate replicates when not
    given, unclipped as in ppi_py); ``seed`` the seed used.
    """

    estimate: float
    interval: np.ndarray
    lam: float
    standard_error: float
    statistic: str
    method: str
    confidence: float
    alternative: str
    reps: int
    reps_lam: int
    seed: int
    n: int
    n_unlabeled: int
    n_clusters: int | None = None
    n_clusters_unlabeled: int | None = None
    replicates: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RoganGladen(IntervalBounds):
    """A prevalence (a model's accuracy, the share of items a property holds
    for) corrected for a binary judge's errors.

    ``estimate`` and ``interval`` are clipped to [0, 1]; ``unclipped`` is the
    raw Rogan-Gladen value (it leaves [0, 1] when the judged prevalence is
    below the false-positive rate or above the sensitivity).
    ``apparent_prevalence`` is the judge's share of positives on the unlabelled
    items; ``sensitivity`` and ``specificity`` are estimated on the labelled
    items, ``n_positive`` and ``n_negative`` of them positive and negative by
    the human labels.
    """

    estimate: float
    interval: np.ndarray
    unclipped: float
    standard_error: float
    apparent_prevalence: float
    sensitivity: float
    specificity: float
    confidence: float
    n_positive: int
    n_negative: int
    n_unlabeled: int


# --------------------------------------------------------------------------
# Validation at the boundary.


def _as_values(values: object, name: str, *, minimum: int = 2) -> FloatArray:
    """A read-only 1-D float64 array of finite numbers (booleans allowed)."""
    array = as_real_array(unmasked(values, name), name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per item), got shape {array.shape}")
    if array.size < minimum:
        what = "is empty" if array.size == 0 else f"has {array.size} item"
        raise ValueError(f"{name} {what}: at least {minimum} items are needed")
    array = np.asarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        kind = "NaN" if np.isnan(array).any() else "infinite values"
        raise ValueError(f"{name} contains {kind}")
    check_squares_finite(array, name, "values", "variances and covariances behind the estimate")
    view = array.view()
    view.flags.writeable = False
    return view


def _as_labelled(y: object, yhat: object, y_name: str, yhat_name: str) -> tuple[FloatArray, FloatArray]:
    y_arr = _as_values(y, y_name)
    yhat_arr = _as_values(yhat, yhat_name)
    if y_arr.size != yhat_arr.size:
        raise ValueError(
            f"{y_name} and {yhat_name} must be aligned (the judge's score of each human-labelled item): "
            f"{y_name} has {y_arr.size} items, {yhat_name} has {yhat_arr.size}"
        )
    return y_arr, yhat_arr


def _as_weights(w: object, n: int, name: str) -> FloatArray | None:
    """None, or the weights rescaled to mean 1 (ppi_py's rule)."""
    if w is None:
        return None
    weights = np.asarray(as_real_array(unmasked(w, name), name, booleans=False), dtype=np.float64)
    if weights.ndim != 1 or weights.size != n:
        raise ValueError(f"{name} must have one weight per item, shape ({n},); got shape {weights.shape}")
    if not np.isfinite(weights).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if (weights < 0).any():
        raise ValueError(f"{name} contains negative weights")
    total = float(weights.sum())
    if total <= 0:
        raise ValueError(f"{name}: the weights sum to zero")
    scaled: FloatArray = weights / total * n
    return scaled


def _as_lam(lam: object) -> float | None:
    if lam is None:
        return None
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam must be None or a number in [0, 1], got {type(lam).__name__}")
    value = float(lam)
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"lam must lie in [0, 1] (0: humans only, 1: plain PPI), got {value}")
    return value


def _as_alternative(alternative: object) -> str:
    if not isinstance(alternative, str) or alternative not in _ALTERNATIVES:
        raise ValueError(
            "alternative must be 'two-sided', 'greater' or 'less' (ppi_py's 'larger' and 'smaller' are "
            f"accepted), got {alternative!r}"
        )
    return _ALTERNATIVES[alternative]


def _as_number(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def _as_clusters(clusters: ArrayLike | None, n: int, name: str) -> tuple[np.ndarray, int] | None:
    if clusters is None:
        return None
    codes, count = as_cluster_codes(clusters, n, name)
    if count < 2:
        raise ValueError(
            f"{name}: all {n} items are in a single cluster, so a cluster-robust variance is undefined "
            "(one cluster shows no variation between clusters)"
        )
    return codes, count


# --------------------------------------------------------------------------
# PPI / PPI++ for a mean.


def _tuned_lam(
    y: FloatArray, yhat: FloatArray, yhat_u: FloatArray, w: FloatArray | None, w_u: FloatArray | None
) -> float:
    """ppi_py's power-tuned lambda for a 1-D mean (``_calc_lam_glm`` with an
    identity Hessian, gradients at the lam=1 estimate), clipped to [0, 1]. A
    judge that gives every item the same score carries no information: 0."""
    n, big_n = y.size, yhat_u.size
    wy = y if w is None else w * y
    wyhat = yhat if w is None else w * yhat
    wyhat_u = yhat_u if w_u is None else w_u * yhat_u
    theta = float(wyhat_u.mean() + (wy - wyhat).mean())
    # The gradients w * (value - theta): the shift by theta matters for the pooled variance when weighted.
    g = wy - (theta if w is None else w * theta)
    g_hat = wyhat - (theta if w is None else w * theta)
    g_hat_u = wyhat_u - (theta if w_u is None else w_u * theta)
    cov = _dot(g - g.mean(), g_hat - g_hat.mean()) / n
    var = float(np.var(np.concatenate([g_hat, g_hat_u]), ddof=1))
    if not var > 0:
        return 0.0
    return float(np.clip(cov / ((1.0 + n / big_n) * var), 0.0, 1.0))


def _dot(a: FloatArray, b: FloatArray) -> float:
    """sum(a * b) without BLAS: a BLAS dot wakes its thread pool, which on a busy
    machine costs milliseconds (30 ms for 50,000 values measured) for microseconds of work."""
    return float(np.einsum("i,i->", a, b))


def _centred_sums(values: FloatArray, clustering: tuple[np.ndarray, int] | None) -> FloatArray:
    """values - mean, summed per cluster (per item without clusters)."""
    centred: FloatArray = values - values.mean()
    if clustering is None:
        return centred
    codes, count = clustering
    return np.bincount(codes, weights=centred, minlength=count).astype(np.float64)


def _robust_factor(clustering: tuple[np.ndarray, int] | None) -> float:
    """C / (C - 1) for clusters; 1 for independent items (ddof 0, ppi_py's rule)."""
    return 1.0 if clustering is None else clustering[1] / (clustering[1] - 1.0)


def _clustered_lam(
    wy: FloatArray,
    wyhat: FloatArray,
    wyhat_u: FloatArray,
    clustering: tuple[np.ndarray, int] | None,
    clustering_u: tuple[np.ndarray, int] | None,
) -> float:
    """The lambda that minimises the cluster-robust variance (a quadratic in
    lambda), clipped to [0, 1]."""
    n, big_n = wy.size, wyhat_u.size
    a = _centred_sums(wy, clustering)
    b = _centred_sums(wyhat, clustering)
    u = _centred_sums(wyhat_u, clustering_u)
    f, f_u = _robust_factor(clustering) / n**2, _robust_factor(clustering_u) / big_n**2
    denom = f * _dot(b, b) + f_u * _dot(u, u)
    if not denom > 0:
        return 0.0
    return float(np.clip(f * _dot(a, b) / denom, 0.0, 1.0))


def _z_interval(estimate: float, se: float, confidence: float, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        z = _NORMAL.inv_cdf(0.5 + confidence / 2.0)
        bounds = (estimate - z * se, estimate + z * se)
    elif alternative == "greater":
        bounds = (estimate - _NORMAL.inv_cdf(confidence) * se, math.inf)
    else:
        bounds = (-math.inf, estimate + _NORMAL.inv_cdf(confidence) * se)
    interval = np.array(bounds, dtype=np.float64)
    interval.flags.writeable = False
    return interval


def _p_value(estimate: float, se: float, null: float, alternative: str) -> float:
    # ppi_py's rectified_p_value floors the standard error at 1e-16.
    return normal_p_value((estimate - null) / max(se, _MIN_CDF_SE), alternative)


def _ppi_mean(
    y: FloatArray,
    yhat: FloatArray,
    yhat_u: FloatArray,
    lam: float | None,
    confidence: float,
    alternative: str,
    null: float,
    w: FloatArray | None,
    w_u: FloatArray | None,
    clustering: tuple[np.ndarray, int] | None,
    clustering_u: tuple[np.ndarray, int] | None,
) -> PPIMean:
    n, big_n = y.size, yhat_u.size
    wy = y if w is None else w * y
    wyhat = yhat if w is None else w * yhat
    wyhat_u = yhat_u if w_u is None else w_u * yhat_u
    if lam is None:
        if clustering is None and clustering_u is None:
            lam = _tuned_lam(y, yhat, yhat_u, w, w_u)
        else:
            lam = _clustered_lam(wy, wyhat, wyhat_u, clustering, clustering_u)
    imputed = lam * wyhat_u
    rectified = wy - lam * wyhat
    rectifier = float(rectified.mean())
    estimate = float(imputed.mean()) + rectifier
    s_u = _centred_sums(imputed, clustering_u)
    s_l = _centred_sums(rectified, clustering)
    variance = (
        _robust_factor(clustering_u) * _dot(s_u, s_u) / big_n**2 + _robust_factor(clustering) * _dot(s_l, s_l) / n**2
    )
    se = math.sqrt(variance)
    return PPIMean(
        estimate=estimate,
        interval=_z_interval(estimate, se, confidence, alternative),
        lam=lam,
        variance=variance,
        standard_error=se,
        rectifier=rectifier,
        p_value=_p_value(estimate, se, null, alternative),
        null=null,
        confidence=confidence,
        alternative=alternative,
        n=n,
        n_unlabeled=big_n,
        n_clusters=None if clustering is None else clustering[1],
        n_clusters_unlabeled=None if clustering_u is None else clustering_u[1],
    )


def ppi_mean(
    y: object,
    yhat: object,
    yhat_unlabeled: object,
    *,
    lam: float | None = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    null: float = 0.0,
    w: object = None,
    w_unlabeled: object = None,
    clusters: ArrayLike | None = None,
    clusters_unlabeled: ArrayLike | None = None,
) -> PPIMean:
    """Prediction-powered (PPI / PPI++) estimate of a mean, with a z-interval.

    The estimate is mean(lam * yhat_unlabeled) + mean(y - lam * yhat), its
    variance Var(lam * yhat_unlabeled) / N + Var(y - lam * yhat) / n (ddof 0);
    with weights every value is multiplied by its item's weight (rescaled to
    mean 1). Equal to ppi_py 0.2.3's ``ppi_mean_pointestimate`` and
    ``ppi_mean_ci`` (and ``ppi_mean_pval`` for the p-value) on the same inputs.

    Parameters
    ----------
    y : array_like, (n,)
        Human labels (scores) of the labelled items: 0/1, booleans or real.
    yhat : array_like, (n,)
        The judge's scores of the same items, aligned with ``y``.
    yhat_unlabeled : array_like, (N,)
        The judge's scores of the items no human labelled.
    lam : float in [0, 1], optional
        Weight of the judge. None (default) tunes it for the smallest variance
        (PPI++; ppi_py's rule, clipped to [0, 1]; with clusters, the minimiser
        of the cluster-robust variance); 1 is plain PPI, 0 the human-only mean.
    confidence : float
        Coverage of the interval, in (0, 1). (ppi_py's ``alpha`` is
        1 - confidence.)
    alternative : {"two-sided", "greater", "less"}
        "greater" gives a lower bound (upper bound inf), "less" an upper bound;
        ppi_py's "larger" and "smaller" mean the same.
    null : float
        The value ``p_value`` tests.
    w, w_unlabeled : array_like, optional
        Non-negative weights of the labelled (n,) and unlabelled (N,) items,
        rescaled to mean 1 within each set (ppi_py's ``w`` and ``w_unlabeled``).
    clusters, clusters_unlabeled : array_like, optional
        A cluster label per labelled (n,) / unlabelled (N,) item. The variance
        of each set's term is then cluster-robust,
        C / (C - 1) * sum_c (sum_{i in c} (v_i - mean v))^2 / n^2.

    Returns
    -------
    PPIMean
        ``estimate``, ``interval``, ``lam``, ``variance``, ``standard_error``,
        ``rectifier``, ``p_value``, ...

    Raises
    ------
    ValueError
        For arrays that are not 1-D, hold NaN or infinite values, have fewer
        than 2 items, or are misaligned (``y`` and ``yhat``, weights, clusters);
        ``lam`` outside [0, 1]; ``confidence`` outside (0, 1); an unknown
        ``alternative``; negative weights; a single cluster.
    TypeError
        For non-numeric arrays (text, objects, complex), or a ``lam``,
        ``confidence`` or ``null`` that is not a number.
    """
    y_arr, yhat_arr = _as_labelled(y, yhat, "y", "yhat")
    yhat_u = _as_values(yhat_unlabeled, "yhat_unlabeled")
    return _ppi_mean(
        y_arr,
        yhat_arr,
        yhat_u,
        _as_lam(lam),
        check_confidence(confidence),
        _as_alternative(alternative),
        _as_number(null, "null"),
        _as_weights(w, y_arr.size, "w"),
        _as_weights(w_unlabeled, yhat_u.size, "w_unlabeled"),
        _as_clusters(clusters, y_arr.size, "clusters"),
        _as_clusters(clusters_unlabeled, yhat_u.size, "clusters_unlabeled"),
    )


def ppi_mean_difference(
    y_a: object,
    y_b: object,
    yhat_a: object,
    yhat_b: object,
    yhat_unlabeled_a: object,
    yhat_unlabeled_b: object,
    *,
    lam: float | None = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    null: float = 0.0,
    w: object = None,
    w_unlabeled: object = None,
    clusters: ArrayLike | None = None,
    clusters_unlabeled: ArrayLike | None = None,
) -> PPIMean:
    """Prediction-powered estimate of mean(A) - mean(B) for two models judged
    (and, on the labelled items, human-scored) on the same items.

    The paired differences are one sample: this is :func:`ppi_mean` of
    ``y_a - y_b`` with judge scores ``yhat_a - yhat_b`` and
    ``yhat_unlabeled_a - yhat_unlabeled_b``, one lambda for the difference.
    Pairing removes the variation between items that both models share, so the
    interval is narrower than one built from two separate estimates.

    Parameters
    ----------
    y_a, y_b : array_like, (n,)
        Human scores of model A's and model B's outputs on the labelled items.
    yhat_a, yhat_b : array_like, (n,)
        The judge's scores of the same outputs.
    yhat_unlabeled_a, yhat_unlabeled_b : array_like, (N,)
        The judge's scores of both models on the unlabelled items.
    lam, confidence, alternative, null, w, w_unlabeled, clusters, clusters_unlabeled
        As for :func:`ppi_mean`; ``p_value`` tests difference == ``null``.

    Returns
    -------
    PPIMean
        ``estimate`` is the difference.

    Raises
    ------
    ValueError, TypeError
        As :func:`ppi_mean`, and for arrays of model A and B that are not
        aligned.
    """
    arrays = {
        name: _as_values(values, name)
        for name, values in (
            ("y_a", y_a),
            ("y_b", y_b),
            ("yhat_a", yhat_a),
            ("yhat_b", yhat_b),
            ("yhat_unlabeled_a", yhat_unlabeled_a),
            ("yhat_unlabeled_b", yhat_unlabeled_b),
        )
    }
    for first, second in (
        ("y_a", "y_b"),
        ("y_a", "yhat_a"),
        ("y_a", "yhat_b"),
        ("yhat_unlabeled_a", "yhat_unlabeled_b"),
    ):
        if arrays[first].size != arrays[second].size:
            raise ValueError(
                f"{first} and {second} must be aligned (the same items): {first} has {arrays[first].size} "
                f"items, {second} has {arrays[second].size}"
            )
    n, big_n = arrays["y_a"].size, arrays["yhat_unlabeled_a"].size
    return _ppi_mean(
        arrays["y_a"] - arrays["y_b"],
        arrays["yhat_a"] - arrays["yhat_b"],
        arrays["yhat_unlabeled_a"] - arrays["yhat_unlabeled_b"],
        _as_lam(lam),
        check_confidence(confidence),
        _as_alternative(alternative),
        _as_number(null, "null"),
        _as_weights(w, n, "w"),
        _as_weights(w_unlabeled, big_n, "w_unlabeled"),
        _as_clusters(clusters, n, "clusters"),
        _as_clusters(clusters_unlabeled, big_n, "clusters_unlabeled"),
    )


# --------------------------------------------------------------------------
# PPI for a quantile.


def _weighted_counts(values: FloatArray, weights: FloatArray | None, grid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(sum of w, sum of w^2) over the items with value <= g, for each grid point g."""
    order = np.argsort(values, kind="stable")
    below = np.searchsorted(values[order], grid, side="right")
    w = np.ones(values.size) if weights is None else weights[order]
    total = np.concatenate([[0.0], np.cumsum(w)])
    squares = total if weights is None else np.concatenate([[0.0], np.cumsum(w * w)])
    return total[below], squares[below]


def ppi_quantile(
    y: object,
    yhat: object,
    yhat_unlabeled: object,
    q: float,
    *,
    confidence: float = 0.95,
    exact_grid: bool = False,
    w: object = None,
    w_unlabeled: object = None,
) -> PPIQuantile:
    """Prediction-powered estimate of the ``q``-quantile, with its interval.

    On a grid of candidate values, the rectified CDF is
    F(g) = mean(w_u 1{yhat_unlabeled <= g}) + mean(w (1{y <= g} - 1{yhat <= g})).
    The estimate is the grid point where |F(g) - q| is smallest (the first such
    point); the interval spans the grid points where a two-sided z-test does
    not reject F(g) = q at level 1 - confidence. ppi_py 0.2.3's
    ``ppi_quantile_pointestimate`` / ``ppi_quantile_ci``, computed by sorting
    instead of an (items x grid) indicator matrix, so an exact grid over
    50,000 items takes milliseconds.

    Parameters
    ----------
    y, yhat, yhat_unlabeled : array_like
        As for :func:`ppi_mean`.
    q : float
        The quantile, in (0, 1).
    confidence : float
        Coverage, in (0, 1) (ppi_py's ``alpha`` is 1 - confidence).
    exact_grid : bool
        Candidates are all observed values (y, yhat and yhat_unlabeled,
        sorted); otherwise 5000 evenly spaced points from their minimum to
        their maximum (ppi_py's default).
    w, w_unlabeled : array_like, optional
        As for :func:`ppi_mean`.

    Returns
    -------
    PPIQuantile

    Raises
    ------
    ValueError
        As :func:`ppi_mean`; ``q`` outside (0, 1); no grid point inside the
        interval (too few items for this ``q`` and ``confidence``).
    TypeError
        For non-numeric arrays or a ``q`` or ``confidence`` that is not a number.
    """
    y_arr, yhat_arr = _as_labelled(y, yhat, "y", "yhat")
    yhat_u = _as_values(yhat_unlabeled, "yhat_unlabeled")
    level = _as_number(q, "q")
    if not 0.0 < level < 1.0:
        raise ValueError(f"q must lie strictly between 0 and 1, got {level}")
    confidence = check_confidence(confidence)
    exact = as_flag(exact_grid, "exact_grid")
    n, big_n = y_arr.size, yhat_u.size
    w_arr = _as_weights(w, n, "w")
    w_u = _as_weights(w_unlabeled, big_n, "w_unlabeled")
    pooled = np.concatenate([y_arr, yhat_arr, yhat_u])
    grid = np.sort(pooled) if exact else np.linspace(pooled.min(), pooled.max(), _QUANTILE_GRID)
    total_u, squares_u = _weighted_counts(yhat_u, w_u, grid)
    total_y, squares_y = _weighted_counts(y_arr, w_arr, grid)
    total_yhat, squares_yhat = _weighted_counts(yhat_arr, w_arr, grid)
    _, squares_both = _weighted_counts(np.maximum(y_arr, yhat_arr), w_arr, grid)
    cdf_u = total_u / big_n
    rectifier = (total_y - total_yhat) / n
    # 1{y <= g} - 1{yhat <= g} is nonzero exactly when one of y, yhat is <= g and the other not.
    var_u = np.maximum(squares_u / big_n - cdf_u**2, 0.0)
    var_r = np.maximum((squares_y + squares_yhat - 2.0 * squares_both) / n - rectifier**2, 0.0)
    cdf = cdf_u + rectifier
    estimate = float(grid[np.argmin(np.abs(cdf - level))])
    se = np.maximum(np.sqrt(var_u / big_n + var_r / n), _MIN_CDF_SE)
    inside = np.abs(cdf - level) / se < _NORMAL.inv_cdf(0.5 + confidence / 2.0)
    if not inside.any():
        raise ValueError(
            f"no candidate value is inside the {confidence:.0%} interval of the q={level} quantile: "
            "too few items for this q and confidence"
        )
    picked = grid[np.flatnonzero(inside)[[0, -1]]]
    interval = np.array(picked, dtype=np.float64)
    interval.flags.writeable = False
    return PPIQuantile(
        estimate=estimate,
        interval=interval,
        q=level,
        confidence=confidence,
        exact_grid=exact,
        grid_size=int(grid.size),
        n=n,
        n_unlabeled=big_n,
    )


# --------------------------------------------------------------------------
# The prediction-powered bootstrap of a mean.


def _resampled_means(
    columns: list[FloatArray],
    clustering: tuple[np.ndarray, int] | None,
    reps: int,
    seed: int,
    first: int,
    threads: int,
) -> FloatArray:
    """(reps, k) means of the k columns over resamples of the items (or of
    whole clusters) of one set: one native call for all replicates."""
    centres = np.array([c.mean() for c in columns])
    centred = np.stack(columns, axis=1) - centres
    if clustering is None:
        sums = sum_replicates(centred, _identity, reps, seed, threads, first=first)
        means: FloatArray = centres + sums / columns[0].size
        return means
    codes, count = clustering
    rows = np.empty((count, len(columns) + 1))
    for j in range(len(columns)):
        rows[:, j] = np.bincount(codes, weights=centred[:, j], minlength=count)
    rows[:, -1] = np.bincount(codes, minlength=count)
    sums = sum_replicates(rows, _identity, reps, seed, threads, first=first)
    means = centres + sums[:, :-1] / sums[:, -1:]
    return means


def _identity(sums: FloatArray) -> FloatArray:
    return sums


def _resampled_statistics(
    statistic: Callable[..., object], columns: list[FloatArray], reps: int, seed: int, first: int, threads: int
) -> FloatArray:
    """(reps, k) statistic of each of the k columns over resamples of the items
    of one set, the same resamples as :func:`_resampled_means` draws for
    distinct values. Every resample is a fresh array the statistic may change."""
    n = columns[0].size
    out = np.empty((reps, len(columns)))
    vectorised = accepts_axis(statistic)
    for start, idx in index_blocks(n, n, reps, seed, threads, values_per_index=len(columns), first=first):
        for j, column in enumerate(columns):
            if vectorised:
                values = np.asarray(statistic(column[idx], axis=-1), dtype=np.float64)
                if values.shape != (idx.shape[0],):
                    raise ValueError(
                        f"the statistic must return one number per resample, got an array of shape {values.shape} "
                        f"for {idx.shape[0]} resamples (statistic(x, axis=-1))"
                    )
                out[start : start + idx.shape[0], j] = values
            else:
                # An arbitrary Python function: one call per replicate is all it allows.
                out[start : start + idx.shape[0], j] = [metric_of(statistic, [column[i]]) for i in idx]
    return out


def ppboot(
    y: object,
    yhat: object,
    yhat_unlabeled: object,
    *,
    statistic: str | Callable[..., object] = "mean",
    lam: float | None = None,
    reps: int = 1000,
    reps_lam: int = 50,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    method: str = "percentile",
    seed: object = None,
    n_threads: int | None = None,
    clusters: ArrayLike | None = None,
    clusters_unlabeled: ArrayLike | None = None,
    return_replicates: bool = False,
) -> PredictionPoweredBootstrap:
    """The prediction-powered bootstrap (PPBoot, ppi_py's ``ppboot``) of a mean
    or of any statistic.

    Each replicate resamples the labelled pairs (y, yhat) and, independently,
    the unlabelled items, and computes
    lam * f(yhat_unlabeled*) + f(y*) - lam * f(yhat*) for the statistic f. With
    ``lam=None``, lambda = Cov(f(y*), f(yhat*)) / (Var(f(yhat*)) +
    Var(f(yhat_unlabeled*))) over ``reps_lam`` separate replicates (ddof 1
    for the covariance, 0 for the variances, not clipped: ppi_py's rule).
    The mean is linear in the resampled sums, so the native engine draws
    those sums directly (as multinomial counts for 0/1 scores); a callable
    gets resamples drawn natively, the same ones (for distinct values).

    Parameters
    ----------
    y, yhat, yhat_unlabeled : array_like
        As for :func:`ppi_mean`.
    statistic : "mean" or callable
        ppi_py's ``estimator``: a callable f(x) -> float of a 1-D sample
        (np.median, say). One that takes ``axis`` (f(x, axis=-1)) is given a
        block of resamples at once; any other is called once per resample.
    lam : float in [0, 1], optional
        Weight of the judge; None tunes it by bootstrap.
    reps : int
        Bootstrap replicates (ppi_py's ``n_resamples``).
    reps_lam : int
        Replicates that tune lambda (ppi_py's ``n_resamples_lam``), at least 2.
    confidence : float
        Coverage, in (0, 1) (ppi_py's ``alpha`` is 1 - confidence).
    alternative : {"two-sided", "greater", "less"}
        "greater" gives a lower bound (upper bound inf), "less" an upper bound
        ("larger" and "smaller" are accepted).
    method : {"percentile", "basic"}
        The interval from the replicates' quantiles (numpy's linear rule).
    seed : int, numpy Generator, or None
        Same seed, same result, whatever ``n_threads``; the seed used is returned.
    n_threads : int, optional
        None: all usable cores; scikit-learn's convention.
    clusters, clusters_unlabeled : array_like, optional
        A cluster label per labelled / unlabelled item: whole clusters of that
        set are resampled (and lambda tuned on cluster resamples); with
        ``statistic="mean"`` only.
    return_replicates : bool
        Keep the (reps,) replicates on the result.

    Returns
    -------
    PredictionPoweredBootstrap

    Raises
    ------
    ValueError, TypeError
        As :func:`ppi_mean`, and for invalid statistic, reps, reps_lam, method,
        seed or n_threads, clusters with a callable statistic, or a statistic
        that does not return one number.
    """
    y_arr, yhat_arr = _as_labelled(y, yhat, "y", "yhat")
    yhat_u = _as_values(yhat_unlabeled, "yhat_unlabeled")
    if isinstance(statistic, str):
        if statistic != "mean":
            raise ValueError(f"statistic must be 'mean' or a callable, got {statistic!r}")
    elif not callable(statistic):
        raise TypeError(f"statistic must be 'mean' or a callable, got {type(statistic).__name__}")
    elif clusters is not None or clusters_unlabeled is not None:
        raise ValueError("clusters and clusters_unlabeled need statistic='mean' (whole clusters are resampled as sums)")
    lam_value = _as_lam(lam)
    alternative = _as_alternative(alternative)
    if method not in ("percentile", "basic"):
        raise ValueError(f"method must be 'percentile' or 'basic', got {method!r}")
    options = ResampleOptions.from_args(reps=reps, confidence=confidence, method=method, seed=seed, n_threads=n_threads)
    reps_for_lam = check_reps(reps_lam, "reps_lam")
    if reps_for_lam < 2:
        raise ValueError(f"reps_lam must be at least 2 (lambda needs a covariance), got {reps_for_lam}")
    keep = as_flag(return_replicates, "return_replicates")
    clustering = _as_clusters(clusters, y_arr.size, "clusters")
    clustering_u = _as_clusters(clusters_unlabeled, yhat_u.size, "clusters_unlabeled")
    seed_used, threads = options.seed, options.n_threads

    # One native call per set (for the mean): replicates [0, reps_lam) tune lambda, the next reps give the interval (the
    # same ones whether lambda is tuned or given).
    tuning = 0 if lam_value is not None else reps_for_lam
    count, skip = tuning + options.reps, reps_for_lam - tuning
    if callable(statistic):
        labelled = _resampled_statistics(statistic, [y_arr, yhat_arr], count, seed_used, _LABELED + skip, threads)
        unlabelled = _resampled_statistics(statistic, [yhat_u], count, seed_used, _UNLABELED + skip, threads)[:, 0]
        f_y, f_yhat, f_u = (metric_of(statistic, [x.copy()]) for x in (y_arr, yhat_arr, yhat_u))
    else:
        labelled = _resampled_means([y_arr, yhat_arr], clustering, count, seed_used, _LABELED + skip, threads)
        unlabelled = _resampled_means([yhat_u], clustering_u, count, seed_used, _UNLABELED + skip, threads)[:, 0]
        f_y, f_yhat, f_u = float(y_arr.mean()), float(yhat_arr.mean()), float(yhat_u.mean())
    if lam_value is None:
        cov = float(np.cov(labelled[:tuning, 0], labelled[:tuning, 1])[0, 1])
        denom = float(np.var(labelled[:tuning, 1]) + np.var(unlabelled[:tuning]))
        # A judge whose resampled means never move (one score for every item) carries no information.
        lam_value = cov / denom if denom > 0 else 0.0
    labelled, unlabelled = labelled[tuning:], unlabelled[tuning:]
    replicates = lam_value * unlabelled + labelled[:, 0] - lam_value * labelled[:, 1]
    estimate = float(lam_value * f_u + f_y - lam_value * f_yhat)

    alpha = 1.0 - options.confidence
    alpha_lower = alpha / 2 if alternative == "two-sided" else (alpha if alternative == "greater" else 0.0)
    alpha_upper = alpha / 2 if alternative == "two-sided" else (alpha if alternative == "less" else 0.0)
    low, high = column_quantiles(replicates[:, None], np.array([alpha_lower]), np.array([1.0 - alpha_upper]), threads)
    if method == "percentile":
        lower, upper = float(low[0]), float(high[0])
    else:
        # basic: the replicates' spread around the estimate, reflected.
        lower, upper = 2.0 * estimate - float(high[0]), 2.0 * estimate - float(low[0])
    if alternative == "greater":
        upper = math.inf
    elif alternative == "less":
        lower = -math.inf
    interval = np.array([lower, upper])
    interval.flags.writeable = False
    if keep:
        replicates.flags.writeable = False
    return PredictionPoweredBootstrap(
        estimate=estimate,
        interval=interval,
        lam=float(lam_value),
        standard_error=float(np.std(replicates, ddof=1)) if options.reps > 1 else math.nan,
        statistic=statistic if isinstance(statistic, str) else getattr(statistic, "__name__", "callable"),
        method=method,
        confidence=options.confidence,
        alternative=alternative,
        reps=options.reps,
        reps_lam=reps_for_lam,
        seed=seed_used,
        n=y_arr.size,
        n_unlabeled=yhat_u.size,
        n_clusters=None if clustering is None else clustering[1],
        n_clusters_unlabeled=None if clustering_u is None else clustering_u[1],
        replicates=replicates if keep else None,
    )


# --------------------------------------------------------------------------
# Rogan-Gladen.


def _as_binary(values: object, name: str, minimum: int) -> FloatArray:
    array = _as_values(values, name, minimum=minimum)
    if not np.isin(array, (0.0, 1.0)).all():
        raise ValueError(f"{name} must be binary (0/1 or booleans): the judge's verdicts and the human labels")
    return array


def rogan_gladen(
    y: object,
    yhat: object,
    yhat_unlabeled: object,
    *,
    confidence: float = 0.95,
) -> RoganGladen:
    """The Rogan-Gladen correction of a binary judge's prevalence (a model's
    judged accuracy), with a delta-method interval.

    The judge's sensitivity Se = P(judge 1 | human 1) and specificity
    Sp = P(judge 0 | human 0) are estimated on the labelled items, the apparent
    prevalence p = mean(yhat_unlabeled) on the others. Then, with J = Se + Sp - 1
    (Youden's index),

        pi = (p + Sp - 1) / J

    and by the delta method (the three estimates independent)

        Var(pi) = [p (1 - p) / N + pi^2 Se (1 - Se) / n_1 + (1 - pi)^2 Sp (1 - Sp) / n_0] / J^2

    with n_1 and n_0 the labelled items humans marked 1 and 0. The interval is
    pi +- z * sqrt(Var(pi)); estimate and interval are clipped to [0, 1]
    (``unclipped`` keeps the raw value).

    Parameters
    ----------
    y : array_like of 0/1 or bool, (n,)
        Human labels of the labelled items.
    yhat : array_like of 0/1 or bool, (n,)
        The judge's verdicts on the same items.
    yhat_unlabeled : array_like of 0/1 or bool, (N,)
        The judge's verdicts on the items no human labelled.
    confidence : float
        Coverage, in (0, 1).

    Returns
    -------
    RoganGladen

    Raises
    ------
    ValueError
        For arrays that are not 1-D binary, are empty or misaligned; labels with
        no human 1 or no human 0 (sensitivity or specificity cannot be
        estimated); a judge with Se + Sp <= 1 (no better than chance: the
        correction is undefined, or flips the judge's verdicts);
        ``confidence`` outside (0, 1).
    TypeError
        For non-numeric arrays or a ``confidence`` that is not a number.
    """
    y_arr = _as_binary(y, "y", 2)
    yhat_arr = _as_binary(yhat, "yhat", 2)
    if y_arr.size != yhat_arr.size:
        raise ValueError(
            f"y and yhat must be aligned (the judge's verdict on each human-labelled item): y has {y_arr.size} "
            f"items, yhat has {yhat_arr.size}"
        )
    yhat_u = _as_binary(yhat_unlabeled, "yhat_unlabeled", 1)
    confidence = check_confidence(confidence)
    positive = y_arr == 1.0
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        which = "1" if n1 == 0 else "0"
        raise ValueError(
            f"y has no item labelled {which}: the judge's {'sensitivity' if n1 == 0 else 'specificity'} "
            "cannot be estimated, so the correction is undefined"
        )
    se_hat = float(yhat_arr[positive].mean())
    sp_hat = float(1.0 - yhat_arr[~positive].mean())
    youden = se_hat + sp_hat - 1.0
    if youden <= 0:
        raise ValueError(
            f"the judge's sensitivity ({se_hat:.3g}) + specificity ({sp_hat:.3g}) is <= 1: it is no better than "
            "chance on the labelled items, so the Rogan-Gladen correction is undefined"
        )
    big_n = yhat_u.size
    p = float(yhat_u.mean())
    pi = (p + sp_hat - 1.0) / youden
    variance = (
        p * (1 - p) / big_n + pi**2 * se_hat * (1 - se_hat) / n1 + (1 - pi) ** 2 * sp_hat * (1 - sp_hat) / n0
    ) / youden**2
    se = math.sqrt(variance)
    raw = _z_interval(pi, se, confidence, "two-sided")
    interval = np.clip(raw, 0.0, 1.0)
    interval.flags.writeable = False
    return RoganGladen(
        estimate=float(min(max(pi, 0.0), 1.0)),
        interval=interval,
        unclipped=pi,
        standard_error=se,
        apparent_prevalence=p,
        sensitivity=se_hat,
        specificity=sp_hat,
        confidence=confidence,
        n_positive=n1,
        n_negative=n0,
        n_unlabeled=big_n,
    )
