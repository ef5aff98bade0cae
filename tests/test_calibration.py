"""precipice.calibration against a slow per-bin loop, the ``calibration``
package (Kumar et al., HELM's ``ece_10_bin``) and netcal when they import, and
its bootstrap against replicates recomputed from the resample indices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import calibration
from precipice._resample import resample_indices

# --------------------------------------------------------------------------
# The slow, obviously correct reference: plain Python over items and bins.


def reference_edges(conf, bins, strategy):
    """Upper edges as the calibration package documents them, by list slicing."""
    if strategy == "uniform":
        return [0.0] + [j / bins for j in range(1, bins + 1)]
    values = sorted(float(c) for c in conf)
    parts = min(bins, len(values))
    size, extra = divmod(len(values), parts)
    pieces, start = [], 0
    for j in range(parts):
        length = size + (1 if j < extra else 0)
        pieces.append(values[start : start + length])
        start += length
    uppers = {(pieces[j][-1] + pieces[j + 1][0]) / 2.0 for j in range(parts - 1)}
    uppers.add(1.0)
    return [0.0] + sorted(uppers)


def reference_metrics(conf, outcome, edges):
    """ECE, MCE, L2, debiased L2 and the Brier decomposition, bin by bin."""
    nbins = len(edges) - 1
    members = [[] for _ in range(nbins)]
    for c, y in zip(conf, outcome):
        for j in range(nbins):
            if (edges[j] < c or (j == 0 and c == 0.0)) and c <= edges[j + 1]:
                members[j].append((float(c), float(y)))
                break
        else:
            raise AssertionError("an item fell in no bin")
    n = len(conf)
    base = sum(outcome) / n
    ece = mce = l2 = debiased = rel = res = binned = 0.0
    for items in members:
        if not items:
            continue
        m = len(items)
        mean_c = sum(c for c, _ in items) / m
        acc = sum(y for _, y in items) / m
        gap = mean_c - acc
        ece += m / n * abs(gap)
        mce = max(mce, abs(gap))
        l2 += m / n * gap**2
        if m >= 2:
            debiased += m / n * (gap**2 - acc * (1 - acc) / (m - 1))
        rel += m / n * gap**2
        res += m / n * (acc - base) ** 2
        binned += sum((mean_c - y) ** 2 for _, y in items) / n
    return {
        "ece": ece,
        "mce": mce,
        "l2": math.sqrt(l2),
        "debiased_l2": math.sqrt(max(debiased, 0.0)),
        "brier": sum((c - y) ** 2 for c, y in zip(conf, outcome)) / n,
        "reliability": rel,
        "resolution": res,
        "uncertainty": base * (1 - base),
        "binned": binned,
    }


def ours(probs, labels, bins, strategy):
    b = calibration.brier(probs, labels, bins=bins, strategy=strategy)
    return {
        "ece": calibration.ece(probs, labels, bins=bins, strategy=strategy).value,
        "mce": calibration.mce(probs, labels, bins=bins, strategy=strategy).value,
        "l2": calibration.l2_calibration_error(probs, labels, debias=False, bins=bins, strategy=strategy).value,
        "debiased_l2": calibration.l2_calibration_error(probs, labels, bins=bins, strategy=strategy).value,
        "brier": b.value,
        "reliability": b.reliability,
        "resolution": b.resolution,
        "uncertainty": b.uncertainty,
        "binned": b.binned,
    }


def assert_metrics_close(got, want):
    for key, value in want.items():
        if key == "debiased_l2":
            # The square root of a debiased estimate near 0: rounding of 1e-16
            # in the squared value is 1e-8 after the root (and 0 where it dips below).
            assert got[key] ** 2 == pytest.approx(value**2, rel=1e-10, abs=1e-14), key
        else:
            assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-12), key


def binary_sample(n, seed, *, grid=None):
    rng = np.random.default_rng(seed)
    conf = rng.random(n) if grid is None else rng.integers(0, grid + 1, n) / grid
    labels = (rng.random(n) < conf**1.3).astype(np.int64)
    return conf, labels


# --------------------------------------------------------------------------
# Values.


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("bins", [1, 3, 10, 15])
def test_binary_metrics_equal_the_per_bin_loop(strategy, bins):
    conf, labels = binary_sample(500, bins)
    edges = reference_edges(conf, bins, strategy)
    np.testing.assert_array_equal(calibration.bin_edges(conf, labels, bins=bins, strategy=strategy), edges)
    assert_metrics_close(ours(conf, labels, bins, strategy), reference_metrics(conf, labels, edges))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    bins=st.integers(1, 25),
    strategy=st.sampled_from(["uniform", "quantile"]),
    grid=st.sampled_from([None, 2, 10, 20]),
    seed=st.integers(0, 2**32 - 1),
)
def test_edges_ties_and_extremes_equal_the_loop(n, bins, strategy, grid, seed):
    # A grid puts confidences on the edges, at 0.0 and at 1.0, and makes ties.
    conf, labels = binary_sample(n, seed, grid=grid)
    edges = reference_edges(conf, bins, strategy)
    got = calibration.bin_edges(conf, labels, bins=bins, strategy=strategy)
    np.testing.assert_array_equal(got, edges)
    assert_metrics_close(ours(conf, labels, bins, strategy), reference_metrics(conf, labels, edges))


def test_edge_values_fall_in_the_lower_bin_and_one_in_the_last():
    conf = np.array([0.0, 0.1, 0.5, 1.0])
    curve = calibration.reliability_curve(conf, [0, 0, 1, 1], bins=10)
    np.testing.assert_array_equal(curve.counts, [2, 0, 0, 0, 1, 0, 0, 0, 0, 1])


def test_the_decomposition_adds_up_to_the_binned_brier():
    conf, labels = binary_sample(2000, 7)
    b = calibration.brier(conf, labels, bins=12)
    assert b.reliability - b.resolution + b.uncertainty == pytest.approx(b.binned, rel=1e-14)
    assert b.value == pytest.approx(np.mean((conf - labels) ** 2), rel=1e-15)
    # One bin per distinct forecast: no spread inside the bins, binned == Brier.
    grid_conf, grid_labels = binary_sample(2000, 8, grid=10)
    exact = calibration.brier(grid_conf, grid_labels, bins=200, strategy="quantile")
    assert exact.binned == pytest.approx(exact.value, rel=1e-12)


def test_top_label_multiclass_is_binary_on_confidence_and_correctness():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(800, 5)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 5, 800)
    conf, correct = probs.max(axis=1), (probs.argmax(axis=1) == labels).astype(int)
    for strategy in ("uniform", "quantile"):
        assert ours(probs, labels, 10, strategy) == ours(conf, correct, 10, strategy)
    edges = reference_edges(conf, 10, "quantile")
    assert_metrics_close(ours(probs, labels, 10, "quantile"), reference_metrics(conf, correct, edges))


def test_float_and_bool_labels_are_accepted():
    conf, labels = binary_sample(300, 4)
    want = calibration.ece(conf, labels).value
    assert calibration.ece(conf, labels.astype(float)).value == want
    assert calibration.ece(conf, labels.astype(bool)).value == want
    assert calibration.ece(conf.astype(np.float32), labels).value == pytest.approx(
        calibration.ece(conf.astype(np.float32).astype(np.float64), labels).value, rel=1e-15
    )


# --------------------------------------------------------------------------
# The anchors.


def test_the_calibration_package_agrees():
    cal = pytest.importorskip("calibration")
    conf, labels = binary_sample(1000, 11)
    for bins in (1, 10, 15):
        assert calibration.ece(conf, labels, bins=bins).value == pytest.approx(
            cal.get_ece(conf, labels, num_bins=bins), rel=1e-12
        )
        # HELM's ece_10_bin at bins=10.
        assert calibration.ece(conf, labels, bins=bins, strategy="quantile").value == pytest.approx(
            cal.get_ece_em(conf, labels, num_bins=bins), rel=1e-12
        )
        for debias in (True, False):
            for strategy, scheme in (("quantile", cal.get_equal_bins), ("uniform", cal.get_equal_prob_bins)):
                want = cal.lower_bound_scaling_ce(
                    conf, labels, p=2, debias=debias, num_bins=bins, binning_scheme=scheme
                )
                got = calibration.l2_calibration_error(conf, labels, debias=debias, bins=bins, strategy=strategy)
                assert got.value == pytest.approx(want, rel=1e-12, abs=1e-15)
    # The defaults are get_calibration_error's for continuous probabilities.
    assert calibration.l2_calibration_error(conf, labels).value == pytest.approx(
        cal.get_calibration_error(conf, labels), rel=1e-12
    )
    # Top-label multiclass.
    rng = np.random.default_rng(12)
    probs = rng.dirichlet(np.ones(4), size=500)
    classes = rng.integers(0, 4, 500)
    assert calibration.ece(probs, classes, bins=10, strategy="quantile").value == pytest.approx(
        cal.get_ece_em(probs, classes, num_bins=10), rel=1e-12
    )
    assert calibration.l2_calibration_error(probs, classes).value == pytest.approx(
        cal.get_calibration_error(probs, classes, mode="top-label"), rel=1e-12
    )
    # Ties and values on the edges: a grid of confidences (the package's
    # discrete-bins heuristic does not enter lower_bound_scaling_ce).
    grid_conf, grid_labels = binary_sample(500, 13, grid=20)
    for bins in (5, 10):
        assert calibration.ece(grid_conf, grid_labels, bins=bins).value == pytest.approx(
            cal.get_ece(grid_conf, grid_labels, num_bins=bins), rel=1e-12
        )
        assert calibration.ece(grid_conf, grid_labels, bins=bins, strategy="quantile").value == pytest.approx(
            cal.get_ece_em(grid_conf, grid_labels, num_bins=bins), rel=1e-12
        )


def test_netcal_agrees_off_the_edges():
    metrics = pytest.importorskip("netcal.metrics")
    conf, labels = binary_sample(3000, 21)
    for bins in (5, 10, 15):
        assert calibration.ece(conf, labels, bins=bins).value == pytest.approx(
            metrics.ECE(bins).measure(conf, labels), rel=1e-9
        )
        assert calibration.mce(conf, labels, bins=bins).value == pytest.approx(
            metrics.MCE(bins).measure(conf, labels), rel=1e-9
        )


# --------------------------------------------------------------------------
# Bootstrap.


def replicate_metrics_from_indices(conf, labels, edges, reps, seed):
    """Each replicate's metrics recomputed from its resample, by bincount."""
    nbins = len(edges) - 1
    index = resample_indices(conf.size, conf.size, seed, 0, reps, 0, 1)
    out = []
    for rows in index:
        c, y = conf[rows], labels[rows].astype(float)
        b = np.searchsorted(np.asarray(edges)[1:], c, side="left")
        count = np.bincount(b, minlength=nbins)
        gap = np.abs(np.bincount(b, c, nbins) - np.bincount(b, y, nbins))
        out.append([gap.sum() / c.size, (gap[count > 0] / count[count > 0]).max()])
    return np.array(out)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_the_interval_is_that_of_the_resamples(strategy):
    conf, labels = binary_sample(400, 31)
    edges = calibration.bin_edges(conf, labels, bins=10, strategy=strategy)
    reps, seed = 300, 1234
    want = replicate_metrics_from_indices(conf, labels, edges, reps, seed)
    e = calibration.ece(conf, labels, strategy=strategy, reps=reps, seed=seed)
    m = calibration.mce(conf, labels, strategy=strategy, reps=reps, seed=seed)
    np.testing.assert_allclose(e.interval, np.percentile(want[:, 0], [2.5, 97.5]), rtol=1e-12)
    np.testing.assert_allclose(m.interval, np.percentile(want[:, 1], [2.5, 97.5]), rtol=1e-12)
    assert e.standard_error == pytest.approx(np.std(want[:, 0], ddof=1), rel=1e-10)
    assert e.seed == seed and e.reps == reps


