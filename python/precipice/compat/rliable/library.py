"""rliable.library: interval estimates and performance profiles, same calls.

``get_interval_estimates`` and ``create_performance_profile`` keep rliable's
signatures, defaults, return types and shapes. Functions built from
:mod:`precipice.compat.rliable.metrics` (one aggregate, or a function stacking
several into ``np.array([...])``), ``metrics.probability_of_improvement`` on a
pair, and the default profiles run on the native engine; any other function
still works, called on every resample.
"""

from __future__ import annotations

from typing import Callable, Mapping, Optional

import numpy as np

from ... import _core
from ... import bootstrap as _bootstrap
from ..._intervals import acceleration, intervals
from ..._validation import as_int, check_confidence, resolve_seed, resolve_threads
from . import metrics as _metrics
from ._trace import native_specs

__all__ = [
    "StratifiedBootstrap",
    "StratifiedIndependentBootstrap",
    "average_score_distributions",
    "create_performance_profile",
    "get_interval_estimates",
    "mean_score_deviation",
    "run_score_deviation",
    "score_distributions",
]

# arch's names for the methods rliable documents.
_METHODS = {
    "percentile": "percentile",
    "basic": "basic",
    "bc": "bc",
    "debiased": "bc",
    "bias-corrected": "bc",
    "bca": "bca",
}
# Replicates of the generic path are resampled natively in blocks of at most
# this many values, then handed to the Python function one at a time.
_BLOCK_VALUES = 1 << 22


def _method(method: str) -> str:
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


