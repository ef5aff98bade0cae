// Posteriors and ability scores (EAP, MAP, ML) of binary and graded items at
// given item parameters (see precipice/irt.hpp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "binary.hpp"
#include "graded.hpp"
#include "numerics.hpp"
#include "precipice/irt.hpp"
#include "precipice/parallel.hpp"
#include "responses.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace {

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

// What the ML / MAP scoring of one subject needs to know of its pattern.
struct Pattern {
    std::int64_t answered = 0;
    bool all_lowest = false, all_highest = false;  // every answer in the lowest / highest category
};

// The one skeleton of ML and MAP scoring, for binary and graded items alike:
// per subject, a Newton ascent from 0 on the log-likelihood (plus the N(0, 1)
// log-prior for MAP). pattern(i) summarises subject i's answers;
// add_loglik(i) gives a callable (t, f, g1, g2) that adds the log-likelihood
// and its first two derivatives at t to f, g1, g2.
template <class Summarise, class LogLikelihood>
void score_modes(std::int64_t N, std::int64_t J, bool with_prior, int threads, Summarise&& pattern,
                 LogLikelihood&& add_loglik, double* theta, double* se) {
    parallel_chunks(
        N, chunk_for(20 * J), threads, [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const auto add = add_loglik(i);
                auto evaluate = [&](double t, double& f, double& g1, double& g2) {
                    f = g1 = g2 = 0.0;
                    if (with_prior) {
                        f = -0.5 * t * t;
                        g1 = -t;
                        g2 = -1.0;
                    }
                    add(t, f, g1, g2);
                };
                const Pattern answers = pattern(i);
                if (!with_prior && answers.answered == 0) {
                    theta[i] = se[i] = kNaN;
                    continue;
                }
                const Ascent1d best = ascend_1d(evaluate);
                const bool extreme = !with_prior && (answers.all_lowest || answers.all_highest);
                store_score(best, extreme, answers.all_highest, theta[i], se[i]);
            }
        });
}

}  // namespace

void posterior_binary(const BinaryResponses& data, const double* a, const double* d, const double* c, const Grid& grid,
                      int n_threads, double* posterior, double* loglik) {
    Model model;
    const Params p = params_from(data, a, d, c, model);
    Tables tables;
    compute_tables(model, p, grid, std::max(n_threads, 1), tables);
    estep(data, model, p, tables, grid, false, std::max(n_threads, 1), posterior, loglik);
}

void score_binary(const BinaryResponses& data, const double* a, const double* d, const double* c, ScoreMethod method,
                  const Grid& grid, int n_threads, double* theta, double* se) {
    const std::int64_t N = data.subjects(), J = data.items(), Q = static_cast<std::int64_t>(grid.nodes.size());
    const int threads = std::max(n_threads, 1);
    if (method == ScoreMethod::eap) {
        std::vector<double> post(static_cast<std::size_t>(N * Q));
        posterior_binary(data, a, d, c, grid, threads, post.data(), nullptr);
        eap_scores(post.data(), N, grid, theta, se);
        return;
    }
    Model model;
    params_from(data, a, d, c, model);  // checks the parameters
    const std::int64_t words = data.words_per_subject();
    auto pattern = [&](std::int64_t i) {
        const std::uint64_t* correct = data.correct_of_subject(i);
        const std::uint64_t* missing = data.missing_of_subject(i);
        std::int64_t n_answered = 0, n_correct = 0;
        for (std::int64_t w = 0; w < words; ++w) {
            const std::uint64_t valid =
                (w == words - 1 && J % 64) ? (std::uint64_t{1} << (J % 64)) - 1 : ~std::uint64_t{0};
            n_answered += popcount(~missing[w] & valid);
            n_correct += popcount(correct[w]);
        }
        return Pattern{n_answered, n_correct == 0, n_correct == n_answered};
    };
    auto add_loglik = [&](std::int64_t i) {
        const std::uint64_t* correct = data.correct_of_subject(i);
        const std::uint64_t* missing = data.missing_of_subject(i);
        return [=](double t, double& f, double& g1, double& g2) {
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
    };
    score_modes(N, J, method == ScoreMethod::map, threads, pattern, add_loglik, theta, se);
}

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
    auto pattern = [&](std::int64_t i) {
        const std::int16_t* row = data.subject_row(i);
        std::int64_t n_answered = 0, n_bottom = 0, n_top = 0;
        for (std::int64_t j = 0; j < J; ++j) {
            if (row[j] < 0) continue;
            ++n_answered;
            n_bottom += row[j] == 0;
            n_top += row[j] == layout.K[j] - 1;
        }
        return Pattern{n_answered, n_bottom == n_answered, n_top == n_answered};
    };
    // The log-likelihood up to the gap terms, which do not depend on theta.
    auto add_loglik = [&](std::int64_t i) {
        const std::int16_t* row = data.subject_row(i);
        return [=, &layout, &thresholds](double t, double& f, double& g1, double& g2) {
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
    };
    score_modes(N, J, method == ScoreMethod::map, threads, pattern, add_loglik, theta, se);
}

}  // namespace precipice::irt
