"""The shipped data, the demo command and the figures."""

import numpy as np
import precipice
import pytest
from precipice import cli, datasets


def test_atari100k_shapes_and_normalisation():
    scores = datasets.atari100k()
    assert set(scores) == {"SPR", "DrQ(eps)", "SimPLe", "IRIS", "CURL"}
    for name, x in scores.items():
        assert x.shape[1] == 26 and np.isfinite(x).all(), name
    assert scores["SPR"].shape == (100, 26) and scores["SimPLe"].shape == (5, 26)
    raw = datasets.atari100k(normalize=False)
    human, random = datasets.atari100k_reference()
    g = datasets.ATARI_100K_GAMES.index("Breakout")
    expected = (raw["SPR"][:, g] - random["Breakout"]) / (human["Breakout"] - random["Breakout"])
    np.testing.assert_allclose(scores["SPR"][:, g], expected)
    low = np.array([random[g] for g in datasets.ATARI_100K_GAMES])
    span = np.array([human[g] for g in datasets.ATARI_100K_GAMES]) - low
    np.testing.assert_allclose((raw["CURL"] - low) / span, scores["CURL"], rtol=1e-12, atol=1e-12)
    single = datasets.atari100k(include_single_run=True)
    assert single["EfficientZero"].shape == (1, 26) and single["MuZero"].shape == (1, 26)


def test_published_spr_iqm():
    # Agarwal et al. (2021) report an IQM of about 0.337 for SPR on Atari 100k.
    est = precipice.bootstrap.interval_estimates(datasets.atari100k()["SPR"], "iqm", reps=200, seed=0)
    assert est.point[0] == pytest.approx(0.337, abs=0.002)


def test_lsat_tables():
    for version in (6, 7):
        patterns, counts = datasets.lsat(version)
        assert patterns.shape == (32, 5) and counts.sum() == 1000
        assert set(np.unique(patterns)) <= {0, 1}
    with pytest.raises(ValueError, match="version"):
        datasets.lsat(5)


def test_demo_prints_table_and_writes_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "figs"
    assert cli.main(["demo", "--reps", "500", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for word in ("IQM", "Median", "Optimality gap", "SPR", "P(SPR > DrQ(eps))"):
        assert word in text
    pngs = sorted(p.name for p in out.iterdir())
    assert pngs == ["interval_estimates.png", "performance_profiles.png", "probability_of_improvement.png"]
    for p in out.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


def test_demo_bad_reps_is_a_clear_error(capsys):
    assert cli.main(["demo", "--reps", "0", "--out", "-"]) == 2
    assert "reps" in capsys.readouterr().err


def test_sample_efficiency_curve_renders(tmp_path):
    plot = pytest.importorskip("precipice.plot")
    rng = np.random.default_rng(0)
    scores = {"a": rng.random((5, 4, 6)), "b": rng.random((5, 4, 6)) + 0.2}
    est = {k: precipice.bootstrap.interval_estimates(v, "iqm", reps=200, seed=1) for k, v in scores.items()}
    ax = plot.plot_sample_efficiency_curve(np.arange(6), est)
    path = tmp_path / "curve.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:4] == b"\x89PNG"
