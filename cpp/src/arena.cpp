// Bradley-Terry fits and their bootstrap (see precipice/arena.hpp).
#include "precipice/arena.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "precipice/parallel.hpp"
#include "precipice/random/distributions.hpp"

namespace precipice::arena {

namespace {

double sigmoid(double x) noexcept { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double softplus(double x) noexcept { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// One battle's log-likelihood and its derivatives in the linear predictor eta
// and the tie parameter t (kappa or lambda).
struct Terms {
    double ll, d_eta, d_eta_eta, d_t, d_eta_t, d_t_t;
};

Terms half_terms(double eta, double score) noexcept {
    const double p = sigmoid(eta);
    return {score * eta - softplus(eta), score - p, -p * (1.0 - p), 0.0, 0.0, 0.0};
}

Terms davidson_terms(double eta, double lambda, double score) noexcept {
    const double h = 0.5 * eta;
    const double top = std::max(std::max(h, -h), lambda);
    const double log_d = top + std::log(std::exp(h - top) + std::exp(-h - top) + std::exp(lambda - top));
    const double pa = std::exp(h - log_d), pb = std::exp(-h - log_d), pt = std::exp(lambda - log_d);
    const double diff = 0.5 * (pa - pb);
    Terms t{};
    t.d_eta_eta = -(0.25 * (pa + pb) - diff * diff);
    t.d_eta_t = pt * diff;
    t.d_t_t = -(pt - pt * pt);
    if (score == 1.0) {
        t.ll = h - log_d;
        t.d_eta = 0.5 - diff;
        t.d_t = -pt;
    } else if (score == 0.0) {
        t.ll = -h - log_d;
        t.d_eta = -0.5 - diff;
        t.d_t = -pt;
    } else {
        t.ll = lambda - log_d;
        t.d_eta = -diff;
        t.d_t = 1.0 - pt;
    }
    return t;
}

// In tau = exp(kappa) > 0, then by the chain rule in kappa (unconstrained).
Terms rao_kupper_terms(double eta, double kappa, double score) noexcept {
    const double tau = std::exp(kappa);
    const double u = eta - tau, v = -eta - tau;
    const double su = sigmoid(u), snu = sigmoid(-u), sv = sigmoid(v), snv = sigmoid(-v);
    Terms t{};
    double d_tau = 0, d_eta_tau = 0, d_tau_tau = 0;
    if (score == 1.0) {
        t.ll = -softplus(-u);
        t.d_eta = snu;
        d_tau = -snu;
        t.d_eta_eta = -su * snu;
        d_eta_tau = su * snu;
        d_tau_tau = -su * snu;
    } else if (score == 0.0) {
        t.ll = -softplus(-v);
        t.d_eta = -snv;
        d_tau = -snv;
        t.d_eta_eta = -sv * snv;
        d_eta_tau = -sv * snv;
        d_tau_tau = -sv * snv;
    } else {
        // P(tie) = (e^(2 tau) - 1) e^eta / ((e^eta + e^tau)(1 + e^(tau + eta))).
        const double e = std::exp(-2.0 * tau);
        t.ll = 2.0 * tau + std::log(-std::expm1(-2.0 * tau)) + eta - tau - softplus(u) - softplus(-v);
        t.d_eta = 1.0 - su - snv;
        const double coth = (1.0 + e) / (1.0 - e);
        const double csch2 = 4.0 * e / ((1.0 - e) * (1.0 - e));
        d_tau = coth + su - snv;
        t.d_eta_eta = -su * snu - sv * snv;
        d_eta_tau = su * snu - sv * snv;
        d_tau_tau = -csch2 - su * snu - sv * snv;
    }
    t.d_t = tau * d_tau;
    t.d_eta_t = tau * d_eta_tau;
    t.d_t_t = tau * tau * d_tau_tau + tau * d_tau;
    return t;
}

Terms battle_terms(TieModel ties, double eta, double t, double score) noexcept {
    switch (ties) {
        case TieModel::rao_kupper:
            return rao_kupper_terms(eta, t, score);
        case TieModel::davidson:
            return davidson_terms(eta, t, score);
        case TieModel::half:
        default:
            return half_terms(eta, score);
    }
}

// The nonzero entries of one cell's design: d eta / d params, plus the tie parameter.
struct Design {
    std::vector<std::int64_t> index;
    std::vector<double> value;
};

// Log-likelihood (with the prior) at params; grad and neg_hess (lower
// triangle, P x P) receive its gradient and minus its Hessian, meat the sum of
// the battles' score outer products (all optional).
double evaluate(const Cells& cells, const double* counts, const FitOptions& options, const double* params, double* grad,
                double* neg_hess, double* meat, Design& design) {
    const std::int64_t m = cells.n_models, k = cells.n_features;
    const std::int64_t p_count = parameter_count(cells, options.ties);
    const bool has_tie = options.ties != TieModel::half;
    const std::int64_t tie_index = m + k;
    const double tie_value = has_tie ? params[tie_index] : 0.0;
    if (grad != nullptr) std::fill(grad, grad + p_count, 0.0);
    if (neg_hess != nullptr) std::fill(neg_hess, neg_hess + p_count * p_count, 0.0);
    if (meat != nullptr) std::fill(meat, meat + p_count * p_count, 0.0);
    const std::size_t width = static_cast<std::size_t>(2 + k);
    design.index.resize(width);
    design.value.resize(width);
    auto lower = [p_count](double* matrix, std::int64_t i, std::int64_t j) -> double& {
        return i >= j ? matrix[i * p_count + j] : matrix[j * p_count + i];
    };
    double ll = 0.0;
    for (std::int64_t c = 0; c < cells.n_cells; ++c) {
        const double n = counts[c];
        if (n == 0.0) continue;
        const double w = n * cells.weight[c];
        const std::int64_t a = cells.a[c], b = cells.b[c];
        double eta = params[a] - params[b];
        const double* x = k > 0 ? cells.features + c * k : nullptr;
        for (std::int64_t j = 0; j < k; ++j) eta += x[j] * params[m + j];
        const Terms t = battle_terms(options.ties, eta, tie_value, cells.outcome[c]);
        ll += w * t.ll;
        if (grad == nullptr) continue;
        design.index[0] = a;
        design.value[0] = 1.0;
        design.index[1] = b;
        design.value[1] = -1.0;
        for (std::int64_t j = 0; j < k; ++j) {
            design.index[static_cast<std::size_t>(2 + j)] = m + j;
            design.value[static_cast<std::size_t>(2 + j)] = x[j];
        }
        for (std::size_t i = 0; i < width; ++i) grad[design.index[i]] += w * t.d_eta * design.value[i];
        if (has_tie) grad[tie_index] += w * t.d_t;
        if (neg_hess != nullptr) {
            for (std::size_t i = 0; i < width; ++i) {
                for (std::size_t j = 0; j <= i; ++j)
                    lower(neg_hess, design.index[i], design.index[j]) -=
                        w * t.d_eta_eta * design.value[i] * design.value[j];
                if (has_tie) lower(neg_hess, tie_index, design.index[i]) -= w * t.d_eta_t * design.value[i];
            }
            if (has_tie) lower(neg_hess, tie_index, tie_index) -= w * t.d_t_t;
        }
        if (meat != nullptr) {
            // Each of the n battles has score vector weight * (d_eta design + d_t e_tie).
            const double wb = cells.weight[c];
            const double nw2 = n * wb * wb;
            for (std::size_t i = 0; i < width; ++i) {
                for (std::size_t j = 0; j <= i; ++j)
                    lower(meat, design.index[i], design.index[j]) +=
                        nw2 * t.d_eta * t.d_eta * design.value[i] * design.value[j];
                if (has_tie) lower(meat, tie_index, design.index[i]) += nw2 * t.d_t * t.d_eta * design.value[i];
            }
            if (has_tie) lower(meat, tie_index, tie_index) += nw2 * t.d_t * t.d_t;
        }
    }
    auto penalise = [&](std::int64_t begin, std::int64_t end, double ridge) {
        for (std::int64_t i = begin; i < end; ++i) {
            ll -= 0.5 * ridge * params[i] * params[i];
            if (grad != nullptr) grad[i] -= ridge * params[i];
            if (neg_hess != nullptr) neg_hess[i * p_count + i] += ridge;
        }
    };
    if (options.ridge > 0.0) penalise(0, m, options.ridge);
    if (options.feature_ridge > 0.0) penalise(m, m + k, options.feature_ridge);
    return ll;
}

// Dot product with four partial sums in a fixed order (vectorisable without
// reassociation, the same result on every machine).
double dot(const double* x, const double* y, std::int64_t n) noexcept {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t q = 0;
    for (; q + 4 <= n; q += 4) {
        s0 += x[q] * y[q];
        s1 += x[q + 1] * y[q + 1];
        s2 += x[q + 2] * y[q + 2];
        s3 += x[q + 3] * y[q + 3];
    }
    for (; q < n; ++q) s0 += x[q] * y[q];
    return (s0 + s1) + (s2 + s3);
}

// In-place Cholesky of the n x n lower triangle of A; false unless positive definite.
bool cholesky(double* A, std::int64_t n) noexcept {
    for (std::int64_t j = 0; j < n; ++j) {
        double* rj = A + j * n;
        const double d2 = rj[j] - dot(rj, rj, j);
        if (!(d2 > 0.0) || !std::isfinite(d2)) return false;
        const double d = std::sqrt(d2);
        rj[j] = d;
        for (std::int64_t i = j + 1; i < n; ++i) {
            double* ri = A + i * n;
            ri[j] = (ri[j] - dot(ri, rj, j)) / d;
        }
    }
    return true;
}

void cholesky_solve(const double* L, std::int64_t n, double* x) noexcept {
    for (std::int64_t i = 0; i < n; ++i) x[i] = (x[i] - dot(L + i * n, x, i)) / L[i * n + i];
    for (std::int64_t i = n - 1; i >= 0; --i) {
        double s = x[i];
        for (std::int64_t q = i + 1; q < n; ++q) s -= L[q * n + i] * x[q];
        x[i] = s / L[i * n + i];
    }
}

struct Workspace {
    std::vector<double> grad, neg_hess, system, step, trial, counts;
    Design design;
    explicit Workspace(std::int64_t p_count, std::int64_t n_cells = 0)
        : grad(static_cast<std::size_t>(p_count)),
          neg_hess(static_cast<std::size_t>(p_count * p_count)),
          system(static_cast<std::size_t>(p_count * p_count)),
          step(static_cast<std::size_t>(p_count)),
          trial(static_cast<std::size_t>(p_count)),
          counts(static_cast<std::size_t>(n_cells)) {}
};

FitStatus fit_with(const Cells& cells, const double* counts, const FitOptions& options, double* params,
                   Workspace& work) {
    const std::int64_t m = cells.n_models;
    const std::int64_t p_count = parameter_count(cells, options.ties);
    // Without a prior the ratings are defined up to a shift: rating 0 stays
    // where it is, the others move, and the result is centred at the end.
    const std::int64_t skip = options.ridge > 0.0 ? 0 : 1;
    const std::int64_t n = p_count - skip;
    FitStatus status;
    double ll = evaluate(cells, counts, options, params, work.grad.data(), work.neg_hess.data(), nullptr, work.design);
    status.code = FitCode::max_iter;
    for (int iter = 0; iter < options.max_iter; ++iter) {
        status.iterations = iter + 1;
        bool factored = false;
        // Damping only where minus the Hessian is not positive definite (a
        // ties model away from its optimum).
        for (int attempt = 0; attempt < 8 && !factored; ++attempt) {
            const double damping = attempt == 0 ? 0.0 : 1e-8 * std::pow(100.0, attempt - 1);
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = 0; j <= i; ++j) {
                    double v = work.neg_hess[(i + skip) * p_count + (j + skip)];
                    if (i == j) v += damping * (1.0 + std::abs(v));
                    work.system[i * n + j] = v;
                }
            factored = cholesky(work.system.data(), n);
        }
        if (!factored) {
            status.code = FitCode::singular;
            break;
        }
        for (std::int64_t i = 0; i < n; ++i) work.step[i] = work.grad[i + skip];
        cholesky_solve(work.system.data(), n, work.step.data());
        double scale = 1.0, trial_ll = ll, moved = 0.0;
        for (int halving = 0; halving < 40; ++halving) {
            std::copy(params, params + p_count, work.trial.begin());
            moved = 0.0;
            for (std::int64_t i = 0; i < n; ++i) {
                work.trial[i + skip] += scale * work.step[i];
                moved = std::max(moved, std::abs(scale * work.step[i]));
            }
            trial_ll = evaluate(cells, counts, options, work.trial.data(), work.grad.data(), work.neg_hess.data(),
                                nullptr, work.design);
            if (trial_ll >= ll - 1e-12 * std::abs(ll)) break;
            scale *= 0.5;
        }
        std::copy(work.trial.begin(), work.trial.end(), params);
        ll = trial_ll;
        if (!std::isfinite(ll)) {
            status.code = FitCode::diverged;
            break;
        }
        double largest = 0.0;
        for (std::int64_t i = 0; i < m; ++i) largest = std::max(largest, std::abs(params[i]));
        if (options.ridge == 0.0 && largest > options.diverged) {
            status.code = FitCode::diverged;
            break;
        }
        if (moved < options.tol) {
            status.code = FitCode::converged;
            break;
        }
    }
    if (options.ridge == 0.0) {
        double mean = 0.0;
        for (std::int64_t i = 0; i < m; ++i) mean += params[i];
        mean /= static_cast<double>(m);
        for (std::int64_t i = 0; i < m; ++i) params[i] -= mean;
    }
    status.loglik = ll;
    return status;
}

// Without features the half model's likelihood of all cells of one pair of
// models depends only on the pair's total weight W and the total score S of its
// lower-numbered model: W (s eta - log(1 + e^eta)) with s = S / W. So a fit over
// the pairs (at most m (m - 1) / 2, a few times fewer than the cells) is the
// same fit with less work per Newton iteration.
struct PairMap {
    std::vector<std::int32_t> lo, hi;
    std::vector<std::int64_t> pair_of;  // per cell
    std::vector<double> unit;           // per pair: 1.0 (the pairs' battle weight)
};

bool pairs_apply(const Cells& cells, const FitOptions& options) noexcept {
    return options.ties == TieModel::half && cells.n_features == 0;
}

PairMap pair_map(const Cells& cells) {
    PairMap map;
    const auto m = cells.n_models;
    std::vector<std::int64_t> keys(static_cast<std::size_t>(cells.n_cells));
    for (std::int64_t c = 0; c < cells.n_cells; ++c)
        keys[c] = std::min(cells.a[c], cells.b[c]) * m + std::max(cells.a[c], cells.b[c]);
    std::vector<std::int64_t> unique = keys;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    map.pair_of.resize(keys.size());
    for (std::size_t c = 0; c < keys.size(); ++c)
        map.pair_of[c] = std::lower_bound(unique.begin(), unique.end(), keys[c]) - unique.begin();
    for (const std::int64_t key : unique) {
        map.lo.push_back(static_cast<std::int32_t>(key / m));
        map.hi.push_back(static_cast<std::int32_t>(key % m));
    }
    map.unit.assign(unique.size(), 1.0);
    return map;
}

// The pairs' totals from cell counts: total[p] = W, score[p] = S / W (0 where W = 0).
Cells aggregate(const Cells& cells, const PairMap& map, const double* counts, double* total, double* score) {
    const auto n_pairs = static_cast<std::int64_t>(map.lo.size());
    std::fill(total, total + n_pairs, 0.0);
    std::fill(score, score + n_pairs, 0.0);
    for (std::int64_t c = 0; c < cells.n_cells; ++c) {
        const double w = counts[c] * cells.weight[c];
        const std::int64_t pair = map.pair_of[c];
        total[pair] += w;
        score[pair] += w * (cells.a[c] < cells.b[c] ? cells.outcome[c] : 1.0 - cells.outcome[c]);
    }
    for (std::int64_t q = 0; q < n_pairs; ++q) score[q] = total[q] > 0.0 ? score[q] / total[q] : 0.0;
    Cells pairs;
    pairs.n_cells = n_pairs;
    pairs.n_models = cells.n_models;
    pairs.a = map.lo.data();
    pairs.b = map.hi.data();
    pairs.outcome = score;
    pairs.weight = map.unit.data();
    return pairs;
}

// A bootstrap resample of N battles in C cells, Multinomial(N, multiplicity / N),
// drawn exactly in about C fast draws instead of C conditional binomials (each
// of which needs its own setup, since its n and p change along the walk):
// independent X_c ~ Poisson(multiplicity_c) have, given their total T, the
// Multinomial(T, multiplicity / N) distribution of T battles drawn with
// replacement; so removing T - N of those T battles uniformly at random (when
// T > N), or adding N - T more draws (when T < N), leaves exactly
// Multinomial(N, multiplicity / N). |T - N| is about sqrt(N): a few hundred
// adjustments, each a search in a Fenwick tree or a cumulative table.
class MultinomialResampler {
  public:
    explicit MultinomialResampler(const std::int64_t* multiplicity, std::int64_t n_cells)
        : n_cells_(n_cells),
          poisson_(static_cast<std::size_t>(n_cells)),
          cumulative_(static_cast<std::size_t>(n_cells)) {
        std::int64_t running = 0, largest = 0;
        for (std::int64_t c = 0; c < n_cells; ++c) {
            const std::int64_t mc = multiplicity[c];
            running += mc;
            cumulative_[c] = running;
            largest = std::max(largest, mc);
            poisson_[c] = PoissonCell(static_cast<double>(mc));
        }
        total_ = running;
        // log k! by table where the draws land (PTRS evaluates it at k near the mean).
        const std::int64_t size = std::min<std::int64_t>(
            largest + 32 * static_cast<std::int64_t>(std::sqrt(largest)) + 64, std::int64_t{1} << 22);
        log_factorial_.resize(static_cast<std::size_t>(size));
        double acc = 0.0;
        for (std::int64_t k = 0; k < size; ++k) {
            if (k > 1) acc += std::log(static_cast<double>(k));
            log_factorial_[k] = acc;
        }
    }

    // Counts of one resample into x (n_cells entries); tree: n_cells + 1 scratch.
    void draw(ReplicateStream& rng, std::int64_t* x, std::vector<std::int64_t>& tree) const {
        std::int64_t drawn = 0;
        for (std::int64_t c = 0; c < n_cells_; ++c) {
            x[c] = poisson(rng, poisson_[c]);
            drawn += x[c];
        }
        if (drawn < total_) {
            for (std::int64_t extra = total_ - drawn; extra > 0; --extra) {
                const std::uint64_t u = bounded(rng, static_cast<std::uint64_t>(total_));
                const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), static_cast<std::int64_t>(u));
                ++x[it - cumulative_.begin()];
            }
        } else if (drawn > total_) {
            // Fenwick tree over x: the j-th remaining battle's cell in log C steps.
            tree.assign(static_cast<std::size_t>(n_cells_ + 1), 0);
            for (std::int64_t c = 1; c <= n_cells_; ++c) {
                tree[c] += x[c - 1];
                const std::int64_t parent = c + (c & -c);
                if (parent <= n_cells_) tree[parent] += tree[c];
            }
            std::int64_t top = 1;
            while (top * 2 <= n_cells_) top *= 2;
            for (std::int64_t left = drawn; left > total_; --left) {
                auto j = static_cast<std::int64_t>(bounded(rng, static_cast<std::uint64_t>(left)));
                std::int64_t pos = 0;
                for (std::int64_t step = top; step > 0; step /= 2)
                    if (pos + step <= n_cells_ && tree[pos + step] <= j) {
                        pos += step;
                        j -= tree[pos];
                    }
                // pos is the 0-based cell: the first whose prefix sum exceeds j.
                --x[pos];
                for (std::int64_t i = pos + 1; i <= n_cells_; i += i & -i) --tree[i];
            }
        }
    }

