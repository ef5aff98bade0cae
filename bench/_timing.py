"""The timing rule every bench script uses: the best of a few runs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def best_time(
    func: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, object]:
    """The shortest time of ``repeat`` calls of ``func``, and the last value.

    ``clock=time.process_time`` times single-threaded code by its CPU time, which a
    busy machine disturbs far less than wall time.
    """
    best, value = math.inf, None
    for _ in range(repeat):
        start = clock()
        value = func()
        best = min(best, clock() - start)
    return best, value
