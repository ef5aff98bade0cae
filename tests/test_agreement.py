"""precipice.agreement against slow implementations of the published formulas,
the krippendorff package (when installed), scikit-learn's cohen_kappa_score and
statsmodels' fleiss_kappa; bootstraps against resamples redrawn in Python."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import agreement
from precipice._resample import resample_indices

NAN = math.nan
LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# four observers, twelve units, missing data; the document's alphas.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
KRIPPENDORFF_2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


# --------------------------------------------------------------------------
# Slow references, written from the formulas.


def reference_alpha(data, level, value_domain=None):
    """Krippendorff (2011): coincidences o_ck = sum over units of (pairs c-k of
    values from different coders) / (m_u - 1); alpha = 1 - (n - 1) sum o_ck d_ck
    / sum n_c n_k d_ck, with the level's squared distance d_ck."""
    data = np.asarray(data, dtype=float)
    values = sorted(set(data[~np.isnan(data)].tolist())) if value_domain is None else list(value_domain)
    o = {(c, k): 0.0 for c in values for k in values}
    for u in range(data.shape[1]):
        ratings = [x for x in data[:, u].tolist() if not math.isnan(x)]
        m = len(ratings)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[ratings[i], ratings[j]] += 1.0 / (m - 1)
    n_c = {c: sum(o[c, k] for k in values) for c in values}
    n = sum(n_c.values())

    def delta(c, k):
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c + k == 0 else ((c - k) / (c + k)) ** 2
        lo, hi = sorted((values.index(c), values.index(k)))
        between = sum(n_c[values[g]] for g in range(lo, hi + 1))
        return (between - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(o[c, k] * delta(c, k) for c in values for k in values)
    expected = sum(n_c[c] * n_c[k] * delta(c, k) for c in values for k in values)
    return 1.0 - (n - 1) * observed / expected


def reference_cohen(a, b, weights=None):
    labels = sorted(set(a) | set(b))
    k = len(labels)
    confusion = np.zeros((k, k))
    for x, y in zip(a, b):
        confusion[labels.index(x), labels.index(y)] += 1
    i, j = np.indices((k, k))
    w = {None: (i != j) * 1.0, "linear": np.abs(i - j) * 1.0, "quadratic": (i - j) ** 2 * 1.0}[weights]
    expected = np.outer(confusion.sum(1), confusion.sum(0)) / len(a)
    return 1.0 - (w * confusion).sum() / (w * expected).sum()


def reference_fleiss(table, method="fleiss"):
    table = np.asarray(table, dtype=float)
    r = table[0].sum()
    p_i = [((row * row).sum() - r) / (r * (r - 1)) for row in table]
    p_j = table.sum(0) / table.sum()
    chance = (p_j**2).sum() if method == "fleiss" else 1.0 / table.shape[1]
    return (np.mean(p_i) - chance) / (1 - chance)


def ratings(rng, raters, units, values, missing):
    data = rng.choice(np.asarray(values, dtype=float), size=(raters, units))
    data[rng.random((raters, units)) < missing] = np.nan
    return data


# --------------------------------------------------------------------------
# Krippendorff's alpha.


def test_alpha_of_the_two_observer_examples():
    # Krippendorff (2011), sections A (binary data, two observers) and B
    # (nominal data, two observers, letters a-e as 1-5).
    binary = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert round(agreement.krippendorff_alpha(binary).value, 3) == 0.095
    letters = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    nominal = [[letters[x] for x in row.split()] for row in ("a a b b d c c c e d d a", "b a b b b c c c e d d d")]
    assert round(agreement.krippendorff_alpha(nominal).value, 3) == 0.692


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_of_the_worked_example(level):
    result = agreement.krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(result.value, 3) == KRIPPENDORFF_2011_ALPHA[level]
    assert result.value == pytest.approx(reference_alpha(KRIPPENDORFF_2011, level), abs=1e-12)
    assert result.interval is None and result.reps == 0
    assert result.n_units == 11 and result.n_raters == 4  # unit 12 has a single rating


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_equals_the_formulas(level):
    rng = np.random.default_rng(3)
    for raters, units, values, missing in [
        (2, 30, [0, 1], 0.0),
        (5, 40, [1, 2, 3, 4, 5], 0.3),
        (3, 25, [0.5, 2, 7], 0.5),
    ]:
        data = ratings(rng, raters, units, values, missing)
        assert agreement.krippendorff_alpha(data, level).value == pytest.approx(reference_alpha(data, level), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(2, 12),
    st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, 10.0]), min_size=2, max_size=5, unique=True),
    st.floats(0.0, 0.6),
    st.integers(0, 2**32 - 1),
    st.sampled_from(LEVELS),
)
def test_alpha_equals_the_formulas_on_any_shape(raters, units, values, missing, seed, level):
    data = ratings(np.random.default_rng(seed), raters, units, values, missing)
    try:
        expected = reference_alpha(data, level)
    except (ZeroDivisionError, ValueError):
        expected = None
    if expected is None or not np.isfinite(expected):
        with pytest.raises(ValueError):
            agreement.krippendorff_alpha(data, level)
        return
    assert agreement.krippendorff_alpha(data, level).value == pytest.approx(expected, abs=1e-12)


