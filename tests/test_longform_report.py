"""Long-format input and the `precipice report` command."""

import json

import numpy as np
import precipice
import pytest
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
        ("a", "iqm"),
        ("a", "mean"),
        ("b", "iqm"),
        ("b", "mean"),
    }
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
    assert "single run on every task" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["s.csv"]
    assert cli.main(["report", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def write(path, text):
    path.write_text(text)
    return path


def test_semicolon_csv_with_decimal_commas_and_a_blank_line(tmp_path):
    path = write(tmp_path / "s.csv", "algorithm;task;run;score\na;t1;0;0,5\na;t1;1;0,25\n\na;t2;0;1\na;t2;1;2,125\n")
    np.testing.assert_array_equal(precipice.from_long(path)["a"], [[0.5, 1.0], [0.25, 2.125]])
    # A text cell makes pandas read the column as text; its decimal commas still count.
    write(path, "algorithm;task;run;score\na;t1;0;0,5\na;t1;1;0,25\na;t2;0;\na;t2;1;2,125\n")
    np.testing.assert_array_equal(precipice.from_long(path, ragged=True)["a"], [[0.5, np.nan], [0.25, 2.125]])


@pytest.mark.parametrize("suffix, sep", [(".csv.gz", ","), (".tsv.gz", "\t"), (".tsv", "\t"), (".csv", "\t")])
def test_compressed_and_tab_separated_files(tmp_path, suffix, sep):
    df = long_frame()
    path = tmp_path / f"s{suffix}"
    df.to_csv(path, index=False, sep=sep)
    for a, x in precipice.from_long(path).items():
        np.testing.assert_array_equal(x, precipice.from_long(df)[a])


@pytest.mark.parametrize("cell", ["n/a", "NaN", "NA", "none", "oops"])
def test_text_cells_are_reported_by_line(tmp_path, cell):
    path = write(tmp_path / "s.csv", f"algorithm,task,run,score\na,t,0,0.5\n\na,t,1,{cell}\n")
    with pytest.raises(ValueError, match=rf"line 4: the score '{cell}' is not a number"):
        precipice.from_long(path)
    with pytest.raises(ValueError, match="not a number"):
        precipice.from_long(path, ragged=True)


def test_missing_words_point_to_empty_cells(tmp_path):
    path = write(tmp_path / "s.csv", "algorithm,task,run,score\na,t,0,0.5\na,t,1,n/a\n")
    with pytest.raises(ValueError, match="leave the cell empty and pass ragged=True"):
        precipice.from_long(path)


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e400"])
def test_infinite_scores_are_refused_by_line(tmp_path, cell):
    path = write(tmp_path / "s.csv", f"algorithm,task,run,score\na,t,0,0.5\na,t,1,{cell}\n")
    with pytest.raises(ValueError, match=r"line 3: the score .*inf.*; scores must be finite"):
        precipice.from_long(path)


def test_complex_scores_are_refused():
    df = long_frame()
    with pytest.raises(ValueError, match="complex"):
        precipice.from_long(df.assign(score=df.score + 1j))
    objects = df.assign(score=df.score.astype(object))
    objects.loc[3, "score"] = 0.5 + 2j
    with pytest.raises(ValueError, match=r"complex numbers \(row 3"):
        precipice.from_long(objects)


def test_duplicates_and_empty_keys_name_their_lines(tmp_path):
    path = write(tmp_path / "s.csv", "algorithm,task,run,score\na,t,0,0.5\na,t,1,0.2\na,t,0,0.7\n")
    with pytest.raises(ValueError, match=r"duplicate rows .*\(line 2 and line 4\)"):
        precipice.from_long(path)
    write(path, "algorithm,task,run,score\na,t,0,0.5\na,,1,0.2\n")
    with pytest.raises(ValueError, match="line 3 has an empty task"):
        precipice.from_long(path)
    write(path, "")
    with pytest.raises(ValueError, match="is empty"):
        precipice.from_long(path)


def test_wide_tables_match_the_long_table(tmp_path):
    from precipice.longform import from_wide

    df = long_frame(runs=3, tasks=4)
    wide = df.pivot(index=["algorithm", "run"], columns="task", values="score").reset_index()
    wide.columns.name = None
    expected = precipice.from_long(df)
    for table in (wide, wide.drop(columns="run")):  # without a run column, each row is a run
        scores, tasks, frames = from_wide(table, return_labels=True)
        assert tasks == ["t0", "t1", "t2", "t3"] and frames is None
        for a in expected:
            np.testing.assert_array_equal(scores[a], expected[a])
    path = tmp_path / "w.csv.gz"
    wide.rename(columns={"algorithm": "model"}).to_csv(path, index=False)
    np.testing.assert_array_equal(from_wide(path, algorithm="model")["b"], expected["b"])
    np.testing.assert_array_equal(from_wide(wide, tasks=["t1"])["a"], expected["a"][:, 1:2])


def test_wide_bad_cells_name_line_and_column(tmp_path):
    from precipice.longform import from_wide

    path = write(tmp_path / "w.csv", "model,gsm8k,mmlu\nx,0.5,0.6\ny,0.3,n/a\n")
    with pytest.raises(ValueError, match=r"line 3, column 'mmlu': the score 'n/a' is not a number"):
        from_wide(path, algorithm="model")
    with pytest.raises(ValueError, match="no algorithm column 'algorithm'"):
        from_wide(path)
    with pytest.raises(ValueError, match="no task column 'arc'"):
        from_wide(path, algorithm="model", tasks=["arc"])
