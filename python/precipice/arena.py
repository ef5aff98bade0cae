"""Ratings from pairwise battles: Bradley-Terry with honest uncertainty.

Battles ``(model_a, model_b, outcome)`` are collapsed into unique cells
(a pair of models, an outcome, a weight, a feature row) with counts; the
maximum-likelihood fit is Newton's method on those cells (in the compiled
core), converged until no parameter moves by more than ``1e-10`` on the logit
scale. The bootstrap redraws the battles as multinomial counts over the cells,
all replicates in one native call; replicate ``r`` depends only on
``(seed, r)``: same seed, same numbers, whatever ``n_threads`` and on a Dask
``client=``.

Ratings are reported on the logit scale (``P(a beats b) = sigmoid(r_a - r_b)``,
summing to zero) and on the Elo scale ``scale / ln(base) * r + init_rating``
(400 / ln 10 and 1000 by default, FastChat's and LMArena's), optionally shifted
so that an anchor model has a fixed rating.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._distributed import map_replicates
from ._intervals import intervals
from ._validation import (
    check_confidence,
    check_optional_reps,
    check_replicate_memory,
    resolve_seed,
    resolve_threads,
)
from .leaderboard import rank_summary

__all__ = ["BradleyTerryResult", "ConvergenceWarning", "bradley_terry", "from_battles", "online_elo", "style_features"]

TieModel = Literal["half", "rao-kupper", "davidson"]
_TIE_CODES = {"half": 0, "rao-kupper": 1, "davidson": 2}
# The labels a battle table may use for its outcome: FastChat's and the short ones.
_A_WINS = frozenset({"a", "model_a", "A", "win", "1"})
_B_WINS = frozenset({"b", "model_b", "B", "loss", "0"})
_TIE = frozenset({"tie", "tie (bothbad)", "draw", "0.5"})
# Newton stops when no parameter moves by more than TOL (logit scale).
TOL = 1e-10
MAX_ITER = 100
_FIT_CODES = {0: "converged", 1: "reached the iteration limit", 2: "diverged", 3: "was singular"}


class ConvergenceWarning(UserWarning):
    """Some bootstrap replicates could not be fitted (a model without battles in
    the resample, or a resample whose maximum-likelihood ratings are infinite);
    the intervals use the others."""


@dataclass(frozen=True)
class BradleyTerryResult:
    """A Bradley-Terry fit.

    Attributes
    ----------
    models : tuple
        The model names, in the order of every per-model array.
    ratings : ndarray, ``(num_models,)``
        Elo-scale ratings: ``elo_factor * logit + init_rating`` (shifted to the anchor when one is given).
    logit : ndarray, ``(num_models,)``
        The same ratings on the logit scale (``P(i beats j) = sigmoid(logit_i - logit_j)`` in the half model).
    se : ndarray, ``(num_models,)``
        Sandwich (robust) standard errors of ``ratings``, as arena-rank computes them: the
        inverse information times the sum of per-battle score outer products times the
        inverse information. Relative to the anchor (whose se is 0) when one is given,
        else of the ratings centred to sum to zero.
    se_model : ndarray, ``(num_models,)``
        Model-based standard errors (inverse observed information), same scale.
    covariance : ndarray, ``(num_params, num_params)``
        Sandwich covariance of all parameters on the logit scale (ratings, then the
        feature coefficients, then the tie parameter's log).
    coefficients : ndarray, ``(num_features,)``
        Feature coefficients (style control) on the logit scale; empty without features.
    coefficient_se : ndarray, ``(num_features,)``
        Their sandwich standard errors.
    feature_names : tuple of str
    tie_parameter : float or None
        Davidson's nu or Rao-Kupper's theta (>= 1); None for ``ties="half"``.
    ties : str
    rank : ndarray of int, ``(num_models,)``
        1 + the number of models rated strictly higher.
    rank_ub : ndarray of int, ``(num_models,)``
        LMArena's "Rank (UB)": 1 + the number of models whose lower interval bound exceeds
        this model's upper bound (bootstrap intervals when ``reps > 0``, else the
        sandwich's normal intervals).
    interval : ndarray, ``(num_models, 2)``
        Elo-scale intervals: bootstrap percentile when ``reps > 0``, else normal
        intervals from the sandwich standard errors.
    confidence : float
    loglik : float
        The maximised log-likelihood (without the prior).
    iterations : int
        Newton iterations of the full-data fit.
    num_battles : int
    num_cells : int
        Unique (a, b, outcome, weight, features) combinations the fit ran on.
    elo_factor, init_rating : float
        ``scale / ln(base)`` and the rating a model at logit 0 gets (before an anchor shift).
    seed : int or None
        The seed used by the bootstrap (None when ``reps == 0``).
    replicates : ndarray or None, ``(reps_converged, num_models)``
        Bootstrap Elo-scale ratings of the replicates whose fit converged.
    coefficient_replicates : ndarray or None, ``(reps_converged, num_features)``
    rank_interval, rank_probabilities, p_best, expected_rank : ndarray or None
        From :func:`precipice.leaderboard.rank_summary` of the replicates (``reps > 0``):
        ``(num_models, 2)`` marginal rank intervals, ``(num_models, num_models)`` P(rank = r),
        ``(num_models,)`` P(best) and expected ranks.
    failed_replicates : int
        Replicates dropped because their fit did not converge.
    """

    models: tuple[Any, ...]
    ratings: NDArray[np.float64]
    logit: NDArray[np.float64]
    se: NDArray[np.float64]
    se_model: NDArray[np.float64]
    covariance: NDArray[np.float64]
    coefficients: NDArray[np.float64]
    coefficient_se: NDArray[np.float64]
    feature_names: tuple[str, ...]
    tie_parameter: float | None
    ties: str
    rank: NDArray[np.int64]
    rank_ub: NDArray[np.int64]
    interval: NDArray[np.float64]
    confidence: float
    loglik: float
    iterations: int
    num_battles: int
    num_cells: int
    elo_factor: float
    init_rating: float
    seed: int | None = None
    replicates: NDArray[np.float64] | None = None
    coefficient_replicates: NDArray[np.float64] | None = None
    rank_interval: NDArray[np.int64] | None = None
    rank_probabilities: NDArray[np.float64] | None = None
    p_best: NDArray[np.float64] | None = None
    expected_rank: NDArray[np.float64] | None = None
    failed_replicates: int = 0
    _tie_log: float = field(default=0.0, repr=False)

    def win_probability(self) -> NDArray[np.float64]:
        """P(row model beats column model), a tie counting as half a win.

        Returns
        -------
        ndarray, ``(num_models, num_models)``
            Entry ``[i, j]``; the diagonal is 0.5.
        """
        eta = self.logit[:, np.newaxis] - self.logit[np.newaxis, :]
        if self.ties == "davidson":
            half = np.exp(eta / 2)
            nu = math.exp(self._tie_log)
            win = half / (half + 1 / half + nu)
            tie = nu / (half + 1 / half + nu)
            return np.asarray(win + tie / 2, dtype=np.float64)
        if self.ties == "rao-kupper":
            tau = math.exp(self._tie_log)
            win = _sigmoid(eta - tau)
            loss = _sigmoid(-eta - tau)
            return np.asarray(win + (1 - win - loss) / 2, dtype=np.float64)
        return np.asarray(_sigmoid(eta), dtype=np.float64)

    def table(self) -> str:
        """The leaderboard as text, best first: model, rating, interval, rank interval, Rank (UB).

        Returns
        -------
        str
        """
        order = np.argsort(-self.ratings, kind="stable")
        names = [str(self.models[i]) for i in order]
        width = max(5, *(len(n) for n in names))
        pct = f"{self.confidence:.0%}"
        head = f"{'model':<{width}}  {'rating':>8}  {pct + ' CI':>19}  {'rank':>4}"
        if self.rank_interval is not None:
            head += f"  {'rank CI':>9}"
        head += f"  {'Rank (UB)':>9}"
        lines = [head]
        for i, name in zip(order, names):
            lo, hi = self.interval[i]
            line = f"{name:<{width}}  {self.ratings[i]:8.1f}  [{lo:8.1f}, {hi:8.1f}]  {self.rank[i]:4d}"
            if self.rank_interval is not None:
                line += f"  {f'{self.rank_interval[i, 0]}-{self.rank_interval[i, 1]}':>9}"
            line += f"  {self.rank_ub[i]:9d}"
            lines.append(line)
        if self.feature_names:
            lines.append("")
            for name, coef, se in zip(self.feature_names, self.coefficients, self.coefficient_se):
                lines.append(f"{name}: {coef:+.4f} (se {se:.4f}, logit scale)")
        return "\n".join(lines)


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


def _labels(values: ArrayLike, name: str, n: int | None) -> NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} battles but model_a has {n}")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} holds NaN at battle {int(np.flatnonzero(np.isnan(array))[0])}")
    if array.dtype.kind == "O":
        try:
            from pandas import isna

            missing = np.flatnonzero(isna(array)).tolist()
        except ImportError:
            missing = [i for i, v in enumerate(array) if v is None or (isinstance(v, float) and math.isnan(v))]
        if missing:
            raise ValueError(f"{name} holds a missing model name (None or NaN) at battle {missing[0]}")
    return array


def _factorize(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The sorted distinct values and each value's index among them (np.unique's
    answer, without its sort of all battles where a cheaper way exists)."""
    if values.dtype.kind in "iu" and values.size and values.min() >= 0 and values.max() < 2**24:
        present = np.bincount(values) > 0
        lookup = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(values.dtype), lookup[values].astype(np.int64)
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None and values.dtype.kind in "OUS":
        codes, uniques = pd.factorize(values, sort=True)
        return np.asarray(uniques), codes.astype(np.int64)
    names, codes = np.unique(values, return_inverse=True)
    return names, codes.ravel().astype(np.int64)


def _outcome_scores(outcome: ArrayLike, n: int) -> NDArray[np.float64]:
    array = np.asarray(outcome)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"outcome must be one-dimensional with one entry per battle ({n}), got shape {array.shape}")
    if array.dtype.kind in "OUS":
        labels, inverse = _factorize(array)
        values = np.empty(len(labels))
        unknown = []
        for k, label in enumerate(map(str, labels)):
            if label in _A_WINS:
                values[k] = 1.0
            elif label in _B_WINS:
                values[k] = 0.0
            elif label in _TIE:
                values[k] = 0.5
            else:
                unknown.append(str(label))
        if unknown:
            raise ValueError(
                f"outcome has unknown labels {unknown[:5]}; use 'model_a'/'a' (a wins), 'model_b'/'b' (b wins), "
                "'tie'/'tie (bothbad)', or scores in [0, 1]"
            )
        return np.asarray(values[inverse], dtype=np.float64)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"outcome must hold labels or scores in [0, 1], got dtype {array.dtype}")
    scores = array.astype(np.float64)
    bad = ~((scores >= 0.0) & (scores <= 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"outcome must be scores in [0, 1] (NaN not allowed), got {scores[i]} at battle {i}")
    return scores


def _categorical(score: NDArray[np.float64]) -> bool:
    """Whether every score is a win, a tie or a loss (1, 0.5, 0)."""
    return bool(((score == 0.0) | (score == 0.5) | (score == 1.0)).all())


def _components(n_models: int, a: NDArray[np.int32], b: NDArray[np.int32], connection: str) -> NDArray[np.int32]:
    """Component labels (numbered by first member) of the digraph a -> b, weakly
    or strongly connected: scipy's csgraph where it imports, else reachability by
    repeated squaring of the m x m adjacency (log2 m products)."""
    try:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
    except ImportError:
        reach = np.eye(n_models)
        reach[a, b] = 1.0
        if connection == "weak":
            reach = np.maximum(reach, reach.T)
        for _ in range(max(1, math.ceil(math.log2(max(n_models, 2)))) + 1):
            step = (reach @ reach > 0).astype(np.float64)
            if np.array_equal(step, reach):
                break
            reach = step
        linked = (reach > 0) & (reach.T > 0)
        first = np.argmax(linked, axis=1)
    else:
        graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n_models, n_models)).tocsr()
        _, raw = connected_components(graph, directed=True, connection=connection)
        # numbered by first member, as the fallback's
        _, first_index = np.unique(raw, return_index=True)
        first = first_index[raw]
    _, labels = np.unique(first, return_inverse=True)
    return np.asarray(labels.ravel(), dtype=np.int32)


