// Item response theory (see precipice/irt.hpp).
//
// One EM iteration:
//   tables  log(1 - P) (and log-odds for the 3PL) per item and node  (parallel over items)
//   E-step  posterior over nodes per subject, in log space           (parallel over subjects)
//   counts  expected correct / answered per item and node            (parallel over items)
//   M-step  a small Newton problem per item (the 1PL's common slope couples them)
// For c = 0 the log-odds are linear in theta, so a subject's log-likelihood at
// every node needs only the sums of a and d over its correct items: the E-step
// costs O(items + nodes) per subject plus O(nodes) per missing cell.
#include "precipice/irt.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "precipice/parallel.hpp"
#include "precipice/simd.hpp"

#ifdef _MSC_VER
#include <intrin.h>
#endif

namespace precipice::irt {

namespace {

// The frequency of each response row (1 without a counts table), checked.
std::vector<double> subject_weights(const double* weights, std::int64_t n_subjects) {
    std::vector<double> out(static_cast<std::size_t>(n_subjects), 1.0);
    if (weights)
        for (std::int64_t i = 0; i < n_subjects; ++i) {
            if (!(std::isfinite(weights[i]) && weights[i] >= 0))
                throw std::invalid_argument("counts[" + std::to_string(i) + "] must be a non-negative number, got " +
                                            std::to_string(weights[i]));
            out[static_cast<std::size_t>(i)] = weights[i];
        }
    return out;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

// softplus(z) = log(1 + exp(z)) and sigmoid(z) from one exp and one log1p.
inline void softplus_sigmoid(double z, double& sp, double& p) {
    const double e = exp_nonpositive(-std::abs(z));
    sp = std::max(z, 0.0) + log1p_unit(e);
    const double inv = 1.0 / (1.0 + e);
    p = (z >= 0 ? 1.0 : e) * inv;  // a select of values, not of work: it vectorises
}

inline bool has_guess(Model m) { return m == Model::threepl; }

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

// ---------------------------------------------------------------------------
// Per-node derivatives of an item's expected complete-data log-likelihood
//   f = sum_q r_q log P_q + (n_q - r_q) log(1 - P_q)
// in (a, d, g = logit c). Written in forms that stay finite when P or 1 - P
// underflows: the 1/P and 1/(1 - P) factors are cancelled analytically.
struct ItemEval {
    double f = 0.0;
    double g[3] = {0, 0, 0};
    double h[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
};

// Nodes [begin, end) of the grid: outside it no subject has posterior mass.
struct NodeRange {
    std::size_t begin, end;
};

PRECIPICE_TARGET_CLONES void eval_item(bool guess, double a, double d, double gam, const double* r, const double* n, const Grid& grid,
               NodeRange range, bool derivatives, ItemEval& e) {
    e = ItemEval{};
    const std::size_t Q = range.end;
    if (!guess) {
        // The curve first, in a loop without reductions that the compiler
        // vectorises; then the sums, in node order.
        const std::size_t width = Q - range.begin;
        Scratch mem(2 * width);
        double* sp_at = mem.data();
        double* p_at = sp_at + width;
        const double* nodes = grid.nodes.data() + range.begin;
        for (std::size_t k = 0; k < width; ++k) softplus_sigmoid(a * nodes[k] + d, sp_at[k], p_at[k]);
        double f = 0, g0 = 0, g1 = 0, h0 = 0, h1 = 0, h4 = 0;
        for (std::size_t q = range.begin; q < Q; ++q) {
            const double t = grid.nodes[q], z = a * t + d;
            const double sp = sp_at[q - range.begin], p = p_at[q - range.begin];
            f += r[q] * z - n[q] * sp;  // log P = z - softplus(z)
            const double gz = r[q] - n[q] * p, hz = -n[q] * p * (1.0 - p);
            g0 += gz * t;
            g1 += gz;
            h0 += hz * t * t;
            h1 += hz * t;
            h4 += hz;
        }
        e.f = f;
        if (derivatives) {
            e.g[0] = g0;
            e.g[1] = g1;
            e.h[0] = h0;
            e.h[1] = e.h[3] = h1;
            e.h[4] = h4;
        }
        return;
    }
    const double c = sigmoid(gam), log_c = -softplus(-gam), log_1mc = -softplus(gam);
    for (std::size_t q = range.begin; q < Q; ++q) {
        const double t = grid.nodes[q], z = a * t + d;
        double sp, s;
        softplus_sigmoid(z, sp, s);
        const double log_s = z - sp, log_1ms = -sp;
        const double P = c + (1.0 - c) * s;
        // log P = logaddexp(log c, log(1 - c) + log s)
        const double x1 = log_c, x2 = log_1mc + log_s;
        const double log_p = std::max(x1, x2) + log1p_unit(exp_nonpositive(-std::abs(x1 - x2)));
        const double wrong = n[q] - r[q];
        e.f += r[q] * log_p + wrong * (log_1mc + log_1ms);
        if (!derivatives) continue;
        const double rho = r[q] / P;
        const double Pz = (1.0 - c) * s * (1.0 - s), Pzz = Pz * (1.0 - 2.0 * s);
        const double Pg = (1.0 - s) * c * (1.0 - c), Pgg = Pg * (1.0 - 2.0 * c);
        const double Pgz = -s * (1.0 - s) * c * (1.0 - c);
        const double gz = rho * Pz - wrong * s;
        const double gg = rho * Pg - wrong * c;
        const double hzz = rho * (Pzz - Pz * Pz / P) - wrong * s * (1.0 - s);
        const double hzg = rho * (Pgz - Pz * Pg / P);
        const double hgg = rho * (Pgg - Pg * Pg / P) - wrong * c * (1.0 - c);
        e.g[0] += gz * t;
        e.g[1] += gz;
        e.g[2] += gg;
        e.h[0] += hzz * t * t;
        e.h[1] += hzz * t;
        e.h[2] += hzg * t;
        e.h[4] += hzz;
        e.h[5] += hzg;
        e.h[8] += hgg;
    }
    e.h[3] = e.h[1];
    e.h[6] = e.h[2];
    e.h[7] = e.h[5];
}

// Log prior density terms (up to constants) and their derivatives.
void add_slope_prior(const Prior& prior, double a, ItemEval& e) {
    if (!prior.slope) return;
    const auto [mu, sd] = *prior.slope;
    if (!(a > 0)) {
        e.f = -kInf;
        return;
    }
    const double la = std::log(a), v = sd * sd;
    e.f += -la - (la - mu) * (la - mu) / (2 * v);
    e.g[0] += -1.0 / a - (la - mu) / (v * a);
    e.h[0] += 1.0 / (a * a) - (1.0 - la + mu) / (v * a * a);
}

void add_intercept_prior(const Prior& prior, double d, ItemEval& e) {
    if (!prior.intercept) return;
    const auto [mu, sd] = *prior.intercept;
    const double v = sd * sd;
    e.f += -(d - mu) * (d - mu) / (2 * v);
    e.g[1] += -(d - mu) / v;
    e.h[4] += -1.0 / v;
}

void add_guess_prior(const Prior& prior, double gam, ItemEval& e) {
    if (!prior.guess) return;
    const auto [alpha, beta] = *prior.guess;
    const double c = sigmoid(gam);
    e.f += (alpha - 1) * -softplus(-gam) + (beta - 1) * -softplus(gam);
    e.g[2] += (alpha - 1) * (1 - c) - (beta - 1) * c;
    e.h[8] += -(alpha + beta - 2) * c * (1 - c);
}

// Solves (M + lambda I) x = b for a k x k symmetric M by Cholesky, raising
// lambda until the matrix is positive definite.
bool solve_spd(int k, const double* M, const double* b, double* x) {
    double lambda = 0.0, scale = 0.0;
    for (int i = 0; i < k; ++i) scale = std::max(scale, std::abs(M[i * k + i]));
    if (!(scale > 0) || !std::isfinite(scale)) scale = 1.0;
    Scratch mem(static_cast<std::size_t>(k * k + k));
    double* L = mem.data();
    double* y = L + k * k;
    for (int attempt = 0; attempt < 40; ++attempt) {
        bool ok = true;
        for (int i = 0; i < k && ok; ++i) {
            for (int j = 0; j <= i; ++j) {
                double s = M[i * k + j] + (i == j ? lambda : 0.0);
                for (int m = 0; m < j; ++m) s -= L[i * k + m] * L[j * k + m];
                if (i == j) {
                    if (!(s > 1e-12 * scale)) {
                        ok = false;
                        break;
                    }
                    L[i * k + i] = std::sqrt(s);
                } else {
                    L[i * k + j] = s / L[j * k + j];
                }
            }
        }
        if (ok) {
            for (int i = 0; i < k; ++i) {
                double s = b[i];
                for (int m = 0; m < i; ++m) s -= L[i * k + m] * y[m];
                y[i] = s / L[i * k + i];
            }
            for (int i = k - 1; i >= 0; --i) {
                double s = y[i];
                for (int m = i + 1; m < k; ++m) s -= L[m * k + i] * x[m];
                x[i] = s / L[i * k + i];
            }
            return true;
        }
        lambda = lambda == 0.0 ? 1e-6 * scale : lambda * 10.0;
    }
    return false;
}

constexpr double kMaxStep = 3.0;  // per parameter and Newton step: no wild jumps from poor curvature

// Damped Newton ascent of f over k parameters x. Each step solves -H s = g
// (regularised where -H is not positive definite), shrinks s so that no
// component exceeds kMaxStep, and halves it until f does not fall.
// evaluate(x, derivatives, f, g, H) sets f (-inf outside the domain) and, when
// asked, the gradient g (k) and Hessian H (k x k, row-major). Stops after
// max_steps steps, when a step moves every parameter less than step_tol, or when
// no step helps. Returns f at the final x; f at the start goes to start_f when
// it is not null.
template <class Evaluate>
double newton_ascent(int k, double* x, Evaluate&& evaluate, int max_steps, double step_tol,
                     double* start_f = nullptr) {
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
// the extrapolation.
template <class Map>
std::pair<bool, int> squarem(std::vector<double>& x0, double tol, int max_iter, Map&& map,
                             const std::vector<char>* fixed = nullptr) {
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
        const double alpha = vv > 0 ? -std::sqrt(rr / vv) : -1.0;
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
            x0 = x2;
        }
    }
    return {converged, evals};
}

// ---------------------------------------------------------------------------
struct Params {
    std::vector<double> a, d, g;  // g = logit c; unused unless the model has guessing
};

// Params as one vector (a, d, g), for the SQUAREM loop.
void flatten(const Params& p, std::vector<double>& flat) {
    flat.clear();
    flat.insert(flat.end(), p.a.begin(), p.a.end());
    flat.insert(flat.end(), p.d.begin(), p.d.end());
    flat.insert(flat.end(), p.g.begin(), p.g.end());
}
void unflatten(const std::vector<double>& flat, std::int64_t J, Params& p) {
    p.a.assign(flat.begin(), flat.begin() + J);
    p.d.assign(flat.begin() + J, flat.begin() + 2 * J);
    p.g.assign(flat.begin() + 2 * J, flat.begin() + 3 * J);
}

struct Tables {
    std::vector<double> log_wrong;  // (items, nodes) log(1 - P)
    std::vector<double> log_odds;   // (items, nodes) log P - log(1 - P), 3PL only
    std::vector<double> base;       // (nodes) sum over items of log(1 - P)
};

// Chunks of parallel loops hold at least this much work (in node-level
// operations), so small problems run on one thread instead of paying for
// thread start-up and barriers.
constexpr std::int64_t kChunkWork = std::int64_t{1} << 16;

inline std::int64_t chunk_for(std::int64_t work_per_element) {
    return std::max<std::int64_t>(1, kChunkWork / std::max<std::int64_t>(work_per_element, 1));
}

void compute_tables(Model model, const Params& p, const Grid& grid, int n_threads, Tables& t) {
    const auto J = static_cast<std::int64_t>(p.a.size());
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    const bool guess = has_guess(model);
    t.log_wrong.resize(static_cast<std::size_t>(J * Q));
    if (guess) t.log_odds.resize(static_cast<std::size_t>(J * Q));
    parallel_chunks(
        J, chunk_for(40 * Q), n_threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                double* lw = &t.log_wrong[j * Q];
                if (!guess) {
                    for (std::int64_t q = 0; q < Q; ++q) {
                        const double z = p.a[j] * grid.nodes[q] + p.d[j];
                        lw[q] = -(std::max(z, 0.0) + log1p_unit(exp_nonpositive(-std::abs(z))));
                    }
                    continue;
                }
                double* lo = &t.log_odds[j * Q];
                const double log_c = -softplus(-p.g[j]), log_1mc = -softplus(p.g[j]);
                for (std::int64_t q = 0; q < Q; ++q) {
                    const double z = p.a[j] * grid.nodes[q] + p.d[j];
                    const double x1 = log_c, x2 = log_1mc - softplus(-z);
                    const double log_p = std::max(x1, x2) + std::log1p(std::exp(-std::abs(x1 - x2)));
                    lw[q] = log_1mc - softplus(z);
                    lo[q] = log_p - lw[q];
                }
            }
        });
    t.base.assign(static_cast<std::size_t>(Q), 0.0);
    for (std::int64_t j = 0; j < J; ++j)
        for (std::int64_t q = 0; q < Q; ++q) t.base[q] += t.log_wrong[j * Q + q];
}

// Posterior mass below this (relative to the subject's total) is set to zero:
// it is below rounding, and skipping it lets the expected counts add only each
// subject's span of nodes (a few nodes when there are thousands of items).
constexpr double kNegligible = 1e-17;

// One subject's posterior from its log joint density ll over the nodes, scaled
// to sum to `scale`, with negligible mass set to zero; span (when not null)
// receives the first and one past the last node with mass. Returns the
// marginal log-likelihood log sum_q exp(ll_q).
double normalise_posterior(const double* ll, std::int64_t Q, double scale, double* out, std::int32_t* span) {
    double top = -kInf;
    for (std::int64_t q = 0; q < Q; ++q) top = std::max(top, ll[q]);
    double total = 0.0;
    for (std::int64_t q = 0; q < Q; ++q) {
        out[q] = std::exp(ll[q] - top);
        total += out[q];
    }
    const double factor = scale / total;
    const double cut = kNegligible * total;
    std::int64_t lo = Q, hi = 0;
    for (std::int64_t q = 0; q < Q; ++q) {
        if (out[q] < cut) {
            out[q] = 0.0;
        } else {
            lo = std::min(lo, q);
            hi = q + 1;
        }
        out[q] *= factor;
    }
    if (span) {
        span[0] = static_cast<std::int32_t>(lo);
        span[1] = static_cast<std::int32_t>(hi);
    }
    return top + std::log(total);
}

// Posterior over nodes per subject, times the subject's weight when `weighted`.
// Returns the weighted marginal log-likelihood; fills subject_ll (unweighted)
// when it is not null.
double estep(const BinaryResponses& data, Model model, const Params& p, const Tables& t, const Grid& grid,
             bool weighted, int n_threads, double* post, double* subject_ll, std::int32_t* spans = nullptr) {
    const std::int64_t N = data.subjects(), Q = static_cast<std::int64_t>(grid.nodes.size());
    const std::int64_t words = data.words_per_subject();
    const bool guess = has_guess(model);
    std::vector<double> contribution(static_cast<std::size_t>(N));
    parallel_chunks(
        N, chunk_for(20 * Q + data.items() * (guess ? Q / 2 : 1)), n_threads,
        [Q] { return std::vector<double>(static_cast<std::size_t>(Q)); },
        [&](std::vector<double>& ll, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                for (std::int64_t q = 0; q < Q; ++q) ll[q] = t.base[q] + grid.log_weights[q];
                if (guess) {
                    for_each_bit(data.correct_of_subject(i), words, [&](std::int64_t j) {
                        const double* lo = &t.log_odds[j * Q];
                        for (std::int64_t q = 0; q < Q; ++q) ll[q] += lo[q];
                    });
                } else {
                    double sum_a = 0.0, sum_d = 0.0;
                    for_each_bit(data.correct_of_subject(i), words, [&](std::int64_t j) {
                        sum_a += p.a[j];
                        sum_d += p.d[j];
                    });
                    for (std::int64_t q = 0; q < Q; ++q) ll[q] += sum_a * grid.nodes[q] + sum_d;
                }
                if (data.has_missing())
                    for_each_bit(data.missing_of_subject(i), words, [&](std::int64_t j) {
                        const double* lw = &t.log_wrong[j * Q];
                        for (std::int64_t q = 0; q < Q; ++q) ll[q] -= lw[q];
                    });
                const double marginal = normalise_posterior(ll.data(), Q, weighted ? data.weight(i) : 1.0,
                                                            post + i * Q, spans ? spans + 2 * i : nullptr);
                if (subject_ll) subject_ll[i] = marginal;
                contribution[i] = data.weight(i) > 0 ? data.weight(i) * marginal : 0.0;
            }
        });
    double loglik = 0.0;  // summed in order, so the result does not depend on n_threads
    for (double v : contribution) loglik += v;
    return loglik;
}

