"""Real evaluation data shipped with precipice.

- Atari 100k final scores (26 games) of SPR, DrQ(eps), SimPLe, IRIS and CURL, the
  data of Agarwal et al. (2021), with the human and random reference scores.
- The LSAT6 and LSAT7 response-pattern tables (1000 examinees, 5 items), the
  classic item response theory test data.
- A synthetic arena: 50,000 battles of 20 fictional models drawn once (fixed seed,
  tools/make_arena_battles.py) from known Elo ratings, with ties and response lengths.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from importlib import resources

import numpy as np
from numpy.typing import NDArray

__all__ = ["ATARI_100K_GAMES", "arena_battles", "arena_truth", "atari100k", "atari100k_reference", "lsat"]

_MULTI_RUN = {"SPR": "SPR", "DrQ(eps)": "DrQ_eps", "SimPLe": "SimPLe", "IRIS": "IRIS"}
_SINGLE_RUN = {"EfficientZero": "EfficientZero", "MuZero": "MuZero"}


def _read_json(name: str):
    return json.loads(resources.files("precipice").joinpath("data", "atari100k", name).read_text())


def atari100k_reference() -> tuple[dict[str, float], dict[str, float]]:
    """The human and random reference score of each Atari game.

    Returns
    -------
    human, random : dict of str to float
        Game -> score, for human-normalised scores (s - random) / (human - random).
    """
    human = {g: float(v[0]) for g, v in _read_json("HUMAN.json").items()}
    random = {g: float(v[0]) for g, v in _read_json("RANDOM.json").items()}
    return human, random


ATARI_100K_GAMES: tuple[str, ...] = tuple(_read_json("HUMAN.json"))


def atari100k(normalize: bool = True, *, include_single_run: bool = False) -> dict[str, NDArray[np.float64]]:
    """Atari 100k final scores.

    SPR, DrQ(eps) and CURL have 100 runs, SimPLe and IRIS 5. EfficientZero and
    MuZero report a single run each, too few for a stratified bootstrap.

    Parameters
    ----------
    normalize : bool, default True
        Human-normalised scores ``(s - random) / (human - random)``; False: raw
        game scores.
    include_single_run : bool, default False
        Also EfficientZero and MuZero.

    Returns
    -------
    dict of str to ndarray of float64
        Algorithm -> ``(num_runs, 26)`` scores, games in the order of
        ``ATARI_100K_GAMES``.
    """
    human, random = atari100k_reference()
    games = ATARI_100K_GAMES
    low = np.array([random[g] for g in games])
    span = np.array([human[g] - random[g] for g in games])
    files = dict(_MULTI_RUN)
    if include_single_run:
        files.update(_SINGLE_RUN)
    out = {}
    for algorithm, stem in files.items():
        per_game = _read_json(f"{stem}.json")
        raw = np.array([per_game[g] for g in games], dtype=np.float64).T  # (runs, games)
        out[algorithm] = (raw - low) / span if normalize else raw
    # CURL is published as human-normalised scores, one record per (game, seed).
    records = _read_json("CURL_10_evals.json")
    seeds = sorted({r["seed"] for r in records})
    column = {g: i for i, g in enumerate(games)}
    row = {s: i for i, s in enumerate(seeds)}
    curl = np.full((len(seeds), len(games)), np.nan)
    for r in records:
        curl[row[r["seed"]], column[r["game"]]] = r["HNS"]
    out["CURL"] = curl if normalize else curl * span + low
    return out


def lsat(version: int = 6) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The LSAT6 or LSAT7 table of response patterns.

    Parameters
    ----------
    version : {6, 7}
        Which table.

    Returns
    -------
    patterns : ndarray of int64, ``(32, 5)``
        The 0/1 responses of each pattern.
    counts : ndarray of int64, ``(32,)``
        Examinees per pattern (1000 in all).

    Raises
    ------
    ValueError
        Another version.
    """
    if version not in (6, 7):
        raise ValueError(f"version must be 6 or 7, got {version!r}")
    text = resources.files("precipice").joinpath("data", "irt", f"LSAT{version}.csv").read_text()
    rows = list(csv.reader(text.splitlines()))[1:]
    table = np.array(rows, dtype=np.int64)
    return table[:, :-1], table[:, -1]


def arena_battles() -> dict[str, np.ndarray]:
    """A synthetic battle table: 50,000 battles of 20 fictional models.

    Drawn once with a fixed seed from known Elo ratings (:func:`arena_truth`),
    Davidson ties (nu = 0.35; a share of them labelled "tie (bothbad)") and a
    length effect of 0.25 logit per standard deviation of the normalised token
    difference ``(tokens_a - tokens_b) / (tokens_a + tokens_b)``.

    Returns
    -------
    dict of str to ndarray
        ``model_a``, ``model_b``, ``winner`` (FastChat's labels ``"model_a"``, ``"model_b"``,
        ``"tie"``, ``"tie (bothbad)"``) and ``tokens_a``, ``tokens_b`` (response lengths),
        one entry per battle; ``pandas.DataFrame(arena_battles())`` is FastChat's table.
    """
    raw = resources.files("precipice").joinpath("data", "arena", "battles.csv.gz").read_bytes()
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode())))
    header, body = rows[0], rows[1:]
    columns = list(zip(*body))
    table: dict[str, np.ndarray] = {}
    for name, values in zip(header, columns):
        table[name] = np.array(values, dtype=np.int64 if name.startswith("tokens") else object)
    return table


def arena_truth() -> dict[str, float]:
    """The Elo ratings :func:`arena_battles` was drawn from (logit 0 = 1000, 400 / ln 10 per logit).

    Returns
    -------
    dict of str to float
        Model -> rating.
    """
    truth = json.loads(resources.files("precipice").joinpath("data", "arena", "truth.json").read_text())
    return {str(k): float(v) for k, v in truth["elo"].items()}
