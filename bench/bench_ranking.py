"""Rank-based comparisons across tasks, side by side with the tools they
replace, on the same data in the same process:

- scipy.stats.friedmanchisquare against precipice.ranking.friedman;
- scikit-posthocs' posthoc_nemenyi_friedman and posthoc_wilcoxon (Holm)
  against precipice.ranking.nemenyi and precipice.ranking.wilcoxon (a loop of
  scipy.stats.wilcoxon calls plus statsmodels' multipletests when
  scikit-posthocs is not installed);
- autorank's Friedman–Nemenyi analysis (when installed) against friedman +
  nemenyi_cd + critical_difference_cliques;
- the bootstrap over tasks for the stability of a Borda or Kemeny ranking
  against a numpy loop over replicates (Borda: ranks of the resampled tasks;
  Kemeny: the resampled wins matrix scored on every permutation at once).

    python bench/bench_ranking.py [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import itertools
import os

import numpy as np
from _timing import best_time


def wilcoxon_reference():
    """(callable on (num_datasets, num_methods) scores -> Holm-adjusted matrix, label)."""
    try:
        import scikit_posthocs as sp

        return (lambda s: sp.posthoc_wilcoxon(s.T, p_adjust="holm").to_numpy()), "scikit-posthocs"
    except ImportError:
        pass
    import scipy.stats
    from statsmodels.stats.multitest import multipletests

    def loop(scores):
        k = scores.shape[1]
        out = np.ones((k, k))
        i, j = np.triu_indices(k, 1)
        p = [scipy.stats.wilcoxon(scores[:, a], scores[:, b]).pvalue for a, b in zip(i, j)]
        out[i, j] = out[j, i] = multipletests(p, method="holm")[1]
        return out

    return loop, "scipy.stats.wilcoxon loop + statsmodels Holm"


def borda_loop(table: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """(reps, methods) Borda scores of resampled tasks, one replicate at a time."""
    rng = np.random.default_rng(seed)
    n, k = table.shape
    out = np.empty((reps, k))
    for r in range(reps):
        sample = table[rng.integers(0, n, n)]
        beats = (sample[:, :, None] > sample[:, None, :]).sum(axis=2)
        ties = (sample[:, :, None] == sample[:, None, :]).sum(axis=2) - 1
        out[r] = ((beats + 0.5 * ties) / (k - 1)).mean(axis=0)
    return out


def kemeny_loop(table: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """(reps, methods) Kemeny scores of resampled tasks: every permutation's cost at once."""
    rng = np.random.default_rng(seed)
    n, k = table.shape
    perms = np.array(list(itertools.permutations(range(k))))
    a, b = np.triu_indices(k, 1)
    task_wins = (table[:, :, None] > table[:, None, :]).astype(np.float64)
    out = np.empty((reps, k))
    for r in range(reps):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        wins = np.tensordot(counts, task_wins, axes=1)
        best = perms[np.argmin(wins[perms[:, b], perms[:, a]].sum(axis=1))]
        out[r, best] = k - 1 - np.arange(k)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    parser.add_argument("--borda-reps", type=int, default=10_000)
    parser.add_argument("--kemeny-reps", type=int, default=200)
    args = parser.parse_args()

    import scipy
    import scipy.stats
    from precipice import has_openmp, ranking
    from precipice.leaderboard import rank_summary

    rng = np.random.default_rng(0)
    rows = []

    scores = np.round(rng.normal(size=(100, 10)) + np.linspace(0, 1, 10), 2)
    t_ref, ref = best_time(lambda: scipy.stats.friedmanchisquare(*scores.T), args.repeat)
    t_ours, ours = best_time(lambda: ranking.friedman(scores), args.repeat)
    rows.append(
        (
            "Friedman, 100 datasets x 10 methods",
            f"scipy {scipy.__version__}",
            f"{t_ref * 1e3:.2f} ms",
            f"{t_ours * 1e3:.2f} ms",
            t_ref / t_ours,
            f"p {ref.pvalue:.6g} vs {ours.pvalue:.6g}",
        )
    )

    scores = np.round(rng.normal(size=(50, 20)) + np.linspace(0, 1, 20), 2)
    try:
        import scikit_posthocs as sp

        t_ref, ref = best_time(lambda: sp.posthoc_nemenyi_friedman(scores).to_numpy(), args.repeat)
        t_ours, ours = best_time(lambda: ranking.nemenyi(scores).pvalues, args.repeat)
        rows.append(
            (
                "Nemenyi all pairs, 50 datasets x 20 methods",
                "scikit-posthocs",
                f"{t_ref * 1e3:.2f} ms",
                f"{t_ours * 1e3:.2f} ms",
                t_ref / t_ours,
                f"max |diff| {np.abs(ref - ours).max():.1e}",
            )
        )
    except ImportError:
        pass

    reference, label = wilcoxon_reference()
    for n in (30, 80):
        scores = np.round(rng.normal(size=(n, 20)) + np.linspace(0, 1, 20), 2)
        t_ref, ref = best_time(lambda: reference(scores), 1)
        t_ours, ours = best_time(lambda: ranking.wilcoxon(scores).adjusted, args.repeat)
        rows.append(
            (
                f"Wilcoxon + Holm all pairs, {n} datasets x 20 methods",
                label,
                f"{t_ref * 1e3:.1f} ms",
                f"{t_ours * 1e3:.2f} ms",
                t_ref / t_ours,
                f"max |diff| {np.abs(ref - ours).max():.1e}",
            )
        )

    try:
        import pandas as pd
        from autorank import autorank

        scores = rng.normal(size=(30, 8)) + np.linspace(0, 1, 8)
        frame = pd.DataFrame(scores, columns=[f"m{i}" for i in range(8)])

        def ours_autorank():
            result = ranking.friedman(scores)
            cd = ranking.nemenyi_cd(8, 30)
            return result.pvalue, ranking.critical_difference_cliques(result.average_ranks, cd)

        t_ref, ref = best_time(lambda: autorank(frame, alpha=0.05, force_mode="nonparametric", verbose=False), 1)
        t_ours, ours = best_time(ours_autorank, args.repeat)
        rows.append(
            (
                "Friedman + Nemenyi CD + cliques, 30 x 8",
                "autorank (nonparametric)",
                f"{t_ref * 1e3:.1f} ms",
                f"{t_ours * 1e3:.2f} ms",
                t_ref / t_ours,
                f"p {ref.pvalue:.4g} vs {ours[0]:.4g}",
            )
        )
    except ImportError:
        pass

    table = np.round(rng.normal(size=(50, 10)) + np.linspace(0, 1, 10), 1)
    reps = args.borda_reps
    t_ref, ref = best_time(lambda: borda_loop(table, reps, 1), 1)
    t_ours, ours = best_time(lambda: ranking.borda(table, reps=reps, seed=1, n_threads=args.threads), args.repeat)
    rows.append(
        (
            f"Borda stability, 50 tasks x 10 methods, {reps} reps",
            "numpy loop over replicates",
            f"{t_ref:.2f} s",
            f"{t_ours * 1e3:.1f} ms",
            t_ref / t_ours,
            f"P(method 9 best) {rank_summary(ref).p_best[9]:.3f} vs {ours.stability.p_best[9]:.3f}",
        )
    )
    table = np.round(rng.normal(size=(50, 8)) + np.linspace(0, 1, 8), 1)
    reps = args.kemeny_reps
    t_ref, ref = best_time(lambda: kemeny_loop(table, reps, 1), 1)
    t_ours, ours = best_time(lambda: ranking.kemeny(table, reps=reps, seed=1, n_threads=args.threads), args.repeat)
    p_ref = np.mean(ref[:, 7] == 7)
    rows.append(
        (
            f"Kemeny stability (exact), 50 tasks x 8 methods, {reps} reps",
            "numpy loop (all 8! orders per replicate)",
            f"{t_ref:.2f} s",
            f"{t_ours * 1e3:.1f} ms",
            t_ref / t_ours,
            f"P(method 7 best) {p_ref:.3f} vs {ours.stability.p_best[7]:.3f}",
        )
    )

    threads = args.threads or os.cpu_count()
    print(
        f"precipice with {threads} thread(s) (OpenMP: {has_openmp()}); best of {args.repeat} for precipice, "
        "one run of the loop references\n"
    )
    print("| case | reference | reference time | precipice time | speed-up | results (reference vs precipice) |")
    print("|---|---|---|---|---|---|")
    for case, ref_label, t_r, t_o, ratio, check in rows:
        print(f"| {case} | {ref_label} | {t_r} | {t_o} | {ratio:,.0f}x | {check} |")


if __name__ == "__main__":
    main()