  private:
    // Hormann's PTRS (1993, "The transformed rejection method for generating
    // Poisson random variables") for means of 10 and more, its constants set
    // once per cell; inversion of the cdf below 10.
    struct PoissonCell {
        double lam = 0, log_lam = 0, a = 0, b = 0, log_inv_alpha = 0, vr = 0, exp_neg = 0;
        PoissonCell() = default;
        explicit PoissonCell(double mean) : lam(mean), exp_neg(std::exp(-mean)) {
            if (mean < 10.0) return;
            const double slam = std::sqrt(mean);
            log_lam = std::log(mean);
            b = 0.931 + 2.53 * slam;
            a = -0.059 + 0.02483 * b;
            log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
            vr = 0.9277 - 3.6224 / (b - 2.0);
        }
    };

    double log_factorial(std::int64_t k) const noexcept {
        if (k < static_cast<std::int64_t>(log_factorial_.size())) return log_factorial_[k];
        const double x = static_cast<double>(k) + 1.0;  // Stirling's series for log Gamma(x)
        const double inv = 1.0 / x, inv2 = inv * inv;
        return (x - 0.5) * std::log(x) - x + 0.91893853320467274178 +
               inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0)));
    }

    std::int64_t poisson(ReplicateStream& rng, const PoissonCell& cell) const noexcept {
        if (cell.lam < 10.0) {
            double u = uniform53(rng), p = cell.exp_neg;
            std::int64_t k = 0;
            // The cdf's tail beyond k = 60 is below 1e-30 for means under 10.
            while (u > p && k < 200) {
                u -= p;
                ++k;
                p *= cell.lam / static_cast<double>(k);
            }
            return k;
        }
        for (;;) {
            const double u = uniform53(rng) - 0.5;
            const double v = uniform53(rng);
            const double us = 0.5 - std::abs(u);
            const auto k = static_cast<std::int64_t>(std::floor((2.0 * cell.a / us + cell.b) * u + cell.lam + 0.43));
            if (us >= 0.07 && v <= cell.vr) return k;
            if (k < 0 || (us < 0.013 && v > us)) continue;
            if (std::log(v) + cell.log_inv_alpha - std::log(cell.a / (us * us) + cell.b) <=
                -cell.lam + static_cast<double>(k) * cell.log_lam - log_factorial(k))
                return k;
        }
    }

    // A uniform integer in [0, range) (range < 2^32 here), Lemire's multiply-and-reject.
    static std::uint64_t bounded(ReplicateStream& rng, std::uint64_t range) noexcept {
        const auto r = static_cast<std::uint32_t>(range);
        std::uint64_t m = static_cast<std::uint64_t>(rng.next()) * r;
        auto low = static_cast<std::uint32_t>(m);
        if (low < r) {
            const std::uint32_t threshold = static_cast<std::uint32_t>(-r) % r;
            while (low < threshold) {
                m = static_cast<std::uint64_t>(rng.next()) * r;
                low = static_cast<std::uint32_t>(m);
            }
        }
        return m >> 32;
    }

    std::int64_t n_cells_;
    std::int64_t total_ = 0;
    std::vector<PoissonCell> poisson_;
    std::vector<std::int64_t> cumulative_;
    std::vector<double> log_factorial_;
};

}  // namespace

