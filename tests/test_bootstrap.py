"""The stratified bootstrap engine against slow, obviously-correct references.

* Point estimates: numpy/scipy written the way rliable defines the metrics.
* Replicates: ``_core.bootstrap.stratified_resample`` materialises the resampled data from
  the same draws as the replicate kernel; every replicate statistic must equal the
  reference metric on that data. This checks the counts formulation exactly; the
  resample itself is checked for its distribution (multinomial within a task).
* Intervals: percentile / basic with np.percentile, bc / bca with arch 7.2's
  formulas (per-metric acceleration), all on the returned replicates.
"""

from __future__ import annotations

import warnings

import numpy as np
import precipice.bootstrap as pb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from precipice import _core
from scipy import stats

# Native metric kinds (cpp/include/precipice/bootstrap.hpp, MetricKind).
KIND = _core.bootstrap.MetricKind
MEAN, MEDIAN, TRIMMED, GAP = KIND.mean, KIND.median, KIND.trimmed_mean, KIND.optimality_gap
PROFILE_RUNS, PROFILE_TASK_MEANS = KIND.profile_runs, KIND.profile_task_means
NO_TAUS = np.empty(0)
RTOL = 1e-12


# ---------------------------------------------------------------- references (NaN = left out)


def valid(x):
    x = np.asarray(x, dtype=np.float64)
    return x[~np.isnan(x)]


def task_means(x):
    x = np.asarray(x, dtype=np.float64)
    return np.array([valid(x[:, t]).mean() for t in range(x.shape[1])])


def ref_mean(x):
    return np.mean(task_means(x))


def ref_median(x):
    return np.median(task_means(x))


def ref_trimmed(x, p):
    return stats.trim_mean(valid(x), p, axis=None)


def ref_iqm(x):
    return ref_trimmed(x, 0.25)


def ref_gap(x, gamma=1.0):
    return gamma - np.mean(np.minimum(valid(x), gamma))


def ref_profile_runs(x, taus):
    v = valid(x)
    return np.array([np.mean(v > tau) for tau in taus])


def ref_profile_task_means(x, taus):
    m = task_means(x)
    return np.array([np.mean(m > tau) for tau in taus])


REF_BY_NAME = {
    "mean": ref_mean,
    "median": ref_median,
    "iqm": ref_iqm,
    "optimality_gap": ref_gap,
}

PUBLIC_METRICS = ["mean", "median", "iqm", "optimality_gap", ("trimmed_mean", 0.1), ("optimality_gap", 2.5)]
PUBLIC_REFS = [ref_mean, ref_median, ref_iqm, ref_gap, lambda x: ref_trimmed(x, 0.1), lambda x: ref_gap(x, 2.5)]


def native_specs(taus):
    """Every native metric kind, with the references of their outputs in order."""
    taus = np.asarray(taus, dtype=np.float64)
    specs = [
        (MEAN, 0.0, NO_TAUS),
        (MEDIAN, 0.0, NO_TAUS),
        (TRIMMED, 0.25, NO_TAUS),
        (TRIMMED, 0.1, NO_TAUS),
        (TRIMMED, 0.0, NO_TAUS),
        (TRIMMED, 0.45, NO_TAUS),
        (GAP, 1.0, NO_TAUS),
        (GAP, 2.5, NO_TAUS),
        (PROFILE_RUNS, 0.0, taus),
        (PROFILE_TASK_MEANS, 0.0, taus),
    ]

    def reference(x):
        return np.concatenate(
            [
                [
                    ref_mean(x),
                    ref_median(x),
                    ref_trimmed(x, 0.25),
                    ref_trimmed(x, 0.1),
                    ref_trimmed(x, 0.0),
                    ref_trimmed(x, 0.45),
                    ref_gap(x, 1.0),
                    ref_gap(x, 2.5),
                ],
                ref_profile_runs(x, taus),
                ref_profile_task_means(x, taus),
            ]
        )

    return specs, reference


def assert_close(got, want, scale=1.0, rtol=RTOL):
    """rtol, plus an absolute floor relative to the data's magnitude: sums of
    mixed-sign values may cancel, where no relative bound holds."""
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(scale, 1e-300))


