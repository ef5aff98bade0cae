"""The timing rule every bench script uses: the best of a few runs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def best_time(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The shortest wall time of ``repeat`` calls of ``func``, and the last value."""
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value
