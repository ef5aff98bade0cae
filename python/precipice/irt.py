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

import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import _core
from ._validation import as_flag, as_int, resolve_threads

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

_MODELS = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3}

# Bounds on the size arguments: beyond these the grid or the JMAP rank buys
# nothing (61 nodes put 0.2 SD between nodes; 401 put 0.03) and only the memory
# grows, (subjects, n_quad) posteriors and (subjects, dims) abilities.
_MAX_QUAD = 401
_MAX_DIMS = 100
_MAX_ITER = 10**6

# Slopes past +-this freeze an item (the core's FitOptions::slope_bound).
SLOPE_BOUND = 10.0
_FLAG_REASONS = {
    1: f"slope at its bound +-{SLOPE_BOUND:g}: the item (nearly) separates the subjects, so its slope has no "
    "finite estimate (near-separated)",
    2: "intercept at its bound: the item's curve is flat over the whole ability grid (near-constant)",
    3: "constant: every subject answers it alike, so its intercept has no finite estimate; held with a curve "
    "flat at 0 or 1",
}
_FLAG_NAMES = {1: "slope", 2: "intercept", 3: "constant"}
_METHODS = {"eap": 0, "map": 1, "ml": 2}

# Full observed information when it is affordable: at most this many item
# parameters, and at most this many multiply-adds to assemble it.
_FULL_INFO_MAX_PARAMS = 1200
_FULL_INFO_MAX_WORK = 6e9
# Posterior mass below which a (subject, node) pair is left out of the
# standard-error sums (its contribution is below rounding).
_NEGLIGIBLE_POSTERIOR = 1e-15
# Subject blocks of the standard-error assembly hold about this many doubles.
_BLOCK_VALUES = 1 << 21


_WEAK_PRIOR_NOTE = "log a ~ N(0, 1), d ~ N(0, 3)"


@dataclass(frozen=True)
class Prior:
    """Priors for the item parameters (each optional), for fits where the data
    alone do not pin the parameters down (many items, few subjects).

    ``slope=(mean, sd)``: lognormal, ``log a ~ N(mean, sd)``.
    ``intercept=(mean, sd)``: ``d ~ N(mean, sd)``.
    ``guess=(alpha, beta)``: ``c ~ Beta(alpha, beta)`` (3PL only).
    Estimates are then posterior modes; ``loglik`` stays the plain marginal
    log-likelihood.
    """

    slope: tuple[float, float] | None = None
    intercept: tuple[float, float] | None = None
    guess: tuple[float, float] | None = None

    @classmethod
    def weak(cls) -> Prior:
        """``prior="weak"``: ``log a ~ N(0, 1)`` and ``d ~ N(0, 3)``, for
        many-items / few-subjects data such as leaderboards (hundreds of models,
        thousands of items). Wide enough to leave well-measured items at their
        ML values to within a few hundredths, it keeps near-separated and
        constant items finite."""
        return cls(slope=(0.0, 1.0), intercept=(0.0, 3.0))