def as3(x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x[:, :, None] if x.ndim == 2 else x


# ---------------------------------------------------------------- strategies


@st.composite
def score_matrices(draw, max_runs=12, max_tasks=30, frames=None):
    runs = draw(st.integers(1, max_runs))
    tasks = draw(st.integers(1, max_tasks))
    shape = (runs, tasks) if frames is None else (runs, tasks, frames)
    ties = draw(st.booleans())
    if ties:
        elements = st.integers(0, 3).map(float)
    else:
        elements = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
    return draw(hnp.arrays(np.float64, shape, elements=elements))


@st.composite
def matrices_with_nan(draw, max_runs=8, max_tasks=12):
    x = draw(score_matrices(max_runs=max_runs, max_tasks=max_tasks))
    mask = draw(hnp.arrays(np.bool_, x.shape, elements=st.booleans()))
    mask[draw(st.integers(0, x.shape[0] - 1)), :] = False  # every task keeps a valid run
    x = x.copy()
    x[mask] = np.nan
    return x


def scale_of(x):
    v = valid(x)
    return float(np.max(np.abs(v))) if v.size else 1.0


# ---------------------------------------------------------------- point estimates


# Arbitrary data: one run per task and scores above gamma are fine here (their warnings are tested apart).
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.SingleRunWarning")
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.ScoreScaleWarning")
@given(score_matrices())
def test_point_estimates_match_references(x):
    est = pb.interval_estimates(x, PUBLIC_METRICS, reps=2, seed=0)
    want = [ref(x) for ref in PUBLIC_REFS]
    assert_close(est.point, want, scale_of(x))
    assert est.names == ("mean", "median", "iqm", "optimality_gap", "trimmed_mean(0.1)", "optimality_gap(2.5)")


# Arbitrary data: one run per task and scores above gamma are fine here (their warnings are tested apart).
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.SingleRunWarning")
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.ScoreScaleWarning")
@given(score_matrices(max_runs=6, max_tasks=8, frames=3))
def test_point_estimates_3d_per_frame(x):
    est = pb.interval_estimates(x, PUBLIC_METRICS, reps=2, seed=0)
    assert est.point.shape == (len(PUBLIC_METRICS), 3)
    want = np.array([[ref(x[..., f]) for f in range(3)] for ref in PUBLIC_REFS])
    assert_close(est.point, want, scale_of(x))


@pytest.mark.parametrize("tasks", [63, 64, 65, 100, 101])
def test_median_many_tasks(tasks):
    # more than 64 tasks takes the nth_element path of the median
    x = np.random.default_rng(tasks).normal(size=(3, tasks))
    x[:, :10] = 1.0  # ties among task means
    est = pb.interval_estimates(x, "median", reps=500, seed=1, return_replicates=True)
    assert_close(est.point, [ref_median(x)])
    rs = _core.bootstrap.stratified_resample(as3(x), est.seed, 0, 500, False, 2)[..., 0]
    assert_close(est.replicates[:, 0], [ref_median(r) for r in rs])


# Arbitrary data: one run per task and scores above gamma are fine here (their warnings are tested apart).
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.SingleRunWarning")
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.ScoreScaleWarning")
@given(
    score_matrices(max_runs=6, max_tasks=10),
    st.lists(st.integers(-1, 4).map(lambda v: v * 0.75), min_size=1, max_size=6),
)
def test_profile_points(x, taus):
    for kind, ref in (("runs", ref_profile_runs), ("task_means", ref_profile_task_means)):
        est = pb.performance_profile(x, taus, kind=kind, reps=2, seed=0)
        assert est.point.shape == (len(taus),)
        assert_close(est.point, ref(x, taus))


def test_profile_strictly_above():
    x = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 3.0]])
    runs = pb.performance_profile(x, [0.0, 1.0, 2.0, 3.0], kind="runs", reps=2, seed=0)
    # k * (1/n) in the kernel, k/n here: equal to an ulp
    assert_close(runs.point, [5 / 6, 2 / 6, 1 / 6, 0.0], rtol=1e-15)
    means = pb.performance_profile(x, [0.5, 1.0, 2.5], kind="task_means", reps=2, seed=0)
    assert_close(means.point, [2 / 3, 1 / 3, 0.0], rtol=1e-15)


# ---------------------------------------------------------------- replicates = metric(resample)


@pytest.mark.parametrize("task_bootstrap", [False, True])
@given(x=score_matrices(max_runs=8, max_tasks=12), seed=st.integers(0, 2**64 - 1))
def test_native_replicates_equal_metrics_of_resamples(task_bootstrap, x, seed):
    taus = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    specs, reference = native_specs(taus)
    count = 12
    reps = _core.bootstrap.stratified_replicates(as3(x), specs, seed, 0, count, task_bootstrap, 2)
    assert reps.shape == (count, 1, len(reference(x)))
    data = _core.bootstrap.stratified_resample(as3(x), seed, 0, count, task_bootstrap, 2)
    assert data.shape == (count, *x.shape, 1)
    for i in range(count):
        assert_close(reps[i, 0], reference(data[i, ..., 0]), scale_of(x))


@pytest.mark.parametrize("task_bootstrap", [False, True])
@given(x=matrices_with_nan(), seed=st.integers(0, 2**64 - 1))
def test_native_replicates_with_nan_equal_metrics_of_resamples(task_bootstrap, x, seed):
    specs, reference = native_specs([0.0, 1.0, 2.5])
    count = 10
    reps = _core.bootstrap.stratified_replicates(as3(x), specs, seed, 0, count, task_bootstrap, 1)
    data = _core.bootstrap.stratified_resample(as3(x), seed, 0, count, task_bootstrap, 1)[..., 0]
    sizes = (~np.isnan(x)).sum(axis=0)
    for i in range(count):
        assert_close(reps[i, 0], reference(data[i]), scale_of(x))
        # each slot holds as many values as its task has valid runs, drawn from them
        got_sizes = (~np.isnan(data[i])).sum(axis=0)
        if not task_bootstrap:
            np.testing.assert_array_equal(got_sizes, sizes)
            for t in range(x.shape[1]):
                assert set(valid(data[i][:, t])) <= set(valid(x[:, t]))


@pytest.mark.parametrize("task_bootstrap", [False, True])
def test_public_replicates_equal_metrics_of_resamples(task_bootstrap):
    x = np.random.default_rng(3).gamma(1.0, 1.0, (7, 9))
    x[2, 3] = x[4, 3]  # a tie
    reps = 300
    est = pb.interval_estimates(
        x, PUBLIC_METRICS, reps=reps, seed=42, task_bootstrap=task_bootstrap, return_replicates=True
    )
    assert est.replicates.shape == (reps, len(PUBLIC_METRICS))
    data = _core.bootstrap.stratified_resample(as3(x), 42, 0, reps, task_bootstrap, 1)[..., 0]
    want = np.array([[ref(d) for ref in PUBLIC_REFS] for d in data])
    assert_close(est.replicates, want, scale_of(x))


@pytest.mark.parametrize("task_bootstrap", [False, True])
def test_public_replicates_3d(task_bootstrap):
    x = np.random.default_rng(4).normal(size=(5, 6, 4))
    reps = 200
    est = pb.interval_estimates(
        x, PUBLIC_METRICS, reps=reps, seed=9, task_bootstrap=task_bootstrap, return_replicates=True
    )
    assert est.point.shape == (len(PUBLIC_METRICS), 4)
    assert est.interval.shape == (2, len(PUBLIC_METRICS), 4)
    assert est.replicates.shape == (reps, len(PUBLIC_METRICS), 4)
    data = _core.bootstrap.stratified_resample(x, 9, 0, reps, task_bootstrap, 2)
    want = np.array([[[ref(d[..., f]) for f in range(4)] for ref in PUBLIC_REFS] for d in data])
    assert_close(est.replicates, want, scale_of(x))
    # every frame is resampled on its own stream: frames do not share draws
    assert not np.array_equal(est.replicates[:, 0, 0], est.replicates[:, 0, 1])


