"""The native column quantiles equal np.percentile's linear rule, on every path:
whole-column selection (short columns), sample-bracketed selection (long ones),
one-value brackets (discrete statistics), misjudged brackets and NaN."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import _core

rng = np.random.default_rng(0)


def columns(kind, rows, k):
    if kind == "continuous":
        return rng.normal(size=(rows, k))
    if kind == "ties":
        return rng.normal(size=(rows, k)).round(1)
    if kind == "three values":
        return rng.integers(0, 3, size=(rows, k)).astype(float)
    if kind == "almost constant":
        return np.where(rng.random((rows, k)) < 0.999, 0.5, rng.random((rows, k)))
    if kind == "sorted":  # the strided sample sees a biased picture of a sorted column
        return np.sort(rng.normal(size=(rows, k)), axis=0)
    raise AssertionError(kind)


@pytest.mark.parametrize("rows", [1, 2, 7, 4095, 4096, 20_000])
@pytest.mark.parametrize("kind", ["continuous", "ties", "three values", "almost constant", "sorted"])
@pytest.mark.parametrize("confidence", [0.95, 0.5, 0.999, 1e-4, 1 - 1e-7])
def test_equal_to_numpy(rows, kind, confidence):
    values = columns(kind, rows, 3)
    alpha = (1 - confidence) / 2
    q = np.full(3, alpha)
    expected = np.percentile(values, [100 * alpha, 100 * (1 - alpha)], axis=0)
    got = _core.stats.column_quantiles(values, q, 1 - q, 1)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_per_column_quantiles_and_threads():
    values = columns("continuous", 9_000, 17)
    lo, hi = rng.random(17) * 0.5, 0.5 + rng.random(17) * 0.5
    expected = np.stack([[np.percentile(values[:, c], 100 * q) for c, q in enumerate(qs)] for qs in (lo, hi)])
    for threads in (1, 2):
        np.testing.assert_allclose(_core.stats.column_quantiles(values, lo, hi, threads), expected, rtol=1e-13)


def test_nan_column_gives_nan_bounds_only_there():
    values = columns("continuous", 5_000, 3)
    values[17, 1] = np.nan
    got = _core.stats.column_quantiles(values, np.full(3, 0.1), np.full(3, 0.9), 1)
    assert np.isnan(got[:, 1]).all() and np.isfinite(got[:, [0, 2]]).all()


def test_bad_quantiles_are_named():
    with pytest.raises(ValueError, match="q_lower, q_upper"):
        _core.stats.column_quantiles(np.ones((5, 2)), np.array([0.1, 1.5]), np.array([0.9, 0.9]), 1)
    with pytest.raises(ValueError, match="q_lower, q_upper"):
        _core.stats.column_quantiles(np.ones((5, 2)), np.array([0.1]), np.array([0.9]), 1)


# ---------------------------------------------------------------- histograms


@pytest.mark.parametrize("rows", [1, 2, 7, 5_000])
@pytest.mark.parametrize("confidence", [0.95, 0.5, 0.999, 1 - 1e-7])
def test_histogram_quantiles_equal_those_of_the_values(rows, confidence):
    denominator = 13
    grid = np.arange(denominator + 1) / denominator
    values = grid[rng.binomial(denominator, rng.random(4), size=(rows, 4))]
    counts = np.stack([(values[:, c, None] == grid).sum(axis=0) for c in range(4)])
    alpha = (1 - confidence) / 2
    lo, hi = np.full(4, alpha), np.full(4, 1 - alpha)
    np.testing.assert_array_equal(
        _core.stats.histogram_quantiles(counts, grid, lo, hi), _core.stats.column_quantiles(values, lo, hi, 1)
    )
    np.testing.assert_allclose(
        _core.stats.histogram_quantiles(counts, grid, lo, hi),
        np.percentile(values, [100 * alpha, 100 * (1 - alpha)], axis=0),
        rtol=1e-14,
    )


def test_histogram_quantiles_reject_bad_input():
    grid = np.array([0.0, 0.5, 1.0])
    q = np.array([0.1])
    with pytest.raises(ValueError, match="grid"):
        _core.stats.histogram_quantiles(np.ones((1, 3), np.int64), grid[::-1].copy(), q, 1 - q)
    with pytest.raises(ValueError, match="grid"):
        _core.stats.histogram_quantiles(np.ones((1, 2), np.int64), grid, q, 1 - q)
    with pytest.raises(ValueError, match="counts"):
        _core.stats.histogram_quantiles(np.zeros((1, 3), np.int64), grid, q, 1 - q)
    with pytest.raises(ValueError, match="counts"):
        _core.stats.histogram_quantiles(np.array([[1, -1, 2]]), grid, q, 1 - q)


@settings(max_examples=60, deadline=None)
@given(
    denominator=st.integers(1, 40),
    rows=st.integers(1, 300),
    columns=st.integers(1, 4),
    levels=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2),
    seed=st.integers(0, 2**32 - 1),
)
def test_histogram_quantiles_equal_column_quantiles_anywhere(denominator, rows, columns, levels, seed):
    # Any grid size, any number of replicates (ties everywhere), any levels in
    # [0, 1] including the ends: the same numbers as selecting on the values.
    r = np.random.default_rng(seed)
    grid = np.arange(denominator + 1) / denominator
    k = r.integers(0, denominator + 1, size=(rows, columns))
    counts = np.stack([np.bincount(k[:, c], minlength=denominator + 1) for c in range(columns)])
    lo, hi = np.full(columns, min(levels)), np.full(columns, max(levels))
    np.testing.assert_array_equal(
        _core.stats.histogram_quantiles(counts, grid, lo, hi), _core.stats.column_quantiles(grid[k], lo, hi, 1)
    )