// Expected numbers correct (r) and answered (n) per item and node from the
// weighted posterior. Each item sums over whichever is fewer, its correct or its
// wrong answers, and subtracts its missing cells from the column total.
// Returns the range of nodes holding any posterior mass.
std::pair<std::int64_t, std::int64_t> expected_counts(const BinaryResponses& data, const double* wpost,
                                                      const std::int32_t* spans, std::int64_t Q, int n_threads,
                                                      double* r, double* n) {
    const std::int64_t N = data.subjects(), J = data.items(), words = data.words_per_item();
    std::vector<double> total(static_cast<std::size_t>(Q), 0.0);
    for (std::int64_t i = 0; i < N; ++i)
        for (std::int64_t q = 0; q < Q; ++q) total[q] += wpost[i * Q + q];
    const std::uint64_t tail_mask = (N % 64) ? ((std::uint64_t{1} << (N % 64)) - 1) : ~std::uint64_t{0};
    parallel_chunks(
        J, chunk_for(N * Q / 2), n_threads, [Q] { return std::vector<double>(static_cast<std::size_t>(Q)); },
        [&](std::vector<double>& acc, std::int64_t begin, std::int64_t end) {
            auto add_row = [&](std::int64_t i) {
                const double* row = wpost + i * Q;
                const std::int64_t hi = spans[2 * i + 1];
                for (std::int64_t q = spans[2 * i]; q < hi; ++q) acc[q] += row[q];
            };
            for (std::int64_t j = begin; j < end; ++j) {
                double* rj = r + j * Q;
                double* nj = n + j * Q;
                std::fill(acc.begin(), acc.end(), 0.0);
                if (data.item_n_missing(j) > 0) for_each_bit(data.missing_of_item(j), words, add_row);
                for (std::int64_t q = 0; q < Q; ++q) nj[q] = total[q] - acc[q];
                const std::int64_t answered = N - data.item_n_missing(j);
                std::fill(acc.begin(), acc.end(), 0.0);
                if (2 * data.item_n_correct(j) <= answered) {
                    for_each_bit(data.correct_of_item(j), words, add_row);
                    for (std::int64_t q = 0; q < Q; ++q) rj[q] = std::clamp(acc[q], 0.0, nj[q]);
                } else {
                    const std::uint64_t* correct = data.correct_of_item(j);
                    const std::uint64_t* missing = data.missing_of_item(j);
                    for (std::int64_t w = 0; w < words; ++w) {
                        std::uint64_t bits = ~(correct[w] | missing[w]);
                        if (w == words - 1) bits &= tail_mask;
                        while (bits) {
                            add_row(w * 64 + lowest_bit(bits));
                            bits &= bits - 1;
                        }
                    }
                    for (std::int64_t q = 0; q < Q; ++q) rj[q] = std::clamp(nj[q] - acc[q], 0.0, nj[q]);
                }
            }
        });
    std::int64_t lo = Q, hi = 0;
    for (std::int64_t q = 0; q < Q; ++q)
        if (total[q] > 0) {
            lo = std::min(lo, q);
            hi = q + 1;
        }
    return {std::min(lo, hi), hi};
}

// ---------------------------------------------------------------------------
// M-step.
constexpr int kMaxNewton = 25;

ItemEval item_objective(Model model, const Prior& prior, double a, double d, double g, const double* r,
                        const double* n, const Grid& grid, NodeRange range, bool derivatives, bool slope_prior) {
    ItemEval e;
    eval_item(has_guess(model), a, d, g, r, n, grid, range, derivatives, e);
    if (slope_prior) add_slope_prior(prior, a, e);
    add_intercept_prior(prior, d, e);
    if (has_guess(model)) add_guess_prior(prior, g, e);
    return e;
}

// Newton with step halving for one item's free parameters.
// free_slope = false holds a 2PL / 3PL slope where it is (an item frozen at its bound).
void newton_item(Model model, const Prior& prior, double& a, double& d, double& g, const double* r, const double* n,
                 const Grid& grid, NodeRange range, double step_tol, bool free_slope = true) {
    int free_idx[3], k = 0;
    if (free_slope && (model == Model::twopl || model == Model::threepl)) free_idx[k++] = 0;
    free_idx[k++] = 1;
    if (model == Model::threepl) free_idx[k++] = 2;
    const bool slope_prior = model == Model::twopl || model == Model::threepl;
    double all[3] = {a, d, g}, x[3];
    for (int i = 0; i < k; ++i) x[i] = all[free_idx[i]];
    auto evaluate = [&](const double* v, bool derivatives, double& f, double* grad, double* hess) {
        double p[3] = {a, d, g};
        for (int i = 0; i < k; ++i) p[free_idx[i]] = v[i];
        const ItemEval e = item_objective(model, prior, p[0], p[1], p[2], r, n, grid, range, derivatives, slope_prior);
        f = e.f;
        if (!derivatives) return;
        for (int i = 0; i < k; ++i) {
            grad[i] = e.g[free_idx[i]];
            for (int j = 0; j < k; ++j) hess[i * k + j] = e.h[free_idx[i] * 3 + free_idx[j]];
        }
    };
    newton_ascent(k, x, evaluate, kMaxNewton, step_tol);
    for (int i = 0; i < k; ++i) all[free_idx[i]] = x[i];
    a = all[0];
    d = all[1];
    g = all[2];
}

// The 1PL's common slope couples the items: Newton on (a, d_1..d_J) with the
// arrow-shaped Hessian solved through its Schur complement.
void newton_common_slope(const Prior& prior, double& a, std::vector<double>& d, const double* r, const double* n,
                         const Grid& grid, NodeRange range, int n_threads, double step_tol) {
    const auto J = static_cast<std::int64_t>(d.size());
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    std::vector<ItemEval> evals(static_cast<std::size_t>(J));
    std::vector<double> trial_d(static_cast<std::size_t>(J)), step_d(static_cast<std::size_t>(J));
    auto evaluate = [&](double slope, const std::vector<double>& dd, bool derivatives) {
        parallel_chunks(
            J, chunk_for(30 * Q), n_threads, [] { return 0; },
            [&](int&, std::int64_t begin, std::int64_t end) {
                for (std::int64_t j = begin; j < end; ++j)
                    evals[j] = item_objective(Model::onepl, prior, slope, dd[j], 0.0, r + j * Q, n + j * Q, grid,
                                              range, derivatives, false);
            });
        ItemEval slope_term;
        add_slope_prior(prior, slope, slope_term);
        double f = slope_term.f;
        for (const auto& e : evals) f += e.f;
        return std::pair<double, ItemEval>(f, slope_term);
    };
    auto [f, slope_term] = evaluate(a, d, true);
    for (int iter = 0; iter < kMaxNewton; ++iter) {
        // M = -H; solve M x = g.
        double g_a = slope_term.g[0], m_aa = -slope_term.h[0];
        for (const auto& e : evals) {
            g_a += e.g[0];
            m_aa -= e.h[0];
        }
        double schur = m_aa, rhs = g_a;
        bool ok = true;
        for (std::int64_t j = 0; j < J; ++j) {
            const double m_dd = -evals[j].h[4], m_ad = -evals[j].h[1];
            if (!(m_dd > 0)) {
                ok = false;
                break;
            }
            schur -= m_ad * m_ad / m_dd;
            rhs -= m_ad * evals[j].g[1] / m_dd;
        }
        if (!ok) return;
        double step_a = schur > 1e-12 * std::max(m_aa, 1e-300) ? rhs / schur : 0.0;
        double biggest = std::abs(step_a);
        for (std::int64_t j = 0; j < J; ++j) {
            step_d[j] = (evals[j].g[1] - (-evals[j].h[1]) * step_a) / -evals[j].h[4];
            biggest = std::max(biggest, std::abs(step_d[j]));
        }
        double scale = biggest > kMaxStep ? kMaxStep / biggest : 1.0;
        bool moved = false;
        for (int half = 0; half < 40; ++half, scale *= 0.5) {
            const double trial_a = a + scale * step_a;
            for (std::int64_t j = 0; j < J; ++j) trial_d[j] = d[j] + scale * step_d[j];
            const double trial_f = evaluate(trial_a, trial_d, false).first;
            if (trial_f >= f - 1e-12 * std::abs(f)) {
                a = trial_a;
                d = trial_d;
                moved = true;
                break;
            }
        }
        if (!moved) return;
        const double moved_by = biggest * scale;
        std::tie(f, slope_term) = evaluate(a, d, true);
        if (moved_by < step_tol) return;
    }
}