@dataclass(frozen=True)
class IRTResult:
    """A fitted model. Per-item arrays have one entry per item; ``se_*`` are NaN
    for fixed parameters (the Rasch slopes, the 2PL's c). ``item_cov[j]`` is the
    covariance of item j's ``(a, d, c)``. ``loglik`` is the marginal
    log-likelihood at the estimates; ``n_obs`` the number of subjects (sum of
    counts) used by BIC.

    ``flagged`` maps the index of each item that the fit froze at a parameter
    bound to the reason (a near-separated item's slope at +-10, a near-constant
    item's intercept past the grid): such items keep finite, sensible
    parameters (the bound, with the best intercept for it) and NaN standard
    errors, and are left out of the convergence test; ``converged`` speaks for
    the other items.

    ``method="jmap"`` fits (see the module notes) add ``theta``: abilities
    ``(num_subjects,)``, or ``(num_subjects, dims)`` with ``a`` ``(num_items,
    dims)``; their ``loglik`` is the joint log-likelihood at those abilities and
    ``n_params`` counts abilities as well as items.

    For ``model="grm"``: ``d`` and ``se_d`` are ``(num_items, max K - 1)`` (NaN
    past an item's intercepts), ``c`` is zero, ``item_cov[j]`` is the covariance
    of ``(a, d_1, .., d_{K_j - 1})`` padded with NaN, and ``n_categories`` holds
    K_j per item."""

    model: str
    a: np.ndarray
    d: np.ndarray
    c: np.ndarray
    se_a: np.ndarray
    se_d: np.ndarray
    se_c: np.ndarray
    loglik: float
    n_params: int
    n_obs: float
    converged: bool
    n_iter: int
    n_quad: int
    prior: Prior | None
    se_method: str
    item_cov: np.ndarray = field(repr=False)
    covariance: np.ndarray | None = field(default=None, repr=False)
    n_categories: np.ndarray | None = field(default=None, repr=False)
    method: str = "marginal"
    theta: np.ndarray | None = field(default=None, repr=False)
    flagged: dict[int, str] = field(default_factory=dict)

    @property
    def dims(self) -> int:
        return 1 if self.a.ndim == 1 else self.a.shape[1]

    @property
    def b(self) -> np.ndarray:
        """Difficulty -d / a (per intercept for graded items)."""
        if self.a.ndim == 2:
            raise ValueError("b = -d / a is not defined for multidimensional slopes; use d")
        return -self.d / (self.a[:, None] if self.d.ndim == 2 else self.a)

    @property
    def se_b(self) -> np.ndarray:
        """Delta-method standard error of b = -d / a."""
        graded = self.d.ndim == 2
        a = self.a[:, None] if graded else self.a
        var_a = np.nan_to_num(self.item_cov[:, 0, 0])  # fixed slopes
        if graded:
            var_a = var_a[:, None]
            width = self.d.shape[1]
            var_d = np.diagonal(self.item_cov, axis1=1, axis2=2)[:, 1 : 1 + width]
            cov_ad = np.nan_to_num(self.item_cov[:, 0, 1 : 1 + width])
        else:
            var_d, cov_ad = self.item_cov[:, 1, 1], np.nan_to_num(self.item_cov[:, 0, 1])
        grad_a, grad_d = self.d / a**2, -1.0 / a
        return np.sqrt(grad_a**2 * var_a + grad_d**2 * var_d + 2 * grad_a * grad_d * cov_ad)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + self.n_params * math.log(self.n_obs)


class Scores(NamedTuple):
    """Abilities and their standard errors, one per subject."""

    theta: np.ndarray
    se: np.ndarray


# ---------------------------------------------------------------------------
# Argument checks


def _as_responses(responses, name: str = "responses") -> np.ndarray:
    """float64 C-contiguous (subjects, items); the caller's array is never written.
    Values other than 0, 1 and NaN are reported by the native packer, by cell."""
    try:
        array = np.asarray(responses)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array: {error}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_
    ):
        raise TypeError(f"{name} must hold 0/1 numbers or booleans, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (num_subjects, num_items); got an array with shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    return np.ascontiguousarray(array, dtype=np.float64)


def _as_counts(counts, n_rows: int) -> np.ndarray | None:
    if counts is None:
        return None
    array = np.asarray(counts)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"counts must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(f"counts must have one entry per row of responses ({n_rows}); got shape {array.shape}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(array) & (array >= 0)))
    if bad.size:
        raise ValueError(f"counts[{bad[0]}] must be a non-negative number, got {array[bad[0]]}")
    if not array.sum() > 0:
        raise ValueError("counts: all counts are zero")
    return array


