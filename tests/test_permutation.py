"""precipice.evals.paired_permutation_test: the exact test against enumeration
in Python, the Monte Carlo p-value against the exact one in distribution, and
sacrebleu's paired approximate randomization test when sacrebleu is installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from precipice import evals
from precipice._resample import permuted_medians, permuted_sums

ALTERNATIVES = ("two-sided", "greater", "less")


def brute_force_p(a, b, metric, alternative):
    """Every swap pattern of a_i and b_i, one at a time."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    observed = metric(a) - metric(b)
    tolerance = 100 * np.finfo(float).eps * abs(observed)
    extreme = 0
    patterns = list(itertools.product([False, True], repeat=a.shape[0]))
    for swap in patterns:
        s = np.array(swap)
        if a.ndim == 2:
            s = s[:, None]
        t = metric(np.where(s, b, a)) - metric(np.where(s, a, b))
        if alternative == "two-sided":
            extreme += abs(t) >= abs(observed) - tolerance
        elif alternative == "greater":
            extreme += t >= observed - tolerance
        else:
            extreme += t <= observed + tolerance
    return extreme / len(patterns), observed


def ratio(x):
    return x[:, 0].sum() / x[:, 1].sum()


def f1_of_sums(sums):
    # Per-item (tp, fp, fn) counts: micro F1 = 2 tp / (2 tp + fp + fn).
    return 2 * sums[:, 0] / (2 * sums[:, 0] + sums[:, 1] + sums[:, 2])


def f1(x):
    return f1_of_sums(x.sum(axis=0)[None, :])[0]


def paired_data(rng, n, kind):
    if kind == "binary":
        a = (rng.random(n) < 0.7).astype(float)
        return a, np.where(rng.random(n) < 0.3, 1 - a, a)
    if kind == "real":
        a = rng.normal(size=n)
        return a, a + rng.normal(0.3, 1.0, n)
    if kind == "ratio":
        den = rng.integers(1, 6, (n, 1)).astype(float)
        return np.hstack([rng.binomial(den.astype(int), 0.7), den]), np.hstack(
            [rng.binomial(den.astype(int), 0.5), den]
        )
    counts = rng.integers(0, 4, (n, 3)).astype(float)
    counts[:, 0] += 1  # every item has a true positive: F1 is defined for any swap
    return counts, counts + rng.integers(-1, 2, (n, 3)).clip(min=0)


CASES = [
    ("mean", "binary", np.mean),
    ("mean", "real", np.mean),
    ("median", "real", np.median),
    ("median", "binary", np.median),
    ("ratio", "ratio", ratio),
    (f1_of_sums, "counts", f1),
]


@pytest.mark.parametrize("statistic, kind, metric", CASES)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_exact_equals_enumeration(statistic, kind, metric, alternative):
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 9):
        a, b = paired_data(rng, n, kind)
        result = evals.paired_permutation_test(a, b, statistic=statistic, alternative=alternative)
        expected_p, observed = brute_force_p(a, b, metric, alternative)
        assert result.exact and result.reps == 2**n and result.seed is None and result.n == n
        assert result.difference == pytest.approx(observed, abs=1e-12)
        assert result.p_value == pytest.approx(expected_p, abs=1e-12)


@pytest.mark.parametrize("statistic, kind, metric", CASES)
def test_monte_carlo_matches_the_exact_p_value(statistic, kind, metric):
    # 14 items: the exact p-value from all 16,384 patterns; the Monte Carlo one
    # is (Binomial(R, p) + 1) / (R + 1): within 5 standard errors.
    rng = np.random.default_rng(21)
    a, b = paired_data(rng, 14, kind)
    reps = 20_000
    for alternative in ALTERNATIVES:
        exact = evals.paired_permutation_test(a, b, statistic=statistic, alternative=alternative, exact=True)
        approx = evals.paired_permutation_test(
            a, b, statistic=statistic, alternative=alternative, exact=False, reps=reps, seed=3
        )
        assert not approx.exact and approx.reps == reps and approx.seed == 3
        p = exact.p_value
        assert approx.p_value == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / reps) + 2 / reps)