// Beyond this |d| an item's curve is within e^-15 of flat over the whole grid:
// its intercept, not the data, then decides nothing but the item's own fit.
inline double intercept_bound(double a, const Grid& grid) {
    return 15.0 + std::abs(a) * std::max(std::abs(grid.nodes.front()), std::abs(grid.nodes.back()));
}

void check_estimable(const BinaryResponses& data, const Prior& prior) {
    if (prior.intercept) return;
    for (std::int64_t j = 0; j < data.items(); ++j) {
        const double correct = data.item_correct(j), answered = data.item_answered(j);
        if (correct <= 0.0 || correct >= answered)
            throw std::invalid_argument(
                "responses: item " + std::to_string(j) + " is answered " + (correct <= 0.0 ? "0 (wrong)" : "1 (correct)") +
                " by every subject, so its intercept has no finite maximum-likelihood estimate; drop the item "
                "or pass a prior on the intercepts (irt.fit(..., prior='weak'))");
    }
}

// Refuses, before any work, fits whose slopes the data cannot identify (without
// a slope prior): fewer than three subjects; every subject with the same share
// right; or every item separating the subjects by that share (all who answer
// it right score above all who answer it wrong), where the likelihood keeps
// rising as every slope grows.
void check_identified(const BinaryResponses& data, Model model, const Prior& prior) {
    if (model == Model::rasch || prior.slope) return;
    const std::int64_t N = data.subjects(), J = data.items(), words = data.words_per_subject();
    const std::string remedy = "; pass a prior on the slopes (irt.fit(..., prior='weak'))";
    std::vector<double> share(static_cast<std::size_t>(N), kNaN);
    std::int64_t subjects = 0;
    for (std::int64_t i = 0; i < N; ++i) {
        if (!(data.weight(i) > 0)) continue;
        ++subjects;
        std::int64_t right = 0, missing = 0;
        for (std::int64_t w = 0; w < words; ++w) {
            right += popcount(data.correct_of_subject(i)[w]);
            missing += popcount(data.missing_of_subject(i)[w]);
        }
        share[i] = static_cast<double>(right) / static_cast<double>(J - missing);
    }
    if (subjects < 3)
        throw std::invalid_argument("responses: a model with slopes needs at least 3 subjects (rows with a positive "
                                    "count), got " + std::to_string(subjects) + remedy);
    bool varies = false;
    double first = kNaN;
    for (double v : share) {
        if (std::isnan(v)) continue;
        if (std::isnan(first)) first = v;
        varies = varies || v != first;
    }
    if (!varies)
        throw std::invalid_argument("responses: every subject has the same share of right answers, so the data say "
                                    "nothing about the slopes" + remedy);
    for (std::int64_t j = 0; j < J; ++j) {
        double lowest_right = kInf, highest_wrong = -kInf;
        const std::uint64_t* correct = data.correct_of_item(j);
        const std::uint64_t* missing = data.missing_of_item(j);
        for (std::int64_t i = 0; i < N; ++i) {
            if (std::isnan(share[i]) || (missing[i / 64] >> (i % 64) & 1)) continue;
            if (correct[i / 64] >> (i % 64) & 1)
                lowest_right = std::min(lowest_right, share[i]);
            else
                highest_wrong = std::max(highest_wrong, share[i]);
        }
        if (!(lowest_right > highest_wrong)) return;  // this item does not separate: identified
    }
    throw std::invalid_argument("responses: every item separates the subjects (all who answer it right have a "
                                "higher share of right answers than all who answer it wrong), so the slopes have "
                                "no finite maximum-likelihood estimate" + remedy);
}

double log_prior(Model model, const Prior& prior, const Params& p) {
    double total = 0.0;
    const auto J = static_cast<std::int64_t>(p.a.size());
    ItemEval e;
    if (prior.slope && model == Model::onepl) add_slope_prior(prior, p.a[0], e);
    for (std::int64_t j = 0; j < J; ++j) {
        if (prior.slope && (model == Model::twopl || model == Model::threepl)) add_slope_prior(prior, p.a[j], e);
        add_intercept_prior(prior, p.d[j], e);
        if (has_guess(model)) add_guess_prior(prior, p.g[j], e);
        total += e.f;
        e = ItemEval{};
    }
    return total + e.f;
}

Params start_values(const BinaryResponses& data, Model model) {
    const std::int64_t J = data.items();
    Params p;
    p.a.assign(static_cast<std::size_t>(J), 1.0);
    p.d.resize(static_cast<std::size_t>(J));
    p.g.assign(static_cast<std::size_t>(J), has_guess(model) ? std::log(0.2 / 0.8) : 0.0);
    for (std::int64_t j = 0; j < J; ++j) {
        const double answered = data.item_answered(j);
        const double prop = std::clamp((data.item_correct(j) + 0.5) / (answered + 1.0), 0.01, 0.99);
        // A logistic curve averaged over N(0, 1) is close to a probit one with
        // the latent variance added: d ~ logit(p) * sqrt(1 + a^2 / 1.702^2).
        p.d[j] = std::log(prop / (1 - prop)) * std::sqrt(1.0 + 1.0 / (1.702 * 1.702));
    }
    if (has_guess(model))
        for (std::int64_t j = 0; j < J; ++j) p.d[j] -= 0.5;  // part of the correct answers are guesses
    return p;
}

void validate_options(const FitOptions& o, std::int64_t Q) {
    if (Q < kMinQuad || Q > kMaxQuad) throw std::invalid_argument("n_quad outside [kMinQuad, kMaxQuad]");
    if (!(o.tol > 0)) throw std::invalid_argument("tol must be positive");
    if (o.max_iter < 1) throw std::invalid_argument("max_iter must be at least 1");
    auto positive_sd = [](const std::optional<std::pair<double, double>>& v, const char* what) {
        if (v && !(std::isfinite(v->first) && std::isfinite(v->second) && v->second > 0))
            throw std::invalid_argument(std::string("prior: ") + what);
    };
    positive_sd(o.prior.slope, "the slope prior needs a finite mean and a positive sd");
    positive_sd(o.prior.intercept, "the intercept prior needs a finite mean and a positive sd");
    if (o.prior.guess && !(o.prior.guess->first > 0 && o.prior.guess->second > 0 &&
                           std::isfinite(o.prior.guess->first) && std::isfinite(o.prior.guess->second)))
        throw std::invalid_argument("prior: the guessing prior needs Beta(alpha, beta) with alpha, beta > 0");
}

}  // namespace

// ---------------------------------------------------------------------------
Grid normal_grid(int n_quad) {
    if (n_quad < kMinQuad || n_quad > kMaxQuad) throw std::invalid_argument("n_quad outside [kMinQuad, kMaxQuad]");
    Grid g;
    g.nodes.resize(static_cast<std::size_t>(n_quad));
    g.log_weights.resize(static_cast<std::size_t>(n_quad));
    double total = 0.0;
    for (int q = 0; q < n_quad; ++q) {
        g.nodes[q] = -6.0 + 12.0 * q / (n_quad - 1);
        total += std::exp(-0.5 * g.nodes[q] * g.nodes[q]);
    }
    for (int q = 0; q < n_quad; ++q) g.log_weights[q] = -0.5 * g.nodes[q] * g.nodes[q] - std::log(total);
    return g;
}

BinaryResponses::BinaryResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items,
                                 const double* weights)
    : n_subjects_(n_subjects),
      n_items_(n_items),
      words_s_((n_items + 63) / 64),
      words_i_((n_subjects + 63) / 64) {
    if (n_subjects < 1 || n_items < 1) throw std::invalid_argument("responses: empty array");
    const auto N = static_cast<std::size_t>(n_subjects), J = static_cast<std::size_t>(n_items);
    correct_s_.assign(N * static_cast<std::size_t>(words_s_), 0);
    missing_s_.assign(N * static_cast<std::size_t>(words_s_), 0);
    correct_i_.assign(J * static_cast<std::size_t>(words_i_), 0);
    missing_i_.assign(J * static_cast<std::size_t>(words_i_), 0);
    weight_ = subject_weights(weights, n_subjects);
    item_correct_.assign(J, 0.0);
    item_answered_.assign(J, 0.0);
    item_n_correct_.assign(J, 0);
    item_n_missing_.assign(J, 0);
    subject_n_answered_.assign(N, 0);
    for (std::int64_t i = 0; i < n_subjects; ++i) {
        const double* row = values + i * n_items;
        for (std::int64_t j = 0; j < n_items; ++j) {
            const double v = row[j];
            const std::uint64_t bit_j = std::uint64_t{1} << (j % 64), bit_i = std::uint64_t{1} << (i % 64);
            if (v == 1.0) {
                correct_s_[i * words_s_ + j / 64] |= bit_j;
                correct_i_[j * words_i_ + i / 64] |= bit_i;
                item_correct_[j] += weight_[i];
                item_answered_[j] += weight_[i];
                ++item_n_correct_[j];
                ++subject_n_answered_[i];
            } else if (v == 0.0) {
                item_answered_[j] += weight_[i];
                ++subject_n_answered_[i];
            } else if (std::isnan(v)) {
                missing_s_[i * words_s_ + j / 64] |= bit_j;
                missing_i_[j * words_i_ + i / 64] |= bit_i;
                ++item_n_missing_[j];
                has_missing_ = true;
            } else {
                throw std::invalid_argument("responses[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                            std::to_string(v) + "; binary items take 0, 1 or NaN (missing)");
            }
        }
    }
}

void BinaryResponses::require_responses() const {
    for (std::int64_t i = 0; i < n_subjects_; ++i)
        if (subject_n_answered_[i] == 0)
            throw std::invalid_argument("responses: row " + std::to_string(i) + " has no responses (all NaN)");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (item_n_missing_[j] == n_subjects_)
            throw std::invalid_argument("responses: item " + std::to_string(j) + " has no responses (all NaN)");
    double total = 0.0;
    for (double w : weight_) total += w;
    if (!(total > 0)) throw std::invalid_argument("counts: all counts are zero");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (!(item_answered_[j] > 0))
            throw std::invalid_argument("responses: item " + std::to_string(j) +
                                        " has no responses from rows with a positive count");
}

namespace {

// Per item and node, the gradient of log P(y | theta_q) in (a, d[, logit c])
// for y = 1 and y = 0: scores[((j * Q + q) * 2 + (1 - y)) * K + k].
std::vector<double> node_scores(Model model, const Params& p, const Grid& grid, int K) {
    const auto J = static_cast<std::int64_t>(p.a.size());
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    std::vector<double> out(static_cast<std::size_t>(J * Q * 2 * K));
    for (std::int64_t j = 0; j < J; ++j) {
        const double c = has_guess(model) ? sigmoid(p.g[j]) : 0.0;
        for (std::int64_t q = 0; q < Q; ++q) {
            const double t = grid.nodes[q], s = sigmoid(p.a[j] * t + p.d[j]);
            double* one = &out[static_cast<std::size_t>(((j * Q + q) * 2) * K)];
            double* zero = one + K;
            if (K == 2) {
                one[0] = (1 - s) * t;
                one[1] = 1 - s;
                zero[0] = -s * t;
                zero[1] = -s;
                continue;
            }
            const double P = c + (1 - c) * s;
            const double pz = (1 - c) * s * (1 - s) / P, pg = (1 - s) * c * (1 - c) / P;
            one[0] = pz * t;
            one[1] = pz;
            one[2] = pg;
            zero[0] = -s * t;
            zero[1] = -s;
            zero[2] = -c;
        }
    }
    return out;
}

// Posterior mass below this is left out of the full information's rows (its
// contribution is below rounding).
constexpr double kNegligibleForInformation = 1e-15;

// Louis's correction to the observed information (Louis 1982): the Hessian of
// the marginal log-likelihood is E_post[complete-data Hessian] (item_hessian)
// plus sum_i w_i Cov_post(s_i), s_i(theta) the complete-data score of subject
// i. louis_blocks gets the item diagonal blocks of the second term, from the
// expected counts and each subject's posterior mean score g_ij; with `full`,
// score_deviations gets rows sqrt(w_i p_iq) (s_i(theta_q) - g_i) over the
// (subject, node) pairs with mass, (rows, K items), whose cross-product is the
// whole second term.
void louis_terms(const BinaryResponses& data, Model model, const Params& p, const Grid& grid, const double* post,
                 const double* r, const double* n, bool full, int n_threads, BinaryFit& out) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    const int K = has_guess(model) ? 3 : 2;
    const std::vector<double> S = node_scores(model, p, grid, K);
    auto score = [&](std::int64_t j, std::int64_t q, bool right) { return &S[((j * Q + q) * 2 + !right) * K]; };
    std::vector<std::int32_t> spans(static_cast<std::size_t>(2 * N));
    for (std::int64_t i = 0; i < N; ++i) {
        std::int64_t lo = Q, hi = 0;
        for (std::int64_t q = 0; q < Q; ++q)
            if (post[i * Q + q] > 0) {
                lo = std::min(lo, q);
                hi = q + 1;
            }
        spans[2 * i] = static_cast<std::int32_t>(std::min(lo, hi));
        spans[2 * i + 1] = static_cast<std::int32_t>(hi);
    }
    out.louis_blocks.assign(static_cast<std::size_t>(J * 9), 0.0);
    parallel_chunks(
        J, chunk_for(N * 8), n_threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                double L[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
                for (std::int64_t q = 0; q < Q; ++q) {
                    const double right = r[j * Q + q], wrong = n[j * Q + q] - right;
                    const double* s1 = score(j, q, true);
                    const double* s0 = score(j, q, false);
                    for (int k = 0; k < K; ++k)
                        for (int l = 0; l < K; ++l) L[k * 3 + l] += right * s1[k] * s1[l] + wrong * s0[k] * s0[l];
                }
                const std::uint64_t* correct = data.correct_of_item(j);
                const std::uint64_t* missing = data.missing_of_item(j);
                for (std::int64_t i = 0; i < N; ++i) {
                    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
                    if ((missing[i / 64] & bit) || !(data.weight(i) > 0)) continue;
                    const bool right = (correct[i / 64] & bit) != 0;
                    double g[3] = {0, 0, 0};
                    for (std::int64_t q = spans[2 * i]; q < spans[2 * i + 1]; ++q) {
                        const double* s = score(j, q, right);
                        const double w = post[i * Q + q];
                        for (int k = 0; k < K; ++k) g[k] += w * s[k];
                    }
                    for (int k = 0; k < K; ++k)
                        for (int l = 0; l < K; ++l) L[k * 3 + l] -= data.weight(i) * g[k] * g[l];
                }
                std::copy(L, L + 9, out.louis_blocks.begin() + j * 9);
            }
        });
    if (!full) return;
    // Rows per subject, then one row per (subject, node) pair with mass.
    std::vector<std::int64_t> first_row(static_cast<std::size_t>(N + 1), 0);
    for (std::int64_t i = 0; i < N; ++i) {
        std::int64_t kept = 0;
        if (data.weight(i) > 0)
            for (std::int64_t q = 0; q < Q; ++q) kept += post[i * Q + q] > kNegligibleForInformation;
        first_row[i + 1] = first_row[i] + kept;
    }
    const std::int64_t width = K * J;
    out.score_rows = first_row[N];
    out.score_deviations.assign(static_cast<std::size_t>(out.score_rows * width), 0.0);
    struct RowScratch {
        std::vector<double> mass, g;  // posterior at the kept nodes; the mean score
    };
    parallel_chunks(
        N, chunk_for(Q * width), n_threads, [] { return RowScratch(); },
        [&](RowScratch& sc, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                if (first_row[i + 1] == first_row[i]) continue;
                const std::uint64_t* correct = data.correct_of_subject(i);
                const std::uint64_t* missing = data.missing_of_subject(i);
                sc.mass.clear();
                // Rows first hold the scores s_i(theta_q), then their deviations
                // from g_i, their posterior mean.
                double* rows = &out.score_deviations[static_cast<std::size_t>(first_row[i] * width)];
                double* row = rows;
                for (std::int64_t q = 0; q < Q; ++q) {
                    const double w = post[i * Q + q];
                    if (!(w > kNegligibleForInformation)) continue;
                    sc.mass.push_back(w);
                    for (std::int64_t j = 0; j < J; ++j)
                        if (!(missing[j / 64] >> (j % 64) & 1))
                            std::copy_n(score(j, q, (correct[j / 64] >> (j % 64) & 1) != 0), K, row + j * K);
                    row += width;
                }
                const auto n_rows = static_cast<std::int64_t>(sc.mass.size());
                sc.g.assign(static_cast<std::size_t>(width), 0.0);
                for (std::int64_t m = 0; m < n_rows; ++m)
                    for (std::int64_t k = 0; k < width; ++k) sc.g[k] += sc.mass[m] * rows[m * width + k];
                for (std::int64_t m = 0; m < n_rows; ++m) {
                    const double scale = std::sqrt(sc.mass[m] * data.weight(i));
                    double* x = rows + m * width;
                    for (std::int64_t j = 0; j < J; ++j) {
                        if (missing[j / 64] >> (j % 64) & 1) continue;
                        for (int k = 0; k < K; ++k) x[j * K + k] = scale * (x[j * K + k] - sc.g[j * K + k]);
                    }
                }
            }
        });
}

}  // namespace

