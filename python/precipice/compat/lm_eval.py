"""lm-evaluation-harness's stderr helpers and bootstrapped aggregations
(``lm_eval/api/metrics.py``, lm-eval 0.4), same signatures and semantics,
computed by precipice.

lm-eval bootstraps an aggregation by calling it on ``iters`` resampled item lists
in a pool of Python loops. Here every aggregation lm-eval bootstraps is a function
of sums of per-item statistics, and the native engine resamples those sums
directly (:mod:`precipice.evals`):

=====================  ==========================================================
aggregation            per-item statistics
=====================  ==========================================================
mean, perplexity       the score (log-likelihood)
weighted_mean,         (log-likelihood, weight: words or bytes)
weighted_perplexity,
bits_per_byte
nanmean                (score or 0, 1 if not NaN)
median                 counts over the sorted scores (``sorted(x)[n // 2]``)
f1_score               binary confusion counts (tp, fp, fn), sklearn's F1 of label 1
matthews_corrcoef      gold and predicted label counts and agreements (sklearn's MCC)
bleu, chrf, chrfpp,    sacrebleu's sentence statistics (n-gram matches, lengths,
ter                    edits), when sacrebleu is installed
=====================  ==========================================================

Items with few distinct statistics (0/1 scores, confusion cells) are resampled as
multinomial counts: a replicate costs a few exact binomial draws whatever the
number of items. lm-eval's own function objects are recognised (by module and
name) and take the same native path only if they compute what it computes, checked
once per function on small probe inputs (lm-eval <= 0.4.11's median took the
middle of the unsorted list); any other function is bootstrapped generically, one
call per replicate on resampled item lists, as lm-eval does.

Every public function of lm-eval 0.4.13's ``lm_eval.api.metrics`` is here with
its signature (``bootstrap_stderr`` adds keyword-only ``seed`` and
``n_threads``), so this module can stand in for it. :func:`install` makes a
running lm-eval compute its standard errors here::

    from precipice.compat import lm_eval
    lm_eval.install()          # then run lm-eval (simple_evaluate, the CLI's cli_evaluate) as usual

Results agree with lm-eval's within Monte Carlo error: the resamples come from
precipice's Philox streams (``seed``, default 0, so results are reproducible as
lm-eval's are), not from ``random.Random(chunk)``.
"""

from __future__ import annotations

import math
import operator
import re
import string
import sys
import warnings
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Protocol, Sequence, TypeAlias, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from .._resample import index_blocks, resampled_order_statistic, sum_replicates
from .._validation import as_int, resolve_seed, resolve_threads

if TYPE_CHECKING:
    from .._typing import SeedLike

# Numbers as lm-eval passes them (lists), or as an array.
Numbers: TypeAlias = Sequence[float] | NDArray[np.float64]
_Prediction = TypeVar("_Prediction")
_Truth = TypeVar("_Truth")
_Items = TypeVar("_Items")

__all__ = [
    "acc_all",
    "acc_all_stderr",
    "acc_bytes_fn",
    "acc_fn",
    "acc_mutual_info_fn",
    "acc_norm_fn",
    "aggregate_subtask_metrics",
    "bits_per_byte",
    "bits_per_byte_fn",
    "bleu",
    "bleu_fn",
    "bootstrap_stderr",
    "brier_score",
    "brier_score_fn",
    "bypass",
    "bypass_agg",
    "byte_perplexity_fn",
    "chrf",
    "chrf_fn",
    "chrfpp",
    "chrfpp_fn",
    "combined_sample_stderr",
    "exact_match_fn",
    "exact_match_hf_evaluate",
    "f1_fn",
    "f1_score",
    "install",
    "is_non_str_iterable",
    "likelihood_fn",
    "matthews_corrcoef",
    "mcc_fn",
    "mean",
    "mean_stderr",
    "median",
    "metric_max_over_ground_truths",
    "nanmean",
    "perplexity",
    "perplexity_fn",
    "pooled_sample_stderr",
    "pop_stddev",
    "sample_stddev",
    "stderr_for_metric",
    "ter",
    "ter_fn",
    "uninstall",
    "unweighted_mean_stderr",
    "weighted_mean",
    "weighted_perplexity",
    "word_perplexity_fn",
]


# --------------------------------------------------------------------------
# Aggregations, with lm-eval's semantics.


def mean(arr: Sequence[float]) -> float:
    """sum(arr) / len(arr), as lm-eval (Python's left-to-right sum).

    Parameters
    ----------
    arr : sequence of float
        The per-item values.

    Returns
    -------
    float
        The mean.
    """
    return sum(arr) / len(arr)


