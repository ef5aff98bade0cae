"""Item and test curves of a fitted model: response probabilities, Fisher
information and the expected score, as functions of ability."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import _as_theta, _check_result
from ._results import IRTResult


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def _graded_curves(result: IRTResult, t: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Category probabilities (len(t), items, max K) and the derivative of
    P(X >= k) in theta at each boundary k = 0 .. max K (zero at both ends)."""
    J, width = result.d.shape
    z = t[:, None, None] * result.a[None, :, None] + result.d[None, :, :]
    at_least = np.ones((t.shape[0], J, width + 2))
    at_least[:, :, 1:-1] = np.nan_to_num(_sigmoid(z), nan=0.0)  # no boundary past K_j: P(X >= k) = 0
    at_least[:, :, -1] = 0.0
    slope = result.a[None, :, None] * at_least * (1 - at_least)
    prob = at_least[:, :, :-1] - at_least[:, :, 1:]
    assert result.n_categories is not None  # graded fits carry them
    beyond = np.arange(width + 1)[None, :] >= result.n_categories[:, None]
    prob[:, beyond] = np.nan
    return prob, slope


def probability(result: IRTResult, theta: ArrayLike) -> NDArray[np.float64]:
    """Probability of each response at given abilities.

    Parameters
    ----------
    result : IRTResult
        A fit from :func:`precipice.irt.fit`.
    theta : array_like
        Abilities: a number or ``(n,)``; ``(n, dims)`` for multidimensional fits.

    Returns
    -------
    numpy.ndarray
        ``(n, num_items)`` probability of a correct answer; for graded items
        ``(n, num_items, max K)`` probability of each category, NaN past an
        item's categories.

    Raises
    ------
    TypeError
        If ``result`` is not an :class:`IRTResult`.
    ValueError
        If ``theta`` is not finite or has the wrong shape.
    """
    result = _check_result(result)
    t = _as_theta(theta, result.dims)
    if result.dims > 1:
        return _sigmoid(t @ result.a.T + result.d[None, :])
    if result.model == "grm":
        return _graded_curves(result, t)[0]
    s = _sigmoid(t[:, None] * result.a[None, :] + result.d[None, :])
    out: NDArray[np.float64] = result.c + (1 - result.c) * s
    return out


def item_information(result: IRTResult, theta: ArrayLike) -> NDArray[np.float64]:
    """Fisher information of each item at given abilities.

    ``a^2 (P - c)^2 (1 - P) / ((1 - c)^2 P)`` (``a^2 P (1 - P)`` when c = 0);
    for graded items ``sum_k P_k'^2 / P_k``.

    Parameters
    ----------
    result : IRTResult
        A unidimensional fit from :func:`precipice.irt.fit`.
    theta : array_like
        Abilities: a number or ``(n,)``.

    Returns
    -------
    numpy.ndarray
        ``(n, num_items)`` item information.

    Raises
    ------
    TypeError
        If ``result`` is not an :class:`IRTResult`.
    ValueError
        If ``theta`` is not finite or not 1-D.
    NotImplementedError
        For multidimensional fits.
    """
    result = _check_result(result)
    if result.dims > 1:
        raise NotImplementedError("item_information is for unidimensional fits")
    t = _as_theta(theta)
    if result.model == "grm":
        prob, slope = _graded_curves(result, t)
        change = slope[:, :, :-1] - slope[:, :, 1:]  # dP_k / dtheta
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(prob > 0, change**2 / prob, 0.0)
        graded: NDArray[np.float64] = terms.sum(axis=2)
        return graded
    s = _sigmoid(t[:, None] * result.a[None, :] + result.d[None, :])
    c, a = result.c, result.a
    p = c + (1 - c) * s
    # (P - c) / (1 - c) = s, so the information is a^2 (1 - c)^2 s^2 (1 - s)^2 / (P (1 - P)),
    # which simplifies to a^2 (1 - c) s^2 (1 - s) / P.
    out: NDArray[np.float64] = a**2 * (1 - c) * s**2 * (1 - s) / p
    return out


def test_information(result: IRTResult, theta: ArrayLike) -> NDArray[np.float64]:
    """Test information: the sum of the item informations.

    Parameters
    ----------
    result : IRTResult
        A unidimensional fit from :func:`precipice.irt.fit`.
    theta : array_like
        Abilities: a number or ``(n,)``.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` test information.

    Raises
    ------
    TypeError, ValueError, NotImplementedError
        As :func:`item_information`.
    """
    out: NDArray[np.float64] = item_information(result, theta).sum(axis=1)
    return out


def expected_score(result: IRTResult, theta: ArrayLike) -> NDArray[np.float64]:
    """Expected number correct: the test characteristic curve.

    Parameters
    ----------
    result : IRTResult
        A fit from :func:`precipice.irt.fit`.
    theta : array_like
        Abilities: a number or ``(n,)``; ``(n, dims)`` for multidimensional fits.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` expected number correct; for graded items the expected sum of
        the categories.

    Raises
    ------
    TypeError, ValueError
        As :func:`probability`.
    """
    prob = probability(result, theta)
    out: NDArray[np.float64]
    if result.model == "grm":
        out = np.nansum(prob * np.arange(prob.shape[2]), axis=(1, 2))
    else:
        out = prob.sum(axis=1)
    return out
