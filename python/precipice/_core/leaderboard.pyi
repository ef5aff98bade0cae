# Stubs of precipice._core.leaderboard (cpp/bindings/leaderboard.cpp).
import numpy as np
from numpy.typing import ArrayLike, NDArray

def resampled_totals(
    table: ArrayLike,
    units: int,
    unit_of_item: ArrayLike | None,
    samples: int,
    seed: int,
    first: int,
    count: int,
    n_threads: int,
) -> NDArray[np.float64]: ...
def difference_scales(replicates: ArrayLike, n_threads: int) -> NDArray[np.float64]: ...
def max_studentized_difference(
    centered: ArrayLike, inverse_scale: ArrayLike, active: ArrayLike, n_threads: int
) -> NDArray[np.float64]: ...