def median(arr: Sequence[float]) -> float:
    """The upper middle element of the sorted items, ``sorted(arr)[len(arr) // 2]``
    (lm-eval's median; not numpy's, which averages the two middle ones).

    Parameters
    ----------
    arr : sequence of float
        The per-item values.

    Returns
    -------
    float
        That element.
    """
    return sorted(arr)[len(arr) // 2]


def nanmean(arr: Sequence[float]) -> float:
    """np.nanmean, NaN for no items or only NaN.

    Parameters
    ----------
    arr : sequence of float
        The per-item values.

    Returns
    -------
    float
        The mean of the non-NaN values.
    """
    if len(arr) == 0 or all(np.isnan(arr)):
        return np.nan
    return cast(float, np.nanmean(arr))


def perplexity(items: Sequence[float]) -> float:
    """exp(-mean log-likelihood).

    Parameters
    ----------
    items : sequence of float
        Per-item log-likelihoods.

    Returns
    -------
    float
        The perplexity.
    """
    return math.exp(-mean(items))


def weighted_mean(items: Sequence[tuple[float, float]]) -> float:
    """Sum of the first elements over the sum of the second: log-likelihoods
    over words or bytes.

    Parameters
    ----------
    items : sequence of (float, float)
        (log-likelihood, weight) per item: the weight counts words or bytes.

    Returns
    -------
    float
        The weighted mean.
    """
    a, b = zip(*items)
    return cast(float, sum(a) / sum(b))


def weighted_perplexity(items: Sequence[tuple[float, float]]) -> float:
    """exp(-weighted_mean), per word (or token) perplexity.

    Parameters
    ----------
    items : sequence of (float, float)
        (log-likelihood, weight) per item: the weight counts words or bytes.

    Returns
    -------
    float
        The perplexity.
    """
    return math.exp(-weighted_mean(items))


def bits_per_byte(items: Sequence[tuple[float, float]]) -> float:
    """-weighted_mean / ln 2, from (loglik, bytes) items.

    Parameters
    ----------
    items : sequence of (float, float)
        (log-likelihood, weight) per item: the weight counts words or bytes.

    Returns
    -------
    float
        Bits per byte.
    """
    return -weighted_mean(items) / math.log(2)


def f1_score(items: Sequence[tuple[object, object]]) -> float:
    """scikit-learn's binary F1 of the positive label 1.

    Parameters
    ----------
    items : sequence of (gold, pred)
        The gold and predicted label of each item.

    Returns
    -------
    float
        The F1 score.
    """
    gold, pred = _pairs(items)
    tp, fp, fn = _binary_confusion(gold, pred).sum(axis=0)
    return float(_f1_of(np.array([[tp, fp, fn]], dtype=np.float64))[0])


def matthews_corrcoef(items: Sequence[tuple[object, object]]) -> float:
    """scikit-learn's (multiclass) Matthews correlation.

    Parameters
    ----------
    items : sequence of (gold, pred)
        The gold and predicted label of each item.

    Returns
    -------
    float
        The correlation.
    """
    gold, pred = _pairs(items)
    rows, _ = _mcc_rows(gold, pred)
    return float(_mcc_of(rows.sum(axis=0)[None, :], len(gold))[0])


def bleu(items: Sequence[tuple[str | Sequence[str], str | Sequence[str]]]) -> float:
    """sacrebleu.corpus_bleu of the items.

    Parameters
    ----------
    items : sequence of (reference(s), prediction)
        A reference or a list of references, and the prediction (or a one-element list of it), per item.

    Returns
    -------
    float
        The corpus score.

    Raises
    ------
    ImportError
        Without sacrebleu.
    """
    refs, preds = _sacreformat(items)
    return cast(float, _sacrebleu().corpus_bleu(preds, refs).score)


def chrf(items: Sequence[tuple[str | Sequence[str], str | Sequence[str]]]) -> float:
    """sacrebleu.corpus_chrf (chrF, word_order=0) of the items.

    Parameters
    ----------
    items : sequence of (reference(s), prediction)
        A reference or a list of references, and the prediction (or a one-element list of it), per item.

    Returns
    -------
    float
        The corpus score.

    Raises
    ------
    ImportError
        Without sacrebleu.
    """
    refs, preds = _sacreformat(items)
    return cast(float, _sacrebleu().corpus_chrf(preds, refs).score)


def chrfpp(items: Sequence[tuple[str | Sequence[str], str | Sequence[str]]]) -> float:
    """sacrebleu.corpus_chrf with word_order=2 (chrF++) of the items.

    Parameters
    ----------
    items : sequence of (reference(s), prediction)
        A reference or a list of references, and the prediction (or a one-element list of it), per item.

    Returns
    -------
    float
        The corpus score.

    Raises
    ------
    ImportError
        Without sacrebleu.
    """
    refs, preds = _sacreformat(items)
    return cast(float, _sacrebleu().corpus_chrf(preds, refs, word_order=2).score)


def ter(items: Sequence[tuple[str | Sequence[str], str | Sequence[str]]]) -> float:
    """sacrebleu.corpus_ter of the items.

    Parameters
    ----------
    items : sequence of (reference(s), prediction)
        A reference or a list of references, and the prediction (or a one-element list of it), per item.

    Returns
    -------
    float
        The corpus score.

    Raises
    ------
    ImportError
        Without sacrebleu.
    """
    refs, preds = _sacreformat(items)
    return cast(float, _sacrebleu().corpus_ter(preds, refs).score)


def bypass_agg(arr: object) -> int:
    """The aggregation of the ``bypass`` metric: always 999 (lm-eval's marker).

    Parameters
    ----------
    arr : object
        Ignored.

    Returns
    -------
    int
        999.
    """
    return 999


def brier_score(items: Sequence[tuple[int, Sequence[float]]]) -> np.float64:
    """Mean over items of the squared distance between the predicted class
    probabilities and the one-hot gold class.

    Parameters
    ----------
    items : sequence of (int, sequence of float)
        The gold class index and the predicted probabilities of each item.

    Returns
    -------
    numpy.float64
        The Brier score.

    Raises
    ------
    ValueError
        Probability vectors of different lengths.
    """
    gold, predictions = zip(*items)
    probabilities = np.asarray(predictions, dtype=np.float64)
    if probabilities.ndim != 2:
        raise ValueError(
            f"brier_score: predictions must be equal-length probability vectors, got shape {probabilities.shape}"
        )
    one_hot = np.eye(probabilities.shape[1])[list(gold)]
    return cast(np.float64, np.mean(np.sum((probabilities - one_hot) ** 2, axis=1)))


def acc_all(items: Sequence[tuple[object, Mapping[str, Any]]]) -> np.float64:
    """MultiRC's exact-match accuracy: the share of questions, keyed by (paragraph,
    question), all of whose answers are predicted right.

    Parameters
    ----------
    items : sequence of (prediction, doc)
        The prediction and the document (``doc["idx"]["paragraph"]``,
        ``doc["idx"]["question"]``, ``doc["label"]``) of each answer.

    Returns
    -------
    numpy.float64
        The share.
    """
    return cast(np.float64, np.mean(_all_correct_per_question(items, ("paragraph", "question"))))


def acc_all_stderr(items: Sequence[tuple[object, Mapping[str, Any]]]) -> float:
    """mean_stderr of the per-question all-correct indicators, with questions keyed
    by the question id alone (as lm-eval keys them here, unlike in acc_all).

    Parameters
    ----------
    items : sequence of (prediction, doc)
        The prediction and the document (``doc["idx"]["paragraph"]``,
        ``doc["idx"]["question"]``, ``doc["label"]``) of each answer.

    Returns
    -------
    float
        The standard error.
    """
    return mean_stderr(_all_correct_per_question(items, ("question",)))


def _all_correct_per_question(items, keys: tuple[str, ...]) -> list[int]:
    correct: dict[object, int] = {}
    # One pass over the documents of a point estimate, not a replicate loop.
    for pred, doc in items:
        question = tuple(doc["idx"][key] for key in keys)
        right = (doc["label"] == 1) == pred
        correct[question] = correct.get(question, True) and right
    return [int(flag) for flag in correct.values()]


def exact_match_hf_evaluate(
    predictions: Iterable[object],
    references: Iterable[object],
    regexes_to_ignore: Iterable[str] | None = None,
    ignore_case: bool = False,
    ignore_punctuation: bool = False,
    ignore_numbers: bool = False,
) -> dict[str, np.float64]:
    """Share of predictions equal to their reference after the optional
    normalisations, as Hugging Face evaluate's exact_match.

    Parameters
    ----------
    predictions, references : iterable
        Compared as text, pairwise.
    regexes_to_ignore : iterable of str, optional
        Patterns removed from both.
    ignore_case : bool, default False
        Compare in lower case.
    ignore_punctuation : bool, default False
        Drop punctuation.
    ignore_numbers : bool, default False
        Drop digits.

    Returns
    -------
    dict
        ``{"exact_match": share}``.

    Raises
    ------
    ValueError
        predictions and references of different lengths.
    """
    preds = [str(p) for p in predictions]
    refs = [str(r) for r in references]
    if len(preds) != len(refs):
        raise ValueError(f"predictions and references must have the same length, got {len(preds)} and {len(refs)}")
    for pattern in regexes_to_ignore or ():
        preds = [re.sub(pattern, "", p) for p in preds]
        refs = [re.sub(pattern, "", r) for r in refs]
    if ignore_case:
        preds = [p.lower() for p in preds]
        refs = [r.lower() for r in refs]
    dropped = (string.punctuation if ignore_punctuation else "") + (string.digits if ignore_numbers else "")
    if dropped:
        table = str.maketrans("", "", dropped)
        preds = [p.translate(table) for p in preds]
        refs = [r.translate(table) for r in refs]
    return {"exact_match": cast(np.float64, np.mean([p == r for p, r in zip(preds, refs)]))}


def exact_match_fn(**kwargs: Any) -> dict[str, np.float64]:
    """The ``exact_match`` metric: exact_match_hf_evaluate of the keyword arguments.

    Parameters
    ----------
    **kwargs
        The arguments of :func:`exact_match_hf_evaluate`.

    Returns
    -------
    dict
        ``{"exact_match": share}``.
    """
    return exact_match_hf_evaluate(**kwargs)


def metric_max_over_ground_truths(
    metric_fn: Callable[[_Prediction, _Truth], float], prediction: _Prediction, ground_truths: Iterable[_Truth]
) -> float:
    """The best ``metric_fn(prediction, truth)`` over the ground truths.

    Parameters
    ----------
    metric_fn : callable
        ``metric_fn(prediction, truth) -> float``.
    prediction : object
        The prediction.
    ground_truths : iterable
        The accepted answers, at least one.

    Returns
    -------
    float
        The largest score.
    """
    return max(metric_fn(prediction, truth) for truth in ground_truths)


def bypass(items: object) -> None:
    """The ``bypass`` metric: scores nothing (returns None).

    Parameters
    ----------
    items : object
        Ignored.
    """


class _Passthrough(Protocol):
    """An identity on the items, as lm-eval's registered per-item metrics are."""

    def __call__(self, items: _Items) -> _Items: ...


def _passthrough(name: str, aggregation: str) -> _Passthrough:
    def metric(items):
        return items

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"The per-item ``{name[:-3]}`` metric: passes its items on to the ``{aggregation}`` aggregation."
    return metric


# lm-eval's registered per-item metrics are identities; their aggregations do the work.
acc_fn = _passthrough("acc_fn", "mean")
acc_norm_fn = _passthrough("acc_norm_fn", "mean")
acc_mutual_info_fn = _passthrough("acc_mutual_info_fn", "mean")
acc_bytes_fn = _passthrough("acc_bytes_fn", "mean")
likelihood_fn = _passthrough("likelihood_fn", "mean")
brier_score_fn = _passthrough("brier_score_fn", "brier_score")
perplexity_fn = _passthrough("perplexity_fn", "perplexity")
word_perplexity_fn = _passthrough("word_perplexity_fn", "weighted_perplexity")
byte_perplexity_fn = _passthrough("byte_perplexity_fn", "weighted_perplexity")
bits_per_byte_fn = _passthrough("bits_per_byte_fn", "bits_per_byte")
mcc_fn = _passthrough("mcc_fn", "matthews_corrcoef")
f1_fn = _passthrough("f1_fn", "f1")
bleu_fn = _passthrough("bleu_fn", "bleu")
chrf_fn = _passthrough("chrf_fn", "chrf")
chrfpp_fn = _passthrough("chrfpp_fn", "chrf++")
ter_fn = _passthrough("ter_fn", "ter")


# --------------------------------------------------------------------------
# Standard errors.


def _values(arr, minimum: int) -> np.ndarray:
    x = np.asarray(arr, dtype=np.float64)
    if x.ndim != 1 or x.size < minimum:
        raise ValueError(f"arr must be a sequence of at least {minimum} numbers, got shape {x.shape}")
    return x


def pop_stddev(arr: Numbers) -> float:
    """Standard deviation with the n denominator.

    Parameters
    ----------
    arr : sequence of float or ndarray
        The values, 1-D.

    Returns
    -------
    float
        The standard deviation.

    Raises
    ------
    ValueError
        Not a non-empty 1-D sequence of numbers.
    """
    x = _values(arr, 1)
    return math.sqrt(float(((x - x.mean()) ** 2).sum()) / x.size)


def sample_stddev(arr: Numbers) -> float:
    """Standard deviation with the n - 1 denominator.

    Parameters
    ----------
    arr : sequence of float or ndarray
        The values, 1-D.

    Returns
    -------
    float
        The standard deviation.

    Raises
    ------
    ValueError
        Not a 1-D sequence of at least two numbers.
    """
    x = _values(arr, 2)
    return math.sqrt(float(((x - x.mean()) ** 2).sum()) / (x.size - 1))


def mean_stderr(arr: Numbers) -> float:
    """sample_stddev(arr) / sqrt(len(arr)).

    Parameters
    ----------
    arr : sequence of float or ndarray
        The values, 1-D.

    Returns
    -------
    float
        The standard error of the mean.

    Raises
    ------
    ValueError
        Not a 1-D sequence of at least two numbers.
    """
    return sample_stddev(arr) / math.sqrt(len(arr))


def pooled_sample_stderr(stderrs: List[float], sizes: List[int]) -> np.float64:
    """Standard error of a size-weighted mean over subtasks from their standard
    errors: sqrt(sum((n_i - 1) n_i se_i^2) / (N - k) / N).

    Parameters
    ----------
    stderrs : list of float
        Each subtask's standard error.
    sizes : list of int
        Each subtask's size.

    Returns
    -------
    numpy.float64
        The pooled standard error.

    Raises
    ------
    ValueError
        Lists of different lengths.
    """
    se = np.asarray(stderrs, dtype=np.float64)
    n = np.asarray(sizes, dtype=np.float64)
    if se.shape != n.shape or se.ndim != 1:
        raise ValueError(f"stderrs and sizes must be equal-length lists, got {se.shape} and {n.shape}")
    pooled_var = float(((n - 1) * se**2 * n).sum()) / (n.sum() - n.size)
    return cast(np.float64, np.sqrt(pooled_var / n.sum()))


def unweighted_mean_stderr(stderrs: List[float]) -> float:
    """Standard error of the plain (unweighted) mean of k independent subtask
    scores from their standard errors: sqrt(sum(se_i^2)) / k.

    Parameters
    ----------
    stderrs : list of float
        Each subtask's standard error.

    Returns
    -------
    float
        The standard error.

    Raises
    ------
    ValueError
        An empty list.
    """
    se = np.asarray(stderrs, dtype=np.float64)
    if se.ndim != 1 or se.size == 0:
        raise ValueError(f"stderrs must be a non-empty list, got shape {se.shape}")
    stderr: float = np.sqrt(float((se**2).sum())) / se.size
    return stderr


def aggregate_subtask_metrics(metrics: Sequence[float], sizes: Sequence[int], weight_by_size: bool = True) -> float:
    """A group's score from its subtasks' scores.

    Parameters
    ----------
    metrics : sequence of float
        Each subtask's score.
    sizes : sequence of int
        Each subtask's size.
    weight_by_size : bool, default True
        The size-weighted mean; False: the plain mean.

    Returns
    -------
    float
        The group's score.

    Raises
    ------
    ValueError
        Sequences of different lengths.
    """
    if len(metrics) != len(sizes):
        raise ValueError(f"metrics and sizes must have the same length, got {len(metrics)} and {len(sizes)}")
    if not weight_by_size:
        sizes = [1] * len(sizes)
    # Python's left-to-right sums, one term per subtask: lm-eval's digits.
    return sum(metric * size for metric, size in zip(metrics, sizes)) / sum(sizes)


def combined_sample_stderr(stderrs: List[float], sizes: List[int], metrics: List[float] | None = None) -> np.float64:
    """lm-eval's pairwise combination of subtask variances (it recommends against
    using it). Kept exactly, including that the running size never grows past the
    first subtask's, so the numbers match lm-eval's.

    Parameters
    ----------
    stderrs : list of float
        Each subtask's standard error.
    sizes : list of int
        Each subtask's size.
    metrics : list of float
        Each subtask's score (required).

    Returns
    -------
    numpy.float64
        The combined standard error.

    Raises
    ------
    ValueError
        metrics left out, or lists of different lengths.
    """
    if metrics is None:
        raise ValueError("Need to pass a list of each subtask's metric for this stderr aggregation")
    if not len(stderrs) == len(sizes) == len(metrics):
        raise ValueError("stderrs, sizes and metrics must have the same length")
    variance = stderrs[0] ** 2
    curr_size = sizes[0]
    curr_score = metrics[0]
    # One step per subtask (not per item): the recursion is sequential.
    for stderr, size, score in zip(stderrs[1:], sizes[1:], metrics[1:]):
        curr_score = (curr_score * curr_size + score * size) / (curr_size + size)
        variance = ((curr_size - 1) * variance + (size - 1) * stderr**2) / (curr_size + size - 1) + (
            curr_size * size / ((curr_size + size) * (curr_size + size - 1)) * (curr_score - score) ** 2
        )
    return cast(np.float64, np.sqrt(variance))


def _replicate_count(iters: object) -> int:
    """lm-eval runs iters // chunk chunks of chunk = min(1000, iters) replicates."""
    count = as_int(iters, "iters", minimum=2)
    chunk = min(1000, count)
    return (count // chunk) * chunk


def bootstrap_stderr(
    f: Callable[..., object], xs: Sequence[object], iters: int, *, seed: SeedLike = 0, n_threads: int | None = None
) -> float:
    """Bootstrap standard error of ``f(xs)``: the sample standard deviation of f
    over resamples of the items with replacement.

    Parameters
    ----------
    f : callable
        One of this module's aggregations or lm-eval's own (native), or any function of a list of items (generic).
    xs : sequence
        The items.
    iters : int
        As lm-eval: a multiple of min(1000, iters) resamples are drawn, at least 2.
    seed : int, numpy Generator, or None, default 0
        precipice's addition: seeds the resamples.
    n_threads : int or None
        precipice's addition: threads (None: all usable cores).

    Returns
    -------
    float
        The standard error.

    Raises
    ------
    ValueError, TypeError
        f not callable, xs empty or not a sequence, or iters below 2.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    reps = _replicate_count(iters)
    try:
        n = len(xs)
    except TypeError:
        raise TypeError(f"xs must be a sequence of items, got {type(xs).__name__}") from None
    if n == 0:
        raise ValueError("xs is empty")
    seed = resolve_seed(seed)
    threads = resolve_threads(n_threads)
    replicates = _native_replicates(_kind(f), xs, reps, seed, threads)
    if replicates is None:
        replicates = _generic_replicates(f, xs, reps, seed, threads)
    return sample_stddev(replicates)


_BOOTSTRAPPABLE = ("median", "matthews_corrcoef", "f1_score", "perplexity", "bleu", "chrf", "chrfpp", "ter", "nanmean")


def stderr_for_metric(metric: Callable[..., object], bootstrap_iters: int) -> Optional[Callable[..., object]]:
    """A function of the items that estimates the standard error of ``metric``.

    Parameters
    ----------
    metric : callable
        An aggregation: one of this module's or lm-eval's own (recognised by
        module and name, as lm-eval recognises its own by identity).
    bootstrap_iters : int
        Bootstrap iterations for the bootstrapped aggregations.

    Returns
    -------
    callable or None
        The bootstrap (:func:`bootstrap_stderr`) for median, matthews_corrcoef,
        f1_score, perplexity, bleu, chrf, chrfpp, ter and nanmean;
        :func:`mean_stderr` for mean; :func:`acc_all_stderr` for acc_all; None
        for any other metric and for ``bootstrap_iters <= 0``.
    """
    if bootstrap_iters <= 0:
        return None
    name = _dispatch_name(metric)
    if name in _BOOTSTRAPPABLE:
        return lambda x: bootstrap_stderr(metric, x, iters=bootstrap_iters)
    named: dict[str, Callable[..., object]] = {"mean": mean_stderr, "acc_all": acc_all_stderr}
    return named.get(name or "")


# --------------------------------------------------------------------------
# Installing into a running lm-eval.

# The standard-error functions lm-eval looks up, in lm_eval.api.metrics and in
# every lm_eval module that imported them by name (evaluator_utils imports
# stderr_for_metric; group.py imports the pooled ones when it aggregates).
_INSTALLED_NAMES = (
    "bootstrap_stderr",
    "stderr_for_metric",
    "mean_stderr",
    "pooled_sample_stderr",
    "unweighted_mean_stderr",
    "combined_sample_stderr",
)
_replaced: dict[tuple[str, str], object] = {}  # (module name, attribute) -> lm-eval's own function


def install() -> None:
    """Make the lm-eval running in this process compute its standard errors here.

    Replaces lm-eval's ``bootstrap_stderr``, ``stderr_for_metric``,
    ``mean_stderr``, ``pooled_sample_stderr``, ``unweighted_mean_stderr`` and
    ``combined_sample_stderr`` in ``lm_eval.api.metrics`` and wherever an
    ``lm_eval`` module imported them by name. lm-eval's aggregations (its point
    estimates) stay its own; :func:`stderr_for_metric` recognises them, and each
    takes the native bootstrap only if it computes what the native path
    computes. Idempotent; :func:`uninstall` restores lm-eval's functions.

    Raises
    ------
    ImportError
        If lm-eval (``lm_eval.api.metrics``) is not installed.
    """
    import lm_eval.evaluator_utils  # noqa: F401 - it binds stderr_for_metric at import
    from lm_eval.api import metrics

    originals = {name: getattr(metrics, name) for name in _INSTALLED_NAMES if hasattr(metrics, name)}
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "lm_eval" or module_name.startswith("lm_eval.")):
            continue
        for name, original in originals.items():
            if getattr(module, name, None) is original and original is not globals()[name]:
                _replaced.setdefault((module_name, name), original)
                setattr(module, name, globals()[name])


def uninstall() -> None:
    """Undo :func:`install`: lm-eval's own standard-error functions are back."""
    while _replaced:
        (module_name, name), original = _replaced.popitem()
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, name, None) is globals()[name]:
            setattr(module, name, original)


