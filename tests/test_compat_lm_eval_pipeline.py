"""lm-eval's own aggregation pipeline (per-task aggregation, standard errors,
group aggregation) with precipice installed: the behaviour lm-eval's tests
(test_metrics, test_evaluator_utils, test_aggregation_pipeline, test_group) check,
rewritten here, run on lm-eval itself with ``precipice.compat.lm_eval.install()``
in effect; and the standard errors it reports are precipice's, within Monte Carlo
error of lm-eval's own, and never "N/A" where lm-eval has a number.

Skipped where lm-eval is not installed."""

import math
import sys

import numpy as np
import pytest
from precipice.compat import lm_eval as pl

lm = pytest.importorskip("lm_eval.api.metrics")
evaluator_utils = pytest.importorskip("lm_eval.evaluator_utils")
group_api = pytest.importorskip("lm_eval.api.group")
task_api = pytest.importorskip("lm_eval.api.task")
if not all(hasattr(evaluator_utils, name) for name in ("_compute_task_aggregations", "_process_results")):
    pytest.skip("this lm-eval has no _compute_task_aggregations/_process_results (0.4.13 has)", allow_module_level=True)


@pytest.fixture
def installed():
    pl.install()
    yield
    pl.uninstall()


@pytest.fixture(autouse=True)
def single_process(monkeypatch):
    # lm-eval's own bootstrap (the reference here) in one process, no pool
    monkeypatch.setenv("DISABLE_MULTIPROC", "1")


class FakeTask(task_api.Task):
    """The least a Task needs for the aggregation pipeline: its aggregations and
    how many documents it has."""

    VERSION = 0

    def __init__(self, name, aggregations, n_docs=10):
        self._name, self._aggregations, self._n_docs = name, aggregations, n_docs

    @property
    def task_name(self):
        return self._name

    def aggregation(self):
        return dict(self._aggregations)

    def higher_is_better(self):
        return {metric: True for metric in self._aggregations}

    def dump_config(self):
        return {"task_alias": self._name}

    @property
    def eval_docs(self):
        return [{}] * self._n_docs

    def has_training_docs(self):
        return False

    def has_validation_docs(self):
        return False

    def has_test_docs(self):
        return True

    def test_docs(self):
        return self.eval_docs

    def doc_to_text(self, doc):
        return ""

    def doc_to_target(self, doc):
        return ""

    def construct_requests(self, doc, ctx, **kwargs):
        return []

    def process_results(self, doc, results):
        return {}


def accumulator(task, raw):
    return {"task": task, "raw_metrics": raw, "logged_samples": []}


REFS = ["the cat sat on the mat", "a quick brown fox jumps", "hello world this is it", "to be or not to be"]
HYPS = ["the cat sat on a mat", "quick brown fox jumped", "", "to be or not to be that is"]


