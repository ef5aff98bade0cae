// Joint posterior mode of a multidimensional 2PL (see precipice/irt.hpp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "binary.hpp"
#include "numerics.hpp"
#include "precipice/irt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/simd.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace {

// Cells go through the evaluations in blocks of kBlock, one word of the
// response bits, over covariates laid out as padded columns (Columns), so every
// loop below runs over the contiguous cells of a block and vectorises. Missing
// cells and padding enter with zero weight: no gather.
constexpr int kLanes = 8;
constexpr int kBlock = 64;

// The D columns of a row-major n x D matrix, then one more column (`last`, or
// ones when it is null), each padded with zeros to ld, a multiple of kBlock.
struct Columns {
    std::vector<double> v;
    std::int64_t ld = 0;
    const double* col(int c) const { return v.data() + c * ld; }
};
void fill_columns(const double* x, std::int64_t n, int D, const double* last, Columns& out) {
    out.ld = (n + kBlock - 1) / kBlock * kBlock;
    out.v.assign(static_cast<std::size_t>((D + 1) * out.ld), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (int k = 0; k < D; ++k) out.v[k * out.ld + i] = x[i * D + k];
    for (std::int64_t i = 0; i < n; ++i) out.v[D * out.ld + i] = last ? last[i] : 1.0;
}

// Buffers of one block (answers, weights, logits and curves), one per thread:
// each parallel_chunks thread makes its own and hands it to every evaluation.
struct JointScratch {
    double y[kBlock], w[kBlock], z[kBlock], sp[kBlock], p[kBlock], r[kBlock], v[kBlock];
    std::vector<double> VX;
};

// An item step's scratch: the item's parameters and the block buffers.
struct ItemScratch {
    std::vector<double> item;
    JointScratch block;
};

// Sum of a[b] * c[b] over a block in kLanes partial sums: vertical adds that
// vectorise without reassociating by the compiler.
template <int Cells>
PRECIPICE_ALWAYS_INLINE inline double lane_dot(const double* a, const double* c) {
    double acc[kLanes] = {};
    for (int b = 0; b < Cells; b += kLanes)
        for (int q = 0; q < kLanes; ++q) acc[q] += a[b + q] * c[b + q];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// The eight bits of each byte as doubles, 0.0 or 1.0: a block's bits are spread
// a byte at a time by copies, which AVX2 does faster than by shifts and
// conversions (it converts no 64-bit integers).
struct ByteBits {
    double of[256][8];
};
constexpr ByteBits make_byte_bits() {
    ByteBits t{};
    for (int byte = 0; byte < 256; ++byte)
        for (int q = 0; q < 8; ++q) t.of[byte][q] = (byte >> q) & 1;
    return t;
}
constexpr ByteBits kByteBits = make_byte_bits();

// Sets the answers (bit b of `correct`) and weights (`weight` times 1 for the
// first `count` cells not marked in `missing`, else 0) of one block.
PRECIPICE_ALWAYS_INLINE inline void block_cells(JointScratch& s, std::uint64_t correct, std::uint64_t missing,
                                                std::int64_t count, const double* weight) {
    const std::uint64_t present = ~missing & (count >= kBlock ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1);
    for (int byte = 0; byte < kBlock / 8; ++byte) {
        const double* y = kByteBits.of[(correct >> (8 * byte)) & 0xff];
        const double* w = kByteBits.of[(present >> (8 * byte)) & 0xff];
        for (int q = 0; q < 8; ++q) {
            s.y[8 * byte + q] = y[q];
            s.w[8 * byte + q] = w[q];
        }
    }
    if (weight)
        for (int b = 0; b < count; ++b) s.w[b] *= weight[b];
}

// Adds one block to the weighted Bernoulli log-likelihood f of logits
// z = off + sum_c x_c X_c over k parameters x (column c of the block at
// X + c * ld; off null for none), and when asked to its gradient g and the
// lower triangle of its Hessian H (k x k, row stride k), over its first Cells cells.
template <int Cells>
PRECIPICE_ALWAYS_INLINE inline void joint_block(JointScratch& s, int k, const double* X, std::int64_t ld,
                                                const double* off, const double* x, bool derivatives, double& f,
                                                double* g, double* H) {
    for (int b = 0; b < Cells; ++b) s.z[b] = off ? off[b] : 0.0;
    for (int c = 0; c < k; ++c) {
        const double xc = x[c];
        const double* col = X + c * ld;
        for (int b = 0; b < Cells; ++b) s.z[b] += col[b] * xc;
    }
    // The step-halving trials need f alone: softplus without the sigmoid's
    // division, the same bits as softplus_sigmoid's sp.
    if (derivatives)
        for (int b = 0; b < Cells; ++b) softplus_sigmoid(s.z[b], s.sp[b], s.p[b]);
    else
        for (int b = 0; b < Cells; ++b) s.sp[b] = softplus_branch_free(s.z[b]);
    for (int b = 0; b < Cells; ++b) s.r[b] = s.y[b] * s.z[b] - s.sp[b];
    f += lane_dot<Cells>(s.w, s.r);
    if (!derivatives) return;
    for (int b = 0; b < Cells; ++b) {
        s.r[b] = s.w[b] * (s.y[b] - s.p[b]);
        s.v[b] = s.w[b] * s.p[b] * (1.0 - s.p[b]);
    }
    if (s.VX.size() < static_cast<std::size_t>(k * kBlock)) s.VX.resize(static_cast<std::size_t>(k * kBlock));
    double* VX = s.VX.data();
    for (int c = 0; c < k; ++c) {
        const double* col = X + c * ld;
        double* vcol = VX + c * kBlock;
        for (int b = 0; b < Cells; ++b) vcol[b] = s.v[b] * col[b];
        g[c] += lane_dot<Cells>(s.r, col);
    }
    for (int c = 0; c < k; ++c)
        for (int e = 0; e <= c; ++e) H[c * k + e] -= lane_dot<Cells>(VX + c * kBlock, X + e * ld);
}

// The same over a block of `count` cells (the last of a row or column may hold
// fewer): the work stops at count rounded up to a quarter block, as the padding
// past it adds exact zeros, so the bits are those of the whole block.
PRECIPICE_ALWAYS_INLINE inline void joint_block_of(std::int64_t count, JointScratch& s, int k, const double* X,
                                                   std::int64_t ld, const double* off, const double* x,
                                                   bool derivatives, double& f, double* g, double* H) {
    constexpr int kQuarter = kBlock / 4;
    if (count > 3 * kQuarter)
        joint_block<kBlock>(s, k, X, ld, off, x, derivatives, f, g, H);
    else if (count > 2 * kQuarter)
        joint_block<3 * kQuarter>(s, k, X, ld, off, x, derivatives, f, g, H);
    else if (count > kQuarter)
        joint_block<2 * kQuarter>(s, k, X, ld, off, x, derivatives, f, g, H);
    else
        joint_block<kQuarter>(s, k, X, ld, off, x, derivatives, f, g, H);
}

// Subject i's log-likelihood plus log N(0, I) density (up to a constant) at
// abilities t, with gradient and Hessian when asked; `items` holds the slopes'
// columns and then the intercepts.
PRECIPICE_ALWAYS_INLINE inline void joint_person_body(JointScratch& s, const BinaryResponses& data, std::int64_t i,
                                                      const Columns& items, int D, const double* t, bool derivatives,
                                                      double& f, double* g, double* H) {
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
    for (std::int64_t w = 0; w < words; ++w) {
        const std::int64_t count = std::min<std::int64_t>(kBlock, J - w * kBlock);
        block_cells(s, correct[w], missing[w], count, nullptr);
        joint_block_of(count, s, D, items.col(0) + w * kBlock, items.ld, items.col(D) + w * kBlock, t, derivatives, f,
                       g, H);
    }
    if (derivatives)
        for (int k = 0; k < D; ++k)
            for (int l = 0; l < k; ++l) H[l * D + k] = H[k * D + l];
}

#if defined(PRECIPICE_SIMD_DISPATCH)
PRECIPICE_TARGET_AVX2 void joint_person_avx2(JointScratch& s, const BinaryResponses& data, std::int64_t i,
                                             const Columns& items, int D, const double* t, bool derivatives, double& f,
                                             double* g, double* H) {
    joint_person_body(s, data, i, items, D, t, derivatives, f, g, H);
}
#endif

// Baseline or AVX2 build by simd_level() (PRECIPICE_SIMD caps it); the same bits either way.
void joint_person_eval(JointScratch& s, const BinaryResponses& data, std::int64_t i, const Columns& items, int D,
                       const double* t, bool derivatives, double& f, double* g, double* H) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base) return joint_person_avx2(s, data, i, items, D, t, derivatives, f, g, H);
#endif
    joint_person_body(s, data, i, items, D, t, derivatives, f, g, H);
}

