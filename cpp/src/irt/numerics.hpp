// The numerics every IRT fit shares (private to cpp/src/irt): stable logistic
// pieces, scratch buffers, chunk sizes, Newton ascent with a damped SPD solve,
// and SQUAREM acceleration of a fixed-point map.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "precipice/irt.hpp"

namespace precipice::irt::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

// Branch-free exp and log1p for the node loops, which the compiler can
// vectorise (library calls it cannot); accurate to a few ulps on the ranges used.
inline double bits_to_double(std::uint64_t bits) {
    double out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}
inline std::uint64_t double_to_bits(double value) {
    std::uint64_t out;
    std::memcpy(&out, &value, sizeof out);
    return out;
}

// exp(x) for x <= 0; below -708 it returns exp(-708) (~3e-308), which every
// caller treats as zero.
inline double exp_nonpositive(double x) {
    x = std::max(x, -708.0);
    constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
    const double shifted = x * 1.4426950408889634 + kShift;
    const double k = shifted - kShift;
    const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    // Taylor series of exp on |r| <= ln(2) / 2, degree 13.
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k from the low bits of `shifted`, which hold k.
    const std::uint64_t kbits = double_to_bits(shifted) - double_to_bits(kShift);
    return p * bits_to_double((kbits + 1023) << 52);
}

// log(1 + e) for 0 <= e <= 1: 2 atanh(s), s = e / (2 + e) <= 1/3.
inline double log1p_unit(double e) {
    const double s = e / (2.0 + e), s2 = s * s;
    double p = 1.0 / 35;
    p = p * s2 + 1.0 / 33;
    p = p * s2 + 1.0 / 31;
    p = p * s2 + 1.0 / 29;
    p = p * s2 + 1.0 / 27;
    p = p * s2 + 1.0 / 25;
    p = p * s2 + 1.0 / 23;
    p = p * s2 + 1.0 / 21;
    p = p * s2 + 1.0 / 19;
    p = p * s2 + 1.0 / 17;
    p = p * s2 + 1.0 / 15;
    p = p * s2 + 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    p = p * s2 + 1.0;
    return 2.0 * s * p;
}

// softplus(z) = log(1 + exp(z)) from exp(-|z|) or from z alone, vectorisable.
inline double softplus_branch_free(double z, double e) { return std::max(z, 0.0) + log1p_unit(e); }
inline double softplus_branch_free(double z) { return softplus_branch_free(z, exp_nonpositive(-std::abs(z))); }

// softplus(z) and sigmoid(z) from one exp and one log1p.
inline void softplus_sigmoid(double z, double& sp, double& p) {
    const double e = exp_nonpositive(-std::abs(z));
    sp = softplus_branch_free(z, e);
    const double inv = 1.0 / (1.0 + e);
    p = (z >= 0 ? 1.0 : e) * inv;  // a select of values, not of work: it vectorises
}

// n doubles of scratch: on the stack when small (the binary M-step calls this
// for every item in every iteration), on the heap otherwise.
class Scratch {
  public:
    explicit Scratch(std::size_t n) : data_(n <= kStack ? stack_ : (heap_.resize(n), heap_.data())) {}
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    double* data() noexcept { return data_; }

  private:
    static constexpr std::size_t kStack = 128;
    double stack_[kStack];
    std::vector<double> heap_;
    double* data_;
};

// Chunks of parallel loops hold at least this much work (in node-level
// operations), so small problems run on one thread instead of paying for
// thread start-up and barriers.
inline constexpr std::int64_t kChunkWork = std::int64_t{1} << 16;

inline std::int64_t chunk_for(std::int64_t work_per_element) {
    return std::max<std::int64_t>(1, kChunkWork / std::max<std::int64_t>(work_per_element, 1));
}

inline constexpr double kMaxStep = 3.0;  // per parameter and Newton step: no wild jumps from poor curvature

// Solves (M + lambda I) x = b for a k x k symmetric M by Cholesky, raising
// lambda until the matrix is positive definite.
bool solve_spd(int k, const double* M, const double* b, double* x);

// Damped Newton ascent of f over k parameters x. Each step solves -H s = g
// (regularised where -H is not positive definite), shrinks s so that no
// component exceeds kMaxStep, and halves it until f does not fall.
// evaluate(x, derivatives, f, g, H) sets f (-inf outside the domain) and, when
// asked, the gradient g (k) and Hessian H (k x k, row-major). Stops after
// max_steps steps, when a step moves every parameter less than step_tol, or when
// no step helps. Returns f at the final x; f at the start goes to start_f when
// it is not null.
// untested(s), when given, may vouch that the full step s raises f (the callers
// prove it from a bound on the curvature's change): the last step is then taken
// without its trial evaluation, the step the trial would have accepted, and the
// return value is NaN (f at the new x is not computed).
struct NoUntestedSteps {
    bool operator()(const double*) const noexcept { return false; }
};

