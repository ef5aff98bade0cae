"""Progress of long native calls, reported while they run.

Every native kernel works in chunks and, from the thread that called it, polls
about every 50 ms between chunks: it takes the GIL briefly, runs pending signal
handlers (so Ctrl-C raises ``KeyboardInterrupt`` within a fraction of a second)
and then calls this thread's progress callback, if one is set::

    from precipice import _progress

    def show(done, total):
        print(f"\\r{done}/{total} chunks", end="", file=sys.stderr)

    with _progress.reporting(show):
        precipice.interval_estimates(scores, "iqm", reps=10**8)

``callback(done, total)`` gets the chunks done and the chunk count of the native
loop running now; a call that runs several loops (replicates, then quantiles)
reports each from 0 again, so a bar should show ``done / total`` of the current
loop, not a running sum. The callback runs with the GIL held while the kernel's
other threads keep working: keep it short (a terminal write is fine). Calls that
finish within one poll interval report nothing. An exception raised by the
callback stops the kernel and propagates from the native call, as
``KeyboardInterrupt`` does.

Callbacks belong to the thread that sets them: a call from another Python
thread reports to that thread's callback (none by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import _core

__all__ = ["reporting"]


@contextmanager
def reporting(callback: Callable[[int, int], object] | None) -> Iterator[None]:
    """Report the progress of native calls made in this block to ``callback``.

    Parameters
    ----------
    callback : callable ``(done, total) -> None``, or None
        Called with the GIL held, about every 50 ms during each native loop that
        runs longer than that: ``done`` of ``total`` chunks of that loop are
        finished. None reports nothing (inside an outer ``reporting`` block: stops
        reporting there).

    Raises
    ------
    TypeError
        If ``callback`` is neither callable nor None.

    Notes
    -----
    Blocks nest: the outer callback is back in place when the inner block ends,
    also when it ends by an exception.
    """
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    previous = _core._set_progress(callback)
    try:
        yield
    finally:
        _core._set_progress(previous)
