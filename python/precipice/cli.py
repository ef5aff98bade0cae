"""The precipice command line: ``precipice demo``, ``precipice report`` and ``precipice leaderboard``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, _progress, bootstrap, datasets, leaderboard
from .longform import from_long, from_wide

DEMO_METRICS = ("iqm", "median", "mean", "optimality_gap")
_LABELS = {"iqm": "IQM", "median": "Median", "mean": "Mean", "optimality_gap": "Optimality gap"}
FIGURE_FORMATS = ("png", "pdf", "svg")
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)


def _decimals(values: np.ndarray, widths: np.ndarray) -> int:
    """Decimals that show about two significant digits of the narrowest
    interval, or three of the values when every interval is a point."""
    widths = widths[np.isfinite(widths) & (widths > 0)]
    if widths.size:
        return int(np.clip(1 - math.floor(math.log10(widths.min())), 0, 6))
    values = np.abs(values[np.isfinite(values) & (values != 0)])
    if values.size:
        return int(np.clip(2 - math.floor(math.log10(values.max())), 0, 6))
    return 3


def _cell(point: float, low: float, high: float, decimals: int = 3) -> str:
    return f"{point:.{decimals}f} [{low:.{decimals}f}, {high:.{decimals}f}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _runs_text(counts: np.ndarray) -> str:
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}-{high}"


def _ranked(estimates: dict[str, bootstrap.IntervalEstimate], metrics: list[str]) -> list[str]:
    """Algorithms best first: by the first metric where higher is better, else by
    the optimality gap, lowest first."""
    higher = [i for i, m in enumerate(metrics) if m != "optimality_gap"]
    if higher:
        key = lambda name: -float(estimates[name].point[higher[0]])
    else:
        key = lambda name: float(estimates[name].point[0])
    return sorted(estimates, key=key)


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot become a folder before any time is spent."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is an existing file; give a folder for the results")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--out {str(out)!r}: cannot write in {str(parent)!r} (permission denied)")
    # Permission bits do not tell everything (/proc, read-only mounts): try it.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".precipice-", dir=parent))
    except OSError as error:
        raise ValueError(f"--out {str(out)!r}: cannot write there ({error.strerror or error})") from None


def demo(args: argparse.Namespace) -> int:
    """``precipice demo``: intervals and figures of the Atari 100k scores.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status.
    """
    if args.out is not None:
        _check_out(Path(args.out))
    scores = datasets.atari100k(normalize=True)
    started = time.perf_counter()
    print(
        f"Atari 100k, human-normalised scores of {len(scores)} algorithms on 26 games; "
        f"stratified bootstrap, {args.reps:,} replicates, 95% CIs, seed {args.seed}\n"
    )
    estimates = {}
    for name, x in scores.items():
        estimates[name] = bootstrap.interval_estimates(x, DEMO_METRICS, reps=args.reps, seed=args.seed)
    rows = [
        [
            name,
            str(scores[name].shape[0]),
            *(_cell(estimates[name].point[i], *estimates[name].interval[:, i]) for i in range(len(DEMO_METRICS))),
        ]
        for name in _ranked(estimates, list(DEMO_METRICS))
    ]
    print(_table(["algorithm", "runs", *(_LABELS[m] for m in DEMO_METRICS)], rows))
    print("Optimality gap: lower is better.")

    pairwise = bootstrap.pairwise_probability_of_improvement(scores, reps=args.reps, seed=args.seed)
    spr = pairwise.names.index("SPR")
    improvement_rows = [
        [f"P(SPR > {other})", _cell(pairwise.point[spr, j], *pairwise.interval[:, spr, j])]
        for j, other in enumerate(pairwise.names)
        if j != spr
    ]
    print()
    print(_table(["probability of improvement", "estimate [95% CI]"], improvement_rows))

    if args.out is not None:
        try:
            from . import plot
        except ImportError:
            print("\nfigures skipped: matplotlib is not installed (pip install 'precipice[plot]')")
        else:
            written = plot.demo_figures(
                scores, estimates, pairwise, args.out, seed=args.seed, formats=args.figure_format
            )
            print(f"\nfigures written to {args.out}/: " + ", ".join(p.name for p in written))
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return 0


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal. It moves between
    algorithms (step) and, through precipice._progress, during each native call."""

    def __init__(self, total: int):
        self.total, self.done, self.label = total, 0, ""
        self.enabled = sys.stderr.isatty() and total > 0

    def _draw(self, fraction: float) -> None:
        filled = int(30 * fraction)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {self.label[:30]:<30}")
        sys.stderr.flush()

    def start(self, label: str) -> None:
        self.label = label
        if self.enabled:
            self._draw(self.done / self.total)

    def within(self, done: int, total: int) -> None:
        """The native call's own progress: chunks done of the loop running now."""
        if self.enabled and total > 0:
            self._draw((self.done + min(done / total, 1.0)) / self.total)

    def step(self) -> None:
        self.done += 1
        if self.enabled:
            self._draw(self.done / self.total)
            if self.done == self.total:
                sys.stderr.write("\n")