def test_alpha_ordinal_follows_the_value_domain_order():
    data = np.array([[1, 2, 3, 3, 2, 1], [1, 3, 3, 2, 2, 1], [2, 3, 3, 3, 1, 1]], dtype=float)
    domain = [3, 1, 2]
    got = agreement.krippendorff_alpha(data, "ordinal", value_domain=domain).value
    assert got == pytest.approx(reference_alpha(data, "ordinal", value_domain=domain), abs=1e-12)
    # Values nobody used change nothing.
    wide = agreement.krippendorff_alpha(data, "ordinal", value_domain=[0, 1, 2, 3, 4]).value
    assert wide == pytest.approx(agreement.krippendorff_alpha(data, "ordinal").value, abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_equals_the_krippendorff_package(level):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(11)
    for values, missing in [([1, 2, 3, 4, 5], 0.2), ([0, 1], 0.1), ([0.0, 0.25, 1.5, 2.0, 9.0, 30.0], 0.4)]:
        data = ratings(rng, 6, 80, values, missing)
        assert agreement.krippendorff_alpha(data, level).value == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement=level), abs=1e-12
        )
    domain = [5, 4, 3, 2, 1]
    data = ratings(rng, 4, 50, domain, 0.2)
    assert agreement.krippendorff_alpha(data, "ordinal", value_domain=domain).value == pytest.approx(
        krippendorff.alpha(reliability_data=data, value_domain=domain, level_of_measurement="ordinal"), abs=1e-12
    )


def _pairable(data):
    return data[:, (~np.isnan(data)).sum(axis=0) >= 2]


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_bootstrap_equals_alpha_of_the_resampled_units(level):
    # Below 64 units the engine draws unit indices (stream 0), which
    # resample_indices reproduces: every replicate must be alpha of those units.
    data = ratings(np.random.default_rng(5), 4, 40, [1, 2, 3, 4], 0.25)
    reps, seed = 300, 17
    result = agreement.krippendorff_alpha(data, level, reps=reps, seed=seed)
    kept = _pairable(data)
    idx = resample_indices(kept.shape[1], kept.shape[1], seed, 0, reps, 0, 1)
    expected = np.array([reference_alpha(kept[:, row], level) for row in idx])
    assert result.undefined_replicates == 0
    assert result.standard_error == pytest.approx(np.std(expected, ddof=1), abs=1e-12)
    np.testing.assert_allclose(result.interval, np.percentile(expected, [2.5, 97.5]), atol=1e-12)


def test_alpha_bootstrap_over_many_units_in_distribution():
    # 400 units of 3 raters on a 3-point scale repeat: the engine draws
    # multinomial counts over the distinct units. Same distribution as drawing
    # units: compare with alpha of 1,500 resamples drawn in numpy (standard
    # errors within 11%: about 5 standard errors of their ratio).
    rng = np.random.default_rng(8)
    truth = rng.integers(1, 4, 400)
    data = np.where(rng.random((3, 400)) < 0.7, truth, rng.integers(1, 4, (3, 400))).astype(float)
    result = agreement.krippendorff_alpha(data, "ordinal", reps=3000, seed=2)
    direct = [agreement.krippendorff_alpha(data[:, rng.integers(0, 400, 400)], "ordinal").value for _ in range(1500)]
    assert result.standard_error == pytest.approx(np.std(direct, ddof=1), rel=0.11)
    assert result.interval[0] == pytest.approx(np.percentile(direct, 2.5), abs=2 * result.standard_error / 5)


