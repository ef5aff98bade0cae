// Philox4x32-10 counter-based generator (Salmon et al., SC'11) and the stream
// layout that makes every bootstrap replicate a pure function of (seed, replicate).
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#define PRECIPICE_PHILOX_SSE2 1
#include <emmintrin.h>
#endif

// AVX2 and AVX-512F kernels are compiled per function (target attributes) and
// picked at run time, so the portable x86-64 build still uses them on CPUs that
// have them. GCC and Clang on x86-64 only (not clang-cl, which may lack the
// CPU-detection runtime); elsewhere (MSVC, ARM) the SSE2 or scalar kernels run.
// Every kernel gives the same words and the same draws.
#if defined(PRECIPICE_PHILOX_SSE2) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(_MSC_VER) && !defined(PRECIPICE_NO_CLONES)
#define PRECIPICE_PHILOX_DISPATCH 1
#include <immintrin.h>
#endif

namespace precipice {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;

namespace detail {
constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;
}  // namespace detail

inline Counter philox4x32_10(Counter ctr, Key key) noexcept {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += detail::kPhiloxW0;
            key[1] += detail::kPhiloxW1;
        }
        const std::uint64_t p0 = std::uint64_t{detail::kPhiloxM0} * ctr[0];
        const std::uint64_t p1 = std::uint64_t{detail::kPhiloxM1} * ctr[2];
        ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0],
               static_cast<std::uint32_t>(p1),
               static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1],
               static_cast<std::uint32_t>(p0)};
    }
    return ctr;
}

