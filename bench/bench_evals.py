"""Item-level evaluation statistics, side by side with the tools they replace, on
the same data in the same process:

- lm-evaluation-harness's bootstrap_stderr (a Python loop: every replicate
  re-scores a resampled item list with scikit-learn) against
  precipice.compat.lm_eval.bootstrap_stderr, for F1 and MCC of 1,000 items at
  100,000 iterations. lm-eval's loop is timed on --lm-iters replicates and compared
  per replicate (100,000 of them take it several minutes).
- scipy.stats.bootstrap against precipice.compat.scipy.bootstrap: a BCa interval
  of the mean of 14,000 values, and of a 0/1 accuracy mean.

lm-eval is used when ``lm_eval.api.metrics`` imports (``pip install --no-deps
lm-eval`` is enough for it: it needs numpy, sacrebleu and, for F1/MCC,
scikit-learn); otherwise its single-process loop (``_bootstrap_internal_no_mp``)
is rebuilt here step for step: ``random.Random(chunk)``, ``rnd.choices(xs,
k=len(xs))`` per replicate, scikit-learn's metric on the unzipped pairs, and the
sample standard deviation of the replicates.

    python bench/bench_evals.py [--lm-iters 300] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import os
import random

import numpy as np
from _timing import best_time


def lm_eval_reference():
    """(bootstrap_stderr, f1_score, matthews_corrcoef, label) from lm-eval, or the
    same loop rebuilt on scikit-learn."""
    os.environ["DISABLE_MULTIPROC"] = "1"  # one process: per-replicate cost, no pool start-up
    try:
        from lm_eval.api import metrics

        return metrics.bootstrap_stderr, metrics.f1_score, metrics.matthews_corrcoef, "lm-eval"
    except ImportError:
        pass
    from sklearn.metrics import f1_score as sk_f1
    from sklearn.metrics import matthews_corrcoef as sk_mcc

    def f1_score(items):
        golds, preds = list(zip(*items))
        return np.max(sk_f1(golds, preds))

    def matthews_corrcoef(items):
        golds, preds = list(zip(*items))
        return sk_mcc(golds, preds)

    def bootstrap_stderr(f, xs, iters):
        res = []
        chunk_size = min(1000, iters)
        for i in range(iters // chunk_size):
            rnd = random.Random(i)
            for _ in range(chunk_size):
                res.append(f(rnd.choices(xs, k=len(xs))))
        mu = sum(res) / len(res)
        return math.sqrt(sum((x - mu) ** 2 for x in res) / (len(res) - 1))

    return bootstrap_stderr, f1_score, matthews_corrcoef, "lm-eval loop (rebuilt)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="items for the lm-eval comparison")
    parser.add_argument("--iters", type=int, default=100_000, help="precipice bootstrap iterations")
    parser.add_argument("--lm-iters", type=int, default=300, help="lm-eval replicates timed (per-replicate cost)")
    parser.add_argument("--values", type=int, default=14_000, help="values for the scipy comparison")
    parser.add_argument("--resamples", type=int, default=9999, help="scipy n_resamples")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="precipice n_threads (default: all cores)")
    args = parser.parse_args()

    import scipy
    import scipy.stats
    from precipice import has_openmp
    from precipice.compat import lm_eval as pl
    from precipice.compat import scipy as ps

    rng = np.random.default_rng(0)
    rows = []

    # lm-eval: bootstrap stderr of F1 and MCC of (gold, pred) pairs.
    bootstrap_stderr, lm_f1, lm_mcc, label = lm_eval_reference()
    gold = rng.integers(0, 2, args.items)
    pred = np.where(rng.random(args.items) < 0.8, gold, 1 - gold)
    items = list(zip(gold.tolist(), pred.tolist()))
    for name, lm_func in (("f1", lm_f1), ("mcc", lm_mcc)):
        t_ref, se_ref = best_time(lambda: bootstrap_stderr(lm_func, items, args.lm_iters), 1)
        t_ours, se_ours = best_time(
            lambda: pl.bootstrap_stderr(lm_func, items, args.iters, n_threads=args.threads), args.repeat
        )
        per_ref, per_ours = t_ref / args.lm_iters, t_ours / args.iters
        rows.append(
            (
                f"bootstrap stderr of {name}, {args.items} items",
                label,
                f"{per_ref * 1e6:.0f} µs/replicate ({args.lm_iters} reps: {t_ref:.2f} s)",
                f"{per_ours * 1e6:.3f} µs/replicate ({args.iters} reps: {t_ours * 1e3:.1f} ms)",
                per_ref / per_ours,
                f"se {se_ref:.4f} vs {se_ours:.4f}",
            )
        )

    # scipy: BCa intervals of a mean.
    x = rng.normal(size=args.values)
    acc = (rng.random(args.values) < 0.7).astype(float)
    for name, data in (
        (f"BCa interval of a mean, {args.values} values", x),
        (f"BCa interval of a 0/1 accuracy mean, {args.values} values", acc),
    ):
        t_ref, ref = best_time(lambda: scipy.stats.bootstrap((data,), np.mean, n_resamples=args.resamples, rng=1), 1)
        t_ours, ours = best_time(
            lambda: ps.bootstrap((data,), np.mean, n_resamples=args.resamples, rng=1, n_threads=args.threads),
            args.repeat,
        )
        ci_ref, ci_ours = ref.confidence_interval, ours.confidence_interval
        rows.append(
            (
                name,
                f"scipy {scipy.__version__}",
                f"{t_ref:.2f} s",
                f"{t_ours * 1e3:.1f} ms",
                t_ref / t_ours,
                f"[{ci_ref.low:.4f}, {ci_ref.high:.4f}] vs [{ci_ours.low:.4f}, {ci_ours.high:.4f}]",
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
