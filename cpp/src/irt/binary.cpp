// Binary items by marginal maximum likelihood (see precipice/irt.hpp).
//
// One EM iteration:
//   tables  log(1 - P) (and log-odds for the 3PL) per item and node  (parallel over items)
//   E-step  posterior over nodes per subject, in log space           (parallel over subjects)
//   counts  expected correct / answered per item and node            (parallel over items)
//   M-step  a small Newton problem per item (the 1PL's common slope couples them)
// For c = 0 the log-odds are linear in theta, so a subject's log-likelihood at
// every node needs only the sums of a and d over its correct items: the E-step
// costs O(items + nodes) per subject plus O(nodes) per missing cell.

#include "binary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "numerics.hpp"
#include "precipice/irt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/simd.hpp"
#include "responses.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace {

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

ItemEval item_objective(Model model, const Prior& prior, double a, double d, double g, const double* r, const double* n,
                        const Grid& grid, NodeRange range, bool derivatives, bool slope_prior) {
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
                    evals[j] = item_objective(Model::onepl, prior, slope, dd[j], 0.0, r + j * Q, n + j * Q, grid, range,
                                              derivatives, false);
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
        throw std::invalid_argument(
            "responses: a model with slopes needs at least 3 subjects (rows with a positive "
            "count), got " +
            std::to_string(subjects) + remedy);
    bool varies = false;
    double first = kNaN;
    for (double v : share) {
        if (std::isnan(v)) continue;
        if (std::isnan(first)) first = v;
        varies = varies || v != first;
    }
    if (!varies)
        throw std::invalid_argument(
            "responses: every subject has the same share of right answers, so the data say "
            "nothing about the slopes" +
            remedy);
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
    throw std::invalid_argument(
        "responses: every item separates the subjects (all who answer it right have a "
        "higher share of right answers than all who answer it wrong), so the slopes have "
        "no finite maximum-likelihood estimate" +
        remedy);
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

// eval_item's body, inlined into its baseline and AVX2 builds (simd.hpp).
PRECIPICE_ALWAYS_INLINE inline void eval_item_body(bool guess, double a, double d, double gam, const double* r,
                                                   const double* n, const Grid& grid, NodeRange range, bool derivatives,
                                                   ItemEval& e) {
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

#if defined(PRECIPICE_SIMD_DISPATCH)
PRECIPICE_TARGET_AVX2 void eval_item_avx2(bool guess, double a, double d, double gam, const double* r, const double* n,
                                          const Grid& grid, NodeRange range, bool derivatives, ItemEval& e) {
    eval_item_body(guess, a, d, gam, r, n, grid, range, derivatives, e);
}
#endif

}  // namespace

namespace detail {

void eval_item(bool guess, double a, double d, double gam, const double* r, const double* n, const Grid& grid,
               NodeRange range, bool derivatives, ItemEval& e) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base) return eval_item_avx2(guess, a, d, gam, r, n, grid, range, derivatives, e);
#endif
    eval_item_body(guess, a, d, gam, r, n, grid, range, derivatives, e);
}

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

double estep(const BinaryResponses& data, Model model, const Params& p, const Tables& t, const Grid& grid,
             bool weighted, int n_threads, double* post, double* subject_ll, std::int32_t* spans) {
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
                const double marginal = normalise_posterior(ll.data(), Q, weighted ? data.weight(i) : 1.0, post + i * Q,
                                                            spans ? spans + 2 * i : nullptr);
                if (subject_ll) subject_ll[i] = marginal;
                contribution[i] = data.weight(i) > 0 ? data.weight(i) * marginal : 0.0;
            }
        });
    double loglik = 0.0;  // summed in order, so the result does not depend on n_threads
    for (double v : contribution) loglik += v;
    return loglik;
}

void check_estimable(const BinaryResponses& data, const Prior& prior) {
    if (prior.intercept) return;
    for (std::int64_t j = 0; j < data.items(); ++j) {
        const double correct = data.item_correct(j), answered = data.item_answered(j);
        if (correct <= 0.0 || correct >= answered)
            throw std::invalid_argument(
                "responses: item " + std::to_string(j) + " is answered " +
                (correct <= 0.0 ? "0 (wrong)" : "1 (correct)") +
                " by every subject, so its intercept has no finite maximum-likelihood estimate; drop the item "
                "or pass a prior on the intercepts (irt.fit(..., prior='weak'))");
    }
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

}  // namespace detail

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
    out.prior_curvature.assign(static_cast<std::size_t>(J * 3), 0.0);
    for (std::int64_t j = 0; j < J; ++j) {
        ItemEval e;
        add_slope_prior(options.prior, p.a[j], e);
        add_intercept_prior(options.prior, p.d[j], e);
        if (guess) add_guess_prior(options.prior, p.g[j], e);
        for (int k = 0; k < 3; ++k) out.prior_curvature[j * 3 + k] = e.h[k * 4];
    }
    if (options.information != Information::none)
        louis_terms(data, model, p, grid, post.data(), r.data(), n.data(), options.information == Information::full,
                    threads, out);
    out.posterior = std::move(post);
    out.expected_correct = std::move(r);
    out.expected_answered = std::move(n);
    return out;
}

}  // namespace precipice::irt
