"""precipice.bootstrap on ordinary mistakes: one run per task, scores in percent,
unchecked flags and labels, masked arrays, metric callables that work in place."""

import warnings

import numpy as np
import precipice
import precipice.bootstrap as pb
import pytest

RNG = np.random.default_rng(0)
SCORES = RNG.random((5, 8))


def _no_warnings(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call(*args, **kwargs)


# --------------------------------------------------------------------------
# One run per task (#12).


def test_single_run_warns_and_points_to_what_answers_the_question():
    x = RNG.random((1, 26))
    with pytest.warns(precipice.SingleRunWarning, match=r"single run per task \(shape \(1, 26\)\)") as record:
        est = pb.interval_estimates(x, ["mean", "iqm"], reps=200, seed=0)
    text = str(record[0].message)
    assert "zero width" in text and "task_bootstrap=True" in text and "precipice.evals" in text
    assert record[0].filename == __file__  # points at the caller's line
    np.testing.assert_array_equal(est.lower, est.upper)  # what the warning is about
    assert issubclass(precipice.SingleRunWarning, UserWarning)
    assert pb.single_run_message(x.shape) == text


def test_single_run_with_task_bootstrap_is_quiet():
    est = _no_warnings(pb.interval_estimates, RNG.random((1, 26)), "mean", reps=200, seed=0, task_bootstrap=True)
    assert est.upper[0] > est.lower[0]


def test_single_run_in_every_path():
    x = RNG.random((1, 6))
    with pytest.warns(pb.SingleRunWarning):
        pb.performance_profile(x, [0.25, 0.5], reps=100, seed=0)
    with pytest.warns(pb.SingleRunWarning):
        pb.interval_estimates(RNG.random((1, 6, 3)), "mean", reps=100, seed=0)
    with pytest.warns(pb.SingleRunWarning):
        pb.interval_estimates(x, lambda s: s.mean(), reps=20, seed=0)
    # nan_policy="omit": one valid run in every task is one run
    y = RNG.random((3, 4))
    y[[1, 2, 0, 0], [0, 1, 2, 3]] = np.nan
    y[[2, 0, 1, 2], [0, 1, 2, 3]] = np.nan
    with pytest.warns(pb.SingleRunWarning, match="at most one valid"):
        pb.interval_estimates(y, "mean", reps=100, seed=0, nan_policy="omit")
    # some tasks with more runs: variation remains, no warning
    y[:, 0] = 0.5
    _no_warnings(pb.interval_estimates, y, "mean", reps=100, seed=0, nan_policy="omit")
    _no_warnings(pb.interval_estimates, SCORES, "mean", reps=100, seed=0)


def test_single_run_probability_of_improvement():
    x, y = RNG.random((1, 6)), RNG.random((1, 6))
    with pytest.warns(pb.SingleRunWarning, match="^x, y have a single run.*paired_bootstrap"):
        est = pb.probability_of_improvement(x, y, reps=100, seed=0)
    np.testing.assert_array_equal(est.lower, est.upper)
    _no_warnings(pb.probability_of_improvement, x, RNG.random((5, 6)), reps=100, seed=0)
    with pytest.warns(pb.SingleRunWarning, match="^a, c have"):
        pb.pairwise_probability_of_improvement({"a": x, "b": RNG.random((4, 6)), "c": y}, reps=100, seed=0)


def test_bca_error_comes_without_the_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="BCa"):
            pb.interval_estimates(SCORES[:1], "mean", reps=10, seed=0, method="bca")


# --------------------------------------------------------------------------
# Scores in percent (#12).


def test_percent_scores_warn_for_the_optimality_gap():
    percent = 100 * SCORES + 1  # every score above 1
    with pytest.warns(precipice.ScoreScaleWarning, match=r"at or above gamma=1 \(the smallest is") as record:
        est = pb.interval_estimates(percent, ["optimality_gap", "mean"], reps=100, seed=0)
    assert "percentages (0-100) by 100" in str(record[0].message)
    assert est.point[0] == 0 and est.lower[0] == est.upper[0] == 0
    assert issubclass(precipice.ScoreScaleWarning, UserWarning)
    # gamma on the scores' scale, normalised scores, or no gap at all: quiet
    _no_warnings(pb.interval_estimates, percent, ("optimality_gap", 100), reps=100, seed=0)
    _no_warnings(pb.interval_estimates, SCORES, "optimality_gap", reps=100, seed=0)
    _no_warnings(pb.interval_estimates, percent, ["mean", "iqm"], reps=100, seed=0)
    with pytest.warns(pb.ScoreScaleWarning, match="gamma=0.5"):
        pb.interval_estimates(SCORES + 0.5, [("optimality_gap", 0.5), ("optimality_gap", 2)], reps=100, seed=0)