// Item j's weighted log-likelihood (plus its log priors when `with_prior`) at
// x = (a_1 .. a_D, d), abilities fixed (`subjects`: their columns, then ones,
// whose coefficient is the intercept; `weights` padded to subjects.ld), with gradient and Hessian when asked.
PRECIPICE_ALWAYS_INLINE inline void joint_item_body(JointScratch& s, const BinaryResponses& data, std::int64_t j,
                                                    const Columns& subjects, const double* weights, int D,
                                                    const JointOptions& o, bool with_prior, const double* x,
                                                    bool derivatives, double& f, double* g, double* H) {
    const std::int64_t N = data.subjects(), words = data.words_per_item();
    const int k1 = D + 1;
    const std::uint64_t* correct = data.correct_of_item(j);
    const std::uint64_t* missing = data.missing_of_item(j);
    f = 0.0;
    if (derivatives) {
        std::fill(g, g + k1, 0.0);
        std::fill(H, H + k1 * k1, 0.0);
    }
    const double d = x[D];
    for (std::int64_t w = 0; w < words; ++w) {
        const std::int64_t count = std::min<std::int64_t>(kBlock, N - w * kBlock);
        block_cells(s, correct[w], missing[w], count, weights + w * kBlock);
        joint_block_of(count, s, k1, subjects.col(0) + w * kBlock, subjects.ld, nullptr, x, derivatives, f, g, H);
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

#if defined(PRECIPICE_SIMD_DISPATCH)
PRECIPICE_TARGET_AVX2 void joint_item_avx2(JointScratch& s, const BinaryResponses& data, std::int64_t j,
                                           const Columns& subjects, const double* weights, int D, const JointOptions& o,
                                           bool with_prior, const double* x, bool derivatives, double& f, double* g,
                                           double* H) {
    joint_item_body(s, data, j, subjects, weights, D, o, with_prior, x, derivatives, f, g, H);
}
#endif

// Baseline or AVX2 build by simd_level() (PRECIPICE_SIMD caps it); the same bits either way.
void joint_item_eval(JointScratch& s, const BinaryResponses& data, std::int64_t j, const Columns& subjects,
                     const double* weights, int D, const JointOptions& o, bool with_prior, const double* x,
                     bool derivatives, double& f, double* g, double* H) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base)
        return joint_item_avx2(s, data, j, subjects, weights, D, o, with_prior, x, derivatives, f, g, H);
#endif
    joint_item_body(s, data, j, subjects, weights, D, o, with_prior, x, derivatives, f, g, H);
}