def test_monte_carlo_p_values_are_uniform_under_the_null():
    # Exchangeable systems: P(p <= alpha) <= alpha (the +1 makes the test valid);
    # 300 tests at 199 permutations each, every p-value on the grid k / 200.
    rng = np.random.default_rng(5)
    p_values = []
    for _ in range(300):
        x = rng.normal(size=(2, 30))
        p_values.append(evals.paired_permutation_test(x[0], x[1], reps=199, seed=int(rng.integers(2**32))).p_value)
    p_values = np.array(p_values)
    assert np.allclose(p_values * 200, np.round(p_values * 200), rtol=0, atol=1e-9)
    for alpha in (0.05, 0.2, 0.5):
        share = np.mean(p_values <= alpha)
        assert share <= alpha + 4 * np.sqrt(alpha * (1 - alpha) / 300)
        assert share >= alpha - 4 * np.sqrt(alpha * (1 - alpha) / 300)


@pytest.mark.parametrize("statistic, kind", [("mean", "real"), ("median", "real"), ("ratio", "ratio")])
def test_same_seed_same_p_value_whatever_the_threads(statistic, kind):
    a, b = paired_data(np.random.default_rng(9), 1000, kind)
    runs = [
        evals.paired_permutation_test(a, b, statistic=statistic, reps=2000, seed=11, n_threads=t)
        for t in (1, 2, 3, None)
    ]
    assert len({r.p_value for r in runs}) == 1
    exact = [evals.paired_permutation_test(a[:12], b[:12], statistic=statistic, n_threads=t) for t in (1, 2)]
    assert exact[0] == exact[1]