BinaryFit fit_binary(const BinaryResponses& data, const Grid& grid, const FitOptions& options) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    validate_options(options, Q);
    data.require_responses();
    check_identified(data, options.model, options.prior);
    const Model model = options.model;
    const bool guess = has_guess(model);
    const int threads = std::max(options.n_threads, 1);
    // M-step Newton stops well below the EM tolerance, so an inexact M-step
    // never masquerades as convergence.
    const double step_tol = std::min(1e-8, options.tol * 1e-3);

    Tables tables;
    std::vector<double> post(static_cast<std::size_t>(N * Q));
    std::vector<double> r(static_cast<std::size_t>(J * Q)), n(static_cast<std::size_t>(J * Q));
    std::vector<std::int32_t> spans(static_cast<std::size_t>(2 * N));
    BinaryFit out;

    // Items whose estimates leave the parameter bounds are frozen there (see
    // ItemFlag): their coordinates are held by the map and left out of the
    // convergence test, so one near-separated item cannot hold the fit up.
    std::vector<std::int8_t> flags(static_cast<std::size_t>(J), 0);
    std::vector<char> fixed(static_cast<std::size_t>(3 * J), 0);
    Params frozen = start_values(data, model);
    auto freeze = [&](std::int64_t j, ItemFlag why, double a, double d, double g) {
        flags[j] = static_cast<std::int8_t>(why);
        frozen.a[j] = a;
        frozen.d[j] = d;
        frozen.g[j] = g;
        fixed[j] = fixed[J + j] = fixed[2 * J + j] = 1;
    };
    const bool free_slopes = model == Model::twopl || model == Model::threepl;
    // Frozen items' parameters into p; the 1PL's slope is common to all items
    // and stays estimated.
    auto hold = [&](Params& p) {
        for (std::int64_t j = 0; j < J; ++j)
            if (flags[j]) {
                if (model != Model::onepl) p.a[j] = frozen.a[j];
                p.d[j] = frozen.d[j];
                p.g[j] = frozen.g[j];
            }
    };
    // An item everybody answers alike has no finite ML intercept: without an
    // intercept prior it is frozen from the start with a curve flat at 0 or 1.
    if (!options.prior.intercept)
        for (std::int64_t j = 0; j < J; ++j) {
            const double correct = data.item_correct(j), answered = data.item_answered(j);
            if (correct > 0.0 && correct < answered) continue;
            const double bound = intercept_bound(frozen.a[j], grid);
            // All wrong: no guessing either (a 3PL's c at about 1e-9).
            freeze(j, ItemFlag::constant, frozen.a[j], correct > 0.0 ? bound : -bound,
                   correct > 0.0 || !guess ? frozen.g[j] : -bound);
        }

    // One EM map x -> F(x) on the flat (a, d, g) vector; returns the objective
    // (log-likelihood + log prior) at x.
    Params x, next;
    auto em_map = [&](const std::vector<double>& flat, std::vector<double>& flat_next) {
        unflatten(flat, J, x);
        hold(x);
        compute_tables(model, x, grid, threads, tables);
        const double loglik = estep(data, model, x, tables, grid, true, threads, post.data(), nullptr, spans.data());
        const auto [lo, hi] = expected_counts(data, post.data(), spans.data(), Q, threads, r.data(), n.data());
        const NodeRange range{static_cast<std::size_t>(lo), static_cast<std::size_t>(hi)};
        next = x;
        if (model == Model::onepl) {
            double common = next.a[0];
            newton_common_slope(options.prior, common, next.d, r.data(), n.data(), grid, range, threads, step_tol);
            std::fill(next.a.begin(), next.a.end(), common);
        } else {
            parallel_chunks(
                J, chunk_for(guess ? 300 * Q : 100 * Q), threads, [] { return 0; },
                [&](int&, std::int64_t begin, std::int64_t end) {
                    for (std::int64_t j = begin; j < end; ++j) {
                        if (flags[j]) continue;
                        double& a = next.a[j];
                        double& d = next.d[j];
                        const double* rj = r.data() + j * Q;
                        const double* nj = n.data() + j * Q;
                        newton_item(model, options.prior, a, d, next.g[j], rj, nj, grid, range, step_tol);
                        if (free_slopes && std::abs(a) > options.slope_bound) {
                            // Held at the bound, with the intercept that best
                            // places the (now nearly step-shaped) curve.
                            a = std::copysign(options.slope_bound, a);
                            newton_item(model, options.prior, a, d, next.g[j], rj, nj, grid, range, step_tol, false);
                            freeze(j, ItemFlag::slope_bound, a, d, next.g[j]);
                        } else if (std::abs(d) > intercept_bound(a, grid)) {
                            d = std::copysign(intercept_bound(a, grid), d);
                            freeze(j, ItemFlag::intercept_bound, a, d, next.g[j]);
                        }
                    }
                });
        }
        if (model == Model::onepl || model == Model::rasch)
            for (std::int64_t j = 0; j < J; ++j)
                if (!flags[j] && std::abs(next.d[j]) > intercept_bound(next.a[j], grid)) {
                    next.d[j] = std::copysign(intercept_bound(next.a[j], grid), next.d[j]);
                    freeze(j, ItemFlag::intercept_bound, next.a[j], next.d[j], next.g[j]);
                }
        hold(next);
        flatten(next, flat_next);
        return loglik + log_prior(model, options.prior, x);
    };

    std::vector<double> flat;
    flatten(start_values(data, model), flat);
    const auto [converged, evals] = squarem(flat, options.tol, options.max_iter, em_map, &fixed);
    out.converged = converged;
    Params p;
    unflatten(flat, J, p);
    hold(p);
    out.flagged = flags;
    out.n_iter = evals;
    // Final E-step at the estimates: the log-likelihood, the posterior and the
    // expected counts that the standard errors need.
    compute_tables(model, p, grid, threads, tables);
    estep(data, model, p, tables, grid, true, threads, post.data(), nullptr, spans.data());
    expected_counts(data, post.data(), spans.data(), Q, threads, r.data(), n.data());
    out.loglik = estep(data, model, p, tables, grid, false, threads, post.data(), nullptr);
    out.item_hessian.assign(static_cast<std::size_t>(J * 9), 0.0);
    for (std::int64_t j = 0; j < J; ++j) {
        ItemEval e;
        eval_item(guess, p.a[j], p.d[j], p.g[j], r.data() + j * Q, n.data() + j * Q, grid,
                  NodeRange{0, static_cast<std::size_t>(Q)}, true, e);
        std::copy(e.h, e.h + 9, out.item_hessian.begin() + j * 9);
    }
    out.a = p.a;
    out.d = p.d;
    out.c.assign(static_cast<std::size_t>(J), 0.0);
    if (guess)
        for (std::int64_t j = 0; j < J; ++j) out.c[j] = sigmoid(p.g[j]);
    if (options.information != Information::none)
        louis_terms(data, model, p, grid, post.data(), r.data(), n.data(), options.information == Information::full,
                    threads, out);
    out.posterior = std::move(post);
    out.expected_correct = std::move(r);
    out.expected_answered = std::move(n);
    return out;
}

