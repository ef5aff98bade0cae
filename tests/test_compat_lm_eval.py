"""precipice.compat.lm_eval against lm-evaluation-harness (lm_eval.api.metrics),
scikit-learn and sacrebleu where they are installed: the aggregations exactly, the
bootstrap standard errors within Monte Carlo error."""

import math

import numpy as np
import pytest
from precipice.compat import lm_eval as pl


def lm_metrics():
    return pytest.importorskip("lm_eval.api.metrics")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, 120)
    pred = np.where(rng.random(120) < 0.8, gold, 1 - gold)
    g3 = rng.integers(0, 3, 120)
    p3 = np.where(rng.random(120) < 0.7, g3, rng.integers(0, 3, 120))
    return {
        "binary": list(zip(gold.tolist(), pred.tolist())),
        "three": list(zip(g3.tolist(), p3.tolist())),
        "loglik": (-rng.gamma(2.0, 1.0, 120)).tolist(),
        "scores": rng.random(120).tolist(),
        "zero_one": (rng.random(120) < 0.6).astype(float).tolist(),
    }


TEXT_REFS = [
    "the cat sat on the mat",
    "a quick brown fox jumps over",
    "hello world this is a test",
    "i like green eggs and ham",
    "the rain in spain stays mainly on the plain",
    "to be or not to be",
]
TEXT_HYPS = [
    "the cat sat on a mat",
    "quick brown fox jumped over",
    "hello world this is test",
    "",
    "rain in spain stays mainly in the plain",
    "to be or not to be that is",
]


def test_aggregations_have_lm_eval_semantics(data):
    assert pl.median([5, 1, 4, 2]) == 4  # sorted(x)[n // 2]: the upper middle, no averaging
    assert pl.median([3.0, 1.0, 2.0]) == 2.0
    assert pl.mean([1, 2, 4]) == 7 / 3
    assert math.isnan(pl.nanmean([np.nan, np.nan])) and math.isnan(pl.nanmean([]))
    assert pl.nanmean([1.0, np.nan, 3.0]) == 2.0
    assert pl.perplexity([-1.0, -3.0]) == pytest.approx(math.exp(2.0))
    assert pl.f1_score([(1, 1), (1, 0), (0, 1), (0, 0)]) == 0.5
    assert pl.f1_score([(0, 0), (0, 0)]) == 0.0
    m = lm_metrics()
    for name in ("median", "mean", "perplexity", "nanmean"):
        xs = data["loglik" if name == "perplexity" else "scores"]
        assert getattr(pl, name)(xs) == getattr(m, name)(xs)


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")  # sklearn, on one-class draws
def test_f1_and_mcc_match_scikit_learn(data):
    metrics = pytest.importorskip("sklearn.metrics")
    for items in (data["binary"], [(True, True), (False, True), (True, False)], [(1, 2), (2, 2), (1, 1)]):
        g, p = zip(*items)
        assert pl.f1_score(items) == pytest.approx(metrics.f1_score(g, p), abs=1e-15)
    for items in (data["binary"], data["three"], [("a", "b"), ("b", "b"), ("c", "a")], [(1, 1), (1, 1)]):
        g, p = zip(*items)
        assert pl.matthews_corrcoef(items) == pytest.approx(metrics.matthews_corrcoef(g, p), abs=1e-15)


def test_f1_rejects_what_scikit_learn_rejects(data):
    with pytest.raises(ValueError, match="multiclass"):
        pl.f1_score(data["three"])
    with pytest.raises(ValueError, match="pos_label"):
        pl.f1_score([(0, 2), (2, 2)])
    with pytest.raises(ValueError, match="continuous"):
        pl.f1_score([(0.5, 1), (1, 1)])
    with pytest.raises(ValueError, match="multiclass"):
        pl.bootstrap_stderr(pl.f1_score, data["three"], 100)


def test_sacrebleu_aggregations():
    sacrebleu = pytest.importorskip("sacrebleu")
    items = list(zip(TEXT_REFS, TEXT_HYPS))
    refs, hyps = [TEXT_REFS], TEXT_HYPS
    assert pl.bleu(items) == sacrebleu.corpus_bleu(hyps, refs).score
    assert pl.chrf(items) == sacrebleu.corpus_chrf(hyps, refs).score
    assert pl.chrfpp(items) == sacrebleu.corpus_chrf(hyps, refs, word_order=2).score
    assert pl.ter(items) == sacrebleu.corpus_ter(hyps, refs).score
    # several references per item, and predictions given as one-element lists
    multi = [([r, r.upper()], [h]) for r, h in items]
    assert pl.bleu(multi) == sacrebleu.corpus_bleu(hyps, [TEXT_REFS, [r.upper() for r in TEXT_REFS]]).score


