"""rliable's four figures (needs matplotlib: the `plot` extra).

The functions take rliable's arguments (dicts of arrays keyed by algorithm,
same names, defaults and return values) and also accept precipice results
directly: a dict of :class:`precipice.bootstrap.IntervalEstimate` in place of
``point_estimates``, with ``interval_estimates`` left out. Nothing is shown
or saved unless asked; seaborn is not needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import bootstrap

__all__ = [
    "demo_figures",
    "interval_figure",
    "plot_interval_estimates",
    "plot_performance_profiles",
    "plot_probability_of_improvement",
    "plot_sample_efficiency_curve",
    "save_figures",
]

# The colour-blind-safe palette seaborn calls "colorblind".
_COLORBLIND = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
               "#ece133", "#56b4e9"]


def _split(point_estimates, interval_estimates):
    """(points, intervals) dicts of arrays from either calling convention."""
    if interval_estimates is None:
        if not all(isinstance(v, (bootstrap.IntervalEstimate, bootstrap.PairwiseImprovement))
                   for v in point_estimates.values()):
            raise ValueError("interval_estimates is required unless point_estimates holds precipice results")
        return ({k: np.asarray(v.point) for k, v in point_estimates.items()},
                {k: np.asarray(v.interval) for k, v in point_estimates.items()})
    return point_estimates, interval_estimates


def _distinct(n: int) -> list:
    """n colours no two alike: the colour-blind palette up to 10, tab20 up to 20,
    then evenly spaced hues of a perceptual map."""
    if n <= len(_COLORBLIND):
        return _COLORBLIND[:n]
    if n <= 20:
        return list(plt.get_cmap("tab20").colors[:n])
    return [tuple(c) for c in plt.get_cmap("turbo")(np.linspace(0.02, 0.98, n))]


def _colors(names, colors, color_palette):
    if colors is not None:
        return colors
    names = list(names)
    if color_palette == "colorblind":
        palette = _COLORBLIND
    else:
        cmap = plt.get_cmap(color_palette)
        palette = list(getattr(cmap, "colors", cmap(np.linspace(0, 1, max(len(names), 2)))))
    # A palette shorter than the names would repeat colours, and two algorithms
    # would look like one.
    if len(names) > len(palette):
        palette = _distinct(len(names))
    return {name: palette[i] for i, name in enumerate(names)}


def _decorate(ax, xlabel, ylabel, labelsize="x-large", ticklabelsize="large", grid_axis="both"):
    ax.set_xlabel(xlabel, fontsize=labelsize)
    ax.set_ylabel(ylabel, fontsize=labelsize)
    ax.tick_params(labelsize=ticklabelsize)
    ax.grid(True, alpha=0.25, axis=grid_axis)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_interval_estimates(point_estimates, interval_estimates=None, metric_names=None, algorithms=None,
                            colors=None, color_palette="colorblind", max_ticks=4, subfigure_width=3.4,
                            row_height=0.37, xlabel_y_coordinate=-0.1, xlabel="Normalized Score", **kwargs):
    """One panel per metric: each algorithm's interval as a bar, its point
    estimate as a tick. Returns ``(fig, axes)``."""
    if metric_names is None and interval_estimates is None:
        metric_names = next(iter(point_estimates.values())).names
    points, cis = _split(point_estimates, interval_estimates)
    algorithms = list(points) if algorithms is None else list(algorithms)
    colors = _colors(algorithms, colors, color_palette)
    n = len(metric_names)
    fig, axes = plt.subplots(1, n, figsize=(subfigure_width * n, row_height * len(algorithms) + 1.0), squeeze=False)
    axes = axes[0]
    for m, ax in enumerate(axes):
        for row, alg in enumerate(algorithms):
            low, high = np.asarray(cis[alg])[:, m]
            ax.barh(row, high - low, left=low, height=0.6, color=colors[alg], alpha=0.75)
            ax.vlines(np.atleast_1d(points[alg])[m], row - 0.3, row + 0.3, color="k", alpha=0.6)
        ax.set_yticks(range(len(algorithms)), algorithms if m == 0 else [])
        ax.xaxis.set_major_locator(plt.MaxNLocator(max_ticks))
        ax.set_title(metric_names[m], fontsize="xx-large")
        ax.grid(True, axis="x", alpha=0.25)
        ax.spines[["top", "right", "left"]].set_visible(False)
    fig.text(0.4, xlabel_y_coordinate, xlabel, ha="center", fontsize="xx-large")
    fig.subplots_adjust(wspace=kwargs.pop("wspace", 0.11), left=0.0)
    return fig, axes if n > 1 else axes[0]


def plot_performance_profiles(performance_profiles, tau_list, performance_profile_cis=None,
                              use_non_linear_scaling=False, ax=None, colors=None, color_palette="colorblind",
                              alpha=0.15, figsize=(10, 5), xticks=None, yticks=None,
                              xlabel=r"Normalized Score ($\tau$)", ylabel=r"Fraction of runs with score $> \tau$",
                              linestyles=None, **kwargs):
    """Profiles with their bands. Returns the axes."""
    if performance_profile_cis is None and all(
            isinstance(v, bootstrap.IntervalEstimate) for v in performance_profiles.values()):
        performance_profiles, performance_profile_cis = _split(performance_profiles, None)
    tau_list = np.asarray(tau_list)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    colors = _colors(list(performance_profiles), colors, color_palette)
    x = tau_list
    if use_non_linear_scaling:
        # rliable's scaling: the x position of tau is 1 - the mean profile at tau.
        x = 1 - np.mean([np.asarray(p) for p in performance_profiles.values()], axis=0)
        if xticks is None:
            idx = np.int32(np.logspace(0, np.log2(len(tau_list) - 1), base=2, num=5))
            xticks, labels = x[idx], [f"{tau_list[i]:g}" for i in idx]
            ax.set_xticks(xticks, labels)
    for name, profile in performance_profiles.items():
        style = (linestyles or {}).get(name, "-")
        ax.plot(x, profile, color=colors[name], linestyle=style, linewidth=kwargs.pop("linewidth", 2.0), label=name)
        if performance_profile_cis is not None and name in performance_profile_cis:
            low, high = performance_profile_cis[name]
            ax.fill_between(x, low, high, color=colors[name], alpha=alpha)
    if xticks is not None and not use_non_linear_scaling:
        ax.set_xticks(xticks)
    if yticks is not None:
        ax.set_yticks(yticks)
    ax.legend(frameon=False)
    return _decorate(ax, xlabel, ylabel)


def plot_sample_efficiency_curve(frames, point_estimates, interval_estimates=None, algorithms=None, colors=None,
                                 color_palette="colorblind", figsize=(7, 5),
                                 xlabel=r"Number of Frames (in millions)", ylabel="Aggregate Human Normalized Score",
                                 ax=None, labelsize="xx-large", ticklabelsize="xx-large", **kwargs):
    """An aggregate metric and its band across training frames. Returns the axes.

    With precipice results (3-D scores), the first metric is drawn."""
    if interval_estimates is None:
        points, cis = _split(point_estimates, None)
        points = {k: np.atleast_2d(v)[0] for k, v in points.items()}
        cis = {k: np.asarray(v)[:, 0] if np.ndim(v) == 3 else v for k, v in cis.items()}
    else:
        points, cis = point_estimates, interval_estimates
    algorithms = list(points) if algorithms is None else list(algorithms)
    colors = _colors(algorithms, colors, color_palette)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    for alg in algorithms:
        ax.plot(frames, points[alg], color=colors[alg], marker=kwargs.get("marker", "o"),
                linewidth=kwargs.get("linewidth", 2), label=alg)
        low, high = cis[alg]
        ax.fill_between(frames, low, high, color=colors[alg], alpha=0.2)
    ax.legend(frameon=False)
    return _decorate(ax, xlabel, ylabel, labelsize, ticklabelsize)


def plot_probability_of_improvement(probability_estimates, probability_interval_estimates=None, pair_separator=",",
                                    ax=None, figsize=(4, 3), colors=None, color_palette="colorblind", alpha=0.75,
                                    xticks=None, xlabel="P(X > Y)", left_ylabel="Algorithm X",
                                    right_ylabel="Algorithm Y", **kwargs):
    """One bar per pair "X,Y": the interval of P(X > Y) and its estimate, with
    X labelled on the left and Y on the right. Returns the axes."""
    points, cis = _split(probability_estimates, probability_interval_estimates)
    pairs = list(points)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    left = [p.split(pair_separator)[0] for p in pairs]
    right = [p.split(pair_separator)[-1] for p in pairs]
    colors = _colors(sorted(set(left)), colors, color_palette)
    for row, pair in enumerate(pairs):
        low, high = np.ravel(np.asarray(cis[pair])[0])[0], np.ravel(np.asarray(cis[pair])[1])[0]
        ax.barh(row, high - low, left=low, height=0.6, color=colors[left[row]], alpha=alpha)
        ax.vlines(np.ravel(points[pair])[0], row - 0.3, row + 0.3, color="k", alpha=0.85)
    ax.axvline(0.5, color="gray", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(pairs)), left)
    ax.set_xlim(0, 1)
    if xticks is not None:
        ax.set_xticks(xticks)
    twin = ax.twinx()
    twin.set_ylim(ax.get_ylim())
    twin.set_yticks(range(len(pairs)), right)
    twin.set_ylabel(right_ylabel, fontsize="x-large")
    twin.spines[["top", "left"]].set_visible(False)
    return _decorate(ax, xlabel, left_ylabel, grid_axis="x")


def _runs_label(name: str, runs) -> str:
    if runs is None:
        return name
    return f"{name} ({runs} {'run' if str(runs) == '1' else 'runs'})"


def interval_figure(estimates, metric_labels, *, order=None, runs=None, xlabel="Score", lower_is_better=None):
    """The interval-estimate figure of ``precipice report`` and ``precipice demo``.

    Parameters
    ----------
    estimates : dict of str to IntervalEstimate
        One per algorithm, all with the same metrics.
    metric_labels : sequence of str
        Panel titles, one per metric.
    order : sequence of str, optional
        Algorithms best first; drawn top to bottom. Default: the dict's order.
    runs : dict of str to int or str, optional
        Runs per algorithm, shown beside its name ("SPR (100 runs)").
    xlabel : str
        Axis label under the panels.
    lower_is_better : sequence of bool, optional
        Per metric; such panels say "(lower is better)" under their title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    order = list(estimates) if order is None else list(order)
    flags = [False] * len(metric_labels) if lower_is_better is None else list(lower_is_better)
    titles = [f"{label}\n(lower is better)" if low else label for label, low in zip(metric_labels, flags)]
    label = {name: _runs_label(name, None if runs is None else runs[name]) for name in order}
    colors = _colors(order, None, "colorblind")
    fig, _ = plot_interval_estimates(
        {label[n]: estimates[n] for n in order}, metric_names=titles,
        algorithms=[label[n] for n in reversed(order)],  # row 0 is the bottom row
        colors={label[n]: colors[n] for n in order}, xlabel=xlabel)
    if fig.texts:
        # The axis label sits a fixed 0.6 inch under the panels, whatever the
        # number of rows (a fixed figure fraction drifts away on tall figures).
        fig.texts[-1].set_y(fig.axes[0].get_position().y0 - 0.6 / fig.get_size_inches()[1])
    return fig


