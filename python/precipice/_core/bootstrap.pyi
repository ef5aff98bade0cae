# Stubs of precipice._core.bootstrap (cpp/bindings/bootstrap.cpp).
import enum
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

class MetricKind(enum.Enum):
    """What the native engine computes per replicate (py::enum_ of bootstrap::MetricKind)."""

    mean = 0
    median = 1
    trimmed_mean = 2
    optimality_gap = 3
    profile_runs = 4
    profile_task_means = 5

# (kind, parameter, taus): one metric for the native engine.
MetricSpec: TypeAlias = tuple[MetricKind, float, ArrayLike]

def stratified_replicates(
    scores: ArrayLike,
    metrics: Sequence[MetricSpec],
    seed: int,
    first: int,
    count: int,
    task_bootstrap: bool,
    n_threads: int,
) -> NDArray[np.float64]: ...
def stratified_point(scores: ArrayLike, metrics: Sequence[MetricSpec]) -> NDArray[np.float64]: ...
def stratified_jackknife(scores: ArrayLike, metrics: Sequence[MetricSpec]) -> NDArray[np.float64]: ...
def stratified_resample(
    scores: ArrayLike, seed: int, first: int, count: int, task_bootstrap: bool, n_threads: int
) -> NDArray[np.float64]: ...
def stratified_resample_rows(
    scores: ArrayLike, seed: int, first: int, count: int, task_bootstrap: bool, n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...
def improvement_replicates(
    scores: Sequence[ArrayLike],
    pairs: Sequence[tuple[int, int]],
    seed: int,
    first: int,
    count: int,
    n_threads: int,
) -> NDArray[np.float64]: ...
def improvement_point(scores: Sequence[ArrayLike], pairs: Sequence[tuple[int, int]]) -> NDArray[np.float64]: ...
def profile_histograms(
    scores: ArrayLike,
    metric: MetricSpec,
    denominator: int,
    seed: int,
    first: int,
    count: int,
    task_bootstrap: bool,
    n_threads: int,
) -> NDArray[np.int64]: ...
def hierarchical_replicates(
    values: ArrayLike,
    weights: ArrayLike,
    children: Sequence[ArrayLike],
    resample: Sequence[bool],
    metrics: Sequence[MetricSpec],
    seed: int,
    first: int,
    count: int,
    n_threads: int,
) -> NDArray[np.float64]: ...
def hierarchical_point(
    values: ArrayLike,
    weights: ArrayLike,
    children: Sequence[ArrayLike],
    resample: Sequence[bool],
    metrics: Sequence[MetricSpec],
) -> NDArray[np.float64]: ...
def hierarchical_jackknife(
    values: ArrayLike,
    weights: ArrayLike,
    children: Sequence[ArrayLike],
    resample: Sequence[bool],
    metrics: Sequence[MetricSpec],
    level: int,
    n_threads: int,
) -> NDArray[np.float64]: ...