def _describe(groups: list[list[Any]]) -> str:
    shown = []
    for members in groups[:4]:
        names = ", ".join(repr(m) for m in members[:5]) + (", ..." if len(members) > 5 else "")
        shown.append("{" + names + "}")
    return "; ".join(shown) + ("; ..." if len(groups) > 4 else "")


def _check_identified(models: Sequence[Any], a: NDArray[np.int32], b: NDArray[np.int32], score: NDArray[np.float64]):
    m = len(models)
    weak = _components(m, np.concatenate([a, b]), np.concatenate([b, a]), "weak")
    if weak.max() > 0:
        groups = [[models[int(i)] for i in np.flatnonzero(weak == g)] for g in range(int(weak.max()) + 1)]
        raise ValueError(
            f"the comparison graph is disconnected into {len(groups)} components ({_describe(groups)}): ratings "
            "are not comparable across them; add battles between them or pass prior= (a Gaussian prior "
            "on the logit ratings)"
        )
    # The MLE is finite iff every model both beat and lost to someone in every
    # cut (Zermelo, Ford): the "scored against" digraph is strongly connected.
    wins = score > 0
    losses = score < 1
    strong = _components(m, np.concatenate([a[wins], b[losses]]), np.concatenate([b[wins], a[losses]]), "strong")
    if strong.max() > 0:
        groups = [[models[int(i)] for i in np.flatnonzero(strong == g)] for g in range(int(strong.max()) + 1)]
        raise ValueError(
            "the maximum-likelihood ratings are infinite: some models won (or lost) every battle against the "
            f"rest (groups that only beat or only lost to each other: {_describe(groups)}); pass prior= "
            "(a Gaussian prior on the logit ratings, e.g. prior=1.0) for finite ratings"
        )


