"""precipice.compat.rliable against rliable's definitions and, when it is
installed, against rliable itself."""

import numpy as np
import pytest
from precipice.compat.rliable import library as pl
from precipice.compat.rliable import metrics as pm

X = np.random.default_rng(0).gamma(1.0, 1.0, size=(10, 26))
Y = np.random.default_rng(1).gamma(1.0, 1.0, size=(7, 26))


def four(scores):
    return np.array(
        [
            pm.aggregate_iqm(scores),
            pm.aggregate_median(scores),
            pm.aggregate_mean(scores),
            pm.aggregate_optimality_gap(scores),
        ]
    )


def test_metrics_match_their_definitions():
    scipy_stats = pytest.importorskip("scipy.stats")
    assert pm.aggregate_iqm(X) == pytest.approx(scipy_stats.trim_mean(X, 0.25, axis=None), rel=1e-14)
    assert pm.aggregate_mean(X) == pytest.approx(X.mean(axis=0).mean(), rel=1e-14)
    assert pm.aggregate_median(X) == pytest.approx(np.median(X.mean(axis=0)), rel=1e-14)
    assert pm.aggregate_optimality_gap(X, 0.5) == pytest.approx(0.5 - np.minimum(X, 0.5).mean(), rel=1e-14)
    brute = np.mean(
        [np.mean((X[:, t, None] > Y[None, :, t]) + 0.5 * (X[:, t, None] == Y[None, :, t])) for t in range(26)]
    )
    assert pm.probability_of_improvement(X, Y) == pytest.approx(brute, rel=1e-14)
    assert pm.probability_of_improvement(X, X) == 0.5


def test_interval_estimates_shapes_and_native_path_agree_with_generic():
    points, cis = pl.get_interval_estimates({"a": X}, four, reps=4000, random_state=np.random.RandomState(1))
    np.testing.assert_allclose(points["a"], four(X), rtol=0, atol=0)
    assert cis["a"].shape == (2, 4) and (cis["a"][0] <= points["a"]).all() and (points["a"] <= cis["a"][1]).all()
    # A function the probe cannot see through takes the generic path; the
    # intervals must agree within Monte Carlo error.
    opaque = lambda s: np.array([pm.aggregate_iqm(np.asarray(s) + 0.0)])  # noqa: E731
    with pytest.warns(pl.GenericPathWarning):
        _, generic = pl.get_interval_estimates({"a": X}, opaque, reps=4000, random_state=np.random.RandomState(1))
    np.testing.assert_allclose(generic["a"][:, 0], cis["a"][:, 0], atol=0.03)


def test_scalar_function_gives_a_column_interval():
    points, cis = pl.get_interval_estimates({"a": X}, pm.aggregate_iqm, reps=500, random_state=3)
    assert np.ndim(points["a"]) == 0 and cis["a"].shape == (2, 1)


def test_random_state_is_honoured_and_global_seed_reproduces():
    a = pl.get_interval_estimates({"a": X}, four, reps=300, random_state=np.random.RandomState(5))[1]["a"]
    b = pl.get_interval_estimates({"a": X}, four, reps=300, random_state=np.random.RandomState(5))[1]["a"]
    np.testing.assert_array_equal(a, b)
    np.random.seed(11)
    c = pl.get_interval_estimates({"a": X}, four, reps=300)[1]["a"]
    np.random.seed(11)
    d = pl.get_interval_estimates({"a": X}, four, reps=300)[1]["a"]
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "debiased", "bca"])
def test_methods_run_natively_and_generically(method):
    _, native = pl.get_interval_estimates({"a": X}, four, method=method, reps=3000, random_state=2)
    opaque = lambda s: four(np.asarray(s) * 1.0)  # noqa: E731
    with pytest.warns(pl.GenericPathWarning):
        _, generic = pl.get_interval_estimates({"a": X}, opaque, method=method, reps=3000, random_state=2)
    np.testing.assert_allclose(native["a"], generic["a"], atol=0.06)


def test_probability_of_improvement_pair():
    points, cis = pl.get_interval_estimates({"x,y": [X, Y]}, pm.probability_of_improvement, reps=3000, random_state=4)
    assert points["x,y"] == pytest.approx(pm.probability_of_improvement(X, Y))
    assert cis["x,y"].shape == (2, 1)
    with pytest.warns(pl.GenericPathWarning, match="probability_of_improvement"):
        _, generic = pl.get_interval_estimates(
            {"x,y": [X, Y]}, lambda a, b: pm.probability_of_improvement(a, b), reps=600, random_state=4
        )
    np.testing.assert_allclose(generic["x,y"], cis["x,y"], atol=0.03)