# --------------------------------------------------------------------------
# Recognising aggregations. lm-eval dispatches on its own function objects; here
# a function is dispatched by name when it is this module's or lm-eval's, and
# takes a native path only when it computes what that path computes: lm-eval
# <= 0.4.11 defined median on the unsorted list, and the sorted median's native
# bootstrap would silently replace it.

_OURS = {
    id(mean): "mean",
    id(median): "median",
    id(nanmean): "nanmean",
    id(perplexity): "perplexity",
    id(f1_score): "f1_score",
    id(matthews_corrcoef): "matthews_corrcoef",
    id(bleu): "bleu",
    id(chrf): "chrf",
    id(chrfpp): "chrfpp",
    id(ter): "ter",
    id(weighted_mean): "weighted_mean",
    id(weighted_perplexity): "weighted_perplexity",
    id(bits_per_byte): "bits_per_byte",
    id(acc_all): "acc_all",
}
_LM_EVAL_MODULE = "lm_eval.api.metrics"
_LM_EVAL_NAMES = frozenset(_OURS.values())
_PROBE_SENTENCES = [
    ("the cat sat on the mat", "the cat sat on a mat"),
    ("a quick brown fox", "quick brown fox"),
    ("hello world", ""),
    ("to be or not to be", "to be or not to be that is"),
]
# Small inputs that tell the native statistics apart from plausible variants
# (the unsorted median, numpy's averaging median, F1 of the other label, ...).
_PROBES = {
    "mean": ([0.25, 1.0, 0.5, 2.0],),
    "median": ([3.0, 1.0, 2.0], [1.0, 4.0, 2.0, 3.0]),
    "nanmean": ([1.0, math.nan, 2.5, 0.25],),
    "perplexity": ([-1.0, -2.5, -0.25],),
    "weighted_mean": ([(-1.0, 2), (-3.5, 4), (-0.25, 1)],),
    "f1_score": ([(1, 1), (1, 0), (0, 1), (0, 0), (1, 1), (1, 1), (0, 1)],),
    "matthews_corrcoef": ([(0, 0), (1, 1), (2, 1), (1, 2), (0, 1), (2, 2), (1, 1)],),
    "bleu": (_PROBE_SENTENCES,),
}
for _name in ("weighted_perplexity", "bits_per_byte"):
    _PROBES[_name] = _PROBES["weighted_mean"]
