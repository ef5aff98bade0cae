"""Item fit of binary models: S-X2 (in the core), infit and outfit mean
squares, and the posterior RMSD."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._core import irt as _core_irt
from .._special import chi_square_survival
from .._validation import resolve_threads
from ._checks import _as_counts, _as_responses, _check_result
from ._curves import probability
from ._results import IRTResult

# Parameters per item that S-X2's degrees of freedom lose; the 1PL's common
# slope counts once per item, as R mirt counts a Rasch model's latent variance.
_S_X2_PARAMETERS = {"rasch": 1, "1pl": 2, "2pl": 2, "3pl": 3}


def item_fit(
    result: IRTResult,
    responses: ArrayLike,
    *,
    counts: ArrayLike | None = None,
    mincell: float = 1.0,
    n_threads: int | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Item-fit statistics per item.

    ``s_x2``, ``df_s_x2``, ``p_s_x2``, ``rmsea_s_x2``: Orlando & Thissen's (2000)
    S-X2, R mirt's default item fit. Subjects are grouped by summed score; each
    group's share answering the item right is compared with the model's, which
    integrates the item's curve against the other items' summed-score
    distribution (Lord-Wingersky, over the fit's grid). Sparse groups are merged
    as mirt merges them (``mincell``, default 1, its default); degrees of
    freedom are the groups left less the item's parameters (the 1PL's common
    slope counted per item, as mirt counts a Rasch model's latent variance).
    S-X2 needs complete responses: with missing cells these four are NaN.

    ``infit`` and ``outfit`` mean squares (Wright & Masters; about 1 for a
    well-fitting item, the outfit being sensitive to unexpected answers far from
    the item's difficulty), from EAP abilities, and the residual ``rmsd``
    between the observed and the model's proportion correct, averaged over the
    posterior of each subject, in the spirit of the RMSD statistic of Köhler,
    Robitzsch & Hartig (2020); not numerically identical to mirt's. Missing
    cells are skipped; ``counts`` weights rows.

    Parameters
    ----------
    result : IRTResult
        A unidimensional binary fit from :func:`precipice.irt.fit`.
    responses : array_like
        ``(num_subjects, num_items)`` 0/1 responses, NaN missing.
    counts : array_like, optional
        ``(num_subjects,)`` frequency of each row.
    mincell : float
        Expected cell count below which S-X2 merges score groups.
    n_threads : int, optional
        Threads, as scikit-learn counts them (None: all cores).

    Returns
    -------
    dict of str to numpy.ndarray
        ``(num_items,)`` arrays: ``infit``, ``outfit``, ``rmsd``, ``s_x2``,
        ``df_s_x2``, ``p_s_x2``, ``rmsea_s_x2``.

    Raises
    ------
    TypeError
        If ``result`` is not an :class:`IRTResult`, or ``mincell`` not a number.
    ValueError
        For bad responses, counts or mincell.
    NotImplementedError
        For graded and multidimensional fits.

    Warns
    -----
    RuntimeWarning
        When missing cells leave S-X2 undefined.
    """
    result = _check_result(result)
    if result.model == "grm" or result.dims > 1:
        raise NotImplementedError("item_fit supports unidimensional binary models")
    data = _as_responses(responses)
    J = result.a.shape[0]
    if data.shape[1] != J:
        raise ValueError(f"responses has {data.shape[1]} items (columns) but the model was fitted to {J}")
    weights = _as_counts(counts, data.shape[0])
    w = weights if weights is not None else np.ones(data.shape[0])
    if isinstance(mincell, (bool, np.bool_)) or not isinstance(mincell, numbers.Real):
        raise TypeError(f"mincell must be a non-negative number, got {type(mincell).__name__}")
    mincell = float(mincell)
    if not mincell >= 0:
        raise ValueError(f"mincell must be a non-negative number, got {mincell}")
    threads = resolve_threads(n_threads)
    theta, _ = _core_irt.score_binary(
        data, result.a, result.d, result.c, _core_irt.ScoreMethod.eap, result.n_quad, threads
    )
    observed = ~np.isnan(data)
    y = np.where(observed, data, 0.0)
    wm = w[:, None] * observed
    p = probability(result, theta)
    variance = p * (1 - p)
    resid2 = (y - p) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        outfit = (wm * resid2 / variance).sum(axis=0) / wm.sum(axis=0)
        infit = (wm * resid2).sum(axis=0) / (wm * variance).sum(axis=0)
    post, _ = _core_irt.posterior_binary(data, result.a, result.d, result.c, result.n_quad, threads)
    nodes, log_weights = _core_irt.grid(result.n_quad)
    # Observed and expected proportion correct at each node (posterior weighted).
    answered = (post * w[:, None]).T @ observed  # (Q, J)
    right = (post * w[:, None]).T @ y
    with np.errstate(divide="ignore", invalid="ignore"):
        observed_p = np.where(answered > 0, right / answered, 0.0)
    model_p = probability(result, nodes)
    density = np.exp(log_weights)[:, None]
    rmsd = np.sqrt((density * (observed_p - model_p) ** 2).sum(axis=0))
    fit = {"infit": infit, "outfit": outfit, "rmsd": rmsd}
    fit.update(_s_x2(result, y, observed, w, model_p, mincell, threads))
    return fit


def _s_x2(
    result: IRTResult,
    y: NDArray[np.float64],
    observed: NDArray[np.bool_],
    w: NDArray[np.float64],
    model_p: NDArray[np.float64],
    mincell: float,
    threads: int,
) -> dict[str, NDArray[np.float64]]:
    J = y.shape[1]
    nan = np.full(J, np.nan)
    undefined = {"s_x2": nan, "df_s_x2": nan, "p_s_x2": nan, "rmsea_s_x2": nan}
    if J < 3:  # summed scores 1 .. J - 1 make fewer than two groups
        return undefined
    if not observed.all():
        warnings.warn(
            "S-X2 needs complete responses (summed scores); with missing cells it is NaN", RuntimeWarning, stacklevel=3
        )
        return undefined
    # Weighted subjects, and of them those right on each item, per summed score
    # that subjects have (a table no bigger than the data).
    score = y.sum(axis=1).astype(np.int64)
    order = np.argsort(score, kind="stable")
    present, starts = np.unique(score[order], return_index=True)
    group_size = np.add.reduceat(w[order], starts)
    right = np.add.reduceat(w[order, None] * y[order], starts, axis=0)
    statistic, groups = _core_irt.s_x2(
        np.ascontiguousarray(model_p), result.n_quad, present, group_size, right, mincell, threads
    )
    df = (groups - _S_X2_PARAMETERS[result.model]).astype(np.float64)
    df[df <= 0] = np.nan
    statistic = np.where(np.isnan(df), np.nan, statistic)
    p = chi_square_survival(np.nan_to_num(statistic), np.nan_to_num(df))
    p[np.isnan(df)] = np.nan
    n = w.sum()
    with np.errstate(invalid="ignore"):
        rmsea = np.sqrt(np.maximum(statistic / df - 1.0, 0.0) / (n - 1.0))
    return {"s_x2": statistic, "df_s_x2": df, "p_s_x2": p, "rmsea_s_x2": rmsea}