def _as_pair(value, what: str, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        first, second = value
        first, second = float(first), float(second)
    except (TypeError, ValueError):
        raise TypeError(f"prior.{name} must be a pair of numbers ({what}), got {value!r}") from None
    return first, second


def _as_prior(prior) -> Prior | None:
    if prior is None:
        return None
    if isinstance(prior, str):
        if prior != "weak":
            raise ValueError(f"prior must be None, 'weak', a Prior or a dict, got {prior!r}")
        return Prior.weak()
    if isinstance(prior, dict):
        unknown = set(prior) - {"slope", "intercept", "guess"}
        if unknown:
            raise ValueError(f"prior: unknown keys {sorted(unknown)}; use slope, intercept and guess")
        prior = Prior(**prior)
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be None, 'weak', a Prior or a dict, got {type(prior).__name__}")
    slope = _as_pair(prior.slope, "mean, sd of log a", "slope")
    intercept = _as_pair(prior.intercept, "mean, sd of d", "intercept")
    guess = _as_pair(prior.guess, "alpha, beta", "guess")
    for name, pair in (("slope", slope), ("intercept", intercept)):
        if pair is not None and not (np.isfinite(pair[0]) and np.isfinite(pair[1]) and pair[1] > 0):
            raise ValueError(f"prior.{name} needs a finite mean and a positive sd, got {pair}")
    if guess is not None and not (np.isfinite(guess).all() and guess[0] > 0 and guess[1] > 0):
        raise ValueError(f"prior.guess needs Beta(alpha, beta) with alpha, beta > 0, got {guess}")
    return Prior(slope, intercept, guess)


def _as_model(model) -> str:
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {type(model).__name__}")
    key = model.lower()
    if key not in _MODELS and key != "grm":
        raise ValueError(f"model must be one of {', '.join(_MODELS)} or grm, got {model!r}")
    return key


def _as_bounded_int(value, name: str, minimum: int, maximum: int, why: str) -> int:
    value = as_int(value, name, minimum=minimum)
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum} ({why}), got {value}")
    return value


