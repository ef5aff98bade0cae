"""The stratified bootstrap on a Dask LocalCluster against the same run locally.

    python bench/bench_dask.py [--workers 2] [--reps 200000]

Prints the time of the local run (all threads), of the cluster run, the
overhead, and checks that both give bit-identical replicates.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import precipice
from precipice import bootstrap as pb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=200_000)
    args = parser.parse_args()
    import distributed

    scores = precipice.datasets.atari100k()["SPR"]
    metrics = ["iqm", "median", "mean", "optimality_gap"]
    # The local run goes first: idle worker processes of a running cluster still
    # take CPU time (heartbeats, BLAS threads) from a machine this small.
    start = time.perf_counter()
    local = pb.interval_estimates(scores, metrics, reps=args.reps, seed=0, return_replicates=True)
    local_s = time.perf_counter() - start
    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pb.interval_estimates(scores, metrics, reps=1_000, seed=0, client=client)  # warm the workers
        start = time.perf_counter()
        remote = pb.interval_estimates(scores, metrics, reps=args.reps, seed=0, return_replicates=True, client=client)
        remote_s = time.perf_counter() - start
    same = np.array_equal(local.replicates, remote.replicates)
    print(f"SPR (100 x 26), 4 metrics, {args.reps:,} replicates, {args.workers} worker processes\n")
    print("| run | seconds | identical replicates |")
    print("|---|---:|---|")
    print(f"| local, all threads | {local_s:.2f} | |")
    print(f"| Dask LocalCluster | {remote_s:.2f} | {'yes' if same else 'NO'} |")
    print(f"\noverhead of the cluster run: {remote_s / local_s:.2f}x the local time")


if __name__ == "__main__":
    main()