namespace {

Params params_from(const BinaryResponses& data, const double* a, const double* d, const double* c, Model& model) {
    const std::int64_t J = data.items();
    Params p;
    p.a.assign(a, a + J);
    p.d.assign(d, d + J);
    p.g.assign(static_cast<std::size_t>(J), 0.0);
    model = Model::twopl;
    for (std::int64_t j = 0; j < J; ++j) {
        if (!(std::isfinite(a[j]) && std::isfinite(d[j])))
            throw std::invalid_argument("item " + std::to_string(j) + ": parameters must be finite");
        if (!(c[j] >= 0.0 && c[j] < 1.0))
            throw std::invalid_argument("item " + std::to_string(j) + ": c must lie in [0, 1)");
        if (c[j] > 0.0) model = Model::threepl;
    }
    if (model == Model::threepl)
        for (std::int64_t j = 0; j < J; ++j)
            p.g[j] = c[j] > 0.0 ? std::log(c[j]) - std::log1p(-c[j]) : -std::numeric_limits<double>::max();
    return p;
}

// Posterior mean and SD per subject from a (subjects, nodes) posterior.
void eap_scores(const double* post, std::int64_t N, const Grid& grid, double* theta, double* se) {
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    for (std::int64_t i = 0; i < N; ++i) {
        double m = 0.0, m2 = 0.0;
        for (std::int64_t q = 0; q < Q; ++q) {
            m += post[i * Q + q] * grid.nodes[q];
            m2 += post[i * Q + q] * grid.nodes[q] * grid.nodes[q];
        }
        theta[i] = m;
        se[i] = std::sqrt(std::max(m2 - m * m, 0.0));
    }
}

struct Ascent1d {
    double theta, curvature;
    bool escaped;  // ran past kBound: the function keeps rising
};

// Newton ascent in one ability from 0, with step halving; evaluate(t, f, f', f'').
template <class Evaluate>
Ascent1d ascend_1d(Evaluate&& evaluate) {
    // Beyond this the likelihood is flat to double precision for any sane slope.
    constexpr double kBound = 40.0;
    double t = 0.0, f, g1, g2;
    evaluate(t, f, g1, g2);
    for (int iter = 0; iter < 200; ++iter) {
        double step = g2 < 0 ? -g1 / g2 : (g1 > 0 ? 1.0 : -1.0);
        step = std::clamp(step, -2.0, 2.0);
        double scale = 1.0, nf = f, ng1 = g1, ng2 = g2, nt = t;
        bool moved = false;
        for (int half = 0; half < 50; ++half, scale *= 0.5) {
            nt = t + scale * step;
            evaluate(nt, nf, ng1, ng2);
            if (nf >= f - 1e-13 * std::abs(f)) {
                moved = true;
                break;
            }
        }
        if (!moved) break;
        const double moved_by = std::abs(nt - t);
        t = nt;
        f = nf;
        g1 = ng1;
        g2 = ng2;
        if (std::abs(t) > kBound) return {t, g2, true};
        if (moved_by < 1e-10) break;
    }
    return {t, g2, false};
}

// An ML / MAP score and its SE from the ascent; `extreme` marks a pattern whose
// likelihood has no finite maximum (rising towards +inf when `up`).
void store_score(const Ascent1d& best, bool extreme, bool up, double& theta, double& se) {
    if (best.escaped || extreme) {
        theta = (extreme ? up : best.theta > 0) ? kInf : -kInf;
        se = kInf;
        return;
    }
    theta = best.theta;
    se = best.curvature < 0 ? 1.0 / std::sqrt(-best.curvature) : kInf;
}

}  // namespace

void posterior_binary(const BinaryResponses& data, const double* a, const double* d, const double* c,
                      const Grid& grid, int n_threads, double* posterior, double* loglik) {
    Model model;
    const Params p = params_from(data, a, d, c, model);
    Tables tables;
    compute_tables(model, p, grid, std::max(n_threads, 1), tables);
    estep(data, model, p, tables, grid, false, std::max(n_threads, 1), posterior, loglik);
}

void score_binary(const BinaryResponses& data, const double* a, const double* d, const double* c,
                  ScoreMethod method, const Grid& grid, int n_threads, double* theta, double* se) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    const int threads = std::max(n_threads, 1);
    if (method == ScoreMethod::eap) {
        std::vector<double> post(static_cast<std::size_t>(N * Q));
        posterior_binary(data, a, d, c, grid, threads, post.data(), nullptr);
        eap_scores(post.data(), N, grid, theta, se);
        return;
    }
    Model model;
    params_from(data, a, d, c, model);
    const bool with_prior = method == ScoreMethod::map;
    const std::int64_t words = data.words_per_subject();
    parallel_chunks(
        N, chunk_for(20 * J), threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const std::uint64_t* correct = data.correct_of_subject(i);
                const std::uint64_t* missing = data.missing_of_subject(i);
                // log-likelihood, first and second derivative at t.
                auto evaluate = [&](double t, double& f, double& g1, double& g2) {
                    f = g1 = g2 = 0.0;
                    if (with_prior) {
                        f = -0.5 * t * t;
                        g1 = -t;
                        g2 = -1.0;
                    }
                    for (std::int64_t j = 0; j < J; ++j) {
                        const std::uint64_t bit = std::uint64_t{1} << (j % 64);
                        if (missing[j / 64] & bit) continue;
                        const double y = (correct[j / 64] & bit) ? 1.0 : 0.0;
                        const double z = a[j] * t + d[j];
                        if (c[j] == 0.0) {
                            const double pr = sigmoid(z);
                            f += y * z - softplus(z);
                            g1 += a[j] * (y - pr);
                            g2 -= a[j] * a[j] * pr * (1.0 - pr);
                        } else {
                            const double s = sigmoid(z), cc = c[j], P = cc + (1.0 - cc) * s;
                            const double Pz = (1.0 - cc) * s * (1.0 - s), Pzz = Pz * (1.0 - 2.0 * s);
                            if (y == 1.0) {
                                f += std::log(P);
                                g1 += a[j] * Pz / P;
                                g2 += a[j] * a[j] * (Pzz / P - (Pz / P) * (Pz / P));
                            } else {
                                f += std::log1p(-cc) - softplus(z);
                                g1 -= a[j] * s;
                                g2 -= a[j] * a[j] * s * (1.0 - s);
                            }
                        }
                    }
                };
                std::int64_t n_answered = 0, n_correct = 0;
                for (std::int64_t w = 0; w < words; ++w) {
                    const std::uint64_t valid =
                        (w == words - 1 && J % 64) ? (std::uint64_t{1} << (J % 64)) - 1 : ~std::uint64_t{0};
                    n_answered += popcount(~missing[w] & valid);
                    n_correct += popcount(correct[w]);
                }
                if (!with_prior && n_answered == 0) {
                    theta[i] = se[i] = kNaN;
                    continue;
                }
                const Ascent1d best = ascend_1d(evaluate);
                const bool extreme = !with_prior && (n_correct == 0 || n_correct == n_answered);
                store_score(best, extreme, n_correct == n_answered, theta[i], se[i]);
            }
        });
}

// ---------------------------------------------------------------------------
// Graded response model.
//
// With z_k = a theta + d_k, the probability of category k is
//   P_k = sigmoid(z_k) - sigmoid(z_{k+1}) = sigmoid(z_k) sigmoid(-z_{k+1}) (1 - exp(-(d_k - d_{k+1})))
// (sigmoid(z_0) = 1, sigmoid(z_K) = 0), so log P_k splits into a term per
// boundary and a gap term that does not depend on theta. An item's expected
// complete-data log-likelihood is then, per boundary b, a binary item's with
// r_b "successes" out of r_b + r_{b-1} trials (eval_item serves it), plus
// sum_k R_k log(1 - exp(-(d_k - d_{k+1}))) with R_k the expected count in
// category k: concave in (a, d), and -inf unless the intercepts are ordered.

OrdinalResponses::OrdinalResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items,
                                   const double* weights)
    : n_subjects_(n_subjects), n_items_(n_items) {
    if (n_subjects < 1 || n_items < 1) throw std::invalid_argument("responses: empty array");
    const auto N = static_cast<std::size_t>(n_subjects), J = static_cast<std::size_t>(n_items);
    by_subject_.resize(N * J);
    by_item_.resize(N * J);
    weight_ = subject_weights(weights, n_subjects);
    categories_.assign(J, 1);
    subject_n_answered_.assign(N, 0);
    item_n_answered_.assign(J, 0);
    for (std::int64_t i = 0; i < n_subjects; ++i) {
        const double* row = values + i * n_items;
        for (std::int64_t j = 0; j < n_items; ++j) {
            const double v = row[j];
            std::int16_t k = -1;
            if (!std::isnan(v)) {
                if (!(v >= 0 && v < kMaxCategories && v == std::floor(v)))
                    throw std::invalid_argument("responses[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                                std::to_string(v) + "; graded items take whole-number categories 0, 1, "
                                                ".. (below " + std::to_string(kMaxCategories) + ") or NaN (missing)");
                k = static_cast<std::int16_t>(v);
                categories_[j] = std::max(categories_[j], k + 1);
                ++subject_n_answered_[i];
                ++item_n_answered_[j];
            }
            by_subject_[i * n_items + j] = k;
            by_item_[j * n_subjects + i] = k;
        }
    }
    count_offset_.assign(J + 1, 0);
    for (std::size_t j = 0; j < J; ++j) count_offset_[j + 1] = count_offset_[j] + categories_[j];
    counts_.assign(static_cast<std::size_t>(count_offset_[J]), 0.0);
    for (std::int64_t j = 0; j < n_items; ++j)
        for (std::int64_t i = 0; i < n_subjects; ++i) {
            const int k = by_item_[j * n_subjects + i];
            if (k >= 0) counts_[count_offset_[j] + k] += weight_[i];
        }
}

void OrdinalResponses::require_responses() const {
    for (std::int64_t i = 0; i < n_subjects_; ++i)
        if (subject_n_answered_[i] == 0)
            throw std::invalid_argument("responses: row " + std::to_string(i) + " has no responses (all NaN)");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (item_n_answered_[j] == 0)
            throw std::invalid_argument("responses: item " + std::to_string(j) + " has no responses (all NaN)");
    double total = 0.0;
    for (double w : weight_) total += w;
    if (!(total > 0)) throw std::invalid_argument("counts: all counts are zero");
    for (std::int64_t j = 0; j < n_items_; ++j) {
        if (categories_[j] < 2)
            throw std::invalid_argument("responses: item " + std::to_string(j) +
                                        " has a single category (every response is 0), so it has no intercepts to "
                                        "estimate; drop the item");
        for (int k = 0; k < categories_[j]; ++k)
            if (!(category_count(j, k) > 0))
                throw std::invalid_argument(
                    "responses: item " + std::to_string(j) + " has no responses in category " + std::to_string(k) +
                    " (its categories run to " + std::to_string(categories_[j] - 1) +
                    "), so the intercepts around it have no finite estimate; recode the item's categories as "
                    "0, 1, 2, .. without gaps or merge the empty category with a neighbour");
    }
}

namespace {

// Where each item's intercepts and categories sit in the flat per-item arrays.
struct GradedLayout {
    std::vector<int> K;                                // categories per item
    std::vector<std::int64_t> threshold_at, category_at;  // offsets, with a final total
    int max_categories = 0;
    std::int64_t items() const { return static_cast<std::int64_t>(K.size()); }
};

GradedLayout graded_layout(std::vector<int> K) {
    GradedLayout layout;
    const std::size_t J = K.size();
    layout.threshold_at.assign(J + 1, 0);
    layout.category_at.assign(J + 1, 0);
    for (std::size_t j = 0; j < J; ++j) {
        layout.threshold_at[j + 1] = layout.threshold_at[j] + K[j] - 1;
        layout.category_at[j + 1] = layout.category_at[j] + K[j];
        layout.max_categories = std::max(layout.max_categories, K[j]);
    }
    layout.K = std::move(K);
    return layout;
}

// log(1 - exp(-gap)) and its first two derivatives: the part of log P_k that
// depends only on the distance between adjacent intercepts (-inf when gap <= 0).
inline double log_gap(double gap) { return gap > 0 ? std::log(-std::expm1(-gap)) : -kInf; }
inline double log_gap_d1(double gap) { return 1.0 / std::expm1(gap); }
inline double log_gap_d2(double gap) { return -1.0 / (std::expm1(gap) * -std::expm1(-gap)); }

// Whether a (a, d_1, .., d_{K-1}) vector lies in the parameter space.
bool graded_item_valid(int K, const double* x, bool positive_slope) {
    for (int k = 0; k < K; ++k)
        if (!std::isfinite(x[k])) return false;
    if (positive_slope && !(x[0] > 0)) return false;
    for (int k = 1; k + 1 < K; ++k)
        if (!(x[k] > x[k + 1])) return false;
    return true;
}

// (categories, nodes) log P_k(theta_q) for every item, rows at layout.category_at.
void graded_tables(const GradedLayout& layout, const double* a, const double* thresholds, const Grid& grid,
                   int n_threads, std::vector<double>& log_p) {
    const std::int64_t J = layout.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    log_p.resize(static_cast<std::size_t>(layout.category_at[J] * Q));
    parallel_chunks(
        J, chunk_for(40 * Q * layout.max_categories), n_threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                const int K = layout.K[j];
                const double* d = thresholds + layout.threshold_at[j];
                double* out = &log_p[layout.category_at[j] * Q];
                for (int k = 0; k < K; ++k) {
                    const double gap = (k >= 1 && k + 1 < K) ? log_gap(d[k - 1] - d[k]) : 0.0;
                    for (std::int64_t q = 0; q < Q; ++q) out[k * Q + q] = gap;
                }
                // Boundary b (d[b - 1]) adds log sigmoid(z_b) to category b and
                // log sigmoid(-z_b) to category b - 1.
                for (int b = 1; b < K; ++b) {
                    for (std::int64_t q = 0; q < Q; ++q) {
                        const double z = a[j] * grid.nodes[q] + d[b - 1];
                        double sp, p;
                        softplus_sigmoid(z, sp, p);
                        out[b * Q + q] += z - sp;
                        out[(b - 1) * Q + q] -= sp;
                    }
                }
            }
        });
}

