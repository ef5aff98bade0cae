// Distributions of the random layer (see precipice/random/distributions.hpp).
#include "precipice/random/distributions.hpp"

#include <cmath>

#include "precipice/math.hpp"

namespace precipice {

namespace {

// log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2], the error of
// Stirling's approximation of log(k!), which BTRD's final test needs (from
// log_gamma, not std::lgamma: the draws run in several threads).
double stirling_correction(std::int64_t k) noexcept {
    const double kd = static_cast<double>(k);
    if (k < 10) {
        return log_gamma(kd + 1.0) - ((kd + 0.5) * std::log(kd + 1.0) - (kd + 1.0) + kHalfLog2Pi);
    }
    const double r = 1.0 / (kd + 1.0), r2 = r * r;
    return (1.0 / 12.0 - (1.0 / 360.0 - r2 / 1260.0) * r2) * r;
}

// Inversion: walk the pmf from 0, f(x) = f(x - 1) (n - x + 1) p / (x q).
// Used when n p < 10 (p <= 1/2), so q^n > e^-14 never underflows and the walk is short.
std::int64_t binomial_inversion(ReplicateStream& rng, std::int64_t n, double p) noexcept {
    const double q = 1.0 - p, s = p / q, a = (static_cast<double>(n) + 1.0) * s;
    const double f0 = std::pow(q, static_cast<double>(n));
    for (;;) {
        double u = uniform53(rng), f = f0;
        std::int64_t x = 0;
        // Rounding can leave u above the whole (rounded) pmf: start again then.
        while (u > f && x < n) {
            u -= f;
            ++x;
            f *= a / static_cast<double>(x) - s;
        }
        if (u <= f) return x;
    }
}

// BTRD (Hormann 1993): transformed rejection with a decomposition; needs
// p <= 1/2 and n p >= 10. Expected uniforms per draw are below 2.5.
std::int64_t binomial_btrd(ReplicateStream& rng, std::int64_t n, double p) noexcept {
    const double nd = static_cast<double>(n), q = 1.0 - p;
    const double spq = std::sqrt(nd * p * q), npq = nd * p * q;
    const double b = 1.15 + 2.53 * spq;
    const double a = -0.0873 + 0.0248 * b + 0.01 * p;
    const double c = nd * p + 0.5;
    const double alpha = (2.83 + 5.1 / b) * spq;
    const double v_r = 0.92 - 4.2 / b;
    const double u_rv_r = 0.86 * v_r;
    const auto m = static_cast<std::int64_t>(std::floor((nd + 1.0) * p));
    const double r = p / q, nr = (nd + 1.0) * r;
    for (;;) {
        double v = uniform53(rng), u;
        if (v <= u_rv_r) {
            // The central box: accepted without a test.
            u = v / v_r - 0.43;
            const double k = std::floor((2.0 * a / (0.5 - std::fabs(u)) + b) * u + c);
            if (k >= 0.0 && k <= nd) return static_cast<std::int64_t>(k);
            continue;
        }
        if (v >= v_r) {
            u = uniform53(rng) - 0.5;
        } else {
            u = v / v_r - 0.93;
            u = (u < 0.0 ? -0.5 : 0.5) - u;
            v = uniform53(rng) * v_r;
        }
        const double us = 0.5 - std::fabs(u);
        if (us <= 0.0) continue;
        const double kd = std::floor((2.0 * a / us + b) * u + c);
        if (!(kd >= 0.0 && kd <= nd)) continue;
        const auto k = static_cast<std::int64_t>(kd);
        v = v * alpha / (a / (us * us) + b);
        const std::int64_t km = k > m ? k - m : m - k;
        if (km <= 15) {
            // f(k) / f(m) by the pmf's ratio recursion.
            double f = 1.0;
            if (m < k) {
                for (std::int64_t i = m + 1; i <= k; ++i) f *= nr / static_cast<double>(i) - r;
            } else if (m > k) {
                for (std::int64_t i = k + 1; i <= m; ++i) v *= nr / static_cast<double>(i) - r;
            }
            if (v <= f) return k;
            continue;
        }
        // Squeeze on log f(k) / f(m), then the exact test with Stirling terms.
        v = std::log(v);
        const double kmd = static_cast<double>(km);
        const double rho = (kmd / npq) * (((kmd / 3.0 + 0.625) * kmd + 1.0 / 6.0) / npq + 0.5);
        const double t = -kmd * kmd / (2.0 * npq);
        if (v < t - rho) return k;
        if (v > t + rho) continue;
        const double nm = nd - static_cast<double>(m) + 1.0;
        const double h = (static_cast<double>(m) + 0.5) * std::log((static_cast<double>(m) + 1.0) / (r * nm)) +
                         stirling_correction(m) + stirling_correction(n - m);
        const double nk = nd - kd + 1.0;
        if (v <= h + (nd + 1.0) * std::log(nm / nk) + (kd + 0.5) * std::log(nk * r / (kd + 1.0)) -
                     stirling_correction(k) - stirling_correction(n - k))
            return k;
    }
}

}  // namespace

std::int64_t binomial(ReplicateStream& rng, std::int64_t trials, double p) noexcept {
    if (trials <= 0 || p <= 0.0) return 0;
    if (p >= 1.0) return trials;
    // Draw the rarer outcome: both algorithms need p <= 1/2.
    const bool flip = p > 0.5;
    const double pp = flip ? 1.0 - p : p;
    const std::int64_t x =
        static_cast<double>(trials) * pp < 10.0 ? binomial_inversion(rng, trials, pp) : binomial_btrd(rng, trials, pp);
    return flip ? trials - x : x;
}

}  // namespace precipice