def _warn(message: str) -> None:
    print(f"precipice: warning: {message}", file=sys.stderr)


def _check_runs(scores: dict[str, np.ndarray], tasks: list[str], task_bootstrap: bool) -> dict[str, np.ndarray]:
    """Runs per algorithm and task; refuses what the bootstrap cannot answer."""
    runs = {name: np.isfinite(x).sum(axis=0) for name, x in scores.items()}
    for name, counts in runs.items():
        if (counts == 0).any():
            t = int(np.flatnonzero(counts == 0)[0])
            raise ValueError(f"algorithm {name!r} has no score on task {tasks[t]!r}")
    single = {name: np.flatnonzero(counts < 2) for name, counts in runs.items() if (counts < 2).any()}
    if single and not task_bootstrap:
        name, where = next(iter(single.items()))
        if where.size == len(tasks):
            named = "every task" if len(tasks) > 1 else f"task {tasks[0]!r}"
        elif where.size == 1:
            named = f"task {tasks[where[0]]!r}"
        else:
            shown = [repr(tasks[t]) for t in where[:3]]
            rest = f"{where.size - 3} more" if where.size > 3 else shown.pop()
            named = f"tasks {', '.join(shown)} and {rest}"
        others = (
            f" (and {len(single) - 1} more {'algorithm' if len(single) == 2 else 'algorithms'})"
            if len(single) > 1
            else ""
        )
        raise ValueError(
            f"algorithm {name!r}{others} has a single run on {named}. The stratified bootstrap resamples "
            "runs within each task, so one run gives it nothing to resample. Pass --task-bootstrap to resample "
            "the tasks instead (the interval then says how much the choice of tasks matters), or, for a "
            "single-run evaluation with per-item results, use the item-level statistics in precipice.evals "
            "(standard_error, paired_bootstrap)."
        )
    return runs


def _metric_specs(metrics: list[str], gamma: float) -> list[bootstrap.Metric]:
    return [("optimality_gap", gamma) if m == "optimality_gap" and gamma != 1.0 else m for m in metrics]


def _estimates(
    scores: dict[str, np.ndarray], args, metrics: list[str], gamma_warned: bool
) -> dict[str, bootstrap.IntervalEstimate]:
    progress = _Progress(len(scores))
    estimates = {}
    with warnings.catch_warnings(record=True) as caught, _progress.reporting(progress.within):
        warnings.simplefilter("always")
        for name, x in scores.items():
            progress.start(name)
            estimates[name] = bootstrap.interval_estimates(
                x,
                _metric_specs(metrics, args.gamma),
                reps=args.reps,
                confidence=args.confidence,
                method=args.method,
                task_bootstrap=args.task_bootstrap,
                seed=args.seed,
                nan_policy="omit" if args.ragged else "raise",
            )
            progress.step()
    said = set()
    for warning in caught:
        text = str(warning.message)
        if text not in said and not (gamma_warned and "gamma" in text):
            said.add(text)
            _warn(text)
    return estimates


