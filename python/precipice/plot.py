"""rliable's four figures (needs matplotlib: the `plot` extra).

The functions take rliable's arguments (dicts of arrays keyed by algorithm,
same names, defaults and return values) and also accept precipice results
directly: a dict of :class:`precipice.bootstrap.IntervalEstimate` in place of
``point_estimates``, with ``interval_estimates`` left out. Nothing is shown
or saved unless asked; seaborn is not needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from . import bootstrap

__all__ = [
    "demo_figures",
    "forest",
    "interval_figure",
    "plot_interval_estimates",
    "plot_performance_profiles",
    "plot_probability_of_improvement",
    "plot_sample_efficiency_curve",
    "rank_heatmap",
    "save_figures",
]

# The colour-blind-safe palette seaborn calls "colorblind".
_COLORBLIND = [
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
]


def _split(point_estimates, interval_estimates):
    """(points, intervals) dicts of arrays from either calling convention."""
    if interval_estimates is None:
        if not all(
            isinstance(v, (bootstrap.IntervalEstimate, bootstrap.PairwiseImprovement)) for v in point_estimates.values()
        ):
            raise ValueError("interval_estimates is required unless point_estimates holds precipice results")
        return (
            {k: np.asarray(v.point) for k, v in point_estimates.items()},
            {k: np.asarray(v.interval) for k, v in point_estimates.items()},
        )
    return point_estimates, interval_estimates


def _distinct(n: int) -> list[Any]:
    """n colours no two alike: the colour-blind palette up to 10, tab20 up to 20,
    then evenly spaced hues of a perceptual map."""
    if n <= len(_COLORBLIND):
        return _COLORBLIND[:n]
    if n <= 20:
        return list(plt.get_cmap("tab20").colors[:n])  # type: ignore[attr-defined]  # a ListedColormap
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


def _decorate(
    ax,
    xlabel="",
    ylabel="",
    labelsize="x-large",
    ticklabelsize="x-large",
    xticks=None,
    xticklabels=None,
    yticks=None,
    legend=False,
    grid_alpha=0.2,
    legendsize="x-large",
    wrect=10,
    hrect=10,
):
    """rliable's axis style: labels, the ticks asked for (labelled with the
    given values), a faint grid, no top or right spine, the others offset."""
    ax.set_xlabel(xlabel, fontsize=labelsize)
    ax.set_ylabel(ylabel, fontsize=labelsize)
    if xticks is not None:
        ax.set_xticks(xticks)
        ax.set_xticklabels(xticklabels)
    if yticks is not None:
        ax.set_yticks(yticks)
    ax.grid(True, alpha=grid_alpha)
    _spines(ax, wrect, hrect, ticklabelsize)
    if legend:
        ax.legend(fontsize=legendsize)
    return ax


def _spines(ax, wrect=10, hrect=10, ticklabelsize="large"):
    """No top or right spine, the others thick and set `wrect`/`hrect` points
    outward, near-invisible tick marks (as rliable draws them)."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_linewidth(2)
    ax.tick_params(length=0.1, width=0.1, labelsize=ticklabelsize)
    ax.spines["left"].set_position(("outward", hrect))
    ax.spines["bottom"].set_position(("outward", wrect))


