"""Every bad argument of the bootstrap API is refused with ValueError or TypeError,
and the message starts with (or names) the argument at fault."""

from __future__ import annotations

import numpy as np
import precipice.bootstrap as pb
import pytest

GOOD = np.random.default_rng(0).gamma(1.0, 1.0, (5, 4))
OTHER = np.random.default_rng(1).gamma(1.0, 1.0, (3, 4))


def call_estimates(**kw):
    return pb.interval_estimates(GOOD, "mean", **{"reps": 10, "seed": 0, **kw})


def call_profile(**kw):
    return pb.performance_profile(GOOD, [0.5, 1.0], **{"reps": 10, "seed": 0, **kw})


def call_improvement(**kw):
    return pb.probability_of_improvement(GOOD, OTHER, **{"reps": 10, "seed": 0, **kw})


def call_pairwise(**kw):
    return pb.pairwise_probability_of_improvement({"a": GOOD, "b": OTHER}, **{"reps": 10, "seed": 0, **kw})


ALL_CALLS = [call_estimates, call_profile, call_improvement, call_pairwise]
ids = ["interval_estimates", "performance_profile", "probability_of_improvement", "pairwise"]


def with_scores(scores, **kw):
    """The scores argument of each function, with the others valid."""
    return [
        ("scores", lambda: pb.interval_estimates(scores, "mean", reps=10, seed=0, **kw)),
        ("scores", lambda: pb.performance_profile(scores, [0.5], reps=10, seed=0, **kw)),
    ]


# ---------------------------------------------------------------- scores

BAD_SHAPES = {
    "empty 2-D rows": np.empty((0, 4)),
    "empty 2-D tasks": np.empty((3, 0)),
    "empty 3-D": np.empty((3, 4, 0)),
    "empty list": [],
    "1-D": np.ones(5),
    "0-D": np.float64(1.0),
    "4-D": np.ones((2, 2, 2, 2)),
}


@pytest.mark.parametrize("scores", list(BAD_SHAPES.values()), ids=list(BAD_SHAPES))
def test_bad_shapes(scores):
    for name, call in with_scores(scores):
        with pytest.raises(ValueError, match=name):
            call()


@pytest.mark.parametrize("bad", [np.ones(4), np.ones((2, 4, 2)), np.empty((0, 4))], ids=["1-D", "3-D", "empty"])
def test_bad_shapes_improvement(bad):
    with pytest.raises(ValueError, match="^x"):
        pb.probability_of_improvement(bad, OTHER, reps=10, seed=0)
    with pytest.raises(ValueError, match="^y"):
        pb.probability_of_improvement(GOOD, bad, reps=10, seed=0)
    with pytest.raises(ValueError, match=r"scores\['b'\]"):
        pb.pairwise_probability_of_improvement({"a": GOOD, "b": bad}, reps=10, seed=0)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_refused_by_default(value):
    x = GOOD.copy()
    x[1, 2] = value
    for name, call in with_scores(x):
        with pytest.raises(ValueError, match=f"^{name} contains NaN or infinite"):
            call()
    with pytest.raises(ValueError, match="^x contains NaN"):
        pb.probability_of_improvement(x, OTHER, reps=10, seed=0)
    with pytest.raises(ValueError, match="^y contains NaN"):
        pb.probability_of_improvement(OTHER, x, reps=10, seed=0)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_inf_refused_with_omit(value):
    x = GOOD.copy()
    x[1, 2] = value
    for name, call in with_scores(x, nan_policy="omit"):
        with pytest.raises(ValueError, match=f"^{name} contains infinite"):
            call()
    with pytest.raises(ValueError, match="^x contains infinite"):
        pb.probability_of_improvement(x, OTHER, reps=10, seed=0, nan_policy="omit")


def test_all_nan_task_with_omit():
    x = GOOD.copy()
    x[:, 2] = np.nan
    for name, call in with_scores(x, nan_policy="omit"):
        with pytest.raises(ValueError, match=f"{name}.*task 2 has no valid"):
            call()
    x3 = np.ones((4, 3, 2))
    x3[:, 1, 1] = np.nan  # one frame only
    with pytest.raises(ValueError, match="scores.*task 1 has no valid"):
        pb.interval_estimates(x3, "mean", reps=10, seed=0, nan_policy="omit")
    with pytest.raises(ValueError, match="scores.*task 2"):
        pb.pairwise_probability_of_improvement({"a": GOOD, "b": x}, reps=10, seed=0, nan_policy="omit")


def test_all_nan_task_in_improvement_names_x():
    x = GOOD.copy()
    x[:, 2] = np.nan
    with pytest.raises(ValueError, match="^x"):
        pb.probability_of_improvement(x, OTHER, reps=10, seed=0, nan_policy="omit")


@pytest.mark.parametrize(
    "scores",
    [
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object),
        np.ones((2, 3), dtype=np.complex128),
        [["1", "2"], ["3", "4"]],
        np.array([[b"x", b"y"]]),
    ],
    ids=["str", "object", "complex", "str-list", "bytes"],
)
def test_non_real_dtypes(scores):
    for name, call in with_scores(scores):
        with pytest.raises(TypeError, match=f"^{name} must hold real numbers"):
            call()
    with pytest.raises(TypeError, match="^x must hold real numbers"):
        pb.probability_of_improvement(scores, OTHER, reps=10, seed=0)


