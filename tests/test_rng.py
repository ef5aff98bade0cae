"""The random number layer of the bootstrap engine: Philox4x32-10 and bounded draws.

References:
* Random123 known-answer vectors for Philox4x32-10 (kat_vectors in Random123 1.09);
* a pure-Python Philox4x32-10 and a pure-Python transcription of the documented
  draw layout (cpp/include/precipice/philox.hpp): counter (block, replicate low,
  replicate high, stream), key = seed; Lemire's multiply-and-reject on n**m whose
  accepted value is read as m base-n digits, most significant first; full chunks
  four words at a time with digit i of word w at position 4 i + w of the
  chunk, a rejected word's digits redrawn from the next words; a tail chunk of
  fewer digits (Lemire on n**m for the m digits still needed);
* chi-square tests of uniformity and pair independence with fixed seeds (so the
  tests are deterministic) and a rejection level of p < 1e-4.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from precipice import _core
from scipy import stats

MASK32 = 0xFFFFFFFF
P_MIN = 1e-4  # chi-square p-values below this fail (fixed seeds: deterministic)


# ---------------------------------------------------------------- references


def philox_ref(ctr, key):
    """Philox4x32-10 written from the paper (Salmon et al. 2011, Fig. 2)."""
    m0, m1 = 0xD2511F53, 0xCD9E8D57
    w0, w1 = 0x9E3779B9, 0xBB67AE85
    c0, c1, c2, c3 = (int(v) for v in ctr)
    k0, k1 = (int(v) for v in key)
    for rnd in range(10):
        if rnd:
            k0, k1 = (k0 + w0) & MASK32, (k1 + w1) & MASK32
        p0, p1 = m0 * c0, m1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
    return [c0, c1, c2, c3]


class StreamRef:
    """The 32-bit words of one (seed, replicate, stream) triple."""

    def __init__(self, seed, replicate, stream):
        self.key = (seed & MASK32, seed >> 32)
        self.ctr = [0, replicate & MASK32, replicate >> 32, stream]
        self.buf = []

    def next(self):
        if not self.buf:
            self.buf = philox_ref(self.ctr, self.key)
            self.ctr[0] += 1
        return self.buf.pop(0)


def digits_per_word(n):
    digits, rng_range = 1, n
    while digits < 32 and rng_range * n <= 1 << 28:
        rng_range *= n
        digits += 1
    return digits


def lemire_digits(word, n, m):
    """m uniform base-n digits from one word, or None when Lemire rejects it."""
    p = n**m
    prod = word * p
    if (prod & MASK32) < (1 << 32) % p:
        return None
    value = prod >> 32
    return [(value // n ** (m - 1 - i)) % n for i in range(m)]


def chunk_ref(rng, n, m):
    while True:
        d = lemire_digits(rng.next(), n, m)
        if d is not None:
            return d


def bounded_ref(rng, n, count):
    if n == 1:
        return [0] * count
    k = digits_per_word(n)
    out = []
    while count - len(out) >= 4 * k:
        words = [rng.next() for _ in range(4)]
        lanes = [lemire_digits(w, n, k) for w in words]
        for i, lane in enumerate(lanes):  # rejected lanes: redrawn in lane order
            if lane is None:
                lanes[i] = chunk_ref(rng, n, k)
        # interleaved: digit i of word w is draw 4 i + w of the chunk
        out.extend(lanes[w][i] for i in range(k) for w in range(4))
    while len(out) < count:
        out.extend(chunk_ref(rng, n, min(k, count - len(out))))
    return out


def draws(seed, replicate, stream, bound, count):
    out = _core._testing.bounded_draws(seed, replicate, stream, bound, count)
    assert out.shape == (count,)
    return np.asarray(out, dtype=np.int64)


def binned_expected(bound, bins):
    """Exact probabilities of floor(v * bins / bound) for v uniform on [0, bound)."""
    edges = -((-np.arange(bins + 1, dtype=object) * bound) // bins)  # ceil(b * bound / bins)
    return np.array([float(edges[b + 1] - edges[b]) / bound for b in range(bins)])


def residue_expected(bound, modulus):
    base, extra = divmod(bound, modulus)
    return np.array([(base + (r < extra)) / bound for r in range(modulus)])


def chisquare_p(observed, probabilities):
    observed = np.asarray(observed, dtype=np.float64)
    return stats.chisquare(observed, observed.sum() * np.asarray(probabilities)).pvalue


# ---------------------------------------------------------------- Philox


@pytest.mark.parametrize(
    "ctr, key, expected",
    [
        ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        (
            [0xFFFFFFFF] * 4,
            [0xFFFFFFFF, 0xFFFFFFFF],
            [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD],
        ),
        (
            [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
            [0xA4093822, 0x299F31D0],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
        ),
    ],
)
def test_philox_known_answers(ctr, key, expected):
    assert list(_core._testing.philox4x32_10(ctr, key)) == expected
    assert philox_ref(ctr, key) == expected  # the reference used below is right too


@given(
    st.lists(st.integers(0, MASK32), min_size=4, max_size=4),
    st.lists(st.integers(0, MASK32), min_size=2, max_size=2),
)
def test_philox_matches_reference(ctr, key):
    assert list(_core._testing.philox4x32_10(ctr, key)) == philox_ref(ctr, key)


# ---------------------------------------------------------------- bounded draws: exact layout


@pytest.mark.parametrize(
    "bound, count",
    [
        (1, 7),
        (2, 300),  # 28 digits a word, never rejects
        (3, 200),  # 17 digits a word
        (5, 97),
        (7, 333),  # 9 digits; a tail chunk of fewer digits
        (10, 101),
        (26, 260),
        (1000, 50),
        (2**14 + 1, 41),  # one digit a word
        (2**20 + 7, 37),
        (2**31 - 1, 23),
        (2**31 + 1, 23),  # rejects about half the words
        (2**32 - 1, 9),
    ],
)
@pytest.mark.parametrize("seed, replicate, stream", [(0, 0, 0), (2**64 - 1, 2**40 + 3, 5), (12345, 7, 1)])
def test_bounded_draws_follow_the_documented_layout(bound, count, seed, replicate, stream):
    expected = bounded_ref(StreamRef(seed, replicate, stream), bound, count)
    assert draws(seed, replicate, stream, bound, count).tolist() == expected


@given(
    seed=st.integers(0, 2**64 - 1),
    replicate=st.integers(0, 2**64 - 1),
    stream=st.integers(0, MASK32),
    bound=st.one_of(st.integers(1, 40), st.integers(1, MASK32)),
    count=st.integers(0, 120),
)
def test_bounded_draws_match_reference(seed, replicate, stream, bound, count):
    expected = bounded_ref(StreamRef(seed, replicate, stream), bound, count)
    assert draws(seed, replicate, stream, bound, count).tolist() == expected


def test_bounded_draws_rejected_words_are_redrawn():
    # bound 2**31 + 1: 2**32 mod bound = 2**31 - 1, so about half of all words are
    # rejected; every value must still lie in range and follow the reference.
    bound = 2**31 + 1
    out = draws(3, 0, 0, bound, 4000)
    assert out.min() >= 0 and out.max() < bound
    assert out.tolist() == bounded_ref(StreamRef(3, 0, 0), bound, 4000)


# ---------------------------------------------------------------- bounded draws: statistics

SMALL_BOUNDS = [2, 3, 5, 7, 10, 26, 100, 1000]
LARGE_BOUNDS = [2**14 + 1, 2**20 + 7, 2**31 - 1, 2**32 - 1]


@pytest.mark.parametrize("bound", SMALL_BOUNDS + LARGE_BOUNDS)
def test_bounded_draws_in_range(bound):
    out = draws(11, 2, 3, bound, 50_000)
    assert out.min() >= 0 and out.max() < bound


def test_bound_one_and_zero():
    assert draws(1, 2, 3, 1, 100).tolist() == [0] * 100
    assert draws(1, 2, 3, 17, 0).tolist() == []
    with pytest.raises(ValueError, match="bound"):
        _core._testing.bounded_draws(1, 2, 3, 0, 10)


@pytest.mark.parametrize("bound", SMALL_BOUNDS)
def test_uniform_small_bounds(bound):
    # 200 expected per cell (at least 20,000 draws): a chi-square over every value.
    count = max(200 * bound, 20_000)
    out = draws(2024, 0, 0, bound, count)
    observed = np.bincount(out, minlength=bound)
    assert chisquare_p(observed, np.full(bound, 1.0 / bound)) > P_MIN


@pytest.mark.parametrize("bound", LARGE_BOUNDS)
def test_uniform_large_bounds(bound):
    # 1000 bins by magnitude, plus the residues mod 16 (the low bits), with the
    # exact cell probabilities of a uniform value in [0, bound).
    out = draws(77, 1, 0, bound, 400_000)
    bins = (out * 1000) // bound
    assert chisquare_p(np.bincount(bins, minlength=1000), binned_expected(bound, 1000)) > P_MIN
    assert chisquare_p(np.bincount(out % 16, minlength=16), residue_expected(bound, 16)) > P_MIN


@pytest.mark.parametrize("bound", [3, 10, 26])
def test_uniform_at_every_position_of_a_chunk(bound):
    # Four words give 4 k draws; the last digits of a word come from the low bits
    # of the product. Each of the 4 k positions of a chunk, checked separately,
    # covers every digit of every lane whatever the order within the chunk.
    k = digits_per_word(bound)
    out = draws(5, 9, 2, bound, 4 * k * 5000).reshape(-1, 4 * k)
    for position in range(4 * k):
        observed = np.bincount(out[:, position], minlength=bound)
        assert chisquare_p(observed, np.full(bound, 1.0 / bound)) > P_MIN / (4 * k), position  # Bonferroni


@pytest.mark.parametrize("lag", [1, 2, 7, 8, 9, 32, 33])
def test_pairs_independent_bound_10(lag):
    # 8 digits a word for bound 10: lags inside a word, across words and across
    # 4-word chunks. Pairs do not share draws (step lag + 1), 100 cells.
    out = draws(99, 0, 0, 10, 400_000)
    first = np.arange(0, out.size - lag, lag + 1)
    pairs = out[first] * 10 + out[first + lag]
    assert chisquare_p(np.bincount(pairs, minlength=100), np.full(100, 0.01)) > P_MIN


def test_pairs_independent_across_replicates_and_streams():
    # The first draw of replicate r against the first draw of replicate r + 1,
    # and of stream 0 against stream 1: counters that differ in one word.
    n = 20_000
    a = np.array([draws(8, r, 0, 10, 1)[0] for r in range(n)])
    b = np.array([draws(8, r, 1, 10, 1)[0] for r in range(n)])
    for x, y in ((a[:-1:2], a[1::2]), (a, b)):
        pairs = x * 10 + y
        assert chisquare_p(np.bincount(pairs, minlength=100), np.full(100, 0.01)) > P_MIN


def test_many_seeds_do_not_reject_too_often():
    # The chi-square p-values over 200 seeds are themselves uniform: at level
    # 0.01 expect 2 rejections; more than 10 (P < 1e-5 under Binomial(200, .01))
    # would mean a biased generator.
    pvalues = []
    for seed in range(200):
        out = draws(seed, 0, 0, 7, 3500)
        pvalues.append(chisquare_p(np.bincount(out, minlength=7), np.full(7, 1 / 7)))
    assert sum(p < 0.01 for p in pvalues) <= 10
    assert stats.kstest(pvalues, "uniform").pvalue > P_MIN


# ---------------------------------------------------------------- determinism and separation


def test_deterministic():
    for bound in (2, 10, 2**31 - 1):
        a = draws(123, 4, 5, bound, 10_000)
        b = draws(123, 4, 5, bound, 10_000)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "other",
    [
        (124, 4, 5),  # seed, low word
        (123 + 2**32, 4, 5),  # seed, high word
        (123, 5, 5),  # replicate, low word
        (123, 4 + 2**32, 5),  # replicate, high word
        (123, 4, 6),  # stream
    ],
)
def test_different_seeds_replicates_streams_differ(other):
    bound = 2**31 - 1
    base = draws(123, 4, 5, bound, 64)
    changed = draws(*other, bound, 64)
    # Unrelated streams: equal values at a position have probability 1/bound.
    assert np.count_nonzero(base == changed) <= 1


# ---------------------------------------------------------------- every kernel width


_KERNEL_PROBE = """
import hashlib, sys
import numpy as np
from precipice import _core, bootstrap
h = hashlib.sha256()
for bound, count in [(2, 300), (10, 260), (10, 1001), (26, 777), (100, 2600), (1000, 97),
                     (2**14 + 1, 41), (2**31 + 1, 500), (2**32 - 1, 33)]:
    for replicate in (0, 1, 2**40 + 3):
        h.update(_core._testing.bounded_draws(12345, replicate, 7, bound, count).tobytes())
h.update(_core._testing.stream_words(99, 5, 3, 1000).tobytes())
x = np.random.default_rng(0).gamma(1.0, 1.0, (10, 26))
est = bootstrap.interval_estimates(x, ["iqm", "median", "mean", "optimality_gap"], reps=3000, seed=4,
                                   return_replicates=True)
h.update(np.ascontiguousarray(est.replicates).tobytes())
print(_core.random_kernels(), h.hexdigest())
"""


def test_every_kernel_width_gives_the_same_draws():
    # The Philox and digit kernels are picked by CPU (AVX-512, AVX2, SSE2);
    # PRECIPICE_SIMD caps the pick, so each width this machine has is run and
    # must give the same words, draws and replicates.
    results = {}
    for cap in ("", "avx2", "sse2"):
        env = {k: v for k, v in os.environ.items() if k != "PRECIPICE_SIMD"}
        if cap:
            env["PRECIPICE_SIMD"] = cap
        out = subprocess.run(
            [sys.executable, "-c", _KERNEL_PROBE], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        results[out[0]] = out[1]
    assert len(set(results.values())) == 1, results
    if _core.random_kernels() in ("avx512", "avx2"):
        assert "sse2" in results  # the cap took effect