for _name in ("chrf", "chrfpp", "ter"):
    _PROBES[_name] = _PROBES["bleu"]
_PROBED: weakref.WeakKeyDictionary[object, object] = weakref.WeakKeyDictionary()


def _dispatch_name(f) -> str | None:
    """The aggregation ``f`` is, by identity (this module's) or by module and
    name (lm-eval's), whatever it computes."""
    kind = _OURS.get(id(f))
    if kind is not None:
        return kind
    if getattr(f, "__module__", None) == _LM_EVAL_MODULE and getattr(f, "__qualname__", None) in _LM_EVAL_NAMES:
        return str(f.__qualname__)
    return None


def _kind(f) -> str | None:
    """The native path ``f`` may take: its aggregation if it is this module's, or
    lm-eval's and agrees with this module's on every probe; else None."""
    if id(f) in _OURS:
        return _OURS[id(f)]
    name = _dispatch_name(f)
    if name is None or name not in _PROBES:
        return None
    try:
        agrees = _PROBED[f]
    except (KeyError, TypeError):  # not probed yet, or not weakly referenceable
        agrees = _agrees(f, globals()[name], _PROBES[name])
        try:
            _PROBED[f] = agrees
        except TypeError:
            pass
    return name if agrees else None


def _agrees(f, ours, probes) -> bool:
    for probe in probes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs, expected = float(f(list(probe))), float(ours(list(probe)))
        except Exception:  # noqa: BLE001 - whatever f does on a probe, it is not our statistic
            return False
        same = (math.isnan(theirs) and math.isnan(expected)) or math.isclose(
            theirs, expected, rel_tol=1e-9, abs_tol=1e-12
        )
        if not same:
            return False
    return True


