"""Side-by-side timings of precipice and the tools it replaces, in one process.

    python bench/compare.py [--quick]

Prints one table: per task, the anchor's time per replicate, precipice's (one
thread and all threads), and both ratios. The anchors (rliable) come from the
`bench` extra; a missing anchor is reported, not faked.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import precipice
from _timing import best_time
from precipice import bootstrap as pb
from precipice._validation import resolve_threads
from precipice.compat.rliable import library as compat_rly


@dataclass
class Row:
    name: str
    anchor_us: float | None
    one_thread_us: float
    all_threads_us: float

    def ratio(self, precipice_us: float) -> str:
        return "-" if self.anchor_us is None else f"{self.anchor_us / precipice_us:,.0f}x"


def four_metrics(x):
    from rliable import metrics

    return np.array(
        [
            metrics.aggregate_iqm(x),
            metrics.aggregate_median(x),
            metrics.aggregate_mean(x),
            metrics.aggregate_optimality_gap(x),
        ]
    )


def rliable_interval(scores, func, reps):
    from rliable import library as rly

    np.random.seed(0)
    rly.get_interval_estimates({"a": scores}, func, reps=reps)


def rliable_profile(scores, taus, reps):
    from rliable import library as rly

    np.random.seed(0)
    rly.create_performance_profile({"a": scores}, taus, reps=reps)


def rliable_improvement(x, y, reps):
    from rliable import library as rly
    from rliable import metrics

    np.random.seed(0)
    rly.get_interval_estimates({"xy": [x, y]}, metrics.probability_of_improvement, reps=reps)


def iqm_per_frame(s):
    """rliable's README sample-efficiency function, over (runs, tasks, frames)."""
    from rliable import metrics

    return np.array([metrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])])


def compat_iqm_per_frame(s):
    from precipice.compat.rliable import metrics

    return np.array([metrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])])


def compat_four_metrics(x):
    from precipice.compat.rliable import metrics

    return np.array(
        [
            metrics.aggregate_iqm(x),
            metrics.aggregate_median(x),
            metrics.aggregate_mean(x),
            metrics.aggregate_optimality_gap(x),
        ]
    )


def with_threads(n_threads, fn):
    """Run fn with the thread count compat calls (which take none) will use: an
    OpenMP limit set through threadpoolctl (OMP_NUM_THREADS is read only when the
    OpenMP runtime starts, so setting it here would change nothing)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads or resolve_threads(None), user_api="openmp"):
        return fn()


def have_rliable() -> bool:
    try:
        import rliable.library  # noqa: F401
    except Exception:
        return False
    return True


def per_rep(fn, reps, repeat) -> float:
    return best_time(fn, repeat)[0] / reps * 1e6


def run(quick: bool) -> list[Row]:
    rng = np.random.default_rng(0)
    data = {"10 runs x 26 tasks": rng.gamma(1.0, 1.0, size=(10, 26))}
    try:
        spr = precipice.datasets.atari100k()["SPR"]
        data["Atari 100k SPR (100 x 26)"] = spr
    except Exception:
        pass
    anchors = have_rliable()
    reps_native = 20_000 if quick else 50_000
    anchor_reps = {"interval": 200 if quick else 1000, "profile": 100 if quick else 500, "poi": 5 if quick else 20}
    # Best of several runs on both sides: this shared machine's timings vary by 10-20%.
    repeat = 3 if quick else 7
    metrics = ["iqm", "median", "mean", "optimality_gap"]
    taus = np.linspace(0.0, 8.0, 201)
    rows = []
    for label, x in data.items():
        y = x[::-1] * 0.9 + 0.05
        native = {
            "4 metrics": lambda t: pb.interval_estimates(x, metrics, reps=reps_native, seed=1, n_threads=t),
            "profile 201 taus": lambda t: pb.performance_profile(x, taus, reps=reps_native, seed=1, n_threads=t),
            "prob. of improvement": lambda t: pb.probability_of_improvement(
                x, y, reps=reps_native, seed=1, n_threads=t
            ),
            "4 metrics via compat.rliable": lambda t: with_threads(
                t,
                lambda: compat_rly.get_interval_estimates(
                    {"a": x}, compat_four_metrics, reps=reps_native, random_state=1
                ),
            ),
        }
        anchor = {
            "4 metrics": (lambda: rliable_interval(x, four_metrics, anchor_reps["interval"]), anchor_reps["interval"]),
            "profile 201 taus": (lambda: rliable_profile(x, taus, anchor_reps["profile"]), anchor_reps["profile"]),
            "prob. of improvement": (lambda: rliable_improvement(x, y, anchor_reps["poi"]), anchor_reps["poi"]),
            "4 metrics via compat.rliable": (
                lambda: rliable_interval(x, four_metrics, anchor_reps["interval"]),
                anchor_reps["interval"],
            ),
        }
        for task, fn in native.items():
            one = per_rep(lambda: fn(1), reps_native, repeat)
            every = per_rep(lambda: fn(None), reps_native, repeat)
            anchor_us = None
            if anchors:
                afn, areps = anchor[task]
                anchor_us = per_rep(afn, areps, 2 if quick else 5)
            rows.append(Row(f"{task}, {label}", anchor_us, one, every))
    # The sample-efficiency call of rliable's README, on Atari-100k-sized runs and
    # tasks at 10 evaluation frames, through the compat layer.
    frames = rng.gamma(1.0, 1.0, size=(100, 26, 10))
    curve = lambda t: with_threads(
        t,
        lambda: compat_rly.get_interval_estimates(  # noqa: E731
            {"a": frames}, compat_iqm_per_frame, reps=reps_native, random_state=1
        ),
    )
    anchor_us = None
    if anchors:
        anchor_us = per_rep(
            lambda: rliable_interval(frames, iqm_per_frame, anchor_reps["profile"]),
            anchor_reps["profile"],
            2 if quick else 5,
        )
    rows.append(
        Row(
            "IQM per frame via compat.rliable, 100 x 26 x 10 frames",
            anchor_us,
            per_rep(lambda: curve(1), reps_native, repeat),
            per_rep(lambda: curve(None), reps_native, repeat),
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replicates and repeats")
    args = parser.parse_args()
    rows = run(args.quick)
    threads = resolve_threads(None)
    print(
        f"| task | rliable us/rep | precipice us/rep (1 thread) | precipice us/rep ({threads} threads) "
        f"| ratio (1 thread) | ratio ({threads} threads) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        anchor = "not installed" if r.anchor_us is None else f"{r.anchor_us:,.1f}"
        times = f"{r.one_thread_us:.3f} | {r.all_threads_us:.3f}"
        print(f"| {r.name} | {anchor} | {times} | {r.ratio(r.one_thread_us)} | {r.ratio(r.all_threads_us)} |")


if __name__ == "__main__":
    main()