def test_the_native_group_sums_are_the_resamples_bincounts():
    from precipice import _core

    rng = np.random.default_rng(5)
    n, k = 1000, 7
    group = rng.integers(0, k, n)
    values = rng.random((n, 3))
    sums = _core.calibration.resampled_group_sums(group, values, k, 99, 5, 20, 2)
    for r, rows in enumerate(resample_indices(n, n, 99, 5, 20, 0, 1)):
        want = [np.bincount(group[rows], minlength=k)]
        want += [np.stack([np.bincount(group[rows], values[rows, j], k) for j in range(3)], axis=1).ravel()]
        np.testing.assert_array_equal(sums[r], np.concatenate(want))


def test_same_seed_same_result_for_any_thread_count():
    conf, labels = binary_sample(2000, 41)
    runs = [
        (
            calibration.ece(conf, labels, reps=2000, seed=7, n_threads=t).interval,
            calibration.brier(conf, labels, strategy="quantile", reps=2000, seed=7, n_threads=t).reliability_interval,
            calibration.reliability_curve(conf, labels, reps=500, seed=7, n_threads=t).accuracy_interval,
        )
        for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(calibration.ece(conf, labels, reps=2000, seed=8).interval, runs[0][0])


def test_intervals_cover_the_estimates_and_methods():
    conf, labels = binary_sample(3000, 51)
    for metric in (calibration.ece, calibration.mce, calibration.l2_calibration_error):
        result = metric(conf, labels, reps=500, seed=3)
        assert result.interval[0] <= result.interval[1]
        assert result.interval.shape == (2,)
    b = calibration.brier(conf, labels, reps=500, seed=3)
    for value, bounds in (
        (b.value, b.interval),
        (b.reliability, b.reliability_interval),
        (b.resolution, b.resolution_interval),
        (b.uncertainty, b.uncertainty_interval),
    ):
        assert bounds[0] <= value <= bounds[1]
    basic = calibration.ece(conf, labels, reps=500, seed=3, method="basic")
    percentile = calibration.ece(conf, labels, reps=500, seed=3)
    np.testing.assert_allclose(basic.interval, 2 * percentile.value - percentile.interval[::-1])
    assert calibration.ece(conf, labels, reps=500, seed=3, method="bc").method == "bc"
    none = calibration.ece(conf, labels)
    assert none.interval is None and none.seed is None and math.isnan(none.standard_error)


def test_the_bootstrap_spread_matches_resampling_by_hand_in_distribution():
    # Independent resamples drawn with numpy: the two standard errors agree to
    # the Monte Carlo error of 2,000 replicates (about 3 percent; 15 allowed).
    conf, labels = binary_sample(1000, 61)
    rng = np.random.default_rng(0)
    by_hand = []
    for _ in range(2000):
        rows = rng.integers(0, conf.size, conf.size)
        by_hand.append(calibration.ece(conf[rows], labels[rows]).value)
    ours_se = calibration.ece(conf, labels, reps=2000, seed=1).standard_error
    assert ours_se == pytest.approx(np.std(by_hand, ddof=1), rel=0.15)


# --------------------------------------------------------------------------
# Bad input.


@pytest.mark.parametrize(
    ("probs", "labels", "kwargs", "error", "match"),
    [
        ([0.2, 1.5], [0, 1], {}, ValueError, "probs"),
        ([0.2, -0.1], [0, 1], {}, ValueError, "probs"),
        ([0.2, np.nan], [0, 1], {}, ValueError, "probs"),
        ([], [], {}, ValueError, "probs"),
        ([0.2, 0.3], [0, 1, 1], {}, ValueError, "labels"),
        ([0.2, 0.3], [0, 2], {}, ValueError, "labels"),
        ([0.2, 0.3], [0, 0.5], {}, ValueError, "labels"),
        ([[0.2, 0.8], [0.5, 0.5]], [0, 2], {}, ValueError, "labels"),
        ([[0.2, 0.8], [0.5, 0.5]], [0, -1], {}, ValueError, "labels"),
        ([[1.0], [1.0]], [0, 0], {}, ValueError, "probs"),
        (np.zeros((2, 2, 2)), [0, 1], {}, ValueError, "probs"),
        ([0.2, 0.3], [[0, 1]], {}, ValueError, "labels"),
        (["a", "b"], [0, 1], {}, TypeError, "probs"),
        ([True, False], [0, 1], {}, TypeError, "probs"),
        ([0.2, 0.3], ["a", "b"], {}, TypeError, "labels"),
        ([0.2, 0.3], [0, 1], {"bins": 0}, ValueError, "bins"),
        ([0.2, 0.3], [0, 1], {"bins": 2.5}, TypeError, "bins"),
        ([0.2, 0.3], [0, 1], {"strategy": "equal"}, ValueError, "strategy"),
        ([0.2, 0.3], [0, 1], {"reps": -1}, ValueError, "reps"),
        ([0.2, 0.3], [0, 1], {"reps": 10, "confidence": 1.5}, ValueError, "confidence"),
        ([0.2, 0.3], [0, 1], {"reps": 10, "method": "bca"}, ValueError, "method"),
        ([0.2, 0.3], [0, 1], {"reps": 10, "seed": -1}, ValueError, "seed"),
        ([0.2, 0.3], [0, 1], {"n_threads": 0}, ValueError, "n_threads"),
    ],
)
def test_bad_input_names_the_argument(probs, labels, kwargs, error, match):
    for metric in (calibration.ece, calibration.mce, calibration.l2_calibration_error, calibration.brier):
        with pytest.raises(error, match=match):
            metric(probs, labels, **kwargs)


def test_masked_input_and_debias_flag_are_checked():
    with pytest.raises(ValueError, match="probs"):
        calibration.ece(np.ma.masked_array([0.2, 0.3], mask=[0, 1]), [0, 1])
    with pytest.raises(TypeError, match="debias"):
        calibration.l2_calibration_error([0.2, 0.3], [0, 1], debias="yes")


def test_inputs_are_never_modified():
    probs = np.random.default_rng(1).dirichlet(np.ones(3), size=200)
    labels = np.random.default_rng(2).integers(0, 3, 200)
    keep = probs.copy(), labels.copy()
    for metric in (calibration.ece, calibration.mce, calibration.l2_calibration_error, calibration.brier):
        metric(probs, labels, reps=50, seed=0, strategy="quantile")
    calibration.reliability_curve(probs, labels, reps=50, seed=0)
    np.testing.assert_array_equal(probs, keep[0])
    np.testing.assert_array_equal(labels, keep[1])


def test_results_are_frozen():
    result = calibration.ece([0.2, 0.9], [0, 1])
    with pytest.raises(AttributeError):
        result.value = 0.0  # type: ignore[misc]


# --------------------------------------------------------------------------
# The reliability diagram.


def test_reliability_curve_and_diagram_render():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from precipice import plot

    conf, labels = binary_sample(2000, 71)
    curve = calibration.reliability_curve(conf, labels, reps=200, seed=0)
    assert curve.counts.sum() == 2000
    shown = curve.counts > 0
    lower, upper = curve.accuracy_interval
    assert (lower[shown] <= curve.accuracy[shown] + 1e-12).all()
    assert (curve.accuracy[shown] <= upper[shown] + 1e-12).all()
    assert curve.ece == calibration.ece(conf, labels).value
    ax = plot.reliability_diagram(conf, labels, reps=200, seed=0, label="model")
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "Confidence"
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_a_dask_cluster_gives_the_local_numbers():
    distributed = pytest.importorskip("distributed")
    conf, labels = binary_sample(500, 81)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    )
    with distributed.Client(cluster) as client:
        # 4,500 replicates: three chunks of at least 2,000 (precipice._distributed).
        for metric in (calibration.ece, calibration.l2_calibration_error):
            local = metric(conf, labels, reps=4_500, seed=4)
            remote = metric(conf, labels, reps=4_500, seed=4, client=client)
            np.testing.assert_array_equal(local.interval, remote.interval)
            assert local.standard_error == remote.standard_error
        local_b = calibration.brier(conf, labels, reps=4_500, seed=4)
        remote_b = calibration.brier(conf, labels, reps=4_500, seed=4, client=client)
        np.testing.assert_array_equal(local_b.resolution_interval, remote_b.resolution_interval)
        local_c = calibration.reliability_curve(conf, labels, reps=4_500, seed=4)
        remote_c = calibration.reliability_curve(conf, labels, reps=4_500, seed=4, client=client)
        np.testing.assert_array_equal(local_c.accuracy_interval, remote_c.accuracy_interval)
    cluster.close()