def raw_metrics(n=120, seed=0):
    """Per-document values of every kind of aggregation lm-eval registers."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.75, gold, 1 - gold)
    g3 = rng.integers(0, 3, n)
    p3 = np.where(rng.random(n) < 0.6, g3, rng.integers(0, 3, n))
    loglik = -rng.gamma(2.0, 1.0, n)
    scores = rng.random(n)
    scores[::17] = np.nan
    texts = [(REFS[i % 4], HYPS[(i * 3 + 1) % 4]) for i in range(40)]
    probs = rng.dirichlet(np.ones(3), n)
    return {
        ("acc", "none"): (rng.random(n) < 0.6).astype(float).tolist(),
        ("f1", "none"): list(zip(gold.tolist(), pred.tolist())),
        ("mcc", "none"): list(zip(g3.tolist(), p3.tolist())),
        ("median_score", "none"): rng.normal(0, 1, n).round(2).tolist(),
        ("perplexity", "none"): loglik.tolist(),
        ("nan_score", "none"): scores.tolist(),
        ("bleu", "none"): texts,
        ("chrf", "none"): texts,
        ("ter", "none"): texts,
        ("word_perplexity", "none"): list(zip(loglik.tolist(), rng.integers(3, 30, n).tolist())),
        ("brier_score", "none"): list(zip(g3.tolist(), probs.tolist())),
    }


AGGREGATIONS = {
    "acc": lm.mean,
    "f1": lm.f1_score,
    "mcc": lm.matthews_corrcoef,
    "median_score": lm.median,
    "perplexity": lm.perplexity,
    "nan_score": lm.nanmean,
    "bleu": lm.bleu,
    "chrf": lm.chrf,
    "ter": lm.ter,
    "word_perplexity": lm.weighted_perplexity,
    "brier_score": lm.brier_score,
}
NO_STDERR_IN_LM_EVAL = {"word_perplexity", "brier_score"}
CAPPED = {"bleu", "chrf", "ter"}  # lm-eval bootstraps these 100 times at most
# scikit-learn's f1 and mcc cost lm-eval about 10 ms a replicate: their
# bootstrap is compared with lm-eval's in test_compat_lm_eval.py, at fewer replicates.
SLOW_IN_LM_EVAL = {"f1", "mcc"}


def aggregate(raw, iters, skip=()):
    task = FakeTask("t", {m: f for m, f in AGGREGATIONS.items() if m not in skip}, n_docs=120)
    return evaluator_utils._compute_task_aggregations(task, raw, bootstrap_iters=iters)[0]


def test_install_reaches_every_place_lm_eval_looks(installed):
    for name in (
        "bootstrap_stderr",
        "stderr_for_metric",
        "mean_stderr",
        "pooled_sample_stderr",
        "unweighted_mean_stderr",
        "combined_sample_stderr",
    ):
        assert getattr(lm, name) is getattr(pl, name), name
    assert evaluator_utils.stderr_for_metric is pl.stderr_for_metric
    pl.install()  # idempotent
    pl.uninstall()
    assert lm.stderr_for_metric.__module__ == "lm_eval.api.metrics"
    assert evaluator_utils.stderr_for_metric is lm.stderr_for_metric
    pl.install()


def test_task_stderrs_are_precipices_and_agree_with_lm_evals():
    raw = raw_metrics()
    theirs = aggregate({key: v for key, v in raw.items() if key[0] not in SLOW_IN_LM_EVAL}, 1000, skip=SLOW_IN_LM_EVAL)
    pl.install()
    try:
        ours = aggregate(raw, 1000)
    finally:
        pl.uninstall()
    for metric, f in AGGREGATIONS.items():
        key = f"{metric}_stderr,none"
        if metric in NO_STDERR_IN_LM_EVAL:
            assert ours[key] == theirs[key] == "N/A"
            continue
        assert isinstance(ours[key], float), metric
        # what the pipeline reported is precipice's bootstrap (seed 0) of these items
        iters = 100 if metric in CAPPED else 1000
        assert ours[key] == pl.stderr_for_metric(f, iters)(raw[(metric, "none")]), metric
        if metric in SLOW_IN_LM_EVAL:
            continue
        assert ours[f"{metric},none"] == theirs[f"{metric},none"]  # point estimates stay lm-eval's
        assert isinstance(theirs[key], float), metric
        if metric == "acc":
            assert ours[key] == pytest.approx(theirs[key], rel=1e-12)  # the closed form
        else:
            # sd of 1000 bootstrap replicates: about 2.2% Monte Carlo error each (7% at 100)
            assert ours[key] == pytest.approx(theirs[key], rel=0.35 if metric in CAPPED else 0.12), metric


def test_no_stderr_without_bootstrap_iters_or_with_one_document(installed):
    raw = {("acc", "none"): [1.0, 0.0, 1.0]}
    task = FakeTask("t", {"acc": lm.mean}, n_docs=3)
    for iters in (0, None, -1):
        metrics, _ = evaluator_utils._compute_task_aggregations(task, raw, bootstrap_iters=iters)
        assert metrics["acc_stderr,none"] == "N/A"
    metrics, count = evaluator_utils._compute_task_aggregations(task, raw, bootstrap_iters=100)
    assert metrics["acc_stderr,none"] == pytest.approx(pl.mean_stderr([1.0, 0.0, 1.0])) and count == 3
    single, _ = evaluator_utils._compute_task_aggregations(task, {("acc", "none"): [1.0]}, bootstrap_iters=100)
    assert single["acc_stderr,none"] == "N/A"


def test_a_metric_without_aggregation_is_averaged(installed):
    task = FakeTask("t", {}, n_docs=4)
    metrics, _ = evaluator_utils._compute_task_aggregations(
        task, {("score", "none"): [1.0, 2.0, 3.0, 6.0]}, bootstrap_iters=10
    )
    assert metrics["score,none"] == 3.0
    assert metrics["score_stderr,none"] == pytest.approx(pl.mean_stderr([1.0, 2.0, 3.0, 6.0]))


def test_custom_aggregation_of_a_dict_valued_metric(installed):
    task = FakeTask("t", {"pass@1": sum}, n_docs=3)
    metrics, _ = evaluator_utils._compute_task_aggregations(
        task, {("pass@1", "none"): [1.0, 1.0, 0.5]}, bootstrap_iters=0
    )
    assert metrics["pass@1,none"] == 2.5


def test_text_metrics_bootstrap_at_most_100_times(installed, monkeypatch):
    seen = []
    monkeypatch.setattr(
        evaluator_utils,
        "stderr_for_metric",
        lambda metric, bootstrap_iters: seen.append(bootstrap_iters) or pl.stderr_for_metric(metric, bootstrap_iters),
    )
    task = FakeTask("t", {"bleu": lm.bleu}, n_docs=8)
    metrics, _ = evaluator_utils._compute_task_aggregations(
        task, {("bleu", "none"): list(zip(REFS, HYPS)) * 2}, bootstrap_iters=5000
    )
    assert seen == [100] and isinstance(metrics["bleu_stderr,none"], float)


def group_of(*tasks, weight_by_size=True, metric="acc"):
    group = group_api.Group(
        name="g", aggregate_metric_list=[group_api.AggMetricConfig(metric=metric, weight_by_size=weight_by_size)]
    )
    for task in tasks:
        group.add(task)
    return group


def two_tasks():
    rng = np.random.default_rng(2)
    a, b = (rng.random(40) < 0.7).astype(float).tolist(), (rng.random(160) < 0.4).astype(float).tolist()
    tasks = FakeTask("t1", {"acc": lm.mean}, n_docs=40), FakeTask("t2", {"acc": lm.mean}, n_docs=160)
    accs = {"t1": accumulator(tasks[0], {("acc", "none"): a}), "t2": accumulator(tasks[1], {("acc", "none"): b})}
    return tasks, accs, a, b


@pytest.mark.parametrize("weight_by_size", [True, False])
def test_group_scores_and_stderrs(installed, weight_by_size):
    tasks, accs, a, b = two_tasks()
    result = evaluator_utils._process_results(
        accs, groups={"g": group_of(*tasks, weight_by_size=weight_by_size)}, bootstrap_iters=100
    )
    g = result.metrics["g"]
    se = [pl.mean_stderr(a), pl.mean_stderr(b)]
    assert result.metrics["t1"]["acc_stderr,none"] == se[0]
    if weight_by_size:
        assert g["acc,none"] == pytest.approx((sum(a) + sum(b)) / 200)
        assert g["acc_stderr,none"] == pytest.approx(pl.pooled_sample_stderr(se, [40, 160]))
    else:
        assert g["acc,none"] == pytest.approx((np.mean(a) + np.mean(b)) / 2)
        assert g["acc_stderr,none"] == pytest.approx(math.hypot(*se) / 2)
    assert g["sample_len"] == 200


def test_group_stderr_is_na_when_a_task_has_none(installed):
    tasks, accs, _, _ = two_tasks()
    accs["t2"]["raw_metrics"] = {("acc", "none"): [1.0]}
    result = evaluator_utils._process_results(accs, groups={"g": group_of(*tasks)}, bootstrap_iters=100)
    assert result.metrics["t2"]["acc_stderr,none"] == "N/A"
    assert result.metrics["g"]["acc_stderr,none"] == "N/A"
    assert isinstance(result.metrics["t1"]["acc_stderr,none"], float)


def test_nested_groups(installed):
    tasks, accs, a, b = two_tasks()
    child = group_of(tasks[1])
    child.name = "child"
    parent = group_api.Group(name="parent", aggregate_metric_list=[group_api.AggMetricConfig(metric="acc")])
    parent.add(tasks[0])
    parent.add(child)
    result = evaluator_utils._process_results(accs, groups={"parent": parent, "child": child}, bootstrap_iters=100)
    assert result.metrics["parent"]["acc,none"] == pytest.approx((sum(a) + sum(b)) / 200)
    assert result.metrics["parent"]["acc_stderr,none"] == pytest.approx(
        pl.pooled_sample_stderr([pl.mean_stderr(a), pl.mean_stderr(b)], [40, 160])
    )


def test_group_aggregation_with_this_module_in_place_of_lm_evals(monkeypatch):
    """A module swap: group.py imports its helpers from whatever module is
    ``lm_eval.api.metrics``; with this one there, the group results are the same."""
    tasks, accs, _, _ = two_tasks()
    reference = evaluator_utils._process_results(accs, groups={"g": group_of(*tasks)}, bootstrap_iters=100)
    monkeypatch.setitem(sys.modules, "lm_eval.api.metrics", pl)
    monkeypatch.setattr(evaluator_utils, "stderr_for_metric", pl.stderr_for_metric)
    monkeypatch.setattr(evaluator_utils, "mean", pl.mean)
    tasks, accs, _, _ = two_tasks()
    swapped = evaluator_utils._process_results(accs, groups={"g": group_of(*tasks)}, bootstrap_iters=100)
    for key in ("acc,none", "acc_stderr,none"):
        assert swapped.metrics["g"][key] == pytest.approx(reference.metrics["g"][key], rel=1e-12)