# --------------------------------------------------------------------------
# Per-item statistics and the statistic of their sums, per aggregation.


def _scores(xs, name: str) -> np.ndarray:
    x = np.asarray(xs)
    if x.ndim != 1 or x.dtype.kind not in "fiub":
        raise TypeError(
            f"{name}: items must be numbers (one per item), got an array of dtype {x.dtype} and shape {x.shape}"
        )
    return x.astype(np.float64, copy=False)


def _pairs(items) -> tuple[np.ndarray, np.ndarray]:
    """(gold, pred) label arrays of a sequence of (gold, pred) items."""
    array = np.empty(len(items), dtype=object)
    array[:] = list(items)
    try:
        gold = np.asarray([item[0] for item in array.tolist()])
        pred = np.asarray([item[1] for item in array.tolist()])
    except (TypeError, IndexError):
        raise TypeError("items must be (gold, prediction) pairs") from None
    if gold.ndim != 1 or pred.ndim != 1:
        raise TypeError("items must be (gold, prediction) pairs of scalar labels")
    for name, labels in (("gold", gold), ("prediction", pred)):
        if labels.dtype.kind == "f" and (np.isnan(labels).any() or (labels != np.round(labels)).any()):
            raise ValueError(f"Classification metrics can't handle continuous {name} labels")
        if labels.dtype.kind not in "biufUS":
            raise TypeError(f"{name} labels must be numbers or strings, got dtype {labels.dtype}")
    if (gold.dtype.kind in "US") != (pred.dtype.kind in "US"):
        raise ValueError("Classification metrics can't handle a mix of string and numeric labels")
    return gold, pred


