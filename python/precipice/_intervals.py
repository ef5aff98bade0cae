"""Confidence intervals from a bootstrap distribution: percentile, basic, bc, bca.

Columns are independent statistics; every formula is applied per column, so a
vector of metrics gets per-metric bias correction and acceleration (arch 7.2, and
so rliable, computes one BCa acceleration from all metrics together).

The bias correction of "bc" and "bca" is z0 = Phi^-1(share of replicates strictly
below the point estimate): Efron & Tibshirani (1993) eq. 14.14, R boot's ``bca.ci``
and arch. Replicates equal to the point estimate count as above it, which matters
for statistics of few distinct values (a median of scores on a grid).
``precipice.compat.scipy`` keeps scipy's own rule instead (ties count half), as a
drop-in must; tests/test_compat_scipy_bca.py pins both."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np

from . import _core

METHODS = ("percentile", "basic", "bc", "bca")


class IntervalBounds:
    """``lower`` and ``upper``: the rows of an ``interval`` attribute shaped
    ``(2, ...)``, for the result classes that carry one."""

    interval: np.ndarray

    @property
    def lower(self) -> np.ndarray:
        """The lower bounds, ``interval[0]``."""
        row: np.ndarray = self.interval[0]
        return row

    @property
    def upper(self) -> np.ndarray:
        """The upper bounds, ``interval[1]``."""
        row: np.ndarray = self.interval[1]
        return row


_NORMAL = NormalDist()


class Histograms:
    """Replicates of statistics that take values on a grid, kept as counts:
    column c has ``counts[c, b]`` replicates equal to ``grid[b]``. Intervals
    from it are the ones the replicates themselves give."""

    def __init__(self, counts: np.ndarray, grid: np.ndarray):
        self.counts = counts
        self.grid = grid

    def quantiles(self, q_lower: np.ndarray, q_upper: np.ndarray) -> np.ndarray:
        return _core.stats.histogram_quantiles(self.counts, self.grid, q_lower, q_upper)

    def share_below(self, point: np.ndarray) -> np.ndarray:
        below = np.where(self.grid < point[:, np.newaxis], self.counts, 0).sum(axis=1)
        share: np.ndarray = below / self.counts.sum(axis=1)
        return share


def column_quantiles(values: np.ndarray, q_lower: np.ndarray, q_upper: np.ndarray, n_threads: int) -> np.ndarray:
    """Linear-interpolated quantiles (numpy's default rule) of each column.

    Parameters
    ----------
    values : ndarray of float64, ``(n, columns)``
        The replicates; any memory layout (column-major is the fastest).
    q_lower, q_upper : ndarray of float64, ``(columns,)``
        The levels, in [0, 1], of the lower and upper quantile of each column.
    n_threads : int
        Resolved thread count.

    Returns
    -------
    ndarray of float64, ``(2, columns)``
        Lower row, upper row.
    """
    return _core.stats.column_quantiles(values, q_lower, q_upper, n_threads)


def _quantiles(replicates, q_lower, q_upper, n_threads):
    if isinstance(replicates, Histograms):
        return replicates.quantiles(q_lower, q_upper)
    return column_quantiles(np.asfortranarray(replicates), q_lower, q_upper, n_threads)


def _bias_correction(point: np.ndarray, replicates, names) -> np.ndarray:
    """z0 per column from the share of replicates strictly below the point
    estimate (Efron's and R boot's rule; ties count as above). NaN, with a
    warning naming the statistics, where that share is 0 or 1."""
    if isinstance(replicates, Histograms):
        share_below = replicates.share_below(point)
    else:
        share_below = (replicates < point).mean(axis=0)
    z0 = np.full(point.shape, np.nan)
    ok = (share_below > 0) & (share_below < 1)
    z0[ok] = [_NORMAL.inv_cdf(p) for p in share_below[ok]]
    if not ok.all():
        # A profile repeats its name once per tau: name each statistic once, with its count.
        bad: dict[str, int] = {}
        for i in np.flatnonzero(~ok):
            bad[names[i]] = bad.get(names[i], 0) + 1
        listed = ", ".join(name if n == 1 else f"{name} (x{n})" for name, n in bad.items())
        warnings.warn(
            f"bias correction is undefined for {listed}: every replicate lies on one side of the point "
            "estimate (a degenerate statistic); their intervals are NaN",
            RuntimeWarning,
            stacklevel=4,
        )
    return z0


def acceleration(jackknife: np.ndarray) -> np.ndarray:
    """BCa acceleration per column from leave-one-out values (rows)."""
    u = jackknife.mean(axis=0) - jackknife
    # The ratio is scale-free: dividing each column by a power of two near its
    # largest deviation changes no digit and keeps the cubes from overflowing.
    with np.errstate(invalid="ignore"):
        largest = np.max(np.abs(u), axis=0, initial=0.0, where=np.isfinite(u))
    u = np.ldexp(u, -np.frexp(largest)[1])
    numer = (u**3).sum(axis=0)
    denom = 6.0 * (u**2).sum(axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        # A statistic no single run moves has no skewness to correct: a = 0.
        return np.where(denom > 0, numer / denom, 0.0)


def intervals(
    point: np.ndarray,
    replicates: np.ndarray | Histograms,
    method: str,
    confidence: float,
    jackknife: np.ndarray | None = None,
    names=None,
    n_threads: int = 1,
) -> np.ndarray:
    """point (k,), replicates (reps, k) or their k histograms -> (2, k): lower
    row, upper row.

    Quantiles follow np.percentile's linear rule, selected natively per column."""
    # arch (and so rliable) asks np.percentile for 100 * alpha percent.
    alpha = (100 * ((1.0 - confidence) / 2.0)) / 100
    names = names if names is not None else [str(i) for i in range(point.shape[0])]
    k = point.shape[0]
    if method in ("percentile", "basic"):
        lower, upper = _quantiles(replicates, np.full(k, alpha), np.full(k, 1 - alpha), n_threads)
        if method == "basic":
            # 2 * (point - q / 2) rounds as 2 * point - q does (halving and
            # doubling are exact) but overflows only where the bound itself does.
            lower, upper = 2.0 * (point - 0.5 * upper), 2.0 * (point - 0.5 * lower)
        return np.stack([lower, upper])
    z0 = _bias_correction(point, replicates, names)
    if method == "bca":
        assert jackknife is not None, "method='bca' needs the leave-one-out values"
        a = acceleration(jackknife)
    else:
        a = np.zeros_like(point)
    q = []
    for z_alpha in (_NORMAL.inv_cdf(alpha), _NORMAL.inv_cdf(1 - alpha)):
        shifted = z0 + z_alpha
        z = z0 + shifted / (1.0 - a * shifted)
        q.append(np.array([_NORMAL.cdf(v) if np.isfinite(v) else np.nan for v in z]))
    bounds = np.full((2, k), np.nan)
    ok = np.isfinite(q[0]) & np.isfinite(q[1])
    if ok.any():
        # Every column, the undefined ones at the median and set to NaN after:
        # replicates[:, ok] would be a copy of the replicates.
        bounds = np.array(_quantiles(replicates, np.where(ok, q[0], 0.5), np.where(ok, q[1], 0.5), n_threads))
        bounds[:, ~ok] = np.nan
    return bounds
