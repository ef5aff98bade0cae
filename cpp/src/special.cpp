// Distribution tails for the rank tests; see special.hpp.
#include "precipice/special.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "precipice/math.hpp"

namespace precipice {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of I_x(a, b) (the modified Lentz method), which
// converges fast for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
    constexpr double kTiny = 1e-300, kEps = 1e-16;
    constexpr int kMaxTerms = 100000;
    const double sum = a + b, up = a + 1.0, down = a - 1.0;
    double c = 1.0, d = 1.0 - sum * x / up;
    if (std::fabs(d) < kTiny) d = kTiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < kMaxTerms; ++m) {
        const double m2 = 2.0 * m;
        double an = m * (b - m) * x / ((down + m2) * (a + m2));
        d = 1.0 + an * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1.0 + an / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        h *= d * c;
        an = -(a + m) * (sum + m) * x / ((a + m2) * (up + m2));
        d = 1.0 + an * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1.0 + an / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        const double step = d * c;
        h *= step;
        if (std::fabs(step - 1.0) < kEps) break;
    }
    return h;
}

// Phi(hi) - Phi(lo) for lo <= hi, from the tail on the side where both lie, so
// that a difference of two numbers near 1 keeps its digits.
double normal_mass(double lo, double hi) {
    constexpr double kInvSqrt2 = 0.70710678118654752440;
    if (lo >= 0.0) return 0.5 * (std::erfc(lo * kInvSqrt2) - std::erfc(hi * kInvSqrt2));
    if (hi <= 0.0) return 0.5 * (std::erfc(-hi * kInvSqrt2) - std::erfc(-lo * kInvSqrt2));
    return 1.0 - 0.5 * (std::erfc(-lo * kInvSqrt2) + std::erfc(hi * kInvSqrt2));
}

// Gauss–Legendre nodes and weights on [-1, 1], by Newton's method on the
// Legendre polynomial (its roots are near cos(pi (i - 1/4) / (n + 1/2))).
constexpr int kNodes = 20;
struct Legendre {
    std::array<double, kNodes> node{}, weight{};
    Legendre() {
        constexpr double kPi = 3.14159265358979323846;
        for (int i = 0; i < kNodes; ++i) {
            double x = std::cos(kPi * (i + 0.75) / (kNodes + 0.5)), derivative = 0.0;
            for (int iteration = 0; iteration < 100; ++iteration) {
                double p0 = 1.0, p1 = x;
                for (int n = 2; n <= kNodes; ++n) {
                    const double p2 = ((2.0 * n - 1.0) * x * p1 - (n - 1.0) * p0) / n;
                    p0 = p1;
                    p1 = p2;
                }
                derivative = kNodes * (x * p1 - p0) / (x * x - 1.0);
                const double step = p1 / derivative;
                x -= step;
                if (std::fabs(step) < 1e-16) break;
            }
            node[i] = x;
            weight[i] = 2.0 / ((1.0 - x * x) * derivative * derivative);
        }
    }
};

}  // namespace

double regularized_beta(double a, double b, double x, double y) {
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(y >= 0.0)) return kNaN;
    if (x == 0.0) return 0.0;
    if (y == 0.0) return 1.0;
    const double log_front = log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * std::log(x) + b * std::log(y);
    const double front = std::exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
    return 1.0 - front * beta_fraction(b, a, y) / b;
}

double f_survival(double x, double df1, double df2) {
    if (!(df1 > 0.0) || !(df2 > 0.0) || std::isnan(x)) return kNaN;
    if (x <= 0.0) return 1.0;
    if (std::isinf(x)) return 0.0;
    const double scale = df1 * x + df2;
    return regularized_beta(0.5 * df2, 0.5 * df1, df2 / scale, df1 * x / scale);
}

double studentized_range_cdf(double q, int k) {
    if (k < 2 || std::isnan(q)) return kNaN;
    if (q <= 0.0) return 0.0;
    if (std::isinf(q)) return 1.0;
    static const Legendre rule;
    // phi(z) is below 1e-18 outside [-9.5, 9.5]. On panels of width 1 the
    // integrand (smooth, one bump) is a polynomial of degree 2 * kNodes - 1 to
    // rounding: narrower panels change the result by under 1e-15 for k = 2..100.
    constexpr double kLimit = 9.5, kWidth = 1.0, kInvSqrt2Pi = 0.39894228040143267794;
    const int panels = static_cast<int>(2.0 * kLimit / kWidth + 0.5);
    double total = 0.0;
    for (int p = 0; p < panels; ++p) {
        const double mid = -kLimit + (p + 0.5) * kWidth;
        double panel = 0.0;
        for (int i = 0; i < kNodes; ++i) {
            const double z = mid + 0.5 * kWidth * rule.node[i];
            const double mass = normal_mass(z, z + q);
            panel += rule.weight[i] * std::exp(-0.5 * z * z) * std::pow(mass, k - 1);
        }
        total += panel;
    }
    const double cdf = k * kInvSqrt2Pi * 0.5 * kWidth * total;
    return cdf < 0.0 ? 0.0 : (cdf > 1.0 ? 1.0 : cdf);
}

double studentized_range_quantile(double p, int k) {
    if (k < 2 || !(p > 0.0) || !(p < 1.0)) return kNaN;
    double lo = 0.0, hi = 1.0;
    while (studentized_range_cdf(hi, k) < p) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e3) return std::numeric_limits<double>::infinity();
    }
    for (int iteration = 0; iteration < 200 && hi - lo > 1e-15 * hi; ++iteration) {
        const double mid = 0.5 * (lo + hi);
        (studentized_range_cdf(mid, k) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

}  // namespace precipice
