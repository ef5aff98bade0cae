"""Item response theory, fitted by the native engine.

Binary items follow the slope-intercept form

    P(correct | theta) = c + (1 - c) / (1 + exp(-(a * theta + d))),   b = -d / a,

with ability ``theta ~ N(0, 1)``. :func:`fit` maximises the marginal likelihood
by EM over a quadrature grid (Bock & Aitkin 1981): ``n_quad`` equally spaced
nodes on [-6, 6] with normal weights, R mirt's default grid. It stops when every
parameter moves less than ``tol`` in one EM iteration (R mirt's rule), with the
3PL's lower asymptote measured on the logit scale as mirt does; EM is
accelerated by SQUAREM extrapolation, kept only when it raises the objective.
``n_iter`` counts EM iterations (E-step plus M-step).

Models: ``"rasch"`` (slopes fixed at 1), ``"1pl"`` (one common slope),
``"2pl"`` and ``"3pl"``. Responses are ``(num_subjects, num_items)`` arrays of
0/1 (bool, int or float) with NaN for missing cells; ``counts`` gives the
frequency of each row, for pattern tables such as LSAT6.

``"grm"`` is Samejima's graded response model for ordinal items with
categories 0, 1, .., K_j - 1 (K_j may differ between items; NaN missing), in R
mirt's slope-intercept form

    P(X >= k | theta) = 1 / (1 + exp(-(a * theta + d_k))),   d_1 > d_2 > ... > d_{K_j - 1},

fitted by the same EM. Its ``d`` has shape ``(num_items, max K - 1)``, NaN past
each item's last intercept; a binary item under ``"grm"`` is the 2PL item.

``dims > 1`` (or ``method="jmap"``) fits a multidimensional 2PL,
``P = 1 / (1 + exp(-(a_j . theta_i + d_j)))`` with ``theta_i ~ N(0, I_dims)``,
by joint posterior mode (JMAP) of abilities and items: one damped Newton step
per subject (items fixed, subjects in parallel) then one per item (abilities
fixed, items in parallel), SQUAREM-accelerated, until a sweep moves every
parameter less than ``tol``. The joint mode's scale is set by the balance of
the ability and slope priors, so estimates are reported transformed to the
scale on which the estimated abilities have mean 0 and covariance I (the
predicted probabilities and ``loglik`` are unchanged). It needs no quadrature, so it also serves
matrices too large for EM. Its ``a`` is ``(num_items, dims)`` (``(num_items,)``
for ``dims=1``), ``theta`` the abilities, ``loglik`` the *joint* log-likelihood
given the estimated abilities (not comparable with a marginal one), and no
standard errors are given. For ``dims > 1`` the rotation of theta is not
identified: a fit is one of many equivalent rotations, so compare fits by
log-likelihood or predictive accuracy (``probability``), not raw slopes.
JMAP estimates are shrunk by the ability prior and, with few items per
subject, biased (the usual joint-estimation caveat).

Standard errors come from the observed information (Louis's formula: the
expected complete-data information minus the posterior variance of the
scores). When the full matrix would be too large (many items), the item
blocks of the observed information are inverted one item at a time; such
standard errors ignore the small between-item covariance (``se_method`` says
which was used).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._core import irt as _core_irt
from .._validation import as_flag, resolve_threads
from ._checks import (
    _METHODS,
    _MODELS,
    _as_bounded_int,
    _as_counts,
    _as_model,
    _as_positive_float,
    _as_prior,
    _as_responses,
    _check_result,
)
from ._curves import expected_score, item_information, probability, test_information
from ._information import _full_information, _graded_standard_errors, _standard_errors
from ._item_fit import item_fit
from ._results import _WEAK_PRIOR_NOTE, IRTResult, Prior, Scores

if TYPE_CHECKING:
    from .._core.irt import BinaryFit, GradedFit, JointFit

__all__ = [
    "IRTResult",
    "Prior",
    "Scores",
    "expected_score",
    "fit",
    "item_fit",
    "item_information",
    "probability",
    "score",
    "test_information",
]

# Bounds on the size arguments: beyond these the grid or the JMAP rank buys
# nothing (61 nodes put 0.2 SD between nodes; 401 put 0.03) and only the memory
# grows, (subjects, n_quad) posteriors and (subjects, dims) abilities. The grid's
# bounds are the core's (kMinQuad, kMaxQuad).
_MIN_QUAD = _core_irt.MIN_QUAD
_MAX_QUAD = _core_irt.MAX_QUAD
_MAX_DIMS = 100
_MAX_ITER = 10**6

# Slopes past +-this freeze an item (the core's FitOptions::slope_bound).
SLOPE_BOUND: float = _core_irt.SLOPE_BOUND
_FLAG = _core_irt.ItemFlag
_FLAG_REASONS = {
    int(_FLAG.slope_bound): f"slope at its bound +-{SLOPE_BOUND:g}: the item (nearly) separates the subjects, so "
    "its slope has no finite estimate (near-separated)",
    int(_FLAG.intercept_bound): "intercept at its bound: the item's curve is flat over the whole ability grid "
    "(near-constant)",
    int(_FLAG.constant): "constant: every subject answers it alike, so its intercept has no finite estimate; held "
    "with a curve flat at 0 or 1",
}
_FLAG_NAMES = {
    int(_FLAG.slope_bound): "slope",
    int(_FLAG.intercept_bound): "intercept",
    int(_FLAG.constant): "constant",
}


def fit(
    responses: ArrayLike,
    model: str = "2pl",
    *,
    counts: ArrayLike | None = None,
    n_quad: int = 61,
    tol: float = 1e-4,
    max_iter: int = 500,
    prior: Prior | dict[str, Any] | str | None = None,
    n_threads: int | None = None,
    se: bool = True,
    dims: int = 1,
    method: str | None = None,
) -> IRTResult:
    """Marginal maximum-likelihood (or, with ``prior``, posterior-mode) fit.

    Items the data cannot estimate are detected while fitting and held, so
    they cannot hold up the rest (R mirt's parameter bounds play this part
    there): an item whose slope passes +-10 (it nearly separates the
    subjects, as items answered right by all but the weakest model do on
    leaderboards) is frozen at the bound with the best intercept for it; one
    whose intercept leaves the grid, or that everybody answers alike (without
    an intercept prior), is frozen with a flat curve. They are left out of the
    convergence test, get NaN standard errors, are listed in
    ``result.flagged`` ({item: reason}) and named in one RuntimeWarning.
    ``prior="weak"`` (``log a ~ N(0, 1)``, ``d ~ N(0, 3)``, see
    :meth:`Prior.weak`) estimates them instead, and suits many-items /
    few-subjects data.

    Fits that the data cannot identify are refused before any work (without a
    slope prior): models with slopes on fewer than 3 subjects, subjects who
    all have the same share right, every item separating the subjects.
    ``n_quad`` is at most 401, ``dims`` at most 100 (and below the number of
    subjects and of items), ``max_iter`` at most 10**6.

    ``method``: ``"marginal"`` (EM, the default for ``dims=1``) or ``"jmap"``
    (joint posterior mode, the default and only choice for ``dims > 1``; 2PL
    only). Without ``prior``, JMAP uses a weak slope prior, ``log a ~ N(0, 1)``
    for ``dims=1`` and ``a_jk ~ N(0, 1)`` per component for ``dims > 1``; for
    ``dims > 1`` a given ``prior.slope = (mean, sd)`` is read as that normal
    prior on each component. ``max_iter`` and ``tol`` then count sweeps.

    Parameters
    ----------
    responses : array_like
        ``(num_subjects, num_items)`` of 0/1 (bool, int or float), NaN for a
        missing cell; for ``model="grm"`` the categories 0, 1, .., K_j - 1.
    model : {"2pl", "rasch", "1pl", "3pl", "grm"}
        The item model.
    counts : array_like, optional
        ``(num_subjects,)`` frequency of each row (for pattern tables).
    n_quad : int
        Quadrature nodes on [-6, 6], 5 to 401.
    tol : float
        Converged when every parameter moves less than this in one iteration.
    max_iter : int
        Most EM iterations (JMAP sweeps), at most 10**6.
    prior : Prior, dict, "weak" or None
        Item priors (see :class:`Prior`).
    n_threads : int, optional
        Threads, as scikit-learn counts them (None: all cores).
    se : bool
        Whether to compute standard errors.
    dims : int
        Latent dimensions (above 1 needs ``method="jmap"``).
    method : {"marginal", "jmap"}, optional
        Marginal EM or joint posterior mode (default by ``dims``).

    Returns
    -------
    IRTResult
        The estimates, their standard errors and the fit's statistics.

    Raises
    ------
    ValueError
        For bad arguments (naming them) and for the unidentified fits above.
    TypeError
        For arguments of the wrong type.

    Warns
    -----
    RuntimeWarning
        When the fit stops at ``max_iter`` before converging, and naming the
        items held at a bound.
    """
    key = _as_model(model)
    data = _as_responses(responses)
    weights = _as_counts(counts, data.shape[0])
    n_quad = _as_bounded_int(
        n_quad, "n_quad", _MIN_QUAD, _MAX_QUAD, "a finer grid changes no estimate, only the memory"
    )
    tol = _as_positive_float(tol, "tol")
    max_iter = _as_bounded_int(max_iter, "max_iter", 1, _MAX_ITER, "EM that has not converged by then will not")
    prior = _as_prior(prior)
    if prior is not None and prior.guess is not None and key != "3pl":
        raise ValueError("prior.guess applies to model='3pl' only")
    se = as_flag(se, "se")
    threads = resolve_threads(n_threads)
    dims = _as_bounded_int(dims, "dims", 1, _MAX_DIMS, "more latent dimensions than any item matrix identifies")
    if dims > 1 and dims >= min(data.shape):
        raise ValueError(f"dims={dims} needs more subjects and items than dimensions; responses has shape {data.shape}")
    if method is None:
        method = "marginal" if dims == 1 else "jmap"
    if method not in ("marginal", "jmap"):
        raise ValueError(f"method must be 'marginal' or 'jmap', got {method!r}")
    if method == "marginal" and dims > 1:
        raise ValueError(f"dims={dims} needs method='jmap': quadrature over {dims} dimensions is not feasible")
    if method == "jmap":
        if key != "2pl":
            raise ValueError(f"method='jmap' fits model='2pl' only, got model={key!r}")
        return _fit_joint(data, weights, dims, n_quad, tol, max_iter, prior, threads)
    if key == "grm":
        return _fit_graded(data, weights, n_quad, tol, max_iter, prior, threads, se)
    p = prior or Prior()
    K = 3 if key == "3pl" else 2
    full = _full_information(data.shape[0], n_quad, K * data.shape[1])
    information = _core_irt.Information
    kind = information.none if not se else (information.full if full else information.item_blocks)
    raw = _core_irt.fit_binary(
        data, weights, _MODELS[key], n_quad, tol, max_iter, p.slope, p.intercept, p.guess, kind, threads
    )
    _warn_unconverged(raw, tol)
    flagged = _flagged_items(raw["flagged"])
    num_items = data.shape[1]
    n_params = {"rasch": num_items, "1pl": num_items + 1, "2pl": 2 * num_items, "3pl": 3 * num_items}[key]
    n_obs = float(weights.sum()) if weights is not None else float(data.shape[0])
    if se:
        se_a, se_d, se_c, item_cov, covariance, se_method = _standard_errors(key, raw, data, weights, flagged)
    else:
        nan = np.full(num_items, np.nan)
        se_a, se_d, se_c = nan, nan.copy(), nan.copy()
        item_cov, covariance, se_method = np.full((num_items, 3, 3), np.nan), None, "none"
    return IRTResult(
        model=key,
        a=raw["a"],
        d=raw["d"],
        c=raw["c"],
        se_a=se_a,
        se_d=se_d,
        se_c=se_c,
        loglik=float(raw["loglik"]),
        n_params=n_params,
        n_obs=n_obs,
        converged=bool(raw["converged"]),
        n_iter=int(raw["n_iter"]),
        n_quad=n_quad,
        prior=prior,
        se_method=se_method,
        item_cov=item_cov,
        covariance=covariance,
        flagged=flagged,
    )


def _flagged_items(codes: np.ndarray) -> dict[int, str]:
    """{item: reason} for the items the core froze, with one warning naming them."""
    items = np.flatnonzero(codes)
    flagged = {int(j): _FLAG_REASONS[int(codes[j])] for j in items}
    if flagged:
        shown = ", ".join(f"{j} ({_FLAG_NAMES[int(codes[j])]})" for j in items[:20])
        more = f" and {items.size - 20} more" if items.size > 20 else ""
        warnings.warn(
            f"irt.fit: {items.size} item(s) held at a parameter bound, left out of the convergence test and "
            f"given NaN standard errors (see result.flagged): {shown}{more}. Near-separated items (answered "
            f"right by nearly everyone above some ability and wrong below it) have no finite ML slope, constant "
            f"items no finite intercept; prior='weak' ({_WEAK_PRIOR_NOTE}) estimates them, as suits many items "
            f"and few subjects",
            RuntimeWarning,
            stacklevel=3,
        )
    return flagged


def _warn_unconverged(raw: BinaryFit | GradedFit | JointFit, tol: float, what: str = "EM") -> None:
    if not raw["converged"]:
        warnings.warn(
            f"irt.fit: {what} stopped after {raw['n_iter']} iterations without every parameter moving less than "
            f"tol={tol:g}; raise max_iter or tol",
            RuntimeWarning,
            stacklevel=3,
        )


def _start_abilities(data: np.ndarray, dims: int) -> np.ndarray:
    """(subjects, dims) unit-variance principal-component scores of the centred
    responses (missing cells at the item mean), each oriented to rise with the
    subject's mean score: a start away from the saddle at theta = 0. A
    randomised range finder (Halko, Martinsson & Tropp 2011) with a fixed seed,
    so the start and the fit are reproducible; float32 halves its memory."""
    n, J = data.shape
    mean = np.nanmean(data, axis=0)
    centred = np.subtract(data, mean, dtype=np.float32)
    np.nan_to_num(centred, copy=False)  # missing cells at the item mean
    width = min(dims + 10, n, J)
    rng = np.random.default_rng(0)
    basis = centred @ rng.standard_normal((J, width)).astype(np.float32)
    for _ in range(2):  # power iterations sharpen the leading directions
        basis, _ = np.linalg.qr(basis)
        basis = centred @ (centred.T @ basis)
    basis, _ = np.linalg.qr(basis)
    projected = (basis.T @ centred).astype(np.float64)  # (width, items)
    u, _, _ = np.linalg.svd(projected @ projected.T)
    scores = basis.astype(np.float64) @ u[:, :dims]
    scores = np.pad(scores, ((0, 0), (0, dims - scores.shape[1])))  # fewer subjects than dims
    scores *= np.sqrt(n)
    row_mean = np.nanmean(data, axis=1)
    sign = np.sign((scores * (row_mean - row_mean.mean())[:, None]).sum(axis=0))
    sign[sign == 0] = 1.0
    return np.ascontiguousarray(scores * sign)


def _standardise(
    a: NDArray[np.float64], d: NDArray[np.float64], theta: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The same predictions with abilities of (weighted) mean 0 and covariance I.

    The joint mode trades the ability prior against the slope prior (theta -> c
    theta, a -> a / c leaves the likelihood alone), so its raw scale reflects the
    ratio of subjects to items; reporting on the scale where the estimated
    abilities are standardised makes fits comparable with marginal ones.
    With theta = mu + L theta' (L L' the covariance): a' = L' a, d' = d + a . mu."""
    w = weights if weights is not None else np.ones(theta.shape[0])
    w = w / w.sum()
    mu = w @ theta
    centred = theta - mu
    cov = (centred * w[:, None]).T @ centred
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:  # degenerate abilities (e.g. all alike): keep the raw scale
        return a, d, theta
    return a @ L, d + a @ mu, np.linalg.solve(L, centred.T).T