def plot_interval_estimates(
    point_estimates,
    interval_estimates=None,
    metric_names=None,
    algorithms=None,
    colors=None,
    color_palette="colorblind",
    max_ticks=4,
    subfigure_width=3.4,
    row_height=0.37,
    xlabel_y_coordinate=-0.1,
    xlabel="Normalized Score",
    **kwargs,
):
    """One panel per metric: each algorithm's interval as a bar, its point
    estimate as a tick.

    Parameters
    ----------
    point_estimates : dict
        Algorithm -> point estimates ``(num_metrics,)``, or -> a precipice
        :class:`~precipice.bootstrap.IntervalEstimate` (then leave
        `interval_estimates` out; `metric_names` defaults to its names).
    interval_estimates : dict, optional
        Algorithm -> ``(2, num_metrics)`` intervals.
    metric_names : list of str
        Panel titles, one per metric.
    algorithms : list of str, optional
        Rows, top to bottom from the first; default all algorithms.
    colors, color_palette : optional
        Algorithm -> colour, or the palette to draw them from.
    max_ticks, subfigure_width, row_height, xlabel_y_coordinate, xlabel
        As in rliable; ``interval_height`` (0.6) and ``wspace`` (0.11) are
        accepted as keywords.

    Returns
    -------
    fig, axes
        The figure and its axes (one Axes when there is one metric).

    Raises
    ------
    ValueError
        `interval_estimates` left out for plain arrays.
    """
    if metric_names is None and interval_estimates is None:
        metric_names = next(iter(point_estimates.values())).names
    points, cis = _split(point_estimates, interval_estimates)
    algorithms = list(points) if algorithms is None else list(algorithms)
    colors = _colors(algorithms, colors, color_palette)
    height = kwargs.pop("interval_height", 0.6)
    n = len(np.atleast_1d(points[algorithms[0]]))
    fig, axes = plt.subplots(nrows=1, ncols=n, figsize=(subfigure_width * n, row_height * len(algorithms)))
    panels = np.atleast_1d(axes)
    for m, name in enumerate(metric_names):
        ax = panels[m]
        for row, alg in enumerate(algorithms):
            low, high = np.asarray(cis[alg])[:, m]
            ax.barh(y=row, width=high - low, height=height, left=low, color=colors[alg], alpha=0.75, label=alg)
            ax.vlines(
                x=np.atleast_1d(points[alg])[m],
                ymin=row - 7.5 * height / 16,
                ymax=row + 6 * height / 16,
                label=alg,
                color="k",
                alpha=0.5,
            )
        ax.set_yticks(list(range(len(algorithms))))
        ax.xaxis.set_major_locator(MaxNLocator(max_ticks))
        if m == 0:
            ax.set_yticklabels(algorithms, fontsize="x-large")
        else:
            ax.set_yticks([])
        ax.set_title(name, fontsize="xx-large")
        _spines(ax, wrect=5, ticklabelsize="xx-large")
        ax.spines["left"].set_visible(False)
        ax.grid(True, axis="x", alpha=0.25)
    fig.text(0.4, xlabel_y_coordinate, xlabel, ha="center", fontsize="xx-large")
    fig.subplots_adjust(wspace=kwargs.pop("wspace", 0.11), left=0.0)
    return fig, axes


def _non_linear_positions(profiles, taus, xticks):
    """rliable's non-linear x axis: tau sits at 1 - the mean profile at tau.
    Returns the positions, the tick positions and their labels; ticks asked
    for are placed at the tau they name (the nearest tau of the list)."""
    x = 1 - np.mean([np.asarray(p, dtype=np.float64) for p in profiles.values()], axis=0)
    if xticks is None:
        idx = np.logspace(0, np.log2(len(taus) - 1), base=2, num=5).astype(np.int32)
        labels = [taus[i] for i in idx]
    else:
        labels = list(xticks)
        wanted = np.asarray(labels, dtype=np.float64)
        idx = np.abs(np.asarray(taus, dtype=np.float64)[np.newaxis] - wanted[:, np.newaxis]).argmin(axis=1)
        off = ~np.isclose(np.asarray(taus, dtype=np.float64)[idx], wanted, rtol=1e-9, atol=1e-12)
        if off.any():
            raise ValueError(
                f"xticks: with use_non_linear_scaling every tick must be one of tau_list; {wanted[off].tolist()} is not"
            )
    return x, x[idx], labels


