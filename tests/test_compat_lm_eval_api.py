"""precipice.compat.lm_eval as a stand-in for lm-eval 0.4.13's lm_eval.api.metrics:
every public function with its signature and semantics, and stderr dispatch that
only gives lm-eval's function objects a native path when they compute what it
computes. The values are checked against lm-eval itself where it is installed."""

import importlib.metadata
import inspect
import math
import random

import numpy as np
import pytest
from precipice.compat import lm_eval as pl

# The public functions of lm_eval/api/metrics.py in lm-eval 0.4.13, with their
# parameters (annotations left out), read from its source.
LM_EVAL_0_4_13 = {
    "acc_all": "(items)",
    "acc_all_stderr": "(items)",
    "acc_bytes_fn": "(items)",
    "acc_fn": "(items)",
    "acc_mutual_info_fn": "(items)",
    "acc_norm_fn": "(items)",
    "aggregate_subtask_metrics": "(metrics, sizes, weight_by_size=True)",
    "bits_per_byte": "(items)",
    "bits_per_byte_fn": "(items)",
    "bleu": "(items)",
    "bleu_fn": "(items)",
    "bootstrap_stderr": "(f, xs, iters)",
    "brier_score": "(items)",
    "brier_score_fn": "(items)",
    "bypass": "(items)",
    "bypass_agg": "(arr)",
    "byte_perplexity_fn": "(items)",
    "chrf": "(items)",
    "chrf_fn": "(items)",
    "chrfpp": "(items)",
    "chrfpp_fn": "(items)",
    "combined_sample_stderr": "(stderrs, sizes, metrics=None)",
    "exact_match_fn": "(**kwargs)",
    "exact_match_hf_evaluate": "(predictions, references, regexes_to_ignore=None, ignore_case=False, "
    "ignore_punctuation=False, ignore_numbers=False)",
    "f1_fn": "(items)",
    "f1_score": "(items)",
    "is_non_str_iterable": "(obj)",
    "likelihood_fn": "(items)",
    "matthews_corrcoef": "(items)",
    "mcc_fn": "(items)",
    "mean": "(arr)",
    "mean_stderr": "(arr)",
    "median": "(arr)",
    "metric_max_over_ground_truths": "(metric_fn, prediction, ground_truths)",
    "nanmean": "(arr)",
    "perplexity": "(items)",
    "perplexity_fn": "(items)",
    "pooled_sample_stderr": "(stderrs, sizes)",
    "pop_stddev": "(arr)",
    "sample_stddev": "(arr)",
    "stderr_for_metric": "(metric, bootstrap_iters)",
    "ter": "(items)",
    "ter_fn": "(items)",
    "unweighted_mean_stderr": "(stderrs)",
    "weighted_mean": "(items)",
    "weighted_perplexity": "(items)",
    "word_perplexity_fn": "(items)",
}
# precipice's additions: keyword-only, with defaults, so every lm-eval call is valid.
EXTRA_KEYWORDS = {"bootstrap_stderr": {"seed": 0, "n_threads": None}}


def plain_signature(f, drop=()) -> str:
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(f).parameters.values()
        if p.name not in drop
    ]
    return str(inspect.Signature(params))


def lm_metrics():
    return pytest.importorskip("lm_eval.api.metrics")


def public_functions(module):
    return {
        name
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
    }


@pytest.mark.parametrize("name", sorted(LM_EVAL_0_4_13))
def test_every_lm_eval_function_is_here_with_its_signature(name):
    ours = getattr(pl, name)
    assert plain_signature(ours, EXTRA_KEYWORDS.get(name, ())) == LM_EVAL_0_4_13[name]
    for extra, default in EXTRA_KEYWORDS.get(name, {}).items():
        param = inspect.signature(ours).parameters[extra]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default == default
    assert ours.__doc__, name


def test_the_list_is_lm_evals_own():
    m = lm_metrics()
    version = importlib.metadata.version("lm_eval")
    if version != "0.4.13":
        assert public_functions(m) - set(LM_EVAL_0_4_13) <= public_functions(pl)
        pytest.skip(f"lm-eval {version}: the 0.4.13 list is checked against 0.4.13 only")
    assert public_functions(m) == set(LM_EVAL_0_4_13)
    for name in LM_EVAL_0_4_13:
        assert plain_signature(getattr(m, name)) == LM_EVAL_0_4_13[name]


