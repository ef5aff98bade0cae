"""rliable's four figures (needs matplotlib: the `plot` extra).

The functions take rliable's arguments (dicts of arrays keyed by algorithm,
same names, defaults and return values) and also accept precipice results
directly: a dict of :class:`precipice.bootstrap.IntervalEstimate` in place of
``point_estimates``, with ``interval_estimates`` left out. Nothing is shown
or saved unless asked; seaborn is not needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from . import bootstrap

if TYPE_CHECKING:
    import os

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import ColorType

# rliable's arrays per algorithm (or per pair), or precipice's results in their place.
Estimates: TypeAlias = Mapping[str, "ArrayLike | bootstrap.IntervalEstimate"]
# The figure formats save_figures writes.
FigureFormat: TypeAlias = Literal["png", "pdf", "svg"]

__all__ = [
    "critical_difference",
    "demo_figures",
    "forest",
    "interval_figure",
    "plot_interval_estimates",
    "plot_performance_profiles",
    "plot_probability_of_improvement",
    "plot_sample_efficiency_curve",
    "rank_heatmap",
    "reliability_diagram",
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
    ax: Axes,
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
) -> Axes:
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
    point_estimates: Estimates,
    interval_estimates: Mapping[str, ArrayLike] | None = None,
    metric_names: Sequence[str] | None = None,
    algorithms: Sequence[str] | None = None,
    colors: Mapping[str, ColorType] | None = None,
    color_palette: str = "colorblind",
    max_ticks: int = 4,
    subfigure_width: float = 3.4,
    row_height: float = 0.37,
    xlabel_y_coordinate: float = -0.1,
    xlabel: str = "Normalized Score",
    **kwargs: Any,
) -> tuple[Figure, Axes | NDArray[np.object_]]:
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
    fig : matplotlib.figure.Figure
        The figure.
    axes : matplotlib.axes.Axes or ndarray of them
        Its axes (one Axes when there is one metric).

    Raises
    ------
    ValueError
        `interval_estimates` left out for plain arrays.
    """
    if metric_names is None and interval_estimates is None:
        metric_names = cast(bootstrap.IntervalEstimate, next(iter(point_estimates.values()))).names
    points, cis = _split(point_estimates, interval_estimates)
    algorithms = list(points) if algorithms is None else list(algorithms)
    colors = _colors(algorithms, colors, color_palette)
    height = kwargs.pop("interval_height", 0.6)
    n = len(np.atleast_1d(points[algorithms[0]]))
    fig, axes = plt.subplots(nrows=1, ncols=n, figsize=(subfigure_width * n, row_height * len(algorithms)))
    panels = np.atleast_1d(axes)
    for m, name in enumerate(cast(Sequence[str], metric_names)):
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
    performance_profiles: Estimates,
    tau_list: ArrayLike,
    performance_profile_cis: Mapping[str, ArrayLike] | None = None,
    use_non_linear_scaling: bool = False,
    ax: Axes | None = None,
    colors: Mapping[str, ColorType] | None = None,
    color_palette: str = "colorblind",
    alpha: float = 0.15,
    figsize: tuple[float, float] = (10, 5),
    xticks: Sequence[float] | None = None,
    yticks: Sequence[float] | None = None,
    xlabel: str = r"Normalized Score ($\tau$)",
    ylabel: str = r"Fraction of runs with score $> \tau$",
    linestyles: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Axes:
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
        The axis labels.
    **kwargs
        ``linewidth`` and the axis style of rliable (``labelsize``,
        ``ticklabelsize``, ``legend``, ``legendsize``, ``grid_alpha``,
        ``wrect``, ``hrect``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

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
    for name, profile in cast("Mapping[str, NDArray[np.float64]]", performance_profiles).items():
        ax.plot(
            x, profile, color=colors[name], linestyle=linestyles.get(name, "solid"), linewidth=linewidth, label=name
        )
        if performance_profile_cis is not None and name in performance_profile_cis:
            low, high = cast("NDArray[np.float64]", performance_profile_cis[name])
            ax.fill_between(x, low, high, color=colors[name], alpha=alpha)
    if yticks is None:
        yticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    return _decorate(ax, xlabel, ylabel, xticks=xticks, xticklabels=xticklabels, yticks=yticks, **kwargs)


def plot_sample_efficiency_curve(
    frames: ArrayLike,
    point_estimates: Estimates,
    interval_estimates: Mapping[str, ArrayLike] | None = None,
    algorithms: Sequence[str] | None = None,
    colors: Mapping[str, ColorType] | None = None,
    color_palette: str = "colorblind",
    figsize: tuple[float, float] = (7, 5),
    xlabel: str = r"Number of Frames (in millions)",
    ylabel: str = "Aggregate Human Normalized Score",
    ax: Axes | None = None,
    labelsize: str | float = "xx-large",
    ticklabelsize: str | float = "xx-large",
    **kwargs: Any,
) -> Axes:
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
        The axes drawn on.

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
    probability_estimates: Estimates,
    probability_interval_estimates: Mapping[str, ArrayLike] | None = None,
    pair_separator: str = ",",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (4, 3),
    colors: Sequence[ColorType] | None = None,
    color_palette: str = "colorblind",
    alpha: float = 0.75,
    xticks: Sequence[float] | None = None,
    xlabel: str = "P(X > Y)",
    left_ylabel: str = "Algorithm X",
    right_ylabel: str = "Algorithm Y",
    **kwargs: Any,
) -> Axes:
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


