"""`precipice report` on everyday files: messages, options, recorded settings, figures."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import precipice
import pytest
from precipice import cli

pd = pytest.importorskip("pandas")

REPS = "200"
PYTHON_DIR = str(Path(precipice.__file__).resolve().parent.parent)


def long_csv(path, runs=4, tasks=3, algorithms=("a", "b"), scale=1.0, columns=("algorithm", "task", "run", "score")):
    rng = np.random.default_rng(0)
    rows = [
        (a, f"t{t}", r, scale * float(rng.random()) + i)
        for i, a in enumerate(algorithms)
        for r in range(runs)
        for t in range(tasks)
    ]
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def run_cli(*argv, cwd=None):
    """The installed entry point's behaviour: a fresh interpreter, its exit status and streams."""
    code = "import sys; from precipice.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {"PYTHONPATH": PYTHON_DIR, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, argv)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"precipice {precipice.__version__}"


def test_help_explains_every_option_with_its_default(capsys):
    assert cli.main(["report", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # unwrapped
    for words in (
        "(default: algorithm)",
        "(default: task)",
        "(default: run)",
        "(default: score)",
        "(default: 50,000)",
        "(default: 0.95)",
        "(default: 1)",
        "--task-bootstrap",
        "--wide",
        "--figure-format",
        "Exit status",
        "130 interrupted",
    ):
        assert words in text, words
    report_parser = next(a for a in cli._parser()._actions if a.dest == "command").choices["report"]
    for action in report_parser._actions:
        assert action.help, action.dest


def test_single_run_tasks_name_the_task_and_the_way_out(tmp_path, capsys):
    path = long_csv(tmp_path / "s.csv", runs=1)
    assert cli.main(["report", str(path), "--reps", REPS]) == 2
    err = capsys.readouterr().err
    assert "single run on every task" in err and "'a'" in err
    assert "--task-bootstrap" in err and "precipice.evals" in err and "task number" not in err
    assert len(err.strip().splitlines()) == 1
    assert cli.main(["report", str(path), "--reps", REPS, "--task-bootstrap", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["task_bootstrap"] is True
    intervals = [(e["lower"], e["upper"]) for e in data["estimates"] if e["metric"] == "mean"]
    assert all(low < high for low, high in intervals)


def test_a_single_run_on_one_task_names_that_task(tmp_path, capsys):
    path = long_csv(tmp_path / "s.csv", runs=3)
    df = pd.read_csv(path)
    df[~((df.task == "t1") & (df.run > 0))].to_csv(path, index=False)
    assert cli.main(["report", str(path), "--reps", REPS, "--ragged"]) == 2
    assert "single run on task 't1'" in capsys.readouterr().err


def test_percent_scores_warn_and_gamma_fixes_them(tmp_path, capsys):
    path = long_csv(tmp_path / "s.csv", scale=40.0)
    df = pd.read_csv(path)
    df.assign(score=df.score + 50).to_csv(path, index=False)
    assert cli.main(["report", str(path), "--reps", REPS, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "every score is at or above gamma = 1" in captured.err and "--gamma 100" in captured.err
    gaps = [e["point"] for e in json.loads(captured.out)["estimates"] if e["metric"] == "optimality_gap"]
    assert gaps == [0.0, 0.0]
    assert cli.main(["report", str(path), "--reps", REPS, "--format", "json", "--gamma", "100"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    data = json.loads(captured.out)
    assert data["gamma"] == 100.0
    scores = precipice.from_long(path)
    expected = precipice.bootstrap.interval_estimates(scores["a"], [("optimality_gap", 100.0)], reps=200, seed=0)
    gap = next(e for e in data["estimates"] if e["metric"] == "optimality_gap" and e["algorithm"] == "a")
    assert gap["point"] == expected.point[0] > 0
    assert [gap["lower"], gap["upper"]] == expected.interval[:, 0].tolist()


def test_outputs_record_what_produced_them(tmp_path, capsys):
    path = long_csv(tmp_path / "s.csv", runs=3, columns=("model", "benchmark", "seed", "acc"))
    common = [
        "report",
        str(path),
        "--reps",
        "300",
        "--seed",
        "7",
        "--method",
        "basic",
        "--confidence",
        "0.9",
        "--algorithm-col",
        "model",
        "--task-col",
        "benchmark",
        "--run-col",
        "seed",
        "--score-col",
        "acc",
    ]
    assert cli.main([*common, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["reps"], data["seed"], data["method"], data["confidence"]) == (300, 7, "basic", 0.9)
    assert data["precipice_version"] == precipice.__version__
    assert data["runs"] == {"a": {"t0": 3, "t1": 3, "t2": 3}, "b": {"t0": 3, "t1": 3, "t2": 3}}
    assert data["columns"] == {"algorithm": "model", "task": "benchmark", "run": "seed", "score": "acc"}
    assert {e["model"] for e in data["estimates"]} == {"a", "b"}
    # Full precision in JSON: the library's own numbers.
    scores = precipice.from_long(path, algorithm="model", task="benchmark", run="seed", score="acc")
    est = precipice.bootstrap.interval_estimates(scores["b"], "iqm", reps=300, seed=7, method="basic", confidence=0.9)
    iqm = next(e for e in data["estimates"] if e["model"] == "b" and e["metric"] == "iqm")
    assert (iqm["point"], iqm["lower"], iqm["upper"]) == (est.point[0], *est.interval[:, 0])

    assert cli.main([*common, "--format", "csv"]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert list(table.columns[:5]) == ["model", "metric", "point", "lower", "upper"]
    row = table.iloc[0]
    assert (row.reps, row.seed, row.method, row.confidence, row.runs_min, row.runs_max, row.tasks) == (
        300,
        7,
        "basic",
        0.9,
        3,
        3,
        3,
    )
    assert row.precipice_version == precipice.__version__


def test_table_rounds_to_the_interval_and_ranks_rows(tmp_path, capsys):
    path = long_csv(tmp_path / "s.csv", runs=5, algorithms=("low", "high"), scale=1000.0)
    df = pd.read_csv(path)
    df.assign(score=np.where(df.algorithm == "high", df.score + 5000, df.score)).to_csv(path, index=False)
    assert cli.main(["report", str(path), "--reps", REPS, "--metrics", "mean", "iqm"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "200 replicates" in lines[0] and "95% percentile" in lines[0]
    body = [line.split() for line in lines[3:]]
    assert [row[0] for row in body] == ["high", "low"]  # best first
    assert body[0][1] == "5"  # runs
    assert "." not in body[0][2]  # intervals hundreds wide: no decimals


def test_wide_gzip_and_semicolon_files(tmp_path, capsys):
    rng = np.random.default_rng(1)
    wide = pd.DataFrame({"model": ["x"] * 3 + ["y"] * 3, "gsm8k": rng.random(6), "mmlu": rng.random(6)})
    path = tmp_path / "w.csv.gz"
    wide.to_csv(path, index=False)
    assert (
        cli.main(["report", str(path), "--wide", "--algorithm-col", "model", "--reps", REPS, "--format", "json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"] == ["gsm8k", "mmlu"] and data["runs"]["x"] == {"gsm8k": 3, "mmlu": 3}
    assert data["layout"] == "wide" and data["columns"]["tasks"] == ["gsm8k", "mmlu"]
    semi = tmp_path / "s.csv"
    semi.write_text(
        "algorithm;task;run;score\n"
        + "".join(f"{a};{t};{r};{r},{t}5\n" for a in "ab" for t in range(2) for r in range(3))
    )
    assert cli.main(["report", str(semi), "--reps", REPS, "--metrics", "mean", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"] == ["0", "1"]


@pytest.mark.parametrize(
    "cell, words",
    [
        ("n/a", "line 4: the score 'n/a' is not a number"),
        ("NaN", "line 4: the score 'NaN' is not a number"),
        ("inf", "line 4: the score is inf; scores must be finite"),
    ],
)
def test_bad_cells_are_named_by_line(tmp_path, capsys, cell, words):
    path = long_csv(tmp_path / "s.csv")
    lines = path.read_text().splitlines()
    lines[3] = ",".join([*lines[3].split(",")[:3], cell])
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["report", str(path), "--reps", REPS]) == 2
    err = capsys.readouterr().err
    assert words in err and "task number" not in err


def test_out_onto_a_file_or_an_unwritable_place_is_one_line(tmp_path):
    path = long_csv(tmp_path / "s.csv")
    result = run_cli("report", path, "--reps", REPS, "--out", path)
    assert result.returncode == 2 and "existing file" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    if sys.platform.startswith("linux"):
        result = run_cli("report", path, "--reps", REPS, "--out", "/proc/x")
        assert result.returncode == 2 and "--out '/proc/x'" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert cli.main(["demo", "--reps", REPS, "--out", str(path)]) == 2


@pytest.mark.parametrize("text, value", [("1e6", 1_000_000), ("50_000", 50_000), ("1,000", 1000), ("300", 300)])
def test_reps_as_people_write_them(text, value):
    assert cli._count(text) == value


@pytest.mark.parametrize("text", ["1.5", "0", "-3", "lots", "1e400"])
def test_bad_reps_are_refused_in_words(capsys, text):
    assert cli.main(["report", "x.csv", "--reps", text]) == 2
    err = capsys.readouterr().err
    assert "argument --reps:" in err and repr(text) in err
    assert "_count" not in err and "invalid" not in err


def test_confidence_in_percent_is_refused_with_the_fraction(capsys):
    assert cli.main(["report", "x.csv", "--confidence", "95"]) == 2
    assert "0.95" in capsys.readouterr().err


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, capsys, monkeypatch):
    path = long_csv(tmp_path / "s.csv")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(precipice.bootstrap, "interval_estimates", interrupted)
    out = tmp_path / "out"
    assert cli.main(["report", str(path), "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip() == "precipice: interrupted"
    assert not out.exists()
    # The exit status the shell sees.
    code = (
        "import sys, precipice.bootstrap as b, precipice.cli as c\n"
        "def stop(*a, **k): raise KeyboardInterrupt\n"
        "b.interval_estimates = stop\n"
        f"sys.exit(c.main(['report', {str(path)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": PYTHON_DIR, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 130 and result.stderr.strip() == "precipice: interrupted"


@pytest.mark.parametrize("fmt, magic", [("pdf", b"%PDF"), ("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_figure_formats(tmp_path, capsys, fmt, magic):
    pytest.importorskip("matplotlib")
    path = long_csv(tmp_path / "s.csv")
    out = tmp_path / "out"
    assert cli.main(["report", str(path), "--reps", REPS, "--out", str(out), "--figure-format", fmt]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["estimates.txt", f"interval_estimates.{fmt}"]
    assert (out / f"interval_estimates.{fmt}").read_bytes().startswith(magic)


@pytest.mark.filterwarnings("ignore::precipice.ScoreScaleWarning")  # made-up scores above gamma = 1
def test_interval_figure_ranks_rows_counts_runs_and_says_lower_is_better():
    plot = pytest.importorskip("precipice.plot")
    rng = np.random.default_rng(0)
    scores = {"mid": rng.random((3, 4)) + 1, "top": rng.random((5, 4)) + 2, "low": rng.random((3, 4))}
    est = {
        k: precipice.bootstrap.interval_estimates(v, ["iqm", "optimality_gap"], reps=100, seed=0)
        for k, v in scores.items()
    }
    order = sorted(est, key=lambda n: -est[n].point[0])
    fig = plot.interval_figure(
        est,
        ["IQM", "Optimality gap"],
        order=order,
        runs={k: v.shape[0] for k, v in scores.items()},
        lower_is_better=[False, True],
    )
    axes = fig.axes
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert labels[::-1] == ["top (5 runs)", "mid (3 runs)", "low (3 runs)"]  # top row first
    assert "lower is better" in axes[1].get_title() and "lower" not in axes[0].get_title()
    plot.plt.close(fig)


def test_colours_stay_distinct_past_ten_algorithms():
    plot = pytest.importorskip("precipice.plot")
    for n in (5, 12, 25):
        names = [f"alg{i}" for i in range(n)]
        colours = plot._colors(names, None, "colorblind")
        assert len({plot.plt.matplotlib.colors.to_hex(c) for c in colours.values()}) == n