@pytest.mark.parametrize(
    "scores",
    [
        [[1.0, 2.0], [3.0]],
        [[1.0], [2.0, 3.0], [4.0]],
        [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0]]],
        [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0]]],
    ],
    ids=["2-D", "2-D middle", "3-D inner", "3-D outer"],
)
def test_ragged_lists(scores):
    for name, call in with_scores(scores):
        with pytest.raises(ValueError, match=f"^{name}.*(ragged|rectangular)"):
            call()


@pytest.mark.parametrize("policy", ["ignore", "propagate", None, "OMIT"])
def test_bad_nan_policy(policy):
    for call in ALL_CALLS:
        with pytest.raises(ValueError, match="^nan_policy"):
            call(nan_policy=policy)


# ---------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    "metrics, error",
    [
        ("iqr", ValueError),
        ("trimmed", ValueError),
        (["mean", "nope"], ValueError),
        ([], ValueError),
        (None, TypeError),
        (5, TypeError),
        ([5], TypeError),
        ([("mean", 1, 2)], ValueError),
        ([(1, 0.1)], ValueError),
        ("trimmed_mean", ValueError),  # needs a proportion
        (("trimmed_mean", 0.5), ValueError),
        (("trimmed_mean", 0.75), ValueError),
        (("trimmed_mean", 1), ValueError),
        (("trimmed_mean", -0.1), ValueError),
        (("trimmed_mean", float("nan")), ValueError),
        (("trimmed_mean", float("inf")), ValueError),
        (("trimmed_mean", True), ValueError),
        (("trimmed_mean", "0.1"), ValueError),
        (("iqm", 0.3), ValueError),
        (("mean", 1.0), ValueError),
        (("median", 2), ValueError),
        (("optimality_gap", float("nan")), ValueError),
        (("optimality_gap", float("-inf")), ValueError),
    ],
)
def test_bad_metrics(metrics, error):
    with pytest.raises(error, match="^metrics"):
        pb.interval_estimates(GOOD, metrics, reps=10, seed=0)


def test_callable_with_wrong_shape():
    with pytest.raises(ValueError, match="^metrics: callable 'two'"):

        def two(d):
            return np.ones(2)

        pb.interval_estimates(GOOD, two, reps=10, seed=0)
    with pytest.raises(ValueError, match="^metrics: callable 'scalar'"):

        def scalar(d):
            return d.mean()

        pb.interval_estimates(np.ones((3, 4, 2)), scalar, reps=10, seed=0)


def test_batched_callable_with_wrong_shape():
    @pb.batched
    def constant(block):
        return 1.0

    with pytest.raises(ValueError, match="metrics"):
        pb.interval_estimates(GOOD, constant, reps=10, seed=0)


# ---------------------------------------------------------------- reps, confidence, method


@pytest.mark.parametrize(
    "reps, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (-(2**70), ValueError),
        (10**12, ValueError),  # 7 TiB of replicates
        (2**80, ValueError),
        (1.0, TypeError),
        (100.5, TypeError),
        (1e12, TypeError),
        (True, TypeError),
        (np.bool_(True), TypeError),
        ("100", TypeError),
        (None, TypeError),
    ],
)
@pytest.mark.parametrize("call", ALL_CALLS, ids=ids)
def test_bad_reps(call, reps, error):
    with pytest.raises(error, match="^reps"):
        call(reps=reps)


