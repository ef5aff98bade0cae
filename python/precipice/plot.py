"""rliable's four figures from precipice results (needs matplotlib: the `plot` extra).

Each function takes results of :mod:`precipice.bootstrap` keyed by algorithm and
returns the matplotlib Figure; nothing is shown or saved unless asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import bootstrap

__all__ = [
    "demo_figures",
    "plot_interval_estimates",
    "plot_performance_profiles",
    "plot_probability_of_improvement",
    "plot_sample_efficiency_curve",
]

_LABELS = {"iqm": "IQM", "median": "Median", "mean": "Mean", "optimality_gap": "Optimality Gap"}


def _colors(names: Sequence[str]) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def plot_interval_estimates(estimates: Mapping[str, bootstrap.IntervalEstimate], *, xlabel="Human Normalized Score"):
    """One panel per metric, one horizontal bar (the CI) and tick (the point) per algorithm."""
    names = list(estimates)
    metrics = next(iter(estimates.values())).names
    colors = _colors(names)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 0.45 * len(names) + 1.2), squeeze=False)
    for m, (ax, metric) in enumerate(zip(axes[0], metrics)):
        for row, name in enumerate(names):
            est = estimates[name]
            low, high = est.interval[0, m], est.interval[1, m]
            ax.barh(row, high - low, left=low, height=0.6, color=colors[name], alpha=0.75)
            ax.vlines(est.point[m], row - 0.3, row + 0.3, color="black", linewidth=1.2)
        ax.set_yticks(range(len(names)), names if m == 0 else [""] * len(names))
        ax.set_title(_LABELS.get(metric, metric))
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right", "left"]].set_visible(False)
    fig.supxlabel(xlabel)
    fig.tight_layout()
    return fig


def plot_performance_profiles(
    profiles: Mapping[str, bootstrap.IntervalEstimate], taus, *, xlabel=r"Human Normalized Score $(\tau)$"
):
    """Fraction of runs above tau, with the bootstrap band, per algorithm."""
    taus = np.asarray(taus)
    colors = _colors(list(profiles))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, prof in profiles.items():
        ax.plot(taus, prof.point, color=colors[name], label=name, linewidth=2)
        ax.fill_between(taus, prof.interval[0], prof.interval[1], color=colors[name], alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"Fraction of runs with score $> \tau$")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_probability_of_improvement(pairs: Mapping[str, bootstrap.IntervalEstimate]):
    """Horizontal CI bars of P(X > Y), one per labelled pair, with 0.5 marked."""
    labels = list(pairs)
    fig, ax = plt.subplots(figsize=(6.0, 0.5 * len(labels) + 1.2))
    for row, label in enumerate(labels):
        est = pairs[label]
        low, high = float(np.ravel(est.interval[0])[0]), float(np.ravel(est.interval[1])[0])
        ax.barh(row, high - low, left=low, height=0.6, color="tab:blue", alpha=0.7)
        ax.vlines(float(np.ravel(est.point)[0]), row - 0.3, row + 0.3, color="black")
    ax.axvline(0.5, color="gray", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("P(X > Y)")
    ax.spines[["top", "right", "left"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_sample_efficiency_curve(frames, estimates: Mapping[str, bootstrap.IntervalEstimate], *, metric: int = 0,
                                 xlabel="Number of Frames", ylabel="Aggregate Score"):
    """Point and band of one metric across evaluation frames (3-D scores), per algorithm."""
    frames = np.asarray(frames)
    colors = _colors(list(estimates))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, est in estimates.items():
        ax.plot(frames, est.point[metric], color=colors[name], label=name, linewidth=2)
        ax.fill_between(frames, est.interval[0, metric], est.interval[1, metric], color=colors[name], alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def demo_figures(scores, estimates, pairwise, out, *, seed: int) -> list[Path]:
    """The demo's figures, written as PNG files into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    taus = np.linspace(0.0, 8.0, 201)
    # Profiles keep performance_profile's (and rliable's) default of 2,000 replicates:
    # a band needs fewer than a table of point intervals, and 201 taus make each one wide.
    profiles = {name: bootstrap.performance_profile(x, taus, seed=seed) for name, x in scores.items()}
    first = pairwise.names.index("SPR") if "SPR" in pairwise.names else 0
    pairs = {}
    for j, other in enumerate(pairwise.names):
        if j != first:
            pairs[f"P({pairwise.names[first]} > {other})"] = bootstrap.IntervalEstimate(
                pairwise.point[first, j:j + 1], pairwise.interval[:, first, j:j + 1], ("probability_of_improvement",),
                pairwise.method, pairwise.confidence, pairwise.reps, pairwise.seed)
    figures = {
        "interval_estimates.png": plot_interval_estimates(estimates),
        "performance_profiles.png": plot_performance_profiles(profiles, taus),
        "probability_of_improvement.png": plot_probability_of_improvement(pairs),
    }
    written = []
    for filename, fig in figures.items():
        path = out / filename
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