// A Newton step s of a weighted Bernoulli log-likelihood in its linear
// predictors (plus a Gaussian log prior), which is concave, raises it whenever no
// cell's logit moves by ln 2 or more: p (1 - p) changes by at most a factor
// e^|dz| along the step, so f(x + s) - f(x) >= s'Hs (1 - e^max|dz| / 2) > 0 (H minus
// the Hessian at x; for a regularised or shortened step the bound only grows).
// With |dz| <= sum_k |s_k| max|X_k| over the covariates' columns, such a step is
// taken without its trial evaluation.
constexpr double kUntestedLogitMove = 0.69;  // < ln 2

// Per column c < `columns` of X: the largest |value| (its padding is zero).
std::vector<double> column_bounds(const Columns& X, int columns) {
    std::vector<double> bound(static_cast<std::size_t>(columns), 0.0);
    for (int c = 0; c < columns; ++c)
        for (std::int64_t i = 0; i < X.ld; ++i) bound[c] = std::max(bound[c], std::abs(X.col(c)[i]));
    return bound;
}

bool raises_untested(const double* s, const std::vector<double>& bound) {
    double move = 0.0;
    for (std::size_t c = 0; c < bound.size(); ++c) move += std::abs(s[c]) * bound[c];
    return move < kUntestedLogitMove;
}

