"""Judge-corrected estimates, ppi_py 0.2.3 and precipice.judge side by side on the
same data in the same process: 500 human-labelled items, 50,000 judged ones, a
binary judge that agrees with the humans on 80% of items.

- ppi_mean_ci (PPI++, power-tuned lambda) against precipice.judge.ppi_mean;
- ppi_quantile_ci (5000-point grid) against precipice.judge.ppi_quantile, on
  fewer unlabelled items (``--quantile-unlabeled``): ppi_py builds an
  (items x grid) indicator matrix, 8 bytes x 5000 per item;
- ppboot(np.mean) (a Python loop over replicates) against precipice.judge.ppboot
  (one native call per set for all replicates), both 1000 replicates.

ppi_py is used when it imports (``pip install ppi-python``; it needs numba,
statsmodels and scikit-learn); otherwise only precipice's times are printed.

    python bench/bench_judge.py [--labeled 500] [--unlabeled 50000] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _timing import best_time


def judged(rng: np.random.Generator, n: int, accuracy: float, agreement: float) -> tuple[np.ndarray, np.ndarray]:
    """(human label, judge verdict) of n items: the judge agrees on ``agreement`` of them."""
    truth = (rng.random(n) < accuracy).astype(float)
    return truth, np.where(rng.random(n) < agreement, truth, 1.0 - truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labeled", type=int, default=500)
    parser.add_argument("--unlabeled", type=int, default=50_000)
    parser.add_argument("--quantile-unlabeled", type=int, default=5_000, help="unlabelled items for the quantile")
    parser.add_argument("--reps", type=int, default=1000, help="bootstrap replicates (both tools)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    from precipice import has_openmp, judge

    try:
        import warnings

        with warnings.catch_warnings():  # ppi_py silences every warning at import
            import ppi_py
    except ImportError:
        ppi_py = None

    rng = np.random.default_rng(0)
    y, yhat = judged(rng, args.labeled, 0.7, 0.8)
    _, yu = judged(rng, args.unlabeled, 0.7, 0.8)
    scores = rng.gamma(2.0, 1.0, args.labeled)
    scores_hat = scores + rng.normal(0.3, 0.5, args.labeled)
    scores_u = rng.gamma(2.0, 1.0, args.quantile_unlabeled) + rng.normal(0.3, 0.5, args.quantile_unlabeled)

    cases = [
        (
            f"PPI++ mean and interval, {args.labeled} + {args.unlabeled:,} items",
            (lambda: ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05)) if ppi_py else None,
            lambda: judge.ppi_mean(y, yhat, yu).interval,
            args.repeat,
        ),
        (
            f"PPI median and interval, {args.labeled} + {args.quantile_unlabeled:,} items",
            (lambda: ppi_py.ppi_quantile_ci(scores, scores_hat, scores_u, 0.5, alpha=0.05)) if ppi_py else None,
            lambda: judge.ppi_quantile(scores, scores_hat, scores_u, 0.5).interval,
            args.repeat,
        ),
        (
            f"PPBoot of a mean, {args.reps} replicates, {args.labeled} + {args.unlabeled:,} items",
            (lambda: ppi_py.ppboot(np.mean, y, yhat, yu, n_resamples=args.reps, alpha=0.05)) if ppi_py else None,
            lambda: judge.ppboot(y, yhat, yu, reps=args.reps, seed=1, n_threads=args.threads).interval,
            args.repeat,
        ),
    ]
    threads = args.threads or os.cpu_count()
    print(
        f"precipice with {threads} thread(s) (OpenMP: {has_openmp()}); best of {args.repeat} for precipice, "
        f"one run of ppi_py {'(not installed)' if ppi_py is None else ''}\n"
    )
    print("| case | ppi_py time | precipice time | speed-up | interval (ppi_py vs precipice) |")
    print("|---|---|---|---|---|")
    for case, theirs, ours, repeat in cases:
        t_ours, ci_ours = best_time(ours, repeat)
        lo, hi = np.ravel(ci_ours)
        if theirs is None:
            print(f"| {case} | - | {t_ours * 1e3:.2f} ms | - | [{lo:.4f}, {hi:.4f}] |")
            continue
        np.random.seed(1)  # ppboot draws from numpy's global generator
        t_ref, ci_ref = best_time(theirs, 1)
        ref_lo, ref_hi = (float(np.ravel(v)[0]) for v in ci_ref)
        print(
            f"| {case} | {t_ref * 1e3:.1f} ms | {t_ours * 1e3:.2f} ms | {t_ref / t_ours:,.0f}x | "
            f"[{ref_lo:.4f}, {ref_hi:.4f}] vs [{lo:.4f}, {hi:.4f}] |"
        )


if __name__ == "__main__":
    main()
