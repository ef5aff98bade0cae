"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import bootstrap, datasets, evals, irt, passk
from .longform import from_long, from_wide
from ._core import has_openmp
from ._version import __version__

__all__ = ["bootstrap", "datasets", "evals", "from_long", "from_wide", "has_openmp", "irt", "passk", "__version__"]
