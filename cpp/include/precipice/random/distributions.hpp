// Continuous and discrete distributions drawn from a replicate stream.
#pragma once

#include <cstdint>

#include "precipice/random/stream.hpp"

namespace precipice {

// A uniform double in [0, 1) with 53 random bits, from two words of the stream.
inline double uniform53(ReplicateStream& rng) noexcept {
    const std::uint64_t hi = rng.next() >> 5;  // 27 bits
    const std::uint64_t lo = rng.next() >> 6;  // 26 bits
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

// An exact Binomial(trials, p) draw: inversion of the cdf for trials * min(p, 1 - p)
// below 10, Hormann's BTRD rejection algorithm (1993, "The generation of binomial
// random variates") above. Needs trials >= 0 and 0 <= p <= 1.
std::int64_t binomial(ReplicateStream& rng, std::int64_t trials, double p) noexcept;

}  // namespace precipice
