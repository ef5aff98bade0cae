"""Distribution tails from the compiled core, for the pillars' hypothesis tests: the
chi-square (item fit, Friedman), F (Iman–Davenport) and studentized range
(Nemenyi) tails, elementwise over broadcast arguments, float64 out; and the
normal p-value of one z statistic (statistics.NormalDist)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._core import stats as _core_stats

__all__ = [
    "chi_square_survival",
    "f_survival",
    "normal_p_value",
    "studentized_range_quantile",
    "studentized_range_survival",
]


def _flat(*arrays: ArrayLike) -> tuple[tuple[int, ...], list[NDArray[np.float64]]]:
    broadcast = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))
    return broadcast[0].shape, [np.ascontiguousarray(b.ravel()) for b in broadcast]


def chi_square_survival(x: ArrayLike, df: ArrayLike) -> NDArray[np.float64]:
    """P(X > x) for X chi-square with ``df`` degrees of freedom."""
    shape, (values, dof) = _flat(x, df)
    out: NDArray[np.float64] = _core_stats.chi_square_survival(values, dof).reshape(shape)
    return out


def f_survival(x: ArrayLike, df1: ArrayLike, df2: ArrayLike) -> NDArray[np.float64]:
    """P(F > x) for F with (``df1``, ``df2``) degrees of freedom."""
    shape, (values, first, second) = _flat(x, df1, df2)
    out: NDArray[np.float64] = _core_stats.f_survival(values, first, second).reshape(shape)
    return out


def studentized_range_survival(q: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    """P(Q > q) for Q the range of ``k`` standard normals (the studentized
    range with infinite degrees of freedom)."""
    shape, (values, groups) = _flat(q, k)
    out: NDArray[np.float64] = _core_stats.studentized_range_survival(values, groups).reshape(shape)
    return out


def studentized_range_quantile(p: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    """The q with P(Q <= q) = ``p``, Q as in :func:`studentized_range_survival`."""
    shape, (levels, groups) = _flat(p, k)
    out: NDArray[np.float64] = _core_stats.studentized_range_quantile(levels, groups).reshape(shape)
    return out


_NORMAL = NormalDist()


def normal_p_value(z: float, alternative: str) -> float:
    """The p-value of a z statistic: two-sided, or for the alternative that the
    mean is greater (or less) than under the null; NaN for a NaN z."""
    if math.isnan(z):
        return math.nan
    if alternative == "two-sided":
        return 2.0 * _NORMAL.cdf(-abs(z))
    return _NORMAL.cdf(-z) if alternative == "greater" else _NORMAL.cdf(z)