def plot_performance_profiles(
    performance_profiles,
    tau_list,
    performance_profile_cis=None,
    use_non_linear_scaling=False,
    ax=None,
    colors=None,
    color_palette="colorblind",
    alpha=0.15,
    figsize=(10, 5),
    xticks=None,
    yticks=None,
    xlabel=r"Normalized Score ($\tau$)",
    ylabel=r"Fraction of runs with score $> \tau$",
    linestyles=None,
    **kwargs,
):
    """Performance profiles with their confidence bands.

    Parameters
    ----------
    performance_profiles : dict
        Algorithm -> profile ``(len(tau_list),)``, or -> a precipice profile
        :class:`~precipice.bootstrap.IntervalEstimate` (bands included).
    tau_list : array_like
        The thresholds of the profiles.
    performance_profile_cis : dict, optional
        Algorithm -> ``(2, len(tau_list))`` band.
    use_non_linear_scaling : bool
        Place each tau at 1 - the mean profile there (rliable's scaling), so
        the axis spreads where the runs are; the ticks are still labelled with
        tau values.
    ax, colors, color_palette, alpha, figsize, linestyles
        As in rliable.
    xticks : list, optional
        Tick positions (tau values; with non-linear scaling, values of
        `tau_list`), labelled with those values.
    yticks : list, optional
        Default ``[0, 0.25, 0.5, 0.75, 1]``.
    xlabel, ylabel : str
    **kwargs
        ``linewidth`` and the axis style of rliable (``labelsize``,
        ``ticklabelsize``, ``legend``, ``legendsize``, ``grid_alpha``,
        ``wrect``, ``hrect``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        With non-linear scaling, an xtick that is not in `tau_list`.
    """
    if performance_profile_cis is None and all(
        isinstance(v, bootstrap.IntervalEstimate) for v in performance_profiles.values()
    ):
        performance_profiles, performance_profile_cis = _split(performance_profiles, None)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    colors = _colors(list(performance_profiles), colors, color_palette)
    linestyles = linestyles or {}
    if use_non_linear_scaling:
        x, xticks, xticklabels = _non_linear_positions(performance_profiles, tau_list, xticks)
    else:
        x, xticklabels = tau_list, xticks
    linewidth = kwargs.pop("linewidth", 2.0)
    for name, profile in performance_profiles.items():
        ax.plot(
            x, profile, color=colors[name], linestyle=linestyles.get(name, "solid"), linewidth=linewidth, label=name
        )
        if performance_profile_cis is not None and name in performance_profile_cis:
            low, high = performance_profile_cis[name]
            ax.fill_between(x, low, high, color=colors[name], alpha=alpha)
    if yticks is None:
        yticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    return _decorate(ax, xlabel, ylabel, xticks=xticks, xticklabels=xticklabels, yticks=yticks, **kwargs)


def plot_sample_efficiency_curve(
    frames,
    point_estimates,
    interval_estimates=None,
    algorithms=None,
    colors=None,
    color_palette="colorblind",
    figsize=(7, 5),
    xlabel=r"Number of Frames (in millions)",
    ylabel="Aggregate Human Normalized Score",
    ax=None,
    labelsize="xx-large",
    ticklabelsize="xx-large",
    **kwargs,
):
    """An aggregate metric and its band across training frames.

    Parameters
    ----------
    frames : array_like
        The x value of each evaluation frame.
    point_estimates : dict
        Algorithm -> ``(num_frames,)`` estimates, or -> a precipice
        :class:`~precipice.bootstrap.IntervalEstimate` of 3-D scores (its first
        metric is drawn; leave `interval_estimates` out).
    interval_estimates : dict, optional
        Algorithm -> ``(2, num_frames)`` bands.
    algorithms, colors, color_palette, figsize, xlabel, ylabel, ax, labelsize, ticklabelsize
        As in rliable.
    **kwargs
        ``marker``, ``linewidth`` and rliable's axis style (``xticks``,
        ``xticklabels``, ``yticks``, ``legend``, ``legendsize``,
        ``grid_alpha``, ``wrect``, ``hrect``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        `interval_estimates` left out for plain arrays.
    """
    if interval_estimates is None:
        points, cis = _split(point_estimates, None)
        points = {k: np.atleast_2d(v)[0] for k, v in points.items()}
        cis = {k: np.asarray(v)[:, 0] if np.ndim(v) == 3 else v for k, v in cis.items()}
    else:
        points, cis = point_estimates, interval_estimates
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    algorithms = list(points) if algorithms is None else list(algorithms)
    colors = _colors(algorithms, colors, color_palette)
    marker, linewidth = kwargs.pop("marker", "o"), kwargs.pop("linewidth", 2)
    for alg in algorithms:
        ax.plot(frames, points[alg], color=colors[alg], marker=marker, linewidth=linewidth, label=alg)
        low, high = cis[alg]
        ax.fill_between(frames, low, high, color=colors[alg], alpha=0.2)
    return _decorate(ax, xlabel, ylabel, labelsize=labelsize, ticklabelsize=ticklabelsize, **kwargs)