def _fit_joint(
    data: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    dims: int,
    n_quad: int,
    tol: float,
    max_iter: int,
    prior: Prior | None,
    threads: int,
) -> IRTResult:
    if prior is not None and prior.guess is not None:
        raise ValueError("prior.guess applies to model='3pl' only")
    used = prior if prior is not None else Prior(slope=(0.0, 1.0))
    raw = _core_irt.fit_joint(
        data, weights, _start_abilities(data, dims), dims, tol, max_iter, used.slope, used.intercept, dims > 1, threads
    )
    _warn_unconverged(raw, tol, "JMAP")
    J, N = data.shape[1], data.shape[0]
    a, d, theta = _standardise(raw["a"], raw["d"], raw["theta"], weights)
    if dims == 1:
        a, theta = a[:, 0].copy(), theta[:, 0].copy()
    nan = np.full(J, np.nan)
    return IRTResult(
        model="2pl",
        a=a,
        d=d,
        c=np.zeros(J),
        se_a=nan,
        se_d=nan.copy(),
        se_c=nan.copy(),
        loglik=float(raw["loglik"]),
        n_params=J * (dims + 1) + N * dims,
        n_obs=float(weights.sum()) if weights is not None else float(N),
        converged=bool(raw["converged"]),
        n_iter=int(raw["n_iter"]),
        n_quad=n_quad,
        prior=used,
        se_method="none (joint MAP)",
        item_cov=np.full((J, 3, 3), np.nan),
        method="jmap",
        theta=theta,
    )


