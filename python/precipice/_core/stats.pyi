# Stubs of precipice._core.stats (cpp/bindings/stats.cpp).
import numpy as np
from numpy.typing import ArrayLike, NDArray

def column_quantiles(
    values: ArrayLike, q_lower: ArrayLike, q_upper: ArrayLike, n_threads: int
) -> NDArray[np.float64]: ...
def histogram_quantiles(
    counts: ArrayLike, grid: ArrayLike, q_lower: ArrayLike, q_upper: ArrayLike
) -> NDArray[np.float64]: ...
def chi_square_survival(x: ArrayLike, df: ArrayLike) -> NDArray[np.float64]: ...