def _weighted(items, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, weights) of (value, weight) items; None where only the generic
    path is faithful (non-finite values, or weights that can sum to zero)."""
    try:
        pairs = np.asarray([(item[0], item[1]) for item in items], dtype=np.float64)
    except (TypeError, IndexError, ValueError):
        raise TypeError(f"{name}: items must be (value, weight) pairs of numbers") from None
    value, weight = pairs[:, 0], pairs[:, 1]
    if not (np.isfinite(value).all() and np.isfinite(weight).all() and (weight > 0).all()):
        return None
    return value, weight


def _binary_confusion(gold, pred) -> np.ndarray:
    """(n, 3) per-item (tp, fp, fn) for the positive label 1, after sklearn's checks."""
    labels = np.union1d(gold, pred)
    if labels.size > 2:
        raise ValueError(
            "Target is multiclass but average='binary'. Please choose another average setting, "
            "one of [None, 'micro', 'macro', 'weighted']."
        )
    is_numeric = labels.dtype.kind in "biuf"
    if labels.size == 2 and not (is_numeric and (labels == 1).any()):
        raise ValueError(f"pos_label=1 is not a valid label. It should be one of {list(labels)}")
    g = (gold == 1) if is_numeric else np.zeros(gold.shape, bool)
    p = (pred == 1) if is_numeric else np.zeros(pred.shape, bool)
    return np.stack([g & p, ~g & p, g & ~p], axis=1).astype(np.float64)