def plot_probability_of_improvement(
    probability_estimates,
    probability_interval_estimates=None,
    pair_separator=",",
    ax=None,
    figsize=(4, 3),
    colors=None,
    color_palette="colorblind",
    alpha=0.75,
    xticks=None,
    xlabel="P(X > Y)",
    left_ylabel="Algorithm X",
    right_ylabel="Algorithm Y",
    **kwargs,
):
    """One bar per pair "X,Y": the interval of P(X > Y) and its estimate, with
    X labelled on the left axis and Y on the right.

    Parameters
    ----------
    probability_estimates : dict
        ``"X,Y"`` -> P(X > Y) (a scalar or ``(1,)``), or -> a precipice
        :class:`~precipice.bootstrap.IntervalEstimate` (leave the intervals out).
    probability_interval_estimates : dict, optional
        ``"X,Y"`` -> ``(2,)`` or ``(2, 1)`` interval.
    pair_separator : str
        What joins X and Y in the keys.
    ax, figsize, alpha, xticks, xlabel, left_ylabel, right_ylabel
        As in rliable.
    colors : sequence, optional
        One colour per pair, in order; default from `color_palette`.
    **kwargs
        ``interval_height``, ``wrect``, ``ticklabelsize``, ``labelsize``,
        ``ylabel_x_coordinate`` and rliable's axis style.

    Returns
    -------
    matplotlib.axes.Axes
        The left axes (the right one is its twin).

    Raises
    ------
    ValueError
        A key that is not two names joined by `pair_separator`, or intervals
        left out for plain values.
    """
    points, cis = _split(probability_estimates, probability_interval_estimates)
    pairs = list(points)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    # rliable colours by pair position, not by algorithm.
    colors = _colors(range(len(pairs)), colors or None, color_palette)
    height = kwargs.pop("interval_height", 0.6)
    wrect = kwargs.pop("wrect", 5)
    ticklabelsize = kwargs.pop("ticklabelsize", "x-large")
    labelsize = kwargs.pop("labelsize", "x-large")
    ylabel_x = kwargs.pop("ylabel_x_coordinate", 0.2)
    twin = ax.twinx()
    left, right = [], []
    for row, pair in enumerate(pairs):
        names = pair.split(pair_separator)
        if len(names) != 2:
            raise ValueError(f"probability_estimates: key {pair!r} is not two names joined by {pair_separator!r}")
        left.append(names[0])
        right.append(names[1])
        low, high = (np.ravel(bound)[0] for bound in np.asarray(cis[pair]))
        bar = {"y": row, "width": high - low, "height": height, "left": low, "color": colors[row]}
        ax.barh(**bar, alpha=alpha, label=names[0])
        # An invisible copy gives the right axis the same limits.
        twin.barh(**bar, alpha=0.0, label=names[1])
        ax.vlines(
            x=np.ravel(points[pair])[0],
            ymin=row - 7.5 * height / 16,
            ymax=row + 6 * height / 16,
            color="k",
            alpha=min(alpha + 0.1, 1.0),
        )
    style = {
        "xticks": xticks,
        "xticklabels": xticks,
        "yticks": range(len(pairs)),
        "xlabel": xlabel,
        "wrect": wrect,
        "labelsize": labelsize,
        "ticklabelsize": ticklabelsize,
    }
    _decorate(ax, ylabel=left_ylabel, **style, **kwargs)
    _decorate(twin, ylabel=right_ylabel, **style, **{**kwargs, "grid_alpha": 0.0})
    sides = ((ax, left, left_ylabel, -ylabel_x), (twin, right, right_ylabel, 1 + 0.7 * ylabel_x))
    for axis, labels, label, at in sides:
        axis.set_yticklabels(labels, fontsize=ticklabelsize)
        axis.set_ylabel(label, fontweight="bold", rotation="horizontal", va="bottom", fontsize=labelsize)
        axis.spines["left"].set_visible(False)
        axis.yaxis.set_label_coords(at, 1.0)
    return ax


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
        {label[n]: estimates[n] for n in order},
        metric_names=titles,
        algorithms=[label[n] for n in reversed(order)],  # row 0 is the bottom row
        colors={label[n]: colors[n] for n in order},
        xlabel=xlabel,
    )
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
        estimates,
        [labels.get(n, n) for n in names],
        order=order,
        runs={n: scores[n].shape[0] for n in order},
        xlabel="Human Normalized Score",
        lower_is_better=[n.startswith("optimality_gap") for n in names],
    )
    fig_profiles = plot_performance_profiles(
        profiles, taus, xlabel=r"Human Normalized Score $(\tau)$", legend=True, legendsize="medium"
    ).figure
    fig_improvement = plot_probability_of_improvement(
        {p: pairwise.point[first, j] for p, j in zip(pair_names, others)},
        {p: pairwise.interval[:, first, j][:, None] for p, j in zip(pair_names, others)},
        figsize=(6, 3.5),
    ).figure
    return save_figures(
        {
            "interval_estimates": fig_intervals,
            "performance_profiles": fig_profiles,
            "probability_of_improvement": fig_improvement,
        },
        out,
        formats,
    )


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


