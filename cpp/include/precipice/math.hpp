// Special functions shared by the pillars, safe to call from several threads.
#pragma once

#include <cmath>

namespace precipice {

inline constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2

// log Gamma(x) for x > 0. Not std::lgamma: it writes the global signgam, a data
// race where threads call it at once (lgamma_r is POSIX only). The recurrence
// lifts x to 15 or more, where Stirling's series to x^-9 is accurate to about
// 2e-16.
inline double log_gamma(double x) noexcept {
    double product = 1.0;
    for (; x < 15.0; x += 1.0) product *= x;
    const double inv = 1.0 / x, inv2 = inv * inv;
    const double series =
        inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188))));
    return (x - 0.5) * std::log(x) - x + kHalfLog2Pi + series - std::log(product);
}

}  // namespace precipice
