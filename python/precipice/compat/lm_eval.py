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
name) and take the same native path; any other function is bootstrapped
generically, one call per replicate on resampled item lists, as lm-eval does.

Results agree with lm-eval's within Monte Carlo error: the resamples come from
precipice's Philox streams (``seed``, default 0, so results are reproducible as
lm-eval's are), not from ``random.Random(chunk)``.
"""

from __future__ import annotations

import math
import operator
import sys
from typing import Callable, List, Optional, Sequence

import numpy as np

from .. import _core
from .._validation import as_int, resolve_seed, resolve_threads
from ..evals import index_blocks, sum_replicates

__all__ = [
    "bits_per_byte",
    "bleu",
    "bootstrap_stderr",
    "chrf",
    "chrfpp",
    "combined_sample_stderr",
    "f1_score",
    "matthews_corrcoef",
    "mean",
    "mean_stderr",
    "median",
    "nanmean",
    "perplexity",
    "pooled_sample_stderr",
    "sample_stddev",
    "stderr_for_metric",
    "ter",
    "weighted_mean",
    "weighted_perplexity",
]


# --------------------------------------------------------------------------
# Aggregations, with lm-eval's semantics.


def mean(arr):
    """sum(arr) / len(arr), as lm-eval (Python's left-to-right sum)."""
    return sum(arr) / len(arr)


def median(arr):
    """The upper middle element of the sorted items, ``sorted(arr)[len(arr) // 2]``
    (lm-eval's median; not numpy's, which averages the two middle ones)."""
    return sorted(arr)[len(arr) // 2]


def nanmean(arr):
    """np.nanmean, NaN for no items or only NaN."""
    if len(arr) == 0 or all(np.isnan(arr)):
        return np.nan
    return np.nanmean(arr)


def perplexity(items):
    """exp(-mean log-likelihood)."""
    return math.exp(-mean(items))


def weighted_mean(items):
    """sum of the first elements over the sum of the second, for (value, weight)
    items: log-likelihoods over words or bytes."""
    a, b = zip(*items)
    return sum(a) / sum(b)


def weighted_perplexity(items):
    """exp(-weighted_mean), per word (or token) perplexity from (loglik, words)."""
    return math.exp(-weighted_mean(items))


def bits_per_byte(items):
    """-weighted_mean / ln 2, from (loglik, bytes) items."""
    return -weighted_mean(items) / math.log(2)


def f1_score(items):
    """scikit-learn's binary F1 of the positive label 1 over (gold, pred) items."""
    gold, pred = _pairs(items)
    tp, fp, fn = _binary_confusion(gold, pred).sum(axis=0)
    return float(_f1_of(np.array([[tp, fp, fn]], dtype=np.float64))[0])


def matthews_corrcoef(items):
    """scikit-learn's (multiclass) Matthews correlation over (gold, pred) items."""
    gold, pred = _pairs(items)
    rows, _ = _mcc_rows(gold, pred)
    return float(_mcc_of(rows.sum(axis=0)[None, :], len(gold))[0])


def bleu(items):
    """sacrebleu.corpus_bleu of (reference(s), prediction) items."""
    refs, preds = _sacreformat(items)
    return _sacrebleu().corpus_bleu(preds, refs).score


def chrf(items):
    """sacrebleu.corpus_chrf (chrF, word_order=0) of (reference(s), prediction) items."""
    refs, preds = _sacreformat(items)
    return _sacrebleu().corpus_chrf(preds, refs).score


def chrfpp(items):
    """sacrebleu.corpus_chrf with word_order=2 (chrF++) of (reference(s), prediction) items."""
    refs, preds = _sacreformat(items)
    return _sacrebleu().corpus_chrf(preds, refs, word_order=2).score


def ter(items):
    """sacrebleu.corpus_ter of (reference(s), prediction) items."""
    refs, preds = _sacreformat(items)
    return _sacrebleu().corpus_ter(preds, refs).score


# --------------------------------------------------------------------------
# Standard errors.


def sample_stddev(arr) -> float:
    """Standard deviation with the n - 1 denominator."""
    x = np.asarray(arr, dtype=np.float64)
    return math.sqrt(float(((x - x.mean()) ** 2).sum()) / (x.size - 1))


def mean_stderr(arr) -> float:
    """sample_stddev(arr) / sqrt(len(arr))."""
    return sample_stddev(arr) / math.sqrt(len(arr))


def pooled_sample_stderr(stderrs: List[float], sizes: List[int]):
    """Standard error of a size-weighted mean over subtasks from their standard
    errors: sqrt(sum((n_i - 1) n_i se_i^2) / (N - k) / N)."""
    se = np.asarray(stderrs, dtype=np.float64)
    n = np.asarray(sizes, dtype=np.float64)
    if se.shape != n.shape or se.ndim != 1:
        raise ValueError(f"stderrs and sizes must be equal-length lists, got {se.shape} and {n.shape}")
    pooled_var = float(((n - 1) * se**2 * n).sum()) / (n.sum() - n.size)
    return np.sqrt(pooled_var / n.sum())


def combined_sample_stderr(stderrs: List[float], sizes: List[int], metrics=None):
    """lm-eval's pairwise combination of subtask variances (it recommends against
    using it). Kept exactly, including that the running size never grows past the
    first subtask's, so the numbers match lm-eval's."""
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
    return np.sqrt(variance)


def _replicate_count(iters) -> int:
    """lm-eval runs iters // chunk chunks of chunk = min(1000, iters) replicates."""
    iters = as_int(iters, "iters", minimum=2)
    chunk = min(1000, iters)
    return (iters // chunk) * chunk


def bootstrap_stderr(f: Callable, xs: Sequence, iters: int, *, seed=0, n_threads=None) -> float:
    """Bootstrap standard error of ``f(xs)``: the sample standard deviation of f
    over resamples of the items with replacement (as many as lm-eval draws for
    ``iters``: a multiple of min(1000, iters)).

    ``f`` is one of this module's aggregations or lm-eval's own (native), or any
    function of a list of items (generic). ``seed`` (default 0) and ``n_threads``
    are precipice's additions."""
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


_BOOTSTRAPPABLE = ("median", "matthews_corrcoef", "f1_score", "perplexity", "bleu", "chrf", "chrfpp", "ter",
                   "nanmean")


def stderr_for_metric(metric: Callable, bootstrap_iters: int) -> Optional[Callable]:
    """A function of the items that estimates the standard error of ``metric``:
    the bootstrap for lm-eval's bootstrappable aggregations, mean_stderr for mean,
    None otherwise (and for bootstrap_iters <= 0)."""
    if bootstrap_iters <= 0:
        return None
    kind = _kind(metric)
    if kind in _BOOTSTRAPPABLE:
        return lambda x: bootstrap_stderr(metric, x, iters=bootstrap_iters)
    if kind == "mean":
        return mean_stderr
    if kind == "acc_all":  # lm-eval's own, which has its own closed form
        return getattr(sys.modules[metric.__module__], "acc_all_stderr", None)
    return None


# --------------------------------------------------------------------------
# Recognising aggregations.

_OURS = {
    id(mean): "mean", id(median): "median", id(nanmean): "nanmean", id(perplexity): "perplexity",
    id(f1_score): "f1_score", id(matthews_corrcoef): "matthews_corrcoef", id(bleu): "bleu", id(chrf): "chrf",
    id(chrfpp): "chrfpp", id(ter): "ter", id(weighted_mean): "weighted_mean",
    id(weighted_perplexity): "weighted_perplexity", id(bits_per_byte): "bits_per_byte",
}
_LM_EVAL_MODULE = "lm_eval.api.metrics"
_LM_EVAL_NAMES = set(_OURS.values()) | {"acc_all"}


def _kind(f) -> str | None:
    kind = _OURS.get(id(f))
    if kind is not None:
        return kind
    if getattr(f, "__module__", None) == _LM_EVAL_MODULE and getattr(f, "__qualname__", None) in _LM_EVAL_NAMES:
        return f.__qualname__
    return None


# --------------------------------------------------------------------------
# Per-item statistics and the statistic of their sums, per aggregation.


def _scores(xs, name: str) -> np.ndarray:
    x = np.asarray(xs)
    if x.ndim != 1 or x.dtype.kind not in "fiub":
        raise TypeError(f"{name}: items must be numbers (one per item), got an array of dtype {x.dtype} "
                        f"and shape {x.shape}")
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
        raise ValueError("Target is multiclass but average='binary'. Please choose another average setting, "
                         "one of [None, 'micro', 'macro', 'weighted'].")
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
        return _core.evals_resampled_order_statistic(values, counts.astype(np.int64), n // 2, n // 2, seed, 0, reps,
                                                     threads)
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
        transform = {"weighted_mean": lambda r: r, "weighted_perplexity": lambda r: np.exp(-r),
                     "bits_per_byte": lambda r: -r / math.log(2)}[kind]
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


def _is_non_str_iterable(obj) -> bool:
    return hasattr(obj, "__iter__") and not isinstance(obj, str)


def _sacreformat(items):
    """(reference streams, predictions) as sacrebleu takes them: items are
    (reference or list of references, prediction or [prediction])."""
    refs = [item[0] for item in items]
    preds = [item[1] for item in items]
    if not _is_non_str_iterable(refs[0]):
        refs = [[ref] for ref in refs]
    refs = [list(stream) for stream in zip(*refs)]
    if _is_non_str_iterable(preds[0]):
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
            return 100.0 * score / orders
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
