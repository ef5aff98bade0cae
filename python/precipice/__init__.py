"""precipice: fast, exact, reproducible statistics for evaluating ML systems."""

from . import bootstrap, datasets, irt, passk
from .longform import from_long
from ._core import has_openmp

__all__ = ["bootstrap", "datasets", "from_long", "has_openmp", "irt", "passk", "__version__"]
__version__ = "0.1.0"