class StratifiedBootstrap:
    """Bootstrap with stratified resampling: within every task (and every cell
    of further axes) the runs are drawn with replacement; with
    ``task_bootstrap=True`` the tasks are drawn too. Inputs are ``(num_runs,
    num_tasks, ...)``.

    As in rliable (an arch ``IIDBootstrap``): ``pos_data``, ``kw_data`` (also as
    attributes), ``data``, ``index`` (the current resample's index, usable to
    index the input), ``bootstrap(reps)`` yielding ``(pos_data, kw_data)`` per
    resample, ``apply`` and ``conf_int``.
    """

    _name = "Stratified Bootstrap"

    def __init__(self, *args, random_state=None, task_bootstrap: bool = False, **kwargs):
        if not args and not kwargs:
            raise ValueError("StratifiedBootstrap needs at least one array")
        arrays = [*args, *kwargs.values()]
        self._shape = np.shape(arrays[0])
        for a in arrays:
            if np.shape(a) != self._shape:
                raise ValueError(f"all inputs must have the shape of the first, {self._shape}; got {np.shape(a)}")
        if len(self._shape) < 2:
            raise ValueError(f"inputs must be (num_runs, num_tasks, ...), got shape {self._shape}")
        self.pos_data = tuple(args)
        self.kw_data = dict(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._task_bootstrap = bool(task_bootstrap)
        self._num_items = self._shape[0]
        self._random_state = random_state
        self._seed_value = _seed(random_state)
        self._drawn = 0
        self._index = None
        # Only the shape matters for the draws; a float grid of it is the native input.
        self._grid = np.zeros((self._shape[0], self._shape[1], int(np.prod(self._shape[2:], dtype=np.int64))))

    @property
    def data(self):
        return self.pos_data, self.kw_data

    @property
    def index(self):
        """The index of the latest resample: ``x[bs.index]`` is that resample of x."""
        return self._index

    @property
    def random_state(self):
        return self._random_state

    def seed(self, value) -> None:
        self._seed_value = resolve_seed(value)
        self._drawn = 0

    def reset(self, use_seed: bool = True) -> None:
        self._drawn = 0

    def _indices(self, first: int, count: int):
        rows, tasks = _core.stratified_resample_rows(self._grid, self._seed_value, first, count,
                                                     self._task_bootstrap, 1)
        extra = self._shape[2:]
        rows = rows.reshape((count, *self._shape))
        tasks = tasks.reshape((count, 1, self._shape[1], *extra))
        cells = [g[np.newaxis, np.newaxis] for g in np.ogrid[tuple(slice(n) for n in extra)]]
        return rows, tasks, cells

    def bootstrap(self, reps: int):
        """Yields ``(pos_data, kw_data)`` for each of `reps` resamples."""
        reps = as_int(reps, "reps", minimum=1)
        block = max(1, _BLOCK_VALUES // int(np.prod(self._shape)))
        for first in range(0, reps, block):
            count = min(block, reps - first)
            rows, tasks, cells = self._indices(self._drawn, count)
            self._drawn += count
            for i in range(count):
                self._index = (rows[i], tasks[i], *cells)
                yield (
                    tuple(np.asarray(a)[self._index] for a in self.pos_data),
                    {k: np.asarray(v)[self._index] for k, v in self.kw_data.items()},
                )

    def _call(self, func, pos, kw, extra_kwargs):
        return np.atleast_1d(np.asarray(func(*pos, **kw, **(extra_kwargs or {})), dtype=np.float64))

    def apply(self, func: Callable, reps: int = 1000, extra_kwargs=None) -> np.ndarray:
        """``(reps, k)`` values of func on successive resamples."""
        reps = as_int(reps, "reps", minimum=1)
        out = [self._call(func, pos, kw, extra_kwargs) for pos, kw in self.bootstrap(reps)]
        return np.stack(out)

    def _jackknife(self, func, extra_kwargs) -> np.ndarray:
        cut = lambda a, i: np.delete(np.asarray(a), i, axis=0)  # noqa: E731
        return np.stack([
            self._call(func, [cut(a, i) for a in self.pos_data], {k: cut(v, i) for k, v in self.kw_data.items()},
                       extra_kwargs)
            for i in range(self._num_items)
        ])

    def conf_int(self, func: Callable, reps: int = 1000, method: str = "basic", size: float = 0.95,
                 tail: str = "two", extra_kwargs=None, **unused) -> np.ndarray:
        """``(2, k)`` interval of func: lower row, upper row (two-sided only)."""
        if tail != "two":
            raise ValueError("only tail='two' is supported")
        method = _method(method)
        size = check_confidence(size)
        base = self._call(func, self.pos_data, self.kw_data, extra_kwargs)
        replicates = self.apply(func, reps, extra_kwargs)
        jackknife = self._jackknife(func, extra_kwargs) if method == "bca" else None
        return intervals(base, replicates, method, size, jackknife)


class StratifiedIndependentBootstrap(StratifiedBootstrap):
    """Each input resampled independently, stratified by task; inputs may
    have different numbers of runs (as for probability of improvement)."""

    _name = "Stratified Independent Bootstrap"

    def __init__(self, *args, random_state=None, **kwargs):
        if not args and not kwargs:
            raise ValueError("StratifiedIndependentBootstrap needs at least one array")
        self.pos_data = tuple(args)
        self.kw_data = dict(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._random_state = random_state
        self._seed_value = _seed(random_state)
        self._drawn = 0
        self._index = None
        self._arrays = [*args, *kwargs.values()]
        for a in self._arrays:
            if np.ndim(a) < 2:
                raise ValueError(f"inputs must be (num_runs, num_tasks, ...), got shape {np.shape(a)}")

    def _stream_seed(self, position: int) -> int:
        return int(np.random.SeedSequence([self._seed_value, position]).generate_state(1, np.uint64)[0])

    def _resample_all(self, first: int):
        out = []
        for position, array in enumerate(self._arrays):
            grid = _as3(np.zeros(np.shape(array)))
            rows, _ = _core.stratified_resample_rows(grid, self._stream_seed(position), first, 1, False, 1)
            shape = np.shape(array)
            cells = np.ogrid[tuple(slice(n) for n in shape[1:])]
            out.append(np.asarray(array)[(rows[0].reshape(shape), *cells)])
        return out

    def bootstrap(self, reps: int):
        reps = as_int(reps, "reps", minimum=1)
        n_pos = len(self.pos_data)
        for _ in range(reps):
            resampled = self._resample_all(self._drawn)
            self._drawn += 1
            yield tuple(resampled[:n_pos]), dict(zip(self.kw_data, resampled[n_pos:]))

    def conf_int(self, func, reps=1000, method="basic", size=0.95, tail="two", extra_kwargs=None, **unused):
        if _method(method) == "bca" and len({np.shape(a)[0] for a in self._arrays}) > 1:
            raise ValueError("BCa cannot be applied to statistics computed from datasets with different lengths")
        return super().conf_int(func, reps, method, size, tail, extra_kwargs)

    def _jackknife(self, func, extra_kwargs):
        cut = lambda a, i: np.delete(np.asarray(a), i, axis=0)  # noqa: E731
        n = np.shape(self._arrays[0])[0]
        return np.stack([
            self._call(func, [cut(a, i) for a in self.pos_data], {k: cut(v, i) for k, v in self.kw_data.items()},
                       extra_kwargs)
            for i in range(n)
        ])


def _generic_interval(func, arrays, independent, reps, method, confidence, task_bootstrap, seed):
    if independent:
        bs = StratifiedIndependentBootstrap(*arrays, random_state=seed)
    else:
        bs = StratifiedBootstrap(arrays[0], random_state=seed, task_bootstrap=task_bootstrap)
    return bs.conf_int(func, reps=reps, method=method, size=confidence)


def get_interval_estimates(
    score_dict,
    func: Callable[..., np.ndarray],
    method: str = "percentile",
    task_bootstrap: bool = False,
    reps: int = 50000,
    confidence_interval_size: float = 0.95,
    random_state: Optional[np.random.RandomState] = None,
):
    """Stratified-bootstrap point estimates and confidence intervals per algorithm.

    Returns ``(point_estimates, interval_estimates)``: dicts keyed like
    `score_dict`; ``point_estimates[k] = func(scores)`` and
    ``interval_estimates[k]`` has shape ``(2, ...)`` (lower row, upper row). A
    value that is a list of arrays is resampled independently per array.
    """
    method = _method(method)
    reps = as_int(reps, "reps", minimum=1)
    confidence = check_confidence(confidence_interval_size)
    point_estimates, interval_estimates = {}, {}
    for key, scores in score_dict.items():
        seed = _seed(random_state)
        if isinstance(scores, np.ndarray):
            x = _as_scores(scores, f"score_dict[{key!r}]")
            point = func(x)
            interval = None
            specs = native_specs(func, x) if x.ndim == 2 else None
            if specs is not None:
                est = _bootstrap.interval_estimates(x, specs, reps=reps, confidence=confidence, method=method,
                                                    task_bootstrap=task_bootstrap, seed=seed)
                # The engine must reproduce the function's own value, or the
                # function was not what the probe saw; then the generic path runs.
                if np.allclose(est.point, np.atleast_1d(point), rtol=1e-9, atol=1e-12):
                    interval = est.interval
            if interval is None:
                interval = _generic_interval(func, [x], False, reps, method, confidence, task_bootstrap, seed)
        else:
            arrays = [_as_scores(a, f"score_dict[{key!r}][{i}]") for i, a in enumerate(scores)]
            point = func(*arrays)
            if func is _metrics.probability_of_improvement and len(arrays) == 2 and method != "bca":
                est = _bootstrap.probability_of_improvement(arrays[0], arrays[1], reps=reps, confidence=confidence,
                                                           method=method, seed=seed)
                interval = est.interval
            else:
                interval = _generic_interval(func, arrays, True, reps, method, confidence, False, seed)
        point_estimates[key] = point
        interval_estimates[key] = interval
    return point_estimates, interval_estimates


def run_score_deviation(scores: np.ndarray, tau: float) -> float:
    """Fraction of all run scores above `tau`."""
    return np.mean(scores > tau)


def mean_score_deviation(scores: np.ndarray, tau: float) -> float:
    """Fraction of tasks whose mean score is above `tau`."""
    return np.mean(np.mean(scores, axis=0) > tau)


score_distributions = np.vectorize(run_score_deviation, excluded=[0])
average_score_distributions = np.vectorize(mean_score_deviation, excluded=[0])


def create_performance_profile(
    score_dict: Mapping[str, np.ndarray],
    tau_list,
    use_score_distribution: bool = True,
    custom_profile_func: Optional[Callable[..., np.ndarray]] = None,
    method: str = "percentile",
    task_bootstrap: bool = False,
    reps: int = 2000,
    confidence_interval_size: float = 0.95,
):
    """Performance profiles and their bootstrap bands: ``(profiles,
    profile_cis)``, each profile of ``len(tau_list)`` values and each band
    ``(2, len(tau_list))``."""
    if custom_profile_func is not None:
        return get_interval_estimates(
            score_dict, lambda scores: custom_profile_func(scores, tau_list), method=method,
            task_bootstrap=task_bootstrap, reps=reps, confidence_interval_size=confidence_interval_size,
        )
    kind = "runs" if use_score_distribution else "task_means"
    method = _method(method)
    profiles, cis = {}, {}
    for key, scores in score_dict.items():
        x = _as_scores(scores, f"score_dict[{key!r}]")
        seed = _seed(None)
        if x.ndim == 2:
            est = _bootstrap.performance_profile(x, tau_list, kind=kind, reps=reps, method=method,
                                                 confidence=confidence_interval_size,
                                                 task_bootstrap=task_bootstrap, seed=seed)
            profiles[key], cis[key] = est.point, est.interval
        else:  # rliable pools every further axis too
            func = (lambda s: score_distributions(s, tau_list)) if use_score_distribution else (
                lambda s: average_score_distributions(s, tau_list))
            profiles[key] = func(x)
            cis[key] = _generic_interval(func, [x], False, reps, method, check_confidence(confidence_interval_size),
                                         task_bootstrap, seed)
    return profiles, cis