def test_passthrough_metrics_and_bypass():
    items = [(0, [0.7, 0.3]), (1, [0.2, 0.8])]
    for name in (
        "acc_fn",
        "acc_norm_fn",
        "acc_mutual_info_fn",
        "acc_bytes_fn",
        "likelihood_fn",
        "brier_score_fn",
        "perplexity_fn",
        "word_perplexity_fn",
        "byte_perplexity_fn",
        "bits_per_byte_fn",
        "mcc_fn",
        "f1_fn",
        "bleu_fn",
        "chrf_fn",
        "chrfpp_fn",
        "ter_fn",
    ):
        assert getattr(pl, name)(items) is items
    assert pl.bypass(items) is None
    assert pl.bypass_agg([1.0, 2.0]) == 999


def test_small_aggregations_by_hand():
    # (0.7-1)^2 + 0.3^2 = 0.18, 0.2^2 + (0.8-1)^2 = 0.08
    assert pl.brier_score([(0, [0.7, 0.3]), (1, [0.2, 0.8])]) == pytest.approx(0.13)
    assert pl.pop_stddev([1.0, 3.0]) == 1.0
    assert pl.sample_stddev([1.0, 3.0]) == pytest.approx(math.sqrt(2))
    assert pl.unweighted_mean_stderr([0.3, 0.4]) == pytest.approx(0.25)
    assert pl.aggregate_subtask_metrics([0.5, 1.0], [1, 3]) == 0.875
    assert pl.aggregate_subtask_metrics([0.5, 1.0], [1, 3], weight_by_size=False) == 0.75
    assert pl.metric_max_over_ground_truths(lambda p, t: -abs(p - t), 3, [10, 4, -2]) == -1
    assert pl.is_non_str_iterable(["a"]) and pl.is_non_str_iterable(("a",)) and not pl.is_non_str_iterable("a")
    em = pl.exact_match_hf_evaluate(
        ["The Cat!", "dog 42", "x"],
        ["the cat", "dog", "y"],
        ignore_case=True,
        ignore_punctuation=True,
        ignore_numbers=True,
    )
    assert em == {"exact_match": pytest.approx(1 / 3)}  # "dog " != "dog": only what is asked is dropped
    assert pl.exact_match_fn(predictions=["ab1"], references=["b"], regexes_to_ignore=["a", r"\d"]) == {
        "exact_match": 1.0
    }
    with pytest.raises(ValueError, match="same length"):
        pl.exact_match_hf_evaluate(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="arr"):
        pl.sample_stddev([1.0])


def multirc_items():
    """(prediction, doc) items of two paragraphs; question 0 is asked in both."""
    docs = [(0, 0, 1, True), (0, 0, 0, False), (0, 1, 1, False), (1, 0, 1, True), (1, 2, 0, False), (1, 2, 1, True)]
    return [(pred, {"idx": {"paragraph": p, "question": q}, "label": label}) for p, q, label, pred in docs]


def test_acc_all_keys_questions_as_lm_eval_does():
    items = multirc_items()
    # (paragraph, question): (0,0) right, (0,1) wrong, (1,0) right, (1,2) right
    assert pl.acc_all(items) == 0.75
    # by question alone: 0 right (both paragraphs), 1 wrong, 2 right
    assert pl.acc_all_stderr(items) == pytest.approx(pl.mean_stderr([1, 0, 1]))
    assert pl.stderr_for_metric(pl.acc_all, 10) is pl.acc_all_stderr


def test_every_function_computes_what_lm_evals_computes():
    m = lm_metrics()
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(4)
    scores = rng.random(30).tolist()
    probabilities = rng.dirichlet(np.ones(3), 20)
    brier_items = list(zip(rng.integers(0, 3, 20).tolist(), probabilities.tolist()))
    assert pl.brier_score(brier_items) == pytest.approx(m.brier_score(brier_items), rel=1e-14)
    for name in ("pop_stddev", "sample_stddev", "mean_stderr"):
        assert getattr(pl, name)(scores) == pytest.approx(getattr(m, name)(scores), rel=1e-13), name
    assert pl.acc_all(multirc_items()) == m.acc_all(multirc_items())
    assert pl.acc_all_stderr(multirc_items()) == pytest.approx(m.acc_all_stderr(multirc_items()), rel=1e-14)
    for args in ((["0.5 cats", "Hello, World"], ["0.5 cats", "hello world"]), (["a1", "b"], ["a", "B"])):
        for flags in (
            {},
            {"ignore_case": True},
            {"ignore_punctuation": True, "ignore_case": True},
            {"ignore_numbers": True},
            {"regexes_to_ignore": [r"\s", ","]},
        ):
            assert pl.exact_match_hf_evaluate(*args, **flags) == m.exact_match_hf_evaluate(*args, **flags)
    subtasks = ([0.61, 0.7, 0.42], [120, 30, 400], [0.02, 0.05, 0.01])
    for weight_by_size in (True, False):
        assert pl.aggregate_subtask_metrics(*subtasks[:2], weight_by_size) == m.aggregate_subtask_metrics(
            *subtasks[:2], weight_by_size
        )
    assert pl.unweighted_mean_stderr(subtasks[2]) == pytest.approx(m.unweighted_mean_stderr(subtasks[2]))
    assert pl.metric_max_over_ground_truths(min, 3, [1, 5]) == m.metric_max_over_ground_truths(min, 3, [1, 5])
    assert pl.bypass_agg(scores) == m.bypass_agg(scores)
    for obj in ("ab", ["ab"], ("a",), 3, {"a": 1}):
        assert pl.is_non_str_iterable(obj) == m.is_non_str_iterable(obj)