def demo_figures(scores, estimates, pairwise, out, *, seed: int, formats=("png",)) -> list[Path]:
    """The demo's figures, written into `out` in each of `formats` ("png", "pdf", "svg")."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    taus = np.linspace(0.0, 8.0, 201)
    names = next(iter(estimates.values())).names
    ranking = names.index("iqm") if "iqm" in names else 0
    order = sorted(estimates, key=lambda n: -float(estimates[n].point[ranking]))
    # Profiles keep performance_profile's (and rliable's) default of 2,000 replicates:
    # a band needs fewer than a table of point intervals, and 201 taus make each one wide.
    profiles = {name: bootstrap.performance_profile(scores[name], taus, seed=seed) for name in order}
    first = pairwise.names.index("SPR") if "SPR" in pairwise.names else 0
    others = [j for j in range(len(pairwise.names)) if j != first]
    pair_names = [f"{pairwise.names[first]},{pairwise.names[j]}" for j in others]
    labels = {"iqm": "IQM", "median": "Median", "mean": "Mean", "optimality_gap": "Optimality Gap"}
    fig_intervals = interval_figure(
        estimates, [labels.get(n, n) for n in names], order=order,
        runs={n: scores[n].shape[0] for n in order}, xlabel="Human Normalized Score",
        lower_is_better=[n.startswith("optimality_gap") for n in names])
    fig_profiles = plot_performance_profiles(profiles, taus, xlabel=r"Human Normalized Score $(\tau)$").figure
    fig_improvement = plot_probability_of_improvement(
        {p: pairwise.point[first, j] for p, j in zip(pair_names, others)},
        {p: pairwise.interval[:, first, j][:, None] for p, j in zip(pair_names, others)},
        figsize=(6, 3.5)).figure
    return save_figures({"interval_estimates": fig_intervals, "performance_profiles": fig_profiles,
                         "probability_of_improvement": fig_improvement}, out, formats)


def save_figures(figures, out, formats=("png",)) -> list[Path]:
    """Write each ``{stem: figure}`` as ``out/stem.format`` for every format, then close it.

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure
    out : path of an existing folder
    formats : sequence of {"png", "pdf", "svg"}

    Returns
    -------
    list of Path
        The files written.
    """
    written = []
    for stem, fig in figures.items():
        for fmt in formats:
            path = Path(out) / f"{stem}.{fmt}"
            fig.savefig(path, dpi=120, bbox_inches="tight")
            written.append(path)
        plt.close(fig)
    return written
