"""The precipice command line: ``precipice demo``."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import bootstrap, datasets

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="precipice", description="Fast, exact evaluation statistics.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="interval estimates and comparisons on the shipped Atari 100k scores")
    p.add_argument("--reps", type=int, default=50_000, help="bootstrap replicates (default 50,000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="precipice-demo", help="folder for the figures (default ./precipice-demo)")
    p.set_defaults(func=demo)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as error:
        print(f"precipice: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