@pytest.mark.parametrize(
    "n, d", [(1, 1), (7, 1), (1000, 1), (40_000, 1), (50, 2), (50, 3), (50, 4), (50, 7), (20_000, 2), (9_000, 4)]
)
def test_permuted_sums_are_the_sums_of_the_swapped_items(n, d):
    # Enumeration masks are the permutation indices themselves (bits 0..61 for
    # the first 62 items): every kernel path (grouped table up to 2**15 items,
    # item by item past it, fixed widths, any width) against numpy.
    rng = np.random.default_rng(n + d)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    first = int(rng.integers(0, 2 ** min(n, 62) - min(2 ** min(n, 62), 20) + 1))
    count = min(20, 2 ** min(n, 62))
    sums = permuted_sums(a, b, True, 0, first, count, 2)
    for r in range(count):
        bits = np.array([(first + r) >> i & 1 if i < 62 else 0 for i in range(n)], dtype=bool)[:, None]
        np.testing.assert_allclose(sums[r, :d], np.where(bits, b, a).sum(axis=0), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(sums[r, d:], np.where(bits, a, b).sum(axis=0), rtol=1e-12, atol=1e-9)
    if d == 1:
        medians = permuted_medians(a[:, 0].copy(), b[:, 0].copy(), True, 0, first, count, 2)
        bits = ((first + np.arange(count)[:, None]) >> np.minimum(np.arange(n), 62)) & 1
        bits[:, 62:] = 0
        picked = np.where(bits.astype(bool), b[:, 0], a[:, 0])
        np.testing.assert_array_equal(medians[:, 0], np.median(picked, axis=1))


def test_swapping_every_item_swaps_the_sums_exactly():
    # The complement of a mask gives the other system's sums bit for bit, so a
    # difference of metrics changes sign exactly (ties at |t| are never lost).
    rng = np.random.default_rng(1)
    for n, d in [(13, 1), (62, 1), (62, 2), (30, 6)]:
        a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        sums = permuted_sums(a, b, True, 0, 0, 1, 1)
        swapped = permuted_sums(a, b, True, 0, 2**n - 1, 1, 1)
        np.testing.assert_array_equal(sums[0, :d], swapped[0, d:])
        np.testing.assert_array_equal(sums[0, d:], swapped[0, :d])


def test_identical_systems_and_extreme_ones():
    a = np.arange(40.0)
    same = evals.paired_permutation_test(a, a.copy(), reps=500, seed=1)
    assert same.difference == 0 and same.p_value == 1.0
    # a > b on every item: only the observed pattern (and its mirror, two-sided) is as extreme.
    far = evals.paired_permutation_test(a + 100, a, exact=False, reps=999, seed=2, alternative="greater")
    assert far.p_value == pytest.approx(1 / 1000)
    exact = evals.paired_permutation_test(a[:10] + 100, a[:10])
    assert exact.p_value == pytest.approx(2 / 2**10)
    assert exact.metric_a == pytest.approx(np.mean(a[:10] + 100)) and exact.metric_b == pytest.approx(np.mean(a[:10]))


def test_matches_sacrebleu_paired_ar():
    sacrebleu = pytest.importorskip("sacrebleu")
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import _paired_ar_test

    rng = np.random.default_rng(0)
    vocabulary = [f"w{i}" for i in range(30)]

    def noisy(words, rate):
        return " ".join(w if rng.random() > rate else str(rng.choice(vocabulary)) for w in words)

    refs = [[str(w) for w in rng.choice(vocabulary, rng.integers(5, 15))] for _ in range(150)]
    hyp_a = [noisy(r, 0.30) for r in refs]
    hyp_b = [noisy(r, 0.34) for r in refs]
    references = [[" ".join(r) for r in refs]]
    metric = BLEU(references=references)
    stats_a = np.array(metric._extract_corpus_statistics(hyp_a, None), dtype=float)
    stats_b = np.array(metric._extract_corpus_statistics(hyp_b, None), dtype=float)

    def bleu(sums):
        return np.array([metric._compute_score_from_stats(list(row)).score for row in sums])

    ours = evals.paired_permutation_test(stats_a, stats_b, statistic=bleu, reps=2000, seed=4)
    baseline = metric._aggregate_and_compute(stats_b.tolist())
    _, theirs = _paired_ar_test({"BLEU": (stats_b, baseline)}, "a", hyp_a, None, {"BLEU": metric}, 2000, -1, 4)
    assert abs(ours.difference) == pytest.approx(abs(theirs["BLEU"].score - baseline.score), abs=1e-9)
    # Different random streams: the p-values agree within Monte Carlo error
    # (two estimates of about 2,000 trials: 0.07 is over 4 standard errors).
    assert 0.02 < ours.p_value < 0.98
    assert ours.p_value == pytest.approx(theirs["BLEU"].p_value, abs=0.07)
    assert sacrebleu is not None


def test_bad_input_names_the_argument():
    a, b = np.arange(5.0), np.arange(5.0)[::-1].copy()
    cases = [
        (dict(a=a, b=b[:4]), ValueError, "a and b"),
        (dict(a=np.array([1.0, np.nan]), b=np.ones(2)), ValueError, "NaN"),
        (dict(a=[], b=[]), ValueError, "empty"),
        (dict(a=a, b=b, statistic="mode"), ValueError, "statistic"),
        (dict(a=a, b=b, statistic=3), TypeError, "statistic"),
        (dict(a=a, b=b, alternative="bigger"), ValueError, "alternative"),
        (dict(a=a, b=b, reps=0), ValueError, "reps"),
        (dict(a=a, b=b, reps=2**40), ValueError, "reps"),
        (dict(a=a, b=b, reps=10.5), TypeError, "reps"),
        (dict(a=a, b=b, exact="yes"), TypeError, "exact"),
        (dict(a=np.ones(27), b=np.zeros(27), exact=True), ValueError, "exact"),
        (dict(a=a, b=b, n_threads=0), ValueError, "n_threads"),
        (dict(a=a, b=b, seed=-1), ValueError, "seed"),
        (dict(a=a, b=b, statistic="ratio"), ValueError, r"\(n, 2\)"),
        (dict(a=np.ones((4, 3)), b=np.ones((4, 3)), statistic="ratio"), ValueError, r"\(n, 2\)"),
        (dict(a=np.ones((4, 2)), b=np.ones((5, 2)), statistic="ratio"), ValueError, "paired"),
        (dict(a=np.zeros((3, 2)), b=np.ones((3, 2)), statistic="ratio"), ValueError, "undefined"),
        (dict(a=[[1.0, 1.0], [1.0, 0.0]], b=[[1.0, 0.0], [1.0, 0.0]], statistic="ratio"), ValueError, "undefined"),
        (dict(a=np.ones((3, 2)), b=np.ones((3, 2)), statistic=lambda s: s), ValueError, "k numbers"),
        (dict(a=np.array(["x", "y"]), b=np.array(["x", "y"])), TypeError, "real numbers"),
    ]
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            evals.paired_permutation_test(**kwargs)


def test_inputs_are_never_modified():
    rng = np.random.default_rng(3)
    for statistic, kind in [("mean", "real"), ("median", "real"), ("ratio", "ratio"), (f1_of_sums, "counts")]:
        for n in (8, 300):
            a, b = paired_data(rng, n, kind)
            ca, cb = a.copy(), b.copy()
            evals.paired_permutation_test(a, b, statistic=statistic, reps=200, seed=1)
            np.testing.assert_array_equal(a, ca)
            np.testing.assert_array_equal(b, cb)
