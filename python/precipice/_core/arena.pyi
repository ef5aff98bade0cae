# Stubs of precipice._core.arena (cpp/bindings/arena.cpp).
import numpy as np
from numpy.typing import ArrayLike, NDArray

def fit(
    a: ArrayLike,
    b: ArrayLike,
    outcome: ArrayLike,
    weight: ArrayLike,
    multiplicity: ArrayLike,
    features: ArrayLike,
    n_models: int,
    start: ArrayLike,
    ties: int,
    ridge: float,
    feature_ridge: float,
    tol: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], int, int, float]: ...
def information(
    a: ArrayLike,
    b: ArrayLike,
    outcome: ArrayLike,
    weight: ArrayLike,
    multiplicity: ArrayLike,
    features: ArrayLike,
    n_models: int,
    params: ArrayLike,
    ties: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    outcome: ArrayLike,
    weight: ArrayLike,
    multiplicity: ArrayLike,
    features: ArrayLike,
    n_models: int,
    start: ArrayLike,
    ties: int,
    ridge: float,
    feature_ridge: float,
    tol: float,
    max_iter: int,
    seed: int,
    n_threads: int,
    first: int,
    count: int,
) -> tuple[NDArray[np.float64], NDArray[np.int32]]: ...
def online_elo(
    a: ArrayLike, b: ArrayLike, score: ArrayLike, initial: ArrayLike, k: float, scale: float, base: float
) -> NDArray[np.float64]: ...
