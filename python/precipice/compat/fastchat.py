"""Drop-in replacements for FastChat / Chatbot Arena's rating functions.

FastChat's ``fastchat/serve/monitor/elo_analysis.py`` (``compute_elo_mle_with_tie``)
and the Chatbot Arena notebook (``compute_mle_elo``) fit Bradley-Terry ratings
with scikit-learn's ``LogisticRegression`` on a duplicated design: per ordered
pair of models, a row "a beats b" weighted ``2 * wins + ties``, so a tie is
half a win each way. ``get_bootstrap_result`` refits on
``battles.sample(frac=1.0, replace=True)`` in a Python loop; ``compute_elo`` is
online Elo with K = 4. Same signatures, DataFrame columns (``model_a``,
``model_b``, ``winner`` with ``"model_a"``, ``"model_b"``, ``"tie"``,
``"tie (bothbad)"``), outputs and ordering here; the fits and the bootstrap run
natively (:func:`precipice.arena.bradley_terry`), converged to 1e-10 on the logit
scale where scikit-learn stops at its default ``tol``.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Callable

import numpy as np

from .. import arena

__all__ = ["GenericPathWarning", "compute_elo", "compute_mle_elo", "get_bootstrap_result"]

# FastChat's leaderboard pins this model's rating.
ANCHOR_MODEL = "mixtral-8x7b-instruct-v0.1"
ANCHOR_RATING = 1114.0
_TIES = ("tie", "tie (bothbad)")


class GenericPathWarning(UserWarning):
    """A rating function is refitted in Python on every bootstrap round, not natively."""


def _battle_columns(df: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for column in ("model_a", "model_b", "winner"):
        if column not in df.columns:
            raise ValueError(f"battles need a {column!r} column (FastChat's model_a, model_b, winner)")
    return np.asarray(df["model_a"]), np.asarray(df["model_b"]), np.asarray(df["winner"])


def _checked_battles(df: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns, with FastChat's four winner labels only and no self-battles
    (FastChat's fit drops both silently)."""
    a_col, b_col, winner = _battle_columns(df)
    for column, values in (("model_a", a_col), ("model_b", b_col)):
        missing = np.flatnonzero(np.asarray([v is None or (isinstance(v, float) and math.isnan(v)) for v in values]))
        if missing.size:
            raise ValueError(f"{column}: {missing.size} battles name no model, the first in row {int(missing[0])}")
    labels = set(np.unique(winner.astype(str)).tolist())
    unknown = sorted(labels - {"model_a", "model_b", *_TIES})
    if unknown:
        raise ValueError(f"unexpected winner labels {unknown[:5]}; FastChat's are model_a, model_b, tie, tie (bothbad)")
    same = np.flatnonzero(a_col == b_col)
    if same.size:
        raise ValueError(f"{same.size} self-battles (model_a == model_b), the first in row {int(same[0])}; drop them")
    return a_col, b_col, winner


def _checked_constants(**values: object) -> None:
    """FastChat's Elo constants as it names them: finite, SCALE > 0, BASE > 1, K >= 0."""
    for label, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{label} must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise ValueError(f"{label} must be finite, got {value!r}")
    if "SCALE" in values and not float(values["SCALE"]) > 0:  # type: ignore[arg-type]
        raise ValueError(f"SCALE must be positive, got {values['SCALE']!r}")
    if "BASE" in values and not float(values["BASE"]) > 1:  # type: ignore[arg-type]
        raise ValueError(f"BASE must be above 1, got {values['BASE']!r}")
    if "K" in values and not float(values["K"]) >= 0:  # type: ignore[arg-type]
        raise ValueError(f"K must be at least 0, got {values['K']!r}")


def _win_table(df: Any) -> Any:
    """FastChat's ptbl_win = 2 a-wins + 2 b-wins (transposed) + ties (symmetrised), with
    its pandas alignment: an entry is NaN, and its pair left out of the fit, unless
    its row and column models occur in all three tables."""
    import pandas as pd

    def counts(rows: Any) -> Any:
        return pd.pivot_table(df[rows], index="model_a", columns="model_b", aggfunc="size", fill_value=0)

    a_wins = counts(df["winner"] == "model_a")
    tie_rows = df["winner"].isin(_TIES)
    if tie_rows.any():
        ties = counts(tie_rows)
        ties = ties + ties.T
    else:  # the Arena notebook's convention: no ties, a zero table
        ties = pd.DataFrame(0, index=a_wins.index, columns=a_wins.columns)
    b_wins = counts(df["winner"] == "model_b")
    return a_wins * 2 + b_wins.T * 2 + ties


