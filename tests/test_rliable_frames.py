"""Sample-efficiency curves through precipice.compat.rliable, and the arch
bootstrap contract of its StratifiedBootstrap classes.

rliable's README computes a curve over ``(runs, tasks, frames)`` scores with
``lambda s: np.array([metrics.aggregate_iqm(s[..., f]) for f in
range(s.shape[-1])])``. The compat recognises that form (and its relatives)
and computes it with the native 3-D path; every other function still gives
the right answer on the generic path, with a GenericPathWarning.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import precipice.bootstrap as pb
import pytest
from precipice.compat.rliable import library as rly
from precipice.compat.rliable import metrics
from precipice.compat.rliable._trace import native_calls

RNG = np.random.default_rng(3)
CURVES = np.cumsum(RNG.gamma(1.0, 0.2, size=(8, 6, 4)), axis=-1)  # (runs, tasks, frames)


def iqm_per_frame(s):
    return np.array([metrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])])


@contextlib.contextmanager
def no_generic_path():
    """A GenericPathWarning inside fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", rly.GenericPathWarning)
        yield


@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "bca"])
def test_readme_curve_runs_natively_and_equals_the_engine(method):
    with no_generic_path():
        points, cis = rly.get_interval_estimates({"a": CURVES}, iqm_per_frame, method=method, reps=400, random_state=5)
    np.testing.assert_array_equal(points["a"], iqm_per_frame(CURVES))
    assert cis["a"].shape == (2, CURVES.shape[-1])
    # The compat's seed for random_state=5, then the engine itself.
    est = pb.interval_estimates(CURVES, "iqm", reps=400, method=method, seed=rly._seed(5))
    np.testing.assert_allclose(est.point[0], points["a"], rtol=1e-12)
    np.testing.assert_array_equal(est.interval[:, 0], cis["a"])


def test_native_curve_agrees_with_the_generic_path():
    # An opaque copy of the same function takes the generic path: the two
    # distributions must agree within Monte Carlo error (2,000 replicates:
    # endpoint sd about 0.01 here; 0.05 is a loose bound).
    opaque = lambda s: iqm_per_frame(np.asarray(s) + 0.0)  # noqa: E731
    _, native = rly.get_interval_estimates({"a": CURVES}, iqm_per_frame, reps=2000, random_state=1)
    with pytest.warns(rly.GenericPathWarning, match=r"s\[\.\.\., f\]"):
        _, generic = rly.get_interval_estimates({"a": CURVES}, opaque, reps=2000, random_state=1)
    np.testing.assert_allclose(native["a"], generic["a"], atol=0.05)


def test_recognised_forms():
    frames = CURVES.shape[-1]
    forms = {
        "ellipsis": iqm_per_frame,
        "slices": lambda s: np.array([metrics.aggregate_iqm(s[:, :, f]) for f in range(s.shape[-1])]),
        "negative": lambda s: np.array([metrics.aggregate_mean(s[..., -1]), metrics.aggregate_mean(s[..., 0])]),
        "several metrics": lambda s: np.array(
            [metrics.aggregate_iqm(s[..., f]) for f in range(frames)]
            + [metrics.aggregate_optimality_gap(s[..., f], 2.0) for f in range(frames)]
        ),
    }
    expected = {
        "ellipsis": [("iqm", f) for f in range(frames)],
        "slices": [("iqm", f) for f in range(frames)],
        "negative": [("mean", frames - 1), ("mean", 0)],
        "several metrics": [("iqm", f) for f in range(frames)] + [(("optimality_gap", 2.0), f) for f in range(frames)],
    }
    for name, func in forms.items():
        assert native_calls(func, CURVES) == expected[name], name
        with no_generic_path():
            points, cis = rly.get_interval_estimates({"a": CURVES}, func, reps=200, random_state=0)
        np.testing.assert_allclose(points["a"], func(CURVES), rtol=1e-12)
        assert cis["a"].shape == (2, len(expected[name]))
        assert (cis["a"][0] <= points["a"] + 1e-12).all() and (points["a"] <= cis["a"][1] + 1e-12).all()


def test_forms_that_must_take_the_generic_path():
    not_native = {
        # a metric of the whole 3-D array pools every frame: not per frame
        "whole array": lambda s: np.array([metrics.aggregate_iqm(s)]),
        "mixed": lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_iqm(s[..., 0])]),
        "one task": lambda s: np.array([metrics.aggregate_iqm(s[:, 0, f]) for f in range(s.shape[-1])]),
        "scaled": lambda s: np.array([metrics.aggregate_mean(s[..., f] * 2) for f in range(s.shape[-1])]),
        "arithmetic": lambda s: np.array([metrics.aggregate_mean(s[..., f]) + 1 for f in range(s.shape[-1])]),
        "array gamma": lambda s: np.array([metrics.aggregate_optimality_gap(s[..., 0], np.array(2.0))]),
    }
    for name, func in not_native.items():
        assert native_calls(func, CURVES) is None, name
        with pytest.warns(rly.GenericPathWarning):
            points, cis = rly.get_interval_estimates({"a": CURVES, "b": CURVES + 1}, func, reps=30, random_state=0)
        np.testing.assert_allclose(points["a"], func(CURVES))
        assert cis["a"].shape == (2, np.size(points["a"]))


