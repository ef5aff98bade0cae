"""precipice.leaderboard.read_scores, the ``precipice leaderboard`` command and
the two leaderboard figures (forest plot, rank heatmap), drawn with Agg."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from precipice import cli, leaderboard

pd = pytest.importorskip("pandas")


def _wide(tmp_path, name="scores.csv"):
    rng = np.random.default_rng(0)
    p = np.array([0.8, 0.6, 0.55, 0.2])
    scores = (rng.random((4, 120)) < p[:, None]).astype(int)
    frame = pd.DataFrame(scores, columns=[f"q{i:03d}" for i in range(120)])
    frame.insert(0, "model", ["alpha", "beta", "gamma", "delta"])
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            frame.to_csv(handle, index=False)
    else:
        frame.to_csv(path, index=False)
    return path, scores


def test_read_scores_wide_and_long_agree(tmp_path):
    path, scores = _wide(tmp_path)
    wide = leaderboard.read_scores(path)
    assert wide.models == ["alpha", "beta", "gamma", "delta"]
    np.testing.assert_array_equal(wide.scores, scores)
    long = pd.read_csv(path).melt(id_vars="model", var_name="item", value_name="score")
    long = long[~((long.model == "beta") & (long.item == "q005"))]  # a missing cell
    table = leaderboard.read_scores(long)
    assert table.models == wide.models and table.items == wide.items
    expected = scores.astype(float)
    expected[1, 5] = np.nan
    np.testing.assert_array_equal(table.scores, expected)


def test_read_scores_samples_and_clusters():
    frame = pd.DataFrame(
        {
            "model": ["a"] * 4 + ["b"] * 4,
            "item": ["x", "x", "y", "y"] * 2,
            "epoch": [0, 1, 0, 1] * 2,
            "family": ["f", "f", "g", "g"] * 2,
            "score": [1, 0, 1, 1, 0, 0, 1, 0],
        }
    )
    table = leaderboard.read_scores(frame, sample="epoch", cluster="family")
    assert table.scores.shape == (2, 2, 2)
    np.testing.assert_array_equal(table.scores[1], [[0, 0], [1, 0]])
    assert list(table.clusters) == ["f", "g"]
    with pytest.raises(ValueError, match="repeats an earlier"):
        leaderboard.read_scores(frame)  # two rows per (model, item) without a sample column
    bad = frame.assign(family=["f", "h", "g", "g"] * 2)
    with pytest.raises(ValueError, match="more than one"):
        leaderboard.read_scores(bad, sample="epoch", cluster="family")


def test_cli_prints_the_table_and_writes_the_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path, _ = _wide(tmp_path, "scores.csv.gz")
    out = tmp_path / "out"
    status = cli.main(["leaderboard", str(path), "--reps", "500", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    lines = printed.splitlines()
    assert "4x120 scores" in lines[0]
    assert lines[1].split()[:3] == ["#", "model", "mean"]
    assert lines[3].split()[1] == "alpha"
    assert sorted(p.name for p in out.iterdir()) == ["forest.png", "leaderboard.txt", "rank_heatmap.png"]
    assert (out / "leaderboard.txt").read_text() == printed


def test_cli_reports_bad_input(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("model,q1,q2\na,1,n/a\nb,0,1\n")
    assert cli.main(["leaderboard", str(path), "--reps", "50"]) == cli.EXIT_ERROR
    assert "not a number" in capsys.readouterr().err


def test_forest_and_rank_heatmap_draw(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from precipice import plot

    rng = np.random.default_rng(1)
    board = leaderboard.ranks((rng.random((5, 200)) < np.linspace(0.3, 0.7, 5)[:, None]), reps=300, seed=0)
    names = [f"m{i}" for i in range(5)]
    ax = plot.forest(names, board.mean, board.interval, groups=board.tie_groups, annotations=list("abcde"))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["m4", "m3", "m2", "m1", "m0"]
    heat = plot.rank_heatmap(board.rank_probabilities, names)
    assert heat.images[0].get_array().shape == (5, 5)
    written = plot.save_figures({"forest": ax.figure, "heat": heat.figure}, tmp_path)
    assert all(p.stat().st_size > 0 for p in written)
    with pytest.raises(ValueError, match="intervals of shape"):
        plot.forest(names, board.mean, board.interval.T)
    with pytest.raises(ValueError, match="matrix"):
        plot.rank_heatmap(board.rank_probabilities[:4], names)
