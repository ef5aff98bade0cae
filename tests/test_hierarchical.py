"""precipice.bootstrap.hierarchical: the nested bootstrap against a slow
level-by-level numpy reference (in distribution), against exact enumeration on
designs small enough to list every outcome, against the per-level variance
formula, and its reproducibility and input checks."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import bootstrap as pb
from precipice._intervals import acceleration, intervals
from scipy import stats

# --------------------------------------------------------------------------
# The slow reference: what a user writes by hand, level by level in numpy.


def _tree(levels, n):
    """Nested dicts path -> children, leaves as indices; labels read within parents."""
    root: dict = {}
    for i in range(n):
        node = root
        for labels in levels:
            node = node.setdefault(labels[i], {})
        node.setdefault(None, []).append(i)
    return root


def _children(node):
    return node[None] if None in node else [node[k] for k in node]


def _draw(node, stage, resample, rng):
    kids = _children(node)
    picks = rng.integers(0, len(kids), len(kids)) if resample[stage] else range(len(kids))
    if None in node:  # the leaves
        return [kids[j] for j in picks]
    return [i for j in picks for i in _draw(kids[j], stage + 1, resample, rng)]


def _statistic(x, w, name):
    if name == "mean":
        return np.sum(w * x) / np.sum(w)
    if name == "median":
        return np.median(x)
    if name == "iqm":
        return stats.trim_mean(x, 0.25)
    raise AssertionError(name)


_DRAWS: dict = {}


def reference_indices(values, levels, resample=None, reps=2000, seed=0):
    """The leaves of each of `reps` nested resamples, one Python draw per node
    (kept per design, so the statistics of one design share them)."""
    resample = resample or [True] * (len(levels) + 1)
    key = (np.asarray(values).tobytes(), tuple(np.asarray(a).tobytes() for a in levels), tuple(resample), reps, seed)
    if key not in _DRAWS:
        _DRAWS[key] = _reference_indices(levels, len(values), resample, reps, seed)
    return _DRAWS[key]


def _reference_indices(levels, n, resample, reps, seed):
    root = _tree(levels, n)
    rng = np.random.default_rng(seed)
    return [np.array(_draw(root, 0, resample, rng)) for _ in range(reps)]


def reference(values, levels, name="mean", weights=None, resample=None, reps=2000, seed=0):
    values = np.asarray(values, float)
    w = np.ones_like(values) if weights is None else np.asarray(weights, float)
    draws = reference_indices(values, levels, resample, reps, seed)
    if len({d.size for d in draws}) == 1:  # balanced: every statistic at once
        idx = np.stack(draws)
        x = values[idx]
        if name == "mean":
            return np.sum(w[idx] * x, axis=1) / np.sum(w[idx], axis=1)
        return np.median(x, axis=1) if name == "median" else stats.trim_mean(x, 0.25, axis=1)
    return np.array([_statistic(values[d], w[d], name) for d in draws])


def native(values, levels, name="mean", reps=20_000, seed=1, **kwargs):
    kwargs.setdefault("n_threads", 2)
    return pb.hierarchical(values, levels, statistic=name, reps=reps, seed=seed, return_replicates=True, **kwargs)


def metr_like(families=6, tasks=4, runs=3, seed=0):
    """Scores of runs of tasks of families, with a family and a task effect."""
    rng = np.random.default_rng(seed)
    fam = np.repeat(np.arange(families), tasks * runs)
    task = np.tile(np.repeat(np.arange(tasks), runs), families)
    x = rng.normal(size=families)[fam] + 0.7 * rng.normal(size=families * tasks)[fam * tasks + task]
    x = x + 0.5 * rng.normal(size=x.size)
    return x, fam, task


# --------------------------------------------------------------------------
# In distribution against the reference.


@pytest.mark.parametrize("name", ["mean", "median", "iqm"])
@pytest.mark.parametrize("resample", [None, [True, True, False], [False, True, True], [True, False, True]])
def test_same_distribution_as_the_level_by_level_reference(name, resample):
    x, fam, task = metr_like()
    ours = native(x, [fam, task], name, resample=resample).replicates[:, 0]
    theirs = reference(x, [fam, task], name, resample=resample, reps=2000, seed=7)
    # Fixed seeds: a deterministic check; KS at 1e-3 on 20,000 vs 2,000 draws,
    # and the first two moments within 4 standard errors.
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3
    se_mean = np.sqrt(theirs.var() / theirs.size + ours.var() / ours.size)
    assert abs(ours.mean() - theirs.mean()) < 4 * se_mean
    assert abs(ours.var() / theirs.var() - 1) < 4 * np.sqrt(2 / theirs.size + 2 / ours.size)


def test_unbalanced_weighted_and_string_labels_against_the_reference():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 5, size=9)  # tasks with 1 to 4 runs
    task = np.repeat(np.arange(9), sizes)
    fam = np.array(["a", "b", "c"])[task % 3]
    x = rng.random(task.size) + (task % 3)
    weights = rng.uniform(0.5, 2.0, size=task.size)
    for w in (None, weights):
        ours = native(x, [fam, task.astype(str)], weights=w).replicates[:, 0]
        theirs = reference(x, [fam, task.astype(str)], weights=w, reps=3000, seed=11)
        assert stats.ks_2samp(ours, theirs).pvalue > 1e-3
        assert abs(ours.mean() - theirs.mean()) < 4 * np.sqrt(theirs.var() / 3000 + ours.var() / 20_000)


# --------------------------------------------------------------------------
# Exact: every outcome of a tiny design, with its probability.


def _outcomes(node, stage, resample):
    """{sorted leaf multiset: probability} of one resample of `node`."""
    kids = _children(node)
    k = len(kids)
    picks = list(itertools.product(range(k), repeat=k)) if resample[stage] else [tuple(range(k))]
    if None in node:
        sub = [{(leaf,): Fraction(1)} for leaf in kids]
    else:
        sub = [_outcomes(kid, stage + 1, resample) for kid in kids]
    table: dict = {}
    for pick in picks:
        combos: dict = {(): Fraction(1)}
        for j in pick:
            combos = _convolve(combos, sub[j])
        for leaves, p in combos.items():
            table[leaves] = table.get(leaves, 0) + p / len(picks)
    return table


def _convolve(a, b):
    out: dict = {}
    for x, p in a.items():
        for y, q in b.items():
            key = tuple(sorted(x + y))
            out[key] = out.get(key, 0) + p * q
    return out


def exact_distribution(values, levels, name, resample=None):
    resample = resample or [True] * (len(levels) + 1)
    table = _outcomes(_tree(levels, len(values)), 0, resample)
    dist: dict = {}
    w = np.ones(len(values))
    for leaves, p in table.items():
        v = round(float(_statistic(np.asarray(values, float)[list(leaves)], w[list(leaves)], name)), 9)
        dist[v] = dist.get(v, 0) + p
    assert sum(dist.values()) == 1
    return dist


@pytest.mark.parametrize(
    "labels, resample",
    [
        ([0, 0, 1, 1], None),  # 2 groups x 2 leaves: 4 x 4 x 4 = 64 equally likely draws
        ([0, 0, 1, 1], [True, False]),
        ([0, 0, 1, 1], [False, True]),
        ([0, 1, 1, 1], None),  # unbalanced: 1 and 3 leaves
    ],
)
@pytest.mark.parametrize("name", ["mean", "median", "iqm"])
def test_frequencies_match_the_enumerated_distribution(labels, resample, name):
    values = np.array([0.0, 1.0, 3.0, 7.0])
    exact = exact_distribution(values, [np.array(labels)], name, resample)
    reps = 200_000
    drawn = np.round(native(values, [np.array(labels)], name, reps=reps, resample=resample).replicates[:, 0], 9)
    got = Counter(drawn.tolist())
    assert set(got) <= set(exact)
    for value, p in exact.items():
        p = float(p)
        # Within 5 binomial standard errors for every outcome.
        assert abs(got.get(value, 0) / reps - p) <= 5 * np.sqrt(p * (1 - p) / reps) + 1e-12, (value, p)


def test_three_levels_enumerated():
    values = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
    levels = [np.array([0, 0, 0, 1, 1]), np.array([0, 0, 1, 0, 0])]
    exact = exact_distribution(values, levels, "mean")
    reps = 200_000
    got = Counter(np.round(native(values, levels, reps=reps).replicates[:, 0], 9).tolist())
    assert set(got) <= set(exact)
    for value, p in exact.items():
        p = float(p)
        assert abs(got.get(value, 0) / reps - p) <= 5 * np.sqrt(p * (1 - p) / reps) + 1e-12


# --------------------------------------------------------------------------
# The variance decomposition of the docstring.


def stage_variances(x, fam, task):
    """sigma2_l / N_l per stage of a balanced family -> task -> run design."""
    runs = x.reshape(fam.max() + 1, -1, np.bincount(task[fam == 0]).max())  # (families, tasks, runs)
    task_means = runs.mean(axis=2)
    family_means = task_means.mean(axis=1)
    families, tasks, per_task = runs.shape
    return np.array(
        [
            family_means.var() / families,
            task_means.var(axis=1).mean() / (families * tasks),
            runs.var(axis=2).mean() / (families * tasks * per_task),
        ]
    )


def test_variance_adds_up_over_the_resampled_levels():
    x, fam, task = metr_like(families=8, tasks=5, runs=4, seed=5)
    parts = stage_variances(x, fam, task)
    reps = 100_000
    tolerance = 4 * np.sqrt(2 / reps)  # relative standard error of a variance, times 4
    for flags in itertools.product([True, False], repeat=3):
        if not any(flags):
            continue
        got = native(x, [fam, task], reps=reps, resample=list(flags)).replicates[:, 0].var()
        expected = parts[list(flags)].sum()
        assert abs(got / expected - 1) < tolerance, (flags, got, expected)


def test_two_level_formula_with_between_and_within_variances():
    rng = np.random.default_rng(2)
    groups, m = 12, 5
    g = np.repeat(np.arange(groups), m)
    x = rng.normal(size=groups)[g] + rng.normal(size=g.size)
    table = x.reshape(groups, m)
    s_b2 = table.mean(axis=1).var(ddof=1)
    s_w2 = table.var(axis=1, ddof=1).mean()
    reps = 100_000
    tolerance = 4 * np.sqrt(2 / reps)
    both = native(x, [g], reps=reps).replicates[:, 0].var()
    assert abs(both / ((groups - 1) / groups * s_b2 / groups + (m - 1) / m * s_w2 / (groups * m)) - 1) < tolerance
    outer = native(x, [g], reps=reps, resample=[True, False]).replicates[:, 0].var()
    assert abs(outer / ((groups - 1) / groups * s_b2 / groups) - 1) < tolerance


# --------------------------------------------------------------------------
# Reproducibility, point estimates, weights, layouts.


def test_bit_identical_for_any_thread_count_and_chunking():
    x, fam, task = metr_like(families=7, tasks=3, runs=5)
    names = ["mean", "median", "iqm", ("optimality_gap", 0.5), ("trimmed_mean", 0.1)]
    runs = [
        pb.hierarchical(x, [fam, task], statistic=names, reps=3001, seed=42, n_threads=t, return_replicates=True)
        for t in (1, 2, 3, 8)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].replicates, other.replicates)
        np.testing.assert_array_equal(runs[0].interval, other.interval)

    class SyncClient:
        """Runs map_replicates' chunks in process, as Dask workers would."""

        def scheduler_info(self):
            return {"workers": {i: None for i in range(3)}}

        def scatter(self, data, broadcast, hash):
            return data

        def submit(self, func, *args, pure):
            return func(*args)

        def gather(self, futures):
            return futures

    remote = pb.hierarchical(
        x, [fam, task], statistic=names, reps=3001, seed=42, client=SyncClient(), return_replicates=True
    )
    np.testing.assert_array_equal(runs[0].replicates, remote.replicates)


