"""precipice.evals.bootstrap_interval on a Dask cluster: exactly the local answer."""

import numpy as np
import pytest
from precipice import evals

distributed = pytest.importorskip("distributed")


def test_bootstrap_interval_bit_identical_on_a_cluster():
    rng = np.random.default_rng(8)
    s = rng.random(300)
    clusters = np.repeat(np.arange(60), 5)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    )
    with distributed.Client(cluster) as client:
        for statistic, kwargs in (("mean", {}), ("mean", {"clusters": clusters}), (np.median, {"method": "bca"})):
            local = evals.bootstrap_interval(s, statistic, reps=4_500, seed=4, return_replicates=True, **kwargs)
            remote = evals.bootstrap_interval(
                s, statistic, reps=4_500, seed=4, return_replicates=True, client=client, **kwargs
            )
            np.testing.assert_array_equal(local.replicates, remote.replicates)
            np.testing.assert_array_equal(local.interval, remote.interval)
    cluster.close()