def _f1_of(sums: np.ndarray) -> np.ndarray:
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    denom = 2.0 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        # sklearn's zero_division: no positive in gold nor prediction scores 0.
        return np.where(denom > 0, 2.0 * tp / denom, 0.0)


def _mcc_rows(gold, pred) -> tuple[np.ndarray, int]:
    """(n, 2K + 1): one-hot gold label, one-hot predicted label, agreement."""
    labels, codes = np.unique(np.concatenate([gold, pred]), return_inverse=True)
    k = labels.size
    n = gold.size
    g, p = codes[:n], codes[n:]
    rows = np.zeros((n, 2 * k + 1))
    rows[np.arange(n), g] = 1.0
    rows[np.arange(n), k + p] = 1.0
    rows[:, 2 * k] = g == p
    return rows, k


def _mcc_of(sums: np.ndarray, n: int) -> np.ndarray:
    k = (sums.shape[1] - 1) // 2
    t, p, c = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k]
    s = float(n)
    cov_tp = c * s - (t * p).sum(axis=1)
    cov_pp = s * s - (p * p).sum(axis=1)
    cov_tt = s * s - (t * t).sum(axis=1)
    prod = cov_pp * cov_tt
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prod == 0, 0.0, cov_tp / np.sqrt(prod))


def _native_replicates(kind, xs, reps, seed, threads):
    """The bootstrap distribution of a recognised aggregation, or None."""
    if kind is None or kind == "acc_all":
        return None
    n = len(xs)
    if kind == "median":
        x = _scores(xs, "median")
        if np.isnan(x).any():
            return None  # sorted() with NaN depends on the order of the list: only the generic path is faithful
        values, counts = np.unique(x, return_counts=True)
        return resampled_order_statistic(values, counts.astype(np.int64), n // 2, n // 2, seed, 0, reps, threads)
    if kind in ("mean", "perplexity"):
        x = _scores(xs, kind)
        if not np.isfinite(x).all():
            return None
        c = float(x.mean())
        if kind == "mean":
            stat = lambda s: c + s[:, 0] / n  # noqa: E731
        else:
            stat = lambda s: np.exp(-(c + s[:, 0] / n))  # noqa: E731
        return sum_replicates((x - c)[:, None], stat, reps, seed, threads)
    if kind in ("weighted_mean", "weighted_perplexity", "bits_per_byte"):
        pairs = _weighted(xs, kind)
        if pairs is None:
            return None
        value, weight = pairs
        c = float(value.sum() / weight.sum())
        # Centred, so that the ratio of the resampled sums keeps its digits.
        rows = np.stack([value - c * weight, weight], axis=1)
        transform = {
            "weighted_mean": lambda r: r,
            "weighted_perplexity": lambda r: np.exp(-r),
            "bits_per_byte": lambda r: -r / math.log(2),
        }[kind]
        return sum_replicates(rows, lambda s: transform(c + s[:, 0] / s[:, 1]), reps, seed, threads)
    if kind == "nanmean":
        x = _scores(xs, kind)
        valid = ~np.isnan(x)
        if np.isinf(x).any() or not valid.any():
            return None
        c = float(x[valid].mean())
        rows = np.stack([np.where(valid, x - c, 0.0), valid.astype(np.float64)], axis=1)

        def stat(s):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(s[:, 1] > 0, c + s[:, 0] / s[:, 1], np.nan)

        return sum_replicates(rows, stat, reps, seed, threads)
    if kind == "f1_score":
        gold, pred = _pairs(xs)
        return sum_replicates(_binary_confusion(gold, pred), _f1_of, reps, seed, threads)
    if kind == "matthews_corrcoef":
        gold, pred = _pairs(xs)
        rows, _ = _mcc_rows(gold, pred)
        return sum_replicates(rows, lambda s: _mcc_of(s, n), reps, seed, threads)
    if kind in ("bleu", "chrf", "chrfpp", "ter"):
        plan = _sacrebleu_plan(kind, xs)
        if plan is None:
            return None
        rows, stat = plan
        return sum_replicates(rows, stat, reps, seed, threads)
    return None


def _generic_replicates(f, xs, reps, seed, threads) -> np.ndarray:
    """f on resampled item lists, one call per replicate, as lm-eval does."""
    items = list(xs)
    n = len(items)
    out = np.empty(reps)
    for start, idx in index_blocks(n, n, reps, seed, threads):
        for row, picked in enumerate(idx.tolist()):
            resample = list(operator.itemgetter(*picked)(items)) if n > 1 else [items[picked[0]]]
            out[start + row] = f(resample)
    return out


# --------------------------------------------------------------------------
# sacrebleu: sentence statistics sum over the corpus, and the corpus score is a
# function of the sums, so a resampled corpus's score follows from resampled sums.


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError:
        raise ImportError("bleu, chrf, chrfpp and ter need sacrebleu (pip install sacrebleu)") from None
    return sacrebleu


def is_non_str_iterable(obj: object) -> bool:
    """Whether obj is an iterable that is not a str (a list of references, say).

    Parameters
    ----------
    obj : object
        Anything.

    Returns
    -------
    bool
        The answer.
    """
    return isinstance(obj, Iterable) and not isinstance(obj, str)


def _sacreformat(items):
    """(reference streams, predictions) as sacrebleu takes them: items are
    (reference or list of references, prediction or [prediction])."""
    refs = [item[0] for item in items]
    preds = [item[1] for item in items]
    if not is_non_str_iterable(refs[0]):
        refs = [[ref] for ref in refs]
    refs = [list(stream) for stream in zip(*refs)]
    if is_non_str_iterable(preds[0]):
        if len(preds[0]) != 1:
            raise ValueError(f"Pred must be a str, was {preds[0]}")
        preds = [pred[0] for pred in preds]
    return refs, preds


def _metric_object(kind):
    sacrebleu = _sacrebleu()
    if kind == "bleu":
        return sacrebleu.metrics.BLEU()  # corpus_bleu's defaults: exp smoothing, 13a, order 4
    if kind == "chrf":
        return sacrebleu.metrics.CHRF()
    if kind == "chrfpp":
        return sacrebleu.metrics.CHRF(word_order=2)
    return sacrebleu.metrics.TER()


def _bleu_scores(s: np.ndarray, order: int) -> np.ndarray:
    """sacrebleu's BLEU (exp smoothing, no effective order) of summed statistics
    [sys_len, ref_len, correct_1..order, total_1..order], one row per replicate."""
    sys_len, ref_len = s[:, 0], s[:, 1]
    correct, total = s[:, 2 : 2 + order], s[:, 2 + order : 2 + 2 * order]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bp = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1.0 - ref_len / sys_len), 0.0), 1.0)
        log_sum = np.zeros(s.shape[0])
        smooth = np.ones(s.shape[0])
        alive = np.ones(s.shape[0], dtype=bool)  # orders before the first one with no n-grams
        for k in range(order):
            alive &= total[:, k] > 0
            zero = alive & (correct[:, k] == 0)
            smooth = np.where(zero, smooth * 2.0, smooth)
            precision = np.where(correct[:, k] > 0, 100.0 * correct[:, k] / total[:, k], 100.0 / (smooth * total[:, k]))
            # sacrebleu's my_log(0) = -9999999999 for orders never reached.
            log_sum += np.where(alive, np.log(np.where(alive, precision, 1.0)), -9999999999.0)
        score = bp * np.exp(log_sum / order)
    return np.where(correct.sum(axis=1) > 0, score, 0.0)


