"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import agreement, arena, bootstrap, calibration, datasets, evals, irt, judge, leaderboard, passk, ranking
from ._core import has_openmp
from ._version import __version__
from .bootstrap import ScoreScaleWarning, SingleRunWarning, TrivialLevelWarning
from .longform import from_long, from_wide

__all__ = [
    "ScoreScaleWarning",
    "SingleRunWarning",
    "TrivialLevelWarning",
    "__version__",
    "agreement",
    "arena",
    "bootstrap",
    "calibration",
    "datasets",
    "evals",
    "from_long",
    "from_wide",
    "has_openmp",
    "irt",
    "judge",
    "leaderboard",
    "passk",
    "ranking",
]
