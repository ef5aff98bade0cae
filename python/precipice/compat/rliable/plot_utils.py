"""rliable.plot_utils: the same four plotting functions (matplotlib only)."""

from ...plot import (
    plot_interval_estimates,
    plot_performance_profiles,
    plot_probability_of_improvement,
    plot_sample_efficiency_curve,
)

__all__ = [
    "plot_interval_estimates",
    "plot_performance_profiles",
    "plot_probability_of_improvement",
    "plot_sample_efficiency_curve",
]