@pytest.mark.parametrize("kind", ["runs", "task_means"])
@pytest.mark.parametrize("task_bootstrap", [False, True])
@pytest.mark.parametrize("ndim", [2, 3])
def test_profile_replicates_equal_metrics_of_resamples(kind, task_bootstrap, ndim):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, (6, 8) if ndim == 2 else (6, 8, 2)).astype(np.float64)
    # Unsorted, repeated, on the values, and past both ends.
    taus = rng.permutation(np.r_[np.linspace(-0.5, 3.5, 17), [2.0, 2.0, 1.0, -7.0, 9.0]])
    reps = 150
    est = pb.performance_profile(
        x, taus, kind=kind, reps=reps, seed=11, task_bootstrap=task_bootstrap, return_replicates=True
    )
    ref = ref_profile_runs if kind == "runs" else ref_profile_task_means
    data = _core.bootstrap.stratified_resample(as3(x), 11, 0, reps, task_bootstrap, 1)
    if ndim == 2:
        assert est.replicates.shape == (reps, len(taus))
        want = np.array([ref(d[..., 0], taus) for d in data])
    else:
        assert est.replicates.shape == (reps, len(taus), 2)
        want = np.array([np.stack([ref(d[..., f], taus) for f in range(2)], axis=-1) for d in data])
    assert_close(est.replicates, want)
    assert est.point.shape == est.replicates.shape[1:]


