# Stubs of precipice._core.evals (cpp/bindings/evals.cpp).
import numpy as np
from numpy.typing import ArrayLike, NDArray

def resampled_sums(
    rows: ArrayLike, multiplicity: ArrayLike | None, draws: int, seed: int, first: int, count: int, n_threads: int
) -> NDArray[np.float64]: ...
def resample_indices(
    m: int, draws: int, seed: int, first: int, count: int, stream: int, n_threads: int
) -> NDArray[np.int64]: ...
def resampled_order_statistic(
    values: ArrayLike, multiplicity: ArrayLike, lo: int, hi: int, seed: int, first: int, count: int, n_threads: int
) -> NDArray[np.float64]: ...
def binomial_draws(trials: int, p: float, seed: int, first: int, count: int, n_threads: int) -> NDArray[np.int64]: ...
def permuted_sums(
    a: ArrayLike, b: ArrayLike, exact: bool, seed: int, first: int, count: int, n_threads: int
) -> NDArray[np.float64]: ...
def permuted_medians(
    a: ArrayLike, b: ArrayLike, exact: bool, seed: int, first: int, count: int, n_threads: int
) -> NDArray[np.float64]: ...
