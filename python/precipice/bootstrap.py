"""Stratified bootstrap interval estimates (Agarwal et al. 2021, "Deep RL at the
Edge of the Statistical Precipice"), computed by the native engine.

Scores are ``(num_runs, num_tasks)`` or ``(num_runs, num_tasks, num_frames)``.
A replicate resamples, within each task (and frame), the runs with replacement;
with ``task_bootstrap=True`` it first resamples the tasks. Replicate ``r`` depends
only on ``(seed, r)``: the same seed gives the same numbers for any ``n_threads``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._distributed import add_chunks, map_replicates
from ._intervals import Histograms, IntervalBounds, intervals
from ._validation import (
    MAX_REPLICATE_BYTES,
    ResampleOptions,
    as_flag,
    as_real_array,
    as_scores,
    check_replicate_memory,
    overflow_exponent,
    unmasked,
)

if TYPE_CHECKING:
    from ._typing import Client, IntervalMethod, NanPolicy, SeedLike

# A metric by name ("mean", "median", "iqm", "optimality_gap"), by name and
# parameter (("trimmed_mean", 0.1)), or a callable of the scores.
Metric: TypeAlias = str | tuple[str, float] | Callable[..., object]
_Func = TypeVar("_Func", bound=Callable[..., object])

__all__ = [
    "IntervalEstimate",
    "PairwiseImprovement",
    "ScoreScaleWarning",
    "SingleRunWarning",
    "TrivialLevelWarning",
    "batched",
    "hierarchical",
    "interval_estimates",
    "pairwise_probability_of_improvement",
    "performance_profile",
    "probability_of_improvement",
    "score_scale_message",
    "single_run_improvement_message",
    "single_run_message",
]

# Native metric kinds (cpp/include/precipice/bootstrap.hpp, MetricKind).
_KIND = _core.bootstrap.MetricKind
# Scores are scaled below 2**900 for the kernels: sums of up to 2**63 of them,
# and the midpoint of two, stay finite.
_SAFE_EXPONENT = 900
_MEAN, _MEDIAN, _TRIMMED, _GAP = _KIND.mean, _KIND.median, _KIND.trimmed_mean, _KIND.optimality_gap
_PROFILE_RUNS, _PROFILE_TASK_MEANS = _KIND.profile_runs, _KIND.profile_task_means
_NO_TAUS = np.empty(0)
METRIC_NAMES = ("mean", "median", "iqm", "optimality_gap", "trimmed_mean")

# Resampled data handed to a Python callable is produced in blocks of at most
# this many values, so memory does not grow with reps x data size.
_CALLABLE_BLOCK_VALUES = 1 << 22


class SingleRunWarning(UserWarning):
    """One run per task: resampling runs within tasks redraws the same data, so
    the interval has zero width and says nothing about uncertainty."""


class ScoreScaleWarning(UserWarning):
    """The scores are on a scale the metric was not given (percentages or raw
    scores where it expects normalised ones in [0, 1])."""


def single_run_message(shape: tuple[int, ...], *, valid_runs: bool = False) -> str:
    """The text of :class:`SingleRunWarning` for scores of this shape.

    Parameters
    ----------
    shape : tuple of int
        The scores' shape.
    valid_runs : bool, default False
        The tasks have at most one non-NaN run (rather than one run).

    Returns
    -------
    str
        The warning's message.
    """
    what = (
        "every task has at most one valid (non-NaN) run"
        if valid_runs
        else f"the scores have a single run per task (shape {tuple(shape)})"
    )
    return (
        f"{what}: the stratified bootstrap resamples runs within each task, and with one run every "
        "resample is the same data, so every replicate equals the point estimate and the interval has "
        "zero width; it says nothing about uncertainty. To include the variation across tasks, pass "
        "task_bootstrap=True. For a single-run LLM evaluation scored item by item, use the item-level "
        "statistics of precipice.evals on the per-item scores (standard_error, bootstrap_interval, "
        "paired_bootstrap)."
    )


def single_run_improvement_message(names: Sequence[str]) -> str:
    """The text of :class:`SingleRunWarning` for probability of improvement.

    Parameters
    ----------
    names : sequence of str
        The algorithms with a single run per task.

    Returns
    -------
    str
        The warning's message.
    """
    return (
        f"{', '.join(names)} have a single run per task: probability of improvement resamples runs within "
        "each task, and with one run of each algorithm of a pair every resample is the same data, so the "
        "interval has zero width. Use several runs per task; for single-run LLM evaluations scored item by "
        "item, compare the systems on the per-item scores with precipice.evals.paired_bootstrap "
        "(or paired_test, mcnemar)."
    )


def score_scale_message(gamma: float, smallest: float) -> str:
    """The text of :class:`ScoreScaleWarning` for an optimality gap whose every
    score is at or above gamma.

    Parameters
    ----------
    gamma : float
        The optimality gap's threshold.
    smallest : float
        The smallest score.

    Returns
    -------
    str
        The warning's message.
    """
    return (
        f"every score is at or above gamma={gamma:g} (the smallest is {smallest:g}), so the optimality gap "
        "gamma - mean(min(score, gamma)) is 0 in every resample and its interval is [0, 0] for any "
        "algorithm. The scores are probably not normalised: divide percentages (0-100) by 100, normalise "
        "raw scores (e.g. human-normalised: (score - random) / (human - random)), or pass "
        "('optimality_gap', gamma) with gamma on the scores' own scale."
    )


def _warn_if_single_run(scores3: np.ndarray, task_bootstrap: bool) -> None:
    if task_bootstrap:
        return
    if scores3.shape[0] == 1:
        message = single_run_message(scores3.shape[:2] if scores3.shape[2] == 1 else scores3.shape)
    elif (~np.isnan(scores3)).sum(axis=0).max() <= 1:
        message = single_run_message(scores3.shape, valid_runs=True)
    else:
        return
    warnings.warn(message, SingleRunWarning, stacklevel=4)


def _warn_if_scores_above_gamma(scores3: np.ndarray, plan: _Plan) -> None:
    gammas = {gamma for kind, gamma, _ in plan.native if kind == _GAP}
    if not gammas:
        return
    smallest = float(np.nanmin(scores3))
    for gamma in sorted(gammas):
        if smallest >= gamma:
            warnings.warn(score_scale_message(gamma, smallest), ScoreScaleWarning, stacklevel=4)


def _label(value: float) -> str:
    """The shortest text that names ``value`` exactly: 0.1 -> '0.1', 2.0 -> '2',
    0.4999999 -> '0.4999999' (never rounded to a different number)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


@dataclass(frozen=True)
class IntervalEstimate(IntervalBounds):
    """Point estimates and confidence intervals.

    ``point`` has one value per metric (``(n_metrics,)``, or ``(n_metrics,
    num_frames)`` for 3-D scores); ``interval`` stacks the lower and upper bounds
    (``(2, *point.shape)``); ``replicates`` (``(reps, *point.shape)``) is kept when
    asked for. ``seed`` is the seed actually used: pass it back to reproduce.
    """

    point: NDArray[np.float64]
    interval: NDArray[np.float64]
    names: tuple[str, ...]
    method: str
    confidence: float
    reps: int
    seed: int
    replicates: NDArray[np.float64] | None = field(default=None, repr=False)