@pytest.mark.parametrize("kind", ["runs", "task_means"])
@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "bca"])
@pytest.mark.parametrize("case", ["2-D", "3-D", "task bootstrap", "NaN omitted", "NaN with task bootstrap"])
def test_profile_intervals_from_histograms_equal_those_from_replicates(kind, method, case, monkeypatch):
    # Without return_replicates a profile keeps only how many replicates gave
    # each fraction k / M; its intervals must be exactly those of the replicates.
    counted_calls = []
    histograms = _core.bootstrap.profile_histograms
    monkeypatch.setattr(_core.bootstrap, "profile_histograms", lambda *a: counted_calls.append(a) or histograms(*a))
    rng = np.random.default_rng(8)
    x = rng.gamma(1.0, 1.0, (7, 9, 2) if case == "3-D" else (7, 9))
    if case.startswith("NaN"):
        x[rng.random(x.shape) < 0.15] = np.nan
        x[0] = 1.0  # every task keeps a valid run
    taus = np.linspace(0.0, 3.0, 41)
    kwargs = dict(
        kind=kind,
        reps=3_000,
        seed=4,
        method=method,
        task_bootstrap="task bootstrap" in case,
        nan_policy="omit",
        n_threads=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bias correction undefined at the extreme taus
        counted = pb.performance_profile(x, taus, **kwargs)
        kept = pb.performance_profile(x, taus, return_replicates=True, **kwargs)
    np.testing.assert_array_equal(counted.interval, kept.interval)
    np.testing.assert_array_equal(counted.point, kept.point)
    assert counted.replicates is None
    # Only runs with NaN under task bootstrap vary the pool size, and keep replicates.
    assert len(counted_calls) == (0 if kind == "runs" and case == "NaN with task bootstrap" else 1)


def test_profile_histograms_count_the_replicates_fractions():
    x = np.random.default_rng(9).random((5, 6))
    taus = np.array([0.1, 0.5, 0.9])
    hist = _core.bootstrap.profile_histograms(as3(x), (PROFILE_RUNS, 0.0, taus), 30, 2, 0, 700, False, 2)
    reps = pb.performance_profile(x, taus, reps=700, seed=2, return_replicates=True).replicates
    assert hist.shape == (1, 3, 31)
    for t in range(3):
        np.testing.assert_array_equal(hist[0, t], np.bincount(np.rint(reps[:, t] * 30).astype(int), minlength=31))
    split = _core.bootstrap.profile_histograms(
        as3(x), (PROFILE_RUNS, 0.0, taus), 30, 2, 0, 300, False, 1
    ) + _core.bootstrap.profile_histograms(as3(x), (PROFILE_RUNS, 0.0, taus), 30, 2, 300, 400, False, 1)
    np.testing.assert_array_equal(split, hist)
    with pytest.raises(ValueError, match="denominator"):
        _core.bootstrap.profile_histograms(as3(x), (PROFILE_RUNS, 0.0, taus), 29, 2, 0, 10, False, 1)


# ---------------------------------------------------------------- the resampling distribution


def labelled(runs, tasks):
    """x[r, t] = 100 t + r: a value names its run and its task."""
    return (100.0 * np.arange(tasks)[None, :] + np.arange(runs)[:, None]).astype(np.float64)


def test_resample_is_multinomial_within_each_task():
    runs, tasks, count = 4, 3, 20_000
    data = _core.bootstrap.stratified_resample(as3(labelled(runs, tasks)), 7, 0, count, False, 2)[..., 0]
    assert not np.isnan(data).any()
    task_of = data // 100
    run_of = (data % 100).astype(int)
    np.testing.assert_array_equal(task_of, np.broadcast_to(np.arange(tasks), data.shape))
    binom = stats.binom(runs, 1 / runs).pmf(np.arange(runs + 1))
    run0_counts = (run_of == 0).sum(axis=1)  # (count, tasks)
    for t in range(tasks):
        # every run index equally likely: each is 1/n of the draws
        freq = np.bincount(run_of[:, :, t].ravel(), minlength=runs)
        assert stats.chisquare(freq).pvalue > 1e-4
        assert np.all(np.abs(freq / freq.sum() - 1 / runs) < 0.01)
        # draws with replacement: the count of one run per replicate is Binomial(n, 1/n)
        hist = np.bincount(run0_counts[:, t], minlength=runs + 1)
        assert stats.chisquare(hist, count * binom).pvalue > 1e-4
    # tasks are resampled independently of each other
    table = np.zeros((runs + 1, runs + 1))
    np.add.at(table, (run0_counts[:, 0], run0_counts[:, 1]), 1)
    assert stats.chi2_contingency(table[table.sum(1) > 0][:, table.sum(0) > 0]).pvalue > 1e-4


def test_task_bootstrap_choice_is_uniform():
    runs, tasks, count = 3, 5, 20_000
    data = _core.bootstrap.stratified_resample(as3(labelled(runs, tasks)), 8, 0, count, True, 2)[..., 0]
    task_of = (data // 100).astype(int)
    # a slot holds the runs of one task
    assert np.all(task_of == task_of[:, :1, :])
    chosen = task_of[:, 0, :]  # (count, slots)
    freq = np.bincount(chosen.ravel(), minlength=tasks)
    assert stats.chisquare(freq).pvalue > 1e-4
    assert np.all(np.abs(freq / freq.sum() - 1 / tasks) < 0.01)
    for slot in range(tasks):
        assert stats.chisquare(np.bincount(chosen[:, slot], minlength=tasks)).pvalue > 1e-4
    # tasks are drawn with replacement: the number of distinct tasks in a replicate
    # follows the occupancy distribution (5 tasks: P(all distinct) = 5!/5^5)
    distinct = np.array([len(set(row)) for row in chosen])
    assert abs(np.mean(distinct == tasks) - 120 / 3125) < 0.01
    run_of = (data % 100).astype(int)
    assert stats.chisquare(np.bincount(run_of.ravel(), minlength=runs)).pvalue > 1e-4


def test_task_bootstrap_shares_the_task_choice_across_frames():
    runs, tasks = 3, 5
    x = np.repeat(labelled(runs, tasks)[:, :, None], 2, axis=2)
    data = _core.bootstrap.stratified_resample(x, 1, 0, 50, True, 1)
    task_of = data // 100
    np.testing.assert_array_equal(task_of[..., 0], task_of[..., 1])


def test_resample_with_nan_draws_from_valid_runs_only():
    x = labelled(5, 2)
    x[[1, 3], 0] = np.nan  # task 0 keeps runs 0, 2, 4
    data = _core.bootstrap.stratified_resample(as3(x), 3, 0, 10_000, False, 1)[..., 0]
    col = data[:, :, 0]
    assert np.all((~np.isnan(col)).sum(axis=1) == 3)
    runs_drawn = (col[~np.isnan(col)] % 100).astype(int)
    freq = np.bincount(runs_drawn, minlength=5)
    assert freq[1] == freq[3] == 0
    assert stats.chisquare(freq[[0, 2, 4]]).pvalue > 1e-4
    assert not np.isnan(data[:, :, 1]).any()


# ---------------------------------------------------------------- reproducibility


def test_same_seed_bit_identical_for_any_thread_count():
    x = np.random.default_rng(6).gamma(1, 1, (10, 26))
    metrics = ["mean", "median", "iqm", "optimality_gap"]
    runs = [
        pb.interval_estimates(x, metrics, reps=3000, seed=1234, n_threads=n, return_replicates=True) for n in (1, 2, 7)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].replicates, other.replicates)
        np.testing.assert_array_equal(runs[0].interval, other.interval)
    profiles = [
        pb.performance_profile(x, [0.5, 1.0], reps=3000, seed=5, n_threads=n, return_replicates=True) for n in (1, 2, 7)
    ]
    for other in profiles[1:]:
        np.testing.assert_array_equal(profiles[0].replicates, other.replicates)
    y = x[:7] * 1.1
    poi = [
        pb.probability_of_improvement(x, y, reps=3000, seed=5, n_threads=n, return_replicates=True) for n in (1, 2, 7)
    ]
    for other in poi[1:]:
        np.testing.assert_array_equal(poi[0].replicates, other.replicates)


@pytest.mark.parametrize("task_bootstrap", [False, True])
def test_splitting_the_replicate_range(task_bootstrap):
    x = as3(np.random.default_rng(7).normal(size=(6, 5, 2)))
    specs, _ = native_specs([0.0])
    whole = _core.bootstrap.stratified_replicates(x, specs, 99, 0, 1000, task_bootstrap, 3)
    for a in (1, 255, 256, 257, 700):
        head = _core.bootstrap.stratified_replicates(x, specs, 99, 0, a, task_bootstrap, 2)
        tail = _core.bootstrap.stratified_replicates(x, specs, 99, a, 1000 - a, task_bootstrap, 1)
        np.testing.assert_array_equal(np.concatenate([head, tail]), whole)
    data = _core.bootstrap.stratified_resample(x, 99, 0, 600, task_bootstrap, 2)
    parts = [
        _core.bootstrap.stratified_resample(x, 99, a, b, task_bootstrap, 1) for a, b in ((0, 3), (3, 300), (303, 297))
    ]
    np.testing.assert_array_equal(np.concatenate(parts), data)


def test_different_seeds_differ_and_seed_is_returned():
    x = np.random.default_rng(8).normal(size=(5, 10))
    a = pb.interval_estimates(x, "iqm", reps=500, seed=1, return_replicates=True)
    b = pb.interval_estimates(x, "iqm", reps=500, seed=2, return_replicates=True)
    assert not np.array_equal(a.replicates, b.replicates)
    assert a.seed == 1 and b.seed == 2
    fresh = pb.interval_estimates(x, "iqm", reps=500, return_replicates=True)
    again = pb.interval_estimates(x, "iqm", reps=500, seed=fresh.seed, return_replicates=True)
    np.testing.assert_array_equal(fresh.replicates, again.replicates)
    big = pb.interval_estimates(x, "iqm", reps=50, seed=2**64 - 1, return_replicates=True)
    assert big.seed == 2**64 - 1


def test_generator_seeds_are_reproducible():
    x = np.random.default_rng(8).normal(size=(5, 10))
    for make in (np.random.default_rng, np.random.RandomState, np.random.SeedSequence):
        a = pb.interval_estimates(x, "mean", reps=100, seed=make(3), return_replicates=True)
        b = pb.interval_estimates(x, "mean", reps=100, seed=make(3), return_replicates=True)
        np.testing.assert_array_equal(a.replicates, b.replicates)
        assert 0 <= a.seed < 2**64


# ---------------------------------------------------------------- interval methods


def interval_reference(point, replicates, method, confidence, jackknife=None):
    """arch 7.2's formulas, per column."""
    alpha = (1 - confidence) / 2
    if method in ("percentile", "basic"):
        lo, hi = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)], axis=0)
        if method == "basic":
            lo, hi = 2 * point - hi, 2 * point - lo
        return np.stack([lo, hi])
    z0 = stats.norm.ppf((replicates < point).mean(axis=0))
    if method == "bca":
        u = jackknife.mean(axis=0) - jackknife
        a = (u**3).sum(axis=0) / (6 * (u**2).sum(axis=0) ** 1.5)
    else:
        a = np.zeros_like(point)
    out = np.empty((2, point.size))
    for row, z in enumerate(stats.norm.ppf([alpha, 1 - alpha])):
        q = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
        for k in range(point.size):
            out[row, k] = np.percentile(replicates[:, k], 100 * q[k])
    return out