def _chrf_scores(s: np.ndarray, beta: float, eps_smoothing: bool) -> np.ndarray:
    """sacrebleu's chrF of summed [hyp, ref, match] statistics per order."""
    orders = s.shape[1] // 3
    factor = beta**2
    eps = 1e-16
    score = np.zeros(s.shape[0])
    avg_prec = np.zeros(s.shape[0])
    avg_rec = np.zeros(s.shape[0])
    effective = np.zeros(s.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(orders):
            hyp, ref, match = s[:, 3 * i], s[:, 3 * i + 1], s[:, 3 * i + 2]
            prec = np.where(hyp > 0, match / hyp, eps)
            rec = np.where(ref > 0, match / ref, eps)
            denom = factor * prec + rec
            score += np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
            both = (hyp > 0) & (ref > 0)
            avg_prec += np.where(both, prec, 0.0)
            avg_rec += np.where(both, rec, 0.0)
            effective += both
        if eps_smoothing:
            smoothed: np.ndarray = 100.0 * score / orders
            return smoothed
        avg_prec = np.where(effective > 0, avg_prec / effective, 0.0)
        avg_rec = np.where(effective > 0, avg_rec / effective, 0.0)
        total = avg_prec + avg_rec
        return np.where(total > 0, 100.0 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec), 0.0)


def _ter_scores(s: np.ndarray) -> np.ndarray:
    edits, ref_len = s[:, 0], s[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * np.where(ref_len > 0, edits / ref_len, np.where(edits > 0, 1.0, 0.0))


def _sacrebleu_plan(kind, items):
    """(per-sentence statistics, statistic of their sums), or None without sacrebleu."""
    try:
        metric = _metric_object(kind)
    except ImportError:
        return None
    refs, preds = _sacreformat(items)
    try:
        stats = np.asarray(metric._extract_corpus_statistics(preds, refs), dtype=np.float64)
    except (AttributeError, TypeError):  # a sacrebleu without sentence statistics: generic path
        return None
    if kind == "bleu":
        if metric.smooth_method != "exp" or metric.effective_order:
            return None
        order = metric.max_ngram_order
        stat = lambda s: _bleu_scores(s, order)  # noqa: E731
    elif kind in ("chrf", "chrfpp"):
        beta, eps_smoothing = metric.beta, metric.eps_smoothing
        stat = lambda s: _chrf_scores(s, beta, eps_smoothing)  # noqa: E731
    else:
        stat = _ter_scores
    # sacrebleu's own score of the totals must be ours: else score each replicate
    # with sacrebleu (still no re-tokenisation).
    totals = stats.sum(axis=0)
    theirs = float(metric._compute_score_from_stats(totals.tolist()).score)
    if not math.isclose(float(stat(totals[None, :])[0]), theirs, rel_tol=1e-9, abs_tol=1e-9):
        stat = lambda s: np.array([metric._compute_score_from_stats(row.tolist()).score for row in s])  # noqa: E731
    return stats, stat