def _metadata(args, metrics, tasks, runs, columns) -> dict[str, object]:
    return {
        "precipice_version": __version__,
        "input": str(args.file),
        "layout": "wide" if args.wide else "long",
        "columns": columns,
        "metrics": metrics,
        "gamma": args.gamma,
        "reps": args.reps,
        "seed": args.seed,
        "method": args.method,
        "confidence": args.confidence,
        "task_bootstrap": args.task_bootstrap,
        "ragged": args.ragged,
        "tasks": tasks,
        "runs": {name: dict(zip(tasks, map(int, counts))) for name, counts in runs.items()},
    }


def _render(
    fmt: str,
    estimates: dict[str, bootstrap.IntervalEstimate],
    order: list[str],
    metrics: list[str],
    meta: dict[str, Any],
    runs: dict[str, np.ndarray],
) -> str:
    algorithm = meta["columns"]["algorithm"]
    rows = [
        {
            algorithm: name,
            "metric": metric,
            "point": float(estimates[name].point[i]),
            "lower": float(estimates[name].interval[0, i]),
            "upper": float(estimates[name].interval[1, i]),
        }
        for name in order
        for i, metric in enumerate(metrics)
    ]
    if fmt == "json":
        return json.dumps({**meta, "estimates": rows}, indent=2) + "\n"
    if fmt == "csv":
        for row in rows:
            counts = runs[str(row[algorithm])]
            row.update(
                confidence=meta["confidence"],
                method=meta["method"],
                reps=meta["reps"],
                seed=meta["seed"],
                task_bootstrap=meta["task_bootstrap"],
                gamma=meta["gamma"],
                tasks=len(meta["tasks"]),
                runs_min=int(counts.min()),
                runs_max=int(counts.max()),
                precipice_version=meta["precipice_version"],
            )
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    decimals = []
    for i in range(len(metrics)):
        points = np.array([estimates[n].point[i] for n in order])
        widths = np.array([np.diff(estimates[n].interval[:, i])[0] for n in order])
        decimals.append(_decimals(points, widths))
    table_rows = [
        [
            name,
            _runs_text(runs[name]),
            *(
                _cell(
                    estimates[name].point[i],
                    estimates[name].interval[0, i],
                    estimates[name].interval[1, i],
                    decimals[i],
                )
                for i in range(len(metrics))
            ),
        ]
        for name in order
    ]
    scheme = "task and run" if meta["task_bootstrap"] else "stratified"
    summary = (
        f"{len(order)} algorithms, {len(meta['tasks'])} tasks; {scheme} bootstrap, {meta['reps']:,} "
        f"replicates, {100 * meta['confidence']:g}% {meta['method']} intervals, seed {meta['seed']}"
    )
    lines = [summary, _table([algorithm, "runs", *(_LABELS.get(m, m) for m in metrics)], table_rows)]
    if "optimality_gap" in metrics:
        lines.append(f"Optimality gap: how far scores fall short of {meta['gamma']:g}; lower is better.")
    return "\n".join(lines) + "\n"


def _read_scores(args):
    if args.wide:
        scores, tasks, _ = from_wide(
            args.file, algorithm=args.algorithm_col, run=args.run_col, ragged=args.ragged, return_labels=True
        )
        columns = {"algorithm": args.algorithm_col, "run": args.run_col, "tasks": tasks}
    else:
        scores, tasks, _ = from_long(
            args.file,
            algorithm=args.algorithm_col,
            task=args.task_col,
            run=args.run_col,
            score=args.score_col,
            ragged=args.ragged,
            return_labels=True,
        )
        columns = {"algorithm": args.algorithm_col, "task": args.task_col, "run": args.run_col, "score": args.score_col}
    return scores, tasks, columns


