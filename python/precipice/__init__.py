"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import arena, bootstrap, datasets, evals, irt, leaderboard, passk
from ._core import has_openmp
from ._version import __version__
from .bootstrap import ScoreScaleWarning, SingleRunWarning
from .longform import from_long, from_wide

__all__ = [
    "ScoreScaleWarning",
    "SingleRunWarning",
    "__version__",
    "bootstrap",
    "datasets",
    "evals",
    "from_long",
    "from_wide",
    "has_openmp",
    "irt",
    "arena",
    "leaderboard",
    "passk",
]
