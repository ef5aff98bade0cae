// Philox4x32-10 counter-based generator (Salmon et al., SC'11) and the stream
// layout that makes every bootstrap replicate a pure function of (seed, replicate).
#pragma once

#include <array>
#include <cstdint>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace precipice {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;

inline Counter philox4x32_10(Counter ctr, Key key) noexcept {
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
    constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += kW0;
            key[1] += kW1;
        }
        const std::uint64_t p0 = std::uint64_t{kM0} * ctr[0];
        const std::uint64_t p1 = std::uint64_t{kM1} * ctr[2];
        ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0],
               static_cast<std::uint32_t>(p1),
               static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1],
               static_cast<std::uint32_t>(p0)};
    }
    return ctr;
}

// Four consecutive blocks at once: the lanes are independent, so the rounds
// vectorize (32x32->64-bit multiplies) and the words come out in the same
// order as four calls of philox4x32_10.
inline void philox4x32_10_x4(std::uint32_t first_block, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                             Key key, std::uint32_t* out) noexcept {
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
    constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
#if defined(__SSE2__) || defined(_M_X64)
    // Lane l of each register is word j of block first_block + l.
    __m128i x0 = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(first_block)), _mm_set_epi32(3, 2, 1, 0));
    __m128i x1 = _mm_set1_epi32(static_cast<int>(c1));
    __m128i x2 = _mm_set1_epi32(static_cast<int>(c2));
    __m128i x3 = _mm_set1_epi32(static_cast<int>(c3));
    const __m128i m0 = _mm_set1_epi32(static_cast<int>(kM0));
    const __m128i m1 = _mm_set1_epi32(static_cast<int>(kM1));
    // 32x32->64 products of four lanes, split into their low and high words.
    auto mulhilo = [](__m128i x, __m128i m, __m128i& lo, __m128i& hi) {
        const __m128i even = _mm_shuffle_epi32(_mm_mul_epu32(x, m), _MM_SHUFFLE(3, 1, 2, 0));
        const __m128i odd = _mm_shuffle_epi32(_mm_mul_epu32(_mm_srli_epi64(x, 32), m), _MM_SHUFFLE(3, 1, 2, 0));
        lo = _mm_unpacklo_epi32(even, odd);
        hi = _mm_unpackhi_epi32(even, odd);
    };
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += kW0;
            key[1] += kW1;
        }
        __m128i lo0, hi0, lo1, hi1;
        mulhilo(x0, m0, lo0, hi0);
        mulhilo(x2, m1, lo1, hi1);
        const __m128i y0 = _mm_xor_si128(_mm_xor_si128(hi1, x1), _mm_set1_epi32(static_cast<int>(key[0])));
        const __m128i y2 = _mm_xor_si128(_mm_xor_si128(hi0, x3), _mm_set1_epi32(static_cast<int>(key[1])));
        x0 = y0;
        x1 = lo1;
        x2 = y2;
        x3 = lo0;
    }
    // Transpose lanes to blocks: out[4 l + j] = word j of block l.
    const __m128i t0 = _mm_unpacklo_epi32(x0, x1), t1 = _mm_unpackhi_epi32(x0, x1);
    const __m128i t2 = _mm_unpacklo_epi32(x2, x3), t3 = _mm_unpackhi_epi32(x2, x3);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi64(t0, t2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi64(t0, t2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi64(t1, t3));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi64(t1, t3));
#else
    (void)kM0, (void)kM1, (void)kW0, (void)kW1;
    for (std::uint32_t l = 0; l < 4; ++l) {
        const Counter block = philox4x32_10({first_block + l, c1, c2, c3}, key);
        for (int j = 0; j < 4; ++j) out[4 * l + j] = block[j];
    }
#endif
}

// The 32-bit words of one (seed, replicate, stream) triple, in a fixed order.
// Counter = (block, replicate low, replicate high, stream); key = seed. A stream
// separates independent sample sources inside one replicate (frames, the two
// algorithms of a comparison), so no two of them ever share a counter.
class ReplicateStream {
  public:
    ReplicateStream(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream) noexcept
        : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
          rep_lo_(static_cast<std::uint32_t>(replicate)),
          rep_hi_(static_cast<std::uint32_t>(replicate >> 32)),
          stream_(stream) {}

    std::uint32_t next() noexcept {
        if (pos_ == kWords) {
            philox4x32_10_x4(block_, rep_lo_, rep_hi_, stream_, key_, buf_);
            block_ += 4;
            pos_ = 0;
        }
        return buf_[pos_++];
    }

  private:
    static constexpr int kWords = 16;
    Key key_;
    std::uint32_t rep_lo_, rep_hi_, stream_;
    std::uint32_t block_ = 0;
    std::uint32_t buf_[kWords] = {};
    int pos_ = kWords;
};

// Uniform integers in [0, n) drawn several at a time from one 32-bit word.
// Lemire's multiply-and-reject on the product range P = n^m gives a uniform
// value in [0, P); multiplying the word by n one digit at a time reads off that
// value's base-n digits, which are m independent uniform draws in [0, n)
// (Brackett-Rozinsky & Lemire 2024, "Batched ranged random integer generation").
// P is capped at 2^28 so a word is rejected with probability below 1/16.
struct BoundedPlan {
    std::uint32_t n = 1;
    std::uint32_t digits = 1;     // draws per accepted word
    std::uint32_t threshold = 0;  // 2^32 mod n^digits: reject a word whose low part is below it

