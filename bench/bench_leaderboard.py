"""Leaderboard ranks from item-level scores, side by side with the numpy
bootstrap users write for it, on the same data in the same process:

- precipice.leaderboard.ranks on 200 models x 14,000 items (0/1 scores, 10,000
  paired replicates): means with intervals, rank probabilities, marginal and
  simultaneous rank intervals and tie groups, one native call for the replicates.
- The numpy loop as it is usually written: per replicate, draw item indices with
  ``rng.integers``, take every model's mean over them (``scores[:, idx].mean(1)``),
  then rank the replicate means. It is timed on --numpy-reps replicates and
  compared per replicate (10,000 of them take it minutes).

Both report the peak resident memory of the process after their run: precipice
keeps the scores, the (reps x models) replicate means and per-thread blocks,
never reps x items.

    python bench/bench_leaderboard.py [--models 200] [--items 14000] [--reps 10000]
                                      [--numpy-reps 100] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time

import numpy as np


def numpy_bootstrap(scores: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """Replicate means (reps, models) and their ranks, the way users write it."""
    rng = np.random.default_rng(seed)
    models, items = scores.shape
    means = np.empty((reps, models))
    for r in range(reps):
        idx = rng.integers(0, items, items)
        means[r] = scores[:, idx].mean(axis=1)
    ranks = (-means).argsort(axis=1).argsort(axis=1) + 1
    _ = [np.bincount(ranks[:, m], minlength=models + 1) for m in range(models)]
    return means


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--items", type=int, default=14_000)
    parser.add_argument("--reps", type=int, default=10_000, help="precipice paired replicates")
    parser.add_argument("--numpy-reps", type=int, default=100, help="numpy replicates timed (per-replicate cost)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    from precipice import _core, has_openmp, leaderboard

    rng = np.random.default_rng(0)
    accuracy = np.sort(rng.uniform(0.3, 0.8, args.models))[::-1]
    scores = (rng.random((args.models, args.items)) < accuracy[:, None]).astype(np.float64)
    before = peak_mib()

    best_wall, best_cpu, board = math.inf, math.inf, None
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        board = leaderboard.ranks(scores, reps=args.reps, seed=1, n_threads=args.threads)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    assert board is not None
    ours_peak = peak_mib()

    start = time.perf_counter()
    theirs = numpy_bootstrap(scores, args.numpy_reps, 1)
    t_numpy = time.perf_counter() - start
    numpy_peak = peak_mib()

    per_ours, per_numpy = best_wall / args.reps, t_numpy / args.numpy_reps
    threads = args.threads or os.cpu_count()
    print(
        f"precipice with {threads} thread(s) (OpenMP: {has_openmp()}, kernels: {_core.random_kernels()}); "
        f"best of {args.repeat} for precipice, one run of numpy\n"
    )
    print("| case | numpy loop | precipice | per-replicate speed-up | check (numpy vs precipice) |")
    print("|---|---|---|---|---|")
    se_theirs = theirs.std(axis=0, ddof=1).mean()
    se_ours = board.replicates.std(axis=0, ddof=1).mean()
    print(
        f"| ranks, {args.models} models x {args.items:,} items | "
        f"{per_numpy * 1e3:.1f} ms/replicate ({args.numpy_reps} reps: {t_numpy:.1f} s) | "
        f"{per_ours * 1e6:.0f} µs/replicate ({args.reps:,} reps: {best_wall:.2f} s wall, {best_cpu:.2f} s CPU) | "
        f"{per_numpy / per_ours:,.0f}x | mean se {se_theirs:.5f} vs {se_ours:.5f} |"
    )
    print(
        f"\npeak RSS: {before:.0f} MiB with the scores, {ours_peak:.0f} MiB after precipice "
        f"({args.reps:,} replicates), {numpy_peak:.0f} MiB after the numpy loop"
    )


if __name__ == "__main__":
    main()