@pytest.mark.parametrize("kind", ["bleu", "chrf", "chrfpp", "ter"])
def test_sacrebleu_scores_of_sums_are_sacrebleus(kind):
    pytest.importorskip("sacrebleu")
    items = list(zip(TEXT_REFS, TEXT_HYPS))
    stats, stat = pl._sacrebleu_plan(kind, items)
    metric = pl._metric_object(kind)
    # resampled corpora: random multiplicities of the sentences, including empty ones
    weights = np.random.default_rng(1).integers(0, 3, (200, stats.shape[0])).astype(float)
    weights[0] = 0
    weights[1, :] = 0
    weights[1, 3] = 2  # only the empty hypothesis
    sums = weights @ stats
    theirs = np.array([metric._compute_score_from_stats(s.tolist()).score for s in sums])
    np.testing.assert_allclose(stat(sums), theirs, rtol=1e-12, atol=1e-12)


def test_bootstrap_stderr_replicate_count_and_determinism(data):
    assert pl._replicate_count(100_000) == 100_000
    assert pl._replicate_count(1500) == 1000  # lm-eval: whole chunks of min(1000, iters)
    assert pl._replicate_count(300) == 300
    one = pl.bootstrap_stderr(pl.f1_score, data["binary"], 2000, n_threads=1)
    assert one == pl.bootstrap_stderr(pl.f1_score, data["binary"], 2000, n_threads=2)
    assert one != pl.bootstrap_stderr(pl.f1_score, data["binary"], 2000, seed=1)


def test_mean_bootstrap_matches_its_closed_form(data):
    x = np.array(data["scores"])
    se = pl.bootstrap_stderr(pl.mean, data["scores"], 20_000)
    assert se == pytest.approx(x.std() / math.sqrt(x.size), rel=0.03)
    assert pl.bootstrap_stderr(pl.nanmean, data["zero_one"], 20_000) == pytest.approx(
        np.std(data["zero_one"]) / math.sqrt(120), rel=0.03
    )


def test_native_and_generic_paths_draw_the_same_resamples(data):
    native = pl._native_replicates("mean", data["scores"], 500, 3, 1)
    generic = pl._generic_replicates(lambda xs: sum(xs) / len(xs), data["scores"], 500, 3, 1)
    np.testing.assert_allclose(native, generic, rtol=1e-12)
    # a function precipice does not know takes the generic path
    se = pl.bootstrap_stderr(lambda xs: max(xs), data["scores"], 300)
    assert se == pytest.approx(np.std(pl._generic_replicates(max, data["scores"], 300, 0, 1), ddof=1))


