"""precipice.leaderboard.ranks: the joint paired bootstrap against slow numpy
references (exactly, given the kernel's own item draws; in distribution against
a bootstrap written as users write it), its invariances, the rank statistics
and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from precipice import _core, leaderboard
from precipice.leaderboard import ranks


def _weights(rows, units, unit_of_item, samples, seed, reps):
    return _core._testing.leaderboard_weights(rows, units, unit_of_item, samples, seed, 0, reps, 1)


def _reference_means(scores, weights):
    """Replicate means (reps, models) from per-row weights, the slow obvious way:
    per model, the weighted mean over its observed cells."""
    models = scores.shape[0]
    cells = scores.reshape(models, -1)
    observed = ~np.isnan(cells)
    filled = np.where(observed, cells, 0.0)
    out = np.empty((weights.shape[0], models))
    for m in range(models):
        out[:, m] = (weights @ filled[m]) / (weights @ observed[m].astype(float))
    return out


def _binary(models, items, seed=0, p=None):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.2, 0.8, models) if p is None else np.asarray(p)
    return (rng.random((models, items)) < p[:, None]).astype(np.float64)


@pytest.mark.parametrize("kind", ["binary", "real", "missing"])
def test_replicates_equal_the_reference_given_the_same_draws(kind):
    rng = np.random.default_rng(1)
    scores = _binary(7, 90) if kind == "binary" else rng.normal(size=(7, 90))
    if kind == "missing":
        scores[rng.random(scores.shape) < 0.2] = np.nan
    result = ranks(scores, reps=300, seed=5)
    expected = _reference_means(scores, _weights(90, 90, None, 1, 5, 300))
    if kind == "binary":
        np.testing.assert_array_equal(result.replicates, expected)
    else:
        np.testing.assert_allclose(result.replicates, expected, rtol=1e-12, atol=1e-14)


def test_clustered_replicates_resample_whole_clusters():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(5, 60))
    scores[0, :7] = np.nan
    labels = rng.integers(0, 12, 60)
    codes = np.unique(labels, return_inverse=True)[1]
    result = ranks(scores, reps=200, clusters=labels, seed=9)
    weights = _weights(60, int(codes.max()) + 1, codes, 1, 9, 200)
    # Every item of a cluster has its cluster's count.
    for g in range(codes.max() + 1):
        assert (weights[:, codes == g] == weights[:, codes == g][:, :1]).all()
    np.testing.assert_allclose(result.replicates, _reference_means(scores, weights), rtol=1e-12)


@pytest.mark.parametrize("clustered", [False, True])
def test_two_level_replicates_redraw_the_samples_of_each_drawn_item(clustered):
    rng = np.random.default_rng(3)
    scores = (rng.random((4, 30, 5)) < 0.6).astype(float)
    scores[1, 3] = np.nan  # item 3 missing for model 1
    labels = np.arange(30) // 3 if clustered else None
    result = ranks(scores, reps=150, clusters=labels, seed=2)
    weights = _weights(150, 10 if clustered else 30, labels, 5, 2, 150)
    per_item = weights.reshape(150, 30, 5).sum(axis=2)
    assert (per_item % 5 == 0).all()  # c copies of an item draw c * 5 samples
    if clustered:
        counts = per_item // 5
        assert (counts.reshape(150, 10, 3) == counts.reshape(150, 10, 3)[:, :, :1]).all()
    np.testing.assert_array_equal(result.replicates, _reference_means(scores, weights))
    np.testing.assert_allclose(result.mean, np.nanmean(scores.mean(axis=2), axis=1))


def test_same_distribution_as_a_numpy_bootstrap():
    rng = np.random.default_rng(4)
    scores = rng.normal(size=(3, 400)) + np.array([[0.0], [0.05], [0.1]])
    ours = ranks(scores, reps=4000, seed=1).replicates
    index = rng.integers(0, 400, size=(4000, 400))
    theirs = scores[:, index].mean(axis=2).T
    # Standard deviations of 4000 replicates agree to a few percent.
    np.testing.assert_allclose(ours.std(axis=0), theirs.std(axis=0), rtol=0.08)
    np.testing.assert_allclose(np.diff(ours, axis=1).std(axis=0), np.diff(theirs, axis=1).std(axis=0), rtol=0.08)
    np.testing.assert_allclose(ours.mean(axis=0), scores.mean(axis=1), atol=4 * theirs.std(axis=0).max() / 60)


def test_two_level_distribution_matches_a_numpy_two_level_bootstrap():
    rng = np.random.default_rng(5)
    items, samples = 150, 4
    scores = (rng.random((2, items, samples)) < rng.random((1, items, 1))).astype(float)
    ours = ranks(scores, reps=3000, seed=3).replicates
    item = rng.integers(0, items, size=(3000, items))
    sample = rng.integers(0, samples, size=(3000, items, samples))
    theirs = scores[:, item[:, :, None], sample].mean(axis=(2, 3)).T
    np.testing.assert_allclose(ours.std(axis=0), theirs.std(axis=0), rtol=0.1)


def test_identical_models_tie_in_every_replicate():
    row = _binary(1, 200)[0]
    scores = np.stack([row, row, row, _binary(1, 200, seed=7, p=[0.2])[0]])
    scores[3] = np.where(scores[3] > 0, 0.0, 0.0)  # a model that is always wrong
    result = ranks(scores, reps=500, seed=0)
    assert (result.replicates[:, 0] == result.replicates[:, 1]).all()
    assert (result.replicates[:, 1] == result.replicates[:, 2]).all()
    np.testing.assert_allclose(result.rank_probabilities[:3, :3], 1 / 3)
    np.testing.assert_array_equal(result.rank_probabilities[3], [0, 0, 0, 1])
    np.testing.assert_array_equal(result.difference_se[:3, :3], 0.0)
    assert (result.pvalues[:3, :3] == 1).all()
    assert list(result.tie_groups) == [0, 0, 0, 1]
    np.testing.assert_array_equal(result.simultaneous_rank_interval, [[1, 3], [1, 3], [1, 3], [4, 4]])


def test_rank_probabilities_are_distributions_and_summaries_agree():
    result = ranks(_binary(6, 300, seed=2), reps=800, seed=4)
    np.testing.assert_allclose(result.rank_probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.rank_probabilities.sum(axis=0), 1.0)
    summary = leaderboard.rank_summary(result.replicates, confidence=0.95)
    np.testing.assert_array_equal(summary.rank_probabilities, result.rank_probabilities)
    np.testing.assert_array_equal(result.p_best, result.rank_probabilities[:, 0])
    np.testing.assert_array_equal(result.rank_interval, summary.rank_interval)
    lower, upper = np.quantile(result.replicates, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(result.interval, np.stack([lower, upper]), rtol=1e-12)
    np.testing.assert_array_equal(result.lower, result.interval[0])


def _single_step_reference(replicates, mean, confidence):
    """The single-step max-|t| rank intervals (Mogstad et al. 2023), in numpy."""
    models = mean.shape[0]
    d = replicates[:, :, None] - replicates[:, None, :]
    se = d.std(axis=0, ddof=1)
    off = ~np.eye(models, dtype=bool)
    centered = d - (mean[:, None] - mean[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(centered[:, off] / se[off])
    critical = np.quantile(t.max(axis=1), confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        better = off & ((mean[:, None] - mean[None, :]) / se > critical)
    return critical, np.stack([1 + better.sum(axis=0), models - better.sum(axis=1)], axis=1)


def test_simultaneous_rank_intervals_follow_the_max_t_construction():
    rng = np.random.default_rng(6)
    scores = _binary(8, 400, seed=3, p=np.linspace(0.3, 0.7, 8))
    scores[:, rng.random(400) < 0.1] = np.nan
    result = ranks(scores, reps=2000, seed=8)
    critical, single_step = _single_step_reference(result.replicates, result.mean, 0.95)
    assert result.critical_value == pytest.approx(critical, rel=1e-9)
    # The step-down intervals are nested in the single-step ones ...
    assert (result.simultaneous_rank_interval[:, 0] >= single_step[:, 0]).all()
    assert (result.simultaneous_rank_interval[:, 1] <= single_step[:, 1]).all()
    # ... and, holding for all models at once, at least as wide as the marginal ones.
    assert (result.simultaneous_rank_interval[:, 0] <= result.rank_interval[:, 0]).all()
    assert (result.simultaneous_rank_interval[:, 1] >= result.rank_interval[:, 1]).all()
    d = result.mean[:, None] - result.mean[None, :]
    np.testing.assert_allclose(result.difference_interval[1] - d, critical * result.difference_se, rtol=1e-9)


def test_difference_se_is_the_sd_of_the_paired_differences():
    result = ranks(np.random.default_rng(0).normal(size=(4, 50)), reps=400, seed=1)
    d = result.replicates[:, :, None] - result.replicates[:, None, :]
    np.testing.assert_allclose(result.difference_se, d.std(axis=0, ddof=1), rtol=1e-10, atol=1e-15)


def test_tie_groups_on_tiers():
    scores = _binary(6, 3000, seed=11, p=[0.9, 0.89, 0.5, 0.51, 0.1, 0.11])
    result = ranks(scores, reps=1000, seed=2)
    assert list(result.tie_groups) == [0, 0, 1, 1, 2, 2]
    assert (result.pvalues[:2, 2:] < 0.05).all()
    np.testing.assert_array_equal(result.simultaneous_rank_interval, [[1, 2], [1, 2], [3, 4], [3, 4], [5, 6], [5, 6]])


def test_lower_is_better_reverses_the_ranks():
    scores = _binary(4, 500, seed=1, p=[0.2, 0.4, 0.6, 0.8])
    high = ranks(scores, reps=300, seed=3)
    low = ranks(scores, reps=300, seed=3, higher_is_better=False)
    np.testing.assert_array_equal(low.replicates, high.replicates)
    np.testing.assert_allclose(low.rank_probabilities, high.rank_probabilities[:, ::-1])
    np.testing.assert_array_equal(low.simultaneous_rank_interval, 5 - high.simultaneous_rank_interval[:, ::-1])
    assert list(low.tie_groups) == [0, 1, 2, 3] and list(high.tie_groups) == [3, 2, 1, 0]


def test_bit_identical_for_any_thread_count_and_seed_reproducible():
    scores = np.random.default_rng(3).normal(size=(20, 700))
    scores[3, ::4] = np.nan
    one = ranks(scores, reps=777, seed=12, n_threads=1)
    two = ranks(scores, reps=777, seed=12, n_threads=2)
    four = ranks(scores, reps=777, seed=12, n_threads=4)
    for other in (two, four):
        np.testing.assert_array_equal(one.replicates, other.replicates)
        np.testing.assert_array_equal(one.simultaneous_rank_interval, other.simultaneous_rank_interval)
        np.testing.assert_array_equal(one.difference_se, other.difference_se)
        assert one.critical_value == other.critical_value
    assert one.seed == 12
    again = ranks(scores, reps=777, seed=np.random.default_rng(1))
    assert not np.array_equal(again.replicates, one.replicates)


def test_kernel_replicate_ranges_concatenate():
    scores = _binary(5, 120)
    whole = ranks(scores, reps=500, seed=3).replicates
    weights = np.concatenate(
        [
            _core._testing.leaderboard_weights(120, 120, None, 1, 3, first, count, 2)
            for first, count in ((0, 123), (123, 377))
        ]
    )
    np.testing.assert_array_equal(whole, _reference_means(scores, weights))


def test_bit_identical_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    scores = np.random.default_rng(4).normal(size=(6, 300))
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    )
    with distributed.Client(cluster) as client:
        for clusters in (None, np.arange(300) // 10):
            local = ranks(scores, reps=4_500, seed=4, clusters=clusters)
            remote = ranks(scores, reps=4_500, seed=4, clusters=clusters, client=client)
            np.testing.assert_array_equal(local.replicates, remote.replicates)
            np.testing.assert_array_equal(local.simultaneous_rank_interval, remote.simultaneous_rank_interval)
    cluster.close()


def test_the_callers_array_is_untouched():
    scores = _binary(3, 40)
    scores[0, 0] = np.nan
    before = scores.copy()
    ranks(scores, reps=50, seed=0)
    np.testing.assert_array_equal(scores, before)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    models=st.integers(2, 5),
    items=st.integers(2, 25),
    samples=st.integers(0, 3),
    missing=st.floats(0.0, 0.5),
    binary=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_shape_and_missing_pattern(models, items, samples, missing, binary, seed):
    rng = np.random.default_rng(seed)
    shape = (models, items) + ((samples,) if samples else ())
    scores = (rng.random(shape) < 0.5).astype(float) if binary else rng.normal(size=shape)
    holes = rng.random((models, items)) < missing
    holes[np.arange(models), rng.integers(0, items, models)] = False  # every model keeps an item
    scores[holes] = np.nan
    try:
        result = ranks(scores, reps=64, seed=1)
    except ValueError as error:
        # A model scored on few items can draw none of them in some replicate.
        assert "no scored item" in str(error)
        return
    rows = items * max(samples, 1)
    weights = _weights(rows, items, None, max(samples, 1), 1, 64)
    np.testing.assert_allclose(result.replicates, _reference_means(scores, weights), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(result.rank_probabilities.sum(axis=1), 1.0)
    assert ((result.rank_interval >= 1) & (result.rank_interval <= models)).all()
    low, high = result.simultaneous_rank_interval.T
    assert (1 <= low).all() and (low <= high).all() and (high <= models).all()
    assert result.tie_groups.min() == 0 and np.all(np.diff(np.sort(result.tie_groups)) <= 1)


@pytest.mark.parametrize(
    "scores, kwargs, error, match",
    [
        ([[1, 0, 1], [1, 0]], {}, ValueError, "ragged"),
        (np.array([[1.0, 0.0], [np.nan, np.nan]]), {}, ValueError, "model 1 has no scores"),
        (np.ones((3, 1)), {}, ValueError, "at least 2 items"),
        (np.ones((1, 5)), {}, ValueError, "at least 2 models"),
        (np.ones(5), {}, ValueError, r"scores must be \(num_models, num_items\)"),
        (np.ones((2, 5)), {"reps": 10**12}, ValueError, "reps"),
        (np.ones((2, 5)), {"reps": 1}, ValueError, "reps must be at least 2"),
        (np.ones((2, 5)), {"reps": 2.5}, TypeError, "reps"),
        (np.array([["a", "b"], ["c", "d"]]), {}, TypeError, "scores must hold real numbers"),
        (np.ones((2, 5), dtype=complex), {}, TypeError, "scores must hold real numbers"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), {}, ValueError, "infinite"),
        (np.ones((2, 5)), {"clusters": [0, 1]}, ValueError, "clusters must have one label per item"),
        (np.ones((2, 5)), {"clusters": [3] * 5}, ValueError, "one cluster"),
        (np.ones((2, 5)), {"confidence": 1.5}, ValueError, "confidence"),
        (np.ones((2, 5)), {"higher_is_better": "yes"}, TypeError, "higher_is_better"),
        (np.ones((2, 5)), {"n_threads": 0}, ValueError, "n_threads"),
        (np.ones((2, 5)), {"seed": -1}, ValueError, "seed"),
        (np.ones((2, 5)), {"client": object()}, TypeError, "client"),
    ],
)
def test_bad_input_names_the_argument(scores, kwargs, error, match):
    with pytest.raises(error, match=match):
        ranks(scores, **{"reps": 20, **kwargs})


def test_partly_missing_samples_and_hopeless_coverage_are_refused():
    scores = np.ones((2, 4, 3))
    scores[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"scores\[0, 1, :\] mixes NaN"):
        ranks(scores, reps=20)
    sparse = np.ones((2, 200))
    sparse[1, 1:] = np.nan  # model 1 has one item: most replicates miss it
    with pytest.raises(ValueError, match="model 1 has no scored item"):
        ranks(sparse, reps=50, seed=0)


_SIMD_PROBE = """
import hashlib, numpy as np
from precipice import _core
from precipice.leaderboard import ranks
rng = np.random.default_rng(0)
binary = (rng.random((21, 333)) < 0.6).astype(float)  # the exact single-precision path
real = rng.normal(size=(21, 333))  # the double path
real[2, ::5] = np.nan
digest = hashlib.sha256()
for scores, clusters in ((binary, None), (real, None), (real, np.arange(333) // 4)):
    board = ranks(scores, reps=97, seed=3, clusters=clusters)
    for array in (board.replicates, board.difference_se, board.simultaneous_rank_interval):
        digest.update(np.ascontiguousarray(array).tobytes())
print(_core.random_kernels(), digest.hexdigest())
"""


def test_every_simd_width_gives_the_same_bits():
    import os
    import subprocess
    import sys

    results = {}
    for cap in ("", "avx2", "sse2"):
        env = {k: v for k, v in os.environ.items() if k != "PRECIPICE_SIMD"}
        if cap:
            env["PRECIPICE_SIMD"] = cap
        kernel, digest = subprocess.run(
            [sys.executable, "-c", _SIMD_PROBE], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        results[kernel] = digest
    assert len(set(results.values())) == 1, results