def compute_mle_elo(
    df: Any, SCALE: float = 400, BASE: float = 10, INIT_RATING: float = 1000, sample_weight: Any = None
) -> Any:
    """Bradley-Terry (maximum-likelihood) Elo ratings, FastChat's ``compute_mle_elo``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per battle: ``model_a``, ``model_b``, ``winner`` (``"model_a"``,
        ``"model_b"``, ``"tie"``, ``"tie (bothbad)"``).
    SCALE, BASE, INIT_RATING : float
        ``rating = SCALE * log_BASE(strength) + INIT_RATING``.
    sample_weight : None
        Accepted and ignored, as FastChat does (its fit builds its own weights); give
        per-battle weights to :func:`precipice.arena.bradley_terry` instead.

    Returns
    -------
    pandas.Series
        Rating per model, highest first; ``mixtral-8x7b-instruct-v0.1``, when present,
        is shifted to 1114 with everyone else.

    Raises
    ------
    ValueError
        A missing column, an unknown winner label, self-battles, or ratings that are not
        finite without a prior (a disconnected comparison graph, a model that won or
        lost all its battles), where scikit-learn would return unconverged numbers.
    """
    import pandas as pd

    if sample_weight is not None:
        warnings.warn(
            "sample_weight is ignored, as in FastChat's compute_mle_elo; pass weights= to "
            "precipice.arena.bradley_terry for weighted battles",
            UserWarning,
            stacklevel=2,
        )
    _checked_constants(SCALE=SCALE, BASE=BASE, INIT_RATING=INIT_RATING)
    a_col, b_col, _ = _checked_battles(df)
    table = _win_table(df)
    models = list(table.index)
    weights = table.reindex(index=models, columns=models).to_numpy(dtype=np.float64)
    valid = ~np.isnan(weights) & ~np.isnan(weights.T)
    np.fill_diagonal(valid, False)
    used = valid & (weights > 0)
    rows, cols = np.nonzero(used)
    names = np.asarray(models, dtype=object)
    playing = np.zeros(len(models), dtype=bool)
    playing[rows] = playing[cols] = True
    if not used.any():
        # FastChat's own fit fails here (scikit-learn refuses an empty design).
        raise ValueError(
            "no pair of models is left to fit: FastChat's table lines up a-wins, b-wins and ties by model, "
            "and a model missing from one of them drops its pairs; use precipice.arena.bradley_terry"
        )
    left_out = sorted((set(a_col.tolist()) | set(b_col.tolist())) - {m for m, p in zip(models, playing) if p})
    if left_out:
        warnings.warn(
            f"FastChat's table alignment leaves {len(left_out)} model(s) out of the fit "
            f"({', '.join(map(str, left_out[:5]))}): they get INIT_RATING or no rating, as in FastChat; "
            "precipice.arena.bradley_terry rates every model",
            UserWarning,
            stacklevel=2,
        )
    logit = np.zeros(len(models))
    # Each kept ordered pair (i, j): "i beats j" with FastChat's weight 2 wins + ties.
    fit = arena.bradley_terry(
        names[rows], names[cols], np.ones(len(rows)), weights=weights[rows, cols], scale=SCALE, base=BASE
    )
    position = {m: k for k, m in enumerate(fit.models)}
    for i in np.flatnonzero(playing):
        logit[i] = fit.logit[position[models[i]]]
    ratings = SCALE / math.log(BASE) * logit + INIT_RATING
    if ANCHOR_MODEL in models:
        ratings += ANCHOR_RATING - ratings[models.index(ANCHOR_MODEL)]
    return pd.Series(ratings, index=table.index).sort_values(ascending=False)