def _fit_graded(
    data: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    n_quad: int,
    tol: float,
    max_iter: int,
    prior: Prior | None,
    threads: int,
    se: bool,
) -> IRTResult:
    p = prior or Prior()
    raw = _core_irt.fit_graded(data, weights, n_quad, tol, max_iter, p.slope, p.intercept, threads)
    _warn_unconverged(raw, tol)
    a, d = raw["a"], raw["d"]
    J, width = d.shape
    n_categories = 1 + np.sum(~np.isnan(d), axis=1)
    if se:
        item_cov, covariance, se_method = _graded_standard_errors(raw, data, weights, n_categories)
        with np.errstate(invalid="ignore"):
            variances = np.diagonal(item_cov, axis1=1, axis2=2)
            se_a, se_d = np.sqrt(variances[:, 0]), np.sqrt(variances[:, 1:])
    else:
        item_cov, covariance, se_method = np.full((J, width + 1, width + 1), np.nan), None, "none"
        se_a, se_d = np.full(J, np.nan), np.full((J, width), np.nan)
    return IRTResult(
        model="grm",
        a=a,
        d=d,
        c=np.zeros(J),
        se_a=se_a,
        se_d=se_d,
        se_c=np.full(J, np.nan),
        loglik=float(raw["loglik"]),
        n_params=int(n_categories.sum()),
        n_obs=float(weights.sum()) if weights is not None else float(data.shape[0]),
        converged=bool(raw["converged"]),
        n_iter=int(raw["n_iter"]),
        n_quad=n_quad,
        prior=prior,
        se_method=se_method,
        item_cov=item_cov,
        covariance=covariance,
        n_categories=n_categories,
    )