def test_point_estimates_and_no_resampling():
    x, fam, task = metr_like()
    est = pb.hierarchical(
        x,
        [fam, task],
        statistic=["mean", "median", "iqm", "optimality_gap"],
        reps=50,
        seed=0,
        resample=[False, False, False],
        return_replicates=True,
    )
    expected = [x.mean(), np.median(x), stats.trim_mean(x, 0.25), 1 - np.minimum(x, 1).mean()]
    np.testing.assert_allclose(est.point, expected, rtol=1e-12)
    np.testing.assert_array_equal(est.replicates, np.broadcast_to(est.point, est.replicates.shape))
    np.testing.assert_array_equal(est.interval, np.stack([est.point, est.point]))
    assert est.names == ("mean", "median", "iqm", "optimality_gap")


def test_equal_weights_are_the_mean_of_means():
    rng = np.random.default_rng(4)
    task = np.repeat(np.arange(6), [1, 2, 3, 4, 2, 3])
    fam = np.array([0, 0, 1, 1, 1, 2])[task]
    x = rng.random(task.size)
    task_means = np.array([x[task == t].mean() for t in range(6)])
    family_means = [task_means[[0, 1]].mean(), task_means[[2, 3, 4]].mean(), task_means[5]]
    est = pb.hierarchical(x, [fam, task], weights="equal", reps=2000, seed=3, return_replicates=True)
    assert est.point[0] == pytest.approx(np.mean(family_means), rel=1e-12)
    # In a replicate too: the mean over drawn families of their drawn tasks' resampled means.
    theirs = reference(x, [fam, task], weights=_equal_weights(fam, task), reps=3000, seed=5)
    assert stats.ks_2samp(est.replicates[:, 0], theirs).pvalue > 1e-3
    # Equal weights with one level are interval_estimates' mean over tasks of task means.
    scores = rng.random((4, 5))
    flat_task = np.tile(np.arange(5), 4)
    one = pb.hierarchical(scores.ravel(), [flat_task], weights="equal", reps=10, seed=0)
    assert one.point[0] == pytest.approx(pb.interval_estimates(scores, "mean", reps=10, seed=0).point[0], rel=1e-12)