def interval_figure(
    estimates: Mapping[str, bootstrap.IntervalEstimate],
    metric_labels: Sequence[str],
    *,
    order: Sequence[str] | None = None,
    runs: Mapping[str, int | str] | None = None,
    xlabel: str = "Score",
    lower_is_better: Sequence[bool] | None = None,
) -> Figure:
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
        The figure.
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


def demo_figures(
    scores: Mapping[str, NDArray[np.float64]],
    estimates: Mapping[str, bootstrap.IntervalEstimate],
    pairwise: bootstrap.PairwiseImprovement,
    out: str | os.PathLike[str],
    *,
    seed: int,
    formats: Sequence[FigureFormat] = ("png",),
) -> list[Path]:
    """The demo's figures: interval estimates, performance profiles and
    probability of improvement.

    Parameters
    ----------
    scores : dict of str to ndarray, each ``(num_runs, num_tasks)``
        Each algorithm's scores (for the profiles and the runs shown).
    estimates : dict of str to IntervalEstimate
        Each algorithm's interval estimates, ranked by IQM when it has one.
    pairwise : PairwiseImprovement
        Probability of improvement of every pair (SPR against the others).
    out : path
        The folder to write into (made when missing).
    seed : int
        Seeds the profiles' bootstrap.
    formats : sequence of {"png", "pdf", "svg"}
        The formats of each figure.

    Returns
    -------
    list of Path
        The files written.
    """
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
    fig_profiles = cast(
        "Figure",
        plot_performance_profiles(
            profiles, taus, xlabel=r"Human Normalized Score $(\tau)$", legend=True, legendsize="medium"
        ).figure,
    )
    fig_improvement = cast(
        "Figure",
        plot_probability_of_improvement(
            {p: pairwise.point[first, j] for p, j in zip(pair_names, others)},
            {p: pairwise.interval[:, first, j][:, None] for p, j in zip(pair_names, others)},
            figsize=(6, 3.5),
        ).figure,
    )
    return save_figures(
        {
            "interval_estimates": fig_intervals,
            "performance_profiles": fig_profiles,
            "probability_of_improvement": fig_improvement,
        },
        out,
        formats,
    )