def score(result: IRTResult, responses: ArrayLike, method: str = "eap", *, n_threads: int | None = None) -> Scores:
    """Ability per subject (row of ``responses``) with its standard error.

    ``"eap"``: posterior mean and SD over the fit's quadrature grid.
    ``"map"``: posterior mode with ``theta ~ N(0, 1)``; SE from the curvature.
    ``"ml"``: maximum likelihood; ``+inf`` / ``-inf`` (SE ``inf``) when the
    likelihood has no finite maximum (all answers correct / all wrong, or a 3PL
    pattern whose likelihood keeps rising), NaN for a row with no responses.
    EAP and MAP are always finite. Missing cells (NaN) are skipped.
    Multidimensional (JMAP) fits: ``"map"`` only, theta ``(rows, dims)`` with
    the items fixed, and NaN standard errors.

    Parameters
    ----------
    result : IRTResult
        A fit from :func:`fit`.
    responses : array_like
        ``(num_rows, num_items)`` responses of the subjects to score, NaN missing.
    method : {"eap", "map", "ml"}
        The estimator.
    n_threads : int, optional
        Threads, as scikit-learn counts them (None: all cores).

    Returns
    -------
    Scores
        ``theta`` and ``se``, one per row.

    Raises
    ------
    TypeError
        If ``result`` is not an :class:`IRTResult`.
    ValueError
        For an unknown method, a bad responses array, or one whose number of
        items differs from the fit's.
    """
    result = _check_result(result)
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ValueError(f"method must be 'eap', 'map' or 'ml', got {method!r}")
    data = _as_responses(responses)
    if data.shape[1] != result.a.shape[0]:
        raise ValueError(
            f"responses has {data.shape[1]} items (columns) but the model was fitted to {result.a.shape[0]}"
        )
    threads = resolve_threads(n_threads)
    if result.dims > 1:
        if method.lower() != "map":
            raise ValueError("multidimensional fits are scored by method='map' only")
        theta = _core_irt.score_joint(data, result.a, result.d, threads)
        return Scores(theta, np.full_like(theta, np.nan))
    if result.model == "grm":
        theta, se = _core_irt.score_graded(data, result.a, result.d, _METHODS[method.lower()], result.n_quad, threads)
    else:
        theta, se = _core_irt.score_binary(
            data, result.a, result.d, result.c, _METHODS[method.lower()], result.n_quad, threads
        )
    return Scores(theta, se)
