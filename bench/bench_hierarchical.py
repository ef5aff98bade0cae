"""The hierarchical (nested) bootstrap against plain numpy, as users write it,
on a METR-like design: 20 task families x 10 tasks x 8 runs, every level
resampled (families, tasks within each drawn family, runs within each drawn
task), 10,000 replicates, the mean and the median of the resampled runs.

Three numpy versions, all of the same nested bootstrap:

- "loop": the nested loops of a time-horizon style analysis: per replicate,
  draw the families, then per drawn family its tasks, then per drawn task its
  runs (``rng.integers`` per group). Timed on ``--loop-reps`` replicates and
  compared per replicate.
- "per level": per replicate, each level drawn at once for every selected parent
  (offsets, ``np.repeat``); a loop over replicates and levels only.
- "vectorized": every replicate at once, which needs a balanced design and
  ``reps x n`` memory (the index array of all resamples).

    python bench/bench_hierarchical.py [--reps 10000] [--loop-reps 300] [--repeat 3] [--threads N]

Timings on a shared machine are noisy: run it on a quiet one for figures to quote.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _timing import best_time


def design(families: int, tasks: int, runs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores with a family and a task effect; labels of every run."""
    rng = np.random.default_rng(seed)
    fam = np.repeat(np.arange(families), tasks * runs)
    task = np.tile(np.repeat(np.arange(tasks), runs), families)
    logit = rng.normal(size=families)[fam] + 0.8 * rng.normal(size=families * tasks)[fam * tasks + task]
    scores = (rng.random(fam.size) < 1 / (1 + np.exp(-logit))).astype(float) * rng.uniform(0.5, 1.0, fam.size)
    return scores, fam, task


def numpy_loop(scores: np.ndarray, families: int, tasks: int, runs: int, reps: int, seed: int) -> np.ndarray:
    """Nested loops over the drawn groups of every replicate (balanced layout:
    run r of task t of family f is row (f * tasks + t) * runs + r)."""
    rng = np.random.default_rng(seed)
    out = np.empty((reps, 2))
    for i in range(reps):
        rows = []
        for f in rng.integers(0, families, families):
            for t in rng.integers(0, tasks, tasks):
                base = (f * tasks + t) * runs
                rows.append(base + rng.integers(0, runs, runs))
        sample = scores[np.concatenate(rows)]
        out[i] = sample.mean(), np.median(sample)
    return out


def numpy_per_level(scores: np.ndarray, fam: np.ndarray, task: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """Per replicate, one level at a time for all selected parents at once; any
    nested design (children of each node given by offsets)."""
    rng = np.random.default_rng(seed)
    # Offsets of each level's children (leaves sorted by family, task already).
    node = fam * (task.max() + 1) + task
    _, task_of_leaf = np.unique(node, return_inverse=True)
    task_offsets = np.searchsorted(task_of_leaf, np.arange(task_of_leaf.max() + 2))
    family_of_task = fam[task_offsets[:-1]]
    family_offsets = np.searchsorted(family_of_task, np.arange(fam.max() + 2))
    levels = [np.array([0, fam.max() + 1]), family_offsets, task_offsets]
    out = np.empty((reps, 2))
    for i in range(reps):
        selected = np.zeros(1, dtype=np.int64)
        for offsets in levels:
            start, size = offsets[selected], offsets[selected + 1] - offsets[selected]
            owner_start = np.repeat(start, size)
            owner_size = np.repeat(size, size)
            selected = owner_start + (rng.random(owner_size.size) * owner_size).astype(np.int64)
        sample = scores[selected]
        out[i] = sample.mean(), np.median(sample)
    return out


def numpy_vectorized(scores: np.ndarray, families: int, tasks: int, runs: int, reps: int, seed: int) -> np.ndarray:
    """Every replicate at once (balanced design only; reps x n indices)."""
    rng = np.random.default_rng(seed)
    f = rng.integers(0, families, (reps, families, 1, 1))
    t = rng.integers(0, tasks, (reps, families, tasks, 1))
    r = rng.integers(0, runs, (reps, families, tasks, runs))
    sample = scores[((f * tasks + t) * runs + r).reshape(reps, -1)]
    return np.stack([sample.mean(axis=1), np.median(sample, axis=1)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--loop-reps", type=int, default=300, help="replicates timed for the nested-loop version")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    from precipice import bootstrap as pb
    from precipice import has_openmp

    scores, fam, task = design(args.families, args.tasks, args.runs)
    f, t, r, reps = args.families, args.tasks, args.runs, args.reps

    def ours(threads: int | None) -> np.ndarray:
        est = pb.hierarchical(
            scores,
            [fam, task],
            statistic=["mean", "median"],
            reps=reps,
            seed=1,
            n_threads=threads,
            return_replicates=True,
        )
        assert est.replicates is not None
        return est.replicates

    cpu = time.process_time  # every single-threaded run, precipice's and numpy's, by CPU time
    t_one, rep_one = best_time(lambda: ours(1), args.repeat, cpu)
    t_all, _ = best_time(lambda: ours(args.threads), args.repeat)
    t_mean_only, _ = best_time(
        lambda: pb.hierarchical(scores, [fam, task], reps=reps, seed=1, n_threads=1), args.repeat, cpu
    )
    t_loop, rep_loop = best_time(lambda: numpy_loop(scores, f, t, r, args.loop_reps, 2), 1, cpu)
    t_level, rep_level = best_time(lambda: numpy_per_level(scores, fam, task, args.loop_reps * 4, 3), 1, cpu)
    t_vec, rep_vec = best_time(lambda: numpy_vectorized(scores, f, t, r, reps, 4), 1, cpu)

    per_one, per_all = t_one / reps, t_all / reps
    rows = [
        ("numpy nested loops", t_loop / args.loop_reps, args.loop_reps, rep_loop),
        ("numpy one level at a time", t_level / (args.loop_reps * 4), args.loop_reps * 4, rep_level),
        ("numpy all replicates at once", t_vec / reps, reps, rep_vec),
    ]
    threads = args.threads or os.cpu_count()
    print(
        f"{f} families x {t} tasks x {r} runs ({scores.size} runs), all three levels resampled, mean and median; "
        f"precipice best of {args.repeat}, numpy one run; OpenMP: {has_openmp()}\n"
    )
    print(
        f"precipice: {per_one * 1e6:.2f} µs/replicate on 1 thread (CPU time; {t_one * 1e3:.0f} ms for {reps} "
        f"reps), {per_all * 1e6:.2f} µs/replicate on {threads} threads (wall); the mean alone: "
        f"{t_mean_only / reps * 1e6:.2f} µs/replicate on 1 thread\n"
    )
    print(
        "| numpy version | µs/replicate (CPU) | reps timed | precipice 1 thread | precipice all threads | sd of mean |"
    )
    print("|---|---|---|---|---|---|")
    for name, per, timed, replicates in rows:
        assert isinstance(replicates, np.ndarray)
        print(
            f"| {name} | {per * 1e6:,.1f} | {timed} | {per / per_one:,.0f}x | {per / per_all:,.0f}x | "
            f"{replicates[:, 0].std():.4f} |"
        )
    assert isinstance(rep_one, np.ndarray)
    print(f"| precipice | {per_one * 1e6:,.2f} | {reps} | 1x | | {rep_one[:, 0].std():.4f} |")


if __name__ == "__main__":
    main()
