"""Multicore scaling of each pillar's heaviest common call, and a Dask cluster against the local run.

    python bench/bench_scaling.py [--quick] [--json scaling.json] [--threads 1,2,4,8,16]

For every case the call runs once per thread count (1, 2, 4, 8 and all usable
cores by default); the table gives seconds, the speed-up over one thread and the
efficiency (speed-up / threads). Every run of a case must return bit-identical
results, whatever the thread count or the cluster: the script stops with an
error otherwise. `--quick` shrinks every case so the whole script takes well
under a minute on two cores (the test suite runs it that way, as a smoke test of
the identity checks, not of speed); the full run is sized for a 16-core machine
in about five minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import precipice
from precipice import bootstrap, evals, irt, passk

METRICS = ["iqm", "median", "mean", "optimality_gap"]


@dataclass
class Case:
    name: str
    run: Callable[[int, object], object]  # (n_threads, client) -> result
    dask: bool = False  # also run on a LocalCluster


def _leaderboard_2pl(num_models: int, num_items: int, seed: int = 0) -> np.ndarray:
    """Issue #12's leaderboard matrix: items left as drawn (some near-separated), 5% missing."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(num_models)
    a = rng.lognormal(0.0, 0.3, num_items)
    b = rng.standard_normal(num_items)
    p = 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
    y = (rng.random(p.shape) < p).astype(float)
    y[rng.random(p.shape) < 0.05] = np.nan
    return y