def test_function_of_two_axes_is_a_clear_error():
    with pytest.warns(rly.GenericPathWarning), pytest.raises(ValueError, match="1-D"):
        rly.get_interval_estimates({"a": CURVES}, lambda s: np.ones((2, 2)) * np.mean(s), reps=5)


def test_generic_path_warns_once_per_call():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rly.get_interval_estimates({"a": CURVES, "b": CURVES}, lambda s: np.array([np.mean(s)]), reps=5)
    assert [w.category for w in caught] == [rly.GenericPathWarning]


def test_stratified_bootstrap_trailing_axes_share_the_run_index():
    x = RNG.random((5, 3))
    z = np.stack([x, 10 * x], axis=-1)  # (5, 3, 2): the same run in both trailing cells
    bs = rly.StratifiedBootstrap(x, z=z, random_state=2)
    for (pos,), named in bs.bootstrap(4):
        np.testing.assert_array_equal(named["z"][..., 1], 10 * pos)
        assert bs.data == (bs.pos_data, bs.kw_data) and bs.z is named["z"]
    bs.reset()
    assert bs.z is z and bs.pos_data[0] is x
    with pytest.raises(ValueError, match="start with the first input"):
        rly.StratifiedBootstrap(x, w=RNG.random((5, 4)))
    with pytest.raises(ValueError, match="reserved name"):
        rly.StratifiedBootstrap(x, index=x)
    with pytest.raises(ValueError, match="reserved name"):
        rly.StratifiedIndependentBootstrap(x, data=x)


def test_independent_bootstrap_every_cell_draws_its_own_runs():
    x = np.arange(40.0).reshape(8, 5)
    z = np.stack([x, x], axis=-1)
    bs = rly.StratifiedIndependentBootstrap(x, z=z, random_state=3)
    differ = False
    for _, named in bs.bootstrap(20):
        rows = bs.index[1]["z"][0]
        assert rows.shape == z.shape
        differ |= bool((rows[..., 0] != rows[..., 1]).any())
        # stratified: each cell holds a value of its own task column
        assert ((named["z"][..., 0] - x[0]) % 5 == 0).all()
    assert differ
    # the resamples of x and of z are independent draws
    assert not np.array_equal(bs.index[0][0][0], bs.index[1]["z"][0][..., 0])


def test_bootstrap_is_reproducible_from_its_seed():
    a = rly.StratifiedBootstrap(CURVES, random_state=9).apply(iqm_per_frame, 5)
    b = rly.StratifiedBootstrap(CURVES, random_state=9).apply(iqm_per_frame, 5)
    np.testing.assert_array_equal(a, b)


try:
    import rliable.library as rliable
    import rliable.metrics as rliable_metrics
except Exception:  # rliable, or its arch<8 / pandas<3, missing or broken
    rliable = rliable_metrics = None
needs_anchor = pytest.mark.skipif(rliable is None, reason="rliable (with arch<8, pandas<3) not installed")


@needs_anchor
def test_bootstrap_contract_matches_rliable():
    x = np.arange(80).reshape(5, 16)
    z = np.stack([x, 2 * x], axis=-1)
    for task_bootstrap in (False, True):
        ours = rly.StratifiedBootstrap(x, z=z, task_bootstrap=task_bootstrap, random_state=0)
        theirs = rliable.StratifiedBootstrap(x, z=z, task_bootstrap=task_bootstrap)
        for o, t in zip(ours.bootstrap(2), theirs.bootstrap(2)):
            assert type(o) is type(t) and type(o[0]) is type(t[0]) and type(o[1]) is type(t[1])
            assert [a.shape for a in o[0]] == [a.shape for a in t[0]] and o[1]["z"].shape == t[1]["z"].shape
            assert len(ours.index) == len(theirs.index)
            assert [np.shape(i) for i in ours.index] == [np.shape(i) for i in theirs.index]
            assert ours.z.shape == theirs.z.shape
    ours = rly.StratifiedIndependentBootstrap(x, z=z, random_state=0)
    theirs = rliable.StratifiedIndependentBootstrap(x, z=z)
    for _ in zip(ours.bootstrap(1), theirs.bootstrap(1)):
        (o_pos, o_kw), (t_pos, t_kw) = ours.index, theirs.index
        assert type(o_pos) is type(t_pos) and type(o_kw) is type(t_kw)
        assert [[np.shape(i) for i in idx] for idx in o_pos] == [[np.shape(i) for i in idx] for idx in t_pos]
        assert [np.shape(i) for i in o_kw["z"]] == [np.shape(i) for i in t_kw["z"]]


@needs_anchor
def test_readme_curve_matches_rliable():
    def rliable_iqm(s):
        return np.array([rliable_metrics.aggregate_iqm(s[..., f]) for f in range(s.shape[-1])])

    state = np.random.get_state()
    np.random.seed(4)
    try:
        their_points, their_cis = rliable.get_interval_estimates({"a": CURVES}, rliable_iqm, reps=1000)
    finally:
        np.random.set_state(state)
    points, cis = rly.get_interval_estimates({"a": CURVES}, iqm_per_frame, reps=20000, random_state=4)
    np.testing.assert_allclose(points["a"], their_points["a"], rtol=1e-12)
    assert cis["a"].shape == their_cis["a"].shape
    # 1,000 rliable replicates: each endpoint sd about 0.01-0.02 here; 0.08 is 4+ sd.
    np.testing.assert_allclose(cis["a"], their_cis["a"], atol=0.08)
