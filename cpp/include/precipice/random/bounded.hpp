// Bounded draws: uniform integers in [0, n) from a replicate stream, several
// per 32-bit word, with SSE2 and AVX2 kernels that give the same draws.
#pragma once

#include <cstdint>

#include "precipice/random/stream.hpp"
#include "precipice/simd.hpp"

namespace precipice {

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

inline void chunk_digits(ReplicateStream& rng, std::uint64_t n, std::uint32_t m, std::uint32_t threshold,
                         std::uint32_t* out) noexcept {
    while (!word_digits(rng.next(), n, m, threshold, out)) {
    }
}

// Full chunks go in groups of four words: digit i of word w of a group lands at
// group + 4 i + w, so each digit step writes four adjacent draws, and the four
// multiply chains overlap. A rejected word is redrawn right after its group,
// from the next words, into its own slots (words in order, each until one is
// accepted), before the next group takes its words.

// Redraws the rejected words of a group (bit w of `rejected` for word w).
inline void redraw_rejected(ReplicateStream& rng, std::uint32_t n, std::uint32_t k, std::uint32_t threshold,
                            unsigned rejected, std::uint32_t* group) noexcept {
    for (std::uint32_t w = 0; w < 4; ++w) {
        if ((rejected >> w & 1u) == 0) continue;
        std::uint32_t digits[32];
        chunk_digits(rng, n, k, threshold, digits);
        for (std::uint32_t i = 0; i < k; ++i) group[i * 4 + w] = digits[i];
    }
}

#if defined(PRECIPICE_SIMD_SSE2)
// Digits of a group; returns the mask of its rejected words. Words 0, 1 (2, 3)
// sit in the low halves of the 64-bit lanes of w01 (w23): the multiply reads
// only those, and a product's low half is the word's next low part, its high
// half the digit. `biased_threshold` is threshold + 2^31, to compare unsigned
// numbers with a signed compare.
inline unsigned group_digits(__m128i w01, __m128i w23, __m128i bound, std::uint32_t k, __m128i biased_threshold,
                             std::uint32_t* out) noexcept {
    float* digits = reinterpret_cast<float*>(out);
    for (float* const end = digits + 4 * k; digits != end; digits += 4) {
        w01 = _mm_mul_epu32(w01, bound);
        w23 = _mm_mul_epu32(w23, bound);
        _mm_storeu_ps(digits, _mm_shuffle_ps(_mm_castsi128_ps(w01), _mm_castsi128_ps(w23), _MM_SHUFFLE(3, 1, 3, 1)));
    }
    const __m128i low =
        _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(w01), _mm_castsi128_ps(w23), _MM_SHUFFLE(2, 0, 2, 0)));
    const __m128i biased_low = _mm_xor_si128(low, _mm_set1_epi32(INT32_MIN));
    return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(biased_low, biased_threshold))));
}
#endif