@dataclass(frozen=True)
class _Cells:
    a: NDArray[np.int32]
    b: NDArray[np.int32]
    outcome: NDArray[np.float64]
    weight: NDArray[np.float64]
    multiplicity: NDArray[np.int64]
    features: NDArray[np.float64]

    def arrays(
        self,
    ) -> tuple[
        NDArray[np.int32],
        NDArray[np.int32],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.int64],
        NDArray[np.float64],
    ]:
        return (self.a, self.b, self.outcome, self.weight, self.multiplicity, self.features)


def _deduplicate(
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    score: NDArray[np.float64],
    weight: NDArray[np.float64] | None,
    features: NDArray[np.float64],
    m: int,
) -> _Cells:
    k = features.shape[1]
    categorical = weight is None and k == 0 and _categorical(score)
    if categorical:
        key = (a * m + b) * 3 + (2 * score).astype(np.int64)
        if m * m * 3 <= 2**25:
            counts = np.bincount(key, minlength=m * m * 3)
            cells = np.flatnonzero(counts)
            multiplicity = counts[cells]
        else:
            cells, multiplicity = np.unique(key, return_counts=True)
        return _Cells(
            (cells // 3 // m).astype(np.int32),
            (cells // 3 % m).astype(np.int32),
            (cells % 3) / 2.0,
            np.ones(len(cells)),
            multiplicity.astype(np.int64),
            np.zeros((len(cells), 0)),
        )
    w = np.ones(len(a)) if weight is None else weight
    rows = np.column_stack([a.astype(np.float64), b.astype(np.float64), score, w, features])
    unique, multiplicity = np.unique(rows, axis=0, return_counts=True)
    return _Cells(
        unique[:, 0].astype(np.int32),
        unique[:, 1].astype(np.int32),
        np.ascontiguousarray(unique[:, 2]),
        np.ascontiguousarray(unique[:, 3]),
        multiplicity.astype(np.int64),
        np.ascontiguousarray(unique[:, 4:]),
    )


def _bootstrap_chunk(
    a: NDArray[np.int32],
    b: NDArray[np.int32],
    outcome: NDArray[np.float64],
    weight: NDArray[np.float64],
    multiplicity: NDArray[np.int64],
    features: NDArray[np.float64],
    n_models: int,
    start: NDArray[np.float64],
    ties: int,
    ridge: float,
    feature_ridge: float,
    seed: int,
    n_threads: int,
    first: int,
    count: int,
) -> NDArray[np.float64]:
    """Replicates ``first .. first + count - 1`` (a Dask task): the parameters and,
    in a last column, each replicate's fit code."""
    params, codes = _core.arena.bootstrap(
        a,
        b,
        outcome,
        weight,
        multiplicity,
        features,
        n_models,
        start,
        ties,
        ridge,
        feature_ridge,
        TOL,
        MAX_ITER,
        seed,
        n_threads,
        first,
        count,
    )
    return np.column_stack([params, codes.astype(np.float64)])


def _ridge_of(sd: float | None, name: str) -> float:
    """The ridge (precision) of a Gaussian prior given by its standard deviation; 0 for none."""
    if sd is None:
        return 0.0
    if isinstance(sd, bool) or not isinstance(sd, numbers.Real) or not (0 < float(sd) < math.inf):
        raise ValueError(f"{name} must be a positive standard deviation (logit scale), got {sd!r}")
    return 1.0 / float(sd) ** 2


def _pinv_ratings(
    info: NDArray[np.float64], m: int, ridge: float, k: int = 0, feature_ridge: float = 0.0
) -> NDArray[np.float64]:
    """The inverse of the penalised information (the priors' ridges on the
    diagonals of the ratings and of the k feature coefficients); without a prior
    on the ratings their shift is not identified (information @ v = 0 for v = ones
    on the ratings), and this is the pseudo-inverse, the covariance of ratings
    centred to sum to zero."""
    p = info.shape[0]
    penalised = info.copy()
    penalised[np.arange(m, m + k), np.arange(m, m + k)] += feature_ridge
    if ridge > 0:
        penalised[np.arange(m), np.arange(m)] += ridge
        return np.asarray(np.linalg.inv(penalised), dtype=np.float64)
    v = np.zeros(p)
    v[:m] = 1.0
    shift = np.outer(v, v) / m
    return np.asarray(np.linalg.inv(penalised + shift) - shift, dtype=np.float64)


def _as_features(features: ArrayLike | None, feature_names: Sequence[str] | None, n: int):
    if features is None:
        return np.zeros((n, 0)), ()
    names: tuple[str, ...] | None = tuple(str(c) for c in features.columns) if hasattr(features, "columns") else None
    array = np.asarray(features)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"features must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2 or array.shape[0] != n:
        raise ValueError(f"features must be (num_battles, num_features) with {n} rows, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("features must be finite (no NaN or infinity)")
    if feature_names is not None:
        names = tuple(str(f) for f in feature_names)
        if len(names) != array.shape[1]:
            raise ValueError(f"feature_names has {len(names)} names for {array.shape[1]} features")
    if names is None:
        names = tuple(f"x{j}" for j in range(array.shape[1]))
    return np.ascontiguousarray(array), names


def _check_elo_constants(**values: object) -> None:
    """Finite numbers, with scale > 0, base > 1 and a step k >= 0 where given."""
    for label, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise TypeError(f"{label} must be a finite number, got {value!r}")
    if "scale" in values and not float(values["scale"]) > 0:  # type: ignore[arg-type]
        raise ValueError(f"scale must be positive, got {values['scale']!r}")
    if "base" in values and not float(values["base"]) > 1:  # type: ignore[arg-type]
        raise ValueError(f"base must be above 1, got {values['base']!r}")
    if "k" in values and not float(values["k"]) >= 0:  # type: ignore[arg-type]
        raise ValueError(f"k must be at least 0, got {values['k']!r}")


def bradley_terry(
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    ties: TieModel = "half",
    features: ArrayLike | None = None,
    feature_names: Sequence[str] | None = None,
    prior: float | None = None,
    feature_prior: float | None = None,
    reweight: Literal["none", "inverse_pair"] = "none",
    models: Sequence[Any] | None = None,
    anchor: tuple[Any, float] | None = None,
    scale: float = 400.0,
    base: float = 10.0,
    init_rating: float = 1000.0,
    reps: int = 0,
    confidence: float = 0.95,
    seed: object = None,
    n_threads: int | None = None,
    client: object = None,
) -> BradleyTerryResult:
    """Bradley-Terry ratings of models from pairwise battles, by maximum likelihood.

    Parameters
    ----------
    model_a, model_b : array_like, ``(num_battles,)``
        The two models of each battle (names or ids; any hashable, sortable values).
    outcome : array_like, ``(num_battles,)``
        Labels ``"model_a"``/``"a"`` (a wins), ``"model_b"``/``"b"`` (b wins), ``"tie"``,
        ``"tie (bothbad)"``, ``"draw"``; or the score of a in [0, 1] (1 win, 0.5 tie, 0 loss).
    weights : array_like, optional
        Non-negative weight of each battle.
    ties : {"half", "rao-kupper", "davidson"}
        How a tie enters the likelihood: half a win each way (FastChat's convention;
        also the only model for scores strictly between 0 and 1), Rao-Kupper's or
        Davidson's model with an estimated tie parameter.
    features : array_like, ``(num_battles, num_features)``, optional
        Per-battle covariates of a contextual BT (style control): the logit of a beating
        b is ``r_a - r_b + features @ beta``, so give differences a minus b (normalised
        length difference, markdown counts...). The coefficients are reported.
    feature_names : sequence of str, optional
        Names of the features (a DataFrame's columns are used when not given).
    prior : float, optional
        Standard deviation of a Gaussian N(0, prior**2) prior on each logit rating (ridge
        ``1 / prior**2``): ratings are then finite and defined on a disconnected graph.
    feature_prior : float, optional
        Standard deviation of a Gaussian N(0, feature_prior**2) prior on each feature
        coefficient (ridge ``1 / feature_prior**2``; needs ``features``). arena-rank's
        ``ContextualBradleyTerry(reg=r)``, whose ridge is on the mean loss, is
        ``feature_prior=1 / sqrt(r * num_battles)`` (its default r = 1.0 shrinks the
        style coefficients strongly).
    reweight : {"none", "inverse_pair"}
        ``"inverse_pair"`` multiplies each battle's weight by ``N / (P * n_pair)``
        (``n_pair`` battles of its pair of models, ``P`` pairs): every pair counts equally.
    models : sequence, optional
        All models that should be rated; a model in it without battles is an error.
    anchor : (model, rating), optional
        Shift the Elo-scale ratings so that this model has this rating (FastChat's
        leaderboard anchored mixtral-8x7b-instruct-v0.1 at 1114).
    scale, base, init_rating : float
        The Elo scale: ``rating = scale / ln(base) * logit + init_rating``.
    reps : int
        Bootstrap replicates (0: none; the intervals are then the sandwich's normal ones).
    confidence : float
        Coverage of the intervals, in (0, 1).
    seed : int, numpy Generator, or None
        Seed of the bootstrap; the seed used is returned.
    n_threads : int or None
        Threads (None: all usable cores). Results do not depend on it.
    client : dask.distributed.Client, optional
        Split the bootstrap replicates over a Dask cluster; bit-identical to the local run.

    Returns
    -------
    BradleyTerryResult

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, unknown outcome labels, self-battles, negative weights,
        a model in ``models`` without battles, a disconnected comparison graph or an
        infinite MLE (all battles of some models won, or lost) without ``prior``,
        scores strictly between 0 and 1 with a ties model, fewer than two models.
    TypeError
        Arguments of the wrong type.
    """
    a_names = _labels(model_a, "model_a", None)
    n = a_names.shape[0]
    b_names = _labels(model_b, "model_b", n)
    if n == 0:
        raise ValueError("no battles: model_a is empty")
    if ties not in _TIE_CODES:
        raise ValueError(f"ties must be one of {', '.join(_TIE_CODES)}, got {ties!r}")
    if reweight not in ("none", "inverse_pair"):
        raise ValueError(f"reweight must be 'none' or 'inverse_pair', got {reweight!r}")
    score = _outcome_scores(outcome, n)
    if ties != "half" and not _categorical(score):
        raise ValueError(f"ties={ties!r} needs outcomes win / tie / loss (scores 0, 0.5, 1), not fractional scores")
    names, codes = _factorize(np.concatenate([a_names, b_names]))
    a, b = codes[:n], codes[n:]
    if models is not None:
        listed = list(models)
        battle_models = set(names.tolist())
        unknown = [x for x in battle_models if x not in set(listed)]
        if unknown:
            raise ValueError(f"battles name models missing from models: {sorted(map(str, unknown))[:5]}")
        idle = [x for x in listed if x not in battle_models]
        if idle:
            raise ValueError(f"models {idle[:5]} never play in any battle: their ratings are not identified")
    self_battles = np.flatnonzero(a == b)
    if self_battles.size:
        raise ValueError(
            f"{self_battles.size} self-battles (model_a == model_b), the first at battle {int(self_battles[0])} "
            f"({names[a[self_battles[0]]]!r}); drop them"
        )
    m = len(names)
    if m < 2:
        raise ValueError("need at least two models")
    w: NDArray[np.float64] | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64) if np.asarray(weights).dtype.kind in "fiub" else None
        if w is None:
            raise TypeError(f"weights must hold real numbers, got dtype {np.asarray(weights).dtype}")
        if w.shape != (n,):
            raise ValueError(f"weights must have one entry per battle ({n}), got shape {w.shape}")
        if not (np.isfinite(w) & (w >= 0)).all():
            raise ValueError("weights must be finite and non-negative")
    if reweight == "inverse_pair":
        pair = np.minimum(a, b) * m + np.maximum(a, b)
        _, pair_index, pair_count = np.unique(pair, return_inverse=True, return_counts=True)
        factor = n / (len(pair_count) * pair_count[pair_index.ravel()])
        w = factor if w is None else w * factor
    x, names_of_features = _as_features(features, feature_names, n)
    ridge = _ridge_of(prior, "prior")
    feature_ridge = _ridge_of(feature_prior, "feature_prior")
    if feature_ridge > 0 and x.shape[1] == 0:
        raise ValueError("feature_prior is a prior on the style coefficients: pass features= as well")
    _check_elo_constants(scale=scale, base=base, init_rating=init_rating)
    reps = check_optional_reps(reps)
    level = check_confidence(confidence)
    threads = resolve_threads(n_threads)
    name_list = names.tolist()
    if anchor is not None:
        if not (isinstance(anchor, tuple) and len(anchor) == 2) or anchor[0] not in name_list:
            raise ValueError(f"anchor must be (model, rating) with a model that plays, got {anchor!r}")
        rating = anchor[1]
        if isinstance(rating, bool) or not isinstance(rating, numbers.Real) or not math.isfinite(rating):
            raise ValueError(f"anchor: the rating must be a finite number, got {rating!r}")
    cells = _deduplicate(a, b, score, w, x, m)
    if ridge == 0.0:
        # On the cells: the same graph as the battles', in far fewer edges.
        kept = cells.weight > 0
        _check_identified(name_list, cells.a[kept], cells.b[kept], cells.outcome[kept])
    tie_code = _TIE_CODES[ties]
    k = x.shape[1]
    p = m + k + (tie_code != 0)
    start = np.zeros(p)
    params, code, iterations, loglik = _core.arena.fit(
        *cells.arrays(), m, start, tie_code, ridge, feature_ridge, TOL, MAX_ITER
    )
    if code != 0:
        hint = "" if ridge > 0 else "; pass prior= (e.g. prior=1.0) for finite ratings"
        raise ValueError(
            f"the Bradley-Terry fit {_FIT_CODES[code]} after {iterations} Newton iterations: the "
            f"maximum-likelihood estimate does not exist (separated data or collinear features){hint}"
        )
    info, meat = _core.arena.information(*cells.arrays(), m, params, tie_code)
    bread = _pinv_ratings(info, m, ridge, k, feature_ridge)
    sandwich = bread @ meat @ bread
    model_cov = bread
    elo_factor = float(scale) / math.log(float(base))
    logit = params[:m].copy()
    transform = np.eye(m)
    if anchor is not None:
        anchor_index = name_list.index(anchor[0])
        target = (float(anchor[1]) - float(init_rating)) / elo_factor
        logit += target - logit[anchor_index]
        transform[:, anchor_index] -= 1.0
    ratings = elo_factor * logit + float(init_rating)
    se = elo_factor * np.sqrt(np.maximum(np.diag(transform @ sandwich[:m, :m] @ transform.T), 0.0))
    se_model = elo_factor * np.sqrt(np.maximum(np.diag(transform @ model_cov[:m, :m] @ transform.T), 0.0))
    coefficients = params[m : m + k].copy()
    coefficient_se = np.sqrt(np.maximum(np.diag(sandwich)[m : m + k], 0.0))
    tie_parameter = None
    tie_log = float(params[-1]) if tie_code else 0.0
    if tie_code == 1:
        tie_parameter = math.exp(math.exp(tie_log))
    elif tie_code == 2:
        tie_parameter = math.exp(tie_log)
    rank = 1 + (ratings[np.newaxis, :] > ratings[:, np.newaxis]).sum(axis=1)

    extra: dict[str, Any] = {}
    if reps > 0:
        if int(cells.multiplicity.sum()) >= 2**32:
            raise ValueError(f"the bootstrap takes fewer than 2**32 battles, got {int(cells.multiplicity.sum())}")
        check_replicate_memory(reps, p + 1, threads)
        used_seed = resolve_seed(seed)
        out = map_replicates(
            _bootstrap_chunk,
            list(cells.arrays()),
            [m, params, tie_code, ridge, feature_ridge, used_seed],
            reps,
            client,
            threads,
        )
        ok = out[:, -1] == 0
        failed = int(reps - ok.sum())
        if failed == reps:
            raise ValueError("no bootstrap replicate could be fitted; pass prior= for finite ratings")
        if failed:
            warnings.warn(
                f"{failed} of {reps} bootstrap replicates could not be fitted (a model without battles in the "
                "resample or separated data) and were dropped; prior= avoids this",
                ConvergenceWarning,
                stacklevel=2,
            )
        boot = out[ok, :m]
        if anchor is not None:
            boot = boot + (target - boot[:, [anchor_index]])
        replicates = elo_factor * boot + float(init_rating)
        interval = intervals(ratings, replicates, "percentile", level, n_threads=threads).T
        summary = rank_summary(replicates, confidence=level)
        extra = dict(
            seed=used_seed,
            replicates=replicates,
            coefficient_replicates=out[ok, m : m + k],
            rank_interval=summary.rank_interval,
            rank_probabilities=summary.rank_probabilities,
            p_best=summary.p_best,
            expected_rank=summary.expected_rank,
            failed_replicates=failed,
        )
    else:
        z = NormalDist().inv_cdf(0.5 + level / 2.0)
        interval = np.column_stack([ratings - z * se, ratings + z * se])
    rank_ub = 1 + (interval[np.newaxis, :, 0] > interval[:, np.newaxis, 1]).sum(axis=1)
    return BradleyTerryResult(
        models=tuple(name_list),
        ratings=ratings,
        logit=logit,
        se=se,
        se_model=se_model,
        covariance=sandwich,
        coefficients=coefficients,
        coefficient_se=coefficient_se,
        feature_names=names_of_features,
        tie_parameter=tie_parameter,
        ties=ties,
        rank=rank.astype(np.int64),
        rank_ub=rank_ub.astype(np.int64),
        interval=interval,
        confidence=level,
        loglik=float(
            loglik
            + 0.5 * ridge * float(params[:m] @ params[:m])
            + 0.5 * feature_ridge * float(params[m : m + k] @ params[m : m + k])
        ),
        iterations=int(iterations),
        num_battles=n,
        num_cells=len(cells.a),
        elo_factor=elo_factor,
        init_rating=float(init_rating),
        _tie_log=tie_log,
        **extra,
    )


def from_battles(
    frame: Any,
    *,
    a: str = "model_a",
    b: str = "model_b",
    winner: str = "winner",
    weights: str | None = None,
    features: Sequence[str] | None = None,
    **options: Any,
) -> BradleyTerryResult:
    """:func:`bradley_terry` of a long-format battle table (one row per battle).

    Parameters
    ----------
    frame : pandas.DataFrame or mapping of column name to array
        The battles.
    a, b, winner : str
        Columns of the two models and the outcome (labels or scores, as ``outcome``).
    weights : str, optional
        Column of battle weights.
    features : sequence of str, optional
        Columns of per-battle features (style control); they name the coefficients.
    **options
        Passed to :func:`bradley_terry` (``ties``, ``prior``, ``reps``, ``seed``, ...).

    Returns
    -------
    BradleyTerryResult

    Raises
    ------
    ValueError
        A missing column, or anything :func:`bradley_terry` refuses.
    TypeError
        If ``frame`` is neither a DataFrame nor a mapping.
    """
    if not (isinstance(frame, Mapping) or hasattr(frame, "columns")):
        raise TypeError(f"frame must be a pandas DataFrame or a mapping of columns, got {type(frame).__name__}")
    columns = set(frame.keys()) if isinstance(frame, Mapping) else set(frame.columns)
    wanted = [a, b, winner] + ([weights] if weights is not None else []) + list(features or [])
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(f"frame has no column(s) {missing}; it has {sorted(map(str, columns))[:10]}")
    x = None
    if features:
        x = np.column_stack([np.asarray(frame[c], dtype=np.float64) for c in features])
    return bradley_terry(
        np.asarray(frame[a]),
        np.asarray(frame[b]),
        np.asarray(frame[winner]),
        weights=None if weights is None else np.asarray(frame[weights]),
        features=x,
        feature_names=list(features) if features else None,
        **options,
    )


def online_elo(
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    *,
    k: float = 4.0,
    scale: float = 400.0,
    base: float = 10.0,
    init_rating: float = 1000.0,
) -> dict[Any, float]:
    """Online Elo over the battles in their order (FastChat's ``compute_elo``).

    Before each battle the expected scores are ``e_a = 1 / (1 + base ** ((r_b - r_a) / scale))``
    and ``e_b`` likewise; then ``r_a += k * (s - e_a)`` and ``r_b += k * (1 - s - e_b)``.
    Unlike the Bradley-Terry fit the result depends on the battles' order.

    Parameters
    ----------
    model_a, model_b, outcome : array_like, ``(num_battles,)``
        As for :func:`bradley_terry`.
    k, scale, base, init_rating : float
        The update step, the Elo scale and base, and every model's starting rating.

    Returns
    -------
    dict
        Model -> final rating, models in order of first appearance (a before b).

    Raises
    ------
    ValueError
        As for :func:`bradley_terry`'s battle arguments (lengths, NaN, labels).
    """
    a_names = _labels(model_a, "model_a", None)
    n = a_names.shape[0]
    b_names = _labels(model_b, "model_b", n)
    score = _outcome_scores(outcome, n)
    _check_elo_constants(k=k, scale=scale, base=base, init_rating=init_rating)
    interleaved = np.column_stack([a_names, b_names]).ravel() if n else np.array([])
    names, codes = _factorize(interleaved)
    first = np.full(len(names), codes.size, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(codes.size))
    order = np.argsort(first, kind="stable")
    position = np.empty(len(names), dtype=np.int32)
    position[order] = np.arange(len(names), dtype=np.int32)
    battle_codes = position[codes]
    ratings = _core.arena.online_elo(
        battle_codes[0::2],
        battle_codes[1::2],
        score,
        np.full(len(names), float(init_rating)),
        float(k),
        float(scale),
        float(base),
    )
    return {names[i].item() if hasattr(names[i], "item") else names[i]: float(ratings[position[i]]) for i in order}


def style_features(
    a_counts: ArrayLike, b_counts: ArrayLike, *, ratio: bool | Sequence[bool] = True, add_one: bool = True
) -> NDArray[np.float64]:
    """LMArena's style-control covariates from per-battle counts of each response.

    For each feature (tokens, headers, list items, bold spans...) the difference
    ``a - b``, divided by ``a + b (+ 1)`` where ``ratio`` says so, then standardised
    to mean 0 and (population) standard deviation 1 over the battles, as FastChat's
    ``preprocess_for_style`` does. Pass the result as ``features=`` to
    :func:`bradley_terry`.

    Parameters
    ----------
    a_counts, b_counts : array_like, ``(num_battles,)`` or ``(num_battles, num_features)``
        The counts of model a's and model b's responses.
    ratio : bool or sequence of bool
        Whether to normalise each feature's difference by its sum (one flag, or one per feature).
    add_one : bool
        Add 1 to the sums (no division by zero for two empty responses).

    Returns
    -------
    ndarray, ``(num_battles, num_features)``

    Raises
    ------
    ValueError
        Shapes that differ, non-finite counts, a feature constant over the battles.
    """
    a = np.asarray(a_counts, dtype=np.float64)
    b = np.asarray(b_counts, dtype=np.float64)
    if a.ndim == 1:
        a, b = a[:, np.newaxis], b.reshape(-1, 1) if b.ndim == 1 else b
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(
            f"a_counts and b_counts must have one shape (num_battles[, num_features]), got {a.shape}, {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("a_counts and b_counts must be finite")
    flags = np.broadcast_to(np.asarray(ratio, dtype=bool), (a.shape[1],))
    diff = a - b
    total = a + b + (1.0 if add_one else 0.0)
    diff[:, flags] = diff[:, flags] / total[:, flags]
    sd = diff.std(axis=0)
    if (sd == 0).any():
        raise ValueError(f"style feature(s) {np.flatnonzero(sd == 0).tolist()} are constant over the battles")
    return np.asarray((diff - diff.mean(axis=0)) / sd, dtype=np.float64)
