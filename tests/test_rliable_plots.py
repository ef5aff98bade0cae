"""precipice.compat.rliable.plot_utils draws what rliable.plot_utils draws.

Every function is called with the arguments rliable's README uses, on the same
inputs, once through rliable and once through the compat layer; the axes must
agree in ticks, tick labels, limits, axis labels and titles (Agg backend, no
display). Without rliable (or seaborn, which its plots need) only the compat
side runs, against the values rliable is known to produce.
"""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from precipice.compat.rliable import library as rly  # noqa: E402
from precipice.compat.rliable import metrics, plot_utils  # noqa: E402

ALGORITHMS = ["DQN (Nature)", "C51", "DreamerV2"]
RNG = np.random.default_rng(0)
SCORES = {name: RNG.gamma(1.0 + i, 0.6, size=(5, 12)) for i, name in enumerate(ALGORITHMS)}
FRAMES_SCORES = {
    name: np.cumsum(RNG.gamma(1.0 + i, 0.1, size=(5, 12, 6)), axis=-1) for i, name in enumerate(ALGORITHMS)
}
THRESHOLDS = np.linspace(0.0, 8.0, 81)


def _rliable_plots():
    try:
        from rliable import plot_utils as anchor
    except Exception:  # rliable, arch or seaborn missing or broken
        return None
    return anchor


ANCHOR = _rliable_plots()
needs_anchor = pytest.mark.skipif(ANCHOR is None, reason="rliable.plot_utils (with seaborn) not importable")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def summary(fig):
    """What a reader sees of every axes of a figure, as plain values."""
    fig.canvas.draw()
    out = []
    for ax in fig.axes:
        out.append(
            {
                "xlim": np.round(ax.get_xlim(), 9).tolist(),
                "ylim": np.round(ax.get_ylim(), 9).tolist(),
                "xticks": np.round(ax.get_xticks(), 9).tolist(),
                "yticks": np.round(ax.get_yticks(), 9).tolist(),
                "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
                "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "title": ax.get_title(),
                "spines": sorted(k for k, s in ax.spines.items() if s.get_visible()),
            }
        )
    return out


def aggregate_func(x):
    return np.array(
        [
            metrics.aggregate_median(x),
            metrics.aggregate_iqm(x),
            metrics.aggregate_mean(x),
            metrics.aggregate_optimality_gap(x),
        ]
    )


def iqm(scores):
    return np.array([metrics.aggregate_iqm(scores[..., frame]) for frame in range(scores.shape[-1])])


@pytest.fixture(scope="module")
def estimates():
    aggregate = rly.get_interval_estimates(SCORES, aggregate_func, reps=500, random_state=0)
    pairs = {
        "DreamerV2,C51": (SCORES["DreamerV2"], SCORES["C51"]),
        "DreamerV2,DQN (Nature)": (SCORES["DreamerV2"], SCORES["DQN (Nature)"]),
    }
    improvement = rly.get_interval_estimates(pairs, metrics.probability_of_improvement, reps=500, random_state=0)
    curve = rly.get_interval_estimates(FRAMES_SCORES, iqm, reps=500, random_state=0)
    profiles = rly.create_performance_profile(SCORES, THRESHOLDS, reps=200)
    return {"aggregate": aggregate, "improvement": improvement, "curve": curve, "profiles": profiles}


def draw_interval_estimates(module, est):
    points, cis = est["aggregate"]
    fig, _ = module.plot_interval_estimates(
        points,
        cis,
        metric_names=["Median", "IQM", "Mean", "Optimality Gap"],
        algorithms=ALGORITHMS,
        xlabel="Human Normalized Score",
    )
    return fig


def draw_probability_of_improvement(module, est):
    return module.plot_probability_of_improvement(*est["improvement"]).figure