namespace detail {

// Consecutive Philox blocks on vectors, written in stream order: out[4 b + j] =
// word j of block first + b. Each 64-bit lane carries one block's word in its
// low half; the high half is junk that nothing reads. The 32x32->64 multiply
// reads only low halves and its product holds the round's new word in the low
// half, so a round is two multiplies, two shifts and the xors, with no
// shuffles. The round keys live in the low (k0) or high (k1) halves of vectors
// that are not uniform, which keeps compilers from turning each round's key
// into a scalar add and a broadcast. Two register sets run interleaved to hide
// the multiply latency. Lane i of set s holds block first + s * 2L + sigma(i)
// (L 128-bit lanes per register) with sigma(2i) = i and sigma(2i + 1) = L + i,
// so the in-lane transpose at the end leaves the set's blocks 0..L-1 in one
// register and L..2L-1 in another, each stored in one piece.

#if defined(PRECIPICE_PHILOX_SSE2)
// Blocks first..first+3: 16 words.
inline int philox_fill_sse2(std::uint32_t first, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, Key key,
                            std::uint32_t* out) noexcept {
    const int key0 = static_cast<int>(key[0]), key1 = static_cast<int>(key[1]);
    const int step0 = static_cast<int>(kPhiloxW0), step1 = static_cast<int>(kPhiloxW1);
    const __m128i m0 = _mm_set1_epi32(static_cast<int>(kPhiloxM0)), m1 = _mm_set1_epi32(static_cast<int>(kPhiloxM1));
    const __m128i w0 = _mm_setr_epi32(step0, step1, step0, step1), w1 = _mm_setr_epi32(step1, step0, step1, step0);
    __m128i k0 = _mm_setr_epi32(key0, key1, key0, key1), k1 = _mm_setr_epi32(key1, key0, key1, key0);
    const __m128i block = _mm_set1_epi32(static_cast<int>(first));
    __m128i x0[2] = {_mm_add_epi32(block, _mm_set_epi64x(1, 0)), _mm_add_epi32(block, _mm_set_epi64x(3, 2))};
    __m128i x1[2], x2[2], x3[2];
    for (int s = 0; s < 2; ++s) {
        x1[s] = _mm_set1_epi32(static_cast<int>(c1));
        x2[s] = _mm_set1_epi32(static_cast<int>(c2));
        x3[s] = _mm_set1_epi32(static_cast<int>(c3));
    }
    for (int round = 0; round < 10; ++round) {
        for (int s = 0; s < 2; ++s) {
            const __m128i p0 = _mm_mul_epu32(x0[s], m0);
            const __m128i p1 = _mm_mul_epu32(x2[s], m1);
            x0[s] = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p1, 32), x1[s]), k0);
            x1[s] = p1;
            x2[s] = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p0, 32), x3[s]), k1);
            x3[s] = p0;
        }
        k0 = _mm_add_epi32(k0, w0);
        k1 = _mm_add_epi32(k1, w1);
    }
    for (int s = 0; s < 2; ++s) {
        const __m128 a = _mm_shuffle_ps(_mm_castsi128_ps(x0[s]), _mm_castsi128_ps(x1[s]), _MM_SHUFFLE(2, 0, 2, 0));
        const __m128 b = _mm_shuffle_ps(_mm_castsi128_ps(x2[s]), _mm_castsi128_ps(x3[s]), _MM_SHUFFLE(2, 0, 2, 0));
        _mm_storeu_ps(reinterpret_cast<float*>(out + 8 * s), _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm_storeu_ps(reinterpret_cast<float*>(out + 8 * s + 4), _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    return 16;
}
#endif

#if defined(PRECIPICE_PHILOX_DISPATCH)
enum class SimdLevel { base, avx2, avx512 };

// The widest kernels this CPU runs (the OS saving their registers), found once.
// PRECIPICE_SIMD=sse2|avx2 caps the width, so that tests (and anyone curious)
// can run the narrower kernels on a wide machine and see the same draws.
inline SimdLevel simd_level() noexcept {
    static const SimdLevel level = [] {
        __builtin_cpu_init();
        SimdLevel cpu = SimdLevel::base;
        if (__builtin_cpu_supports("avx512f"))
            cpu = SimdLevel::avx512;
        else if (__builtin_cpu_supports("avx2"))
            cpu = SimdLevel::avx2;
        const char* cap = std::getenv("PRECIPICE_SIMD");
        if (cap != nullptr && std::strcmp(cap, "sse2") == 0) return SimdLevel::base;
        if (cap != nullptr && std::strcmp(cap, "avx2") == 0 && cpu == SimdLevel::avx512) return SimdLevel::avx2;
        return cpu;
    }();
    return level;
}

// Blocks first..first+7: 32 words.
__attribute__((target("avx2"))) inline int philox_fill_avx2(std::uint32_t first, std::uint32_t c1, std::uint32_t c2,
                                                            std::uint32_t c3, Key key, std::uint32_t* out) noexcept {
    const int key0 = static_cast<int>(key[0]), key1 = static_cast<int>(key[1]);
    const int step0 = static_cast<int>(kPhiloxW0), step1 = static_cast<int>(kPhiloxW1);
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
    const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
    const __m256i w0 = _mm256_setr_epi32(step0, step1, step0, step1, step0, step1, step0, step1);
    const __m256i w1 = _mm256_setr_epi32(step1, step0, step1, step0, step1, step0, step1, step0);
    __m256i k0 = _mm256_setr_epi32(key0, key1, key0, key1, key0, key1, key0, key1);
    __m256i k1 = _mm256_setr_epi32(key1, key0, key1, key0, key1, key0, key1, key0);
    const __m256i block = _mm256_set1_epi32(static_cast<int>(first));
    __m256i x0[2] = {_mm256_add_epi32(block, _mm256_set_epi64x(3, 1, 2, 0)),
                     _mm256_add_epi32(block, _mm256_set_epi64x(7, 5, 6, 4))};
    __m256i x1[2], x2[2], x3[2];
    for (int s = 0; s < 2; ++s) {
        x1[s] = _mm256_set1_epi32(static_cast<int>(c1));
        x2[s] = _mm256_set1_epi32(static_cast<int>(c2));
        x3[s] = _mm256_set1_epi32(static_cast<int>(c3));
    }
    for (int round = 0; round < 10; ++round) {
        for (int s = 0; s < 2; ++s) {
            const __m256i p0 = _mm256_mul_epu32(x0[s], m0);
            const __m256i p1 = _mm256_mul_epu32(x2[s], m1);
            x0[s] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1[s]), k0);
            x1[s] = p1;
            x2[s] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3[s]), k1);
            x3[s] = p0;
        }
        k0 = _mm256_add_epi32(k0, w0);
        k1 = _mm256_add_epi32(k1, w1);
    }
    for (int s = 0; s < 2; ++s) {
        const __m256 a =
            _mm256_shuffle_ps(_mm256_castsi256_ps(x0[s]), _mm256_castsi256_ps(x1[s]), _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 b =
            _mm256_shuffle_ps(_mm256_castsi256_ps(x2[s]), _mm256_castsi256_ps(x3[s]), _MM_SHUFFLE(2, 0, 2, 0));
        _mm256_storeu_ps(reinterpret_cast<float*>(out + 16 * s), _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm256_storeu_ps(reinterpret_cast<float*>(out + 16 * s + 8), _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    return 32;
}

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which
// -Wuninitialized reports once inlined (GCC bug 105593).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// Blocks first..first+15: 64 words. The three-way xors are one instruction each.
__attribute__((target("avx512f"))) inline int philox_fill_avx512(std::uint32_t first, std::uint32_t c1,
                                                                 std::uint32_t c2, std::uint32_t c3, Key key,
                                                                 std::uint32_t* out) noexcept {
    const int key0 = static_cast<int>(key[0]), key1 = static_cast<int>(key[1]);
    const int step0 = static_cast<int>(kPhiloxW0), step1 = static_cast<int>(kPhiloxW1);
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
    const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
    const __m512i w0 = _mm512_set4_epi32(step1, step0, step1, step0), w1 = _mm512_set4_epi32(step0, step1, step0, step1);
    __m512i k0 = _mm512_set4_epi32(key1, key0, key1, key0), k1 = _mm512_set4_epi32(key0, key1, key0, key1);
    const __m512i block = _mm512_set1_epi32(static_cast<int>(first));
    __m512i x0[2] = {_mm512_add_epi32(block, _mm512_set_epi64(7, 3, 6, 2, 5, 1, 4, 0)),
                     _mm512_add_epi32(block, _mm512_set_epi64(15, 11, 14, 10, 13, 9, 12, 8))};
    __m512i x1[2], x2[2], x3[2];
    for (int s = 0; s < 2; ++s) {
        x1[s] = _mm512_set1_epi32(static_cast<int>(c1));
        x2[s] = _mm512_set1_epi32(static_cast<int>(c2));
        x3[s] = _mm512_set1_epi32(static_cast<int>(c3));
    }
    constexpr int kXor3 = 0x96;  // ternary-logic truth table of a ^ b ^ c
    for (int round = 0; round < 10; ++round) {
        for (int s = 0; s < 2; ++s) {
            const __m512i p0 = _mm512_mul_epu32(x0[s], m0);
            const __m512i p1 = _mm512_mul_epu32(x2[s], m1);
            x0[s] = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p1, 32), x1[s], k0, kXor3);
            x1[s] = p1;
            x2[s] = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p0, 32), x3[s], k1, kXor3);
            x3[s] = p0;
        }
        k0 = _mm512_add_epi32(k0, w0);
        k1 = _mm512_add_epi32(k1, w1);
    }
    for (int s = 0; s < 2; ++s) {
        const __m512 a =
            _mm512_shuffle_ps(_mm512_castsi512_ps(x0[s]), _mm512_castsi512_ps(x1[s]), _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 b =
            _mm512_shuffle_ps(_mm512_castsi512_ps(x2[s]), _mm512_castsi512_ps(x3[s]), _MM_SHUFFLE(2, 0, 2, 0));
        _mm512_storeu_ps(out + 32 * s, _mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm512_storeu_ps(out + 32 * s + 16, _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    return 64;
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// The blocks from `first` on, as many as the widest kernel makes at once;
// returns the number of words written (16, 32 or 64).
inline int philox_fill(std::uint32_t first, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, Key key,
                       std::uint32_t* out) noexcept {
#if defined(PRECIPICE_PHILOX_DISPATCH)
    switch (simd_level()) {
        case SimdLevel::avx512:
            return philox_fill_avx512(first, c1, c2, c3, key, out);
        case SimdLevel::avx2:
            return philox_fill_avx2(first, c1, c2, c3, key, out);
        case SimdLevel::base:
            break;
    }
#endif
#if defined(PRECIPICE_PHILOX_SSE2)
    return philox_fill_sse2(first, c1, c2, c3, key, out);
#else
    for (std::uint32_t b = 0; b < 4; ++b) {
        const Counter words = philox4x32_10({first + b, c1, c2, c3}, key);
        for (int j = 0; j < 4; ++j) out[4 * b + j] = words[j];
    }
    return 16;
#endif
}

}  // namespace detail

// Which Philox and digit kernels run here: "avx512", "avx2", "sse2" or "scalar".
// They all give the same words and draws.
inline const char* random_kernels() noexcept {
#if defined(PRECIPICE_PHILOX_DISPATCH)
    switch (detail::simd_level()) {
        case detail::SimdLevel::avx512:
            return "avx512";
        case detail::SimdLevel::avx2:
            return "avx2";
        case detail::SimdLevel::base:
            break;
    }
#endif
#if defined(PRECIPICE_PHILOX_SSE2)
    return "sse2";
#else
    return "scalar";
#endif
}

// The 32-bit words of one (seed, replicate, stream) triple, in a fixed order.
// Counter = (block, replicate low, replicate high, stream); key = seed. A stream
// separates independent sample sources inside one replicate (frames, the two
// algorithms of a comparison), so no two of them ever share a counter.
class ReplicateStream {
  public:
    static constexpr int kMaxPeek = 8;

    ReplicateStream(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream) noexcept
        : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
          rep_lo_(static_cast<std::uint32_t>(replicate)),
          rep_hi_(static_cast<std::uint32_t>(replicate >> 32)),
          stream_(stream) {}

    std::uint32_t next() noexcept {
        if (pos_ == end_) refill();
        return buf_[pos_++];
    }

    // The next `count` (at most kMaxPeek) words as one array, for reading them
    // as a vector; they stay unread until skip().
    const std::uint32_t* peek(int count) noexcept {
        if (end_ - pos_ < count) refill();
        return buf_ + pos_;
    }
    void skip(int count) noexcept { pos_ += count; }

  private:
    // Moves the unread words to the front and appends the next blocks. Out of
    // line: it runs once per 16 to 64 words, and inlined copies of the Philox
    // kernels would crowd the loops that read the words.
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((noinline))
#endif
    void refill() noexcept {
        const int rest = end_ - pos_;
        for (int i = 0; i < rest; ++i) buf_[i] = buf_[pos_ + i];
        const int filled = detail::philox_fill(block_, rep_lo_, rep_hi_, stream_, key_, buf_ + rest);
        block_ += static_cast<std::uint32_t>(filled / 4);
        pos_ = 0;
        end_ = rest + filled;
    }

    Key key_;
    std::uint32_t rep_lo_, rep_hi_, stream_;
    std::uint32_t block_ = 0;
    int pos_ = 0, end_ = 0;
    std::uint32_t buf_[kMaxPeek - 1 + 64];  // unread words (fewer than kMaxPeek) + one fill
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

#if defined(PRECIPICE_PHILOX_SSE2)
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
#if defined(PRECIPICE_PHILOX_SSE2)
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

#if defined(PRECIPICE_PHILOX_DISPATCH)
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
__attribute__((target("avx2"))) inline void redraw_group_avx2(ReplicateStream& rng, __m128i words, unsigned pending,
                                                              __m128i bound, std::uint32_t k,
                                                              __m128i biased_threshold, std::uint32_t* out) noexcept {
    constexpr std::uint64_t kPopcount4 = 0x4332322132212110ull;  // nibble m: the number of bits set in m
    for (;;) {
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rng.peek(4)));
        const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(words), next, 1);
        const __m128i index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kExpand.index[pending]));
        words = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(both, _mm256_castsi128_si256(index)));
        const unsigned rejected = pending & group_digits(_mm_unpacklo_epi32(words, words),
                                                         _mm_unpackhi_epi32(words, words), bound, k,
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
__attribute__((target("avx2"))) inline void draw_groups_avx2(ReplicateStream& rng, std::uint32_t n, std::uint32_t k,
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
                redraw_group_avx2(rng, _mm256_extracti128_si256(words, 1), rejected >> 4, bound4, k,
                                  biased_threshold4, out + 4 * k);
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
#if defined(PRECIPICE_PHILOX_DISPATCH)
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
