"""Item response theory kernels (precipice._core.irt); precipice.irt is their one owner."""

from typing import ClassVar, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Reals = NDArray[np.float64]
_Prior = tuple[float, float] | None

MIN_QUAD: int
MAX_QUAD: int
SLOPE_BOUND: float

class Model:
    rasch: ClassVar[Model]
    onepl: ClassVar[Model]
    twopl: ClassVar[Model]
    threepl: ClassVar[Model]
    __members__: ClassVar[dict[str, Model]]
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class ScoreMethod:
    eap: ClassVar[ScoreMethod]
    map: ClassVar[ScoreMethod]
    ml: ClassVar[ScoreMethod]
    __members__: ClassVar[dict[str, ScoreMethod]]
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Information:
    none: ClassVar[Information]
    item_blocks: ClassVar[Information]
    full: ClassVar[Information]
    __members__: ClassVar[dict[str, Information]]
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class ItemFlag:
    none: ClassVar[ItemFlag]
    slope_bound: ClassVar[ItemFlag]
    intercept_bound: ClassVar[ItemFlag]
    constant: ClassVar[ItemFlag]
    __members__: ClassVar[dict[str, ItemFlag]]
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class _BinaryFitBase(TypedDict):
    a: _Reals  # (items,)
    d: _Reals  # (items,)
    c: _Reals  # (items,)
    loglik: float
    converged: bool
    n_iter: int
    flagged: NDArray[np.int8]  # (items,) ItemFlag codes
    posterior: _Reals  # (subjects, n_quad)
    expected_correct: _Reals  # (items, n_quad)
    expected_answered: _Reals  # (items, n_quad)
    item_hessian: _Reals  # (items, 3, 3)
    prior_curvature: _Reals  # (items, 3) diagonal of the log-prior Hessian in (a, d, logit c)
    nodes: _Reals  # (n_quad,)
    log_weights: _Reals  # (n_quad,)

class BinaryFit(_BinaryFitBase, total=False):
    louis_blocks: _Reals  # (items, 3, 3), with Information.item_blocks or full
    score_deviations: _Reals  # (rows, K items), with Information.full

class GradedFit(TypedDict):
    a: _Reals  # (items,)
    d: _Reals  # (items, max_categories - 1), NaN padded
    loglik: float
    converged: bool
    n_iter: int
    posterior: _Reals  # (subjects, n_quad)
    item_hessian: _Reals  # (items, max_categories, max_categories)
    prior_curvature: _Reals  # (items, max_categories) diagonal of the log-prior Hessian
    nodes: _Reals  # (n_quad,)
    log_weights: _Reals  # (n_quad,)

class JointFit(TypedDict):
    a: _Reals  # (items, dims)
    d: _Reals  # (items,)
    theta: _Reals  # (subjects, dims)
    loglik: float
    converged: bool
    n_iter: int

def fit_binary(
    responses: ArrayLike,
    counts: ArrayLike | None,
    model: Model,
    n_quad: int,
    tol: float,
    max_iter: int,
    slope_prior: _Prior,
    intercept_prior: _Prior,
    guess_prior: _Prior,
    information: Information,
    n_threads: int,
) -> BinaryFit: ...
def score_binary(
    responses: ArrayLike,
    a: ArrayLike,
    d: ArrayLike,
    c: ArrayLike,
    method: ScoreMethod,
    n_quad: int,
    n_threads: int,
) -> tuple[_Reals, _Reals]: ...
def posterior_binary(
    responses: ArrayLike, a: ArrayLike, d: ArrayLike, c: ArrayLike, n_quad: int, n_threads: int
) -> tuple[_Reals, _Reals]: ...
def fit_graded(
    responses: ArrayLike,
    counts: ArrayLike | None,
    n_quad: int,
    tol: float,
    max_iter: int,
    slope_prior: _Prior,
    intercept_prior: _Prior,
    n_threads: int,
) -> GradedFit: ...
def score_graded(
    responses: ArrayLike, a: ArrayLike, d: ArrayLike, method: ScoreMethod, n_quad: int, n_threads: int
) -> tuple[_Reals, _Reals]: ...
def posterior_graded(
    responses: ArrayLike, a: ArrayLike, d: ArrayLike, n_quad: int, n_threads: int
) -> tuple[_Reals, _Reals]: ...
def graded_node_scores(a: ArrayLike, d: ArrayLike, n_quad: int) -> _Reals: ...
def fit_joint(
    responses: ArrayLike,
    counts: ArrayLike | None,
    theta_start: ArrayLike,
    dims: int,
    tol: float,
    max_iter: int,
    slope_prior: _Prior,
    intercept_prior: _Prior,
    normal_slope_prior: bool,
    n_threads: int,
) -> JointFit: ...
def score_joint(responses: ArrayLike, a: ArrayLike, d: ArrayLike, n_threads: int) -> _Reals: ...
def grid(n_quad: int) -> tuple[_Reals, _Reals]: ...
def s_x2(
    probability: ArrayLike,
    n_quad: int,
    scores: ArrayLike,
    group_size: ArrayLike,
    right: ArrayLike,
    mincell: float,
    n_threads: int,
) -> tuple[_Reals, NDArray[np.int64]]: ...
