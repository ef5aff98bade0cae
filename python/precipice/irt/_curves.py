"""Item and test curves of a fitted model: response probabilities, Fisher
information and the expected score, as functions of ability."""

from __future__ import annotations

import numpy as np

from ._checks import _as_theta, _check_result
from ._results import IRTResult


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


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