inline void draw_groups_base(ReplicateStream& rng, std::uint32_t n, std::uint32_t k, std::uint32_t threshold,
                             std::uint32_t groups, std::uint32_t* out) noexcept {
#if defined(PRECIPICE_SIMD_SSE2)
    const __m128i bound = _mm_set1_epi32(static_cast<int>(n));
    const __m128i biased_threshold = _mm_set1_epi32(static_cast<int>(threshold ^ 0x80000000u));
    for (; groups > 0; --groups, out += 4 * k) {
        // Word by word: measured faster here than one vector load through
        // peek(), which right after a refill spans several of the refill's
        // stores and so cannot be forwarded from them.
        const std::uint32_t a0 = rng.next(), a1 = rng.next(), a2 = rng.next(), a3 = rng.next();
        const __m128i w01 =
            _mm_unpacklo_epi64(_mm_cvtsi32_si128(static_cast<int>(a0)), _mm_cvtsi32_si128(static_cast<int>(a1)));
        const __m128i w23 =
            _mm_unpacklo_epi64(_mm_cvtsi32_si128(static_cast<int>(a2)), _mm_cvtsi32_si128(static_cast<int>(a3)));
        const unsigned rejected = group_digits(w01, w23, bound, k, biased_threshold, out);
        if (rejected != 0) redraw_rejected(rng, n, k, threshold, rejected, out);
    }
#else
    for (; groups > 0; --groups, out += 4 * k) {
        std::uint32_t low[4];
        for (std::uint32_t w = 0; w < 4; ++w) low[w] = rng.next();
        for (std::uint32_t i = 0; i < k; ++i) {
            for (std::uint32_t w = 0; w < 4; ++w) {
                const std::uint64_t prod = std::uint64_t{low[w]} * n;
                out[4 * i + w] = static_cast<std::uint32_t>(prod >> 32);
                low[w] = static_cast<std::uint32_t>(prod);
            }
        }
        unsigned rejected = 0;
        for (std::uint32_t w = 0; w < 4; ++w) rejected |= static_cast<unsigned>(low[w] < threshold) << w;
        if (rejected != 0) redraw_rejected(rng, n, k, threshold, rejected, out);
    }
#endif
}

#if defined(PRECIPICE_SIMD_DISPATCH)
// For a mask p of pending words of a group, indices into (group words, next
// words): word w keeps lane w, or, pending, takes next word r, r being the
// rank of w among the pending words.
struct ExpandTable {
    std::int32_t index[16][4];
};
constexpr ExpandTable make_expand_table() {
    ExpandTable table{};
    for (int p = 0; p < 16; ++p) {
        int rank = 0;
        for (int w = 0; w < 4; ++w) table.index[p][w] = (p >> w & 1) != 0 ? 4 + rank++ : w;
    }
    return table;
}
inline constexpr ExpandTable kExpand = make_expand_table();

// Redraws the pending (rejected) words of a group, all at once: each pass gives
// every pending word the next unread word in order and redoes the group's
// digits (the kept words give the same digits again). Pending words before the
// first one rejected again are then done; that one and those after it wait for
// the next pass, as the order of the stream requires.
PRECIPICE_TARGET_AVX2 inline void redraw_group_avx2(ReplicateStream& rng, __m128i words, unsigned pending,
                                                    __m128i bound, std::uint32_t k, __m128i biased_threshold,
                                                    std::uint32_t* out) noexcept {
    constexpr std::uint64_t kPopcount4 = 0x4332322132212110ull;  // nibble m: the number of bits set in m
    for (;;) {
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rng.peek(4)));
        const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(words), next, 1);
        const __m128i index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kExpand.index[pending]));
        words = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(both, _mm256_castsi128_si256(index)));
        const unsigned rejected =
            pending & group_digits(_mm_unpacklo_epi32(words, words), _mm_unpackhi_epi32(words, words), bound, k,
                                   biased_threshold, out);
        // Usually every new word is kept: then the stream position does not
        // wait for the digits (a predicted branch, not a data dependency).
        if (rejected == 0) {
            rng.skip(static_cast<int>(kPopcount4 >> (4 * pending) & 0xFu));
            return;
        }
        const unsigned done = ((rejected & (0u - rejected)) - 1u) & pending;
        rng.skip(static_cast<int>(kPopcount4 >> (4 * done) & 0xFu) + 1);  // + the word rejected again
        pending &= ~done;
    }
}

