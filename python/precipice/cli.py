"""The precipice command line: ``precipice demo`` and ``precipice report``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import bootstrap, datasets
from .longform import from_long

DEMO_METRICS = ("iqm", "median", "mean", "optimality_gap")
_LABELS = {"iqm": "IQM", "median": "Median", "mean": "Mean", "optimality_gap": "Optimality gap"}


def _cell(point: float, low: float, high: float) -> str:
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def demo(args: argparse.Namespace) -> int:
    scores = datasets.atari100k(normalize=True)
    started = time.perf_counter()
    print(f"Atari 100k, human-normalised scores of {len(scores)} algorithms on 26 games; "
          f"stratified bootstrap, {args.reps:,} replicates, 95% CIs, seed {args.seed}\n")
    rows = []
    estimates = {}
    for name, x in scores.items():
        est = bootstrap.interval_estimates(x, DEMO_METRICS, reps=args.reps, seed=args.seed)
        estimates[name] = est
        rows.append([name, str(x.shape[0]),
                     *(_cell(est.point[i], *est.interval[:, i]) for i in range(len(DEMO_METRICS)))])
    print(_table(["algorithm", "runs", *(_LABELS[m] for m in DEMO_METRICS)], rows))

    pairwise = bootstrap.pairwise_probability_of_improvement(scores, reps=args.reps, seed=args.seed)
    spr = pairwise.names.index("SPR")
    improvement_rows = [
        [f"P(SPR > {other})", _cell(pairwise.point[spr, j], *pairwise.interval[:, spr, j])]
        for j, other in enumerate(pairwise.names) if j != spr
    ]
    print()
    print(_table(["probability of improvement", "estimate [95% CI]"], improvement_rows))

    if args.out is not None:
        try:
            from . import plot
        except ImportError:
            print("\nfigures skipped: matplotlib is not installed (pip install 'precipice[plot]')")
        else:
            written = plot.demo_figures(scores, estimates, pairwise, args.out, seed=args.seed)
            print(f"\nfigures written to {args.out}/: " + ", ".join(p.name for p in written))
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return 0


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self.enabled = sys.stderr.isatty() and total > 1

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {label[:30]:<30}")
            sys.stderr.flush()
            if self.done == self.total:
                sys.stderr.write("\n")


def _report_rows(estimates, metrics):
    return [
        {"algorithm": name, "metric": metric, "point": float(est.point[i]),
         "lower": float(est.interval[0, i]), "upper": float(est.interval[1, i])}
        for name, est in estimates.items() for i, metric in enumerate(metrics)
    ]


def _render(rows, fmt: str, metrics, estimates, confidence) -> str:
    if fmt == "json":
        return json.dumps({"confidence": confidence, "estimates": rows}, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["algorithm", "metric", "point", "lower", "upper"])
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    table_rows = [[name, *(_cell(est.point[i], *est.interval[:, i]) for i in range(len(metrics)))]
                  for name, est in estimates.items()]
    return _table(["algorithm", *(_LABELS.get(m, m) for m in metrics)], table_rows) + "\n"


def report(args: argparse.Namespace) -> int:
    try:
        scores = from_long(args.file, algorithm=args.algorithm_col, task=args.task_col, run=args.run_col,
                           score=args.score_col, ragged=args.ragged)
    except ImportError as error:
        print(f"precipice: error: {error}", file=sys.stderr)
        return 2
    for name, x in scores.items():
        valid = np.isfinite(x).sum(axis=0)
        if (valid < 2).any():
            t = int(np.flatnonzero(valid < 2)[0])
            raise ValueError(f"algorithm {name!r} has fewer than two runs on task number {t + 1}; the stratified "
                             "bootstrap resamples runs within each task, so every task needs at least two")
    metrics = list(args.metrics)
    progress = _Progress(len(scores))
    estimates = {}
    for name, x in scores.items():
        estimates[name] = bootstrap.interval_estimates(
            x, metrics, reps=args.reps, confidence=args.confidence, method=args.method, seed=args.seed,
            nan_policy="omit" if args.ragged else "raise")
        progress.step(name)
    rows = _report_rows(estimates, metrics)
    text = _render(rows, args.format, metrics, estimates, args.confidence)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    # Everything is computed and rendered first, then written to a fresh folder
    # beside the target and moved into place: a failure leaves nothing behind.
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".precipice-", dir=out.parent))
    try:
        suffix = {"table": "txt", "csv": "csv", "json": "json"}[args.format]
        (staging / f"estimates.{suffix}").write_text(text)
        try:
            from . import plot
        except ImportError:
            plot = None
        if plot is not None:
            fig, _ = plot.plot_interval_estimates(estimates, metric_names=[_LABELS.get(m, m) for m in metrics])
            fig.savefig(staging / "interval_estimates.png", dpi=120, bbox_inches="tight")
            plot.plt.close(fig)
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    sys.stdout.write(text)
    print(f"written to {out}/", file=sys.stderr)
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="precipice", description="Fast, exact evaluation statistics.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="interval estimates and comparisons on the shipped Atari 100k scores")
    p.add_argument("--reps", type=int, default=50_000, help="bootstrap replicates (default 50,000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="precipice-demo", help="folder for the figures (default ./precipice-demo)")
    p.set_defaults(func=demo)

    r = commands.add_parser("report", help="interval estimates for a long-format score file (CSV or Parquet)")
    r.add_argument("file", help="one row per (algorithm, task, run) with a score")
    r.add_argument("--metrics", nargs="+", default=list(DEMO_METRICS), choices=list(DEMO_METRICS),
                   help="aggregate metrics (default: all four)")
    r.add_argument("--reps", type=_positive_int, default=50_000, help="bootstrap replicates (default 50,000)")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    r.add_argument("--method", default="percentile", choices=["percentile", "basic", "bc", "bca"])
    r.add_argument("--out", default=None, help="folder for the estimates file and figure")
    r.add_argument("--format", default="table", choices=["table", "csv", "json"])
    r.add_argument("--algorithm-col", default="algorithm")
    r.add_argument("--task-col", default="task")
    r.add_argument("--run-col", default="run")
    r.add_argument("--score-col", default="score")
    r.add_argument("--ragged", action="store_true", help="allow missing runs (left out of each task)")
    r.set_defaults(func=report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as error:
        print(f"precipice: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
