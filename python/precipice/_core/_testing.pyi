# Stubs of precipice._core._testing (cpp/bindings/testing.cpp): probes for the tests.
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

def philox4x32_10(counter: Sequence[int], key: Sequence[int]) -> list[int]: ...
def stream_words(seed: int, replicate: int, stream: int, count: int) -> NDArray[np.uint32]: ...
def bounded_draws(seed: int, replicate: int, stream: int, bound: int, count: int) -> NDArray[np.uint32]: ...
def spin(seconds: float, chunks: int, n_threads: int) -> None: ...
def leaderboard_weights(
    rows: int,
    units: int,
    unit_of_item: ArrayLike | None,
    samples: int,
    seed: int,
    first: int,
    count: int,
    n_threads: int,
) -> NDArray[np.float64]: ...
