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
PRECIPICE_TARGET_CLONES void joint_person_eval(const BinaryResponses& data, std::int64_t i, const double* a,
                                               const double* d, int D, const double* t, bool derivatives, double& f,
                                               double* g, double* H) {
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
PRECIPICE_TARGET_CLONES void joint_item_eval(const BinaryResponses& data, std::int64_t j, const double* theta, int D,
                                             const JointOptions& o, bool with_prior, const double* x, bool derivatives,
                                             double& f, double* g, double* H) {
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
            J, chunk_for(N * (D + 1) * (D + 5)), threads,
            [D] { return std::vector<double>(static_cast<std::size_t>(D + 1)); },
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
                joint_item_eval(data, j, out.theta.data(), D, options, false, item.data(), false, item_ll[j], nullptr,
                                nullptr);
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