def save_figures(
    figures: Mapping[str, Figure], out: str | os.PathLike[str], formats: Sequence[FigureFormat] = ("png",)
) -> list[Path]:
    """Write each ``{stem: figure}`` as ``out/stem.format`` for every format, then close it.

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure
        The figures, by file stem.
    out : path
        An existing folder.
    formats : sequence of {"png", "pdf", "svg"}
        The formats of each figure.

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


def reliability_diagram(
    probs: Any,
    labels: Any,
    *,
    bins: int = 10,
    strategy: str = "uniform",
    reps: int = 1000,
    confidence: float = 0.95,
    seed: object = None,
    n_threads: int | None = None,
    ax: Any = None,
    color: str = _COLORBLIND[0],
    label: str | None = None,
    show_counts: bool = True,
) -> Any:
    """Reliability diagram: accuracy against mean confidence per bin, with
    bootstrap bands (:func:`precipice.calibration.reliability_curve`).

    Parameters
    ----------
    probs : array_like, ``(n,)`` or ``(n, num_classes)``
        Probability of label 1 (binary), or of each class (top-label).
    labels : array_like, ``(n,)``
        0/1 labels or class indices.
    bins, strategy, reps, confidence, seed, n_threads
        As for :func:`precipice.calibration.ece`; ``reps=0`` draws no band.
    ax : matplotlib.axes.Axes, optional
        Where to draw (a new figure when None).
    color : str
        Colour of the curve and its band.
    label : str, optional
        Legend entry; the ECE is appended.
    show_counts : bool
        Shade a histogram of the items per bin under the curve.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError, TypeError
        For invalid input, as :func:`precipice.calibration.reliability_curve`.
    """
    from . import calibration

    curve = calibration.reliability_curve(
        probs, labels, bins=bins, strategy=strategy, reps=reps, confidence=confidence, seed=seed, n_threads=n_threads
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#949494", linewidth=1, label="perfect calibration")
    if show_counts:
        widths = np.diff(curve.edges)
        ax.bar(
            curve.edges[:-1],
            0.25 * curve.counts / max(int(curve.counts.max()), 1),
            width=widths,
            align="edge",
            color=color,
            alpha=0.15,
            edgecolor="none",
        )
    shown = curve.counts > 0
    text = f"ECE {curve.ece:.3f}"
    ax.plot(
        curve.confidence[shown],
        curve.accuracy[shown],
        marker="o",
        color=color,
        label=text if label is None else f"{label} ({text})",
    )
    if curve.accuracy_interval is not None:
        lower, upper = curve.accuracy_interval
        ax.fill_between(curve.confidence[shown], lower[shown], upper[shown], color=color, alpha=0.25, linewidth=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Confidence")
    ax.set_ylabel("Accuracy")
    ax.legend(loc="upper left", frameon=False)
    return ax


def critical_difference(
    average_ranks: ArrayLike,
    critical_difference: float,
    names: Sequence[str] | None = None,
    *,
    cliques: Sequence[Sequence[int]] | None = None,
    ax: Axes | None = None,
    reverse: bool = False,
    width: float = 6.0,
) -> Axes:
    """A critical-difference diagram (Demšar 2006, Fig. 1).

    The average ranks on an axis from 1 to k (1 on the left unless
    ``reverse``), each method hung from its rank to a label, the better half
    on the left, the rest on the right; a bar of length ``critical_difference``
    above the axis; and thick bars below it joining each group of methods not
    significantly different (:func:`precipice.ranking.critical_difference_cliques`).

    Parameters
    ----------
    average_ranks : array_like
        ``(num_methods,)``, e.g. ``precipice.ranking.friedman(scores).average_ranks``.
    critical_difference : float
        The critical difference, e.g. ``precipice.ranking.nemenyi_cd(k, n)``.
    names : sequence of str, optional
        One label per method (default "0", "1", ...).
    cliques : list of sequences of int, optional
        The groups to join, in place of the Nemenyi cliques.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    reverse : bool
        Put rank 1 on the right.
    width : float
        The new figure's width in inches.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``names`` does not give one label per method, or the ranks or the
        critical difference are invalid.
    """
    from .ranking import critical_difference_cliques

    groups = critical_difference_cliques(average_ranks, critical_difference) if cliques is None else cliques
    ranks = np.asarray(average_ranks, dtype=np.float64)
    k = ranks.size
    labels = [str(i) for i in range(k)] if names is None else [str(n) for n in names]
    if len(labels) != k:
        raise ValueError(f"names must give one label per method ({k}), got {len(labels)}")
    order = np.argsort(ranks, kind="stable")
    low, high = 1.0, float(max(k, np.ceil(ranks.max())))
    half = (k + 1) // 2
    # Below the axis: the clique bars, then the methods' labels a step apart.
    bars_depth = 0.25 + 0.2 * len(groups)
    step = 0.5
    bottom = -(bars_depth + step * half)
    if ax is None:
        _, ax = plt.subplots(figsize=(width, 0.5 * (1.6 - bottom)))
    direction = -1.0 if reverse else 1.0

    def place(rank: float) -> float:
        return direction * rank

    margin = 0.4 * (high - low) * direction
    left_end, right_end = place(low) - margin, place(high) + margin
    ax.plot([place(low), place(high)], [0, 0], color="k", linewidth=1)
    for tick in range(int(low), int(high) + 1):
        ax.plot([place(tick), place(tick)], [0, 0.12], color="k", linewidth=1)
        ax.text(place(tick), 0.2, str(tick), ha="center", va="bottom", fontsize=9)
    # The critical difference, above the axis from rank 1.
    ax.plot([place(low), place(low + critical_difference)], [0.9, 0.9], color="k", linewidth=1.5)
    for end in (low, low + critical_difference):
        ax.plot([place(end), place(end)], [0.8, 1.0], color="k", linewidth=1)
    ax.text(place(low + critical_difference / 2), 1.05, f"CD = {critical_difference:.3g}", ha="center", va="bottom")
    for slot, method in enumerate(order):
        rank = place(ranks[method])
        on_left = slot < half
        level = -bars_depth - step * (slot if on_left else k - 1 - slot)
        end = left_end if on_left else right_end
        ax.plot([rank, rank, end], [0, level, level], color="k", linewidth=0.8)
        ax.text(end, level, f" {labels[method]} ", ha="right" if on_left == (not reverse) else "left", va="center")
    for row, group in enumerate(groups):
        spots = [place(ranks[m]) for m in group]
        level = -0.15 - 0.2 * row
        ax.plot([min(spots) - 0.05, max(spots) + 0.05], [level, level], color="k", linewidth=3, solid_capstyle="butt")
    ax.set_xlim(min(left_end, right_end), max(left_end, right_end))
    ax.set_ylim(bottom - step, 1.6)
    ax.set_axis_off()
    return ax


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