def _model_axes(ax: Any, rows: int, width: float) -> Any:
    """``ax``, or the axes of a new figure tall enough for ``rows`` labelled rows."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=(width, min(max(2.0, 0.28 * rows + 1.2), 60.0)))
    return new


def forest(
    labels: Any,
    estimates: Any,
    intervals: Any,
    *,
    groups: Any = None,
    annotations: Any = None,
    order: Any = None,
    ax: Any = None,
    xlabel: str = "Mean score",
    title: str | None = None,
) -> Any:
    """A forest plot: one row per model, its estimate and interval, coloured by group.

    Generic: leaderboard means (:func:`precipice.leaderboard.ranks`) or arena
    ratings alike.

    Parameters
    ----------
    labels : sequence of str
        Model names, ``n`` of them.
    estimates : array_like, ``(n,)``
        Point estimates (means, ratings).
    intervals : array_like, ``(2, n)``
        Lower row, upper row (a result's ``.interval``).
    groups : array_like of int, ``(n,)``, optional
        Tie groups (``.tie_groups``): rows of a group share a colour and the
        groups are separated by a faint band; None colours every row alike.
    annotations : sequence of str, optional
        Text at the right of each row (rank intervals, say).
    order : sequence of int, optional
        Row indices top to bottom; default best (largest estimate) first.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized for ``n`` rows.
    xlabel : str
        Label of the estimate axis.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the lengths or shapes disagree.
    """
    names = [str(label) for label in labels]
    n = len(names)
    points = np.asarray(estimates, dtype=np.float64).reshape(-1)
    bounds = np.asarray(intervals, dtype=np.float64)
    if points.shape != (n,) or bounds.shape != (2, n):
        raise ValueError(
            f"forest: need {n} estimates and intervals of shape (2, {n}), got {points.shape} and {bounds.shape}"
        )
    rows = np.argsort(-points, kind="stable") if order is None else np.asarray(order, dtype=np.int64)
    if sorted(rows.tolist()) != list(range(n)):
        raise ValueError("forest: order must be a permutation of the rows")
    labels_of = None if groups is None else np.asarray(groups).reshape(-1)
    if labels_of is not None and labels_of.shape != (n,):
        raise ValueError(f"forest: need {n} groups, got shape {labels_of.shape}")
    notes = None if annotations is None else [str(a) for a in annotations]
    if notes is not None and len(notes) != n:
        raise ValueError(f"forest: need {n} annotations, got {len(notes)}")
    ax = _model_axes(ax, n, 7.0)
    y = np.arange(n)[::-1]  # the first row on top
    kinds = np.zeros(n, dtype=np.int64) if labels_of is None else np.unique(labels_of, return_inverse=True)[1]
    colors = [_COLORBLIND[int(kinds[m]) % len(_COLORBLIND)] for m in rows]
    for position, (m, color) in enumerate(zip(rows, colors)):
        ax.plot(bounds[:, m], [y[position]] * 2, color=color, linewidth=2.0, solid_capstyle="butt")
        ax.plot(points[m], y[position], "o", color=color, markersize=5)
    if labels_of is not None:
        group_rows = kinds[rows]
        for position in range(1, n):
            if group_rows[position] != group_rows[position - 1]:
                ax.axhline(y[position] + 0.5, color="0.85", linewidth=0.8, zorder=0)
    ax.set_yticks(y)
    ax.set_yticklabels([names[m] for m in rows], fontsize="small" if n > 30 else "medium")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    if notes is not None:
        for position, m in enumerate(rows):
            ax.annotate(
                notes[m],
                (1.01, y[position]),
                xycoords=("axes fraction", "data"),
                va="center",
                fontsize="x-small" if n > 30 else "small",
            )
    if title:
        ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def rank_heatmap(
    rank_probabilities: Any,
    labels: Any,
    *,
    order: Any = None,
    ax: Any = None,
    cmap: str = "viridis",
    annotate: bool | None = None,
    title: str | None = None,
) -> Any:
    """A heatmap of P(rank = r): one row per model, one column per rank.

    Parameters
    ----------
    rank_probabilities : array_like, ``(n, n)``
        Row m is P(rank of m = r) for r = 1..n (``.rank_probabilities``).
    labels : sequence of str
        Model names.
    order : sequence of int, optional
        Row indices top to bottom; default by expected rank, best first.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    cmap : str
        Colour map.
    annotate : bool, optional
        Write the probabilities in the cells; default when n <= 15.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the matrix is not square with one row per label.
    """
    names = [str(label) for label in labels]
    n = len(names)
    matrix = np.asarray(rank_probabilities, dtype=np.float64)
    if matrix.shape != (n, n):
        raise ValueError(f"rank_heatmap: need a ({n}, {n}) matrix for {n} labels, got shape {matrix.shape}")
    expected = matrix @ np.arange(1.0, n + 1)
    rows = np.argsort(expected, kind="stable") if order is None else np.asarray(order, dtype=np.int64)
    if ax is None:
        side = min(max(3.0, 0.3 * n + 1.5), 40.0)
        _, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(matrix[rows], cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="P(rank = r)", fraction=0.05)
    ticks = np.arange(n) if n <= 40 else np.linspace(0, n - 1, 10).round().astype(int)
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t + 1) for t in ticks])
    ax.set_yticks(np.arange(n) if n <= 60 else ticks)
    ax.set_yticklabels([names[m] for m in (rows if n <= 60 else rows[ticks])], fontsize="small")
    ax.set_xlabel("rank")
    if annotate if annotate is not None else n <= 15:
        for i, m in enumerate(rows):
            for r in range(n):
                if matrix[m, r] >= 0.005:
                    ax.text(
                        r,
                        i,
                        f"{matrix[m, r]:.2f}",
                        ha="center",
                        va="center",
                        fontsize="x-small",
                        color="white" if matrix[m, r] < 0.6 else "black",
                    )
    if title:
        ax.set_title(title)
    return ax
