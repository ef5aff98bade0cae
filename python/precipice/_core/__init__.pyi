# Hand-written stubs of the compiled module precipice._core (cpp/bindings/).
# The binding signatures are authoritative; these say the same to type checkers.
from collections.abc import Callable

from . import _testing as _testing
from . import arena as arena
from . import bootstrap as bootstrap
from . import calibration as calibration
from . import evals as evals
from . import irt as irt
from . import leaderboard as leaderboard
from . import passk as passk
from . import ranking as ranking
from . import stats as stats

def has_openmp() -> bool: ...
def effective_threads() -> int: ...
def random_kernels() -> str: ...
def _set_progress(callback: Callable[[int, int], object] | None) -> Callable[[int, int], object] | None: ...