@pytest.mark.parametrize("method", ["percentile", "basic", "bc", "bca"])
def test_same_seed_same_interval_whatever_the_threads(method):
    data = ratings(np.random.default_rng(1), 5, 300, [1, 2, 3, 4, 5], 0.2)
    runs = [
        agreement.krippendorff_alpha(data, "interval", reps=2000, seed=9, method=method, n_threads=t)
        for t in (1, 2, 3, None)
    ]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.interval, runs[0].interval)
        assert run.standard_error == runs[0].standard_error
    assert runs[0].interval[0] < runs[0].value < runs[0].interval[1]
    other = agreement.krippendorff_alpha(data, "interval", reps=2000, seed=10, method=method)
    assert not np.array_equal(other.interval, runs[0].interval)


# --------------------------------------------------------------------------
# Cohen's kappa.


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_equals_sklearn(weights):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    for k, n in [(2, 30), (4, 200), (7, 1000)]:
        a = rng.integers(0, k, n)
        b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n))
        got = agreement.cohen_kappa(a, b, weights=weights).value
        assert got == pytest.approx(metrics.cohen_kappa_score(a, b, weights=weights), abs=1e-12)
        assert got == pytest.approx(reference_cohen(a.tolist(), b.tolist(), weights), abs=1e-12)
    names = np.array(["bad", "fair", "good"])
    a, b = names[rng.integers(0, 3, 50)], names[rng.integers(0, 3, 50)]
    assert agreement.cohen_kappa(a, b, weights=weights).value == pytest.approx(
        metrics.cohen_kappa_score(a, b, weights=weights), abs=1e-12
    )
    order = ["bad", "good", "fair", "unused"]
    assert agreement.cohen_kappa(a, b, weights=weights, labels=order).value == pytest.approx(
        metrics.cohen_kappa_score(a, b, weights=weights, labels=order), abs=1e-12
    )


def test_cohen_bootstrap_in_distribution():
    # The engine draws multinomial counts over the confusion cells; a numpy
    # bootstrap over items must give the same spread (within 8%: about 5
    # standard errors at 3,000 replicates each).
    rng = np.random.default_rng(12)
    a = rng.integers(0, 3, 500)
    b = np.where(rng.random(500) < 0.7, a, rng.integers(0, 3, 500))
    result = agreement.cohen_kappa(a, b, weights="quadratic", reps=3000, seed=3)
    cells = (a * 3 + b)[rng.integers(0, 500, (3000, 500))]
    confusion = np.stack([np.bincount(row, minlength=9) for row in cells]).reshape(-1, 3, 3)
    w = (np.arange(3)[:, None] - np.arange(3)[None, :]) ** 2
    expected = confusion.sum(2)[:, :, None] * confusion.sum(1)[:, None, :] / 500
    direct = 1 - (w * confusion).sum((1, 2)) / (w * expected).sum((1, 2))
    assert result.standard_error == pytest.approx(np.std(direct, ddof=1), rel=0.08)
    runs = [agreement.cohen_kappa(a, b, reps=500, seed=4, n_threads=t).interval for t in (1, 2, None)]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


def test_cohen_bootstrap_leaves_out_undefined_replicates_with_a_warning():
    # 20 items, one disagreement: a resample without it has every label 0.
    a = np.zeros(20, dtype=int)
    b = a.copy()
    b[0] = 1
    with pytest.warns(RuntimeWarning, match="undefined"):
        result = agreement.cohen_kappa(a, b, reps=400, seed=1)
    assert 0 < result.undefined_replicates < 400
    assert np.isfinite(result.interval).all()


# --------------------------------------------------------------------------
# Fleiss' kappa.


@pytest.mark.parametrize("method", ["fleiss", "randolph"])
def test_fleiss_equals_statsmodels(method):
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    rng = np.random.default_rng(6)
    for subjects, raters, k in [(10, 2, 2), (50, 5, 4), (300, 12, 6)]:
        truth = rng.integers(0, k, subjects)
        raw = np.where(rng.random((subjects, raters)) < 0.6, truth[:, None], rng.integers(0, k, (subjects, raters)))
        table, _ = inter_rater.aggregate_raters(raw, n_cat=k)
        got = agreement.fleiss_kappa(table, method=method).value
        assert got == pytest.approx(inter_rater.fleiss_kappa(table, method=method), abs=1e-12)
        assert got == pytest.approx(reference_fleiss(table, method), abs=1e-12)