def test_native_medians_are_lm_evals_medians_of_the_resamples(data):
    x = np.array(data["scores"])
    values, counts = np.unique(x, return_counts=True)
    n = x.size
    from precipice import _core

    med = _core.evals.resampled_order_statistic(values, counts, n // 2, n // 2, 5, 0, 300, 1)
    idx = _core.evals.resample_indices(n, n, 5, 0, 300, 0, 1)
    np.testing.assert_array_equal(med, [pl.median(np.sort(x)[i].tolist()) for i in idx])


def test_bootstrap_stderr_matches_lm_eval(data, monkeypatch):
    m = lm_metrics()
    pytest.importorskip("sklearn")
    monkeypatch.setenv("DISABLE_MULTIPROC", "1")
    # scikit-learn's f1 and mcc cost lm-eval about 10 ms a replicate: 300 of them
    for name, key, iters in (
        ("f1_score", "binary", 300),
        ("matthews_corrcoef", "three", 300),
        ("perplexity", "loglik", 1000),
        ("median", "scores", 1000),
        ("nanmean", "scores", 1000),
    ):
        theirs = m.bootstrap_stderr(getattr(m, name), data[key], iters)
        # lm-eval's own function objects take the native path
        assert pl._kind(getattr(m, name)) == name
        ours = pl.bootstrap_stderr(getattr(m, name), data[key], 20_000)
        # B replicates estimate a standard deviation to about 1/sqrt(2B): 2.2% at 1000, 4.1% at 300
        assert ours == pytest.approx(theirs, rel=0.1 if iters == 1000 else 0.2), name


def test_bleu_bootstrap_matches_lm_eval(monkeypatch):
    m = lm_metrics()
    pytest.importorskip("sacrebleu")
    monkeypatch.setenv("DISABLE_MULTIPROC", "1")
    items = list(zip(TEXT_REFS * 5, TEXT_HYPS[::-1] * 5))
    theirs = m.bootstrap_stderr(m.bleu, items, 1000)
    ours = pl.bootstrap_stderr(m.bleu, items, 20_000)
    assert ours == pytest.approx(theirs, rel=0.1)


def test_stderr_for_metric():
    assert pl.stderr_for_metric(pl.median, 0) is None
    assert pl.stderr_for_metric(pl.mean, 100) is pl.mean_stderr
    assert pl.stderr_for_metric(len, 100) is None
    fn = pl.stderr_for_metric(pl.f1_score, 500)
    assert fn([(1, 1), (0, 1), (1, 0), (1, 1)] * 10) > 0
    m = pytest.importorskip("lm_eval.api.metrics")
    assert pl.stderr_for_metric(m.mean, 100) is pl.mean_stderr
    assert pl.stderr_for_metric(m.acc_all, 100) is pl.acc_all_stderr
    assert pl.stderr_for_metric(m.bleu, 100) is not None


def test_pooled_and_combined_stderr_match_lm_eval():
    stderrs, sizes, scores = [0.02, 0.03, 0.015], [100, 50, 400], [0.6, 0.7, 0.55]
    assert pl.mean_stderr([1.0, 2.0, 4.0]) == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1) / math.sqrt(3))
    m = pytest.importorskip("lm_eval.api.metrics")
    assert pl.pooled_sample_stderr(stderrs, sizes) == pytest.approx(m.pooled_sample_stderr(stderrs, sizes))
    assert pl.combined_sample_stderr(stderrs, sizes, scores) == pytest.approx(
        m.combined_sample_stderr(stderrs, sizes, scores)
    )
    assert pl.mean_stderr([1.0, 2.0, 4.0]) == pytest.approx(m.mean_stderr([1.0, 2.0, 4.0]))


def test_bad_input(data):
    with pytest.raises(ValueError, match="iters"):
        pl.bootstrap_stderr(pl.mean, data["scores"], 1)
    with pytest.raises(ValueError, match="empty"):
        pl.bootstrap_stderr(pl.mean, [], 100)
    with pytest.raises(TypeError, match="callable"):
        pl.bootstrap_stderr("mean", data["scores"], 100)
    with pytest.raises(TypeError, match="pairs"):
        pl.bootstrap_stderr(pl.f1_score, [1, 0, 1], 100)
    with pytest.raises(ValueError, match="same length"):
        pl.combined_sample_stderr([0.1], [10, 20], [0.5])
    with pytest.raises(ValueError, match="equal-length"):
        pl.pooled_sample_stderr([0.1, 0.2], [10])


@pytest.mark.parametrize("name", ["weighted_mean", "weighted_perplexity", "bits_per_byte"])
def test_weighted_aggregations_bootstrap_natively(name):
    rng = np.random.default_rng(3)
    items = list(zip((-rng.gamma(20.0, 1.0, 150)).tolist(), rng.integers(5, 40, 150).tolist()))
    f = getattr(pl, name)
    a, b = zip(*items)
    wm = sum(a) / sum(b)
    assert (
        f(items)
        == {"weighted_mean": wm, "weighted_perplexity": math.exp(-wm), "bits_per_byte": -wm / math.log(2)}[name]
    )
    # The native replicates are f of the same resamples the generic path draws.
    native = pl._native_replicates(name, items, 400, 7, 1)
    np.testing.assert_allclose(native, pl._generic_replicates(f, items, 400, 7, 1), rtol=1e-12)
    # Weights that are not all positive go the generic way, faithfully.
    odd = items[:-1] + [(0.0, 0)]
    assert pl._native_replicates(name, odd, 50, 7, 1) is None
    with pytest.raises(TypeError, match="pairs"):
        pl.bootstrap_stderr(f, [1.0, 2.0], 100)


def test_weighted_aggregations_match_lm_eval():
    m = lm_metrics()
    items = [(-3.5, 4), (-10.25, 9), (-0.5, 1)]
    for name in ("weighted_mean", "weighted_perplexity", "bits_per_byte"):
        assert getattr(pl, name)(items) == getattr(m, name)(items)
        assert pl._kind(getattr(m, name)) == name
