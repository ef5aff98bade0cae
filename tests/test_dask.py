"""On a Dask cluster the bootstrap gives exactly the local answer."""

import numpy as np
import pytest
from precipice import _core
from precipice import bootstrap as pb

distributed = pytest.importorskip("distributed")

X = np.random.default_rng(0).gamma(1.0, 1.0, size=(10, 12))
Y = np.random.default_rng(1).gamma(1.0, 1.0, size=(6, 12))


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_interval_estimates_bit_identical(client):
    metrics = ["iqm", "median", "mean", ("optimality_gap", 0.8)]
    local = pb.interval_estimates(X, metrics, reps=9_000, seed=3, return_replicates=True, method="bca")
    remote = pb.interval_estimates(X, metrics, reps=9_000, seed=3, return_replicates=True, method="bca", client=client)
    np.testing.assert_array_equal(local.replicates, remote.replicates)
    np.testing.assert_array_equal(local.interval, remote.interval)


def test_task_bootstrap_frames_and_callables(client):
    x3 = np.random.default_rng(2).random((5, 6, 3))
    kwargs = dict(reps=4_500, seed=9, task_bootstrap=True, return_replicates=True)
    for x, metric in ((x3, "iqm"), (x3[:, :, 0], lambda s: float(np.mean(s)))):
        np.testing.assert_array_equal(
            pb.interval_estimates(x, metric, **kwargs).replicates,
            pb.interval_estimates(x, metric, client=client, **kwargs).replicates,
        )


def test_profiles_and_improvement(client):
    taus = np.linspace(0, 3, 31)
    a = pb.performance_profile(X, taus, reps=5_000, seed=1, return_replicates=True)
    b = pb.performance_profile(X, taus, reps=5_000, seed=1, return_replicates=True, client=client)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    # Without replicates the chunks' histograms are added up.
    for kind in ("runs", "task_means"):
        a = pb.performance_profile(X, taus, kind=kind, reps=5_000, seed=1, n_threads=2)
        b = pb.performance_profile(X, taus, kind=kind, reps=5_000, seed=1, n_threads=2, client=client)
        np.testing.assert_array_equal(a.interval, b.interval)
    a = pb.probability_of_improvement(X, Y, reps=5_000, seed=2, return_replicates=True)
    b = pb.probability_of_improvement(X, Y, reps=5_000, seed=2, return_replicates=True, client=client)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    a = pb.pairwise_probability_of_improvement({"x": X, "y": Y, "z": X[::-1]}, reps=4_000, seed=5)
    b = pb.pairwise_probability_of_improvement({"x": X, "y": Y, "z": X[::-1]}, reps=4_000, seed=5, client=client)
    np.testing.assert_array_equal(a.interval, b.interval)


def test_paired_and_cluster_bootstraps(client):
    from precipice import evals

    rng = np.random.default_rng(4)
    a = (rng.random(300) < 0.7).astype(float)
    b = (rng.random(300) < 0.6).astype(float)
    clusters = np.repeat(np.arange(60), 5)
    for kwargs in ({}, {"clusters": clusters}, {"metric": np.mean}, {"metric": np.mean, "clusters": clusters}):
        local = evals.paired_bootstrap(a, b, reps=6_000, seed=7, return_replicates=True, **kwargs)
        remote = evals.paired_bootstrap(a, b, reps=6_000, seed=7, return_replicates=True, client=client, **kwargs)
        np.testing.assert_array_equal(local.replicates, remote.replicates)


def test_passk_bootstrap_over_problems(client):
    from precipice import passk

    c = np.random.default_rng(5).integers(0, 21, size=500)
    for call in (
        lambda **kw: passk.pass_at_k_interval(20, c, [1, 5], **kw),
        lambda **kw: passk.compare_pass_at_k(20, c, 20, c[::-1], 5, **kw),
    ):
        local = call(method="percentile", reps=5_000, seed=3, return_replicates=True)
        remote = call(method="percentile", reps=5_000, seed=3, return_replicates=True, client=client)
        np.testing.assert_array_equal(local.replicates, remote.replicates)


def test_a_lost_workers_chunk_is_recomputed(client, tmp_path):
    """A worker that dies in the middle of a chunk loses nothing: Dask runs the
    chunk again elsewhere, and a chunk is a pure function of (seed, range)."""
    import os
    import sys

    import cloudpickle
    from precipice._distributed import map_replicates
    from precipice.bootstrap import native_chunk

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = tmp_path / "a worker died"

    def dies_once(scores3, specs, seed, task_bootstrap, n_threads, first, count):
        if first > 0 and not marker.exists():
            marker.write_text(str(first))
            os._exit(1)
        return native_chunk(scores3, specs, seed, task_bootstrap, n_threads, first, count)

    scores3 = X[:, :, None]
    kind = _core.bootstrap.MetricKind
    specs = [(kind.trimmed_mean, 0.25, np.empty(0)), (kind.median, 0.0, np.empty(0))]
    result = map_replicates(dies_once, [scores3], [specs, 11, False], 12_000, client, 1)
    assert marker.exists()
    np.testing.assert_array_equal(result, native_chunk(scores3, specs, 11, False, 1, 0, 12_000))


def test_any_split_of_the_replicate_range_is_the_same():
    from precipice._distributed import chunk_bounds
    from precipice.bootstrap import native_chunk

    scores3 = X[:, :, None]
    specs = [(_core.bootstrap.MetricKind.trimmed_mean, 0.25, np.empty(0))]
    whole = native_chunk(scores3, specs, 4, False, 2, 0, 7_001)
    for chunk in (1, 999, 2_000, 7_001):
        parts = [native_chunk(scores3, specs, 4, False, 1, f, c) for f, c in chunk_bounds(7_001, 2, chunk)]
        np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_client_must_be_a_client():
    with pytest.raises(TypeError, match="client"):
        pb.interval_estimates(X, "mean", reps=10, seed=0, client=object())
