"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import bootstrap, datasets, evals, irt, passk
from .bootstrap import ScoreScaleWarning, SingleRunWarning
from .longform import from_long
from ._core import has_openmp

__all__ = ["ScoreScaleWarning", "SingleRunWarning", "bootstrap", "datasets", "evals", "from_long", "has_openmp", "irt", "passk", "__version__"]
__version__ = "0.1.0"
