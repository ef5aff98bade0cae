"""Agreement coefficients and paired permutation tests, side by side with what
users write today, on the same data in the same process:

- a bootstrap of Krippendorff's alpha as users write it: a Python loop of
  ``krippendorff.alpha`` calls on resampled units (5 raters x 2,000 units on a
  5-point scale, 10% missing; 1,000 replicates) against
  ``precipice.agreement.krippendorff_alpha(..., reps=1000)``, for the nominal,
  ordinal and interval levels. The ``krippendorff`` package is used when it
  imports (``pip install krippendorff``: numpy only); otherwise the row is skipped.
- the same loop for quadratic-weighted Cohen's kappa with scikit-learn's
  ``cohen_kappa_score`` (2,000 items) against ``precipice.agreement.cohen_kappa``.
- a paired permutation test written as a numpy loop (one random swap mask and
  two means per permutation, as sacrebleu's ``paired_ar`` per trial) against
  ``precipice.evals.paired_permutation_test``, for the mean of 10,000 items and
  a ratio of sums, at 10,000 permutations.

    python bench/bench_agreement.py [--boot-reps 1000] [--perm-reps 10000] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _timing import best_time


def krippendorff_bootstrap(krippendorff, data, level, reps, seed):
    """The loop users write: resample units (columns) with replacement, call alpha."""
    rng = np.random.default_rng(seed)
    units = data.shape[1]
    values = [
        krippendorff.alpha(reliability_data=data[:, rng.integers(0, units, units)], level_of_measurement=level)
        for _ in range(reps)
    ]
    return np.percentile(values, [2.5, 97.5]), np.std(values, ddof=1)


def numpy_permutation_test(a, b, metric, reps, seed):
    """One swap mask and two metrics per permutation; p = (c + 1) / (reps + 1)."""
    rng = np.random.default_rng(seed)
    observed = abs(metric(a) - metric(b))
    count = 0
    for _ in range(reps):
        swap = rng.integers(0, 2, a.shape[0], dtype=bool)
        if a.ndim == 2:
            swap = swap[:, None]
        diff = abs(metric(np.where(swap, b, a)) - metric(np.where(swap, a, b)))
        count += diff >= observed
    return (count + 1) / (reps + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--boot-reps", type=int, default=1000, help="bootstrap replicates of alpha")
    parser.add_argument("--items", type=int, default=10_000, help="items for the permutation test")
    parser.add_argument("--perm-reps", type=int, default=10_000, help="permutations")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    from precipice import agreement, evals, has_openmp

    rng = np.random.default_rng(0)
    rows = []

    truth = rng.integers(1, 6, args.units)
    data = np.where(
        rng.random((args.raters, args.units)) < 0.7, truth, rng.integers(1, 6, (args.raters, args.units))
    ).astype(float)
    data[rng.random(data.shape) < 0.1] = np.nan
    try:
        import krippendorff
    except ImportError:
        krippendorff = None
        print("krippendorff is not installed: its rows are skipped (pip install krippendorff)\n")
    if krippendorff is not None:
        for level in ("nominal", "ordinal", "interval"):
            t_ref, (ci_ref, se_ref) = best_time(
                lambda: krippendorff_bootstrap(krippendorff, data, level, args.boot_reps, 1), 1
            )
            t_ours, ours = best_time(
                lambda: agreement.krippendorff_alpha(data, level, reps=args.boot_reps, seed=1, n_threads=args.threads),
                args.repeat,
            )
            rows.append(
                (
                    f"bootstrap of {level} alpha, {args.raters} x {args.units}, {args.boot_reps} reps",
                    f"krippendorff {getattr(krippendorff, '__version__', '')} in a loop".replace("  ", " "),
                    f"{t_ref:.2f} s",
                    f"{t_ours * 1e3:.1f} ms",
                    t_ref / t_ours,
                    f"se {se_ref:.4f} vs {ours.standard_error:.4f}; "
                    f"[{ci_ref[0]:.4f}, {ci_ref[1]:.4f}] vs [{ours.interval[0]:.4f}, {ours.interval[1]:.4f}]",
                )
            )

    try:
        from sklearn.metrics import cohen_kappa_score
    except ImportError:
        cohen_kappa_score = None
    if cohen_kappa_score is not None:
        ja = rng.integers(1, 6, args.units)
        jb = np.where(rng.random(args.units) < 0.7, ja, rng.integers(1, 6, args.units))

        def sklearn_bootstrap():
            boot = np.random.default_rng(3)
            values = []
            for _ in range(args.boot_reps):
                idx = boot.integers(0, args.units, args.units)
                values.append(cohen_kappa_score(ja[idx], jb[idx], weights="quadratic"))
            return np.std(values, ddof=1)

        t_ref, se_ref = best_time(sklearn_bootstrap, 1)
        t_ours, ours = best_time(
            lambda: agreement.cohen_kappa(
                ja, jb, weights="quadratic", reps=args.boot_reps, seed=3, n_threads=args.threads
            ),
            args.repeat,
        )
        rows.append(
            (
                f"bootstrap of quadratic Cohen's kappa, {args.units} items, {args.boot_reps} reps",
                "scikit-learn cohen_kappa_score in a loop",
                f"{t_ref:.2f} s",
                f"{t_ours * 1e3:.1f} ms",
                t_ref / t_ours,
                f"se {se_ref:.4f} vs {ours.standard_error:.4f}",
            )
        )

    a = rng.normal(size=args.items)
    b = a + rng.normal(0.02, 1.0, args.items)
    den = rng.integers(1, 30, (args.items, 1)).astype(float)
    ra = np.hstack([rng.binomial(den.astype(int), 0.70), den])
    rb = np.hstack([rng.binomial(den.astype(int), 0.69), den])
    for name, x, y, statistic, metric in (
        (f"permutation test of a mean, {args.items} items", a, b, "mean", np.mean),
        (
            f"permutation test of a ratio of sums, {args.items} items",
            ra,
            rb,
            "ratio",
            lambda s: s[:, 0].sum() / s[:, 1].sum(),
        ),
    ):
        t_ref, p_ref = best_time(lambda: numpy_permutation_test(x, y, metric, args.perm_reps, 2), 1)
        t_ours, ours = best_time(
            lambda: evals.paired_permutation_test(
                x, y, statistic=statistic, reps=args.perm_reps, seed=2, n_threads=args.threads
            ),
            args.repeat,
        )
        rows.append(
            (
                f"{name}, {args.perm_reps} permutations",
                "numpy loop",
                f"{t_ref:.2f} s",
                f"{t_ours * 1e3:.1f} ms",
                t_ref / t_ours,
                f"p {p_ref:.4f} vs {ours.p_value:.4f}",
            )
        )

    threads = args.threads or os.cpu_count()
    print(
        f"precipice with {threads} thread(s) (OpenMP: {has_openmp()}); best of {args.repeat} for precipice, "
        "one run of the reference\n"
    )
    print("| case | reference | reference time | precipice time | speed-up | results (reference vs precipice) |")
    print("|---|---|---|---|---|---|")
    for case, ref, t_ref, t_ours, ratio, check in rows:
        print(f"| {case} | {ref} | {t_ref} | {t_ours} | {ratio:,.0f}x | {check} |")


if __name__ == "__main__":
    main()
