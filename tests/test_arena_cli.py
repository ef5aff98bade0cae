"""The shipped synthetic arena, its loader, and ``precipice arena battles.csv``."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from precipice import arena, datasets
from precipice.cli import main

DATA = datasets.__file__.replace("datasets.py", "data/arena/battles.csv.gz")


def test_shipped_battles_recover_the_known_ratings():
    table = datasets.arena_battles()
    assert len(table["model_a"]) == 50_000
    assert set(table["winner"]) == {"model_a", "model_b", "tie", "tie (bothbad)"}
    truth = datasets.arena_truth()
    style = arena.style_features(table["tokens_a"], table["tokens_b"], add_one=False)
    # The generating model: Davidson ties and a length effect of 0.25 logit.
    fit = arena.bradley_terry(
        table["model_a"], table["model_b"], table["winner"], ties="davidson", features=style, feature_names=["length"]
    )
    true = np.array([truth[m] for m in fit.models])
    centred = fit.ratings - fit.ratings.mean() - (true - true.mean())
    assert np.abs(centred / fit.se).max() < 4.5
    assert abs(fit.coefficients[0] - 0.25) < 4 * fit.coefficient_se[0]
    assert fit.tie_parameter == pytest.approx(0.35, abs=0.03)


def test_cli_prints_the_leaderboard(capsys):
    assert main(["arena", DATA, "--reps", "50", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "50,000 battles, 20 models" in out
    for column in ("rating", "95% CI", "rank CI", "Rank (UB)"):
        assert column in out
    assert out.count("\n") >= 22


def test_cli_plain_csv_anchor_and_errors(tmp_path, capsys):
    plain = tmp_path / "battles.csv"
    plain.write_bytes(gzip.decompress(Path(DATA).read_bytes()))
    assert main(["arena", str(plain), "--reps", "0", "--anchor", "lumen-3b=1300", "--ties", "davidson"]) == 0
    out = capsys.readouterr().out
    assert "lumen-3b          1300.0" in out
    assert main(["arena", str(plain), "--winner-col", "result"]) == 2
    assert "no column(s) ['result']" in capsys.readouterr().err
    assert main(["arena", str(plain), "--anchor", "nobody"]) == 2


def test_style_features_are_fastchats_normalised_differences():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 50, (200, 3)), rng.integers(0, 50, (200, 3))
    got = arena.style_features(a, b, ratio=[True, False, True])
    diff = (a - b).astype(float)
    diff[:, [0, 2]] /= (a + b + 1)[:, [0, 2]]
    np.testing.assert_allclose(got, (diff - diff.mean(0)) / diff.std(0))
    with pytest.raises(ValueError, match="constant"):
        arena.style_features(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="one shape"):
        arena.style_features(np.ones(5), np.ones(4))
