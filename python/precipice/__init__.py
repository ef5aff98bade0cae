"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import bootstrap, datasets, evals, irt, passk
from ._core import has_openmp
from .bootstrap import ScoreScaleWarning, SingleRunWarning
from .longform import from_long

__all__ = [
    "ScoreScaleWarning",
    "SingleRunWarning",
    "__version__",
    "bootstrap",
    "datasets",
    "evals",
    "from_long",
    "has_openmp",
    "irt",
    "passk",
]
__version__ = "0.1.0"
