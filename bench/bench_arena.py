"""Bradley-Terry arena ratings, side by side with the code users run today, on
an arena-scale synthetic table: 1.6M battles of 130 models drawn from known
ratings (each model meets the models near it in release order, so about 22k
unique (model_a, model_b, outcome) cells remain, as on LMArena), 15% ties.

- precipice.arena.bradley_terry: one fit (from the battle arrays, and the
  native Newton fit on the cells alone) and 1,000 bootstrap fits in one call.
- FastChat's current fit (rating_systems.fit_bt: scipy L-BFGS on the unique
  cells, re-stated here) and its older scikit-learn fit (compute_mle_elo on the
  duplicated design, re-stated), timed per fit; FastChat's bootstrap is one such
  fit per round (in a process pool), so its 1,000-round time is the per-fit
  time times 1,000 divided by the cores.
- evalica's bradley_terry (in the test extra), one fit from the battle lists.
- arena-rank (LMArena's current code, when it imports; it pulls jax): one call with
  sandwich intervals, and its bootstrap scaled from one fit per replicate.

    python bench/bench_arena.py [--reps 1000] [--threads N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from _timing import best_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from precipice import arena  # noqa: E402


def arena_table(n_battles: int = 1_600_000, n_models: int = 130, reach: int = 28, seed: int = 0):
    rng = np.random.default_rng(seed)
    true = np.sort(rng.normal(0, 0.8, n_models))[rng.permutation(n_models)]
    a = rng.integers(0, n_models, n_battles)
    offset = rng.integers(1, reach + 1, n_battles) * rng.choice([-1, 1], n_battles)
    b = np.clip(a + offset, 0, n_models - 1)
    b = np.where(b == a, (a + 1) % n_models, b)
    p = 1 / (1 + np.exp(-(true[a] - true[b])))
    outcome = np.where(rng.random(n_battles) < 0.15, 0.5, (rng.random(n_battles) < p) * 1.0)
    return a, b, outcome, true


LN10 = math.log(10.0)


def fastchat_fit_bt(matchups, outcomes, weights, n_models, alpha=LN10, tol=1e-6):
    """FastChat's rating_systems.fit_bt, re-stated: L-BFGS-B on the unique cells."""
    from scipy.optimize import minimize
    from scipy.special import expit

    def loss_and_grad(r):
        logits = alpha * (r[matchups[:, 0]] - r[matchups[:, 1]])
        probs = expit(logits)
        loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * weights).sum()
        g = -alpha * (outcomes - probs) * weights
        grad = np.zeros_like(r)
        np.add.at(grad, matchups[:, [0, 1]], g[:, None] * np.array([1.0, -1.0]))
        return loss, grad

    res = minimize(
        loss_and_grad, np.zeros(n_models), jac=True, method="L-BFGS-B", options={"maxiter": 100, "gtol": tol}
    )
    return res.x


def sklearn_mle(cells_a, cells_b, score, count, n_models, base=10.0):
    """FastChat's compute_mle_elo design (per ordered pair, 'a beats b' weighted
    2 wins + ties, both directions), fitted by scikit-learn as FastChat does."""
    from sklearn.linear_model import LogisticRegression

    wins = np.zeros((n_models, n_models))
    np.add.at(wins, (cells_a, cells_b), 2 * score * count)
    np.add.at(wins, (cells_b, cells_a), 2 * (1 - score) * count)
    i, j = np.nonzero(wins + wins.T)
    X = np.zeros((2 * len(i), n_models))
    X[np.arange(len(i)), i] = math.log(base)
    X[np.arange(len(i)), j] = -math.log(base)
    X[len(i) :] = X[: len(i)]
    Y = np.r_[np.ones(len(i)), np.zeros(len(i))]
    w = np.r_[wins[i, j], wins[j, i]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-6)
        lr.fit(X, Y, sample_weight=w)
    return lr.coef_[0]