// Posterior per subject (times its weight when `weighted`); returns the
// weighted marginal log-likelihood, fills subject_ll (unweighted) when not null.
double graded_estep(const OrdinalResponses& data, const GradedLayout& layout, const std::vector<double>& log_p,
                    const Grid& grid, bool weighted, int n_threads, double* post, double* subject_ll,
                    std::int32_t* spans) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    std::vector<double> contribution(static_cast<std::size_t>(N));
    parallel_chunks(
        N, chunk_for(J * Q), n_threads, [Q] { return std::vector<double>(static_cast<std::size_t>(Q)); },
        [&](std::vector<double>& ll, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                std::copy(grid.log_weights.begin(), grid.log_weights.end(), ll.begin());
                const std::int16_t* row = data.subject_row(i);
                for (std::int64_t j = 0; j < J; ++j) {
                    if (row[j] < 0) continue;
                    const double* lp = &log_p[(layout.category_at[j] + row[j]) * Q];
                    for (std::int64_t q = 0; q < Q; ++q) ll[q] += lp[q];
                }
                const double marginal = normalise_posterior(ll.data(), Q, weighted ? data.weight(i) : 1.0,
                                                            post + i * Q, spans ? spans + 2 * i : nullptr);
                if (subject_ll) subject_ll[i] = marginal;
                contribution[i] = data.weight(i) > 0 ? data.weight(i) * marginal : 0.0;
            }
        });
    double loglik = 0.0;  // in order: independent of n_threads
    for (double v : contribution) loglik += v;
    return loglik;
}

// Expected counts (categories, nodes) from the weighted posterior; returns the
// range of nodes holding any posterior mass.
std::pair<std::int64_t, std::int64_t> graded_counts(const OrdinalResponses& data, const GradedLayout& layout,
                                                    const double* wpost, const std::int32_t* spans, std::int64_t Q,
                                                    int n_threads, double* r) {
    const std::int64_t N = data.subjects(), J = data.items();
    parallel_chunks(
        J, chunk_for(N * Q / 2), n_threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                double* rj = r + layout.category_at[j] * Q;
                std::fill(rj, rj + layout.K[j] * Q, 0.0);
                const std::int16_t* column = data.item_column(j);
                for (std::int64_t i = 0; i < N; ++i) {
                    if (column[i] < 0) continue;
                    double* rk = rj + column[i] * Q;
                    const double* row = wpost + i * Q;
                    for (std::int64_t q = spans[2 * i]; q < spans[2 * i + 1]; ++q) rk[q] += row[q];
                }
            }
        });
    std::int64_t lo = Q, hi = 0;
    for (std::int64_t i = 0; i < N; ++i)
        if (spans[2 * i] < spans[2 * i + 1]) {
            lo = std::min<std::int64_t>(lo, spans[2 * i]);
            hi = std::max<std::int64_t>(hi, spans[2 * i + 1]);
        }
    return {std::min(lo, hi), hi};
}

// One graded item's expected complete-data log-likelihood (plus log priors when
// prior is not null) in x = (a, d_1, .., d_{K-1}): f, and when asked the
// gradient g (K) and Hessian H (K x K). r: (K, nodes) expected counts;
// trials: (K - 1, nodes) scratch holding r_b + r_{b-1}; totals: (K) sum of r_k.
void eval_graded_item(int K, const double* x, const double* r, const double* trials, const double* totals,
                      const Grid& grid, NodeRange range, const Prior* prior, bool derivatives, double& f, double* g,
                      double* H) {
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    f = 0.0;
    if (derivatives) {
        std::fill(g, g + K, 0.0);
        std::fill(H, H + K * K, 0.0);
    }
    for (int k = 1; k + 1 < K; ++k) {
        const double gap = x[k] - x[k + 1];
        if (!(gap > 0)) {
            f = -kInf;
            return;
        }
        f += totals[k] * log_gap(gap);
        if (!derivatives) continue;
        const double g1 = totals[k] * log_gap_d1(gap), g2 = totals[k] * log_gap_d2(gap);
        g[k] += g1;
        g[k + 1] -= g1;
        H[k * K + k] += g2;
        H[(k + 1) * K + k + 1] += g2;
        H[k * K + k + 1] -= g2;
        H[(k + 1) * K + k] -= g2;
    }
    for (int b = 1; b < K; ++b) {
        ItemEval e;
        eval_item(false, x[0], x[b], 0.0, r + b * Q, trials + (b - 1) * Q, grid, range, derivatives, e);
        if (prior) add_intercept_prior(*prior, x[b], e);
        f += e.f;
        if (!derivatives) continue;
        g[0] += e.g[0];
        g[b] += e.g[1];
        H[0] += e.h[0];
        H[b] += e.h[1];
        H[b * K] += e.h[1];
        H[b * K + b] += e.h[4];
    }
    if (prior && prior->slope) {
        ItemEval e;
        add_slope_prior(*prior, x[0], e);
        f += e.f;
        if (derivatives) {
            g[0] += e.g[0];
            H[0] += e.h[0];
        }
    }
}

// Per item: r_b + r_{b-1} per boundary and node, and the total of each category.
void graded_trials(int K, const double* r, std::int64_t Q, double* trials, double* totals) {
    for (int k = 0; k < K; ++k) {
        totals[k] = 0.0;
        for (std::int64_t q = 0; q < Q; ++q) totals[k] += r[k * Q + q];
    }
    for (int b = 1; b < K; ++b)
        for (std::int64_t q = 0; q < Q; ++q) trials[(b - 1) * Q + q] = r[b * Q + q] + r[(b - 1) * Q + q];
}

double graded_log_prior(const Prior& prior, const GradedLayout& layout, const double* a, const double* thresholds) {
    double total = 0.0;
    for (std::int64_t j = 0; j < layout.items(); ++j) {
        ItemEval e;
        add_slope_prior(prior, a[j], e);
        for (std::int64_t t = layout.threshold_at[j]; t < layout.threshold_at[j + 1]; ++t)
            add_intercept_prior(prior, thresholds[t], e);
        total += e.f;
    }
    return total;
}

struct GradedScratch {
    std::vector<double> x, trials, totals;
};

}  // namespace

GradedFit fit_graded(const OrdinalResponses& data, const Grid& grid, const FitOptions& options) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    validate_options(options, Q);
    if (options.prior.guess) throw std::invalid_argument("prior: a guessing prior does not apply to graded items");
    data.require_responses();
    std::vector<int> K(static_cast<std::size_t>(J));
    for (std::int64_t j = 0; j < J; ++j) K[j] = data.categories(j);
    const GradedLayout layout = graded_layout(std::move(K));
    const std::int64_t T = layout.threshold_at[J], C = layout.category_at[J];
    const int Kmax = layout.max_categories;
    const int threads = std::max(options.n_threads, 1);
    const double step_tol = std::min(1e-8, options.tol * 1e-3);
    const Prior& prior = options.prior;
    const bool positive_slope = prior.slope.has_value();

    std::vector<double> log_p, post(static_cast<std::size_t>(N * Q)), r(static_cast<std::size_t>(C * Q));
    std::vector<std::int32_t> spans(static_cast<std::size_t>(2 * N));
    auto make_scratch = [Kmax, Q] {
        GradedScratch s;
        s.x.resize(static_cast<std::size_t>(Kmax));
        s.trials.resize(static_cast<std::size_t>((Kmax - 1) * Q));
        s.totals.resize(static_cast<std::size_t>(Kmax));
        return s;
    };

    // One EM map on the flat (a_1..a_J, intercepts) vector; the objective at x.
    auto em_map = [&](const std::vector<double>& x, std::vector<double>& next) {
        next = x;
        const double* a = x.data();
        const double* d = x.data() + J;
        for (std::int64_t j = 0; j < J; ++j) {
            // An extrapolated point can leave the parameter space.
            double item[OrdinalResponses::kMaxCategories];
            item[0] = a[j];
            std::copy(d + layout.threshold_at[j], d + layout.threshold_at[j + 1], item + 1);
            if (!graded_item_valid(layout.K[j], item, positive_slope)) return -kInf;
        }
        graded_tables(layout, a, d, grid, threads, log_p);
        const double loglik = graded_estep(data, layout, log_p, grid, true, threads, post.data(), nullptr, spans.data());
        const auto [lo, hi] = graded_counts(data, layout, post.data(), spans.data(), Q, threads, r.data());
        const NodeRange range{static_cast<std::size_t>(lo), static_cast<std::size_t>(hi)};
        parallel_chunks(
            J, chunk_for(100 * Q * Kmax), threads, make_scratch,
            [&](GradedScratch& s, std::int64_t begin, std::int64_t end) {
                for (std::int64_t j = begin; j < end; ++j) {
                    const int Kj = layout.K[j];
                    const double* rj = r.data() + layout.category_at[j] * Q;
                    graded_trials(Kj, rj, Q, s.trials.data(), s.totals.data());
                    s.x[0] = next[j];
                    std::copy(next.begin() + J + layout.threshold_at[j], next.begin() + J + layout.threshold_at[j + 1],
                              s.x.begin() + 1);
                    auto evaluate = [&](const double* v, bool derivatives, double& f, double* g, double* H) {
                        if (positive_slope && !(v[0] > 0)) {
                            f = -kInf;
                            return;
                        }
                        eval_graded_item(Kj, v, rj, s.trials.data(), s.totals.data(), grid, range, &prior, derivatives,
                                         f, g, H);
                    };
                    newton_ascent(Kj, s.x.data(), evaluate, kMaxNewton, step_tol);
                    next[j] = s.x[0];
                    std::copy(s.x.begin() + 1, s.x.begin() + Kj, next.begin() + J + layout.threshold_at[j]);
                }
            });
        return loglik + graded_log_prior(prior, layout, a, d);
    };

    // Start: a = 1, and intercepts from the cumulative proportions (each
    // category is used, so they are finite and ordered), widened as for binary items.
    std::vector<double> x(static_cast<std::size_t>(J + T));
    for (std::int64_t j = 0; j < J; ++j) {
        x[j] = 1.0;
        double total = 0.0;
        for (int k = 0; k < layout.K[j]; ++k) total += data.category_count(j, k);
        double above = total;
        for (int k = 1; k < layout.K[j]; ++k) {
            above -= data.category_count(j, k - 1);
            const double prop = above / total;
            x[J + layout.threshold_at[j] + k - 1] = std::log(prop / (1 - prop)) * std::sqrt(1.0 + 1.0 / (1.702 * 1.702));
        }
    }
    GradedFit out;
    const auto [converged, evals] = squarem(x, options.tol, options.max_iter, em_map);
    out.converged = converged;
    out.n_iter = evals;

    const double* a = x.data();
    const double* d = x.data() + J;
    graded_tables(layout, a, d, grid, threads, log_p);
    graded_estep(data, layout, log_p, grid, true, threads, post.data(), nullptr, spans.data());
    graded_counts(data, layout, post.data(), spans.data(), Q, threads, r.data());
    out.item_hessian.assign(static_cast<std::size_t>(J * Kmax * Kmax), 0.0);
    {
        GradedScratch s = make_scratch();
        std::vector<double> g(static_cast<std::size_t>(Kmax)), H(static_cast<std::size_t>(Kmax * Kmax));
        for (std::int64_t j = 0; j < J; ++j) {
            const int Kj = layout.K[j];
            const double* rj = r.data() + layout.category_at[j] * Q;
            graded_trials(Kj, rj, Q, s.trials.data(), s.totals.data());
            s.x[0] = a[j];
            std::copy(d + layout.threshold_at[j], d + layout.threshold_at[j + 1], s.x.begin() + 1);
            double f;
            eval_graded_item(Kj, s.x.data(), rj, s.trials.data(), s.totals.data(), grid,
                             NodeRange{0, static_cast<std::size_t>(Q)}, nullptr, true, f, g.data(), H.data());
            for (int k = 0; k < Kj; ++k)
                for (int l = 0; l < Kj; ++l) out.item_hessian[(j * Kmax + k) * Kmax + l] = H[k * Kj + l];
        }
    }
    out.loglik = graded_estep(data, layout, log_p, grid, false, threads, post.data(), nullptr, nullptr);
    out.a.assign(a, a + J);
    out.max_categories = Kmax;
    out.d.assign(static_cast<std::size_t>(J * (Kmax - 1)), kNaN);
    for (std::int64_t j = 0; j < J; ++j)
        std::copy(d + layout.threshold_at[j], d + layout.threshold_at[j + 1], out.d.begin() + j * (Kmax - 1));
    out.posterior = std::move(post);
    return out;
}