def _equal_weights(fam, task):
    pairs = fam * 1000 + task
    per_task = {p: np.sum(pairs == p) for p in np.unique(pairs)}
    tasks_in_family = {f: len(np.unique(task[fam == f])) for f in np.unique(fam)}
    return np.array([1 / (per_task[p] * tasks_in_family[f]) for p, f in zip(pairs, fam)])


def test_weights_scale_free_and_equal_to_ones():
    x, fam, task = metr_like()
    kwargs = dict(reps=500, seed=8, return_replicates=True)
    plain = pb.hierarchical(x, [fam, task], **kwargs)
    ones = pb.hierarchical(x, [fam, task], weights=np.full(x.size, 3.0), **kwargs)
    np.testing.assert_allclose(plain.replicates, ones.replicates, rtol=1e-13)
    balanced_equal = pb.hierarchical(x, [fam, task], weights="equal", **kwargs)
    np.testing.assert_allclose(plain.replicates, balanced_equal.replicates, rtol=1e-13)


def test_labels_are_read_within_their_parent():
    x, fam, task = metr_like()
    global_task = fam * 100 + task  # the same tasks, labelled uniquely
    a = native(x, [fam, task], reps=500)
    b = native(x, [fam, global_task], reps=500)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    # A dict of named levels is the same design.
    c = native(x, {"family": fam, "task": task}, reps=500)
    np.testing.assert_array_equal(a.replicates, c.replicates)
    # So is a long-format table's columns.
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"family": [f"f{f}" for f in fam], "task": task, "score": x})
    d = native(frame["score"], frame[["family", "task"]], reps=500)
    np.testing.assert_array_equal(a.replicates, d.replicates)


