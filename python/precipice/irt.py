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
from ._validation import as_int, resolve_threads

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


@dataclass(frozen=True)
class IRTResult:
    """A fitted model. Per-item arrays have one entry per item; ``se_*`` are NaN
    for fixed parameters (the Rasch slopes, the 2PL's c). ``item_cov[j]`` is the
    covariance of item j's ``(a, d, c)``. ``loglik`` is the marginal
    log-likelihood at the estimates; ``n_obs`` the number of subjects (sum of
    counts) used by BIC."""

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

    @property
    def b(self) -> np.ndarray:
        """Difficulty -d / a."""
        return -self.d / self.a

    @property
    def se_b(self) -> np.ndarray:
        """Delta-method standard error of b = -d / a."""
        a, d = self.a, self.d
        var_a, var_d, cov_ad = self.item_cov[:, 0, 0], self.item_cov[:, 1, 1], self.item_cov[:, 0, 1]
        var_a = np.nan_to_num(var_a)  # fixed slopes
        cov_ad = np.nan_to_num(cov_ad)
        grad_a, grad_d = d / a**2, -1.0 / a
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
    if isinstance(prior, dict):
        unknown = set(prior) - {"slope", "intercept", "guess"}
        if unknown:
            raise ValueError(f"prior: unknown keys {sorted(unknown)}; use slope, intercept and guess")
        prior = Prior(**prior)
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be None, a Prior or a dict, got {type(prior).__name__}")
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
    if key == "grm":
        raise NotImplementedError("model='grm' (graded response) is not implemented yet")
    if key not in _MODELS:
        raise ValueError(f"model must be one of {', '.join(_MODELS)}, got {model!r}")
    return key


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
) -> IRTResult:
    """Marginal maximum-likelihood (or, with ``prior``, posterior-mode) fit.

    ``responses`` is ``(num_subjects, num_items)`` with 0/1 and NaN for missing;
    ``counts`` the frequency of each row. An item that every subject answers the
    same way has no finite estimate: it is rejected unless ``prior`` has an
    intercept prior. ``n_threads`` follows scikit-learn (None: all cores).
    ``se=False`` skips the standard errors. Emits a RuntimeWarning when EM stops
    at ``max_iter`` before converging.
    """
    key = _as_model(model)
    data = _as_responses(responses)
    weights = _as_counts(counts, data.shape[0])
    n_quad = as_int(n_quad, "n_quad", minimum=5)
    tol = _as_positive_float(tol, "tol")
    max_iter = as_int(max_iter, "max_iter", minimum=1)
    prior = _as_prior(prior)
    if prior is not None and prior.guess is not None and key != "3pl":
        raise ValueError("prior.guess applies to model='3pl' only")
    threads = resolve_threads(n_threads)
    p = prior or Prior()
    raw = _core.irt_fit_binary(
        data, weights, _MODELS[key], n_quad, tol, max_iter, p.slope, p.intercept, p.guess, threads
    )
    if not raw["converged"]:
        warnings.warn(
            f"irt.fit: EM stopped after {raw['n_iter']} iterations without every parameter moving less than "
            f"tol={tol:g}; raise max_iter or tol",
            RuntimeWarning,
            stacklevel=2,
        )
    num_items = data.shape[1]
    n_params = {"rasch": num_items, "1pl": num_items + 1, "2pl": 2 * num_items, "3pl": 3 * num_items}[key]
    n_obs = float(weights.sum()) if weights is not None else float(data.shape[0])
    if se:
        se_a, se_d, se_c, item_cov, covariance, se_method = _standard_errors(key, raw, data, weights, p)
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
    )


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _node_scores(key: str, a, d, c, nodes):
    """Per item and node, the gradient of log P(y | theta_q) in (a, d[, logit c])
    for y = 1 and y = 0: two (items, nodes, K) arrays."""
    z = a[:, None] * nodes[None, :] + d[:, None]
    s = _sigmoid(z)
    t = np.broadcast_to(nodes[None, :], z.shape)
    if key != "3pl":
        one = np.stack([(1 - s) * t, 1 - s], axis=-1)
        zero = np.stack([-s * t, -s], axis=-1)
        return one, zero
    cc = c[:, None]
    prob = cc + (1 - cc) * s
    pz = (1 - cc) * s * (1 - s) / prob
    pg = (1 - s) * cc * (1 - cc) / prob
    one = np.stack([pz * t, pz, pg], axis=-1)
    zero = np.stack([-s * t, -s, -np.broadcast_to(cc, z.shape)], axis=-1)
    return one, zero


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