def jackknife_reference(x, refs):
    return np.array([[ref(np.delete(x, i, axis=0)) for ref in refs] for i in range(x.shape[0])])


@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "bca"])
@pytest.mark.parametrize("confidence", [0.95, 0.68, 0.999])
def test_intervals_match_reference(method, confidence):
    x = np.random.default_rng(9).gamma(1.0, 1.0, (8, 12))
    est = pb.interval_estimates(
        x, PUBLIC_METRICS, reps=2001, seed=3, method=method, confidence=confidence, return_replicates=True
    )
    assert est.method == method and est.confidence == confidence and est.reps == 2001
    jk = jackknife_reference(x, PUBLIC_REFS) if method == "bca" else None
    want = interval_reference(est.point, est.replicates, method, confidence, jk)
    np.testing.assert_allclose(est.interval, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(est.lower, est.interval[0])
    np.testing.assert_array_equal(est.upper, est.interval[1])
    assert np.all(est.lower <= est.upper)


@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "bca"])
def test_intervals_3d_match_reference(method):
    x = np.random.default_rng(10).normal(size=(6, 7, 3))
    metrics = ["mean", "iqm", ("trimmed_mean", 0.1)]
    refs = [ref_mean, ref_iqm, lambda v: ref_trimmed(v, 0.1)]
    est = pb.interval_estimates(x, metrics, reps=1500, seed=4, method=method, return_replicates=True)
    for f in range(3):
        jk = jackknife_reference(x[..., f], refs) if method == "bca" else None
        want = interval_reference(est.point[:, f], est.replicates[:, :, f], method, 0.95, jk)
        np.testing.assert_allclose(est.interval[:, :, f], want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", ["bc", "bca"])
def test_intervals_with_nan_omit_match_reference(method):
    # the jackknife leaves out run i of every task; a task whose run i is NaN
    # keeps all of its valid runs
    x = np.random.default_rng(25).gamma(1.0, 1.0, (7, 9))
    x[0, 1] = x[3, 1] = x[6, 4] = np.nan
    est = pb.interval_estimates(
        x, PUBLIC_METRICS, reps=1200, seed=5, method=method, nan_policy="omit", return_replicates=True
    )
    jk = jackknife_reference(x, PUBLIC_REFS) if method == "bca" else None
    want = interval_reference(est.point, est.replicates, method, 0.95, jk)
    np.testing.assert_allclose(est.interval, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", ["percentile", "basic", "bc"])
def test_improvement_intervals_match_reference(method):
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(6, 9)), rng.normal(0.2, 1.0, size=(4, 9))
    est = pb.probability_of_improvement(x, y, reps=1500, seed=5, method=method, return_replicates=True)
    want = interval_reference(est.point, est.replicates, method, 0.95)
    np.testing.assert_allclose(est.interval, want, rtol=1e-10, atol=1e-10)


def test_bc_degenerate_statistic_warns_and_gives_nan():
    x = np.ones((4, 3))  # every replicate equals the point estimate
    with pytest.warns(RuntimeWarning, match="bias correction"):
        est = pb.interval_estimates(x, ["mean", "iqm"], reps=100, seed=0, method="bc")
    assert np.isnan(est.interval).all()


# ---------------------------------------------------------------- callables


def test_callable_equals_native_mean():
    x = np.random.default_rng(12).normal(size=(6, 11))
    native = pb.interval_estimates(x, "mean", reps=700, seed=21, return_replicates=True)
    plain = pb.interval_estimates(x, lambda d: np.mean(d), reps=700, seed=21, return_replicates=True)
    assert_close(plain.point, native.point)
    assert_close(plain.replicates, native.replicates)
    assert_close(plain.interval, native.interval)


def test_batched_callable_equals_native_mean():
    x = np.random.default_rng(12).normal(size=(6, 11))
    native = pb.interval_estimates(x, "mean", reps=700, seed=21, return_replicates=True)
    batch = pb.interval_estimates(
        x, pb.batched(lambda b: b.mean(axis=(1, 2))), reps=700, seed=21, return_replicates=True
    )
    assert_close(batch.point, native.point)
    assert_close(batch.replicates, native.replicates)
    assert_close(batch.interval, native.interval)


def test_batched_callable_replicates_equal_native():
    # The replicate path of a batched metric alone (whatever its point estimate):
    # a metric that accepts both a block and a single array works today.
    x = np.random.default_rng(12).normal(size=(6, 11))
    native = pb.interval_estimates(x, "mean", reps=700, seed=21, return_replicates=True)
    calls = []

    @pb.batched
    def mean(b):
        calls.append(b.shape)
        return b.mean(axis=(-2, -1))

    batch = pb.interval_estimates(x, mean, reps=700, seed=21, return_replicates=True)
    assert_close(batch.replicates, native.replicates)
    assert (700, 6, 11) in calls  # one block for all replicates


def _callable_metrics(batched_iqm):
    def median(d):
        return np.median(d.mean(axis=0))

    if batched_iqm:
        iqm = pb.batched(lambda b: np.array([stats.trim_mean(d, 0.25, axis=None) for d in b]))
    else:

        def iqm(d):
            return stats.trim_mean(d, 0.25, axis=None)

    return [median, "mean", iqm, ("trimmed_mean", 0.1), lambda d: 1.0 - np.mean(np.minimum(d, 1.0))]


def _check_callables_equal_native(metrics_c, task_bootstrap, method):
    x = np.random.default_rng(13).gamma(1, 1, (5, 8))
    metrics_n = ["median", "mean", "iqm", ("trimmed_mean", 0.1), "optimality_gap"]
    kw = dict(reps=333, seed=8, task_bootstrap=task_bootstrap, method=method, return_replicates=True)
    c = pb.interval_estimates(x, metrics_c, **kw)
    n = pb.interval_estimates(x, metrics_n, **kw)
    assert c.names[0] == "median" and c.names[1] == "mean" and c.names[3] == "trimmed_mean(0.1)"
    assert_close(c.point, n.point, scale_of(x))
    assert_close(c.replicates, n.replicates, scale_of(x))
    np.testing.assert_allclose(c.interval, n.interval, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("task_bootstrap", [False, True])
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_callables_equal_native_metrics(task_bootstrap, method, monkeypatch):
    # small blocks, so the callable path resamples in several blocks; callables
    # and native metrics interleaved, so the output columns must be put back in order
    monkeypatch.setattr(pb, "_CALLABLE_BLOCK_VALUES", 500)
    _check_callables_equal_native(_callable_metrics(False), task_bootstrap, method)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_batched_callables_equal_native_metrics(method, monkeypatch):
    monkeypatch.setattr(pb, "_CALLABLE_BLOCK_VALUES", 500)
    _check_callables_equal_native(_callable_metrics(True), True, method)


def test_callables_3d():
    x = np.random.default_rng(14).normal(size=(4, 5, 3))
    native = pb.interval_estimates(x, "mean", reps=300, seed=2, return_replicates=True)
    plain = pb.interval_estimates(x, lambda d: d.mean(axis=(0, 1)), reps=300, seed=2, return_replicates=True)
    assert plain.point.shape == (1, 3)
    assert_close(plain.point, native.point)
    assert_close(plain.replicates, native.replicates)


def test_batched_callables_3d():
    x = np.random.default_rng(14).normal(size=(4, 5, 3))
    native = pb.interval_estimates(x, "mean", reps=300, seed=2, return_replicates=True)
    batch = pb.interval_estimates(
        x, pb.batched(lambda b: b.mean(axis=(1, 2))), reps=300, seed=2, return_replicates=True
    )
    assert batch.point.shape == (1, 3)
    assert_close(batch.point, native.point)
    assert_close(batch.replicates, native.replicates)


def test_callable_sees_nan_padded_resamples():
    x = np.random.default_rng(15).normal(size=(4, 3))
    x[0, 1] = np.nan
    native = pb.interval_estimates(x, "mean", reps=200, seed=2, nan_policy="omit", return_replicates=True)
    call = pb.interval_estimates(
        x, lambda d: np.mean(np.nanmean(d, axis=0)), reps=200, seed=2, nan_policy="omit", return_replicates=True
    )
    assert_close(call.point, native.point)
    assert_close(call.replicates, native.replicates)


def test_nan_replicates_of_a_callable_do_not_give_a_finite_interval():
    x = np.random.default_rng(0).gamma(1, 1, (10, 26))

    def sometimes_nan(d):
        return np.nan if d[0, 0] > 1.5 else d.mean()

    try:
        est = pb.interval_estimates(x, sometimes_nan, reps=1000, seed=1, return_replicates=True)
    except ValueError as error:  # refusing is fine too, if it names the metric
        assert "sometimes_nan" in str(error) or "metrics" in str(error)
        return
    assert np.isnan(est.replicates).any()
    assert np.isnan(est.interval).all()


def test_callable_returning_wrong_shape_is_named():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="metrics.*bad"):

        def bad(d):
            return np.ones(2)

        pb.interval_estimates(x, bad, reps=10, seed=0)


# ---------------------------------------------------------------- nan_policy="omit"


# Arbitrary data: one run per task and scores above gamma are fine here (their warnings are tested apart).
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.SingleRunWarning")
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.ScoreScaleWarning")
@given(matrices_with_nan())
def test_nan_omit_point_estimates(x):
    est = pb.interval_estimates(x, PUBLIC_METRICS, reps=2, seed=0, nan_policy="omit")
    assert_close(est.point, [ref(x) for ref in PUBLIC_REFS], scale_of(x))
    for kind, ref in (("runs", ref_profile_runs), ("task_means", ref_profile_task_means)):
        prof = pb.performance_profile(x, [0.0, 1.0, 2.0], kind=kind, reps=2, seed=0, nan_policy="omit")
        assert_close(prof.point, ref(x, [0.0, 1.0, 2.0]))


def test_nan_omit_uses_nanmean_per_task():
    x = np.array([[1.0, np.nan, 4.0], [3.0, 2.0, np.nan], [np.nan, 6.0, 5.0]])
    est = pb.interval_estimates(x, ["mean", "median", "iqm"], reps=10, seed=0, nan_policy="omit")
    means = np.array([2.0, 4.0, 4.5])
    np.testing.assert_allclose(est.point, [means.mean(), 4.0, stats.trim_mean([1, 3, 2, 6, 4, 5], 0.25)], rtol=RTOL)


def test_nan_omit_3d_frames_independent():
    x = np.random.default_rng(16).normal(size=(5, 4, 2))
    x[:3, 0, 1] = np.nan  # only frame 1 of task 0 loses runs
    est = pb.interval_estimates(x, PUBLIC_METRICS, reps=50, seed=0, nan_policy="omit", return_replicates=True)
    want = np.array([[ref(x[..., f]) for f in range(2)] for ref in PUBLIC_REFS])
    assert_close(est.point, want, scale_of(x))
    data = _core.bootstrap.stratified_resample(x, 0, 0, 50, False, 1)
    want_reps = np.array([[[ref(d[..., f]) for f in range(2)] for ref in PUBLIC_REFS] for d in data])
    assert_close(est.replicates, want_reps, scale_of(x))


# ---------------------------------------------------------------- probability of improvement


def poi_reference(x, y):
    """Mean over tasks of U / (nx ny), ties counting 1/2, by brute force."""
    out = []
    for t in range(x.shape[1]):
        a, b = valid(x[:, t]), valid(y[:, t])
        gt = (a[:, None] > b[None, :]).sum()
        eq = (a[:, None] == b[None, :]).sum()
        out.append((gt + 0.5 * eq) / (a.size * b.size))
    return float(np.mean(out))


@st.composite
def improvement_pairs(draw):
    tasks = draw(st.integers(1, 10))
    ties = draw(st.booleans())
    elements = st.integers(0, 3).map(float) if ties else st.floats(-10, 10, allow_nan=False)
    x = draw(hnp.arrays(np.float64, (draw(st.integers(1, 8)), tasks), elements=elements))
    y = draw(hnp.arrays(np.float64, (draw(st.integers(1, 8)), tasks), elements=elements))
    return x, y


# Arbitrary data: one run per task and scores above gamma are fine here (their warnings are tested apart).
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.SingleRunWarning")
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.ScoreScaleWarning")
@given(improvement_pairs(), st.integers(0, 2**64 - 1))
def test_probability_of_improvement_point_and_replicates(xy, seed):
    x, y = xy
    est = pb.probability_of_improvement(x, y, reps=15, seed=seed, return_replicates=True)
    assert est.point.shape == (1,) and est.interval.shape == (2, 1)
    assert_close(est.point, [poi_reference(x, y)])
    assert np.all((est.replicates >= 0) & (est.replicates <= 1))
    # x is resampled on stream 0, y on stream 1: frame 0 and frame 1 of a resample
    rx = _core.bootstrap.stratified_resample(as3(x), seed, 0, 15, False, 1)[..., 0]
    ry = _core.bootstrap.stratified_resample(np.stack([y, y], axis=2), seed, 0, 15, False, 1)[..., 1]
    want = [poi_reference(a, b) for a, b in zip(rx, ry)]
    assert_close(est.replicates[:, 0], want)


def test_probability_of_improvement_many_runs_and_ties():
    # Larger tasks, different run counts, heavy ties across and within x and y.
    rng = np.random.default_rng(21)
    x = rng.integers(0, 6, (40, 5)).astype(float)
    y = rng.integers(0, 6, (25, 5)).astype(float)
    y[:, 2] = rng.normal(size=25)  # a tie-free task among tied ones
    est = pb.probability_of_improvement(x, y, reps=40, seed=8, return_replicates=True)
    assert_close(est.point, [poi_reference(x, y)])
    rx = _core.bootstrap.stratified_resample(as3(x), 8, 0, 40, False, 1)[..., 0]
    ry = _core.bootstrap.stratified_resample(np.stack([y, y], axis=2), 8, 0, 40, False, 1)[..., 1]
    assert_close(est.replicates[:, 0], [poi_reference(a, b) for a, b in zip(rx, ry)])


def test_probability_of_improvement_identical_and_dominating():
    x = np.random.default_rng(17).normal(size=(5, 6))
    same = pb.probability_of_improvement(x, x.copy(), reps=200, seed=0, return_replicates=True)
    assert same.point[0] == 0.5
    assert np.all((same.replicates >= 0) & (same.replicates <= 1))
    better = pb.probability_of_improvement(x + 100, x, reps=200, seed=0, return_replicates=True)
    assert better.point[0] == 1.0 and np.all(better.replicates == 1.0)


def test_probability_of_improvement_nan_omit():
    rng = np.random.default_rng(18)
    x, y = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    x[0, 1] = x[2, 3] = np.nan
    y[1, 0] = np.nan
    est = pb.probability_of_improvement(x, y, reps=50, seed=1, nan_policy="omit", return_replicates=True)
    assert_close(est.point, [poi_reference(x, y)])
    rx = _core.bootstrap.stratified_resample(as3(x), 1, 0, 50, False, 1)[..., 0]
    ry = _core.bootstrap.stratified_resample(np.stack([y, y], axis=2), 1, 0, 50, False, 1)[..., 1]
    assert_close(est.replicates[:, 0], [poi_reference(a, b) for a, b in zip(rx, ry)])


def test_pairwise_probability_of_improvement():
    rng = np.random.default_rng(19)
    scores = {
        "a": rng.normal(size=(5, 7)),
        "b": rng.normal(0.3, 1, size=(3, 7)),
        "c": rng.integers(0, 2, size=(4, 7)).astype(float),
    }
    pw = pb.pairwise_probability_of_improvement(scores, reps=400, seed=6, return_replicates=True)
    assert pw.names == ("a", "b", "c")
    arrays = list(scores.values())
    for i in range(3):
        assert pw.point[i, i] == 0.5
        np.testing.assert_array_equal(pw.replicates[:, i, i], 0.5)
        for j in range(3):
            if i != j:
                assert_close(pw.point[i, j], poi_reference(arrays[i], arrays[j]))
    np.testing.assert_allclose(pw.point + pw.point.T, 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pw.replicates + pw.replicates.transpose(0, 2, 1), 1.0, rtol=0, atol=1e-12)
    # algorithm k is resampled on stream k
    for i in range(3):
        for j in range(3):
            if i != j:
                ri = _core.bootstrap.stratified_resample(np.stack([arrays[i]] * 3, axis=2), 6, 0, 40, False, 1)[..., i]
                rj = _core.bootstrap.stratified_resample(np.stack([arrays[j]] * 3, axis=2), 6, 0, 40, False, 1)[..., j]
                assert_close(pw.replicates[:40, i, j], [poi_reference(a, b) for a, b in zip(ri, rj)])
    # the pair (a, b) is the two-sample comparison with the same seed
    two = pb.probability_of_improvement(arrays[0], arrays[1], reps=400, seed=6, return_replicates=True)
    np.testing.assert_array_equal(two.replicates[:, 0], pw.replicates[:, 0, 1])
    assert pw.interval.shape == (2, 3, 3)
    np.testing.assert_allclose(pw.interval[:, 0, 1], two.interval[:, 0])


# ---------------------------------------------------------------- coverage


def test_percentile_interval_coverage_of_the_mean():
    # 20 runs x 5 tasks of N(mu_t, 1): the mean over tasks of per-task means has
    # sd 1/10. The percentile interval is a little narrow with 20 runs per
    # stratum (bootstrap variance (n-1)/n of the true one): expected coverage
    # about 94.4%. With 400 datasets the observed coverage has sd about 1.1%;
    # accept [0.90, 0.98] (about 4 sd below 94.4%, 3 above).
    rng = np.random.default_rng(20)
    mu = np.array([0.0, 1.0, -2.0, 5.0, 0.5])
    hits = 0
    n = 400
    for i in range(n):
        x = mu + rng.normal(size=(20, 5))
        est = pb.interval_estimates(x, "mean", reps=1000, seed=i, n_threads=1)
        hits += est.lower[0] <= mu.mean() <= est.upper[0]
    assert 0.90 <= hits / n <= 0.98


# ---------------------------------------------------------------- input handling


def test_inputs_are_not_modified():
    rng = np.random.default_rng(21)
    x = rng.normal(size=(6, 5))
    x[1, 2] = np.nan
    y = rng.normal(size=(4, 5))
    taus = np.array([0.0, 1.0])
    copies = [x.copy(), y.copy(), taus.copy()]
    pb.interval_estimates(
        x, ["mean", "iqm", lambda d: np.nanmean(d)], reps=100, seed=0, nan_policy="omit", method="bca"
    )
    pb.performance_profile(x, taus, reps=100, seed=0, nan_policy="omit")
    pb.probability_of_improvement(x, y, reps=100, seed=0, nan_policy="omit")
    pb.pairwise_probability_of_improvement({"x": x, "y": y}, reps=100, seed=0, nan_policy="omit")
    for before, after in zip(copies, (x, y, taus)):
        np.testing.assert_array_equal(before, after)


def test_in_place_callable_does_not_write_the_callers_array():
    x = np.random.default_rng(26).normal(size=(5, 4))
    before = x.copy()

    def shifted_mean(d):
        d -= 1.0
        return d.mean()

    try:
        pb.interval_estimates(x, shifted_mean, reps=20, seed=0)
    except ValueError:  # refusing to write (a read-only view) is fine too
        pass
    np.testing.assert_array_equal(x, before)


def layouts(x):
    ro = x.copy()
    ro.setflags(write=False)
    big = np.zeros((x.shape[0] * 2, x.shape[1] * 3))
    big[::2, ::3] = x
    return {
        "read-only": ro,
        "fortran": np.asfortranarray(x),
        "strided": big[::2, ::3],
        "reversed": x[::-1][::-1],
        "float32-exact": x.astype(np.float32),
        "list": x.tolist(),
    }


def test_layouts_give_identical_results():
    x = np.round(np.random.default_rng(22).normal(size=(5, 7)) * 8) / 8  # exact in float32
    metrics = ["mean", "median", "iqm", "optimality_gap"]
    want = pb.interval_estimates(x, metrics, reps=500, seed=3, method="bca", return_replicates=True)
    want_prof = pb.performance_profile(x, [0.0, 0.5], reps=300, seed=3, return_replicates=True)
    want_poi = pb.probability_of_improvement(x, x[::-1] + 0.1, reps=300, seed=3, return_replicates=True)
    for name, variant in layouts(x).items():
        got = pb.interval_estimates(variant, metrics, reps=500, seed=3, method="bca", return_replicates=True)
        np.testing.assert_array_equal(got.point, want.point, err_msg=name)
        np.testing.assert_array_equal(got.replicates, want.replicates, err_msg=name)
        np.testing.assert_array_equal(got.interval, want.interval, err_msg=name)
        prof = pb.performance_profile(variant, [0.0, 0.5], reps=300, seed=3, return_replicates=True)
        np.testing.assert_array_equal(prof.replicates, want_prof.replicates, err_msg=name)
        poi = pb.probability_of_improvement(variant, x[::-1] + 0.1, reps=300, seed=3, return_replicates=True)
        np.testing.assert_array_equal(poi.replicates, want_poi.replicates, err_msg=name)
    f3 = np.asfortranarray(np.random.default_rng(1).normal(size=(4, 3, 2)))
    np.testing.assert_array_equal(
        pb.interval_estimates(f3, "iqm", reps=100, seed=1, return_replicates=True).replicates,
        pb.interval_estimates(np.ascontiguousarray(f3), "iqm", reps=100, seed=1, return_replicates=True).replicates,
    )


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.bool_, np.float16])
def test_integer_and_bool_inputs(dtype):
    x = np.random.default_rng(23).integers(0, 2, (6, 8)).astype(dtype)
    xf = x.astype(np.float64)
    got = pb.interval_estimates(x, ["mean", "iqm", "median"], reps=200, seed=1, return_replicates=True)
    want = pb.interval_estimates(xf, ["mean", "iqm", "median"], reps=200, seed=1, return_replicates=True)
    np.testing.assert_array_equal(got.point, want.point)
    np.testing.assert_array_equal(got.replicates, want.replicates)
    poi = pb.probability_of_improvement(x, x[::-1], reps=50, seed=1)
    assert_close(poi.point, [poi_reference(xf, xf[::-1])])


def test_estimate_fields_and_warning_free_defaults():
    x = np.random.default_rng(24).gamma(1, 1, (5, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = pb.interval_estimates(x, "iqm", reps=100, seed=0)
    assert est.replicates is None
    assert est.point.shape == (1,) and est.interval.shape == (2, 1)
    assert est.reps == 100 and est.seed == 0 and est.method == "percentile"
    single = pb.interval_estimates(x, ("trimmed_mean", 0.2), reps=10, seed=0)
    assert single.names == ("trimmed_mean(0.2)",)
    two = pb.interval_estimates(x, ("iqm", "mean"), reps=10, seed=0)
    assert two.names == ("iqm", "mean")
