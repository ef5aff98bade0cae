"""Splitting a replicate range over a Dask cluster.

Every kernel here takes ``(first, count)`` and computes replicates
``first .. first + count - 1``; replicate r depends only on (seed, r). So any
split of [0, reps) into chunks, computed anywhere and concatenated in order,
is bit-identical to the local run, and a chunk recomputed after a lost worker
gives the same numbers again. The core never imports dask; only a caller that
passes ``client=`` reaches this module's cluster code.
"""

from __future__ import annotations

import math

import numpy as np

# Chunks below this many replicates would spend more time in scheduling than in
# the kernel (a task costs the scheduler about a millisecond).
MIN_CHUNK = 2_000
# Chunks per worker: enough to balance uneven workers, few enough to keep the
# scheduler's share small.
CHUNKS_PER_WORKER = 4


def chunk_bounds(reps: int, workers: int, chunk: int | None = None) -> list[tuple[int, int]]:
    if chunk is None:
        chunk = max(MIN_CHUNK, math.ceil(reps / (CHUNKS_PER_WORKER * max(workers, 1))))
    return [(first, min(chunk, reps - first)) for first in range(0, reps, chunk)]


# How many times a call scatters its data and runs its chunks when workers
# holding the scattered data die under it.
_SCATTER_ATTEMPTS = 3


def add_chunks(chunks):
    return np.sum(chunks, axis=0)


def map_replicates(kernel, data, params, reps: int, client, n_threads: int, combine=np.concatenate):
    """kernel(*data, *params, n_threads, first, count) over [0, reps): locally in
    one call on n_threads, or in chunks of one thread each on `client`, with
    `data` scattered to the workers once. The chunks come back in order and
    `combine` joins them: concatenated replicates by default, or summed (for
    kernels that return counts over their replicates)."""
    if client is None:
        return kernel(*data, *params, n_threads, 0, reps)
    if not hasattr(client, "submit") or not hasattr(client, "scatter"):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    from concurrent.futures import CancelledError

    def run() -> object:
        workers = len(client.scheduler_info().get("workers", {})) or 1
        # A fresh key per call: with content-hashed keys, a call that scatters what
        # the call before it did can see that key released under it.
        remote = [client.scatter(d, broadcast=True, hash=False) for d in data]
        futures = [
            client.submit(kernel, *remote, *params, 1, first, count, pure=True)
            for first, count in chunk_bounds(reps, workers)
        ]
        return combine(client.gather(futures))

    for _ in range(_SCATTER_ATTEMPTS - 1):
        try:
            return run()
        except CancelledError:
            # Scattered data has no task to recompute it: when the workers that
            # held it die, Dask cancels what depends on it ("already forgotten").
            # The chunks are pure functions of (seed, range): scatter again and
            # rerun, for the same result.
            continue
    return run()