# --------------------------------------------------------------------------
# Flags, labels and names (#17 item 7).


@pytest.mark.parametrize("value", ["yes", 1, None, np.array([True])])
def test_return_replicates_must_be_a_bool(value):
    calls = [
        lambda: pb.interval_estimates(SCORES, "mean", reps=10, seed=0, return_replicates=value),
        lambda: pb.performance_profile(SCORES, [0.5], reps=10, seed=0, return_replicates=value),
        lambda: pb.probability_of_improvement(SCORES, SCORES, reps=10, seed=0, return_replicates=value),
        lambda: pb.pairwise_probability_of_improvement(
            {"a": SCORES, "b": SCORES}, reps=10, seed=0, return_replicates=value
        ),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="^return_replicates must be True or False"):
            call()
    assert pb.interval_estimates(SCORES, "mean", reps=10, seed=0, return_replicates=np.True_).replicates.shape == (
        10,
        1,
    )


def test_metric_labels_name_the_parameter_exactly():
    est = pb.interval_estimates(
        SCORES,
        [
            ("trimmed_mean", 0.4999999),
            ("trimmed_mean", 0.1),
            ("optimality_gap", 2.5),
            ("optimality_gap", 100.0),
            ("optimality_gap", 1 / 3),
        ],
        reps=10,
        seed=0,
    )
    assert est.names == (
        "trimmed_mean(0.4999999)",
        "trimmed_mean(0.1)",
        "optimality_gap(2.5)",
        "optimality_gap(100)",
        f"optimality_gap({1 / 3!r})",
    )


def test_dict_keys_that_print_alike_are_refused():
    with pytest.raises(ValueError, match="^scores: the keys 1, '1' all give the name '1'"):
        pb.pairwise_probability_of_improvement({1: SCORES, "1": SCORES + 0.1}, reps=10, seed=0)


# --------------------------------------------------------------------------
# Masked arrays (#17 item 2).


def test_masked_scores_are_refused_or_read_as_missing():
    x = np.ma.masked_array([[1.0, 2.0], [3.0, 1e6]], mask=[[0, 0], [0, 1]])
    with pytest.raises(ValueError, match="^scores is a masked array with 1 masked entries.*nan_policy='omit'"):
        pb.interval_estimates(x, "mean")
    est = pb.interval_estimates(x, "mean", reps=100, seed=0, nan_policy="omit")
    assert est.point[0] == 2.0  # task means 2 and 2: the 1e6 under the mask does not count
    with pytest.raises(ValueError, match="masked"):
        pb.performance_profile(x, [1.0], reps=10, seed=0)
    with pytest.raises(ValueError, match=r"^x is a masked array"):
        pb.probability_of_improvement(x, SCORES[:, :2], reps=10, seed=0)
    with pytest.raises(ValueError, match=r"^scores\['a'\] is a masked array"):
        pb.pairwise_probability_of_improvement({"a": x, "b": SCORES[:, :2]}, reps=10, seed=0)
    with pytest.raises(ValueError, match="^taus is a masked array"):
        pb.performance_profile(SCORES, np.ma.masked_array([0.5, 9.0], mask=[0, 1]), reps=10, seed=0)
    # a mask that hides nothing: the data as they are
    plain = pb.interval_estimates(np.ma.masked_array(SCORES), "mean", reps=50, seed=1)
    np.testing.assert_array_equal(plain.interval, pb.interval_estimates(SCORES, "mean", reps=50, seed=1).interval)


# --------------------------------------------------------------------------
# Metric callables that work in place (#17 item 1).


def test_in_place_callable_changes_nothing():
    x = RNG.random((6, 5))
    x0 = x.copy()

    def sorting(s):
        s.sort(axis=None) if s.ndim == 1 else s.sort(axis=0)
        return s[len(s) // 2].mean()

    @pb.batched
    def sorting_batched(block):
        block.sort(axis=1)
        return block[:, block.shape[1] // 2].mean(axis=-1)

    def pure(s):
        return np.sort(s, axis=0)[len(s) // 2].mean()

    for method in ("percentile", "bca"):
        m = pb.interval_estimates(x, [sorting, sorting_batched], reps=200, seed=2, method=method)
        p = pb.interval_estimates(
            x,
            [pure, pb.batched(lambda b: np.sort(b, axis=1)[:, b.shape[1] // 2].mean(-1))],
            reps=200,
            seed=2,
            method=method,
        )
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(m.point, p.point)
        np.testing.assert_array_equal(m.interval, p.interval)
