"""Calibration metrics, side by side with the tools they replace, on the same
data in the same process:

- point estimates against the ``calibration`` package (Kumar et al., pip
  ``uncertainty-calibration``; HELM's ``ece_10_bin`` is its ``get_ece_em`` with
  ``num_bins=10``) and netcal's ``ECE`` / ``MCE`` when they import;
- a bootstrap interval of the ECE from 1,000 replicates of n = 100,000 items,
  against the loop users write with numpy (draw indices, bin the resample with
  bincount, ECE, percentile), and against the ``calibration`` package called once
  per resample (timed on --package-reps replicates, compared per replicate).

    python bench/bench_calibration.py [--items 100000] [--reps 1000] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _timing import best_time


def numpy_bootstrap_ece(conf, correct, edges, reps, seed):
    """The bootstrap users write: a Python loop over replicates, numpy inside."""
    rng = np.random.default_rng(seed)
    n, bins = conf.size, edges.size - 1
    values = np.empty(reps)
    for r in range(reps):
        rows = rng.integers(0, n, n)
        c, y = conf[rows], correct[rows]
        b = np.searchsorted(edges[1:], c, side="left")
        gap = np.bincount(b, c, bins) - np.bincount(b, y, bins)
        values[r] = np.abs(gap).sum() / n
    return np.percentile(values, [2.5, 97.5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--package-reps", type=int, default=20, help="calibration-package resamples timed")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    from precipice import calibration, has_openmp

    rng = np.random.default_rng(0)
    n = args.items
    conf = rng.beta(5, 2, n)
    # Over-confident in some bins, under-confident in others (with one sign
    # everywhere, the ECE would be |mean(conf) - accuracy| whatever the bins).
    truth = np.clip(conf + 0.1 * np.sin(3 * np.pi * conf), 0.0, 1.0)
    correct = (rng.random(n) < truth).astype(np.int64)
    rows = []

    try:
        import calibration as cal
    except ImportError:
        cal = None
        print("the calibration package (pip install uncertainty-calibration) is not importable: skipped")
    try:
        from netcal import metrics as netcal_metrics
    except ImportError:
        netcal_metrics = None
        print("netcal is not importable (it needs torch): skipped")

    # Point estimates.
    ours_cases = {
        "ECE, 10 equal-width bins": lambda: calibration.ece(conf, correct, bins=10).value,
        "ECE, 10 equal-mass bins (HELM ece_10_bin)": lambda: (
            calibration.ece(conf, correct, bins=10, strategy="quantile").value
        ),
        "debiased L2 error, 15 equal-mass bins": lambda: calibration.l2_calibration_error(conf, correct).value,
        "MCE, 10 equal-width bins": lambda: calibration.mce(conf, correct, bins=10).value,
    }
    refs = {}
    if cal is not None:
        refs["ECE, 10 equal-width bins"] = ("calibration get_ece", lambda: cal.get_ece(conf, correct, num_bins=10))
        refs["ECE, 10 equal-mass bins (HELM ece_10_bin)"] = (
            "calibration get_ece_em",
            lambda: cal.get_ece_em(conf, correct, num_bins=10),
        )
        refs["debiased L2 error, 15 equal-mass bins"] = (
            "calibration get_calibration_error",
            lambda: cal.get_calibration_error(conf, correct),
        )
    if netcal_metrics is not None:
        refs["MCE, 10 equal-width bins"] = ("netcal MCE", lambda: netcal_metrics.MCE(10).measure(conf, correct))
    for case, ours_func in ours_cases.items():
        if case not in refs:
            continue
        label, ref_func = refs[case]
        t_ref, v_ref = best_time(ref_func, args.repeat)
        t_ours, v_ours = best_time(ours_func, args.repeat)
        rows.append(
            (
                f"{case}, n = {n:,}",
                label,
                f"{t_ref * 1e3:.1f} ms",
                f"{t_ours * 1e3:.1f} ms",
                t_ref / t_ours,
                f"{v_ref:.6f} vs {v_ours:.6f}",
            )
        )

    # Bootstrap intervals of the ECE.
    for strategy in ("uniform", "quantile"):
        edges = calibration.bin_edges(conf, correct, bins=10, strategy=strategy)
        t_ref, ci_ref = best_time(lambda: numpy_bootstrap_ece(conf, correct, edges, args.reps, 1), 1)
        t_ours, ours = best_time(
            lambda: calibration.ece(conf, correct, strategy=strategy, reps=args.reps, seed=1, n_threads=args.threads),
            args.repeat,
        )
        rows.append(
            (
                f"ECE interval, {strategy} bins, {args.reps:,} reps, n = {n:,}",
                "numpy loop (bincount)",
                f"{t_ref:.2f} s",
                f"{t_ours * 1e3:.0f} ms",
                t_ref / t_ours,
                f"[{ci_ref[0]:.5f}, {ci_ref[1]:.5f}] vs [{ours.interval[0]:.5f}, {ours.interval[1]:.5f}]",
            )
        )
    if cal is not None:

        def package_loop():
            loop_rng = np.random.default_rng(2)
            for _ in range(args.package_reps):
                pick = loop_rng.integers(0, n, n)
                cal.get_ece_em(conf[pick], correct[pick], num_bins=10)

        t_ref, _ = best_time(package_loop, 1)
        t_ours, _ = best_time(
            lambda: calibration.ece(conf, correct, strategy="quantile", reps=args.reps, seed=1, n_threads=args.threads),
            args.repeat,
        )
        per_ref, per_ours = t_ref / args.package_reps, t_ours / args.reps
        rows.append(
            (
                f"ECE interval, equal-mass bins, n = {n:,}",
                "calibration get_ece_em per resample",
                f"{per_ref * 1e3:.1f} ms/replicate ({args.package_reps} reps: {t_ref:.2f} s)",
                f"{per_ours * 1e3:.3f} ms/replicate",
                per_ref / per_ours,
                "(the package re-derives the edges per resample; precipice keeps the sample's)",
            )
        )

    threads = args.threads or os.cpu_count()
    print(
        f"precipice with {threads} thread(s) (OpenMP: {has_openmp()}); best of {args.repeat} for precipice and the "
        "point estimates, one run of the bootstrap references\n"
    )
    print("| case | reference | reference time | precipice time | speed-up | results (reference vs precipice) |")
    print("|---|---|---|---|---|---|")
    for case, ref, t_ref, t_ours, ratio, check in rows:
        print(f"| {case} | {ref} | {t_ref} | {t_ours} | {ratio:,.1f}x | {check} |")


if __name__ == "__main__":
    main()
