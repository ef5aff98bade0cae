"""Long-format input and the `precipice report` command."""

import json

import numpy as np
import pytest

import precipice
from precipice import cli

pd = pytest.importorskip("pandas")


def long_frame(runs=4, tasks=3, algorithms=("a", "b")):
    rng = np.random.default_rng(0)
    rows = [(a, f"t{t}", r, float(rng.random())) for a in algorithms for r in range(runs) for t in range(tasks)]
    return pd.DataFrame(rows, columns=["algorithm", "task", "run", "score"])


def test_round_trip_matches_the_table():
    df = long_frame()
    scores, tasks, frames = precipice.from_long(df, return_labels=True)
    assert tasks == ["t0", "t1", "t2"] and frames is None
    for a, x in scores.items():
        assert x.shape == (4, 3)
        sub = df[df.algorithm == a]
        for _, row in sub.iterrows():
            assert x[row.run, int(row.task[1:])] == row.score


def test_frames_axis_and_file_inputs(tmp_path):
    df = long_frame()
    df = pd.concat([df.assign(step=0), df.assign(step=1, score=df.score + 1)])
    scores = precipice.from_long(df, frame="step")
    assert scores["a"].shape == (4, 3, 2)
    np.testing.assert_allclose(scores["a"][..., 1], scores["a"][..., 0] + 1)
    path = tmp_path / "s.csv"
    long_frame().to_csv(path, index=False)
    np.testing.assert_array_equal(precipice.from_long(path)["a"], precipice.from_long(long_frame())["a"])


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns="score"), "no score column 'score'"),
        (lambda df: pd.concat([df, df.iloc[:1]]), "duplicate rows"),
        (lambda df: df.iloc[1:], "has no score for run"),
        (lambda df: df.assign(score=df.score.astype(object).where(df.index != 2, "oops")), "not a number"),
        (lambda df: df[~((df.algorithm == "b") & (df.task == "t2"))], "different task sets"),
        (lambda df: df.iloc[:0], "no rows"),
    ],
)
def test_bad_tables_are_named(mutate, message):
    with pytest.raises(ValueError, match=message):
        precipice.from_long(mutate(long_frame()))


def test_ragged_runs_need_the_option():
    df = long_frame().iloc[1:]
    scores = precipice.from_long(df, ragged=True)
    assert np.isnan(scores["a"]).sum() == 1
    est = precipice.bootstrap.interval_estimates(scores["a"], "mean", reps=100, seed=0, nan_policy="omit")
    assert np.isfinite(est.point).all()


def test_report_formats(tmp_path, capsys):
    path = tmp_path / "s.csv"
    long_frame().to_csv(path, index=False)
    assert cli.main(["report", str(path), "--reps", "200", "--format", "json", "--metrics", "iqm", "mean"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(e["algorithm"], e["metric"]) for e in data["estimates"]} == {
        ("a", "iqm"), ("a", "mean"), ("b", "iqm"), ("b", "mean")}
    assert cli.main(["report", str(path), "--reps", "200", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("algorithm,metric,point,lower,upper")
    out = tmp_path / "out"
    assert cli.main(["report", str(path), "--reps", "200", "--out", str(out)]) == 0
    assert (out / "estimates.txt").exists()


def test_report_errors_leave_nothing_behind(tmp_path, capsys):
    path = tmp_path / "s.csv"
    long_frame(runs=1).to_csv(path, index=False)
    out = tmp_path / "out"
    assert cli.main(["report", str(path), "--reps", "50", "--out", str(out)]) == 2
    assert "single run on task" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["s.csv"]
    assert cli.main(["report", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
