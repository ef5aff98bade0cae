// The Philox4x32-10 counter-based block function (Salmon et al., SC'11), and
// its kernels that fill consecutive blocks with SSE2, AVX2 or AVX-512F (all
// giving the same words, picked by simd_level()).
#pragma once

#include <array>
#include <cstdint>

#include "precipice/simd.hpp"

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
        ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
               static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
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

#if defined(PRECIPICE_SIMD_SSE2)
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

#if defined(PRECIPICE_SIMD_DISPATCH)
// Blocks first..first+7: 32 words.
PRECIPICE_TARGET_AVX2 inline int philox_fill_avx2(std::uint32_t first, std::uint32_t c1, std::uint32_t c2,
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
PRECIPICE_TARGET_AVX512 inline int philox_fill_avx512(std::uint32_t first, std::uint32_t c1, std::uint32_t c2,
                                                      std::uint32_t c3, Key key, std::uint32_t* out) noexcept {
    const int key0 = static_cast<int>(key[0]), key1 = static_cast<int>(key[1]);
    const int step0 = static_cast<int>(kPhiloxW0), step1 = static_cast<int>(kPhiloxW1);
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
    const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
    const __m512i w0 = _mm512_set4_epi32(step1, step0, step1, step0),
                  w1 = _mm512_set4_epi32(step0, step1, step0, step1);
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
#if defined(PRECIPICE_SIMD_DISPATCH)
    switch (simd_level()) {
        case SimdLevel::avx512:
            return philox_fill_avx512(first, c1, c2, c3, key, out);
        case SimdLevel::avx2:
            return philox_fill_avx2(first, c1, c2, c3, key, out);
        case SimdLevel::base:
            break;
    }
#endif
#if defined(PRECIPICE_SIMD_SSE2)
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
inline const char* random_kernels() noexcept { return simd_name(); }

}  // namespace precipice