def test_stderr_dispatch_is_lm_evals_for_every_registered_aggregation():
    m = lm_metrics()
    registry = pytest.importorskip("lm_eval.api.registry")
    names = sorted(registry.AGGREGATION_REGISTRY.keys())
    assert {"mean", "median", "f1", "bleu", "chrf++", "brier_score", "bypass"} <= set(names)
    for name in names:
        f = registry.get_aggregation(name)
        theirs, ours = m.stderr_for_metric(f, 100), pl.stderr_for_metric(f, 100)
        assert (theirs is None) == (ours is None), name
        # ours is a standard error computed here, never lm-eval's own function
        assert ours is None or ours.__module__ == pl.__name__, name
    assert pl.stderr_for_metric(m.mean, 100) is pl.mean_stderr
    assert pl.stderr_for_metric(m.acc_all, 100) is pl.acc_all_stderr
    assert pl.stderr_for_metric(m.weighted_perplexity, 100) is None  # lm-eval has none either


# --------------------------------------------------------------------------
# A function is taken onto a native path only if it computes what that path computes.


def unsorted_median(arr):
    """lm-eval <= 0.4.11's median: the middle element of the list as given."""
    return arr[len(arr) // 2]


def as_lm_evals(f, name):
    f.__module__, f.__qualname__ = "lm_eval.api.metrics", name
    return f


def reference_bootstrap_sd(f, xs, reps, seed):
    rnd = random.Random(seed)
    return float(np.std([f(rnd.choices(xs, k=len(xs))) for _ in range(reps)], ddof=1))


def test_an_old_lm_eval_median_is_bootstrapped_as_it_is():
    old = as_lm_evals(lambda arr: arr[len(arr) // 2], "median")
    assert pl._dispatch_name(old) == "median"  # still bootstrappable, as lm-eval says
    assert pl._kind(old) is None  # but not the sorted median's native path
    xs = list(range(101))
    ours = pl.stderr_for_metric(old, 2000)(xs)
    # the unsorted median of a resample is just one random item: sd about 29
    assert ours == pytest.approx(reference_bootstrap_sd(unsorted_median, xs, 4000, 0), rel=0.1)
    assert ours == pytest.approx(np.std(xs), rel=0.1)
    assert pl.stderr_for_metric(pl.median, 2000)(xs) < 8  # the sorted median: about 5


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("median", lambda arr: float(np.median(arr))),  # averages the two middle values
        ("f1_score", lambda items: pl.f1_score([(1 - g, 1 - p) for g, p in items])),  # F1 of label 0
        ("mean", lambda arr: sum(arr) / (len(arr) - 1)),
        ("nanmean", lambda arr: float(np.mean(np.nan_to_num(arr)))),
        ("weighted_mean", lambda items: float(np.mean([a / b for a, b in items]))),
        ("matthews_corrcoef", lambda items: 0.0),
        ("perplexity", lambda items: math.exp(-min(items))),
    ],
)
def test_a_function_that_computes_otherwise_takes_the_generic_path(name, variant):
    f = as_lm_evals(variant, name)
    assert pl._kind(f) is None
    ours = getattr(pl, name)
    assert pl._kind(as_lm_evals(lambda items: ours(items), name)) == name


def test_a_function_that_fails_on_a_probe_is_not_native():
    def broken(arr):
        raise RuntimeError("no")

    assert pl._kind(as_lm_evals(broken, "median")) is None


def test_lm_evals_own_functions_take_the_native_path():
    m = lm_metrics()
    for name in pl._PROBES:
        assert pl._kind(getattr(m, name)) == name, name
