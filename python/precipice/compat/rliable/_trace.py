"""Recognising functions the native engine can compute.

rliable users pass ``func=lambda x: np.array([metrics.aggregate_iqm(x), ...])``.
To run such a function natively, it is called once on a *probe*: a view of the
real scores on which every compat metric, instead of computing, records which
native metric it is and returns a marker value. If the function's output is
exactly a sequence of markers, it stacks those metrics and nothing else; any
other use of the scores (a slice, arithmetic on a result, another function)
makes the output differ from the markers, and the function takes the generic
path. The caller also checks the native point estimate against the function's.
"""

from __future__ import annotations

import functools

import numpy as np

# Markers: values no score function produces by accident, one per recorded call.
_MARKER_BASE = 7.3890560989306495e-293


class _Probe(np.ndarray):
    def __array_finalize__(self, obj):
        # Views and results derived from the probe are not the probe: metrics
        # applied to them taint it instead of recording.
        self._root = getattr(obj, "_root", None)
        self._log = None


def traced(spec_of):
    """Decorator: on the probe itself, record spec_of(*args) and return a marker."""

    def wrap(metric):
        @functools.wraps(metric)
        def call(scores, *args, **kwargs):
            if isinstance(scores, _Probe):
                root = scores._root
                if scores._log is not None and root is scores:
                    scores._log.append(spec_of(scores, *args, **kwargs))
                    return np.float64(_MARKER_BASE * len(scores._log))
                if root is not None:
                    root._tainted = True
                scores = np.asarray(scores)
            return metric(scores, *args, **kwargs)

        return call

    return wrap


def native_specs(func, scores: np.ndarray):
    """The native metric specs `func` stacks, in output order; None when func
    is anything else."""
    probe = np.asarray(scores).view(_Probe)
    probe._root = probe
    probe._log = []
    probe._tainted = False
    try:
        out = func(probe)
    except Exception:
        return None
    if probe._tainted or not probe._log:
        return None
    try:
        values = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if values.ndim > 1 or isinstance(out, _Probe):
        return None
    flat = np.atleast_1d(values)
    index = np.rint(flat / _MARKER_BASE).astype(np.int64) - 1
    if ((index < 0) | (index >= len(probe._log))).any():
        return None
    if not np.array_equal(flat, _MARKER_BASE * (index + 1)):
        return None
    return [probe._log[i] for i in index]
