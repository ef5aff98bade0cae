"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import agreement, arena, bootstrap, calibration, datasets, evals, irt, judge, leaderboard, passk, ranking
from ._core import has_openmp
from ._version import __version__
from .bootstrap import ScoreScaleWarning, SingleRunWarning
from .longform import from_long, from_wide

__all__ = [
    "ScoreScaleWarning",
    "SingleRunWarning",
    "__version__",
    "agreement",
    "bootstrap",
    "calibration",
    "datasets",
    "evals",
    "from_long",
    "from_wide",
    "has_openmp",
    "irt",
    "arena",
    "leaderboard",
    "judge",
    "passk",
    "ranking",
]
