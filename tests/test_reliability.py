"""Regression tests for the reliability items of issue #17: each reproducer of
the issue gets a clear error naming its argument (or a correct answer)."""

import numpy as np
import pytest
from precipice import _core, irt, passk


def test_pass_at_k_interval_without_problems_is_refused():
    with pytest.raises(ValueError, match="no problems"):
        passk.pass_at_k_interval(10, [], 1)
    with pytest.raises(ValueError, match="no problems"):
        passk.compare_pass_at_k(10, [], 10, [], 1, method="percentile")


@pytest.mark.parametrize("k", [2**63, 2**53, [2**63]])
def test_pass_at_k_huge_k_names_k(k):
    with pytest.raises(ValueError, match=r"^k must"):
        passk.pass_at_k(10, [3], k)


def test_pass_until_tiny_confidence_names_confidence():
    with pytest.raises(ValueError, match=r"confidence must lie in \[1e-15, 1\)"):
        passk.pass_until([5], [2], confidence=1e-300)
    assert passk.pass_until([5], [2], confidence=1e-15).interval.shape == (2, 1)


def test_pass_until_problem_counts_must_agree():
    with pytest.raises(ValueError, match="draws has 2 problems but successes has 3"):
        passk.pass_until([3, 4], [1, 2, 3])
    # One int still applies to every problem.
    assert passk.pass_until([3, 4], 2).estimate.shape == (2,)


@pytest.mark.parametrize("mincell", ["x", None, True])
def test_item_fit_mincell_must_be_a_number(mincell):
    rng = np.random.default_rng(0)
    y = (rng.random((200, 5)) < 0.5).astype(float)
    result = irt.fit(y)
    with pytest.raises(TypeError, match="mincell must be a non-negative number"):
        irt.item_fit(result, y, mincell=mincell)


S = np.random.default_rng(0).random((10, 26))


def test_profile_histogram_path_is_checked_for_its_own_memory(monkeypatch):
    from precipice import _validation, bootstrap

    # 5000 replicates of 201 fractions pass a 4 MiB limit only as histograms.
    monkeypatch.setattr(_validation, "MAX_REPLICATE_BYTES", 2**22)
    monkeypatch.setattr(bootstrap, "MAX_REPLICATE_BYTES", 2**22)
    taus = np.linspace(0, 1, 201)
    profile = bootstrap.performance_profile(S, taus, reps=5000, seed=1, n_threads=2)
    assert profile.interval.shape == (2, 201)
    with pytest.raises(ValueError, match=r"^reps=5000 would need .* GiB at peak"):
        bootstrap.performance_profile(S, taus, reps=5000, seed=1, n_threads=2, return_replicates=True)


def test_replicate_guard_counts_the_peak():
    from precipice import _validation, bootstrap

    # One statistic: the replicates and three selection buffers, 4 x 8 bytes a replicate.
    _validation.check_replicate_memory(10**8, 1, 8)
    limit = _validation.MAX_REPLICATE_BYTES // 32
    _validation.check_replicate_memory(limit, 1, 8)
    with pytest.raises(ValueError, match=f"at most {limit}"):
        _validation.check_replicate_memory(limit + 1, 1, 8)
    for method in ("percentile", "bca"):
        with pytest.raises(ValueError, match=r"^reps=300000000 would need 8\.9 GiB at peak"):
            bootstrap.interval_estimates(S, "iqm", reps=3 * 10**8, method=method)


def test_bc_intervals_need_no_copy_of_the_replicates():
    from precipice import bootstrap

    # A degenerate column (every replicate equal) stays NaN beside a finite one.
    scores = np.concatenate([S[:5], np.ones((5, 26))], axis=0)[:, :, None].repeat(2, axis=2)
    scores[:, :, 1] = 1.0
    with pytest.warns(RuntimeWarning, match="bias correction is undefined"):
        estimate = bootstrap.interval_estimates(scores, "mean", reps=500, method="bc", seed=3)
    interval = estimate.interval
    assert np.isfinite(interval[..., 0]).all() and np.isnan(interval[..., 1]).all()


@pytest.mark.parametrize("statistic", [np.mean, lambda x, axis: np.std(x, axis=axis)])
def test_scipy_bootstrap_refuses_a_distribution_that_cannot_fit(statistic):
    from precipice.compat import scipy as compat_scipy

    with pytest.raises(ValueError, match=r"^n_resamples=1000000000000 would need .* GiB at peak"):
        compat_scipy.bootstrap((S[0],), statistic, n_resamples=10**12)


def test_core_calls_no_std_lgamma():
    # std::lgamma writes the global signgam: a data race in threaded code.
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "cpp"
    calls = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in sorted(root.rglob("*.[ch]pp"))
        for line in path.read_text().splitlines()
        if re.search(r"\blgamma\s*\(", line.split("//")[0])
    ]
    assert calls == []


def test_binomial_draws_near_the_stirling_table_agree_across_threads():
    from precipice import _core
    from scipy import stats

    # n p = 10: BTRD, whose final test takes log-gamma corrections below k = 10.
    draws = _core.evals.binomial_draws(20, 0.5, 7, 0, 100_000, 1)
    assert np.array_equal(draws, _core.evals.binomial_draws(20, 0.5, 7, 0, 100_000, 4))
    observed = np.bincount(draws, minlength=21)
    expected = stats.binom.pmf(np.arange(21), 20, 0.5) * draws.size
    keep = expected > 5
    assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue > 1e-4