def _as_positive_float(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


# ---------------------------------------------------------------------------
# Fitting


def fit(
    responses,
    model: str = "2pl",
    *,
    counts=None,
    n_quad: int = 61,
    tol: float = 1e-4,
    max_iter: int = 500,
    prior: Prior | dict | None = None,
    n_threads: int | None = None,
    se: bool = True,
    dims: int = 1,
    method: str | None = None,
) -> IRTResult:
    """Marginal maximum-likelihood (or, with ``prior``, posterior-mode) fit.

    ``responses`` is ``(num_subjects, num_items)`` with 0/1 and NaN for missing;
    ``counts`` the frequency of each row. ``n_threads`` follows scikit-learn
    (None: all cores). ``se=False`` skips the standard errors. Emits a
    RuntimeWarning when EM stops at ``max_iter`` before converging.

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

    Raises
    ------
    ValueError
        For bad arguments (naming them) and for the unidentified fits above.
    TypeError
        For arguments of the wrong type.
    """
    key = _as_model(model)
    data = _as_responses(responses)
    weights = _as_counts(counts, data.shape[0])
    n_quad = _as_bounded_int(n_quad, "n_quad", 5, _MAX_QUAD, "a finer grid changes no estimate, only the memory")
    tol = _as_positive_float(tol, "tol")
    max_iter = _as_bounded_int(max_iter, "max_iter", 1, _MAX_ITER, "EM that has not converged by then will not")
    prior = _as_prior(prior)
    if prior is not None and prior.guess is not None and key != "3pl":
        raise ValueError("prior.guess applies to model='3pl' only")
    se = as_flag(se, "se")
    threads = resolve_threads(n_threads)
    dims = _as_bounded_int(dims, "dims", 1, _MAX_DIMS, "more latent dimensions than any item matrix identifies")
    if dims > 1 and dims >= min(data.shape):
        raise ValueError(
            f"dims={dims} needs more subjects and items than dimensions; responses has shape {data.shape}"
        )
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
    information = 0 if not se else (2 if full else 1)
    raw = _core.irt_fit_binary(
        data, weights, _MODELS[key], n_quad, tol, max_iter, p.slope, p.intercept, p.guess, information, threads
    )
    _warn_unconverged(raw, tol)
    flagged = _flagged_items(raw["flagged"])
    num_items = data.shape[1]
    n_params = {"rasch": num_items, "1pl": num_items + 1, "2pl": 2 * num_items, "3pl": 3 * num_items}[key]
    n_obs = float(weights.sum()) if weights is not None else float(data.shape[0])
    if se:
        se_a, se_d, se_c, item_cov, covariance, se_method = _standard_errors(key, raw, data, weights, p, flagged)
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


def _warn_unconverged(raw, tol: float, what: str = "EM") -> None:
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


def _standardise(a, d, theta, weights):
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


def _fit_joint(data, weights, dims, n_quad, tol, max_iter, prior, threads) -> IRTResult:
    if prior is not None and prior.guess is not None:
        raise ValueError("prior.guess applies to model='3pl' only")
    used = prior if prior is not None else Prior(slope=(0.0, 1.0))
    raw = _core.irt_fit_joint(
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


def _fit_graded(data, weights, n_quad, tol, max_iter, prior, threads, se) -> IRTResult:
    p = prior or Prior()
    raw = _core.irt_fit_graded(data, weights, n_quad, tol, max_iter, p.slope, p.intercept, threads)
    _warn_unconverged(raw, tol)
    a, d = raw["a"], raw["d"]
    J, width = d.shape
    n_categories = 1 + np.sum(~np.isnan(d), axis=1)
    if se:
        item_cov, covariance, se_method = _graded_standard_errors(raw, data, weights, p, n_categories)
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


def _graded_node_scores(a, d, nodes):
    """(items, categories, nodes, 1 + intercepts) gradient of log P(X = k | theta_q)
    in (a, d_1, .., d_{K-1}); zero past an item's categories and parameters.

    log P_k = log sigmoid(z_k) + log sigmoid(-z_{k+1}) + log(1 - exp(-(d_k - d_{k+1})))."""
    J, width = d.shape
    Q = nodes.shape[0]
    K = 1 + np.sum(~np.isnan(d), axis=1)
    s = _sigmoid(a[:, None, None] * nodes[None, None, :] + d[:, :, None])  # (J, width, Q), NaN padded
    out = np.zeros((J, width + 1, Q, width + 1))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        gap_d1 = 1.0 / np.expm1(d[:, :-1] - d[:, 1:])  # (J, width - 1)
    for k in range(width + 1):  # categories: a short loop, vectorised over items and nodes
        if k >= 1:  # boundary k: d_k is parameter k
            up = np.nan_to_num(1 - s[:, k - 1])
            out[:, k, :, 0] += nodes * up
            out[:, k, :, k] += up
        if k + 1 <= width:  # boundary k + 1, present for items with more than k + 1 categories
            down = np.nan_to_num(s[:, k])
            out[:, k, :, 0] -= nodes * down
            out[:, k, :, k + 1] -= down
        if 1 <= k <= width - 1:
            g = np.nan_to_num(gap_d1[:, k - 1])[:, None]
            out[:, k, :, k] += g
            out[:, k, :, k + 1] -= g
    out[np.arange(width + 1)[None, :] >= K[:, None]] = 0.0
    return out


def _graded_standard_errors(raw, data, weights, prior, n_categories):
    """Louis's observed information for (a, d_1, ..) of every item, as in the
    binary case; item blocks only when the full matrix would be too large."""
    a, d, nodes, post = raw["a"], raw["d"], raw["nodes"], raw["posterior"]
    J, width = d.shape
    Kmax, Q = width + 1, nodes.shape[0]
    P = int(n_categories.sum())
    w = weights if weights is not None else np.ones(data.shape[0])
    scores = _graded_node_scores(a, d, nodes)  # (J, Kmax, Q, Kmax)
    used = np.arange(Kmax)[None, :] < n_categories[:, None]  # (J, Kmax) parameters in use
    answered = ~np.isnan(data)
    category = np.where(answered, data, 0).astype(np.intp)
    items = np.arange(J)[None, :]
    full = P <= _FULL_INFO_MAX_PARAMS and data.shape[0] * Q * P**2 <= _FULL_INFO_MAX_WORK
    H = np.zeros((P, P)) if full else np.zeros((J, Kmax, Kmax))
    for rows in _subject_blocks(data.shape[0], max(Q * J * Kmax // 4, 1)):
        sub, node = np.nonzero(post[rows] > _NEGLIGIBLE_POSTERIOR)
        p_kept = post[rows][sub, node]
        subject = sub + rows.start
        s = scores[items, category[subject], node[:, None]] * answered[subject][:, :, None]  # (pairs, J, Kmax)
        starts = np.flatnonzero(np.r_[True, sub[1:] != sub[:-1]])
        if full:
            s = s.reshape(len(sub), J * Kmax)[:, used.ravel()]
            f = s * np.sqrt(p_kept * w[subject])[:, None]
            H += f.T @ f
            g = np.add.reduceat(s * p_kept[:, None], starts, axis=0)
            H -= g.T @ (g * w[subject[starts]][:, None])
        else:
            H += np.einsum("p,pjk,pjl->jkl", p_kept * w[subject], s, s)
            g = np.add.reduceat(s * p_kept[:, None, None], starts, axis=0)
            H -= np.einsum("b,bjk,bjl->jkl", w[subject[starts]], g, g)
    prior_h = np.zeros((J, Kmax))
    if prior.slope is not None:
        prior_h[:, 0] = _slope_prior_hessian(prior, a)
    if prior.intercept is not None:
        prior_h[:, 1:] = -1.0 / prior.intercept[1] ** 2
    blocks = raw["item_hessian"] + prior_h[:, :, None] * np.eye(Kmax)
    item_cov = np.full((J, Kmax, Kmax), np.nan)
    if full:
        start = np.r_[0, np.cumsum(n_categories)]
        for j in range(J):  # block diagonal: J small blocks, not a hot path
            k = n_categories[j]
            H[start[j] : start[j + 1], start[j] : start[j + 1]] += blocks[j, :k, :k]
        covariance = _safe_inverse(-H)
        for j in range(J):
            k = n_categories[j]
            item_cov[j, :k, :k] = covariance[start[j] : start[j + 1], start[j] : start[j + 1]]
        return item_cov, covariance, "observed"
    H += blocks
    for k in np.unique(n_categories):  # items grouped by their number of categories
        group = n_categories == k
        item_cov[group, :k, :k] = _block_covariance("2pl", -H[group][:, :k, :k])
    return item_cov, None, "observed, item blocks"


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _slope_prior_hessian(prior: Prior, a):
    mu, sd = prior.slope
    la = np.log(a)
    return (1.0 - (1.0 - la + mu) / sd**2) / a**2


def _prior_hessian(key: str, prior: Prior, a, d, c) -> np.ndarray:
    """(items, K) diagonal of the log-prior Hessian in (a, d[, logit c]); the
    1PL's common slope prior is added once, after projection."""
    K = 3 if key == "3pl" else 2
    out = np.zeros((a.shape[0], K))
    if prior.slope is not None and key in ("2pl", "3pl"):
        out[:, 0] = _slope_prior_hessian(prior, a)
    if prior.intercept is not None:
        out[:, 1] = -1.0 / prior.intercept[1] ** 2
    if prior.guess is not None and key == "3pl":
        alpha, beta = prior.guess
        out[:, 2] = -(alpha + beta - 2) * c * (1 - c)
    return out


def _subject_blocks(n_rows: int, values_per_row: int):
    size = max(1, _BLOCK_VALUES // max(values_per_row, 1))
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


def _full_information(n_rows: int, n_quad: int, n_params: int) -> bool:
    """Whether the whole observed information is affordable (else item blocks)."""
    return n_params <= _FULL_INFO_MAX_PARAMS and n_rows * n_quad * n_params**2 <= _FULL_INFO_MAX_WORK


def _standard_errors(key, raw, data, weights, prior, flagged):
    """Covariances from the core's Louis terms: the Hessian of the marginal
    log-likelihood is item_hessian + F'F (F the score deviations) in full, or
    item_hessian + louis_blocks item by item; the prior's Hessian is added."""
    a, d, c = raw["a"], raw["d"], raw["c"]
    J = a.shape[0]
    K = 3 if key == "3pl" else 2
    prior_h = _prior_hessian(key, prior, a, d, c)
    blocks = raw["item_hessian"][:, :K, :K].copy()
    blocks[:, np.arange(K), np.arange(K)] += prior_h
    slope_info = -_slope_prior_hessian(prior, a[0]) if key == "1pl" and prior.slope is not None else 0.0
    frozen = np.zeros(J, dtype=bool)
    frozen[list(flagged)] = True

    if "score_deviations" in raw:
        F = raw["score_deviations"]
        H = F.T @ F  # the one product: the between-node part of Louis's formula
        H.reshape(J, K, J, K)[np.arange(J), :, np.arange(J), :] += blocks
        # Frozen items' own parameters are held, not estimated: their free
        # coordinates are left out (and come back as NaN).
        free_item = {"rasch": np.arange(J), "1pl": np.r_[-1, np.arange(J)]}.get(key, np.repeat(np.arange(J), K))
        estimated = (free_item < 0) | ~frozen[free_item]
        if key in ("2pl", "3pl"):  # the free coordinates are the item coordinates
            keep = np.flatnonzero(estimated)
            cov_items = np.full((K * J, K * J), np.nan)
            cov_items[np.ix_(keep, keep)] = _safe_inverse(-H[np.ix_(keep, keep)])
            cov_free = cov_items
        else:
            T = _free_map(key, J, K)[:, estimated]
            info = -(T.T @ H @ T)
            if key == "1pl":
                info[0, 0] += slope_info
            cov_kept = _safe_inverse(info)
            cov_free = np.full((estimated.size, estimated.size), np.nan)
            cov_free[np.ix_(estimated, estimated)] = cov_kept
            cov_items = T @ cov_kept @ T.T  # (KJ, KJ) in item coordinates
        item_cov_k = cov_items.reshape(J, K, J, K)[np.arange(J), :, np.arange(J), :]
        covariance, se_method = cov_free, "observed"
    else:
        H = blocks + raw["louis_blocks"][:, :K, :K]
        item_cov_k = _block_covariance(key, -H, slope_info)
        covariance, se_method = None, "observed, item blocks"
    item_cov_k = np.where(frozen[:, None, None], np.nan, item_cov_k)

    # Report c rather than logit c: delta method with dc/dlogit = c (1 - c).
    item_cov = np.full((J, 3, 3), np.nan)
    item_cov[:, :K, :K] = item_cov_k
    if key == "3pl":
        jac = np.ones((J, 3))
        jac[:, 2] = c * (1 - c)
        item_cov = item_cov * jac[:, :, None] * jac[:, None, :]
    if key == "rasch":
        item_cov[:, 0, :] = np.nan
        item_cov[:, :, 0] = np.nan
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diagonal(item_cov, axis1=1, axis2=2))
    return se[:, 0].copy(), se[:, 1].copy(), se[:, 2].copy(), item_cov, covariance, se_method


def _free_map(key: str, J: int, K: int) -> np.ndarray:
    """(K J, free) Jacobian from the free parameters to the item coordinates."""
    if key in ("2pl", "3pl"):
        return np.eye(K * J)
    if key == "rasch":
        T = np.zeros((K * J, J))
        T[np.arange(J) * K + 1, np.arange(J)] = 1.0
        return T
    T = np.zeros((K * J, J + 1))  # 1pl: (a, d_1 .. d_J)
    T[np.arange(J) * K, 0] = 1.0
    T[np.arange(J) * K + 1, 1 + np.arange(J)] = 1.0
    return T


def _safe_inverse(info: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)


def _block_covariance(key: str, info: np.ndarray, slope_info: float = 0.0) -> np.ndarray:
    """Covariance per item from item information blocks (items, K, K)."""
    J, K = info.shape[0], info.shape[1]
    if key == "rasch":
        out = np.full((J, K, K), np.nan)
        out[:, 1, 1] = 1.0 / info[:, 1, 1]
        return out
    if key != "1pl":
        with np.errstate(all="ignore"):
            det_ok = np.linalg.det(info) > 0
        out = np.full_like(info, np.nan)
        if det_ok.any():
            out[det_ok] = np.linalg.inv(info[det_ok])
        return out
    # 1pl: the common slope joins the items; invert the arrow-shaped matrix
    # [[sum_j I_aa_j, I_ad'], [I_ad, diag(I_dd)]] through its Schur complement.
    i_aa, i_ad, i_dd = info[:, 0, 0], info[:, 0, 1], info[:, 1, 1]
    schur = i_aa.sum() + slope_info - np.sum(i_ad**2 / i_dd)
    var_a = 1.0 / schur
    ratio = i_ad / i_dd
    out = np.empty((J, K, K))
    out[:, 0, 0] = var_a
    out[:, 0, 1] = out[:, 1, 0] = -ratio * var_a
    out[:, 1, 1] = 1.0 / i_dd + ratio**2 * var_a
    return out


# ---------------------------------------------------------------------------
# Scoring and item functions


def _check_result(result) -> IRTResult:
    if not isinstance(result, IRTResult):
        raise TypeError(f"result must be an IRTResult from irt.fit, got {type(result).__name__}")
    return result


def score(result: IRTResult, responses, method: str = "eap", *, n_threads: int | None = None) -> Scores:
    """Ability per subject (row of ``responses``) with its standard error.

    ``"eap"``: posterior mean and SD over the fit's quadrature grid.
    ``"map"``: posterior mode with ``theta ~ N(0, 1)``; SE from the curvature.
    ``"ml"``: maximum likelihood; ``+inf`` / ``-inf`` (SE ``inf``) when the
    likelihood has no finite maximum (all answers correct / all wrong, or a 3PL
    pattern whose likelihood keeps rising), NaN for a row with no responses.
    EAP and MAP are always finite. Missing cells (NaN) are skipped.
    Multidimensional (JMAP) fits: ``"map"`` only, theta ``(rows, dims)`` with
    the items fixed, and NaN standard errors.
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
        theta = _core.irt_score_joint(data, result.a, result.d, threads)
        return Scores(theta, np.full_like(theta, np.nan))
    if result.model == "grm":
        theta, se = _core.irt_score_graded(data, result.a, result.d, _METHODS[method.lower()], result.n_quad, threads)
    else:
        theta, se = _core.irt_score_binary(
            data, result.a, result.d, result.c, _METHODS[method.lower()], result.n_quad, threads
        )
    return Scores(theta, se)


def _as_theta(theta, dims: int = 1) -> np.ndarray:
    array = np.asarray(theta, dtype=np.float64)
    if dims > 1:
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != dims:
            raise ValueError(f"theta must have shape (n, {dims}) for a {dims}-dimensional fit, got {array.shape}")
    elif array.ndim > 1:
        raise ValueError(f"theta must be a number or a 1-D array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("theta must be finite")
    return np.atleast_1d(array)


def _graded_curves(result: IRTResult, t: np.ndarray):
    """Category probabilities (len(t), items, max K) and the derivative of
    P(X >= k) in theta at each boundary k = 0 .. max K (zero at both ends)."""
    J, width = result.d.shape
    z = t[:, None, None] * result.a[None, :, None] + result.d[None, :, :]
    at_least = np.ones((t.shape[0], J, width + 2))
    at_least[:, :, 1:-1] = np.nan_to_num(_sigmoid(z), nan=0.0)  # no boundary past K_j: P(X >= k) = 0
    at_least[:, :, -1] = 0.0
    slope = result.a[None, :, None] * at_least * (1 - at_least)
    prob = at_least[:, :, :-1] - at_least[:, :, 1:]
    beyond = np.arange(width + 1)[None, :] >= result.n_categories[:, None]
    prob[:, beyond] = np.nan
    return prob, slope


def probability(result: IRTResult, theta) -> np.ndarray:
    """(len(theta), num_items) probability of a correct answer; for graded
    items (len(theta), num_items, max K) probability of each category, NaN past
    an item's categories; for multidimensional fits theta is (n, dims)."""
    result = _check_result(result)
    t = _as_theta(theta, result.dims)
    if result.dims > 1:
        return _sigmoid(t @ result.a.T + result.d[None, :])
    if result.model == "grm":
        return _graded_curves(result, t)[0]
    s = _sigmoid(t[:, None] * result.a[None, :] + result.d[None, :])
    return result.c + (1 - result.c) * s


def item_information(result: IRTResult, theta) -> np.ndarray:
    """(len(theta), num_items) Fisher information of each item:
    ``a^2 (P - c)^2 (1 - P) / ((1 - c)^2 P)`` (``a^2 P (1 - P)`` when c = 0);
    for graded items ``sum_k P_k'^2 / P_k``."""
    result = _check_result(result)
    if result.dims > 1:
        raise NotImplementedError("item_information is for unidimensional fits")
    t = _as_theta(theta)
    if result.model == "grm":
        prob, slope = _graded_curves(result, t)
        change = slope[:, :, :-1] - slope[:, :, 1:]  # dP_k / dtheta
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(prob > 0, change**2 / prob, 0.0)
        return terms.sum(axis=2)
    s = _sigmoid(t[:, None] * result.a[None, :] + result.d[None, :])
    c, a = result.c, result.a
    p = c + (1 - c) * s
    # (P - c) / (1 - c) = s, so the information is a^2 (1 - c)^2 s^2 (1 - s)^2 / (P (1 - P)),
    # which simplifies to a^2 (1 - c) s^2 (1 - s) / P.
    return a**2 * (1 - c) * s**2 * (1 - s) / p


def test_information(result: IRTResult, theta) -> np.ndarray:
    """(len(theta),) test information: the sum of the item informations."""
    return item_information(result, theta).sum(axis=1)


def expected_score(result: IRTResult, theta) -> np.ndarray:
    """(len(theta),) expected number correct (the test characteristic curve);
    for graded items the expected sum of the categories."""
    prob = probability(result, theta)
    if result.model == "grm":
        return np.nansum(prob * np.arange(prob.shape[2]), axis=(1, 2))
    return prob.sum(axis=1)


# Parameters per item that S-X2's degrees of freedom lose; the 1PL's common
# slope counts once per item, as R mirt counts a Rasch model's latent variance.
_S_X2_PARAMETERS = {"rasch": 1, "1pl": 2, "2pl": 2, "3pl": 3}


def item_fit(result: IRTResult, responses, *, counts=None, mincell: float = 1.0,
             n_threads: int | None = None) -> dict[str, np.ndarray]:
    """Item-fit statistics per item:

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
    mincell = float(mincell)
    if not mincell >= 0:
        raise ValueError(f"mincell must be a non-negative number, got {mincell}")
    threads = resolve_threads(n_threads)
    theta, _ = _core.irt_score_binary(data, result.a, result.d, result.c, 0, result.n_quad, threads)
    observed = ~np.isnan(data)
    y = np.where(observed, data, 0.0)
    wm = w[:, None] * observed
    p = probability(result, theta)
    variance = p * (1 - p)
    resid2 = (y - p) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        outfit = (wm * resid2 / variance).sum(axis=0) / wm.sum(axis=0)
        infit = (wm * resid2).sum(axis=0) / (wm * variance).sum(axis=0)
    post, _ = _core.irt_posterior_binary(data, result.a, result.d, result.c, result.n_quad, threads)
    nodes, log_weights = _core.irt_grid(result.n_quad)
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


def _s_x2(result: IRTResult, y, observed, w, model_p, mincell, threads) -> dict[str, np.ndarray]:
    J = y.shape[1]
    nan = np.full(J, np.nan)
    undefined = {"s_x2": nan, "df_s_x2": nan, "p_s_x2": nan, "rmsea_s_x2": nan}
    if J < 3:  # summed scores 1 .. J - 1 make fewer than two groups
        return undefined
    if not observed.all():
        warnings.warn("S-X2 needs complete responses (summed scores); with missing cells it is NaN",
                      RuntimeWarning, stacklevel=3)
        return undefined
    # Weighted subjects, and of them those right on each item, per summed score
    # that subjects have (a table no bigger than the data).
    score = y.sum(axis=1).astype(np.int64)
    order = np.argsort(score, kind="stable")
    present, starts = np.unique(score[order], return_index=True)
    group_size = np.add.reduceat(w[order], starts)
    right = np.add.reduceat(w[order, None] * y[order], starts, axis=0)
    statistic, groups = _core.irt_s_x2(np.ascontiguousarray(model_p), result.n_quad, present, group_size, right,
                                       mincell, threads)
    df = (groups - _S_X2_PARAMETERS[result.model]).astype(np.float64)
    df[df <= 0] = np.nan
    statistic = np.where(np.isnan(df), np.nan, statistic)
    p = _core.chi_square_survival(np.nan_to_num(statistic), np.nan_to_num(df))
    p[np.isnan(df)] = np.nan
    n = w.sum()
    with np.errstate(invalid="ignore"):
        rmsea = np.sqrt(np.maximum(statistic / df - 1.0, 0.0) / (n - 1.0))
    return {"s_x2": statistic, "df_s_x2": df, "p_s_x2": p, "rmsea_s_x2": rmsea}