// Two groups per step, the eight words in one register (128-bit lane g = group
// g). Whether a word is rejected is read off its low part after the k steps,
// word * n^k mod 2^32, a single multiply: the branch resolves early. Group 0's
// redraws take the words right after it, which are group 1's, so when group 0
// rejects a word, group 1 is done over from the words after the redraws.
PRECIPICE_TARGET_AVX2 inline void draw_groups_avx2(ReplicateStream& rng, std::uint32_t n, std::uint32_t k,
                                                   std::uint32_t threshold, std::uint32_t groups,
                                                   std::uint32_t* out) noexcept {
    std::uint32_t n_to_k = 1;
    for (std::uint32_t i = 0; i < k; ++i) n_to_k *= n;
    const __m256i bound = _mm256_set1_epi32(static_cast<int>(n));
    const __m256i power = _mm256_set1_epi32(static_cast<int>(n_to_k));
    const __m256i biased_threshold = _mm256_set1_epi32(static_cast<int>(threshold ^ 0x80000000u));
    const __m128i bound4 = _mm256_castsi256_si128(bound);
    const __m128i biased_threshold4 = _mm256_castsi256_si128(biased_threshold);
    while (groups >= 2) {
        const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rng.peek(8)));
        const __m256i biased_low = _mm256_xor_si256(_mm256_mullo_epi32(words, power), _mm256_set1_epi32(INT32_MIN));
        const auto rejected = static_cast<unsigned>(
            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(biased_threshold, biased_low))));
        __m256i w01 = _mm256_unpacklo_epi32(words, words), w23 = _mm256_unpackhi_epi32(words, words);
        float* digits = reinterpret_cast<float*>(out);  // group 0's; group 1's are 4 k further
        for (float* const end = digits + 4 * k; digits != end; digits += 4) {
            w01 = _mm256_mul_epu32(w01, bound);
            w23 = _mm256_mul_epu32(w23, bound);
            const __m256 high =
                _mm256_shuffle_ps(_mm256_castsi256_ps(w01), _mm256_castsi256_ps(w23), _MM_SHUFFLE(3, 1, 3, 1));
            _mm_storeu_ps(digits, _mm256_castps256_ps128(high));
            _mm_storeu_ps(digits + 4 * k, _mm256_extractf128_ps(high, 1));
        }
        std::uint32_t kept = 2;
        if ((rejected & 0xFu) != 0) {
            rng.skip(4);
            redraw_group_avx2(rng, _mm256_castsi256_si128(words), rejected & 0xFu, bound4, k, biased_threshold4, out);
            kept = 1;  // group 1 is done over
        } else {
            rng.skip(8);
            if (rejected != 0) {
                redraw_group_avx2(rng, _mm256_extracti128_si256(words, 1), rejected >> 4, bound4, k, biased_threshold4,
                                  out + 4 * k);
            }
        }
        groups -= kept;
        out += 4 * k * kept;
    }
    if (groups != 0) {
        const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rng.peek(4)));
        rng.skip(4);
        const unsigned rejected = group_digits(_mm_unpacklo_epi32(words, words), _mm_unpackhi_epi32(words, words),
                                               bound4, k, biased_threshold4, out);
        if (rejected != 0) redraw_group_avx2(rng, words, rejected, bound4, k, biased_threshold4, out);
    }
}
#endif

inline void draw_groups(ReplicateStream& rng, std::uint32_t n, std::uint32_t k, std::uint32_t threshold,
                        std::uint32_t groups, std::uint32_t* out) noexcept {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base) return draw_groups_avx2(rng, n, k, threshold, groups, out);
#endif
    draw_groups_base(rng, n, k, threshold, groups, out);
}

}  // namespace detail

// Writes `count` uniform draws in [0, plan.n) to out. n == 1 consumes no words.
// Full chunks go in groups of four words (detail::draw_groups, interleaved
// digits), the rest one word at a time. A rejected word's chunk is redrawn right
// after, from the next words, so the draws remain a fixed function of the stream.
inline void draw_bounded(ReplicateStream& rng, const BoundedPlan& plan, std::uint32_t count,
                         std::uint32_t* out) noexcept {
    const std::uint64_t n = plan.n;
    if (n == 1) {
        for (std::uint32_t i = 0; i < count; ++i) out[i] = 0;
        return;
    }
    const std::uint32_t k = plan.digits;
    const std::uint32_t groups = count / (4 * k);
    if (groups != 0) detail::draw_groups(rng, plan.n, k, plan.threshold, groups, out);
    std::uint32_t done = groups * 4 * k;
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
