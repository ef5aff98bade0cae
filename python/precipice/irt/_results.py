"""The objects precipice.irt returns: priors, fits and ability scores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

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

    Parameters
    ----------
    slope : tuple of float, optional
        ``(mean, sd)`` of ``log a``.
    intercept : tuple of float, optional
        ``(mean, sd)`` of ``d``.
    guess : tuple of float, optional
        ``(alpha, beta)`` of the Beta prior on ``c``.
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
        constant items finite.

        Returns
        -------
        Prior
            The weak prior.
        """
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
        b: np.ndarray = -self.d / (self.a[:, None] if self.d.ndim == 2 else self.a)
        return b

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
        se: np.ndarray = np.sqrt(grad_a**2 * var_a + grad_d**2 * var_d + 2 * grad_a * grad_d * cov_ad)
        return se

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