def batched(func: _Func) -> _Func:
    """Mark a metric callable as taking a block of resamples at once.

    Such a callable is called once per block instead of once per replicate.

    Parameters
    ----------
    func : callable
        ``func(block)`` with block ``(n, num_runs, num_tasks[, num_frames])``
        must return ``(n,)`` (or ``(n, num_frames)``).

    Returns
    -------
    callable
        ``func`` itself, marked.
    """
    func.precipice_batched = True  # type: ignore[attr-defined]  # a mark on the caller's function object
    return func


@dataclass
class _Plan:
    """The metrics of one call split into native specs and Python callables."""

    names: list[str]
    native: list[_core.bootstrap.MetricSpec]
    native_columns: list[int]  # output position of each native spec
    callables: list[Callable[..., object]]
    callable_columns: list[int]


def _parse_metric(metric) -> tuple[str, _core.bootstrap.MetricSpec | Callable[..., object]]:
    if callable(metric):
        return getattr(metric, "__name__", "callable"), metric
    name, param = metric, None
    if isinstance(metric, tuple):
        if len(metric) != 2 or not isinstance(metric[0], str):
            raise ValueError(f"metrics: a tuple must be (name, parameter), got {metric!r}")
        name, param = metric
        if isinstance(param, (bool, np.bool_)) or not isinstance(param, numbers.Real) or not math.isfinite(param):
            raise ValueError(f"metrics: the parameter of {name!r} must be a finite number, got {param!r}")
        param = float(param)
    if not isinstance(name, str):
        raise TypeError(f"metrics: expected a name, (name, parameter) or a callable, got {metric!r}")
    key = name.lower()
    if key in ("mean", "median", "iqm") and param is not None:
        raise ValueError(f"metrics: {name!r} takes no parameter")
    if key == "mean":
        return "mean", (_MEAN, 0.0, _NO_TAUS)
    if key == "median":
        return "median", (_MEDIAN, 0.0, _NO_TAUS)
    if key == "iqm":
        return "iqm", (_TRIMMED, 0.25, _NO_TAUS)
    if key == "optimality_gap":
        gamma = 1.0 if param is None else param
        return ("optimality_gap" if param is None else f"optimality_gap({_label(gamma)})"), (_GAP, gamma, _NO_TAUS)
    if key == "trimmed_mean":
        if param is None:
            raise ValueError("metrics: 'trimmed_mean' needs a proportion, e.g. ('trimmed_mean', 0.1)")
        if not 0.0 <= param < 0.5:
            raise ValueError(f"metrics: the trimmed_mean proportion must lie in [0, 0.5), got {param}")
        return f"trimmed_mean({_label(param)})", (_TRIMMED, param, _NO_TAUS)
    raise ValueError(f"metrics: unknown metric {name!r}; known: {', '.join(METRIC_NAMES)} or a callable")


def _is_parameterised(metric) -> bool:
    """("trimmed_mean", 0.1) is one metric; ("iqm", "mean") is two."""
    return (
        isinstance(metric, tuple)
        and len(metric) == 2
        and isinstance(metric[0], str)
        and isinstance(metric[1], numbers.Real)
    )


def _plan(metrics) -> _Plan:
    if isinstance(metrics, str) or callable(metrics) or _is_parameterised(metrics):
        metrics = [metrics]
    try:
        metrics = list(metrics)
    except TypeError:
        raise TypeError(f"metrics must be a name, a callable or a sequence of them, got {metrics!r}") from None
    if not metrics:
        raise ValueError("metrics: at least one metric is required")
    plan = _Plan([], [], [], [], [])
    for column, metric in enumerate(metrics):
        name, spec = _parse_metric(metric)
        plan.names.append(name)
        if callable(spec):
            plan.callables.append(spec)
            plan.callable_columns.append(column)
        else:
            plan.native.append(spec)
            plan.native_columns.append(column)
    return plan


def _call_metric(func: Callable[..., object], data: np.ndarray, frames: int | None, name: str) -> np.ndarray:
    value = np.asarray(func(data), dtype=np.float64)
    expected = () if frames is None else (frames,)
    if value.shape != expected and not (frames is None and value.shape == (1,)):
        raise ValueError(f"metrics: callable {name!r} returned shape {value.shape}, expected {expected or 'a scalar'}")
    return value.reshape(expected)


def _evaluate(func: Callable[..., object], name: str, blocks: np.ndarray, frames: int, squeeze: bool) -> np.ndarray:
    """func on each array of `blocks` ``(n, runs, tasks[, frames])`` -> ``(n, frames)``.

    The blocks are always arrays of our own, so a function that works in place
    never writes into the caller's scores."""
    n = blocks.shape[0]
    if getattr(func, "precipice_batched", False):
        values = np.asarray(func(blocks), dtype=np.float64)
        expected = (n,) if squeeze else (n, frames)
        if values.shape != expected:
            raise ValueError(
                f"metrics: batched callable {name!r} returned shape {values.shape} for a block of "
                f"{n} resamples, expected {expected}"
            )
        return values.reshape(n, frames)
    # An arbitrary Python function: one call per array is all it allows.
    return np.stack([_call_metric(func, b, None if squeeze else frames, name) for b in blocks]).reshape(n, frames)


# --------------------------------------------------------------------------
# The kernels over a replicate range (first, count): what a Dask task computes.


def native_chunk(
    scores3: NDArray[np.float64],
    specs: Sequence[_core.bootstrap.MetricSpec],
    seed: int,
    task_bootstrap: bool,
    n_threads: int,
    first: int,
    count: int,
) -> NDArray[np.float64]:
    """Replicates ``first .. first + count - 1`` of the native metrics ``specs``.

    Parameters
    ----------
    scores3 : ndarray of float64, ``(num_runs, num_tasks, num_frames)``
        The checked scores.
    specs : sequence of (MetricKind, float, ndarray)
        The native metrics.
    seed, task_bootstrap, n_threads
        Resolved seed, task resampling and thread count.
    first, count : int
        The replicate range.

    Returns
    -------
    ndarray of float64, ``(count, len(specs) x outputs, num_frames)``
        The replicates.
    """
    return _core.bootstrap.stratified_replicates(scores3, specs, seed, first, count, task_bootstrap, n_threads)


def profile_chunk(
    scores3: NDArray[np.float64],
    spec: _core.bootstrap.MetricSpec,
    denominator: int,
    seed: int,
    task_bootstrap: bool,
    n_threads: int,
    first: int,
    count: int,
) -> NDArray[np.int64]:
    """Counts of replicates at each fraction k / denominator, over one replicate range.

    Parameters
    ----------
    scores3 : ndarray of float64, ``(num_runs, num_tasks, num_frames)``
        The checked scores.
    spec : (MetricKind, float, ndarray)
        The profile metric and its taus.
    denominator : int
        M: every replicate value is k / M.
    seed, task_bootstrap, n_threads
        Resolved seed, task resampling and thread count.
    first, count : int
        The replicate range.

    Returns
    -------
    ndarray of int64
        Per tau (and frame), the count of replicates at each k in 0 .. M.
    """
    return _core.bootstrap.profile_histograms(scores3, spec, denominator, seed, first, count, task_bootstrap, n_threads)