namespace {

// The layout and flat intercepts of given graded parameters (d padded with NaN),
// checked against the responses.
GradedLayout graded_params_from(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                                std::vector<double>& thresholds) {
    const std::int64_t J = data.items(), width = max_categories - 1;
    if (max_categories < 2) throw std::invalid_argument("d: graded items need at least one intercept");
    std::vector<int> K(static_cast<std::size_t>(J));
    thresholds.clear();
    for (std::int64_t j = 0; j < J; ++j) {
        const double* row = d + j * width;
        int n = 0;
        while (n < width && !std::isnan(row[n])) ++n;
        for (int k = n; k < width; ++k)
            if (!std::isnan(row[k]))
                throw std::invalid_argument("item " + std::to_string(j) + ": intercepts must come first, NaN after");
        K[j] = n + 1;
        std::vector<double> item(static_cast<std::size_t>(n + 1));
        item[0] = a[j];
        std::copy(row, row + n, item.begin() + 1);
        if (n == 0 || !graded_item_valid(n + 1, item.data(), false))
            throw std::invalid_argument("item " + std::to_string(j) +
                                        ": a must be finite and the intercepts finite and decreasing");
        thresholds.insert(thresholds.end(), row, row + n);
    }
    for (std::int64_t i = 0; i < data.subjects(); ++i) {
        const std::int16_t* row = data.subject_row(i);
        for (std::int64_t j = 0; j < J; ++j)
            if (row[j] >= K[j])
                throw std::invalid_argument("responses[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                            std::to_string(row[j]) + " but item " + std::to_string(j) + " has " +
                                            std::to_string(K[j]) + " categories (0 .. " + std::to_string(K[j] - 1) +
                                            ")");
    }
    return graded_layout(std::move(K));
}

}  // namespace

void posterior_graded(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                      const Grid& grid, int n_threads, double* posterior, double* loglik) {
    std::vector<double> thresholds, log_p;
    const GradedLayout layout = graded_params_from(data, a, d, max_categories, thresholds);
    const int threads = std::max(n_threads, 1);
    graded_tables(layout, a, thresholds.data(), grid, threads, log_p);
    graded_estep(data, layout, log_p, grid, false, threads, posterior, loglik, nullptr);
}

void score_graded(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                  ScoreMethod method, const Grid& grid, int n_threads, double* theta, double* se) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    const int threads = std::max(n_threads, 1);
    if (method == ScoreMethod::eap) {
        std::vector<double> post(static_cast<std::size_t>(N * Q));
        posterior_graded(data, a, d, max_categories, grid, threads, post.data(), nullptr);
        eap_scores(post.data(), N, grid, theta, se);
        return;
    }
    std::vector<double> thresholds;
    const GradedLayout layout = graded_params_from(data, a, d, max_categories, thresholds);
    const bool with_prior = method == ScoreMethod::map;
    parallel_chunks(
        N, chunk_for(20 * J), threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const std::int16_t* row = data.subject_row(i);
                // log-likelihood (up to the gap terms, constant in theta) and derivatives.
                auto evaluate = [&](double t, double& f, double& g1, double& g2) {
                    f = g1 = g2 = 0.0;
                    if (with_prior) {
                        f = -0.5 * t * t;
                        g1 = -t;
                        g2 = -1.0;
                    }
                    for (std::int64_t j = 0; j < J; ++j) {
                        const int k = row[j], Kj = layout.K[j];
                        if (k < 0) continue;
                        const double* dj = &thresholds[layout.threshold_at[j]];
                        if (k >= 1) {  // log sigmoid(z_k)
                            const double z = a[j] * t + dj[k - 1], p = sigmoid(z);
                            f -= softplus(-z);
                            g1 += a[j] * (1.0 - p);
                            g2 -= a[j] * a[j] * p * (1.0 - p);
                        }
                        if (k + 1 < Kj) {  // log sigmoid(-z_{k+1})
                            const double z = a[j] * t + dj[k], p = sigmoid(z);
                            f -= softplus(z);
                            g1 -= a[j] * p;
                            g2 -= a[j] * a[j] * p * (1.0 - p);
                        }
                    }
                };
                std::int64_t n_answered = 0, n_bottom = 0, n_top = 0;
                for (std::int64_t j = 0; j < J; ++j) {
                    if (row[j] < 0) continue;
                    ++n_answered;
                    n_bottom += row[j] == 0;
                    n_top += row[j] == layout.K[j] - 1;
                }
                if (!with_prior && n_answered == 0) {
                    theta[i] = se[i] = kNaN;
                    continue;
                }
                const Ascent1d best = ascend_1d(evaluate);
                const bool extreme = !with_prior && (n_bottom == n_answered || n_top == n_answered);
                store_score(best, extreme, n_top == n_answered, theta[i], se[i]);
            }
        });
}

// ---------------------------------------------------------------------------
// Joint posterior mode (multidimensional 2PL).

namespace {

// Per-thread buffers of the joint evaluations: the answered cells of one row
// or column, their logits and curves.
struct JointScratch {
    std::vector<std::int64_t> index;
    std::vector<double> z, sp, p;
    void resize(std::size_t m) {
        if (z.size() >= m) return;
        z.resize(m);
        sp.resize(m);
        p.resize(m);
    }
};
JointScratch& joint_scratch() {
    thread_local JointScratch scratch;
    return scratch;
}

// Subject i's log-likelihood plus log N(0, I) density (up to a constant) at
// abilities t, with gradient and Hessian when asked.
PRECIPICE_TARGET_CLONES void joint_person_eval(const BinaryResponses& data, std::int64_t i, const double* a, const double* d, int D,
                       const double* t, bool derivatives, double& f, double* g, double* H) {
    const std::int64_t J = data.items(), words = data.words_per_subject();
    const std::uint64_t* correct = data.correct_of_subject(i);
    const std::uint64_t* missing = data.missing_of_subject(i);
    f = 0.0;
    for (int k = 0; k < D; ++k) f -= 0.5 * t[k] * t[k];
    if (derivatives) {
        std::fill(H, H + D * D, 0.0);
        for (int k = 0; k < D; ++k) {
            g[k] = -t[k];
            H[k * D + k] = -1.0;
        }
    }
    // The answered items' logits, then their curves in one loop the compiler
    // vectorises, then the sums in item order.
    JointScratch& s = joint_scratch();
    s.index.clear();
    for (std::int64_t w = 0; w < words; ++w) {
        const std::int64_t count = std::min<std::int64_t>(64, J - w * 64);
        for (std::int64_t b = 0; b < count; ++b)
            if (!((missing[w] >> b) & 1)) s.index.push_back(w * 64 + b);
    }
    const std::size_t m = s.index.size();
    s.resize(m);
    for (std::size_t u = 0; u < m; ++u) {
        const double* aj = a + s.index[u] * D;
        double z = d[s.index[u]];
        for (int k = 0; k < D; ++k) z += aj[k] * t[k];
        s.z[u] = z;
    }
    for (std::size_t u = 0; u < m; ++u) softplus_sigmoid(s.z[u], s.sp[u], s.p[u]);
    for (std::size_t u = 0; u < m; ++u) {
        const std::int64_t j = s.index[u];
        const double* aj = a + j * D;
        const double z = s.z[u], sp = s.sp[u], p = s.p[u];
        const bool y = (correct[j / 64] >> (j % 64)) & 1;
        f += y ? z - sp : -sp;
        if (!derivatives) continue;
        const double r = (y ? 1.0 : 0.0) - p, v = p * (1.0 - p);
        for (int k = 0; k < D; ++k) {
            g[k] += r * aj[k];
            const double vk = v * aj[k];
            for (int l = 0; l <= k; ++l) H[k * D + l] -= vk * aj[l];
        }
    }
    if (derivatives)
        for (int k = 0; k < D; ++k)
            for (int l = 0; l < k; ++l) H[l * D + k] = H[k * D + l];
}

// Item j's weighted log-likelihood (plus its log priors when `with_prior`) at
// x = (a_1 .. a_D, d), abilities fixed, with gradient and Hessian when asked.
PRECIPICE_TARGET_CLONES void joint_item_eval(const BinaryResponses& data, std::int64_t j, const double* theta, int D, const JointOptions& o,
                     bool with_prior, const double* x, bool derivatives, double& f, double* g, double* H) {
    const std::int64_t N = data.subjects(), words = data.words_per_item(), k1 = D + 1;
    const std::uint64_t* correct = data.correct_of_item(j);
    const std::uint64_t* missing = data.missing_of_item(j);
    f = 0.0;
    if (derivatives) {
        std::fill(g, g + k1, 0.0);
        std::fill(H, H + k1 * k1, 0.0);
    }
    const double d = x[D];
    JointScratch& s = joint_scratch();
    s.index.clear();
    for (std::int64_t w = 0; w < words; ++w) {
        const std::int64_t count = std::min<std::int64_t>(64, N - w * 64);
        for (std::int64_t b = 0; b < count; ++b)
            if (!((missing[w] >> b) & 1) && data.weight(w * 64 + b) > 0) s.index.push_back(w * 64 + b);
    }
    const std::size_t m = s.index.size();
    s.resize(m);
    for (std::size_t u = 0; u < m; ++u) {
        const double* ti = theta + s.index[u] * D;
        double z = d;
        for (int k = 0; k < D; ++k) z += x[k] * ti[k];
        s.z[u] = z;
    }
    for (std::size_t u = 0; u < m; ++u) softplus_sigmoid(s.z[u], s.sp[u], s.p[u]);
    for (std::size_t u = 0; u < m; ++u) {
        const std::int64_t i = s.index[u];
        const double weight = data.weight(i);
        const double* ti = theta + i * D;
        const double z = s.z[u], sp = s.sp[u], p = s.p[u];
        const bool y = (correct[i / 64] >> (i % 64)) & 1;
        f += weight * (y ? z - sp : -sp);
        if (!derivatives) continue;
        const double r = weight * ((y ? 1.0 : 0.0) - p), v = weight * p * (1.0 - p);
        for (int k = 0; k < D; ++k) {
            g[k] += r * ti[k];
            const double vk = v * ti[k];
            for (int l = 0; l <= k; ++l) H[k * k1 + l] -= vk * ti[l];
            H[D * k1 + k] -= vk;
        }
        g[D] += r;
        H[D * k1 + D] -= v;
    }
    if (derivatives)
        for (int k = 0; k < k1; ++k)
            for (int l = 0; l < k; ++l) H[l * k1 + k] = H[k * k1 + l];
    if (!with_prior) return;
    const Prior& prior = o.prior;
    if (prior.slope && o.normal_slope_prior) {
        const auto [mu, sd] = *prior.slope;
        const double v = sd * sd;
        for (int k = 0; k < D; ++k) {
            f -= (x[k] - mu) * (x[k] - mu) / (2 * v);
            if (derivatives) {
                g[k] -= (x[k] - mu) / v;
                H[k * k1 + k] -= 1.0 / v;
            }
        }
    } else if (prior.slope) {  // lognormal, dims = 1
        ItemEval e;
        add_slope_prior(prior, x[0], e);
        f += e.f;
        if (derivatives) {
            g[0] += e.g[0];
            H[0] += e.h[0];
        }
    }
    if (prior.intercept) {
        ItemEval e;
        add_intercept_prior(prior, d, e);
        f += e.f;
        if (derivatives) {
            g[D] += e.g[1];
            H[D * k1 + D] += e.h[4];
        }
    }
}

// One Newton step (with step halving) for every subject's abilities, items fixed.
void joint_person_steps(const BinaryResponses& data, const double* a, const double* d, int D, int n_threads,
                        int max_steps, double step_tol, double* theta) {
    parallel_chunks(
        data.subjects(), chunk_for(data.items() * D * (D + 4)), n_threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                auto evaluate = [&](const double* t, bool derivatives, double& f, double* g, double* H) {
                    joint_person_eval(data, i, a, d, D, t, derivatives, f, g, H);
                };
                newton_ascent(D, theta + i * D, evaluate, max_steps, step_tol);
            }
        });
}

}  // namespace