def report(args: argparse.Namespace) -> int:
    """``precipice report``: intervals (and figures) of the scores in a file.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status.
    """
    out = None if args.out is None else Path(args.out)
    if out is not None:
        _check_out(out)
    scores, tasks, columns = _read_scores(args)
    runs = _check_runs(scores, tasks, args.task_bootstrap)
    metrics = list(dict.fromkeys(args.metrics))
    gamma_warned = False
    if "optimality_gap" in metrics:
        lowest = min(float(np.nanmin(x)) for x in scores.values())
        if lowest >= args.gamma:
            gamma_warned = True
            _warn(
                f"every score is at or above gamma = {args.gamma:g}, so the optimality gap is 0 for every "
                f"algorithm. Scores in percent? Pass --gamma 100 (the gap measures how far scores fall "
                f"short of gamma)."
            )
    estimates = _estimates(scores, args, metrics, gamma_warned)
    order = _ranked(estimates, metrics)
    meta = _metadata(args, metrics, tasks, runs, columns)
    text = _render(args.format, estimates, order, metrics, meta, runs)
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        _write(out, text, args, estimates, order, metrics, runs)
    except OSError as error:
        raise ValueError(f"--out {str(out)!r}: cannot write there ({error.strerror or error})") from None
    sys.stdout.write(text)
    print(f"written to {out}/", file=sys.stderr)
    return 0


def _write(out: Path, text: str, args, estimates, order, metrics, runs) -> None:
    # Everything is computed and rendered first, then written to a fresh folder
    # beside the target and moved into place: a failure leaves nothing behind.
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".precipice-", dir=out.parent))
    try:
        suffix = {"table": "txt", "csv": "csv", "json": "json"}[args.format]
        (staging / f"estimates.{suffix}").write_text(text)
        try:
            from . import plot
        except ImportError:
            _warn("figure skipped: matplotlib is not installed (pip install 'precipice[plot]')")
        else:
            fig = plot.interval_figure(
                estimates,
                [_LABELS.get(m, m) for m in metrics],
                order=order,
                runs={n: _runs_text(c) for n, c in runs.items()},
                xlabel="Score",
                lower_is_better=[m == "optimality_gap" for m in metrics],
            )
            plot.save_figures({"interval_estimates": fig}, staging, args.figure_format)
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_COUNT = re.compile(r"^\d{1,3}(,\d{3})+$|^[\d_]+$")


def _count(text: str) -> int:
    """A replicate count as people write it: 50000, 50_000, 50,000, 5e4."""
    value = None
    if _COUNT.match(text.strip()):
        value = int(text.strip().replace(",", "").replace("_", ""))
    else:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number == int(number):
            value = int(number)
    if value is None:
        raise argparse.ArgumentTypeError(f"must be a whole number such as 50000 or 1e6, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 such as 0.95, got {text!r}") from None
    if 1 < value < 100:
        raise argparse.ArgumentTypeError(f"give the coverage as a fraction, e.g. {value / 100:g} for {text}%")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text!r}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The description's line breaks kept, and each option's default after its help."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if not action.option_strings or default is None or default is False or "default" in text:
            return text
        if isinstance(default, list):
            shown = " ".join(map(str, default))
        elif isinstance(default, int):
            shown = f"{default:,}"
        else:
            shown = f"{default:g}" if isinstance(default, float) else str(default)
        return f"{text} (default: {shown})".replace("%", "%%")


_REPORT_DESCRIPTION = """\
Interval estimates of aggregate metrics for a score file (.csv, .tsv, either
gzip-compressed, or .parquet; the delimiter of a .csv is detected).

Long format (the default), one row per algorithm, task and run:
    algorithm,task,run,score
    SPR,Breakout,0,0.31
Wide format (--wide), one row per algorithm and run, one column per task;
without a run column every row is one run:
    algorithm,run,Breakout,Pong
    SPR,0,0.31,-0.05
Only empty cells count as missing (with --ragged); 'n/a' or 'NaN' is an error.

Exit status: 0 done, 2 bad input or options, 130 interrupted (Ctrl-C)."""