@pytest.mark.parametrize(
    "confidence, error",
    [
        (0, ValueError),
        (1, ValueError),
        (0.0, ValueError),
        (1.0, ValueError),
        (1.5, ValueError),
        (-0.5, ValueError),
        (95, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("0.95", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
@pytest.mark.parametrize("call", ALL_CALLS, ids=ids)
def test_bad_confidence(call, confidence, error):
    with pytest.raises(error, match="^confidence"):
        call(confidence=confidence)


@pytest.mark.parametrize("method", ["unknown", "BCa", "studentized", "norm", "", None, ["bca"]])
@pytest.mark.parametrize("call", ALL_CALLS, ids=ids)
def test_bad_method(call, method):
    with pytest.raises(ValueError, match="^method"):
        call(method=method)


@pytest.mark.parametrize("call", [call_improvement, call_pairwise], ids=ids[2:])
def test_bca_refused_for_improvement(call):
    with pytest.raises(ValueError, match="^method='bca'"):
        call(method="bca")


def test_bca_needs_two_runs_per_task():
    with pytest.raises(ValueError, match="BCa"):
        pb.interval_estimates(GOOD[:1], "mean", reps=10, seed=0, method="bca")
    x = GOOD.copy()
    x[1:, 3] = np.nan  # task 3 has one valid run
    with pytest.raises(ValueError, match="task 3.*BCa"):
        pb.interval_estimates(x, "iqm", reps=10, seed=0, method="bca", nan_policy="omit")


# ---------------------------------------------------------------- seed and n_threads


@pytest.mark.parametrize(
    "seed, error",
    [
        (-1, ValueError),
        (2**64, ValueError),
        (2**70, ValueError),
        (1.0, TypeError),
        (1.5, TypeError),
        ("1", TypeError),
        (True, TypeError),
        ([1, 2], TypeError),
    ],
)
@pytest.mark.parametrize("call", ALL_CALLS, ids=ids)
def test_bad_seed(call, seed, error):
    with pytest.raises(error, match="^seed"):
        call(seed=seed)


@pytest.mark.parametrize(
    "n_threads, error",
    [
        (0, ValueError),
        (-1000, ValueError),
        (-(2**40), ValueError),
        (1.0, TypeError),
        (2.5, TypeError),
        (True, TypeError),
        ("2", TypeError),
    ],
)
@pytest.mark.parametrize("call", ALL_CALLS, ids=ids)
def test_bad_n_threads(call, n_threads, error):
    with pytest.raises(error, match="^n_threads"):
        call(n_threads=n_threads)


def test_huge_n_threads():
    try:
        est = call_estimates(n_threads=2**40)  # capping to the usable cores is fine too
    except (ValueError, TypeError) as error:
        assert str(error).startswith("n_threads"), str(error)[:80]
    else:
        assert est.point.shape == (1,)


def test_valid_edge_arguments_are_accepted():
    # the boundaries of the valid ranges, and numpy scalars
    call_estimates(seed=2**64 - 1, reps=np.int64(3), confidence=np.float32(0.5), n_threads=-1)
    call_estimates(seed=np.uint64(2**64 - 1), reps=1, n_threads=np.int32(3))
    call_improvement(seed=0, reps=1, n_threads=1)
    pb.interval_estimates(GOOD, ("trimmed_mean", 0.0), reps=2, seed=0)
    pb.interval_estimates(GOOD, ("trimmed_mean", 0.49), reps=2, seed=0)
    with pytest.warns(pb.ScoreScaleWarning, match="gamma=-3"):
        pb.interval_estimates(GOOD, ("optimality_gap", -3), reps=2, seed=0)


# ---------------------------------------------------------------- performance profiles


@pytest.mark.parametrize(
    "taus, error",
    [
        ([], ValueError),
        (np.empty(0), ValueError),
        ([0.5, np.nan], ValueError),
        ([np.inf], ValueError),
        ([[0.5, 1.0]], ValueError),
        (np.ones((2, 2)), ValueError),
        (["a", "b"], TypeError),
        (np.array([0.5, None], dtype=object), TypeError),
    ],
)
def test_bad_taus(taus, error):
    with pytest.raises(error, match="^taus"):
        pb.performance_profile(GOOD, taus, reps=10, seed=0)


def test_scalar_tau_is_refused():
    # taus is a 1-D array of thresholds (rliable's tau_list); a bare number is an error
    with pytest.raises(ValueError, match="taus must be a non-empty 1-D array"):
        pb.performance_profile(GOOD, 0.5, reps=10, seed=0)
    assert pb.performance_profile(GOOD, [0.5], reps=10, seed=0).point.shape == (1,)


def test_task_bootstrap_must_be_a_flag():
    with pytest.raises(TypeError, match="task_bootstrap"):
        pb.interval_estimates(GOOD, "mean", reps=10, seed=0, task_bootstrap="no")


def test_time_scores_refused():
    with pytest.raises(TypeError, match="scores must hold real numbers"):
        pb.interval_estimates(np.ones((3, 2), dtype="timedelta64[s]"), "mean", reps=10, seed=0)


@pytest.mark.filterwarnings("ignore:Casting complex values")
def test_complex_taus_refused():
    with pytest.raises(TypeError, match="^taus"):
        pb.performance_profile(GOOD, [1 + 2j], reps=10, seed=0)


@pytest.mark.parametrize("kind", ["score", "task", "RUNS", None, ""])
def test_bad_profile_kind(kind):
    with pytest.raises(ValueError, match="^kind"):
        pb.performance_profile(GOOD, [0.5], kind=kind, reps=10, seed=0)


# ---------------------------------------------------------------- probability of improvement


def test_mismatched_task_counts():
    with pytest.raises(ValueError, match="number of tasks"):
        pb.probability_of_improvement(GOOD, OTHER[:, :3], reps=10, seed=0)
    with pytest.raises(ValueError, match="number of tasks"):
        pb.pairwise_probability_of_improvement({"a": GOOD, "b": OTHER, "c": GOOD[:, :2]}, reps=10, seed=0)


@pytest.mark.parametrize(
    "scores", [{"a": GOOD}, {}, [GOOD, OTHER], GOOD, None], ids=["one", "empty", "list", "array", "None"]
)
def test_pairwise_needs_a_dict_of_two(scores):
    with pytest.raises(ValueError, match="^scores must be a dict"):
        pb.pairwise_probability_of_improvement(scores, reps=10, seed=0)
