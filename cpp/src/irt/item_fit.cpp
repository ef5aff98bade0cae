// S-X2 item fit and the chi-square tail of its p-values (see precipice/irt.hpp).

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
#include "precipice/math.hpp"
#include "precipice/parallel.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

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
          const std::int64_t* scores, const double* group_size, const double* right, double mincell, int n_threads,
          double* statistic, std::int64_t* groups) {
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