// One Newton step (with step halving) for every subject's abilities, items fixed.
void joint_person_steps(const BinaryResponses& data, const double* a, const double* d, int D, int n_threads,
                        int max_steps, double step_tol, double* theta) {
    Columns items;
    fill_columns(a, data.items(), D, d, items);
    const std::vector<double> slope_bound = column_bounds(items, D);
    auto untested = [&](const double* s) { return raises_untested(s, slope_bound); };
    parallel_chunks(
        data.subjects(), chunk_for(data.items() * D * (D + 4)), n_threads, [] { return JointScratch{}; },
        [&](JointScratch& s, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                auto evaluate = [&](const double* t, bool derivatives, double& f, double* g, double* H) {
                    joint_person_eval(s, data, i, items, D, t, derivatives, f, g, H);
                };
                newton_ascent(D, theta + i * D, evaluate, max_steps, step_tol, nullptr, untested);
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
    // The abilities' columns (refilled each sweep) and the subjects' weights,
    // padded like them with zero weight.
    Columns subjects;
    std::vector<double> weights(static_cast<std::size_t>((N + kBlock - 1) / kBlock * kBlock), 0.0);
    for (std::int64_t i = 0; i < N; ++i) weights[i] = data.weight(i);
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
        fill_columns(theta, N, D, nullptr, subjects);
        // The lognormal slope prior (dims = 1) is not concave: every step is tried.
        const std::vector<double> ability_bound = lognormal ? std::vector<double>{} : column_bounds(subjects, D + 1);
        auto untested = [&](const double* s) { return !lognormal && raises_untested(s, ability_bound); };
        parallel_chunks(
            J, chunk_for(N * (D + 1) * (D + 5)), threads,
            [D] { return ItemScratch{std::vector<double>(static_cast<std::size_t>(D + 1)), {}}; },
            [&](ItemScratch& scratch, std::int64_t begin, std::int64_t end) {
                std::vector<double>& item = scratch.item;
                for (std::int64_t j = begin; j < end; ++j) {
                    std::copy(a + j * D, a + (j + 1) * D, item.begin());
                    item[D] = d[j];
                    auto evaluate = [&](const double* v, bool derivatives, double& f, double* g, double* H) {
                        joint_item_eval(scratch.block, data, j, subjects, weights.data(), D, options, true, v,
                                        derivatives, f, g, H);
                    };
                    newton_ascent(D + 1, item.data(), evaluate, 1, step_tol, &item_start[j], untested);
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
    // Bounded steps: for dims > 1 the posterior is flat along rotations of
    // (theta, a), a curved orbit that long linear extrapolations leave.
    const auto [converged, evals] = squarem(x, options.tol, options.max_iter, sweep, nullptr, true);
    out.converged = converged;
    out.n_iter = evals;
    out.theta.assign(x.begin(), x.begin() + n_theta);
    out.a.assign(x.begin() + n_theta, x.begin() + n_theta + n_a);
    out.d.assign(x.begin() + n_theta + n_a, x.end());
    std::vector<double> item_ll(static_cast<std::size_t>(J));
    fill_columns(out.theta.data(), N, D, nullptr, subjects);
    parallel_chunks(
        J, chunk_for(N * D), threads,
        [D] { return ItemScratch{std::vector<double>(static_cast<std::size_t>(D + 1)), {}}; },
        [&](ItemScratch& scratch, std::int64_t begin, std::int64_t end) {
            std::vector<double>& item = scratch.item;
            for (std::int64_t j = begin; j < end; ++j) {
                std::copy(out.a.begin() + j * D, out.a.begin() + (j + 1) * D, item.begin());
                item[D] = out.d[j];
                joint_item_eval(scratch.block, data, j, subjects, weights.data(), D, options, false, item.data(), false,
                                item_ll[j], nullptr, nullptr);
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

}  // namespace precipice::irt