def _read_battles(path: str, columns: list[str]) -> dict[str, np.ndarray]:
    """The named columns of a battle CSV (gzip-compressed when it ends in .gz)."""
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column(s) {missing}; it has {reader.fieldnames}")
        rows = [[row[c] for c in columns] for row in reader]
    if not rows:
        raise ValueError(f"{path}: no battles")
    return {c: np.array(v, dtype=object) for c, v in zip(columns, zip(*rows))}


def arena_ratings(args: argparse.Namespace) -> int:
    """``precipice arena battles.csv``: the Bradley-Terry leaderboard of a battle table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (see ``precipice arena --help``).

    Returns
    -------
    int
        The exit status: 0.
    """
    from . import arena

    table = _read_battles(args.file, [args.a_col, args.b_col, args.winner_col])
    anchor = None
    if args.anchor is not None:
        model, _, rating = args.anchor.rpartition("=")
        if not model:
            raise ValueError(f"--anchor must be MODEL=RATING, got {args.anchor!r}")
        anchor = (model, _finite(rating))
    fit = arena.bradley_terry(
        table[args.a_col],
        table[args.b_col],
        table[args.winner_col],
        ties=args.ties,
        prior=args.prior,
        anchor=anchor,
        reps=args.reps,
        confidence=args.confidence,
        seed=args.seed,
    )
    print(f"{fit.num_battles:,} battles, {len(fit.models)} models, ties={fit.ties}, {args.reps} bootstrap replicates")
    print(fit.table())
    return 0


