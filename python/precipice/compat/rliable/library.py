"""rliable.library: interval estimates and performance profiles, same calls.

``get_interval_estimates`` and ``create_performance_profile`` keep rliable's
signatures, defaults, return types and shapes. Functions built from
:mod:`precipice.compat.rliable.metrics` (one aggregate, or a function stacking
several into ``np.array([...])``), ``metrics.probability_of_improvement`` on a
pair, and the default profiles run on the native engine; any other function
still works, called on every resample.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Literal, Optional, TypeAlias, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ... import bootstrap as _bootstrap
from ..._intervals import intervals
from ..._typing import IntervalMethod, SeedLike
from ..._validation import as_int, check_confidence, resolve_seed
from . import metrics as _metrics
from ._trace import native_calls

__all__ = [
    "GenericPathWarning",
    "StratifiedBootstrap",
    "StratifiedIndependentBootstrap",
    "average_score_distributions",
    "create_performance_profile",
    "get_interval_estimates",
    "mean_score_deviation",
    "run_score_deviation",
    "score_distributions",
]

_Key = TypeVar("_Key", bound=Hashable)
_Point = TypeVar("_Point")
# The interval rules rliable documents, by arch's names and rliable's aliases.
Method: TypeAlias = Literal["percentile", "basic", "bc", "bca", "debiased", "bias-corrected"]
# What indexes the inputs (arch's ``index``): one index array, or one per axis
# of a stratified draw; for the independent bootstrap one per input.
_Indices: TypeAlias = NDArray[np.intp] | tuple[NDArray[np.intp], ...]
Index: TypeAlias = _Indices | tuple[list[_Indices], dict[str, _Indices]]
# One resample: the positional inputs and the keyword inputs.
Resample: TypeAlias = tuple[tuple[NDArray[np.generic], ...], dict[str, NDArray[np.generic]]]

# arch's names for the methods rliable documents.
_METHODS: dict[str, IntervalMethod] = {
    "percentile": "percentile",
    "basic": "basic",
    "bc": "bc",
    "debiased": "bc",
    "bias-corrected": "bc",
    "bca": "bca",
}


class GenericPathWarning(UserWarning):
    """A function is computed in Python on every resample, not natively."""


# What the generic-path warning suggests instead.
_FASTER_FORMS = (
    "faster, natively: a stack of precipice.compat.rliable.metrics aggregates, "
    "lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]), or per frame "
    "lambda s: np.array([metrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])]), or "
    "precipice.bootstrap.interval_estimates with a precipice.bootstrap.batched callable"
)

# Replicates of the generic path are resampled natively in blocks of at most
# this many values, then handed to the Python function one at a time.
_BLOCK_VALUES = 1 << 22


def _method(method: str) -> IntervalMethod:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    return _METHODS[method]


def _seed(random_state) -> int:
    """rliable draws from numpy's global generator; so does a None here."""
    if random_state is None:
        return int(np.random.randint(0, 2**63, dtype=np.int64))
    return resolve_seed(random_state)


def _as_scores(array, name="scores") -> np.ndarray:
    array = np.asarray(array)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim < 2 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty (num_runs, num_tasks, ...) array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return np.ascontiguousarray(array, dtype=np.float64)


def _as3(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], x.shape[1], -1)


# Attributes the bootstraps set themselves; private names are reserved too.
_INSTANCE_ATTRIBUTES = frozenset({"pos_data", "kw_data", "data"})


def _check_names(cls, kwargs) -> None:
    """Keyword inputs become attributes: refuse names the class uses (as arch does)."""
    for key in kwargs:
        if key.startswith("_") or key in _INSTANCE_ATTRIBUTES or hasattr(cls, key):
            raise ValueError(f"{key} is a reserved name")