def improvement_chunk(
    arrays: Sequence[NDArray[np.float64]],
    pairs: Sequence[tuple[int, int]],
    seed: int,
    n_threads: int,
    first: int,
    count: int,
) -> NDArray[np.float64]:
    """Replicates ``first .. first + count - 1`` of probability of improvement.

    Parameters
    ----------
    arrays : sequence of ndarray of float64, each ``(num_runs_i, num_tasks)``
        The algorithms' checked scores.
    pairs : sequence of (int, int)
        The ordered pairs of positions in ``arrays``.
    seed, n_threads : int
        Resolved seed and thread count.
    first, count : int
        The replicate range.

    Returns
    -------
    ndarray of float64, ``(count, len(pairs))``
        The replicates.
    """
    return _core.bootstrap.improvement_replicates(arrays, pairs, seed, first, count, n_threads)


def _callable_replicates(scores3, func, name, squeeze, seed, task_bootstrap, n_threads, first, count):
    """Replicates first .. first + count - 1 of a callable metric, ``(count, frames)``."""
    runs, tasks, frames = scores3.shape
    out = np.empty((count, frames))
    block = max(1, min(count, _CALLABLE_BLOCK_VALUES // scores3.size))
    for start in range(0, count, block):
        n = min(block, count - start)
        data = _core.bootstrap.stratified_resample(scores3, seed, first + start, n, task_bootstrap, n_threads)
        out[start : start + n] = _evaluate(func, name, data[..., 0] if squeeze else data, frames, squeeze)
    return out


def _profile_denominator(scores3, plan, task_bootstrap, reps, threads) -> int | None:
    """M when the plan is a single profile whose every output is a fraction k / M
    with one M for all resamples and frames, and the M + 1 counts per tau of
    every thread take a fraction of the memory of its replicates; else None
    (replicates are kept)."""
    if len(plan.native) != 1 or plan.callables:
        return None
    kind = plan.native[0][0]
    runs, tasks, frames = scores3.shape
    if kind == _PROFILE_TASK_MEANS:
        denominator = tasks
    elif kind == _PROFILE_RUNS:
        valid = (~np.isnan(scores3)).sum(axis=0)  # (tasks, frames)
        pools = valid.sum(axis=0)
        # Task bootstrap keeps the pool size only where every task has as many runs.
        if (pools != pools[0]).any() or (task_bootstrap and (valid != valid[0]).any()):
            return None
        denominator = int(pools[0])
    else:
        return None
    small = 4 * threads * (denominator + 1) <= reps
    return denominator if small and _histograms_fit(threads, len(plan.native[0][2]) * frames, denominator) else None


def _histograms_fit(threads: int, columns: int, denominator: int) -> bool:
    """Whether the profile's counts (one (columns, M + 1) table per thread and
    their sum) fit the replicate memory limit."""
    return 8 * (threads + 1) * columns * (denominator + 1) <= MAX_REPLICATE_BYTES


def _estimate(
    scores3, squeeze, plan, *, reps, confidence, method, task_bootstrap, seed, n_threads, return_replicates, client
) -> IntervalEstimate:
    runs, tasks, frames = scores3.shape
    n_out = sum(len(t) if kind in (_PROFILE_RUNS, _PROFILE_TASK_MEANS) else 1 for kind, _, t in plan.native)
    n_out += len(plan.callables)
    options = ResampleOptions.from_args(
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        outputs_per_replicate=None,  # checked below, for the path that runs
    )
    reps, confidence, seed, threads = options.reps, options.confidence, options.seed, options.n_threads
    task_bootstrap = as_flag(task_bootstrap, "task_bootstrap")
    return_replicates = as_flag(return_replicates, "return_replicates")

    # Columns in the caller's order; profiles expand to one column per tau.
    widths = []
    native_iter = iter(plan.native)
    callable_set = set(plan.callable_columns)
    for column in range(len(plan.names)):
        if column in callable_set:
            widths.append(1)
        else:
            kind, _, taus = next(native_iter)
            widths.append(len(taus) if kind in (_PROFILE_RUNS, _PROFILE_TASK_MEANS) else 1)
    starts = np.concatenate([[0], np.cumsum(widths)])

    point = np.empty((n_out, frames))
    jackknife = np.empty((runs, n_out, frames)) if method == "bca" else None
    denominator = None if return_replicates else _profile_denominator(scores3, plan, task_bootstrap, reps, threads)
    if denominator is None:
        # A callable's (reps, frames) block comes back before it is copied in; on
        # a client the chunks and their concatenation coexist.
        check_replicate_memory(
            reps,
            n_out * frames + (frames if plan.callables else 0),
            threads,
            copies=1 if client is None else 2,
        )
    replicates = None
    distribution: np.ndarray | Histograms
    if denominator is None and (plan.callables or frames > 1):
        # Each statistic's replicates contiguous, as the kernel writes them and the
        # interval step reads them; users see the (reps, n_out, frames) view.
        replicates = np.empty((n_out, frames, reps)).transpose(2, 0, 1)
    if plan.native:
        native_cols = np.concatenate([np.arange(starts[c], starts[c + 1]) for c in plan.native_columns])
        # Scores near the float maximum: the kernels sum them (and average two
        # middle values) scaled by a power of two, which changes no digit.
        exponent = overflow_exponent(scores3, _SAFE_EXPONENT)
        native_scores = np.ldexp(scores3, -exponent) if exponent else scores3
        specs = _scaled_specs(plan.native, exponent)
        # Profiles are fractions; every other native statistic is in score units.
        in_score_units = np.concatenate(
            [
                np.full(starts[c + 1] - starts[c], kind not in (_PROFILE_RUNS, _PROFILE_TASK_MEANS))
                for c, (kind, _, _) in zip(plan.native_columns, plan.native)
            ]
        )
        scale_back = np.where(in_score_units, 2.0**exponent, 1.0)[:, np.newaxis] if exponent else None
        point[native_cols] = _core.bootstrap.stratified_point(native_scores, specs).T
        if scale_back is not None:
            point[native_cols] *= scale_back
        if denominator is None:
            native = map_replicates(
                native_chunk, [native_scores], [specs, seed, task_bootstrap], reps, client, threads
            ).transpose(0, 2, 1)
            if scale_back is not None:
                native *= scale_back
            if replicates is None:
                replicates = native  # the kernel's own (reps, n_out, 1), in that layout: no copy
            else:
                replicates[:, native_cols] = native
        else:
            counts = map_replicates(
                profile_chunk,
                [native_scores],
                [specs[0], denominator, seed, task_bootstrap],
                reps,
                client,
                threads,
                combine=add_chunks,
            )
            # (frames, taus, k) -> one row per (tau, frame), as the replicates' columns.
            distribution = Histograms(
                counts.transpose(1, 0, 2).reshape(n_out * frames, denominator + 1),
                np.arange(denominator + 1) / denominator,
            )
        if jackknife is not None:
            jackknife[:, native_cols] = _core.bootstrap.stratified_jackknife(native_scores, specs).transpose(0, 2, 1)
            if scale_back is not None:
                jackknife[:, native_cols] *= scale_back
    for func, column in zip(plan.callables, plan.callable_columns):
        name = plan.names[column]
        col = starts[column]
        data = scores3[..., 0] if squeeze else scores3
        point[col] = _evaluate(func, name, data[np.newaxis].copy(), frames, squeeze)[0]
        assert replicates is not None  # callables keep their replicates
        replicates[:, col] = map_replicates(
            _callable_replicates, [scores3], [func, name, squeeze, seed, task_bootstrap], reps, client, threads
        )
        if jackknife is not None:
            left_out = np.stack([np.delete(data, i, axis=0) for i in range(runs)])
            jackknife[:, col] = _evaluate(func, name, left_out, frames, squeeze)

    flat_names = [f"{plan.names[c]}" for c in range(len(plan.names)) for _ in range(widths[c])]
    flat_names = [n for n in flat_names for _ in range(frames)]
    if replicates is not None:
        distribution = replicates.reshape(reps, -1)
    bounds = intervals(
        point.reshape(-1),
        distribution,
        method,
        confidence,
        None if jackknife is None else jackknife.reshape(runs, -1),
        flat_names,
        threads,
    ).reshape(2, n_out, frames)
    # After the computation, so that an error (BCa with one run) comes alone.
    _warn_if_single_run(scores3, task_bootstrap)
    _warn_if_scores_above_gamma(scores3, plan)
    if squeeze:
        point, bounds = point[:, 0], bounds[..., 0]
        replicates = None if replicates is None else replicates[..., 0]
    return IntervalEstimate(
        point=point,
        interval=bounds,
        names=tuple(plan.names),
        method=method,
        confidence=confidence,
        reps=reps,
        seed=seed,
        replicates=replicates if return_replicates else None,
    )


def _scaled_specs(specs: list[_core.bootstrap.MetricSpec], exponent: int) -> list[_core.bootstrap.MetricSpec]:
    """Native metric specs for scores scaled by 2**-exponent: an optimality
    gap's gamma and a profile's taus scale with them (exactly: powers of two)."""
    if not exponent:
        return specs
    return [
        (kind, float(np.ldexp(param, -exponent)) if kind == _GAP else param, np.ldexp(taus, -exponent))
        for kind, param, taus in specs
    ]


def _as_scores3(scores, nan_policy: str) -> tuple[np.ndarray, bool]:
    """(runs, tasks, frames) scores for the kernels, and whether frames was added."""
    scores3 = as_scores(scores, nan_policy=nan_policy)
    if scores3.ndim == 2:
        return scores3[:, :, None], True
    return scores3, False


def interval_estimates(
    scores: ArrayLike,
    metrics: Metric | Sequence[Metric],
    *,
    reps: int = 50_000,
    confidence: float = 0.95,
    method: IntervalMethod = "percentile",
    task_bootstrap: bool = False,
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    nan_policy: NanPolicy = "raise",
    client: Client | None = None,
) -> IntervalEstimate:
    """Stratified-bootstrap point estimates and confidence intervals.

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)`` or ``(num_runs, num_tasks, num_frames)``
        Score of each run on each task (and evaluation frame, as for
        sample-efficiency curves: every frame is resampled and reported apart).
    metrics : name, callable, or a sequence of them
        ``"mean"`` (mean over tasks of per-task means), ``"median"`` (median over
        tasks of per-task means), ``"iqm"`` (25% trimmed mean over all runs x tasks,
        as ``scipy.stats.trim_mean``), ``"optimality_gap"`` (``gamma - mean(min(x,
        gamma))``, gamma=1; ``("optimality_gap", gamma)`` sets it),
        ``("trimmed_mean", proportion)``. A callable ``f(scores) -> float`` (or
        ``(num_frames,)``) also works, one call per replicate, or per block of
        replicates when wrapped with :func:`batched`; with ``nan_policy="omit"`` it
        sees resamples padded with NaN.
    reps : int
        Number of bootstrap replicates. They are kept in memory: the peak is
        about ``reps x statistics x 8`` bytes for the replicates (statistics =
        metrics x taus of a profile x frames; twice that with ``client``) plus
        three columns of ``reps`` values per thread in the quantile step, about
        2x the replicates for many statistics, 4x for one. A request whose peak
        would pass 8 GiB is refused. A performance profile whose fractions share
        one denominator M (and ``return_replicates=False``) keeps counts instead,
        ``(threads + 1) x taus x (M + 1) x 8`` bytes whatever ``reps``.
    confidence : float
        Coverage of the two-sided interval, in (0, 1).
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction; quantiles interpolate linearly as numpy does. "bc"
        and "bca" take the bias correction z0 = Phi^-1(share of replicates strictly
        below the point estimate), Efron's and R boot's rule: replicates equal to
        it count as above (``precipice.compat.scipy.bootstrap`` counts them half,
        as scipy does, so a median's intervals differ between the two). "bca"
        takes its acceleration from a leave-one-run-out jackknife, per metric.
    task_bootstrap : bool
        Also resample the tasks (with replacement) in every replicate.
    seed : int, numpy Generator, or None
        Same seed, same result, whatever ``n_threads``. None draws fresh entropy;
        the seed used is returned in ``.seed``.
    n_threads : int or None
        None uses every usable core; negative counts back from all cores.
    return_replicates : bool
        Keep the bootstrap distribution in ``.replicates``.
    nan_policy : {"raise", "omit"}
        "omit" leaves NaN scores out: each task keeps its valid runs.
    client : dask.distributed.Client, optional
        Compute the replicates on a Dask cluster: the scores are scattered once,
        the replicate range is split into chunks, and the result is bit-identical
        to the local run for any number of workers.

    Returns
    -------
    IntervalEstimate

    Raises
    ------
    ValueError, TypeError
        For invalid scores (a masked array with masked entries, unless
        nan_policy="omit" reads them as missing), metrics or options, each
        naming the argument; for ``reps`` whose peak memory would pass 8 GiB.

    Warns
    -----
    SingleRunWarning
        One run per task without ``task_bootstrap``: the interval has zero width.
    ScoreScaleWarning
        An optimality gap where every score is at or above gamma (scores in
        percent, or not normalised): the gap and its interval are 0.
    """
    scores3, squeeze = _as_scores3(scores, nan_policy)
    return _estimate(
        scores3,
        squeeze,
        _plan(metrics),
        reps=reps,
        confidence=confidence,
        method=method,
        task_bootstrap=task_bootstrap,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
    )


def _as_taus(taus) -> np.ndarray:
    taus = as_real_array(unmasked(taus, "taus"), "taus", booleans=False)
    if taus.ndim != 1 or taus.size == 0:
        raise ValueError(f"taus must be a non-empty 1-D array of thresholds, got shape {taus.shape}")
    taus = np.ascontiguousarray(taus, dtype=np.float64)
    if not np.isfinite(taus).all():
        raise ValueError("taus contains NaN or infinite values")
    checked: np.ndarray = taus
    return checked


def performance_profile(
    scores: ArrayLike,
    taus: ArrayLike,
    *,
    kind: Literal["runs", "task_means"] = "runs",
    reps: int = 2000,
    confidence: float = 0.95,
    method: IntervalMethod = "percentile",
    task_bootstrap: bool = False,
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    nan_policy: NanPolicy = "raise",
    client: Client | None = None,
) -> IntervalEstimate:
    """Performance profile with stratified-bootstrap confidence bands.

    Every replicate value is a fraction k / M (M the pooled run count, or the
    number of tasks), so unless ``return_replicates`` is asked for, the
    bootstrap distribution is kept as the count of replicates at each k: the
    same intervals, in O(len(taus) x M) memory instead of O(len(taus) x reps).

    Parameters
    ----------
    scores : array_like, ``(num_runs, num_tasks)`` or ``(num_runs, num_tasks, num_frames)``
        Score of each run on each task (and frame).
    taus : array_like, ``(num_taus,)``
        The thresholds, finite.
    kind : {"runs", "task_means"}
        "runs": the fraction of all run scores strictly above each tau (the
        score distribution); "task_means": the fraction of tasks whose mean
        score is strictly above each tau.
    reps, confidence, method, task_bootstrap, seed, n_threads, return_replicates, nan_policy, client
        As in :func:`interval_estimates`.

    Returns
    -------
    IntervalEstimate
        ``point`` is ``(num_taus,)`` (or ``(num_taus, num_frames)``) and
        ``interval`` ``(2, *point.shape)``.

    Raises
    ------
    ValueError, TypeError
        As :func:`interval_estimates`, and for an unknown kind or taus that are
        not a non-empty 1-D array of finite numbers.

    Warns
    -----
    SingleRunWarning
        As :func:`interval_estimates`.
    """
    kinds = {"runs": _PROFILE_RUNS, "task_means": _PROFILE_TASK_MEANS}
    if kind not in kinds:
        raise ValueError(f"kind must be 'runs' or 'task_means', got {kind!r}")
    taus = _as_taus(taus)
    scores3, squeeze = _as_scores3(scores, nan_policy)
    plan = _Plan([f"profile_{kind}"], [(kinds[kind], 0.0, taus)], [0], [], [])
    return _estimate(
        scores3,
        squeeze,
        plan,
        reps=reps,
        confidence=confidence,
        method=method,
        task_bootstrap=task_bootstrap,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
    )


def stratified_resample_indices(
    scores3: NDArray[np.float64], seed: int, first: int, count: int, task_bootstrap: bool, n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The run and task behind every cell of stratified resamples.

    For the drop-ins that resample their own data (``compat.rliable``'s
    ``StratifiedBootstrap``) with this module's streams.

    Parameters
    ----------
    scores3 : ndarray of float64, ``(num_runs, num_tasks, num_frames)``
        The scores (NaN marks a missing run); only the shape and the NaN
        positions matter.
    seed : int
        Resolved seed.
    first, count : int
        The replicate range.
    task_bootstrap : bool
        Also resample the tasks.
    n_threads : int
        Resolved thread count.

    Returns
    -------
    rows : ndarray of int64, ``(count, num_runs, num_tasks, num_frames)``
        The input run of each cell of each resample.
    tasks : ndarray of int64, ``(count, num_tasks, num_frames)``
        The input task of each (task, frame) of each resample.
    """
    return _core.bootstrap.stratified_resample_rows(scores3, seed, first, count, task_bootstrap, n_threads)


def improvement_points(arrays: Sequence[NDArray[np.float64]], pairs: Sequence[tuple[int, int]]) -> NDArray[np.float64]:
    """Average probability of improvement of each pair, without resampling.

    Parameters
    ----------
    arrays : sequence of ndarray of float64, each ``(num_runs_i, num_tasks)``
        The algorithms' scores, with the same tasks.
    pairs : sequence of (int, int)
        ``(a, b)``: P(arrays[a] > arrays[b]) + P(=)/2, averaged over tasks.

    Returns
    -------
    ndarray of float64, ``(len(pairs),)``
        The probability of improvement of each pair.
    """
    return _core.bootstrap.improvement_point(arrays, pairs)


def _as_algorithm_scores(name: str, scores, nan_policy: str) -> np.ndarray:
    return as_scores(scores, name, ndims=(2,), nan_policy=nan_policy)


def _improvement(
    arrays, pairs, names, *, reps, confidence, method, seed, n_threads, return_replicates, client
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int, int, float, list[str]]:
    return_replicates = as_flag(return_replicates, "return_replicates")
    tasks = {a.shape[1] for a in arrays}
    if len(tasks) > 1:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in zip(names, arrays))
        raise ValueError(f"all score arrays must have the same number of tasks (axis 1); got {shapes}")
    if method == "bca":
        raise ValueError(
            "method='bca' is not available for probability of improvement "
            "(the two samples have their own runs); use 'percentile', 'basic' or 'bc'"
        )
    options = ResampleOptions.from_args(
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        outputs_per_replicate=len(pairs),
    )
    reps, confidence, seed, threads = options.reps, options.confidence, options.seed, options.n_threads
    single = [(~np.isnan(a)).sum(axis=0).max() <= 1 for a in arrays]
    lonely = sorted({i for a, b in pairs if single[a] and single[b] for i in (a, b)})
    if lonely:
        warnings.warn(single_run_improvement_message([names[i] for i in lonely]), SingleRunWarning, stacklevel=3)
    point = improvement_points(arrays, pairs)
    replicates = map_replicates(improvement_chunk, [arrays], [pairs, seed], reps, client, threads)
    labels = [f"P({names[a]} > {names[b]})" for a, b in pairs]
    bounds = intervals(point, replicates, method, confidence, None, labels, threads)
    return point, bounds, replicates, seed, reps, confidence, labels


def probability_of_improvement(
    x: ArrayLike,
    y: ArrayLike,
    *,
    reps: int = 50_000,
    confidence: float = 0.95,
    method: Literal["percentile", "basic", "bc"] = "percentile",
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    nan_policy: NanPolicy = "raise",
    client: Client | None = None,
) -> IntervalEstimate:
    """Average probability of improvement of X over Y with a bootstrap interval.

    Per task, P(X > Y) + P(X = Y)/2 = U / (n_x n_y) (Mann-Whitney U, ties
    counting one half); the estimate is its mean over tasks. Replicates resample
    the runs of x and of y independently within every task.

    Parameters
    ----------
    x, y : array_like, ``(num_runs_x, num_tasks)`` and ``(num_runs_y, num_tasks)``
        The two algorithms' scores: the same tasks, possibly different numbers
        of runs.
    reps, confidence, seed, n_threads, return_replicates, nan_policy, client
        As in :func:`interval_estimates`.
    method : {"percentile", "basic", "bc"}
        Interval construction ("bca" is not available: the two samples have
        their own runs).

    Returns
    -------
    IntervalEstimate
        One statistic, ``"probability_of_improvement"``.

    Raises
    ------
    ValueError, TypeError
        For invalid scores, scores with different numbers of tasks, method
        "bca" or invalid options, each naming the argument.

    Warns
    -----
    SingleRunWarning
        Both x and y have a single run per task: the interval has zero width.
    """
    arrays = [_as_algorithm_scores("x", x, nan_policy), _as_algorithm_scores("y", y, nan_policy)]
    point, bounds, replicates, seed, reps, confidence, labels = _improvement(
        arrays,
        [(0, 1)],
        ["x", "y"],
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
    )
    return IntervalEstimate(
        point,
        bounds,
        ("probability_of_improvement",),
        method,
        confidence,
        reps,
        seed,
        replicates if return_replicates else None,
    )


@dataclass(frozen=True)
class PairwiseImprovement:
    """``point[i, j]`` = average probability that algorithm ``names[i]`` improves
    on ``names[j]``; ``interval`` is ``(2, n, n)``; the diagonal is 0.5."""

    names: tuple[str, ...]
    point: NDArray[np.float64]
    interval: NDArray[np.float64]
    method: str
    confidence: float
    reps: int
    seed: int
    replicates: NDArray[np.float64] | None = field(default=None, repr=False)


def pairwise_probability_of_improvement(
    scores: Mapping[str, ArrayLike],
    *,
    reps: int = 50_000,
    confidence: float = 0.95,
    method: Literal["percentile", "basic", "bc"] = "percentile",
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    nan_policy: NanPolicy = "raise",
    client: Client | None = None,
) -> PairwiseImprovement:
    """Probability of improvement for every ordered pair of a dict of algorithms,
    in one native call.

    Each algorithm is resampled once per replicate and shared by all of its
    pairs, so ``P(a > b) + P(b > a) = 1`` in every replicate.

    Parameters
    ----------
    scores : dict of str to array_like, each ``(num_runs_i, num_tasks)``
        At least two algorithms, with the same tasks; the keys, as text, name
        them and must stay distinct.
    reps, confidence, seed, n_threads, return_replicates, nan_policy, client
        As in :func:`interval_estimates`.
    method : {"percentile", "basic", "bc"}
        As in :func:`probability_of_improvement`.

    Returns
    -------
    PairwiseImprovement
        ``point`` ``(n, n)`` and ``interval`` ``(2, n, n)``, in the dict's order.

    Raises
    ------
    ValueError, TypeError
        Fewer than two algorithms, keys that coincide as text, and as
        :func:`probability_of_improvement`.

    Warns
    -----
    SingleRunWarning
        As :func:`probability_of_improvement`, naming the algorithms.
    """
    if not isinstance(scores, Mapping) or len(scores) < 2:
        raise ValueError("scores must be a dict of at least two algorithms -> (num_runs, num_tasks) arrays")
    names = tuple(str(n) for n in scores)
    if len(set(names)) < len(names):
        keys = [k for k in scores if names.count(str(k)) > 1]
        raise ValueError(
            f"scores: the keys {', '.join(map(repr, keys))} all give the name {str(keys[0])!r}; "
            "use keys that stay distinct as text"
        )
    arrays = [_as_algorithm_scores(f"scores[{n!r}]", s, nan_policy) for n, s in scores.items()]
    k = len(arrays)
    pairs = [(a, b) for a in range(k) for b in range(k) if a != b]
    point_flat, bounds_flat, reps_flat, seed, reps, confidence, _ = _improvement(
        arrays,
        pairs,
        list(names),
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        return_replicates=return_replicates,
        client=client,
    )
    point = np.full((k, k), 0.5)
    bounds = np.full((2, k, k), 0.5)
    rows, cols = np.array(pairs).T
    point[rows, cols] = point_flat
    bounds[:, rows, cols] = bounds_flat
    replicates = None
    if return_replicates:
        replicates = np.full((reps, k, k), 0.5)
        replicates[:, rows, cols] = reps_flat
    return PairwiseImprovement(names, point, bounds, method, confidence, reps, seed, replicates)


# --------------------------------------------------------------------------
# Hierarchical (nested, multi-level) bootstrap.


class TrivialLevelWarning(UserWarning):
    """A resampled level of :func:`hierarchical` where every parent has a single
    child (one family in all, one run per task, ...): resampling it redraws the
    same data, so it adds nothing to the interval."""


# Statistics of the resampled leaves; the weighted ones are means.
_HIERARCHICAL_KINDS = (_MEAN, _MEDIAN, _TRIMMED, _GAP)
_WEIGHTED_KINDS = (_MEAN, _GAP)
# The kernel descends one stack frame per level; no design is anywhere near this deep.
_MAX_LEVELS = 256
# BCa's jackknife costs groups x values: past this, seconds to minutes.
_MAX_JACKKNIFE_WORK = 4 * 10**9


@dataclass(frozen=True)
class _Design:
    """A nested design in the kernel's terms: leaves in tree order, one offsets
    array per stage (``children[s]``: for each node of level s - 1, the root
    for s = 0, where its children start at level s), and the stages' names."""

    values: np.ndarray
    weights: np.ndarray  # empty: every leaf weighs 1
    children: list[np.ndarray]
    stage_names: list[str]


def _level_arrays(levels: object, n: int) -> tuple[list[np.ndarray], list[str]]:
    if isinstance(levels, Mapping):
        names = [f"levels[{key!r}]" for key in levels]
        items = list(levels.values())
    elif hasattr(levels, "columns") and hasattr(levels, "iloc"):  # a pandas DataFrame: its columns, in order
        names = [f"levels[{key!r}]" for key in levels.columns]
        items = [levels.iloc[:, i] for i in range(len(names))]
    elif isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence | np.ndarray):
        raise TypeError(
            f"levels must be a sequence (outermost first) of label arrays, or a dict name -> labels, "
            f"got {type(levels).__name__}"
        )
    else:
        items = list(levels)
        names = [f"levels[{i}]" for i in range(len(items))]
    if len(items) > _MAX_LEVELS:
        raise ValueError(f"levels: at most {_MAX_LEVELS} levels, got {len(items)}")
    bare = isinstance(levels, np.ndarray) and levels.ndim == 1 and levels.dtype != object
    if bare or (items and all(np.ndim(labels) == 0 for labels in items)):
        # One label array passed bare: meant as [labels].
        raise TypeError("levels must be a list of label arrays, one per level (outermost first): pass [labels]")
    arrays = []
    for name, labels in zip(names, items):
        array = np.asarray(unmasked(labels, name))
        if array.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of labels, one per value; got shape {array.shape}")
        if len(array) != n:
            raise ValueError(f"{name} has {len(array)} labels but values has {n}: one label per value is needed")
        if array.dtype.kind in "fcO" and (array != array).any():
            raise ValueError(f"{name} contains NaN (missing) labels")
        if array.dtype.kind == "O" and any(label is None for label in array):
            raise ValueError(f"{name} contains None (missing) labels")
        arrays.append(array)
    return arrays, names


def _codes(labels: np.ndarray, name: str) -> np.ndarray:
    try:
        uniques, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise TypeError(
            f"{name}: the labels cannot be ordered (mixed types, e.g. numbers and text); use one type per level"
        ) from None
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def _design(values: ArrayLike, levels: object, weights: ArrayLike | str | None, nan_policy: str) -> _Design:
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
    array = as_real_array(unmasked(values, "values", nan_policy=nan_policy), "values")
    if array.ndim != 1:
        raise ValueError(f"values must be a 1-D array, one value per observation; got shape {array.shape}")
    if array.size == 0:
        raise ValueError("values is empty")
    array = array.astype(np.float64)
    if np.isinf(array).any():
        raise ValueError("values contains infinite values")
    n = len(array)
    arrays, names = _level_arrays(levels, n)
    leaf_weights = None
    if weights is not None and not isinstance(weights, str):
        leaf_weights = as_real_array(unmasked(weights, "weights"), "weights", booleans=False).astype(np.float64)
        if leaf_weights.shape != (n,):
            raise ValueError(f"weights must have one weight per value, shape ({n},); got shape {leaf_weights.shape}")
        if not np.isfinite(leaf_weights).all():
            raise ValueError("weights contains NaN or infinite values")
        if (leaf_weights <= 0).any():
            raise ValueError(
                "weights must be positive (found a weight <= 0); leave out observations that should not count"
            )
    elif weights is not None and weights != "equal":
        raise ValueError(f"weights must be None, 'equal' or an array of one weight per value, got {weights!r}")
    missing = np.isnan(array)
    if missing.any():
        if nan_policy == "raise":
            raise ValueError("values contains NaN (pass nan_policy='omit' to leave those observations out)")
        keep = ~missing
        if not keep.any():
            raise ValueError("values: every value is NaN")
        array = array[keep]
        arrays = [a[keep] for a in arrays]
        leaf_weights = None if leaf_weights is None else leaf_weights[keep]
    # A group is the path of labels down to it, so labels count within their
    # parent: task "0" of family A and task "0" of family B are two tasks. The
    # path codes come out of np.unique in order (parent first), so each parent's
    # children are contiguous at the next level.
    path = np.zeros(len(array), dtype=np.int64)
    nodes = 1
    children = []
    for name, labels in zip(names, arrays):
        codes = _codes(labels, name)
        width = int(codes.max()) + 1
        groups, path = np.unique(path * width + codes, return_inverse=True)
        path = path.reshape(-1)
        children.append(np.searchsorted(groups // width, np.arange(nodes + 1)).astype(np.int64))
        nodes = len(groups)
    order = np.argsort(path, kind="stable")
    children.append(np.searchsorted(path[order], np.arange(nodes + 1)).astype(np.int64))
    if isinstance(weights, str):
        # Each node an equal share of its parent's: the mean of means at every level.
        share = np.ones(1)
        for offsets in children:
            sizes = np.diff(offsets)
            share = np.repeat(share / sizes, sizes)
        leaf_weights = share
    elif leaf_weights is not None:
        leaf_weights = leaf_weights[order]
    return _Design(
        np.ascontiguousarray(array[order]),
        np.empty(0) if leaf_weights is None else np.ascontiguousarray(leaf_weights),
        children,
        [*names, "the leaves (values)"],
    )


def _resample_flags(resample: object, stages: int) -> list[bool]:
    if resample is None:
        return [True] * stages
    if isinstance(resample, (str, bytes)) or not isinstance(resample, Sequence | np.ndarray):
        raise TypeError(f"resample must be None or a sequence of {stages} booleans, got {type(resample).__name__}")
    flags = list(resample)
    if len(flags) != stages:
        raise ValueError(f"resample must have one flag per level and one for the leaves ({stages}), got {len(flags)}")
    return [as_flag(flag, f"resample[{i}]") for i, flag in enumerate(flags)]


def _warn_trivial_stages(design: _Design, flags: list[bool], explicit: bool) -> None:
    for stage, (offsets, flag) in enumerate(zip(design.children, flags)):
        leaves = stage == len(flags) - 1
        if not flag or (leaves and not explicit) or (np.diff(offsets) > 1).any():
            continue
        what = (
            "every innermost group has a single value"
            if leaves
            else ("there is a single group" if stage == 0 else "every parent group has a single child")
        )
        warnings.warn(
            f"{design.stage_names[stage]}: {what}, so resampling it redraws the same data and adds nothing "
            f"to the interval; pass resample with False at position {stage} to say so",
            TrivialLevelWarning,
            stacklevel=3,
        )


def hierarchical_chunk(
    values: np.ndarray,
    weights: np.ndarray,
    children: list[np.ndarray],
    flags: list[bool],
    specs: list[_core.bootstrap.MetricSpec],
    seed: int,
    n_threads: int,
    first: int,
    count: int,
) -> np.ndarray:
    """Replicates ``first .. first + count - 1`` of a nested design.

    Parameters
    ----------
    values, weights : ndarray of float64
        The leaves in tree order and their weights (empty: all 1).
    children : list of ndarray
        Per stage, where each node's children start.
    flags : list of bool
        Which stages are resampled.
    specs : list of (MetricKind, float, ndarray)
        The native statistics.
    seed, n_threads : int
        Resolved seed and thread count.
    first, count : int
        The replicate range.

    Returns
    -------
    ndarray of float64
        ``(count, statistics)``.
    """
    return _core.bootstrap.hierarchical_replicates(
        values, weights, children, flags, specs, seed, first, count, n_threads
    )


def _hierarchical_jackknife(
    design: _Design, flags: list[bool], specs: list[_core.bootstrap.MetricSpec], threads: int
) -> np.ndarray:
    """BCa's leave-one-out values: one group of the outermost resampled level
    left out at a time, with everything under it (the cluster jackknife)."""
    if not any(flags):
        raise ValueError("method='bca' needs a resampled level (resample is all False)")
    level = flags.index(True)
    groups = int(design.children[level][-1])
    name = design.stage_names[level]
    if groups < 2:
        raise ValueError(f"method='bca' leaves out one group of {name} at a time, and it has a single group")
    if groups * design.values.size > _MAX_JACKKNIFE_WORK:
        raise ValueError(
            f"method='bca' would evaluate the statistics {groups} times over {design.values.size} values "
            f"(its jackknife over the groups of {name}); use 'bc' or 'percentile'"
        )
    jackknife: np.ndarray = _core.bootstrap.hierarchical_jackknife(
        design.values, design.weights, design.children, flags, specs, level, threads
    )
    return jackknife


def hierarchical(
    values: ArrayLike,
    levels: Sequence[ArrayLike] | Mapping[str, ArrayLike],
    *,
    statistic: str | tuple[str, float] | Sequence[str | tuple[str, float]] = "mean",
    weights: ArrayLike | str | None = None,
    resample: Sequence[bool] | None = None,
    reps: int = 50_000,
    confidence: float = 0.95,
    method: str = "percentile",
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    n_threads: int | None = None,
    return_replicates: bool = False,
    nan_policy: str = "raise",
    client: object = None,
) -> IntervalEstimate:
    """Nested (multi-level) bootstrap interval estimates: benchmark family ->
    task -> run, question -> sampled answer, passage -> question.

    Each replicate resamples the design top-down: it draws as many outermost
    groups as there are, with replacement; within each drawn group it draws
    that group's children, as many as it has, with replacement; and so on down
    to the observations (the leaves). A group drawn twice resamples its
    children twice, independently. The statistic is computed over the multiset
    of resampled leaves. All replicates are one native call; replicate ``r``
    depends only on ``(seed, r)``, so the result is bit-identical for any
    ``n_threads`` (and with ``client``). Memory does not grow with ``reps x n``:
    a replicate is a vector of counts of the innermost resampled groups.

    Parameters
    ----------
    values : array_like, ``(n,)``
        One value per observation (leaf), e.g. the score of each run.
    levels : sequence of array_like, each ``(n,)``, or dict name -> labels
        The group labels of every observation, outermost level first, e.g.
        ``[family, task]`` for runs of tasks of families; the columns of a
        pandas DataFrame (``df[["family", "task"]]``) in order. Labels are read
        within their parent: a group is the path of labels down to it, so task
        ``"t0"`` under family A and ``"t0"`` under family B are two tasks, and
        epoch labels ``0..k-1`` may repeat under every question. ``[]`` is the
        plain bootstrap of the values.
    statistic : name or sequence of names
        ``"mean"`` (the weighted mean of the resampled leaves), ``"median"``,
        ``"iqm"`` (25% trimmed mean, as ``scipy.stats.trim_mean``),
        ``("trimmed_mean", proportion)``, ``"optimality_gap"`` / ``("optimality_gap",
        gamma)`` (``gamma`` minus the mean of ``min(x, gamma)``). All are pooled
        over the resampled leaves; several give one column each.
    weights : None, "equal", or array_like ``(n,)``
        None: every leaf weighs 1 (the pooled mean; a task drawn twice counts
        twice, as METR's time-horizon bootstrap). An array: a fixed positive
        weight per leaf, carried by each copy of the leaf drawn; the mean of a
        replicate is ``sum(count_i w_i x_i) / sum(count_i w_i)`` and the weights
        are not renormalised (METR's ``invsqrt_task_weight`` is such an array).
        ``"equal"``: each node an equal share of its parent's weight, so the mean
        is the mean over groups of the means of their children at every level
        (with ``levels=[task]``, the mean over tasks of the task means, as
        ``interval_estimates``' "mean"); in a replicate, drawn children keep
        their parent's share. Only means (mean, optimality_gap) take weights.
    resample : None or sequence of bool, length ``len(levels) + 1``
        Which stages are resampled: position ``l < len(levels)`` draws the groups
        of level ``l`` within their parent, the last position the leaves within
        their innermost group. None resamples every stage. ``[True, True,
        False]`` with ``levels=[family, task]`` resamples families and tasks but
        keeps every run of a drawn task.
    reps, confidence, seed, n_threads, return_replicates, client
        As in :func:`interval_estimates`.
    method : {"percentile", "basic", "bc", "bca"}
        Interval construction, as in :func:`interval_estimates`. "bca" takes its
        acceleration from the cluster jackknife: one group of the outermost
        resampled level left out at a time, with everything under it.
    nan_policy : {"raise", "omit"}
        "omit" leaves out the observations whose value is NaN (a group left
        without observations disappears).

    Returns
    -------
    IntervalEstimate
        ``point`` ``(n_statistics,)``, ``interval`` ``(2, n_statistics)``,
        ``replicates`` ``(reps, n_statistics)`` when asked for.

    Raises
    ------
    ValueError, TypeError
        Naming the argument: values not 1-D, empty, infinite, or NaN under
        ``nan_policy="raise"``; a level of another length than values, or with
        missing (NaN, None) or unorderable labels; weights of the wrong shape,
        not finite or not positive, or with a median or trimmed mean; an unknown
        statistic or a callable; a resample flag list of the wrong length; reps
        out of range or whose replicates would pass 8 GiB; method="bca" with a
        single group at the outermost resampled level.

    Warns
    -----
    TrivialLevelWarning
        A resampled level where every parent has one child (a single family,
        every family with one task): resampling it changes nothing. The leaves
        are not warned about under ``resample=None`` (one observation per
        innermost group is the usual layout when the last level is the run).

    Notes
    -----
    Variance per level. For the mean of a balanced design (every node of a level
    has as many children), the variances of the stages add up: the bootstrap
    variance of the replicate mean is ``sum over resampled stages l of
    sigma2_l / N_l``, where ``N_l`` is the number of nodes of level ``l`` and
    ``sigma2_l`` the average, over their parents, of the plug-in (``ddof=0``)
    variance of the children's means within a parent. For ``G`` groups of ``m``
    leaves with between-group variance ``s_b^2`` of the group means and pooled
    within-group variance ``s_w^2`` (both ``ddof=1``):
    ``Var* = (G - 1)/G * s_b^2 / G + (m - 1)/m * s_w^2 / (G m)``.
    Since ``s_b^2`` already contains ``s_w^2 / m``, resampling both levels
    counts the within-group variation about twice; resampling only the outer
    level (``resample=[True, False]``) gives ``(G - 1)/G * s_b^2 / G``, the
    usual cluster standard error up to ``(G - 1)/G`` (Davison & Hinkley 1997,
    section 3.8, compare the two strategies).
    """
    design = _design(values, levels, weights, nan_policy)
    flags = _resample_flags(resample, len(design.children))
    try:
        plan = _plan(statistic)
    except (TypeError, ValueError) as error:
        raise type(error)(str(error).replace("metrics", "statistic", 1)) from None
    if plan.callables:
        raise TypeError("statistic: hierarchical takes the names of native statistics, not callables")
    kinds = [kind for kind, _, _ in plan.native]
    if any(kind not in _HIERARCHICAL_KINDS for kind in kinds):
        raise ValueError("statistic: hierarchical computes mean, median, iqm, trimmed_mean and optimality_gap")
    if design.weights.size and any(kind not in _WEIGHTED_KINDS for kind in kinds):
        unweighted = [name for name, kind in zip(plan.names, kinds) if kind not in _WEIGHTED_KINDS]
        raise ValueError(f"weights: only means (mean, optimality_gap) take weights, not {', '.join(unweighted)}")
    options = ResampleOptions.from_args(
        reps=reps,
        confidence=confidence,
        method=method,
        seed=seed,
        n_threads=n_threads,
        outputs_per_replicate=len(plan.native),
        copies=1 if client is None else 2,
    )
    return_replicates = as_flag(return_replicates, "return_replicates")
    # Values near the float maximum: the kernel sums them scaled by a power of
    # two (no digit changes) and every statistic here scales back.
    exponent = overflow_exponent(design.values, _SAFE_EXPONENT)
    specs = _scaled_specs(plan.native, exponent)
    kernel = _Design(np.ldexp(design.values, -exponent), design.weights, design.children, design.stage_names)
    point = _core.bootstrap.hierarchical_point(kernel.values, kernel.weights, kernel.children, flags, specs)
    jackknife = None
    if options.method == "bca":
        jackknife = _hierarchical_jackknife(kernel, flags, specs, options.n_threads)
    replicates = map_replicates(
        hierarchical_chunk,
        [kernel.values, kernel.weights],
        [kernel.children, flags, specs, options.seed],
        options.reps,
        client,
        options.n_threads,
    )
    if exponent:
        point, replicates = np.ldexp(point, exponent), np.ldexp(replicates, exponent)
        jackknife = None if jackknife is None else np.ldexp(jackknife, exponent)
    bounds = intervals(point, replicates, options.method, options.confidence, jackknife, plan.names, options.n_threads)
    _warn_trivial_stages(design, flags, explicit=resample is not None)
    return IntervalEstimate(
        point=point,
        interval=bounds,
        names=tuple(plan.names),
        method=options.method,
        confidence=options.confidence,
        reps=options.reps,
        seed=options.seed,
        replicates=replicates if return_replicates else None,
    )