def test_plain_bootstrap_without_levels():
    x = np.random.default_rng(0).random(30)
    ours = native(x, []).replicates[:, 0]
    theirs = reference(x, [], reps=3000, seed=2)
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3


def test_nan_policy_omit_drops_observations_and_inputs_are_untouched():
    x, fam, task = metr_like()
    y = x.copy()
    y[[0, 5, 9]] = np.nan
    keep = ~np.isnan(y)
    y_before, fam_before = y.copy(), fam.copy()
    a = native(y, [fam, task], reps=500, nan_policy="omit")
    b = native(y[keep], [fam[keep], task[keep]], reps=500)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(fam, fam_before)


@given(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, -1.0]), min_size=1, max_size=40),
    st.integers(0, 2**32),
)
@settings(max_examples=40)
@pytest.mark.filterwarnings("ignore::precipice.bootstrap.TrivialLevelWarning")
def test_point_estimates_equal_numpy_with_ties(values, labels_seed):
    x = np.array(values)
    rng = np.random.default_rng(labels_seed)
    fam = rng.integers(0, 3, x.size)
    task = rng.integers(0, 3, x.size)
    est = pb.hierarchical(
        x,
        [fam, task],
        statistic=["mean", "median", "iqm", ("trimmed_mean", 0.1)],
        reps=20,
        seed=1,
        return_replicates=True,
    )
    expected = [x.mean(), np.median(x), stats.trim_mean(x, 0.25), stats.trim_mean(x, 0.1)]
    np.testing.assert_allclose(est.point, expected, rtol=1e-12, atol=1e-12)
    assert (est.replicates >= x.min() - 1e-12).all() and (est.replicates <= x.max() + 1e-12).all()


