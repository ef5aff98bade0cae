"""Standard errors of IRT fits from the observed information (Louis's formula),
assembled from the Louis terms the core returns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .._core import irt as _core_irt

if TYPE_CHECKING:
    from .._core.irt import BinaryFit, GradedFit

# Full observed information when it is affordable: at most this many item
# parameters, and at most this many multiply-adds to assemble it.
_FULL_INFO_MAX_PARAMS = 1200


_FULL_INFO_MAX_WORK = 6e9


# Posterior mass below which a (subject, node) pair is left out of the
# standard-error sums (its contribution is below rounding).
_NEGLIGIBLE_POSTERIOR = 1e-15


# Subject blocks of the standard-error assembly hold about this many doubles.
_BLOCK_VALUES = 1 << 21


def _full_information(n_rows: int, n_quad: int, n_params: int) -> bool:
    """Whether the whole observed information is affordable (else item blocks)."""
    return n_params <= _FULL_INFO_MAX_PARAMS and n_rows * n_quad * n_params**2 <= _FULL_INFO_MAX_WORK


def _subject_blocks(n_rows: int, values_per_row: int) -> Iterator[slice]:
    size = max(1, _BLOCK_VALUES // max(values_per_row, 1))
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


def _standard_errors(
    key: str,
    raw: BinaryFit,
    data: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    flagged: dict[int, str],
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None, str
]:
    """Covariances from the core's Louis terms: the Hessian of the marginal
    log-likelihood is item_hessian + F'F (F the score deviations) in full, or
    item_hessian + louis_blocks item by item; the prior's Hessian is added."""
    a, c = raw["a"], raw["c"]
    J = a.shape[0]
    K = 3 if key == "3pl" else 2
    # The core's prior curvature per item; the 1PL's common slope prior counts
    # once, after projection, and the Rasch slopes are fixed.
    prior_h = raw["prior_curvature"][:, :K].copy()
    if key not in ("2pl", "3pl"):
        prior_h[:, 0] = 0.0
    blocks = raw["item_hessian"][:, :K, :K].copy()
    blocks[:, np.arange(K), np.arange(K)] += prior_h
    slope_info = -float(raw["prior_curvature"][0, 0]) if key == "1pl" else 0.0
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


def _graded_standard_errors(
    raw: GradedFit, data: NDArray[np.float64], weights: NDArray[np.float64] | None, n_categories: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, str]:
    """Louis's observed information for (a, d_1, ..) of every item, as in the
    binary case; item blocks only when the full matrix would be too large."""
    a, d, nodes, post = raw["a"], raw["d"], raw["nodes"], raw["posterior"]
    J, width = d.shape
    Kmax, Q = width + 1, nodes.shape[0]
    P = int(n_categories.sum())
    w = weights if weights is not None else np.ones(data.shape[0])
    scores = _core_irt.graded_node_scores(a, d, Q)  # (J, Kmax, Q, Kmax)
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
    blocks = raw["item_hessian"] + raw["prior_curvature"][:, :, None] * np.eye(Kmax)
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
