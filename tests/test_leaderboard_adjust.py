"""precipice.leaderboard.adjust_pvalues against statsmodels' multipletests, and
rank_summary against a per-replicate loop."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice.leaderboard import adjust_pvalues, rank_summary

STATSMODELS_NAMES = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bh": "fdr_bh",
    "by": "fdr_by",
}


@pytest.mark.parametrize("method", sorted(STATSMODELS_NAMES))
def test_adjust_pvalues_equals_statsmodels(method):
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(3)
    for size in (1, 2, 5, 40, 333):
        pvalues = rng.uniform(size=size) ** 3
        pvalues[: size // 4] = pvalues[size // 2 : size // 2 + size // 4]  # ties
        expected = multitest.multipletests(pvalues, method=STATSMODELS_NAMES[method])[1]
        np.testing.assert_allclose(adjust_pvalues(pvalues, method), expected, rtol=1e-12, atol=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.sampled_from(sorted(STATSMODELS_NAMES)))
def test_adjust_pvalues_matches_the_textbook_definitions(values, method):
    p = [Fraction(v) for v in values]
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    harmonic = sum(Fraction(1, k) for k in range(1, m + 1))
    expected = [Fraction(0)] * m
    for rank, i in enumerate(order, start=1):
        if method == "bonferroni":
            value = m * p[i]
        elif method == "holm":
            value = max((m - j + 1) * p[order[j - 1]] for j in range(1, rank + 1))
        elif method == "hochberg":
            value = min((m - j + 1) * p[order[j - 1]] for j in range(rank, m + 1))
        else:
            factor = 1 if method == "bh" else harmonic
            value = min(Fraction(m) * factor / j * p[order[j - 1]] for j in range(rank, m + 1))
        expected[i] = min(value, Fraction(1))
    np.testing.assert_allclose(adjust_pvalues(values, method), [float(e) for e in expected], rtol=1e-12, atol=1e-300)


def test_adjust_pvalues_keeps_shape_and_refuses_bad_input():
    grid = np.array([[0.01, 0.2], [0.03, 0.5]])
    before = grid.copy()
    assert adjust_pvalues(grid).shape == (2, 2)
    np.testing.assert_array_equal(grid, before)
    assert adjust_pvalues([]).shape == (0,)
    with pytest.raises(ValueError, match="pvalues"):
        adjust_pvalues([0.1, np.nan])
    with pytest.raises(ValueError, match="pvalues"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], "fdr")
    with pytest.raises(TypeError, match="pvalues"):
        adjust_pvalues(["a"])


def _slow_rank_summary(replicates, confidence, higher_is_better):
    reps, models = replicates.shape
    probabilities = np.zeros((models, models))
    best = np.empty((reps, models), dtype=int)
    worst = np.empty((reps, models), dtype=int)
    for r in range(reps):
        row = replicates[r] if higher_is_better else -replicates[r]
        for m in range(models):
            better = int(np.sum(row > row[m]))
            tied = int(np.sum(row == row[m]))
            best[r, m], worst[r, m] = better + 1, better + tied
            probabilities[m, better : better + tied] += 1.0 / tied
    return probabilities / reps, best, worst


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_rank_summary_matches_a_loop_with_ties(reps, models, seed, higher):
    rng = np.random.default_rng(seed)
    replicates = rng.integers(0, 3, size=(reps, models)).astype(float)  # many ties
    summary = rank_summary(replicates, confidence=0.8, higher_is_better=higher)
    probabilities, best, worst = _slow_rank_summary(replicates, 0.8, higher)
    np.testing.assert_allclose(summary.rank_probabilities, probabilities, atol=1e-12)
    np.testing.assert_allclose(summary.rank_probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(summary.p_best, summary.rank_probabilities[:, 0])
    np.testing.assert_allclose(summary.expected_rank, (best + worst).mean(axis=0) / 2)
    np.testing.assert_array_equal(summary.rank_interval[:, 0], np.quantile(best, 0.1, axis=0, method="lower"))
    np.testing.assert_array_equal(summary.rank_interval[:, 1], np.quantile(worst, 0.9, axis=0, method="higher"))


def test_rank_summary_refuses_bad_input():
    with pytest.raises(ValueError, match="replicates"):
        rank_summary(np.ones(3))
    with pytest.raises(ValueError, match="replicates"):
        rank_summary([[1.0, np.nan]])
    with pytest.raises(ValueError, match="confidence"):
        rank_summary([[1.0, 2.0]], confidence=1.5)
    with pytest.raises(TypeError, match="higher_is_better"):
        rank_summary([[1.0, 2.0]], higher_is_better=1)