template <class Evaluate, class Untested = NoUntestedSteps>
double newton_ascent(int k, double* x, Evaluate&& evaluate, int max_steps, double step_tol, double* start_f = nullptr,
                     Untested&& untested = Untested{}) {
    const auto kk = static_cast<std::size_t>(k);
    Scratch mem(3 * kk * kk + 4 * kk);
    double* g = mem.data();
    double* H = g + kk;
    double* M = H + kk * kk;
    double* s = M + kk * kk;
    double* trial = s + kk;
    double* trial_g = trial + kk;
    double* trial_H = trial_g + kk;
    double f;
    evaluate(static_cast<const double*>(x), true, f, g, H);
    if (start_f) *start_f = f;
    for (int step_no = 0; step_no < max_steps; ++step_no) {
        for (std::size_t i = 0; i < kk * kk; ++i) M[i] = -H[i];
        if (!solve_spd(k, M, g, s)) break;
        double biggest = 0.0;
        for (int i = 0; i < k; ++i) biggest = std::max(biggest, std::abs(s[i]));
        if (biggest > kMaxStep)
            for (int i = 0; i < k; ++i) s[i] *= kMaxStep / biggest;
        // Accepted trials keep their derivatives for the next step.
        const bool more = step_no + 1 < max_steps;
        if (!more && untested(static_cast<const double*>(s))) {
            for (int i = 0; i < k; ++i) x[i] += s[i];
            return std::numeric_limits<double>::quiet_NaN();
        }
        double scale = 1.0;
        bool moved = false;
        for (int half = 0; half < 40; ++half, scale *= 0.5) {
            for (int i = 0; i < k; ++i) trial[i] = x[i] + scale * s[i];
            double trial_f;
            evaluate(static_cast<const double*>(trial), more, trial_f, trial_g, trial_H);
            if (std::isfinite(trial_f) && trial_f >= f - 1e-12 * std::abs(f)) {
                std::copy(trial, trial + k, x);
                f = trial_f;
                if (more) {
                    std::copy(trial_g, trial_g + k, g);
                    std::copy(trial_H, trial_H + kk * kk, H);
                }
                moved = true;
                break;
            }
        }
        if (!moved || biggest * scale < step_tol) break;
    }
    return f;
}

// SQUAREM (Varadhan & Roland 2008) around a monotone map on a flat parameter
// vector: two maps give the direction, and an extrapolated point is kept only
// when its objective is at least that of the plain map. Convergence is judged
// on plain maps: stop when one moves every parameter less than tol.
// map(x, next) applies the map to x and returns the objective at x (-inf when x
// lies outside the parameter space). Returns {converged, maps applied}.
// Coordinates marked in `fixed` (when given; the map may mark more as it goes)
// are held by the map itself: they are left out of the convergence test and of
// the extrapolation. With `bounded_steps` the step length is capped as in the
// R package SQUAREM (step.max0 = 1, mstep = 4): the cap starts at one plain
// step, grows 4-fold each time it binds, and shrinks 4-fold when a capped
// extrapolation is rejected, where an unbounded one would overshoot and cost
// a rejected map.
template <class Map>
std::pair<bool, int> squarem(std::vector<double>& x0, double tol, int max_iter, Map&& map,
                             const std::vector<char>* fixed = nullptr, bool bounded_steps = false) {
    constexpr double kStepGrowth = 4.0;
    auto change = [fixed](const std::vector<double>& x, const std::vector<double>& y) {
        double m = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (fixed && (*fixed)[i]) continue;
            if (!std::isfinite(x[i] + y[i])) return kInf;
            m = std::max(m, std::abs(x[i] - y[i]));
        }
        return m;
    };
    std::vector<double> x1, x2, x3, xs(x0.size());
    bool converged = false;
    int evals = 0;
    double step_max = bounded_steps ? 1.0 : kInf;
    while (evals < max_iter) {
        map(static_cast<const std::vector<double>&>(x0), x1);
        ++evals;
        double moved = change(x0, x1);
        if (!std::isfinite(moved)) break;
        if (moved < tol || evals >= max_iter) {
            converged = moved < tol;
            x0 = x1;
            break;
        }
        const double obj1 = map(static_cast<const std::vector<double>&>(x1), x2);
        ++evals;
        moved = change(x1, x2);
        if (!std::isfinite(moved)) {
            x0 = x1;
            break;
        }
        if (moved < tol || evals >= max_iter) {
            converged = moved < tol;
            x0 = x2;
            break;
        }
        double rr = 0.0, vv = 0.0;
        for (std::size_t i = 0; i < x0.size(); ++i) {
            if (fixed && (*fixed)[i]) continue;
            const double r = x1[i] - x0[i], v = x2[i] - 2 * x1[i] + x0[i];
            rr += r * r;
            vv += v * v;
        }
        double alpha = vv > 0 ? -std::sqrt(rr / vv) : -1.0;
        const bool capped = alpha < -step_max;
        if (capped) {
            alpha = -step_max;
            step_max *= kStepGrowth;
        }
        if (!(alpha < -1.0)) {
            x0 = x2;
            continue;
        }
        for (std::size_t i = 0; i < x0.size(); ++i) {
            const double r = x1[i] - x0[i], v = x2[i] - 2 * x1[i] + x0[i];
            xs[i] = fixed && (*fixed)[i] ? x2[i] : x0[i] - 2 * alpha * r + alpha * alpha * v;
        }
        const double obj_s = map(static_cast<const std::vector<double>&>(xs), x3);
        ++evals;
        if (std::isfinite(obj_s) && obj_s >= obj1 && std::isfinite(change(xs, x3))) {
            moved = change(xs, x3);
            x0 = x3;
            if (moved < tol) {
                converged = true;
                break;
            }
        } else {
            // Undoes this step's growth and shrinks the cap once.
            if (capped) step_max = std::max(1.0, step_max / (kStepGrowth * kStepGrowth));
            x0 = x2;
        }
    }
    return {converged, evals};
}

}  // namespace precipice::irt::detail