def _native_options(func: Callable[..., Any]) -> dict[str, Any] | None:
    """compute_mle_elo's keyword arguments when func is it (or a partial of it)."""
    if func is compute_mle_elo:
        return {}
    if isinstance(func, functools.partial) and func.func is compute_mle_elo and not func.args:
        if set(func.keywords) <= {"SCALE", "BASE", "INIT_RATING"}:
            return dict(func.keywords)
    return None


def get_bootstrap_result(battles: Any, func_compute_elo: Callable[[Any], Any], num_round: int = 1000) -> Any:
    """Bootstrap ratings, FastChat's ``get_bootstrap_result``: ``num_round`` refits on
    battles resampled with replacement.

    With ``compute_mle_elo`` (or a ``functools.partial`` of it setting SCALE, BASE,
    INIT_RATING) all rounds run in one native call: each round redraws the battles
    as multinomial counts over the unique (model_a, model_b, winner) cells (the same
    distribution as ``battles.sample(frac=1.0, replace=True)``), the seed drawn from
    numpy's global generator (``np.random.seed`` makes it reproducible). Any other
    function is called per round in Python, as FastChat does, with a
    :class:`GenericPathWarning`.

    Parameters
    ----------
    battles : pandas.DataFrame
        As for :func:`compute_mle_elo`.
    func_compute_elo : callable
        DataFrame of battles -> Series (or dict) of ratings.
    num_round : int
        Bootstrap rounds.

    Returns
    -------
    pandas.DataFrame
        One row per round, one column per model, columns ordered by median rating, highest first.

    Raises
    ------
    ValueError
        As for :func:`compute_mle_elo`; ``num_round`` below 1.
    """
    import pandas as pd

    if isinstance(num_round, bool) or not isinstance(num_round, (int, np.integer)) or num_round < 1:
        raise ValueError(f"num_round must be a positive integer, got {num_round!r}")
    options = _native_options(func_compute_elo)
    if options is None:
        warnings.warn(
            f"{getattr(func_compute_elo, '__name__', 'the function')} is refitted in Python on each of the "
            f"{num_round} rounds; precipice.compat.fastchat.compute_mle_elo runs them all natively",
            GenericPathWarning,
            stacklevel=2,
        )
        rows = [func_compute_elo(battles.sample(frac=1.0, replace=True)) for _ in range(int(num_round))]
        frame = pd.DataFrame(rows)
        return frame[frame.median().sort_values(ascending=False).index]
    _checked_constants(**options)
    scale = float(options.get("SCALE", 400))
    base = float(options.get("BASE", 10))
    init = float(options.get("INIT_RATING", 1000))
    a_col, b_col, winner = _checked_battles(battles)
    models = sorted(set(a_col.tolist()) | set(b_col.tolist()))
    anchor = (ANCHOR_MODEL, ANCHOR_RATING) if ANCHOR_MODEL in models else None
    seed = int(np.random.randint(0, 2**63 - 1, dtype=np.int64))
    fit = arena.bradley_terry(
        a_col, b_col, winner, scale=scale, base=base, init_rating=init, anchor=anchor, reps=int(num_round), seed=seed
    )
    assert fit.replicates is not None  # reps >= 1
    frame = pd.DataFrame(fit.replicates, columns=list(fit.models))
    return frame[frame.median().sort_values(ascending=False).index]


def compute_elo(
    battles: Any, K: float = 4, SCALE: float = 400, BASE: float = 10, INIT_RATING: float = 1000
) -> dict[Any, float]:
    """Online Elo over the battles in their order, FastChat's ``compute_elo``.

    Parameters
    ----------
    battles : pandas.DataFrame
        ``model_a``, ``model_b``, ``winner`` columns, in the order the battles happened.
    K, SCALE, BASE, INIT_RATING : float
        FastChat's update step and Elo constants.

    Returns
    -------
    dict
        Model -> rating, in order of first appearance, as FastChat's ``dict(rating)``.

    Raises
    ------
    ValueError
        An unexpected winner label (FastChat raises ``Exception("unexpected vote ...")``).
    """
    a_col, b_col, winner = _battle_columns(battles)
    _checked_constants(K=K, SCALE=SCALE, BASE=BASE, INIT_RATING=INIT_RATING)
    return arena.online_elo(a_col, b_col, winner, k=K, scale=SCALE, base=BASE, init_rating=INIT_RATING)
