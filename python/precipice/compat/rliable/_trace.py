"""Recognising functions the native engine can compute.

rliable users pass ``func=lambda x: np.array([metrics.aggregate_iqm(x), ...])``,
and for sample-efficiency curves over ``(runs, tasks, frames)`` scores
``lambda s: np.array([metrics.aggregate_iqm(s[..., f]) for f in
range(s.shape[-1])])``. To run such a function natively, it is called once on a
*probe*: a view of the real scores on which every compat metric, instead of
computing, records which native metric it is (and, when applied to the frame
slice ``s[..., f]`` or ``s[:, :, f]`` of 3-D scores, which frame) and returns a
marker value. If the function's output is exactly a sequence of markers, it
stacks those metrics and nothing else; any other use of the scores (another
slice, arithmetic on a result, another function) makes the output differ from
the markers, and the function takes the generic path. The caller also checks
the native point estimate against the function's.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

_Metric = TypeVar("_Metric", bound=Callable[..., Any])

# Markers: values no score function produces by accident, one per recorded call.
_MARKER_BASE = 7.3890560989306495e-293


class _Trace:
    """What one probe call saw: the recorded (spec, frame) calls, and whether a
    compat metric met data derived from the scores in some other way."""

    def __init__(self, frames: int | None):
        self.frames = frames  # num_frames of 3-D scores; None for 2-D
        self.log: list[tuple[object, int | None]] = []
        self.tainted = False


class _Probe(np.ndarray):
    def __array_finalize__(self, obj):
        # Views and results derived from the probe are not the probe: metrics
        # applied to them taint the trace instead of recording.
        self._trace = getattr(obj, "_trace", None)
        self._frame = None
        self._recordable = False

    def __getitem__(self, key):
        out = super().__getitem__(key)
        frame = self._frame_of(key) if self._recordable and self._frame is None else None
        if frame is not None and isinstance(out, _Probe):
            out._frame = frame
            out._recordable = True
        return out

    def _frame_of(self, key) -> int | None:
        """f when key selects the whole frame f of 3-D scores: (..., f) or (:, :, f)."""
        frames: int | None = None if self._trace is None else self._trace.frames
        if frames is None or not isinstance(key, tuple):
            return None
        whole = slice(None)
        if len(key) == 2 and key[0] is Ellipsis:
            f = key[1]
        elif len(key) == 3 and all(isinstance(k, slice) and k == whole for k in key[:2]):
            f = key[2]
        else:
            return None
        if isinstance(f, (bool, np.bool_)) or not isinstance(f, numbers.Integral) or not -frames <= int(f) < frames:
            return None
        return int(f) % frames


def traced(spec_of: Callable[..., object]) -> Callable[[_Metric], _Metric]:
    """Decorator: on the probe (or one of its frame slices), record
    spec_of(*args) and return a marker. spec_of returns None for arguments the
    native engine does not take (the call then taints the trace)."""

    def wrap(metric: _Metric) -> _Metric:
        @functools.wraps(metric)
        def call(scores, *args, **kwargs):
            if isinstance(scores, _Probe):
                trace = scores._trace
                spec = spec_of(scores, *args, **kwargs) if scores._recordable else None
                if trace is not None and spec is not None:
                    trace.log.append((spec, scores._frame))
                    return np.float64(_MARKER_BASE * len(trace.log))
                if trace is not None:
                    trace.tainted = True
                scores = np.asarray(scores)
            return metric(scores, *args, **kwargs)

        return cast(_Metric, call)

    return wrap


def native_calls(func, scores: np.ndarray):
    """The (native metric spec, frame) of each output of `func`, in output
    order; frame is None for 2-D scores. None when func is anything else, or
    mixes whole-array and per-frame calls on 3-D scores."""
    if scores.ndim not in (2, 3):
        return None
    trace = _Trace(scores.shape[2] if scores.ndim == 3 else None)
    probe = np.asarray(scores).view(_Probe)
    probe._trace = trace
    probe._recordable = True
    try:
        out = func(probe)
    except Exception:
        return None
    if trace.tainted or not trace.log:
        return None
    # On 3-D scores a metric of the whole array pools every frame: not a
    # per-frame statistic, so only frame slices are allowed there.
    if any((frame is None) != (trace.frames is None) for _, frame in trace.log):
        return None
    try:
        values = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if values.ndim > 1 or isinstance(out, _Probe):
        return None
    flat = np.atleast_1d(values)
    ratio = flat / _MARKER_BASE
    if not ((ratio > 0.5) & (ratio < len(trace.log) + 0.5)).all():
        return None
    index = np.rint(ratio).astype(np.int64) - 1
    if not np.array_equal(flat, _MARKER_BASE * (index + 1)):
        return None
    return [trace.log[i] for i in index]