def test_fleiss_bootstrap_equals_kappa_of_the_resampled_subjects():
    # Fleiss' (1971) table: 10 subjects, 14 raters, 5 categories; kappa 0.210.
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert round(agreement.fleiss_kappa(table).value, 3) == 0.210
    result = agreement.fleiss_kappa(table, reps=500, seed=5, interval_method="bca")
    idx = resample_indices(10, 10, 5, 0, 500, 0, 1)
    expected = np.array([reference_fleiss(table[row]) for row in idx])
    assert result.standard_error == pytest.approx(np.std(expected, ddof=1), abs=1e-12)
    plain = agreement.fleiss_kappa(table, reps=500, seed=5)
    np.testing.assert_allclose(plain.interval, np.percentile(expected, [2.5, 97.5]), atol=1e-12)
    for threads in (1, 2, 3):
        again = agreement.fleiss_kappa(table, reps=500, seed=5, interval_method="bca", n_threads=threads)
        np.testing.assert_array_equal(again.interval, result.interval)
    narrow = agreement.fleiss_kappa(table, reps=500, seed=5, confidence=0.5)
    assert plain.interval[0] < narrow.interval[0] < narrow.interval[1] < plain.interval[1]


# --------------------------------------------------------------------------
# Bad input.


def test_bad_alpha_input_names_the_argument():
    good = KRIPPENDORFF_2011
    cases = [
        (dict(data=good[:1]), ValueError, "2 raters"),
        (dict(data=np.full((3, 4), np.nan)), ValueError, "pairable"),
        (dict(data=np.array([[1, np.nan], [np.nan, 2]])), ValueError, "pairable"),
        (dict(data=good, level="nominals"), ValueError, "level"),
        (dict(data=np.empty((2, 0))), ValueError, "empty"),
        (dict(data=good[0]), ValueError, "num_raters"),
        (dict(data=np.where(np.isnan(good), 1.0, np.inf)), ValueError, "infinite"),
        (dict(data=[["a", "b"], ["a", "a"]]), TypeError, "data"),
        (dict(data=np.ones((3, 5))), ValueError, "undefined"),
        (dict(data=good, value_domain=[1, 2, 3]), ValueError, "value_domain"),
        (dict(data=good, reps=-1), ValueError, "reps"),
        (dict(data=good, reps=2**40), ValueError, "reps"),
        (dict(data=good, reps=1.5), TypeError, "reps"),
        (dict(data=good, reps=10, confidence=1.5), ValueError, "confidence"),
        (dict(data=good, reps=10, method="student"), ValueError, "method"),
        (dict(data=good, confidence=0), ValueError, "confidence"),
        (dict(data=good, reps=10, n_threads=0), ValueError, "n_threads"),
    ]
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            agreement.krippendorff_alpha(**kwargs)


def test_bad_kappa_input_names_the_argument():
    with pytest.raises(ValueError, match="a and b"):
        agreement.cohen_kappa([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        agreement.cohen_kappa([0.0, np.nan], [0.0, 1.0])
    with pytest.raises(ValueError, match="empty"):
        agreement.cohen_kappa([], [])
    with pytest.raises(ValueError, match="weights"):
        agreement.cohen_kappa([0, 1], [1, 0], weights="cubic")
    with pytest.raises(ValueError, match="not in labels"):
        agreement.cohen_kappa([0, 1], [1, 2], labels=[0, 1])
    with pytest.raises(ValueError, match="undefined"):
        agreement.cohen_kappa([1, 1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="same number of ratings"):
        agreement.fleiss_kappa([[1, 2], [2, 2]])
    with pytest.raises(ValueError, match="at least 2 ratings"):
        agreement.fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="whole counts"):
        agreement.fleiss_kappa([[1.5, 0.5], [1, 1]])
    with pytest.raises(ValueError, match="method"):
        agreement.fleiss_kappa([[1, 1], [2, 0]], method="cohen")
    with pytest.raises(ValueError, match="table"):
        agreement.fleiss_kappa([1, 1])
    with pytest.raises(ValueError, match="undefined"):
        agreement.fleiss_kappa([[3, 0], [3, 0]])


def test_inputs_are_never_modified():
    data = ratings(np.random.default_rng(2), 4, 100, [1, 2, 3], 0.2)
    before = data.copy()
    for level in LEVELS:
        agreement.krippendorff_alpha(data, level, reps=50, seed=1, method="bca")
    np.testing.assert_array_equal(data, before)
    a, b = np.arange(100) % 3, np.arange(100) % 4 % 3
    ca, cb = a.copy(), b.copy()
    agreement.cohen_kappa(a, b, weights="linear", reps=50, seed=1, method="bca")
    np.testing.assert_array_equal(a, ca)
    np.testing.assert_array_equal(b, cb)
    table = np.array([[2, 1], [0, 3], [3, 0], [1, 2], [2, 1], [1, 2]])
    copy = table.copy()
    agreement.fleiss_kappa(table, reps=50, seed=1)
    np.testing.assert_array_equal(table, copy)