def test_performance_profiles():
    taus = np.linspace(0, 3, 13)
    for use_score_distribution in (True, False):
        profiles, cis = pl.create_performance_profile({"a": X}, taus, use_score_distribution, reps=500)
        expected = (pl.score_distributions if use_score_distribution else pl.average_score_distributions)(X, taus)
        np.testing.assert_allclose(profiles["a"], expected, atol=1e-15)
        assert cis["a"].shape == (2, 13)
    custom = lambda s, t: np.array([np.mean(s > tau) for tau in t])  # noqa: E731
    with pytest.warns(pl.GenericPathWarning):
        profiles, cis = pl.create_performance_profile({"a": X}, taus, custom_profile_func=custom, reps=200)
    np.testing.assert_allclose(profiles["a"], pl.score_distributions(X, taus))


def test_stratified_bootstrap_index_and_data():
    bs = pl.StratifiedBootstrap(X, random_state=7, extra=X * 2)
    assert bs.extra is bs.kw_data["extra"]
    for pos, kw in bs.bootstrap(3):
        np.testing.assert_array_equal(pos[0], X[bs.index])
        np.testing.assert_array_equal(kw["extra"], 2 * pos[0])
        # stratified: every resampled column comes from the same task column
        for t in range(X.shape[1]):
            assert set(pos[0][:, t]) <= set(X[:, t])
    tb = pl.StratifiedBootstrap(X, random_state=7, task_bootstrap=True)
    for pos, _ in tb.bootstrap(2):
        np.testing.assert_array_equal(pos[0], X[tb.index])
    three = np.random.default_rng(2).random((4, 3, 5))
    bs3 = pl.StratifiedBootstrap(three, random_state=1)
    for pos, _ in bs3.bootstrap(2):
        np.testing.assert_array_equal(pos[0], three[bs3.index])
    ci = pl.StratifiedBootstrap(X, random_state=1).conf_int(np.mean, reps=300, method="percentile")
    assert ci.shape == (2, 1)


def test_independent_bootstrap_different_run_counts():
    bs = pl.StratifiedIndependentBootstrap(X, Y, random_state=3)
    for pos, _ in bs.bootstrap(2):
        assert pos[0].shape == X.shape and pos[1].shape == Y.shape
    with pytest.raises(ValueError, match="different lengths"):
        bs.conf_int(pm.probability_of_improvement, reps=10, method="bca")


def test_one_import_line_brings_all_three_modules():
    pytest.importorskip("matplotlib")
    from precipice.compat.rliable import library, metrics, plot_utils

    assert library.get_interval_estimates and metrics.aggregate_iqm and plot_utils.plot_interval_estimates
    import precipice.compat.rliable as compat

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = compat.nope


def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        pl.get_interval_estimates({"a": X}, four, method="studentized2", reps=10)
    with pytest.raises(ValueError, match="reps"):
        pl.get_interval_estimates({"a": X}, four, reps=0)
    with pytest.raises(ValueError, match="NaN"):
        pl.get_interval_estimates({"a": np.where(X > 2, np.nan, X)}, four, reps=10)
    with pytest.raises(ValueError, match="scores_x and scores_y"):
        pm.probability_of_improvement(X, Y[:, :5])


try:
    import rliable.library as rly
    import rliable.metrics as rm
except Exception:  # rliable, or its arch<8 / pandas<3, missing or broken
    rly = rm = None


@pytest.mark.skipif(rly is None, reason="rliable (with arch<8, pandas<3) not installed")
def test_parity_with_rliable():
    rfour = lambda s: np.array(
        [
            rm.aggregate_iqm(s),
            rm.aggregate_median(s),
            rm.aggregate_mean(s),  # noqa: E731
            rm.aggregate_optimality_gap(s),
        ]
    )
    np.random.seed(0)
    r_points, r_cis = rly.get_interval_estimates({"a": X}, rfour, reps=2000)
    points, cis = pl.get_interval_estimates({"a": X}, four, reps=20000, random_state=0)
    np.testing.assert_allclose(points["a"], r_points["a"], rtol=1e-12)
    # Endpoints of a 95% interval from 2,000 replicates wander by a few times
    # sd / sqrt(2000) * 2.5 ~ 0.01 here; 0.04 is a loose Monte Carlo bound.
    np.testing.assert_allclose(cis["a"], r_cis["a"], atol=0.04)
    np.random.seed(0)
    r_points, r_cis = rly.get_interval_estimates({"p": [X, Y]}, rm.probability_of_improvement, reps=100)
    points, cis = pl.get_interval_estimates({"p": [X, Y]}, pm.probability_of_improvement, reps=5000, random_state=0)
    assert points["p"] == pytest.approx(r_points["p"], rel=1e-12)
    np.testing.assert_allclose(cis["p"], r_cis["p"], atol=0.04)
    taus = np.linspace(0, 3, 9)
    np.random.seed(0)
    r_prof, r_pcis = rly.create_performance_profile({"a": X}, taus, reps=500)
    prof, pcis = pl.create_performance_profile({"a": X}, taus, reps=5000)
    np.testing.assert_allclose(prof["a"], r_prof["a"], atol=1e-15)
    np.testing.assert_allclose(pcis["a"], r_pcis["a"], atol=0.05)