    static std::uint32_t threshold_for(std::uint64_t range) noexcept {
        return static_cast<std::uint32_t>((std::uint64_t{1} << 32) % range);
    }

    explicit BoundedPlan(std::uint32_t bound = 1) noexcept : n(bound) {
        std::uint64_t range = bound;
        while (digits < 32 && range * bound <= (std::uint64_t{1} << 28)) {
            range *= bound;
            ++digits;
        }
        threshold = threshold_for(range);
    }
};

namespace detail {

// Digits of one word; returns whether the word is accepted.
inline bool word_digits(std::uint32_t word, std::uint64_t n, std::uint32_t m, std::uint32_t threshold,
                        std::uint32_t* out) noexcept {
    std::uint64_t low = word;
    for (std::uint32_t i = 0; i < m; ++i) {
        const std::uint64_t prod = low * n;
        out[i] = static_cast<std::uint32_t>(prod >> 32);
        low = prod & 0xFFFFFFFFu;
    }
    return low >= threshold;
}

// Digits of four words, digit i of word w to out[i * 4 + w]; low[] ends as
// the words' final low parts (for the rejection test). SSE2 (every x86-64)
// multiplies two words per instruction; elsewhere the same arithmetic, scalar.
inline void interleaved_digits(std::uint32_t* low, std::uint32_t n, std::uint32_t k, std::uint32_t* out) noexcept {
#if defined(__SSE2__) || defined(_M_X64)
    const __m128i bound = _mm_set1_epi64x(n);
    const __m128i mask = _mm_set1_epi64x(0xFFFFFFFFll);
    __m128i w01 = _mm_set_epi64x(low[1], low[0]);
    __m128i w23 = _mm_set_epi64x(low[3], low[2]);
    for (std::uint32_t i = 0; i < k; ++i) {
        const __m128i p01 = _mm_mul_epu32(w01, bound);
        const __m128i p23 = _mm_mul_epu32(w23, bound);
        // High halves sit in 32-bit slots 1 and 3 of each product pair.
        const __m128 high = _mm_shuffle_ps(_mm_castsi128_ps(p01), _mm_castsi128_ps(p23), _MM_SHUFFLE(3, 1, 3, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4 * i), _mm_castps_si128(high));
        w01 = _mm_and_si128(p01, mask);
        w23 = _mm_and_si128(p23, mask);
    }
    alignas(16) std::uint64_t rest[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(rest), w01);
    _mm_store_si128(reinterpret_cast<__m128i*>(rest + 2), w23);
    for (int w = 0; w < 4; ++w) low[w] = static_cast<std::uint32_t>(rest[w]);
#else
    for (std::uint32_t i = 0; i < k; ++i) {
        for (std::uint32_t w = 0; w < 4; ++w) {
            const std::uint64_t prod = std::uint64_t{low[w]} * n;
            out[4 * i + w] = static_cast<std::uint32_t>(prod >> 32);
            low[w] = static_cast<std::uint32_t>(prod);
        }
    }
#endif
}

inline void chunk_digits(ReplicateStream& rng, std::uint64_t n, std::uint32_t m, std::uint32_t threshold,
                         std::uint32_t* out) noexcept {
    while (!word_digits(rng.next(), n, m, threshold, out)) {
    }
}

}  // namespace detail

// Writes `count` uniform draws in [0, plan.n) to out. n == 1 consumes no words.
// Full chunks go four words at a time: their multiply chains are independent,
// so they overlap instead of waiting on each other's latency. A rejected word's
// chunk is redrawn right after, from the next words, so the draws remain a fixed
// function of the stream.
inline void draw_bounded(ReplicateStream& rng, const BoundedPlan& plan, std::uint32_t count,
                         std::uint32_t* out) noexcept {
    const std::uint64_t n = plan.n;
    if (n == 1) {
        for (std::uint32_t i = 0; i < count; ++i) out[i] = 0;
        return;
    }
    const std::uint32_t k = plan.digits;
    const std::uint32_t n32 = plan.n;
    constexpr std::uint32_t kLanes = 4;  // interleaved_digits works on four words
    std::uint32_t done = 0;
    while (count - done >= kLanes * k) {
        // Digit i of word w lands at done + i * kLanes + w: each digit step
        // writes four adjacent draws, which vectorizes.
        std::uint32_t low[kLanes];
        for (std::uint32_t w = 0; w < kLanes; ++w) low[w] = rng.next();
        std::uint32_t* block = out + done;
        detail::interleaved_digits(low, n32, k, block);
        for (std::uint32_t w = 0; w < kLanes; ++w) {
            if (low[w] >= plan.threshold) continue;
            // A rejected word: redraw its k digits, into its own interleaved slots.
            std::uint32_t digits[32];
            detail::chunk_digits(rng, n, k, plan.threshold, digits);
            for (std::uint32_t i = 0; i < k; ++i) block[i * kLanes + w] = digits[i];
        }
        done += kLanes * k;
    }
    while (done < count) {
        const std::uint32_t m = count - done < k ? count - done : k;
        std::uint32_t threshold = plan.threshold;
        if (m != k) {
            std::uint64_t range = 1;
            for (std::uint32_t i = 0; i < m; ++i) range *= n;
            threshold = BoundedPlan::threshold_for(range);
        }
        detail::chunk_digits(rng, n, m, threshold, out + done);
        done += m;
    }
}

}  // namespace precipice
