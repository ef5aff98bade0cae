"""Generates python/precipice/data/arena/battles.csv.gz once (fixed seed): 50,000
battles of 20 fictional models drawn from known Elo ratings with Davidson ties
(nu = 0.35) and a length effect (style), and truth.json with those ratings.

    python tools/make_arena_battles.py
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "python" / "precipice" / "data" / "arena"
NAMES = [
    "aurora-70b",
    "basalt-8b",
    "cirrus-405b",
    "delta-mini",
    "ember-34b",
    "fjord-13b",
    "gale-7b",
    "halcyon-72b",
    "iris-1.5-pro",
    "juniper-9b",
    "kestrel-22b",
    "lumen-3b",
    "meridian-32b",
    "nimbus-flash",
    "onyx-123b",
    "pika-2b",
    "quartz-14b",
    "rill-1b",
    "sable-mix-8x7b",
    "tundra-110b",
]
LENGTH_EFFECT = 0.25  # logit per unit of the normalised length difference
NU = 0.35  # Davidson's tie parameter


def main() -> None:
    rng = np.random.default_rng(20261201)
    m, n = len(NAMES), 50_000
    elo = np.round(rng.normal(1050, 90, m), 1)
    logit = (elo - 1000) * math.log(10) / 400
    popularity = rng.dirichlet(np.full(m, 2.0))
    a = rng.choice(m, n, p=popularity)
    b = rng.choice(m - 1, n, p=None)
    b = np.where(b >= a, b + 1, b)
    verbosity = rng.normal(6.0, 0.35, m)
    tokens_a = np.maximum(1, np.round(np.exp(rng.normal(verbosity[a], 0.5)))).astype(int)
    tokens_b = np.maximum(1, np.round(np.exp(rng.normal(verbosity[b], 0.5)))).astype(int)
    style = (tokens_a - tokens_b) / (tokens_a + tokens_b)
    style = (style - style.mean()) / style.std()
    eta = logit[a] - logit[b] + LENGTH_EFFECT * style
    win, tie, loss = np.exp(eta / 2), np.full(n, NU), np.exp(-eta / 2)
    u = rng.random(n) * (win + tie + loss)
    winner = np.where(u < win, "model_a", np.where(u < win + tie, "tie", "model_b"))
    bothbad = (winner == "tie") & (rng.random(n) < 0.4)
    winner = np.where(bothbad, "tie (bothbad)", winner)
    with gzip.open(OUT / "battles.csv.gz", "wt", newline="", compresslevel=9) as f:
        w = csv.writer(f)
        w.writerow(["model_a", "model_b", "winner", "tokens_a", "tokens_b"])
        for row in zip(np.array(NAMES)[a], np.array(NAMES)[b], winner, tokens_a, tokens_b):
            w.writerow(row)
    truth = {"elo": dict(zip(NAMES, elo.tolist())), "length_effect": LENGTH_EFFECT, "davidson_nu": NU}
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