std::int64_t parameter_count(const Cells& cells, TieModel ties) noexcept {
    return cells.n_models + cells.n_features + (ties == TieModel::half ? 0 : 1);
}

FitStatus fit(const Cells& cells, const double* counts, const FitOptions& options, double* params) {
    Workspace work(parameter_count(cells, options.ties), cells.n_cells);
    if (counts == nullptr) {
        for (std::int64_t c = 0; c < cells.n_cells; ++c) work.counts[c] = static_cast<double>(cells.multiplicity[c]);
        counts = work.counts.data();
    }
    if (!pairs_apply(cells, options)) return fit_with(cells, counts, options, params, work);
    const PairMap map = pair_map(cells);
    std::vector<double> total(map.lo.size()), score(map.lo.size());
    const Cells pairs = aggregate(cells, map, counts, total.data(), score.data());
    return fit_with(pairs, total.data(), options, params, work);
}

void information(const Cells& cells, const FitOptions& options, const double* params, double* info, double* meat) {
    const std::int64_t p_count = parameter_count(cells, options.ties);
    std::vector<double> counts(static_cast<std::size_t>(cells.n_cells)), grad(static_cast<std::size_t>(p_count));
    for (std::int64_t c = 0; c < cells.n_cells; ++c) counts[c] = static_cast<double>(cells.multiplicity[c]);
    FitOptions unpenalised = options;
    unpenalised.ridge = 0.0;
    unpenalised.feature_ridge = 0.0;
    Design design;
    evaluate(cells, counts.data(), unpenalised, params, grad.data(), info, meat, design);
    for (std::int64_t i = 0; i < p_count; ++i)
        for (std::int64_t j = 0; j < i; ++j) {
            info[j * p_count + i] = info[i * p_count + j];
            meat[j * p_count + i] = meat[i * p_count + j];
        }
}