def _cases(quick: bool) -> list[Case]:
    data = precipice.datasets.atari100k()
    spr = data["SPR"]
    small = spr[:10]
    reps = 20_000 if quick else 1_000_000
    taus = np.linspace(0.0, 8.0, 201)
    rng = np.random.default_rng(1)
    problems = 10_000 if quick else 100_000
    correct = rng.binomial(200, rng.beta(0.5, 2.0, problems))
    items = 14_000
    # Per-item scores in [0, 1] (a graded metric), so the resampled sums run, not the 0/1 binomial shortcut.
    model_a = rng.beta(2.0, 1.5, items)
    model_b = np.clip(model_a + rng.normal(0.02, 0.1, items), 0.0, 1.0)
    responses = _leaderboard_2pl(395, 2_000 if quick else 28_659)

    def estimates(scores):
        return lambda threads, client: bootstrap.interval_estimates(
            scores, METRICS, reps=reps, seed=0, n_threads=threads, client=client
        )

    return [
        Case("4 metrics, 10 x 26", estimates(small), dask=True),
        Case("4 metrics, 100 x 26 (SPR)", estimates(spr), dask=True),
        Case(
            "performance profile, 201 taus, SPR",
            lambda t, c: bootstrap.performance_profile(spr, taus, reps=reps // 10, seed=0, n_threads=t, client=c),
            dask=True,
        ),
        Case(
            "probability of improvement, 10 x 26",
            lambda t, c: bootstrap.probability_of_improvement(
                small, data["DrQ(eps)"][:10], reps=reps, seed=0, n_threads=t, client=c
            ),
            dask=True,
        ),
        Case(
            f"pass@10 interval, {problems:,} problems, bootstrap",
            lambda t, c: passk.pass_at_k_interval(
                200, correct, 10, method="percentile", reps=reps // 20, seed=0, n_threads=t, client=c
            ),
            dask=True,
        ),
        Case(
            f"paired bootstrap, {items:,} items",
            lambda t, c: evals.paired_bootstrap(model_a, model_b, reps=reps // 10, seed=0, n_threads=t, client=c),
            dask=True,
        ),
        Case(
            f"2PL fit, {responses.shape[0]} x {responses.shape[1]:,}, no SEs",
            lambda t, c: irt.fit(responses, "2pl", se=False, n_threads=t),
        ),
    ]


def _fingerprint(result) -> list[np.ndarray]:
    """The arrays a result carries, for the bit-identity check."""
    arrays = []
    for name in ("point", "interval", "difference", "estimate", "a", "d", "loglik"):
        value = getattr(result, name, None)
        if value is not None:
            arrays.append(np.atleast_1d(np.asarray(value, dtype=float)))
    if not arrays:
        raise TypeError(f"no result arrays found on {type(result).__name__}")
    return arrays


def _same(x: list[np.ndarray], y: list[np.ndarray]) -> bool:
    return len(x) == len(y) and all(np.array_equal(u, v, equal_nan=True) for u, v in zip(x, y))


def _timed(case: Case, threads: int, client) -> tuple[float, list[np.ndarray]]:
    start = time.perf_counter()
    result = case.run(threads, client)
    return time.perf_counter() - start, _fingerprint(result)


def _thread_counts(spec: str | None, cores: int) -> list[int]:
    if spec:
        counts = sorted({int(t) for t in spec.split(",")})
    else:
        counts = sorted({t for t in (1, 2, 4, 8) if t <= cores} | {cores})
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases, for a smoke test on two cores")
    parser.add_argument("--json", default="scaling.json", help="where to write the table as JSON")
    parser.add_argument("--threads", default=None, help="comma-separated thread counts (default 1,2,4,8,all)")
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster runs")
    args = parser.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    counts = _thread_counts(args.threads, cores)
    cases = _cases(args.quick)
    rows = []
    for case in cases:
        case.run(1, None)  # warm: first-touch allocations and lazy imports are not scaling
        times, reference = {}, None
        for threads in counts:
            seconds, fingerprint = _timed(case, threads, None)
            if reference is None:
                reference = fingerprint
            elif not _same(reference, fingerprint):
                raise SystemExit(f"{case.name}: {threads} threads gave a different result from {counts[0]}")
            times[threads] = seconds
        rows.append({"case": case.name, "seconds": times})
        base = times[counts[0]] * counts[0]
        line = ", ".join(f"{t}: {s:.3f}s ({base / s:.2f}x)" for t, s in times.items())
        print(f"{case.name}: {line}", flush=True)

    dask_rows = []
    if not args.no_dask:
        try:
            import distributed
        except ImportError:
            print("dask.distributed is not installed: no cluster runs")
        else:
            workers, per_worker = (2, 1) if args.quick else (4, 4)
            with (
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=per_worker,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=40,
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                for case in cases:
                    if not case.dask:
                        continue
                    case.run(per_worker, client)  # warm the workers
                    local_s, local = _timed(case, workers * per_worker, None)
                    remote_s, remote = _timed(case, per_worker, client)
                    if not _same(local, remote):
                        raise SystemExit(f"{case.name}: the cluster run differs from the local run")
                    dask_rows.append(
                        {
                            "case": case.name,
                            "local_seconds": local_s,
                            "cluster_seconds": remote_s,
                            "workers": workers,
                            "threads_per_worker": per_worker,
                        }
                    )

    print(
        f"\n{platform.processor() or platform.machine()}, {cores} usable cores, "
        f"precipice {precipice.__version__}, OpenMP {'on' if precipice.has_openmp() else 'off'}"
        f"{', quick sizes' if args.quick else ''}\n"
    )
    header = " | ".join(f"{t} thr" for t in counts)
    print(f"| case | {header} |")
    print("|---|" + "---:|" * len(counts))
    for row in rows:
        one = row["seconds"][counts[0]] * counts[0]
        cells = [
            f"{s:.3f} s" if t == counts[0] else f"{one / s:.2f}x ({one / s / t:.0%})" for t, s in row["seconds"].items()
        ]
        print(f"| {row['case']} | " + " | ".join(cells) + " |")
    if dask_rows:
        w, p = dask_rows[0]["workers"], dask_rows[0]["threads_per_worker"]
        print(f"\nDask LocalCluster, {w} workers x {p} threads, against {w * p} local threads (identical results):\n")
        print("| case | local s | cluster s | cluster / local |")
        print("|---|---:|---:|---:|")
        for row in dask_rows:
            print(
                f"| {row['case']} | {row['local_seconds']:.3f} | {row['cluster_seconds']:.3f} | "
                f"{row['cluster_seconds'] / row['local_seconds']:.2f} |"
            )
    with open(args.json, "w") as out:
        json.dump(
            {
                "cores": cores,
                "quick": args.quick,
                "machine": platform.machine(),
                "precipice": precipice.__version__,
                "threads": counts,
                "cases": rows,
                "dask": dask_rows,
            },
            out,
            indent=2,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
