"""Inter-rater agreement: Krippendorff's alpha (nominal, ordinal, interval and
ratio), Cohen's kappa (unweighted, linear, quadratic) and Fleiss' kappa, with
bootstrap intervals over units.

Each coefficient is a function of sums over units: alpha of the coincidence
matrix (a sum of one matrix per unit), Cohen's kappa of the confusion counts,
Fleiss' kappa of the category totals and the sum of squared counts. A bootstrap
replicate that resamples units therefore only needs the resampled sums of one
row of statistics per unit, which the native engine of :mod:`precipice.evals`
draws (as multinomial counts over the distinct rows when units repeat, as
0/1-style ratings do); the coefficient is then evaluated on all replicates at
once. Replicate ``r`` depends only on ``(seed, r)``: same seed, same numbers,
whatever ``n_threads``.

References: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability";
Cohen (1960, 1968); Fleiss (1971); Randolph (2005). Conventions follow the
``krippendorff`` package (``reliability_data`` of shape (raters, units), NaN for
a missing rating, units with fewer than two ratings left out), scikit-learn's
``cohen_kappa_score`` and statsmodels' ``fleiss_kappa``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._intervals import intervals
from ._resample import sum_replicates
from ._validation import ResampleOptions, as_real_array, check_optional_reps, unmasked

__all__ = ["Agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"]

FloatArray = NDArray[np.float64]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Per-unit tables past this many numbers would not fit comfortably in memory
# (ordinal alpha keeps a (values x values) coincidence matrix per unit).
_MAX_TABLE_VALUES = 2**27


@dataclass(frozen=True)
class Agreement:
    """An agreement coefficient with, when ``reps > 0``, a bootstrap interval over units.

    Attributes
    ----------
    value : float
        The coefficient.
    interval : ndarray of shape (2,), or None
        (lower, upper) bounds of the bootstrap interval; None when ``reps == 0``.
    standard_error : float
        Standard deviation of the bootstrap replicates (NaN when ``reps < 2``).
    coefficient : str
        "krippendorff_alpha", "cohen_kappa" or "fleiss_kappa".
    level : str
        Alpha's level of measurement, Cohen's weights ("none", "linear",
        "quadratic") or Fleiss' method ("fleiss", "randolph").
    n_units : int
        Units (items, subjects) the coefficient uses; for alpha, the pairable ones.
    n_raters : int
        Raters (rows of alpha's data, 2 for Cohen's kappa, ratings per subject for Fleiss').
    reps, confidence, method, seed
        The bootstrap's settings (seed None when ``reps == 0``).
    undefined_replicates : int
        Replicates in which the coefficient is undefined (no expected
        disagreement: every resampled rating the same); they are left out of
        the interval and the standard error, with a warning.
    """

    value: float
    interval: FloatArray | None
    standard_error: float
    coefficient: str
    level: str
    n_units: int
    n_raters: int
    reps: int
    confidence: float
    method: str
    seed: int | None
    undefined_replicates: int = 0


# --------------------------------------------------------------------------
# The bootstrap shared by the three coefficients.

_Statistic = Callable[[FloatArray], FloatArray]


def _result(
    rows: FloatArray,
    statistic: _Statistic,
    *,
    multiplicity: NDArray[np.int64] | None,
    coefficient: str,
    level: str,
    n_raters: int,
    reps: int,
    confidence: float,
    method: str,
    seed: object,
    n_threads: int | None,
) -> Agreement:
    """The coefficient statistic(total of rows) and, for reps > 0, its bootstrap
    over units: row k is one unit (or multiplicity[k] identical units)."""
    reps = check_optional_reps(reps)
    weights = np.ones(rows.shape[0], dtype=np.int64) if multiplicity is None else multiplicity
    total = weights.astype(np.float64) @ rows
    value = float(statistic(total[None, :])[0])
    n_units = int(weights.sum())
    if not math.isfinite(value):
        raise ValueError(
            f"{coefficient} is undefined for these ratings: there is no expected disagreement "
            "(every rating is the same value)"
        )
    if reps == 0:
        options = ResampleOptions.from_args(reps=1, confidence=confidence, method=method, seed=0, n_threads=n_threads)
        # Checked all the same: a bad option is a mistake whether or not it is used.
        return Agreement(
            value, None, math.nan, coefficient, level, n_units, n_raters, 0, options.confidence, method, None
        )
    options = ResampleOptions.from_args(reps=reps, confidence=confidence, method=method, seed=seed, n_threads=n_threads)
    replicates = sum_replicates(rows, statistic, reps, options.seed, options.n_threads, multiplicity=multiplicity)
    defined = np.isfinite(replicates)
    undefined = int(reps - np.count_nonzero(defined))
    if undefined:
        warnings.warn(
            f"{coefficient}: {undefined} of {reps} bootstrap replicates have no expected disagreement (every "
            "resampled rating the same), so the coefficient is undefined there; the interval and standard error "
            "use the other replicates",
            RuntimeWarning,
            stacklevel=3,
        )
        replicates = replicates[defined]
    jackknife = None
    if method == "bca":
        # Leave one unit out: the statistic of the total less that unit's row,
        # repeated for the identical units a row stands for.
        jackknife = np.repeat(statistic(total[None, :] - rows), weights)[:, None]
        jackknife = jackknife[np.isfinite(jackknife[:, 0])]
    if replicates.size == 0:
        interval = np.full(2, np.nan)
    else:
        interval = intervals(
            np.array([value]), replicates[:, None], method, options.confidence, jackknife, [coefficient], 1
        )[:, 0]
    return Agreement(
        value=value,
        interval=interval,
        standard_error=float(np.std(replicates, ddof=1)) if replicates.size > 1 else math.nan,
        coefficient=coefficient,
        level=level,
        n_units=n_units,
        n_raters=n_raters,
        reps=reps,
        confidence=options.confidence,
        method=method,
        seed=options.seed,
        undefined_replicates=undefined,
    )


def _ratio_or_nan(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator, NaN where the denominator is 0 (undefined coefficient)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1.0), np.nan)
    return out


def _check_table_size(values: int, name: str) -> None:
    if values > _MAX_TABLE_VALUES:
        raise ValueError(
            f"{name}: the per-unit table would hold {values} numbers (more than {_MAX_TABLE_VALUES}); "
            "there are too many distinct values for this level (bin or round the ratings)"
        )


# --------------------------------------------------------------------------
# Krippendorff's alpha.


def _interval_alpha_rows(kept: FloatArray) -> tuple[FloatArray, _Statistic]:
    """Per-unit rows for interval alpha straight from the ratings (no table of
    values: interval ratings are often all distinct), and alpha of their sums.

    delta^2 = (c - k)^2 turns both quadratic forms into sums of x and x^2:
    n' delta n = 2 (N S2 - S1^2) over all pairable ratings, and a unit's
    observed disagreement is 2 m_u sum_i (x_i - mean_u)^2 / (m_u - 1). Ratings
    centred on their mean keep the resampled S1 small (no cancellation)."""
    x = kept - np.nanmean(kept)
    m = (~np.isnan(x)).sum(axis=0).astype(np.float64)
    s1, s2 = np.nansum(x, axis=0), np.nansum(x * x, axis=0)
    spread = np.nansum((x - s1 / m) ** 2, axis=0)
    rows = np.stack([2.0 * m * spread / (m - 1.0), m, s1, s2], axis=1)

    def interval_alpha(sums: FloatArray) -> FloatArray:
        n = sums[:, 1]
        expected = 2.0 * (n * sums[:, 3] - sums[:, 2] ** 2)
        alpha: FloatArray = 1.0 - (n - 1.0) * _ratio_or_nan(sums[:, 0], expected)
        return alpha

    return rows, interval_alpha


def _alpha_rows(counts: FloatArray, values: FloatArray, level: str) -> tuple[FloatArray, _Statistic]:
    """Per-unit rows and alpha as a function of their (resampled) sums, for the
    nominal, ordinal and ratio levels.

    counts: (units, V) ratings of each value per pairable unit; values: the V
    values in order (the order of the ordinal scale)."""
    m = counts.sum(axis=1)
    n_values = values.size
    if level == "ordinal":
        _check_table_size(counts.shape[0] * n_values * n_values, "data")
        # The ordinal distance depends on the value totals, which a resample
        # changes: keep each unit's whole coincidence matrix.
        coincidences = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(n_values)) / (m - 1.0)[
            :, None, None
        ]

        def ordinal_alpha(sums: FloatArray) -> FloatArray:
            o = sums.reshape(-1, n_values, n_values)
            totals = o.sum(axis=2)
            # delta_ck = M_k - M_c with M the mid-cumulative count C_k - n_k / 2.
            mid = np.cumsum(totals, axis=1) - totals / 2.0
            delta = (mid[:, :, None] - mid[:, None, :]) ** 2
            observed = (o * delta).sum(axis=(1, 2))
            expected = np.einsum("bc,bck,bk->b", totals, delta, totals)
            n = totals.sum(axis=1)
            alpha: FloatArray = 1.0 - (n - 1.0) * _ratio_or_nan(observed, expected)
            return alpha

        return coincidences.reshape(counts.shape[0], -1), ordinal_alpha
    _check_table_size(counts.shape[0] * (n_values + 1), "data")
    if level == "nominal":
        # delta^2 = 1 off the diagonal: n' delta n = (sum n)^2 - sum n^2, O(V).
        observed = (m * m - (counts * counts).sum(axis=1)) / (m - 1.0)

        def nominal_alpha(sums: FloatArray) -> FloatArray:
            totals = sums[:, 1:]
            n = totals.sum(axis=1)
            expected = n * n - (totals * totals).sum(axis=1)
            alpha: FloatArray = 1.0 - (n - 1.0) * _ratio_or_nan(sums[:, 0], expected)
            return alpha

        return np.concatenate([observed[:, None], counts], axis=1), nominal_alpha
    # ratio: ((c - k) / (c + k))^2, 0 where c + k = 0 (as the krippendorff package).
    total = values[:, None] + values[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(total != 0, (values[:, None] - values[None, :]) / np.where(total != 0, total, 1.0), 0.0) ** 2
    # A distance independent of the value totals: each unit's observed
    # disagreement is one number, n_u' delta n_u / (m_u - 1).
    observed = ((counts @ delta) * counts).sum(axis=1) / (m - 1.0)
    rows = np.concatenate([observed[:, None], counts], axis=1)

    def ratio_alpha(sums: FloatArray) -> FloatArray:
        totals = sums[:, 1:]
        expected = ((totals @ delta) * totals).sum(axis=1)
        n = totals.sum(axis=1)
        alpha: FloatArray = 1.0 - (n - 1.0) * _ratio_or_nan(sums[:, 0], expected)
        return alpha

    return rows, ratio_alpha


def krippendorff_alpha(
    data: ArrayLike,
    level: Level = "nominal",
    *,
    value_domain: ArrayLike | None = None,
    reps: int = 0,
    confidence: float = 0.95,
    method: str = "percentile",
    seed: object = None,
    n_threads: int | None = None,
) -> Agreement:
    """Krippendorff's alpha of reliability data, with a bootstrap interval over units.

    alpha = 1 - D_o / D_e from the coincidence matrix of the pairable values
    (Krippendorff 2011): units rated by fewer than two raters are left out, and
    the bootstrap resamples the pairable units with replacement.

    Parameters
    ----------
    data : array_like, ``(num_raters, num_units)``
        ``data[i, u]`` is rater i's (numeric) rating of unit u, NaN when missing:
        the ``reliability_data`` of the ``krippendorff`` package.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement: the distance between two values.
    value_domain : array_like, optional
        The possible values, in the order of the scale (ordinal); every rating
        must be one of them. Default: the distinct ratings, increasing. Values
        nobody used change nothing.
    reps : int
        Bootstrap replicates; 0 (the default) computes alpha only.
    confidence : float
        Coverage of the interval, in (0, 1).
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction ("bca": leave-one-unit-out acceleration).
    seed : int, numpy Generator, or None
        Same seed, same interval, whatever ``n_threads``.
    n_threads : int or None
        None uses every usable core.

    Returns
    -------
    Agreement

    Raises
    ------
    ValueError, TypeError
        For data that is not a 2-D real array, fewer than 2 raters, infinite
        ratings, no unit with two ratings, an unknown level, ratings outside
        ``value_domain``, a single value (alpha undefined) or invalid options.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    array = np.asarray(as_real_array(unmasked(data, "data", nan_policy="omit"), "data"), dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"data must have shape (num_raters, num_units), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"data is empty (shape {array.shape})")
    if array.shape[0] < 2:
        raise ValueError(f"data: need at least 2 raters (rows), got {array.shape[0]}")
    if np.isinf(array).any():
        raise ValueError("data contains infinite values (use NaN for a missing rating)")
    rated = ~np.isnan(array)
    pairable = rated.sum(axis=0) >= 2
    if not pairable.any():
        raise ValueError("data: no unit has ratings from two or more raters, so there are no pairable values")
    if value_domain is None:
        values = np.unique(array[rated])
    else:
        values = np.asarray(as_real_array(value_domain, "value_domain"), dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"value_domain must be a non-empty 1-D array, got shape {values.shape}")
        if not np.isfinite(values).all() or np.unique(values).size != values.size:
            raise ValueError("value_domain must hold distinct finite values")
        if not np.isin(array[rated], values).all():
            raise ValueError("data contains ratings that are not in value_domain")
    if level == "ratio" and values.min() < 0:
        raise ValueError(
            f"data: ratio-level alpha needs ratings on a ratio scale (at least 0), got {values.min():g}; "
            "use level='interval' for signed values"
        )
    if values.size < 2:
        raise ValueError("data: every rating is the same value, so alpha is undefined (no expected disagreement)")
    kept = array[:, pairable]
    if level == "interval":
        rows, statistic = _interval_alpha_rows(kept)
    else:
        n_values = values.size
        _check_table_size(kept.shape[1] * n_values, "data")
        units, raters = np.nonzero(~np.isnan(kept.T))
        # The code of each rating: its position in the value order.
        order = np.argsort(values, kind="stable")
        codes = order[np.searchsorted(values[order], kept.T[units, raters])]
        counts = np.bincount(units * n_values + codes, minlength=kept.shape[1] * n_values).astype(np.float64)
        rows, statistic = _alpha_rows(counts.reshape(kept.shape[1], n_values), values, level)
    return _result(
        rows,
        statistic,
        multiplicity=None,
        coefficient="krippendorff_alpha",
        level=level,
        n_raters=array.shape[0],
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
    )


# --------------------------------------------------------------------------
# Cohen's kappa.

_WEIGHTS = (None, "linear", "quadratic")


def _labels(values: object, name: str) -> np.ndarray:
    array = np.asarray(unmasked(values, name))
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per item), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype.kind in "fc" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN (Cohen's kappa has no missing ratings: leave those items out)")
    if array.dtype.kind not in "biufUS":
        raise TypeError(f"{name} must hold numbers or strings, got dtype {array.dtype}")
    return array


def cohen_kappa(
    a: ArrayLike,
    b: ArrayLike,
    *,
    weights: Literal["linear", "quadratic"] | None = None,
    labels: ArrayLike | None = None,
    reps: int = 0,
    confidence: float = 0.95,
    method: str = "percentile",
    seed: object = None,
    n_threads: int | None = None,
) -> Agreement:
    """Cohen's kappa of two raters (scikit-learn's ``cohen_kappa_score``), with a
    bootstrap interval over items.

    kappa = 1 - sum(w * observed) / sum(w * expected), with the confusion
    counts observed, expected = outer(row totals, column totals) / n and
    disagreement weights w: 1 off the diagonal (unweighted), |i - j| (linear) or
    (i - j)^2 (quadratic) for labels i, j at those positions of the label order.

    Parameters
    ----------
    a, b : array_like, ``(n,)``
        The two raters' labels of the same n items (numbers or strings).
    weights : {None, "linear", "quadratic"}
        Disagreement weights, as scikit-learn's ``weights``.
    labels : array_like, optional
        The labels in order (the order the weights use); every label of a and b
        must be one of them. Default: the distinct labels, sorted.
    reps, confidence, method, seed, n_threads
        As for :func:`krippendorff_alpha`.

    Returns
    -------
    Agreement

    Raises
    ------
    ValueError, TypeError
        For labels of different lengths, NaN, labels outside ``labels``, unknown
        weights, a single label used by both raters (kappa undefined) or invalid options.
    """
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    x, y = _labels(a, "a"), _labels(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must rate the same items: a has {x.size} labels, b has {y.size}")
    try:
        both = np.concatenate([x, y])
        if labels is None:
            order, codes = np.unique(both, return_inverse=True)
        else:
            order = _labels(labels, "labels")
            if np.unique(order).size != order.size:
                raise ValueError("labels must be distinct")
            sorter = np.argsort(order, kind="stable")
            position = np.clip(np.searchsorted(order, both, sorter=sorter), 0, order.size - 1)
            codes = sorter[position]
            if not (order[codes] == both).all():
                raise ValueError("a and b contain labels that are not in labels")
    except TypeError:
        raise TypeError("a, b and labels must be labels of one kind (numbers or strings)") from None
    k = order.size
    codes = codes.reshape(-1)
    code_a, code_b = codes[: x.size], codes[x.size :]
    positions = np.arange(k, dtype=np.float64)
    if weights is None:
        w = 1.0 - np.eye(k)
    elif weights == "linear":
        w = np.abs(positions[:, None] - positions[None, :])
    else:
        w = (positions[:, None] - positions[None, :]) ** 2
    # One row per confusion cell present, with its count: [w_ij, e_i, e_j].
    cells, multiplicity = np.unique(code_a * k + code_b, return_counts=True)
    i, j = cells // k, cells % k
    eye = np.eye(k)
    rows = np.concatenate([w[i, j][:, None], eye[i], eye[j]], axis=1)
    n = float(x.size)

    def kappa(sums: FloatArray) -> FloatArray:
        expected = np.einsum("bi,ij,bj->b", sums[:, 1 : k + 1], w, sums[:, k + 1 :]) / n
        return 1.0 - _ratio_or_nan(sums[:, 0], expected)

    return _result(
        rows,
        kappa,
        multiplicity=multiplicity.astype(np.int64),
        coefficient="cohen_kappa",
        level="none" if weights is None else weights,
        n_raters=2,
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
    )


# --------------------------------------------------------------------------
# Fleiss' kappa.


def fleiss_kappa(
    table: ArrayLike,
    *,
    method: Literal["fleiss", "randolph"] = "fleiss",
    reps: int = 0,
    confidence: float = 0.95,
    interval_method: str = "percentile",
    seed: object = None,
    n_threads: int | None = None,
) -> Agreement:
    """Fleiss' (or Randolph's) kappa of many raters (statsmodels' ``fleiss_kappa``),
    with a bootstrap interval over subjects.

    kappa = (P - Pe) / (1 - Pe) with P the mean over subjects of
    (sum_j n_ij^2 - r) / (r (r - 1)) and Pe = sum_j p_j^2 for the category shares
    p_j ("fleiss") or 1 / k ("randolph").

    Parameters
    ----------
    table : array_like, ``(num_subjects, num_categories)``
        ``table[i, j]``: how many raters put subject i in category j; every
        subject has the same number r >= 2 of ratings (statsmodels'
        ``aggregate_raters`` makes this table from raw ratings).
    method : {"fleiss", "randolph"}
        Chance agreement from the category shares, or uniform over categories.
    reps, confidence, seed, n_threads
        As for :func:`krippendorff_alpha`.
    interval_method : {"percentile", "basic", "bc", "bca"}
        Interval construction (``method`` is statsmodels' name for the kappa variant).

    Returns
    -------
    Agreement

    Raises
    ------
    ValueError, TypeError
        For a table that is not 2-D with non-negative whole counts, subjects with
        different numbers of ratings or fewer than 2, an unknown method, kappa
        undefined (every rating in one category) or invalid options.
    """
    if method not in ("fleiss", "randolph"):
        raise ValueError(f"method must be 'fleiss' or 'randolph', got {method!r}")
    counts = np.asarray(as_real_array(unmasked(table, "table"), "table"), dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"table must have shape (num_subjects, num_categories), got shape {counts.shape}")
    if counts.size == 0:
        raise ValueError(f"table is empty (shape {counts.shape})")
    if not np.isfinite(counts).all() or (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError("table must hold non-negative whole counts (no NaN)")
    raters = counts.sum(axis=1)
    r = float(raters[0])
    if (raters != r).any():
        raise ValueError(
            f"table: every subject needs the same number of ratings; subject 0 has {r:g}, "
            f"subject {int(np.flatnonzero(raters != r)[0])} has {raters[raters != r][0]:g}"
        )
    if r < 2:
        raise ValueError(f"table: need at least 2 ratings per subject, got {r:g}")
    k = counts.shape[1]
    n_subjects = float(counts.shape[0])
    rows = np.concatenate([(counts * counts).sum(axis=1)[:, None], counts], axis=1)

    def kappa(sums: FloatArray) -> FloatArray:
        agreement = (sums[:, 0] / n_subjects - r) / (r * (r - 1.0))
        if method == "fleiss":
            shares = sums[:, 1:] / (n_subjects * r)
            chance = (shares * shares).sum(axis=1)
        else:
            chance = np.full(sums.shape[0], 1.0 / k)
        return _ratio_or_nan(agreement - chance, 1.0 - chance)

    return _result(
        rows,
        kappa,
        multiplicity=None,
        coefficient="fleiss_kappa",
        level=method,
        n_raters=int(r),
        reps=reps,
        confidence=confidence,
        method=interval_method,
        seed=seed,
        n_threads=n_threads,
    )