JointFit fit_joint(const BinaryResponses& data, const double* theta_start, const JointOptions& options) {
    const std::int64_t N = data.subjects(), J = data.items();
    const int D = options.dims;
    if (D < 1) throw std::invalid_argument("dims must be at least 1");
    if (!(options.tol > 0)) throw std::invalid_argument("tol must be positive");
    if (options.max_iter < 1) throw std::invalid_argument("max_iter must be at least 1");
    if (options.prior.guess) throw std::invalid_argument("prior: a guessing prior does not apply to the joint fit");
    if (D > 1 && options.prior.slope && !options.normal_slope_prior)
        throw std::invalid_argument("prior: a lognormal slope prior applies to dims = 1 only");
    FitOptions checks;
    checks.prior = options.prior;
    validate_options(checks, kMinQuad);  // the joint fit has no grid
    data.require_responses();
    check_estimable(data, options.prior);
    for (std::int64_t v = 0; v < N * D; ++v)
        if (!std::isfinite(theta_start[v])) throw std::invalid_argument("theta_start must be finite");
    const int threads = std::max(options.n_threads, 1);
    const double step_tol = std::min(1e-8, options.tol * 1e-3);
    const bool lognormal = options.prior.slope && !options.normal_slope_prior;
    const std::int64_t n_theta = N * D, n_a = J * D;

    // Flat (theta, a, d). One sweep: items given abilities, then abilities given
    // items; the objective (log posterior) at x comes from the item step's start.
    std::vector<double> item_start(static_cast<std::size_t>(J));
    auto sweep = [&](const std::vector<double>& x, std::vector<double>& next) {
        next = x;
        double* theta = next.data();
        double* a = theta + n_theta;
        double* d = a + n_a;
        for (std::int64_t v = 0; v < static_cast<std::int64_t>(x.size()); ++v)
            if (!std::isfinite(x[v])) return -kInf;
        if (lognormal)
            for (std::int64_t j = 0; j < J; ++j)
                if (!(a[j] > 0)) return -kInf;
        parallel_chunks(
            J, chunk_for(N * (D + 1) * (D + 5)), threads, [D] { return std::vector<double>(static_cast<std::size_t>(D + 1)); },
            [&](std::vector<double>& item, std::int64_t begin, std::int64_t end) {
                for (std::int64_t j = begin; j < end; ++j) {
                    std::copy(a + j * D, a + (j + 1) * D, item.begin());
                    item[D] = d[j];
                    auto evaluate = [&](const double* v, bool derivatives, double& f, double* g, double* H) {
                        joint_item_eval(data, j, theta, D, options, true, v, derivatives, f, g, H);
                    };
                    newton_ascent(D + 1, item.data(), evaluate, 1, step_tol, &item_start[j]);
                    std::copy(item.begin(), item.begin() + D, a + j * D);
                    d[j] = item[D];
                }
            });
        double objective = 0.0;  // summed in order: independent of n_threads
        for (double f : item_start) objective += f;
        for (std::int64_t i = 0; i < N; ++i) {
            double sq = 0.0;
            for (int k = 0; k < D; ++k) sq += x[i * D + k] * x[i * D + k];
            objective -= 0.5 * data.weight(i) * sq;
        }
        joint_person_steps(data, a, d, D, threads, 1, step_tol, theta);
        return objective;
    };

    std::vector<double> x(static_cast<std::size_t>(n_theta + n_a + J));
    std::copy(theta_start, theta_start + n_theta, x.begin());
    const Params start = start_values(data, Model::twopl);
    for (std::int64_t j = 0; j < J; ++j) {
        // Zero slopes for normal priors: the first item step fits them to the
        // starting abilities, whatever their orientation.
        for (int k = 0; k < D; ++k) x[n_theta + j * D + k] = lognormal ? start.a[j] : 0.0;
        x[n_theta + n_a + j] = start.d[j];
    }
    JointFit out;
    const auto [converged, evals] = squarem(x, options.tol, options.max_iter, sweep);
    out.converged = converged;
    out.n_iter = evals;
    out.theta.assign(x.begin(), x.begin() + n_theta);
    out.a.assign(x.begin() + n_theta, x.begin() + n_theta + n_a);
    out.d.assign(x.begin() + n_theta + n_a, x.end());
    std::vector<double> item_ll(static_cast<std::size_t>(J));
    parallel_chunks(
        J, chunk_for(N * D), threads, [D] { return std::vector<double>(static_cast<std::size_t>(D + 1)); },
        [&](std::vector<double>& item, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                std::copy(out.a.begin() + j * D, out.a.begin() + (j + 1) * D, item.begin());
                item[D] = out.d[j];
                joint_item_eval(data, j, out.theta.data(), D, options, false, item.data(), false, item_ll[j],
                                nullptr, nullptr);
            }
        });
    for (double f : item_ll) out.loglik += f;
    return out;
}

void score_joint(const BinaryResponses& data, const double* a, const double* d, int dims, int n_threads,
                 double* theta) {
    if (dims < 1) throw std::invalid_argument("dims must be at least 1");
    for (std::int64_t v = 0; v < data.items() * dims; ++v)
        if (!std::isfinite(a[v])) throw std::invalid_argument("a must be finite");
    for (std::int64_t j = 0; j < data.items(); ++j)
        if (!std::isfinite(d[j])) throw std::invalid_argument("d must be finite");
    std::fill(theta, theta + data.subjects() * dims, 0.0);
    joint_person_steps(data, a, d, dims, std::max(n_threads, 1), 100, 1e-10, theta);
}

namespace {

// One score group's cells for one item: observed and expected subjects
// answering right and wrong.
struct ScoreCells {
    double right = 0.0, wrong = 0.0, expected_right = 0.0, expected_wrong = 0.0;
    double subjects() const { return right + wrong; }
    void absorb(const ScoreCells& other) {
        right += other.right;
        wrong += other.wrong;
        expected_right += other.expected_right;
        expected_wrong += other.expected_wrong;
    }
    bool sparse(double mincell) const {
        return (expected_right < mincell && expected_right != 0.0) ||
               (expected_wrong < mincell && expected_wrong != 0.0);
    }
};

// R mirt's grouping of sparse S-X2 cells (see s_x2); returns the statistic.
double grouped_s_x2(std::vector<ScoreCells>& rows, double mincell) {
    rows.erase(std::remove_if(rows.begin(), rows.end(), [](const ScoreCells& r) { return r.subjects() == 0.0; }),
               rows.end());
    // A lone subject's group joins the next one, in order (the next may then
    // hold more than one), and a lone last group joins the one before.
    std::vector<ScoreCells> joined;
    for (std::size_t j = 0; j < rows.size(); ++j) {
        if (j + 1 < rows.size() && rows[j].subjects() == 1.0)
            rows[j + 1].absorb(rows[j]);
        else
            joined.push_back(rows[j]);
    }
    if (joined.size() >= 2 && joined.back().subjects() == 1.0) {
        joined[joined.size() - 2].absorb(joined.back());
        joined.pop_back();
    }
    rows.swap(joined);
    while (rows.size() > 1) {
        const auto sparse =
            std::find_if(rows.begin(), rows.end(), [&](const ScoreCells& r) { return r.sparse(mincell); });
        if (sparse == rows.end()) break;
        const auto j = static_cast<std::size_t>(sparse - rows.begin());
        std::size_t into;
        if (j == 0)
            into = 1;
        else if (j + 1 == rows.size())
            into = j - 1;
        else
            into = rows[j - 1].subjects() <= rows[j + 1].subjects() ? j - 1 : j + 1;
        rows[into].absorb(rows[j]);
        rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(j));
    }
    if (rows.size() < 2) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0.0;
    auto term = [](double observed, double expected) {
        return expected != 0.0 ? (observed - expected) * (observed - expected) / expected : 0.0;
    };
    for (const ScoreCells& r : rows) sum += term(r.right, r.expected_right) + term(r.wrong, r.expected_wrong);
    return sum;
}

}  // namespace

void s_x2(const double* probability, const Grid& grid, std::int64_t n_items, std::int64_t n_scores,
          const std::int64_t* scores, const double* group_size, const double* right, double mincell,
          int n_threads, double* statistic, std::int64_t* groups) {
    const auto J = static_cast<std::size_t>(n_items);
    const std::size_t Q = grid.nodes.size();
    if (J < 2) throw std::invalid_argument("S-X2 needs at least two items");
    for (std::int64_t g = 0; g < n_scores; ++g)
        if (scores[g] < 0 || scores[g] > n_items || (g > 0 && scores[g] <= scores[g - 1]))
            throw std::invalid_argument("scores must increase within 0 .. items");
    std::vector<double> weight(Q);
    for (std::size_t q = 0; q < Q; ++q) weight[q] = std::exp(grid.log_weights[q]);
    // Summed-score distribution at each node (Lord & Wingersky, 1984).
    std::vector<double> distribution(Q * (J + 1), 0.0);
    for (std::size_t q = 0; q < Q; ++q) {
        double* s = distribution.data() + q * (J + 1);
        s[0] = 1.0;
        for (std::size_t j = 0; j < J; ++j) {
            const double p = probability[q * J + j];
            for (std::size_t k = j + 1; k > 0; --k) s[k] = s[k] * (1.0 - p) + s[k - 1] * p;
            s[0] *= 1.0 - p;
        }
    }
    std::vector<double> marginal(J + 1, 0.0);  // P(summed score k)
    for (std::size_t q = 0; q < Q; ++q)
        for (std::size_t k = 0; k <= J; ++k) marginal[k] += weight[q] * distribution[q * (J + 1) + k];
    parallel_chunks(
        n_items, 1, n_threads, [&] { return std::vector<double>(2 * J + 1); },
        [&](std::vector<double>& scratch, std::int64_t begin, std::int64_t end) {
            double* rest = scratch.data();       // the other items' summed scores, 0 .. J - 1
            double* joint = scratch.data() + J;  // P(right and summed score k), k = 1 .. J - 1 at joint[k]
            for (auto i = static_cast<std::size_t>(begin); i < static_cast<std::size_t>(end); ++i) {
                std::fill(joint, joint + J + 1, 0.0);
                for (std::size_t q = 0; q < Q; ++q) {
                    const double* s = distribution.data() + q * (J + 1);
                    const double p = probability[q * J + i];
                    // Item i divided out of the distribution, s = (1 - p) rest + p rest
                    // shifted by one, in the direction that does not amplify rounding:
                    // upwards from 0 when p <= 1/2, downwards from J - 1 otherwise.
                    if (p <= 0.5) {
                        rest[0] = s[0] / (1.0 - p);
                        for (std::size_t k = 1; k < J; ++k) rest[k] = (s[k] - p * rest[k - 1]) / (1.0 - p);
                    } else {
                        rest[J - 1] = s[J] / p;
                        for (std::size_t k = J - 1; k > 0; --k) rest[k - 1] = (s[k] - (1.0 - p) * rest[k]) / p;
                    }
                    for (std::size_t k = 1; k < J; ++k) joint[k] += weight[q] * p * std::max(rest[k - 1], 0.0);
                }
                // Score groups 1 .. J - 1: 0 and J say nothing about any one item.
                std::vector<ScoreCells> rows;
                for (std::int64_t g = 0; g < n_scores; ++g) {
                    const auto k = static_cast<std::size_t>(scores[g]);
                    if (k == 0 || k == J) continue;
                    ScoreCells r;
                    const double n = group_size[g];
                    r.right = right[static_cast<std::size_t>(g) * J + i];
                    r.wrong = n - r.right;
                    const double share = marginal[k] > 0.0 ? joint[k] / marginal[k] : 0.0;
                    r.expected_right = n * share;
                    r.expected_wrong = n - r.expected_right;
                    rows.push_back(r);
                }
                statistic[i] = grouped_s_x2(rows, mincell);
                groups[i] = static_cast<std::int64_t>(rows.size());
            }
        });
}

namespace {

// log Gamma(x) for x > 0. Not std::lgamma: it writes the global signgam, and
// chi_square_survival runs in several threads. The recurrence lifts x to 15 or
// more, where Stirling's series to x^-9 is accurate to about 2e-16.
double log_gamma(double x) {
    double product = 1.0;
    for (; x < 15.0; x += 1.0) product *= x;
    const double inv = 1.0 / x, inv2 = inv * inv;
    const double series =
        inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188))));
    return (x - 0.5) * std::log(x) - x + 0.91893853320467274178 + series - std::log(product);
}

}  // namespace

double chi_square_survival(double x, double df) {
    const double a = 0.5 * df, z = 0.5 * x;
    if (!(df > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    if (z <= 0.0) return 1.0;
    const double log_prefactor = -z + a * std::log(z) - log_gamma(a);
    constexpr double kEps = 1e-16;
    constexpr int kMaxTerms = 100000;
    if (z < a + 1.0) {
        // The lower function's series, sum of z^n / (a (a + 1) ... (a + n)).
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < kMaxTerms && term > sum * kEps; ++n) {
            term *= z / (a + n);
            sum += term;
        }
        return 1.0 - sum * std::exp(log_prefactor);
    }
    // The upper function's continued fraction, by the modified Lentz method.
    constexpr double kTiny = 1e-300;
    double b = z + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
    for (int n = 1; n < kMaxTerms; ++n) {
        const double an = -n * (n - a);
        b += 2.0;
        d = an * d + b;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = b + an / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        const double step = d * c;
        h *= step;
        if (std::fabs(step - 1.0) < kEps) break;
    }
    return std::exp(log_prefactor) * h;
}

}  // namespace precipice::irt
