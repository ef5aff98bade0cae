# Stubs of precipice._core.calibration (cpp/bindings/calibration.cpp).
import numpy as np
from numpy.typing import ArrayLike, NDArray

def resampled_group_sums(
    group: ArrayLike, values: ArrayLike, k: int, seed: int, first: int, count: int, n_threads: int
) -> NDArray[np.float64]: ...