class StratifiedBootstrap:
    """Bootstrap with stratified resampling: within every task (and every cell
    of further axes) the runs are drawn with replacement; with
    ``task_bootstrap=True`` the tasks are drawn too.

    Parameters
    ----------
    *args, **kwargs : array_like
        The data. The first input, ``(num_runs, num_tasks, ...)``, sets the
        index; every other input's shape must start with that shape, and any
        further trailing axes of it are carried along whole (as in rliable).
    random_state : int, numpy RandomState or Generator, or None
        Seeds the resampling; None draws the seed from numpy's global generator.
    task_bootstrap : bool
        Also resample the tasks in every resample.

    Raises
    ------
    ValueError
        No input, an input of fewer than two axes, an input whose shape does not
        start with the first input's, or a keyword that names an attribute.

    Notes
    -----
    The arch ``IIDBootstrap`` contract rliable's users rely on:
    ``bootstrap(reps)`` yields ``(pos_data, kw_data)`` per resample, and while
    it runs ``pos_data``, ``kw_data``, ``data`` and the keyword attributes hold
    the current resample and ``index`` its index (``x[bs.index]`` is that
    resample of x); ``reset()`` puts the original data back. ``apply`` and
    ``conf_int`` always start from the original data.
    """

    _name = "Stratified Bootstrap"
    _index: Index

    def __init__(
        self, *args: ArrayLike, random_state: SeedLike = None, task_bootstrap: bool = False, **kwargs: ArrayLike
    ) -> None:
        if not args and not kwargs:
            raise ValueError("StratifiedBootstrap needs at least one array")
        _check_names(type(self), kwargs)
        self._args = tuple(args)
        self._kwargs = dict(kwargs)
        arrays = [*args, *kwargs.values()]
        self._shape = np.shape(arrays[0])
        if len(self._shape) < 2:
            raise ValueError(f"inputs must be (num_runs, num_tasks, ...), got shape {self._shape}")
        for a in arrays:
            if np.shape(a)[: len(self._shape)] != self._shape:
                raise ValueError(
                    f"every input's shape must start with the first input's, {self._shape}; got {np.shape(a)}"
                )
        self._num_items = self._shape[0]
        self._task_bootstrap = bool(task_bootstrap)
        self._random_state = random_state
        self._seed_value = _seed(random_state)
        self._drawn = 0
        self._index = np.arange(self._num_items)
        self._restore()
        # Only the shape matters for the draws; a float grid of it is the native input.
        self._grid = np.zeros((self._shape[0], self._shape[1], int(np.prod(self._shape[2:], dtype=np.int64))))

    @property
    def index(self) -> Index:
        """The index of the current resample: ``x[bs.index]`` is that resample of x."""
        return self._index

    @property
    def random_state(self) -> SeedLike:
        """The ``random_state`` the bootstrap was made with."""
        return self._random_state

    def seed(self, value: SeedLike) -> None:
        """Restart the resamples from a new seed.

        Parameters
        ----------
        value : int, numpy RandomState, Generator or SeedSequence
            The new seed.

        Raises
        ------
        ValueError, TypeError
            A seed that is not one of those, or an int outside [0, 2**64).
        """
        self._seed_value = resolve_seed(value)
        self._drawn = 0

    def reset(self, use_seed: bool = True) -> None:
        """Back to the original data and the first resample of the seed.

        Parameters
        ----------
        use_seed : bool, default True
            Accepted for arch's signature; the seed is always kept.
        """
        self._index = np.arange(self._num_items)
        self._restore()
        self._drawn = 0

    def _restore(self) -> None:
        """The original inputs as pos_data, kw_data, data and attributes."""
        self.pos_data, self.kw_data = self._args, dict(self._kwargs)
        for key, value in self._kwargs.items():
            setattr(self, key, value)
        self.data = (self.pos_data, self.kw_data)

    def _take(self, array, index):
        return np.asarray(array)[index]

    def _resample(self):
        """Point pos_data, kw_data, data and the keyword attributes at the
        resample `self._index` selects (arch's contract)."""
        self.pos_data = tuple(self._take(a, self._index) for a in self._args)
        self.kw_data = {k: self._take(v, self._index) for k, v in self._kwargs.items()}
        for key, value in self.kw_data.items():
            setattr(self, key, value)
        self.data = (self.pos_data, self.kw_data)
        return self.data

    def _index_blocks(self, reps: int):
        """The index of each of `reps` resamples, drawn natively a block at a time."""
        block = max(1, _BLOCK_VALUES // int(np.prod(self._shape)))
        extra = self._shape[2:]
        cells = [g[np.newaxis, np.newaxis] for g in np.ogrid[tuple(slice(n) for n in extra)]]
        for first in range(0, reps, block):
            count = min(block, reps - first)
            rows, tasks = _bootstrap.stratified_resample_indices(
                self._grid, self._seed_value, self._drawn, count, self._task_bootstrap, 1
            )
            self._drawn += count
            rows = rows.reshape((count, *self._shape))
            if self._task_bootstrap:
                # One task draw per replicate, shared by every further cell.
                tasks = tasks.reshape(count, 1, self._shape[1], -1)[..., :1].reshape(
                    (count, 1, self._shape[1], *(1 for _ in extra))
                )
                for i in range(count):
                    yield (rows[i], tasks[i], *cells)
            else:
                columns = np.arange(self._shape[1]).reshape((1, self._shape[1], *(1 for _ in extra)))
                for i in range(count):
                    yield (rows[i], columns, *cells)

    def bootstrap(self, reps: int) -> Iterator[Resample]:
        """Yields ``(pos_data, kw_data)`` for each of `reps` resamples.

        Parameters
        ----------
        reps : int
            Number of resamples, at least 1.

        Yields
        ------
        pos_data, kw_data : tuple of ndarray, dict of str to ndarray
            The positional and keyword inputs of the resample.

        Raises
        ------
        ValueError
            reps below 1.
        """
        reps = as_int(reps, "reps", minimum=1)
        for index in self._index_blocks(reps):
            self._index = index
            yield self._resample()

    def _call(self, func, pos, kw, extra_kwargs):
        value = np.atleast_1d(np.asarray(func(*pos, **kw, **(extra_kwargs or {})), dtype=np.float64))
        if value.ndim > 1:
            raise ValueError(f"func must return a scalar or a 1-D array, got shape {value.shape}")
        return value

    def apply(
        self, func: Callable[..., object], reps: int = 1000, extra_kwargs: Mapping[str, object] | None = None
    ) -> NDArray[np.float64]:
        """Values of func on successive resamples.

        Parameters
        ----------
        func : callable
            ``func(*pos_data, **kw_data, **extra_kwargs)`` -> a scalar or ``(k,)``.
        reps : int, default 1000
            Number of resamples, at least 1.
        extra_kwargs : dict, optional
            Further keyword arguments of func.

        Returns
        -------
        ndarray of float64, ``(reps, k)``
            One row per resample.

        Raises
        ------
        ValueError
            reps below 1, or func returning more than one axis.
        """
        reps = as_int(reps, "reps", minimum=1)
        out = [self._call(func, pos, kw, extra_kwargs) for pos, kw in self.bootstrap(reps)]
        return np.stack(out)

    def _jackknife(self, func, extra_kwargs) -> np.ndarray:
        cut = lambda a, i: np.delete(np.asarray(a), i, axis=0)
        n = np.shape([*self._args, *self._kwargs.values()][0])[0]
        return np.stack(
            [
                self._call(
                    func, [cut(a, i) for a in self._args], {k: cut(v, i) for k, v in self._kwargs.items()}, extra_kwargs
                )
                for i in range(n)
            ]
        )

    def conf_int(
        self,
        func: Callable[..., object],
        reps: int = 1000,
        method: Method = "basic",
        size: float = 0.95,
        tail: Literal["two"] = "two",
        extra_kwargs: Mapping[str, object] | None = None,
        **unused: object,
    ) -> NDArray[np.float64]:
        """The confidence interval of func.

        Parameters
        ----------
        func : callable
            ``func(*pos_data, **kw_data, **extra_kwargs)`` -> a scalar or ``(k,)``.
        reps : int, default 1000
            Number of resamples, at least 1.
        method : {"basic", "percentile", "bc", "bca", "debiased", "bias-corrected"}
            Interval construction ("debiased" and "bias-corrected" mean "bc").
        size : float, default 0.95
            Coverage of the two-sided interval, in (0, 1).
        tail : {"two"}
            Only two-sided intervals are supported.
        extra_kwargs : dict, optional
            Further keyword arguments of func.
        **unused
            arch's other options, ignored.

        Returns
        -------
        ndarray of float64, ``(2, k)``
            Lower row, upper row.

        Raises
        ------
        ValueError
            Another tail or method, reps below 1, or size outside (0, 1).
        """
        if tail != "two":
            raise ValueError("only tail='two' is supported")
        method = _method(method)
        size = check_confidence(size)
        base = self._call(func, self._args, self._kwargs, extra_kwargs)
        replicates = self.apply(func, reps, extra_kwargs)
        jackknife = self._jackknife(func, extra_kwargs) if method == "bca" else None
        return intervals(base, replicates, method, size, jackknife)


class StratifiedIndependentBootstrap(StratifiedBootstrap):
    """Each input resampled independently, stratified by task: every cell of
    an input (task, and any further axes) draws its own runs. Inputs are
    ``(num_runs, num_tasks, ...)`` and may have different numbers of runs (as
    for probability of improvement).

    Parameters
    ----------
    *args, **kwargs : array_like
        The data, each of at least two axes.
    random_state : int, numpy RandomState or Generator, or None
        As for :class:`StratifiedBootstrap`.

    Raises
    ------
    ValueError
        No input, an input of fewer than two axes, or a keyword that names an
        attribute.

    Notes
    -----
    As arch's ``IndependentSamplesBootstrap``: ``index`` is ``(positional
    indices, keyword indices)``, a list and a dict with one index per input
    (``x[bs.index[0][0]]`` is the current resample of the first positional x).
    """

    _name = "Stratified Independent Bootstrap"
    _index: tuple[list[_Indices], dict[str, _Indices]]

    def __init__(self, *args: ArrayLike, random_state: SeedLike = None, **kwargs: ArrayLike) -> None:
        if not args and not kwargs:
            raise ValueError("StratifiedIndependentBootstrap needs at least one array")
        for a in [*args, *kwargs.values()]:
            if np.ndim(a) < 2:
                raise ValueError(f"inputs must be (num_runs, num_tasks, ...), got shape {np.shape(a)}")
        _check_names(type(self), kwargs)
        self._args = tuple(args)
        self._kwargs = dict(kwargs)
        self._random_state = random_state
        self._seed_value = _seed(random_state)
        self._drawn = 0
        self._index = self._identity()
        self._restore()

    def _identity(self):
        return (
            [np.arange(np.shape(a)[0]) for a in self._args],
            {k: np.arange(np.shape(v)[0]) for k, v in self._kwargs.items()},
        )

    def reset(self, use_seed: bool = True) -> None:
        """Back to the original data and the first resample of the seed.

        Parameters
        ----------
        use_seed : bool, default True
            Accepted for arch's signature; the seed is always kept.
        """
        self._index = self._identity()
        self._restore()
        self._drawn = 0

    def _resample(self):
        positional, named = self._index
        self.pos_data = tuple(self._take(a, i) for a, i in zip(self._args, positional))
        self.kw_data = {k: self._take(v, named[k]) for k, v in self._kwargs.items()}
        for key, value in self.kw_data.items():
            setattr(self, key, value)
        self.data = (self.pos_data, self.kw_data)
        return self.data

    def _stream_seed(self, position: int) -> int:
        return int(np.random.SeedSequence([self._seed_value, position]).generate_state(1, np.uint64)[0])

    def _array_indices(self, position: int, array, first: int, count: int):
        """The index of each of `count` resamples of one input, from its own stream."""
        shape = np.shape(array)
        grid = _as3(np.zeros(shape))
        rows, _ = _bootstrap.stratified_resample_indices(grid, self._stream_seed(position), first, count, False, 1)
        rows = rows.reshape((count, *shape))
        # rliable's shapes: (1, tasks, 1, ...), (1, 1, cells, ...), ...
        cells = np.ogrid[tuple(slice(n) for n in (0, *shape[1:]))][1:]
        return [(rows[i], *cells) for i in range(count)]

    def _index_blocks(self, reps: int):
        arrays = [*self._args, *self._kwargs.values()]
        block = max(1, _BLOCK_VALUES // max(int(np.size(a)) for a in arrays))
        n_pos = len(self._args)
        for first in range(0, reps, block):
            count = min(block, reps - first)
            per_array = [self._array_indices(p, a, self._drawn, count) for p, a in enumerate(arrays)]
            self._drawn += count
            for i in range(count):
                drawn = [indices[i] for indices in per_array]
                yield drawn[:n_pos], dict(zip(self._kwargs, drawn[n_pos:]))

    def conf_int(
        self,
        func: Callable[..., object],
        reps: int = 1000,
        method: Method = "basic",
        size: float = 0.95,
        tail: Literal["two"] = "two",
        extra_kwargs: Mapping[str, object] | None = None,
        **unused: object,
    ) -> NDArray[np.float64]:
        """The confidence interval of func, each input resampled on its own.

        Parameters
        ----------
        func : callable
            ``func(*pos_data, **kw_data, **extra_kwargs)`` -> a scalar or ``(k,)``.
        reps : int, default 1000
            Number of resamples, at least 1.
        method : {"basic", "percentile", "bc", "bca", "debiased", "bias-corrected"}
            Interval construction; "bca" needs inputs with the same number of runs.
        size : float, default 0.95
            Coverage of the two-sided interval, in (0, 1).
        tail : {"two"}
            Only two-sided intervals are supported.
        extra_kwargs : dict, optional
            Further keyword arguments of func.
        **unused
            arch's other options, ignored.

        Returns
        -------
        ndarray of float64, ``(2, k)``
            Lower row, upper row.

        Raises
        ------
        ValueError
            Another tail or method, "bca" on inputs of different lengths, reps
            below 1, or size outside (0, 1).
        """
        arrays = [*self._args, *self._kwargs.values()]
        if _method(method) == "bca" and len({np.shape(a)[0] for a in arrays}) > 1:
            raise ValueError("BCa cannot be applied to statistics computed from datasets with different lengths")
        return super().conf_int(func, reps, method, size, tail, extra_kwargs)


def _generic_interval(func, arrays, independent, reps, method, confidence, task_bootstrap, seed):
    bs: StratifiedBootstrap | StratifiedIndependentBootstrap
    if independent:
        bs = StratifiedIndependentBootstrap(*arrays, random_state=seed)
    else:
        bs = StratifiedBootstrap(arrays[0], random_state=seed, task_bootstrap=task_bootstrap)
    return bs.conf_int(func, reps=reps, method=method, size=confidence)


def _native_interval(func, x, point, reps, method, confidence, task_bootstrap, seed):
    """The interval of func on x from the native engine, or None when func is
    not a stack of compat metrics (of x, or of its frames x[..., f])."""
    calls = native_calls(func, x)
    if calls is None:
        return None
    # Each distinct metric is computed once, over every frame; the outputs
    # are then picked in func's order.
    specs = list(dict.fromkeys(spec for spec, _ in calls))
    rows = np.array([specs.index(spec) for spec, _ in calls])
    est = _bootstrap.interval_estimates(
        x, specs, reps=reps, confidence=confidence, method=method, task_bootstrap=task_bootstrap, seed=seed
    )
    if x.ndim == 2:
        native_point, interval = est.point[rows], est.interval[:, rows]
    else:
        frames = np.array([frame for _, frame in calls])
        native_point, interval = est.point[rows, frames], est.interval[:, rows, frames]
    # The engine must reproduce the function's own value, or the function was
    # not what the probe saw; then the generic path runs.
    if np.shape(point) not in ((), native_point.shape) or not np.allclose(
        native_point, np.atleast_1d(point), rtol=1e-9, atol=1e-12
    ):
        return None
    return interval


def get_interval_estimates(
    score_dict: Mapping[_Key, ArrayLike | Sequence[ArrayLike]],
    func: Callable[..., _Point],
    method: Method = "percentile",
    task_bootstrap: bool = False,
    reps: int = 50000,
    confidence_interval_size: float = 0.95,
    random_state: Optional[SeedLike] = None,
) -> tuple[dict[_Key, _Point], dict[_Key, NDArray[np.float64]]]:
    """Stratified-bootstrap point estimates and confidence intervals per algorithm.

    Parameters
    ----------
    score_dict : dict
        Algorithm -> scores ``(num_runs, num_tasks)`` (or ``(num_runs,
        num_tasks, num_frames)`` for sample-efficiency curves), or a list of
        such arrays, which are resampled independently of each other (as for
        probability of improvement).
    func : callable
        ``func(scores) -> (k,)`` (or ``func(*arrays)`` for a list). A stack of
        :mod:`precipice.compat.rliable.metrics` aggregates, of the scores or
        of their frames ``scores[..., f]``, and ``metrics.probability_of_improvement``
        on a pair run natively; any other function is called on every resample,
        with one :class:`GenericPathWarning` per call.
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction ("debiased" and "bias-corrected" mean "bc").
    task_bootstrap : bool
        Also resample the tasks in every resample.
    reps : int
        Number of bootstrap resamples.
    confidence_interval_size : float
        Coverage of the two-sided interval, in (0, 1).
    random_state : int, numpy RandomState or Generator, or None
        Seeds the resampling; None draws the seed from numpy's global generator
        (so ``np.random.seed`` makes runs repeatable, as in rliable).

    Returns
    -------
    point_estimates, interval_estimates : dict, dict
        Keyed like `score_dict`: ``point_estimates[k] = func(scores)``;
        ``interval_estimates[k]`` has shape ``(2, k)``, lower row then upper row.

    Raises
    ------
    ValueError
        An unknown method, reps below 1, a confidence outside (0, 1), scores of
        fewer than two axes or with NaN or infinite values.
    TypeError
        Scores that are not real numbers.
    """
    method = _method(method)
    reps = as_int(reps, "reps", minimum=1)
    confidence = check_confidence(confidence_interval_size)
    point_estimates, interval_estimates = {}, {}
    warned = False
    for key, scores in score_dict.items():
        seed = _seed(random_state)
        if isinstance(scores, np.ndarray):
            x = _as_scores(scores, f"score_dict[{key!r}]")
            point = func(x)
            interval = _native_interval(func, x, point, reps, method, confidence, task_bootstrap, seed)
            if interval is None:
                if not warned:
                    warnings.warn(
                        f"func is called in Python on each of the {reps} resamples (it is not a "
                        f"stack of compat metrics the probe recognises); {_FASTER_FORMS}",
                        GenericPathWarning,
                        stacklevel=2,
                    )
                    warned = True
                interval = _generic_interval(func, [x], False, reps, method, confidence, task_bootstrap, seed)
        else:
            members = cast(Sequence[ArrayLike], scores)
            arrays = [_as_scores(a, f"score_dict[{key!r}][{i}]") for i, a in enumerate(members)]
            point = func(*arrays)
            if func is _metrics.probability_of_improvement and len(arrays) == 2 and method != "bca":
                est = _bootstrap.probability_of_improvement(
                    arrays[0], arrays[1], reps=reps, confidence=confidence, method=method, seed=seed
                )
                interval = est.interval
            else:
                if not warned:
                    warnings.warn(
                        f"func on a list of {len(arrays)} arrays is called in Python on each of the "
                        f"{reps} resamples; only metrics.probability_of_improvement itself on a pair, "
                        "with method other than 'bca', runs natively",
                        GenericPathWarning,
                        stacklevel=2,
                    )
                    warned = True
                interval = _generic_interval(func, arrays, True, reps, method, confidence, False, seed)
        point_estimates[key] = point
        interval_estimates[key] = interval
    return point_estimates, interval_estimates


def run_score_deviation(scores: ArrayLike, tau: float) -> np.float64:
    """Fraction of all run scores above `tau`.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.
    tau : float
        The threshold.

    Returns
    -------
    numpy.float64
        The fraction of scores above tau.
    """
    return np.float64(np.mean(cast(NDArray[np.float64], scores) > tau))


def mean_score_deviation(scores: ArrayLike, tau: float) -> np.float64:
    """Fraction of tasks whose mean score is above `tau`.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)``
        Normalised scores.
    tau : float
        The threshold.

    Returns
    -------
    numpy.float64
        The fraction of task means above tau.
    """
    return np.float64(np.mean(np.mean(cast(NDArray[np.float64], scores), axis=0) > tau))


score_distributions = np.vectorize(run_score_deviation, excluded=[0])
average_score_distributions = np.vectorize(mean_score_deviation, excluded=[0])


def create_performance_profile(
    score_dict: Mapping[_Key, ArrayLike],
    tau_list: ArrayLike,
    use_score_distribution: bool = True,
    custom_profile_func: Optional[Callable[..., NDArray[np.float64]]] = None,
    method: Method = "percentile",
    task_bootstrap: bool = False,
    reps: int = 2000,
    confidence_interval_size: float = 0.95,
) -> tuple[dict[_Key, NDArray[np.float64]], dict[_Key, NDArray[np.float64]]]:
    """Performance profiles and their bootstrap bands.

    Parameters
    ----------
    score_dict : dict
        Algorithm -> scores ``(num_runs, num_tasks)`` (further axes are pooled,
        as in rliable).
    tau_list : array_like, ``(num_taus,)``
        The thresholds.
    use_score_distribution : bool, default True
        The fraction of runs above each tau; False: of task means.
    custom_profile_func : callable, optional
        ``custom_profile_func(scores, tau_list) -> (num_taus,)`` instead of
        either (called on every resample).
    method : {"percentile", "basic", "bc", "bca", "debiased", "bias-corrected"}
        Interval construction.
    task_bootstrap : bool, default False
        Also resample the tasks in every resample.
    reps : int, default 2000
        Number of bootstrap resamples.
    confidence_interval_size : float, default 0.95
        Coverage of the two-sided bands, in (0, 1).

    Returns
    -------
    profiles, profile_cis : dict, dict
        Keyed like `score_dict`: each profile ``(num_taus,)`` and each band
        ``(2, num_taus)``, lower row then upper row.

    Raises
    ------
    ValueError
        An unknown method, reps below 1, a confidence outside (0, 1), scores of
        fewer than two axes or with NaN or infinite values.
    TypeError
        Scores that are not real numbers.
    """
    if custom_profile_func is not None:
        return get_interval_estimates(
            score_dict,
            lambda scores: custom_profile_func(scores, tau_list),
            method=method,
            task_bootstrap=task_bootstrap,
            reps=reps,
            confidence_interval_size=confidence_interval_size,
        )
    kind: Literal["runs", "task_means"] = "runs" if use_score_distribution else "task_means"
    method = _method(method)
    profiles, cis = {}, {}
    for key, scores in score_dict.items():
        x = _as_scores(scores, f"score_dict[{key!r}]")
        seed = _seed(None)
        if x.ndim == 2:
            est = _bootstrap.performance_profile(
                x,
                tau_list,
                kind=kind,
                reps=reps,
                method=method,
                confidence=confidence_interval_size,
                task_bootstrap=task_bootstrap,
                seed=seed,
            )
            profiles[key], cis[key] = est.point, est.interval
        else:  # rliable pools every further axis too
            func = (
                (lambda s: score_distributions(s, tau_list))
                if use_score_distribution
                else (lambda s: average_score_distributions(s, tau_list))
            )
            profiles[key] = func(x)
            cis[key] = _generic_interval(
                func, [x], False, reps, method, check_confidence(confidence_interval_size), task_bootstrap, seed
            )
    return profiles, cis