def draw_sample_efficiency_curve(module, est):
    points, cis = est["curve"]
    frames = np.array([1, 10, 25, 50, 75, 100]) - 1
    return module.plot_sample_efficiency_curve(
        frames + 1,
        points,
        cis,
        algorithms=ALGORITHMS,
        xlabel=r"Number of Frames (in millions)",
        ylabel="IQM Human Normalized Score",
    ).figure


def draw_performance_profiles(module, est):
    profiles, cis = est["profiles"]
    fig, ax = plt.subplots(ncols=1, figsize=(7, 5))
    module.plot_performance_profiles(
        profiles, THRESHOLDS, performance_profile_cis=cis, xlabel=r"Human Normalized Score $(\tau)$", ax=ax
    )
    return fig


def draw_non_linear_profiles(module, est):
    profiles, cis = est["profiles"]
    fig, ax = plt.subplots(ncols=1, figsize=(7, 5))
    module.plot_performance_profiles(
        profiles,
        THRESHOLDS,
        performance_profile_cis=cis,
        use_non_linear_scaling=True,
        xticks=[0.0, 0.5, 1.0, 2.0, 4.0, 8.0],
        xlabel=r"Human Normalized Score $(\tau)$",
        ax=ax,
    )
    return fig


def draw_non_linear_default_ticks(module, est):
    profiles, cis = est["profiles"]
    fig, ax = plt.subplots(ncols=1, figsize=(7, 5))
    module.plot_performance_profiles(
        profiles, THRESHOLDS, performance_profile_cis=cis, use_non_linear_scaling=True, ax=ax
    )
    return fig


DRAWINGS = [
    draw_interval_estimates,
    draw_probability_of_improvement,
    draw_sample_efficiency_curve,
    draw_performance_profiles,
    draw_non_linear_profiles,
    draw_non_linear_default_ticks,
]


@needs_anchor
@pytest.mark.parametrize("draw", DRAWINGS, ids=lambda f: f.__name__[5:])
def test_same_axes_as_rliable(draw, estimates):
    theirs = summary(draw(ANCHOR, estimates))
    ours = summary(draw(plot_utils, estimates))
    assert ours == theirs


@needs_anchor
def test_same_figure_size_as_rliable(estimates):
    theirs = draw_interval_estimates(ANCHOR, estimates)
    ours = draw_interval_estimates(plot_utils, estimates)
    np.testing.assert_allclose(ours.get_size_inches(), theirs.get_size_inches())


def test_non_linear_axis_is_labelled_with_the_requested_taus(estimates):
    fig = draw_non_linear_profiles(plot_utils, estimates)
    ax = fig.axes[0]
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.0", "0.5", "1.0", "2.0", "4.0", "8.0"]
    profiles, _ = estimates["profiles"]
    position = 1 - np.mean([profiles[a] for a in ALGORITHMS], axis=0)
    wanted = [int(np.argmin(np.abs(THRESHOLDS - t))) for t in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)]
    np.testing.assert_allclose(ax.get_xticks(), position[wanted])


def test_non_linear_tick_outside_the_taus_is_a_clear_error(estimates):
    profiles, cis = estimates["profiles"]
    with pytest.raises(ValueError, match="xticks"):
        plot_utils.plot_performance_profiles(profiles, THRESHOLDS, cis, use_non_linear_scaling=True, xticks=[0.33])


def test_probability_of_improvement_axes_name_both_sides(estimates):
    ax = plot_utils.plot_probability_of_improvement(*estimates["improvement"])
    left, right = summary(ax.figure)
    assert left["yticklabels"] == ["DreamerV2", "DreamerV2"]
    assert right["yticklabels"] == ["C51", "DQN (Nature)"]
    assert (left["ylabel"], right["ylabel"]) == ("Algorithm X", "Algorithm Y")
    assert left["ylim"] == right["ylim"]


def test_probability_of_improvement_bad_key(estimates):
    points, cis = estimates["improvement"]
    with pytest.raises(ValueError, match="two names"):
        plot_utils.plot_probability_of_improvement({"a;b": points["DreamerV2,C51"]}, {"a;b": cis["DreamerV2,C51"]})