def test_profile_histograms_still_refuse_absurd_reps():
    from precipice import bootstrap

    with pytest.raises(ValueError, match=r"^reps must lie in \[1, 2\*\*32\]"):
        bootstrap.performance_profile(S, np.linspace(0, 1, 201), reps=10**12)


def test_misaligned_arrays_are_copied_before_a_kernel_reads_them():
    # Arrays from pickle buffers (Dask) or np.frombuffer can start at an odd
    # address; the bindings take an aligned copy (UBSan reported the misaligned loads).
    x = np.random.default_rng(0).random((10, 26, 1))
    buffer = np.zeros(x.size * 8 + 3, dtype=np.uint8)
    shifted = np.frombuffer(buffer, dtype=np.float64, count=x.size, offset=3).reshape(x.shape)
    shifted[...] = x
    assert not shifted.flags.aligned
    kinds = [(_core.bootstrap.MetricKind.mean, 0.0, np.zeros(0))]
    assert np.array_equal(_core.bootstrap.stratified_point(shifted, kinds), _core.bootstrap.stratified_point(x, kinds))


def test_scores_near_the_float_maximum_give_finite_exact_intervals():
    """Issue #17 item 5: the bootstrap kernels work on scores scaled by a power of
    two, so sums and midpoints of values near 1.8e308 do not overflow, and any
    scores give the same digits as the same scores scaled down."""
    import warnings

    from precipice import bootstrap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bootstrap.ScoreScaleWarning)
        full = bootstrap.interval_estimates(np.full((10, 26), 1e308), ["iqm", "mean", "median"], reps=200, seed=0)
    np.testing.assert_array_equal(full.point, 1e308)
    np.testing.assert_array_equal(full.interval, 1e308)
    rng = np.random.default_rng(5)
    small = rng.normal(size=(5, 8))
    metrics = ["iqm", "mean", "median", ("trimmed_mean", 0.1)]
    for method in ("percentile", "basic", "bca"):
        base = bootstrap.interval_estimates(small, metrics, reps=300, seed=1, method=method, return_replicates=True)
        huge = bootstrap.interval_estimates(
            np.ldexp(small, 1020), metrics, reps=300, seed=1, method=method, return_replicates=True
        )
        assert np.isfinite(huge.interval).all()
        np.testing.assert_array_equal(np.ldexp(base.point, 1020), huge.point)
        np.testing.assert_array_equal(np.ldexp(base.replicates, 1020), huge.replicates)
        np.testing.assert_array_equal(np.ldexp(base.interval, 1020), huge.interval)
    gap = bootstrap.interval_estimates(small, [("optimality_gap", 0.5)], reps=100, seed=3)
    gap_huge = bootstrap.interval_estimates(
        np.ldexp(small, 1020), [("optimality_gap", np.ldexp(0.5, 1020))], reps=100, seed=3
    )
    np.testing.assert_array_equal(np.ldexp(gap.interval, 1020), gap_huge.interval)
    taus = np.array([-0.5, 0.0, 0.5])
    profile = bootstrap.performance_profile(small, taus, reps=100, seed=2, kind="task_means")
    profile_huge = bootstrap.performance_profile(
        np.ldexp(small, 1020), np.ldexp(taus, 1020), reps=100, seed=2, kind="task_means"
    )
    np.testing.assert_array_equal(profile.point, profile_huge.point)
    np.testing.assert_array_equal(profile.interval, profile_huge.interval)


def test_item_scores_whose_squares_overflow_are_refused():
    from precipice import evals

    with pytest.raises(ValueError, match="scores: scores as large as 1e\\+200 overflow"):
        evals.standard_error(np.full(10, 1e200))
    with pytest.raises(ValueError, match="^a: scores as large"):
        evals.paired_test(np.full(10, -1e160), np.zeros(10))
    assert np.isfinite(evals.standard_error(np.full(10, 1e149) * np.arange(10)).standard_error)


def test_hierarchical_scores_near_the_float_maximum_scale_exactly():
    from precipice import bootstrap

    rng = np.random.default_rng(0)
    family, task = np.repeat(np.arange(5), 20), np.tile(np.repeat(np.arange(4), 5), 5)
    values = rng.random(100)
    stats = ["mean", "median", "iqm"]
    for method in ("percentile", "bca"):
        base = bootstrap.hierarchical(values, [family, task], statistic=stats, reps=300, seed=0, method=method)
        huge = bootstrap.hierarchical(
            np.ldexp(values, 1020), [family, task], statistic=stats, reps=300, seed=0, method=method
        )
        np.testing.assert_array_equal(np.ldexp(base.point, 1020), huge.point)
        np.testing.assert_array_equal(np.ldexp(base.interval, 1020), huge.interval)


def test_review_findings_of_the_new_pillars_are_refused():
    from precipice import agreement, calibration, judge

    rng = np.random.default_rng(0)
    y = (rng.random(100) < 0.6).astype(float)
    with pytest.raises(ValueError, match="y: values as large as 1e\\+160 overflow"):
        judge.ppi_mean(y * 1e160, y * 1e160, rng.random(1000) * 1e160)
    with pytest.raises(ValueError, match="ratio-level alpha needs ratings on a ratio scale"):
        agreement.krippendorff_alpha([[-1, 1, 1, 2], [1, -1, 1, 3]], "ratio")
    with pytest.raises(ValueError, match="row 0 sums to 0.6"):
        calibration.ece(np.full((50, 3), 0.2), rng.integers(0, 3, 50))
    softmax32 = rng.dirichlet(np.ones(3), 50).astype(np.float32)  # rows sum to 1 within float32
    assert np.isfinite(calibration.ece(softmax32, rng.integers(0, 3, 50)).value)