def test_bca_jackknife_leaves_out_one_outer_group_at_a_time():
    x, fam, task = metr_like()
    names = ["mean", "median"]
    est = pb.hierarchical(x, [fam, task], statistic=names, method="bca", reps=4000, seed=3, return_replicates=True)
    left_out = np.array([[x[fam != f].mean(), np.median(x[fam != f])] for f in range(fam.max() + 1)])
    np.testing.assert_allclose(est.interval, intervals(est.point, est.replicates, "bca", 0.95, left_out, names, 1))
    assert (acceleration(left_out) != 0).all()
    # Outer level kept: the jackknife is over the tasks (of every family).
    est = pb.hierarchical(
        x, [fam, task], method="bca", reps=2000, seed=3, resample=[False, True, True], return_replicates=True
    )
    pairs = fam * 100 + task
    left_out = np.array([[x[pairs != p].mean()] for p in np.unique(pairs)])
    np.testing.assert_allclose(est.interval, intervals(est.point, est.replicates, "bca", 0.95, left_out, ["mean"], 1))


# --------------------------------------------------------------------------
# Warnings and bad input.


def test_trivial_levels_warn_with_their_name():
    x, fam, task = metr_like(families=1)
    with pytest.warns(pb.TrivialLevelWarning, match=r"levels\['family'\]: there is a single group"):
        pb.hierarchical(x, {"family": fam, "task": task}, reps=100, seed=0)
    # One run per task is the usual layout: silent unless the leaves were asked for.
    x2, fam2, task2 = metr_like()
    run = np.arange(x2.size)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pb.hierarchical(x2, [fam2, task2, run], reps=100, seed=0)
        pb.hierarchical(x, [fam, task], resample=[False, True, True], reps=100, seed=0)
    with pytest.warns(pb.TrivialLevelWarning, match="the leaves"):
        pb.hierarchical(x2, [fam2, task2, run], resample=[True] * 4, reps=100, seed=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(values=[]), ValueError, "values is empty"),
        (dict(values=np.ones((2, 3))), ValueError, "values must be a 1-D"),
        (dict(values=[1.0, np.nan, 2.0, 3.0]), ValueError, "values contains NaN"),
        (dict(values=[1.0, np.inf, 2.0, 3.0]), ValueError, "values contains infinite"),
        (dict(values=["a", "b", "c", "d"]), TypeError, "values must hold real numbers"),
        (dict(levels=[[0, 0, 1]]), ValueError, r"levels\[0\] has 3 labels but values has 4"),
        (dict(levels=[[0, 0, 1, 1], [0, 1]]), ValueError, r"levels\[1\] has 2 labels"),
        (dict(levels=np.array([0, 0, 1, 1])), TypeError, r"pass \[labels\]"),
        (dict(levels=[0, 0, 1, 1]), TypeError, r"pass \[labels\]"),
        (dict(levels="family"), TypeError, "levels must be a sequence"),
        (dict(levels=[[0, 0, 1, 1]] * 300), ValueError, "at most 256 levels"),
        (dict(levels=[[0.0, np.nan, 1.0, 1.0]]), ValueError, "NaN"),
        (dict(levels=[np.array(["a", None, "b", "b"], dtype=object)]), ValueError, "None"),
        (dict(levels=[np.array(["a", 1, "b", "b"], dtype=object)]), TypeError, "cannot be ordered"),
        (dict(levels=[np.zeros((4, 1))]), ValueError, "1-D array of labels"),
        (dict(weights=[1.0, -1.0, 1.0, 1.0]), ValueError, "weights must be positive"),
        (dict(weights=[1.0, 0.0, 1.0, 1.0]), ValueError, "weights must be positive"),
        (dict(weights=[1.0, np.nan, 1.0, 1.0]), ValueError, "weights contains NaN"),
        (dict(weights=[1.0, 1.0]), ValueError, r"weights must have one weight per value"),
        (dict(weights="inverse"), ValueError, "weights must be None, 'equal'"),
        (dict(weights=[1.0, 2, 3, 4], statistic="median"), ValueError, "weights: only means"),
        (dict(statistic="mode"), ValueError, "statistic: unknown metric"),
        (dict(statistic=np.mean), TypeError, "statistic: hierarchical takes the names"),
        (dict(resample=[True]), ValueError, r"resample must have one flag per level and one for the leaves \(2\)"),
        (dict(resample=[True, 1]), TypeError, r"resample\[1\] must be True or False"),
        (dict(resample="all"), TypeError, "resample must be None or a sequence"),
        (dict(reps=0), ValueError, "reps must be at least 1"),
        (dict(reps=2**40), ValueError, "reps must lie in"),
        (dict(reps=2**31), ValueError, "GiB"),
        (dict(reps=2.5), TypeError, "reps must be an integer"),
        (dict(method="bca", levels=[[0, 0, 0, 0]], resample=[True, True]), ValueError, "a single group"),
        (dict(method="bca", resample=[False, False]), ValueError, "needs a resampled level"),
        (dict(method="student"), ValueError, "method must be one of"),
        (dict(confidence=1.5), ValueError, "confidence"),
        (dict(nan_policy="drop"), ValueError, "nan_policy"),
        (dict(n_threads=0), ValueError, "n_threads"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    args = dict(values=[1.0, 2.0, 3.0, 4.0], levels=[[0, 0, 1, 1]], reps=100, seed=0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        pb.hierarchical(args.pop("values"), args.pop("levels"), **args)


def test_all_nan_and_masked_values():
    with pytest.raises(ValueError, match="every value is NaN"):
        pb.hierarchical([np.nan, np.nan], [[0, 1]], nan_policy="omit", reps=10)
    masked = np.ma.masked_array([1.0, 2.0, 3.0, 4.0], mask=[0, 1, 0, 0])
    with pytest.raises(ValueError, match="masked"):
        pb.hierarchical(masked, [[0, 0, 1, 1]], reps=10)
    a = pb.hierarchical(masked, [[0, 0, 1, 1]], reps=300, seed=1, nan_policy="omit", return_replicates=True)
    b = pb.hierarchical([1.0, 3.0, 4.0], [[0, 1, 1]], reps=300, seed=1, return_replicates=True)
    np.testing.assert_array_equal(a.replicates, b.replicates)
