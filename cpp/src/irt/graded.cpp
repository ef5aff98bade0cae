// Graded (ordinal) items by marginal maximum likelihood (see precipice/irt.hpp).
//
// With z_k = a theta + d_k, the probability of category k is
//   P_k = sigmoid(z_k) - sigmoid(z_{k+1}) = sigmoid(z_k) sigmoid(-z_{k+1}) (1 - exp(-(d_k - d_{k+1})))
// (sigmoid(z_0) = 1, sigmoid(z_K) = 0), so log P_k splits into a term per
// boundary and a gap term that does not depend on theta. An item's expected
// complete-data log-likelihood is then, per boundary b, a binary item's with
// r_b "successes" out of r_b + r_{b-1} trials (eval_item serves it), plus
// sum_k R_k log(1 - exp(-(d_k - d_{k+1}))) with R_k the expected count in
// category k: concave in (a, d), and -inf unless the intercepts are ordered.

#include "graded.hpp"

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

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace {

// log(1 - exp(-gap)) and its first two derivatives: the part of log P_k that
// depends only on the distance between adjacent intercepts (-inf when gap <= 0).
inline double log_gap(double gap) { return gap > 0 ? std::log(-std::expm1(-gap)) : -kInf; }
inline double log_gap_d1(double gap) { return 1.0 / std::expm1(gap); }
inline double log_gap_d2(double gap) { return -1.0 / (std::expm1(gap) * -std::expm1(-gap)); }

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

namespace detail {

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

bool graded_item_valid(int K, const double* x, bool positive_slope) {
    for (int k = 0; k < K; ++k)
        if (!std::isfinite(x[k])) return false;
    if (positive_slope && !(x[0] > 0)) return false;
    for (int k = 1; k + 1 < K; ++k)
        if (!(x[k] > x[k + 1])) return false;
    return true;
}

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
                const double marginal = normalise_posterior(ll.data(), Q, weighted ? data.weight(i) : 1.0, post + i * Q,
                                                            spans ? spans + 2 * i : nullptr);
                if (subject_ll) subject_ll[i] = marginal;
                contribution[i] = data.weight(i) > 0 ? data.weight(i) * marginal : 0.0;
            }
        });
    double loglik = 0.0;  // in order: independent of n_threads
    for (double v : contribution) loglik += v;
    return loglik;
}

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

}  // namespace detail

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
        const double loglik =
            graded_estep(data, layout, log_p, grid, true, threads, post.data(), nullptr, spans.data());
        const auto [lo, hi] = graded_counts(data, layout, post.data(), spans.data(), Q, threads, r.data());
        const NodeRange range{static_cast<std::size_t>(lo), static_cast<std::size_t>(hi)};
        parallel_chunks(J, chunk_for(100 * Q * Kmax), threads, make_scratch,
                        [&](GradedScratch& s, std::int64_t begin, std::int64_t end) {
                            for (std::int64_t j = begin; j < end; ++j) {
                                const int Kj = layout.K[j];
                                const double* rj = r.data() + layout.category_at[j] * Q;
                                graded_trials(Kj, rj, Q, s.trials.data(), s.totals.data());
                                s.x[0] = next[j];
                                std::copy(next.begin() + J + layout.threshold_at[j],
                                          next.begin() + J + layout.threshold_at[j + 1], s.x.begin() + 1);
                                auto evaluate = [&](const double* v, bool derivatives, double& f, double* g,
                                                    double* H) {
                                    if (positive_slope && !(v[0] > 0)) {
                                        f = -kInf;
                                        return;
                                    }
                                    eval_graded_item(Kj, v, rj, s.trials.data(), s.totals.data(), grid, range, &prior,
                                                     derivatives, f, g, H);
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
            x[J + layout.threshold_at[j] + k - 1] =
                std::log(prop / (1 - prop)) * std::sqrt(1.0 + 1.0 / (1.702 * 1.702));
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
    out.prior_curvature.assign(static_cast<std::size_t>(J * Kmax), 0.0);
    for (std::int64_t j = 0; j < J; ++j) {
        ItemEval e;
        add_slope_prior(options.prior, a[j], e);
        out.prior_curvature[j * Kmax] = e.h[0];
        for (std::int64_t k = layout.threshold_at[j]; k < layout.threshold_at[j + 1]; ++k) {
            ItemEval intercept;
            add_intercept_prior(options.prior, d[k], intercept);
            out.prior_curvature[j * Kmax + 1 + (k - layout.threshold_at[j])] = intercept.h[4];
        }
    }
    out.posterior = std::move(post);
    return out;
}

void graded_node_scores(const double* a, const double* d, std::int64_t n_items, int max_categories, const Grid& grid,
                        double* scores) {
    const int width = max_categories - 1, Kmax = max_categories;
    const auto Q = static_cast<std::int64_t>(grid.nodes.size());
    std::fill(scores, scores + n_items * Kmax * Q * Kmax, 0.0);
    for (std::int64_t j = 0; j < n_items; ++j) {
        const double* dj = d + j * width;
        int Kj = 1;
        while (Kj - 1 < width && !std::isnan(dj[Kj - 1])) ++Kj;
        // log P_k = log sigmoid(z_k) + log sigmoid(-z_{k+1}) + log(1 - exp(-(d_k - d_{k+1}))).
        for (int k = 0; k < Kj; ++k) {
            const bool lower = k >= 1, upper = k + 1 <= Kj - 1;
            const double gap = lower && upper ? log_gap_d1(dj[k - 1] - dj[k]) : 0.0;
            for (std::int64_t q = 0; q < Q; ++q) {
                const double t = grid.nodes[q];
                double* x = scores + ((j * Kmax + k) * Q + q) * Kmax;
                if (lower) {  // boundary k: d_k is parameter k
                    const double up = 1 - sigmoid(a[j] * t + dj[k - 1]);
                    x[0] += t * up;
                    x[k] += up;
                }
                if (upper) {  // boundary k + 1
                    const double down = sigmoid(a[j] * t + dj[k]);
                    x[0] -= t * down;
                    x[k + 1] -= down;
                }
                if (lower && upper) {
                    x[k] += gap;
                    x[k + 1] -= gap;
                }
            }
        }
    }
}

}  // namespace precipice::irt