def arena_rank_times(a, b, outcome, threads: int, t_boot: float, reps: int) -> None:
    """arena-rank (LMArena's current code): one call with sandwich intervals from
    the battles, and one L-BFGS fit on its deduplicated dataset, which is what its
    bootstrap repeats per replicate (in a process pool; forked after JAX has
    started its threads, that pool deadlocked here, so it is scaled from the fit)."""
    import pandas as pd
    from arena_rank.models.bradley_terry import BradleyTerry  # type: ignore[import-not-found]
    from arena_rank.utils.data_utils import PairDataset  # type: ignore[import-not-found]

    frame = pd.DataFrame({"model_a": a, "model_b": b, "winner": outcome})

    def whole_call():
        dataset = PairDataset.from_pandas(frame, outcome_map=float)
        return BradleyTerry(n_competitors=len(dataset.competitors)).compute_ratings_and_cis(dataset)

    dataset = PairDataset.from_pandas(frame, outcome_map=float)

    def one_fit():
        model = BradleyTerry(n_competitors=len(dataset.competitors))
        model.fit(dataset)
        return model.params["ratings"].block_until_ready()

    whole_call()  # JAX compiles on the first call
    one_fit()
    t_call, _ = best_time(whole_call, 2)
    t_fit, _ = best_time(one_fit, 3)
    print(f"arena-rank one call + sandwich (JAX L-BFGS, from the battles):{t_call * 1e3:8.1f} ms")
    print(
        f"arena-rank one fit on its dataset:                         {t_fit * 1e3:8.1f} ms"
        f"  -> {reps} bootstrap fits on {threads} processes ~ {t_fit * reps / threads:7.1f} s"
        f" (x{t_fit * reps / threads / t_boot:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    threads = args.threads or len(os.sched_getaffinity(0))
    a, b, outcome, true = arena_table()
    print(f"table: {len(a):,} battles, {len(true)} models; {threads} threads; load {os.getloadavg()[0]:.1f}")

    t_full, fit = best_time(lambda: arena.bradley_terry(a, b, outcome, n_threads=threads), args.repeat)
    print(
        f"cells: {fit.num_cells:,}; Newton iterations {fit.iterations}; "
        f"corr(true, fit) {np.corrcoef(true, fit.logit)[0, 1]:.4f}"
    )
    print(f"precipice one fit from battle arrays (dedup + fit + sandwich): {t_full * 1e3:8.1f} ms")
    from precipice import _core

    cells = arena._deduplicate(a.astype(np.int64), b.astype(np.int64), outcome, None, np.zeros((len(a), 0)), 130)
    no_prior = 0.0
    t_fit, _ = best_time(
        lambda: _core.arena.fit(*cells.arrays(), 130, np.zeros(130), 0, no_prior, no_prior, arena.TOL, arena.MAX_ITER),
        args.repeat,
    )
    print(f"precipice one native fit on the cells (from zero):            {t_fit * 1e3:8.1f} ms")
    t_boot, boot = best_time(
        lambda: arena.bradley_terry(a, b, outcome, reps=args.reps, seed=1, n_threads=threads), args.repeat
    )
    print(f"precipice {args.reps} bootstrap fits (whole call):               {t_boot:8.2f} s")

    matchups = np.column_stack([cells.a, cells.b])
    t_scipy, _ = best_time(
        lambda: fastchat_fit_bt(matchups, cells.outcome, cells.multiplicity.astype(float), 130), args.repeat
    )
    print(
        f"FastChat fit_bt (scipy L-BFGS on cells), one fit:            {t_scipy * 1e3:8.1f} ms"
        f"  -> {args.reps} rounds on {threads} cores ~ {t_scipy * args.reps / threads:7.1f} s"
        f"  (x{t_scipy * args.reps / threads / t_boot:.0f})"
    )
    try:
        t_sk, _ = best_time(
            lambda: sklearn_mle(cells.a, cells.b, cells.outcome, cells.multiplicity, 130), max(1, args.repeat - 2)
        )
        print(
            f"FastChat compute_mle_elo (sklearn), one fit:                 {t_sk * 1e3:8.1f} ms"
            f"  -> {args.reps} rounds ~ {t_sk * args.reps / threads:7.1f} s"
            f" (x{t_sk * args.reps / threads / t_boot:.0f})"
        )
    except ImportError:
        print("scikit-learn not installed: FastChat's sklearn fit skipped")
    try:
        import evalica  # type: ignore[import-not-found]

        # Lists: evalica 0.4.2's compiled solver rejects numpy 2.4 arrays.
        winners = [
            evalica.Winner.X if o == 1.0 else evalica.Winner.Y if o == 0.0 else evalica.Winner.Draw for o in outcome
        ]
        xs, ys = a.tolist(), b.tolist()
        t_ev, _ = best_time(lambda: evalica.bradley_terry(xs, ys, winners), 1)
        print(
            f"evalica bradley_terry (Newman's iteration, Rust), one fit:   {t_ev * 1e3:8.1f} ms"
            f"  -> {args.reps} rounds ~ {t_ev * args.reps:7.1f} s (x{t_ev * args.reps / t_boot:.0f})"
        )
    except ImportError:
        print("evalica not installed: skipped")
    try:
        arena_rank_times(a, b, outcome, threads, t_boot, args.reps)
    except ImportError:
        print("arena-rank not installed (it pulls jax): skipped")
    print(f"bootstrap sd of ratings (Elo), median over models: {np.median(boot.replicates.std(axis=0)):.2f}")


if __name__ == "__main__":
    main()