def _add_arena_parser(commands: Any) -> None:
    a = commands.add_parser(
        "arena",
        help="Bradley-Terry ratings of a battle table (model_a, model_b, winner; CSV or .csv.gz)",
        formatter_class=_HelpFormatter,
    )
    a.add_argument("file", help="the battle file, one row per battle")
    a.add_argument("--a-col", default="model_a", metavar="NAME", help="column of the first model")
    a.add_argument("--b-col", default="model_b", metavar="NAME", help="column of the second model")
    a.add_argument(
        "--winner-col",
        default="winner",
        metavar="NAME",
        help="column of the outcome: model_a, model_b, tie, tie (bothbad), or the score of a in [0, 1]",
    )
    a.add_argument("--ties", default="half", choices=["half", "rao-kupper", "davidson"], help="tie model")
    a.add_argument("--prior", type=_finite, default=None, help="sd of a Gaussian prior on logit ratings")
    a.add_argument("--anchor", default=None, metavar="MODEL=RATING", help="pin one model's rating")
    a.add_argument("--reps", type=_whole, default=1000, help="bootstrap replicates (0: sandwich intervals)")
    a.add_argument("--seed", type=_whole, default=0, help="random seed: same seed, same numbers")
    a.add_argument("--confidence", type=_confidence, default=0.95, help="interval coverage, a fraction")
    a.set_defaults(func=arena_ratings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="precipice", description="Fast, exact evaluation statistics.")
    parser.add_argument("--version", action="version", version=f"precipice {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{demo,report,arena,leaderboard}")
    p = commands.add_parser(
        "demo",
        help="interval estimates and comparisons on the shipped Atari 100k scores",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("--reps", type=_count, default=50_000, help="bootstrap replicates")
    p.add_argument("--seed", type=_whole, default=0, help="random seed")
    p.add_argument("--out", default="precipice-demo", help="folder for the figures")
    p.add_argument(
        "--figure-format",
        nargs="+",
        default=["png"],
        choices=FIGURE_FORMATS,
        metavar="FORMAT",
        help=f"figure file formats, one or more of {', '.join(FIGURE_FORMATS)}",
    )
    p.set_defaults(func=demo)

    r = commands.add_parser(
        "report",
        help="interval estimates for a score file (long or wide; CSV, TSV, Parquet)",
        description=_REPORT_DESCRIPTION,
        formatter_class=_HelpFormatter,
    )
    r.add_argument("file", help="the score file")
    r.add_argument("--wide", action="store_true", help="one column per task (benchmark) instead of a task column")
    r.add_argument(
        "--algorithm-col", default="algorithm", metavar="NAME", help="column naming the algorithm (model) of each row"
    )
    r.add_argument("--task-col", default="task", metavar="NAME", help="column naming the task (long format)")
    r.add_argument("--run-col", default="run", metavar="NAME", help="column naming the run or seed")
    r.add_argument("--score-col", default="score", metavar="NAME", help="column holding the score (long format)")
    r.add_argument(
        "--metrics",
        nargs="+",
        default=list(DEMO_METRICS),
        choices=list(DEMO_METRICS),
        metavar="METRIC",
        help=f"aggregate metrics, one or more of {', '.join(DEMO_METRICS)}",
    )
    r.add_argument(
        "--gamma",
        type=_finite,
        default=1.0,
        help="the score the optimality gap counts shortfalls from (100 for scores in percent)",
    )
    r.add_argument("--reps", type=_count, default=50_000, help="bootstrap replicates (1e6 and 1,000,000 work)")
    r.add_argument("--seed", type=_whole, default=0, help="random seed: same seed, same numbers")
    r.add_argument("--confidence", type=_confidence, default=0.95, help="interval coverage, a fraction")
    r.add_argument(
        "--method", default="percentile", choices=["percentile", "basic", "bc", "bca"], help="interval construction"
    )
    r.add_argument(
        "--task-bootstrap",
        action="store_true",
        help="also resample tasks; the way to get intervals with a single run per task",
    )
    r.add_argument(
        "--ragged", action="store_true", help="allow missing runs (empty cells): each task keeps the runs it has"
    )
    r.add_argument(
        "--format",
        default="table",
        choices=["table", "csv", "json"],
        help="output format; csv and json record the settings and the runs per task",
    )
    r.add_argument(
        "--out",
        default=None,
        metavar="FOLDER",
        help="also write the estimates and a figure into this folder (default: print only)",
    )
    r.add_argument(
        "--figure-format",
        nargs="+",
        default=["png"],
        choices=FIGURE_FORMATS,
        metavar="FORMAT",
        help=f"figure file formats with --out, one or more of {', '.join(FIGURE_FORMATS)}",
    )
    r.set_defaults(func=report)
    _add_arena_parser(commands)
    _leaderboard_parser(commands)
    return parser


_LEADERBOARD_DESCRIPTION = """\
Leaderboard ranks with honest uncertainty from item-level scores: a joint
paired bootstrap over items (the same resampled items for every model).

Wide format (the default when there is no item column): one row per model,
one column per item; a model on several rows has one sample per row:
    model,q1,q2,q3
    gpt,1,0,1
Long format: one row per model and item (and sample); a missing row is a
missing cell:
    model,item,score
    gpt,q1,1
Files may be .csv, .tsv (either gzip-compressed) or .parquet.

Columns printed: mean with its interval, the marginal rank interval, the
simultaneous rank interval (all models at once; Mogstad et al. 2023), P(best)
and the tie group (models not separable after Holm correction).

Exit status: 0 done, 2 bad input or options, 130 interrupted (Ctrl-C)."""


def _leaderboard_table(board: leaderboard.Leaderboard, models: list[str]) -> str:
    order = np.argsort(-board.mean if board.higher_is_better else board.mean, kind="stable")
    decimals = _decimals(board.mean, board.interval[1] - board.interval[0])
    rows = []
    for place, m in enumerate(order, start=1):
        low, high = board.rank_interval[m]
        s_low, s_high = board.simultaneous_rank_interval[m]
        rows.append(
            [
                str(place),
                models[m],
                _cell(board.mean[m], board.interval[0, m], board.interval[1, m], decimals),
                f"{low}-{high}",
                f"{s_low}-{s_high}",
                f"{board.p_best[m]:.3f}",
                str(board.tie_groups[m]),
            ]
        )
    header = ["#", "model", f"mean [{board.confidence:.0%} CI]", "rank", "rank (simultaneous)", "P(best)", "group"]
    return _table(header, rows) + "\n"


def leaderboard_ranks(args: argparse.Namespace) -> int:
    """``precipice leaderboard scores.csv``: model ranks with their uncertainty.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (see ``precipice leaderboard --help``).

    Returns
    -------
    int
        The exit status: 0.
    """
    out = None if args.out is None else Path(args.out)
    if out is not None:
        _check_out(out)
    table = leaderboard.read_scores(
        args.file,
        model=args.model_col,
        item=args.item_col,
        score=args.score_col,
        sample=args.sample_col,
        cluster=args.cluster_col,
    )
    board = leaderboard.ranks(
        table.scores,
        reps=args.reps,
        confidence=args.confidence,
        clusters=table.clusters,
        seed=args.seed,
        higher_is_better=not args.lower_is_better,
    )
    shape = "x".join(map(str, table.scores.shape))
    axes = "models x items x samples" if table.scores.ndim == 3 else "models x items"
    text = f"{shape} scores ({axes}), {board.reps:,} paired replicates, seed {board.seed}\n"
    text += _leaderboard_table(board, table.models)
    if out is not None:
        try:
            _write_leaderboard(out, text, board, table.models, args.figure_format)
        except OSError as error:
            raise ValueError(f"--out {str(out)!r}: cannot write there ({error.strerror or error})") from None
    sys.stdout.write(text)
    if out is not None:
        print(f"written to {out}/", file=sys.stderr)
    return 0


def _write_leaderboard(out: Path, text: str, board: leaderboard.Leaderboard, models: list[str], formats) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".precipice-", dir=out.parent))
    try:
        (staging / "leaderboard.txt").write_text(text)
        try:
            from . import plot
        except ImportError:
            _warn("figures skipped: matplotlib is not installed (pip install 'precipice[plot]')")
        else:
            notes = [f"rank {a}-{b}" for a, b in board.simultaneous_rank_interval]
            forest = plot.forest(models, board.mean, board.interval, groups=board.tie_groups, annotations=notes)
            heatmap = plot.rank_heatmap(board.rank_probabilities, models)
            plot.save_figures({"forest": forest.figure, "rank_heatmap": heatmap.figure}, staging, formats)
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _leaderboard_parser(commands) -> None:
    b = commands.add_parser(
        "leaderboard",
        help="leaderboard ranks with intervals from item-level scores (wide or long)",
        description=_LEADERBOARD_DESCRIPTION,
        formatter_class=_HelpFormatter,
    )
    b.add_argument("file", help="the score file")
    b.add_argument("--model-col", default="model", metavar="NAME", help="column naming the model of each row")
    b.add_argument("--item-col", default="item", metavar="NAME", help="column naming the item (long format)")
    b.add_argument("--score-col", default="score", metavar="NAME", help="column holding the score (long format)")
    b.add_argument("--sample-col", default=None, metavar="NAME", help="column numbering samples per item (long)")
    b.add_argument("--cluster-col", default=None, metavar="NAME", help="column naming each item's cluster (long)")
    b.add_argument("--reps", type=_count, default=10_000, help="paired bootstrap replicates")
    b.add_argument("--seed", type=_whole, default=0, help="random seed: same seed, same numbers")
    b.add_argument("--confidence", type=_confidence, default=0.95, help="interval coverage, a fraction")
    b.add_argument("--lower-is-better", action="store_true", help="rank the smallest mean first (errors, losses)")
    b.add_argument(
        "--out", default=None, metavar="FOLDER", help="also write the table and the figures into this folder"
    )
    b.add_argument(
        "--figure-format",
        nargs="+",
        default=["png"],
        choices=FIGURE_FORMATS,
        metavar="FORMAT",
        help=f"figure file formats with --out, one or more of {', '.join(FIGURE_FORMATS)}",
    )
    b.set_defaults(func=leaderboard_ranks)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status (2 for bad options, as argparse's own).
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and bad options: argparse has printed why
        return int(exit_.code or 0)
    try:
        status: int = args.func(args)
        return status
    except KeyboardInterrupt:
        print(("\n" if sys.stderr.isatty() else "") + "precipice: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, TypeError, ImportError) as error:
        print(f"precipice: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("precipice: error: out of memory; try fewer --reps", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"precipice: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