void bootstrap(const Cells& cells, const FitOptions& options, const double* start, std::uint64_t seed,
               std::uint64_t first, std::int64_t count, int n_threads, double* out, std::int32_t* codes) {
    const std::int64_t p_count = parameter_count(cells, options.ties);
    const std::int64_t m = cells.n_models;
    // A replicate costs a Poisson draw per cell (some 20 ns) and a few
    // Newton iterations (a pass over the cells and a P^3 / 6 factorisation).
    const double p = static_cast<double>(p_count);
    const double per_replicate = static_cast<double>(cells.n_cells) * 60.0 + 4.0 * p * p * p / 6.0;
    const std::int64_t chunk =
        std::clamp<std::int64_t>(static_cast<std::int64_t>(5e6 / std::max(per_replicate, 1.0)), 1, 256);
    const int threads = per_replicate * static_cast<double>(count) < 2e6 ? 1 : n_threads;
    const bool use_pairs = pairs_apply(cells, options);
    const PairMap map = use_pairs ? pair_map(cells) : PairMap{};
    const auto n_pairs = map.lo.size();
    struct Scratch {
        Workspace work;
        std::vector<double> model_counts, pair_total, pair_score;
        std::vector<std::int64_t> drawn, tree;
    };
    const MultinomialResampler resampler(cells.multiplicity, cells.n_cells);
    parallel_chunks(
        count, chunk, threads,
        [&] {
            return Scratch{Workspace(p_count, cells.n_cells),
                           std::vector<double>(static_cast<std::size_t>(m)),
                           std::vector<double>(n_pairs),
                           std::vector<double>(n_pairs),
                           std::vector<std::int64_t>(static_cast<std::size_t>(cells.n_cells)),
                           std::vector<std::int64_t>(static_cast<std::size_t>(cells.n_cells + 1))};
        },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            double* counts = scratch.work.counts.data();
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                resampler.draw(rng, scratch.drawn.data(), scratch.tree);
                for (std::int64_t c = 0; c < cells.n_cells; ++c) counts[c] = static_cast<double>(scratch.drawn[c]);
                double* params = out + r * p_count;
                std::copy(start, start + p_count, params);
                FitCode code = FitCode::converged;
                if (options.ridge == 0.0) {
                    std::fill(scratch.model_counts.begin(), scratch.model_counts.end(), 0.0);
                    for (std::int64_t c = 0; c < cells.n_cells; ++c) {
                        scratch.model_counts[cells.a[c]] += counts[c];
                        scratch.model_counts[cells.b[c]] += counts[c];
                    }
                    for (std::int64_t i = 0; i < m; ++i)
                        if (scratch.model_counts[i] == 0.0) code = FitCode::singular;
                }
                if (code == FitCode::converged && use_pairs) {
                    const Cells pairs =
                        aggregate(cells, map, counts, scratch.pair_total.data(), scratch.pair_score.data());
                    code = fit_with(pairs, scratch.pair_total.data(), options, params, scratch.work).code;
                } else if (code == FitCode::converged) {
                    code = fit_with(cells, counts, options, params, scratch.work).code;
                }
                codes[r] = static_cast<std::int32_t>(code);
                if (code != FitCode::converged)
                    std::fill(params, params + p_count, std::numeric_limits<double>::quiet_NaN());
            }
        });
}

void online_elo(const std::int32_t* a, const std::int32_t* b, const double* score, std::int64_t n, double k,
                double scale, double base, double* ratings) noexcept {
    for (std::int64_t i = 0; i < n; ++i) {
        const double ra = ratings[a[i]], rb = ratings[b[i]];
        const double ea = 1.0 / (1.0 + std::pow(base, (rb - ra) / scale));
        const double eb = 1.0 / (1.0 + std::pow(base, (ra - rb) / scale));
        ratings[a[i]] += k * (score[i] - ea);
        ratings[b[i]] += k * (1.0 - score[i] - eb);
    }
}

}  // namespace precipice::arena
