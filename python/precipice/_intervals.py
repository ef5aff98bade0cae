"""Confidence intervals from a bootstrap distribution: percentile, basic, bc, bca.

Columns are independent statistics; every formula is applied per column, so a
vector of metrics gets per-metric bias correction and acceleration (arch 7.2, and
so rliable, computes one BCa acceleration from all metrics together)."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np

METHODS = ("percentile", "basic", "bc", "bca")
_NORMAL = NormalDist()


def _lerp_quantiles(sorted_columns: np.ndarray, q: np.ndarray) -> np.ndarray:
    """np.percentile's 'linear' rule, with a different quantile q per column:
    h = (n - 1) q, interpolated between the neighbouring order statistics the way
    numpy's _lerp does (exact at both ends)."""
    n = sorted_columns.shape[0]
    h = (n - 1) * q
    lo = np.clip(np.floor(h).astype(np.int64), 0, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    t = h - lo
    columns = np.arange(sorted_columns.shape[1])
    a = sorted_columns[lo, columns]
    b = sorted_columns[hi, columns]
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _bias_correction(point: np.ndarray, replicates: np.ndarray, names) -> np.ndarray:
    share_below = (replicates < point).mean(axis=0)
    z0 = np.full(point.shape, np.nan)
    ok = (share_below > 0) & (share_below < 1)
    z0[ok] = [_NORMAL.inv_cdf(p) for p in share_below[ok]]
    if not ok.all():
        bad = [names[i] for i in np.flatnonzero(~ok)]
        warnings.warn(
            f"bias correction is undefined for {bad}: every replicate lies on one side of the point "
            "estimate (a degenerate statistic); their intervals are NaN",
            RuntimeWarning,
            stacklevel=4,
        )
    return z0


def acceleration(jackknife: np.ndarray) -> np.ndarray:
    """BCa acceleration per column from leave-one-out values (rows)."""
    u = jackknife.mean(axis=0) - jackknife
    numer = (u**3).sum(axis=0)
    denom = 6.0 * (u**2).sum(axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        # A statistic no single run moves has no skewness to correct: a = 0.
        return np.where(denom > 0, numer / denom, 0.0)


def intervals(
    point: np.ndarray,
    replicates: np.ndarray,
    method: str,
    confidence: float,
    jackknife: np.ndarray | None = None,
    names=None,
) -> np.ndarray:
    """point (k,), replicates (reps, k) -> (2, k): lower row, upper row."""
    alpha = (1.0 - confidence) / 2.0
    names = names if names is not None else [str(i) for i in range(point.shape[0])]
    if method in ("percentile", "basic"):
        lower, upper = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)], axis=0)
        if method == "basic":
            lower, upper = 2.0 * point - upper, 2.0 * point - lower
        return np.stack([lower, upper])
    z0 = _bias_correction(point, replicates, names)
    a = acceleration(jackknife) if method == "bca" else np.zeros_like(point)
    ordered = np.sort(replicates, axis=0)
    bounds = []
    for z_alpha in (_NORMAL.inv_cdf(alpha), _NORMAL.inv_cdf(1 - alpha)):
        shifted = z0 + z_alpha
        z = z0 + shifted / (1.0 - a * shifted)
        q = np.array([_NORMAL.cdf(v) if np.isfinite(v) else np.nan for v in z])
        value = np.full(point.shape, np.nan)
        ok = np.isfinite(q)
        if ok.any():
            value[ok] = _lerp_quantiles(ordered[:, ok], q[ok])
        bounds.append(value)
    return np.stack(bounds)