def _standard_errors(key, raw, data, weights, prior):
    a, d, c = raw["a"], raw["d"], raw["c"]
    nodes, post = raw["nodes"], raw["posterior"]
    r, n = raw["expected_correct"], raw["expected_answered"]
    J, Q = a.shape[0], nodes.shape[0]
    K = 3 if key == "3pl" else 2
    w = weights if weights is not None else np.ones(data.shape[0])
    one, zero = _node_scores(key, a, d, c, nodes)  # (J, Q, K)
    expected = raw["item_hessian"][:, :K, :K]
    prior_h = _prior_hessian(key, prior, a, d, c)
    answered = ~np.isnan(data)
    correct = data == 1.0

    full = K * J <= _FULL_INFO_MAX_PARAMS and data.shape[0] * Q * (K * J) ** 2 <= _FULL_INFO_MAX_WORK
    if full:
        # Hessian of the marginal log-likelihood in item coordinates:
        # E_post[complete-data Hessian] + sum_i w_i Cov_post(score_i).
        H = np.zeros((K * J, K * J))
        for j in range(J):  # block diagonal: J small blocks, not a hot path
            H[j * K : (j + 1) * K, j * K : (j + 1) * K] = expected[j]
        one_t, zero_t = one.transpose(1, 0, 2), zero.transpose(1, 0, 2)  # (Q, J, K)
        for rows in _subject_blocks(data.shape[0], Q * K * J // 4):
            # Only (subject, node) pairs with posterior mass contribute; the
            # rest (most nodes, for long tests) are skipped.
            sub, node = np.nonzero(post[rows] > _NEGLIGIBLE_POSTERIOR)
            p_kept = post[rows][sub, node]
            subject = sub + rows.start
            s = np.where(correct[subject][:, :, None], one_t[node], zero_t[node])
            s *= answered[subject][:, :, None]
            s = s.reshape(len(sub), K * J)
            f = s * np.sqrt(p_kept * w[subject])[:, None]
            H += f.T @ f
            starts = np.flatnonzero(np.r_[True, sub[1:] != sub[:-1]])
            g = np.add.reduceat(s * p_kept[:, None], starts, axis=0)
            H -= g.T @ (g * w[subject[starts]][:, None])
        H[np.diag_indices_from(H)] += prior_h.reshape(-1)
        T = _free_map(key, J, K)
        info = -(T.T @ H @ T)
        if key == "1pl" and prior.slope is not None:
            info[0, 0] -= _slope_prior_hessian(prior, a[0])
        cov_free = _safe_inverse(info)
        cov_items = T @ cov_free @ T.T  # (KJ, KJ) in item coordinates
        item_cov_k = np.stack([cov_items[j * K : (j + 1) * K, j * K : (j + 1) * K] for j in range(J)])
        covariance, se_method = cov_free, "observed"
    else:
        # Item blocks only: sum_q [r S1 S1' + (n - r) S0 S0'] - sum_i w_i g_ij g_ij'.
        H = expected.copy()
        H += np.einsum("jq,jqk,jql->jkl", r, one, one) + np.einsum("jq,jqk,jql->jkl", n - r, zero, zero)
        one_f, zero_f = one.transpose(1, 0, 2).reshape(Q, J * K), zero.transpose(1, 0, 2).reshape(Q, J * K)
        for rows in _subject_blocks(data.shape[0], 2 * J * K):
            g1 = (post[rows] @ one_f).reshape(-1, J, K)
            g0 = (post[rows] @ zero_f).reshape(-1, J, K)
            g = np.where(correct[rows][:, :, None], g1, g0) * answered[rows][:, :, None]
            H -= np.einsum("b,bjk,bjl->jkl", w[rows], g, g)
        H[:, np.arange(K), np.arange(K)] += prior_h
        slope_info = -_slope_prior_hessian(prior, a[0]) if key == "1pl" and prior.slope is not None else 0.0
        item_cov_k = _block_covariance(key, -H, slope_info)
        covariance, se_method = None, "observed, item blocks"

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
    theta, se = _core.irt_score_binary(
        data, result.a, result.d, result.c, _METHODS[method.lower()], result.n_quad, threads
    )
    return Scores(theta, se)


def _as_theta(theta) -> np.ndarray:
    array = np.asarray(theta, dtype=np.float64)
    if array.ndim > 1:
        raise ValueError(f"theta must be a number or a 1-D array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("theta must be finite")
    return np.atleast_1d(array)


def probability(result: IRTResult, theta) -> np.ndarray:
    """(len(theta), num_items) probability of a correct answer."""
    result = _check_result(result)
    t = _as_theta(theta)
    s = _sigmoid(t[:, None] * result.a[None, :] + result.d[None, :])
    return result.c + (1 - result.c) * s


def item_information(result: IRTResult, theta) -> np.ndarray:
    """(len(theta), num_items) Fisher information of each item:
    ``a^2 (P - c)^2 (1 - P) / ((1 - c)^2 P)`` (``a^2 P (1 - P)`` when c = 0)."""
    result = _check_result(result)
    t = _as_theta(theta)
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
    """(len(theta),) expected number correct (the test characteristic curve)."""
    return probability(result, theta).sum(axis=1)


def item_fit(result: IRTResult, responses, *, counts=None, n_threads: int | None = None) -> dict[str, np.ndarray]:
    """Item-fit statistics per item, from EAP abilities:

    ``infit`` and ``outfit`` mean squares (Wright & Masters; about 1 for a
    well-fitting item, the outfit being sensitive to unexpected answers far from
    the item's difficulty), and the residual ``rmsd`` between the observed and
    the model's proportion correct, averaged over the posterior of each
    subject, in the spirit of the RMSD statistic of Köhler, Robitzsch & Hartig
    (2020); not numerically identical to mirt's. Missing cells are skipped;
    ``counts`` weights rows.
    """
    result = _check_result(result)
    data = _as_responses(responses)
    J = result.a.shape[0]
    if data.shape[1] != J:
        raise ValueError(f"responses has {data.shape[1]} items (columns) but the model was fitted to {J}")
    weights = _as_counts(counts, data.shape[0])
    w = weights if weights is not None else np.ones(data.shape[0])
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
    return {"infit": infit, "outfit": outfit, "rmsd": rmsd}
