// Reading the bit-packed response stores (private to cpp/src/irt): bit counts
// and iteration over the set bits of a row or column.
#pragma once

#include <cstdint>

#ifdef _MSC_VER
#include <intrin.h>
#endif

namespace precipice::irt::detail {

inline int popcount(std::uint64_t bits) {
#ifdef _MSC_VER
    return static_cast<int>(__popcnt64(bits));
#else
    return __builtin_popcountll(bits);
#endif
}

inline int lowest_bit(std::uint64_t bits) {
#ifdef _MSC_VER
    unsigned long index;
    _BitScanForward64(&index, bits);
    return static_cast<int>(index);
#else
    return __builtin_ctzll(bits);
#endif
}

// f(index) for every set bit of words[0 .. n_words).
template <class F>
inline void for_each_bit(const std::uint64_t* words, std::int64_t n_words, F f) {
    for (std::int64_t w = 0; w < n_words; ++w) {
        std::uint64_t bits = words[w];
        while (bits) {
            f(w * 64 + lowest_bit(bits));
            bits &= bits - 1;
        }
    }
}

}  // namespace precipice::irt::detail
