// Item-level evaluation statistics (see precipice/evals.hpp).
#include "precipice/evals.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "precipice/parallel.hpp"

namespace precipice::evals {

namespace {

// Replicates per parallel chunk: a replicate costs from a few binomial draws to
// n index draws, so chunks are small enough to balance either.
constexpr std::int64_t kChunk = 64;
// Index draws are generated this many at a time into per-thread scratch.
constexpr std::uint32_t kBatch = 1024;

// Rough costs of the two ways to draw a replicate, for choosing a thread count.
constexpr double kNsPerBinomial = 100.0, kNsPerIndexDraw = 4.0;

// Work of a few milliseconds runs on one thread: waking a team costs more than
// it saves there, and on a busy machine one descheduled thread holds up the whole
// call. The results never depend on this choice.
int threads_for(double estimated_ns, int n_threads) noexcept { return estimated_ns < 2e6 ? 1 : n_threads; }

// Replicates per chunk: kChunk, or fewer where a replicate is costly, so that a
// chunk stays at a few milliseconds (the calling thread checks for a stop request
// between chunks). Chunking never changes a result.
std::int64_t chunk_for(double per_replicate_ns) noexcept {
    constexpr double kChunkNs = 5e6;
    const double fit = kChunkNs / std::max(per_replicate_ns, 1.0);
    return fit >= static_cast<double>(kChunk) ? kChunk : std::max<std::int64_t>(1, static_cast<std::int64_t>(fit));
}

// log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2], the error of
// Stirling's approximation of log(k!), which BTRD's final test needs.
double stirling_correction(std::int64_t k) noexcept {
    const double kd = static_cast<double>(k);
    if (k < 10) {
        constexpr double kHalfLog2Pi = 0.91893853320467274178;
        return std::lgamma(kd + 1.0) - ((kd + 0.5) * std::log(kd + 1.0) - (kd + 1.0) + kHalfLog2Pi);
    }
    const double r = 1.0 / (kd + 1.0), r2 = r * r;
    return (1.0 / 12.0 - (1.0 / 360.0 - r2 / 1260.0) * r2) * r;
}

// Inversion: walk the pmf from 0, f(x) = f(x - 1) (n - x + 1) p / (x q).
// Used when n p < 10 (p <= 1/2), so q^n > e^-14 never underflows and the walk is short.
std::int64_t binomial_inversion(ReplicateStream& rng, std::int64_t n, double p) noexcept {
    const double q = 1.0 - p, s = p / q, a = (static_cast<double>(n) + 1.0) * s;
    const double f0 = std::pow(q, static_cast<double>(n));
    for (;;) {
        double u = uniform53(rng), f = f0;
        std::int64_t x = 0;
        // Rounding can leave u above the whole (rounded) pmf: start again then.
        while (u > f && x < n) {
            u -= f;
            ++x;
            f *= a / static_cast<double>(x) - s;
        }
        if (u <= f) return x;
    }
}

// BTRD (Hormann 1993): transformed rejection with a decomposition; needs
// p <= 1/2 and n p >= 10. Expected uniforms per draw are below 2.5.
std::int64_t binomial_btrd(ReplicateStream& rng, std::int64_t n, double p) noexcept {
    const double nd = static_cast<double>(n), q = 1.0 - p;
    const double spq = std::sqrt(nd * p * q), npq = nd * p * q;
    const double b = 1.15 + 2.53 * spq;
    const double a = -0.0873 + 0.0248 * b + 0.01 * p;
    const double c = nd * p + 0.5;
    const double alpha = (2.83 + 5.1 / b) * spq;
    const double v_r = 0.92 - 4.2 / b;
    const double u_rv_r = 0.86 * v_r;
    const auto m = static_cast<std::int64_t>(std::floor((nd + 1.0) * p));
    const double r = p / q, nr = (nd + 1.0) * r;
    for (;;) {
        double v = uniform53(rng), u;
        if (v <= u_rv_r) {
            // The central box: accepted without a test.
            u = v / v_r - 0.43;
            const double k = std::floor((2.0 * a / (0.5 - std::fabs(u)) + b) * u + c);
            if (k >= 0.0 && k <= nd) return static_cast<std::int64_t>(k);
            continue;
        }
        if (v >= v_r) {
            u = uniform53(rng) - 0.5;
        } else {
            u = v / v_r - 0.93;
            u = (u < 0.0 ? -0.5 : 0.5) - u;
            v = uniform53(rng) * v_r;
        }
        const double us = 0.5 - std::fabs(u);
        if (us <= 0.0) continue;
        const double kd = std::floor((2.0 * a / us + b) * u + c);
        if (!(kd >= 0.0 && kd <= nd)) continue;
        const auto k = static_cast<std::int64_t>(kd);
        v = v * alpha / (a / (us * us) + b);
        const std::int64_t km = k > m ? k - m : m - k;
        if (km <= 15) {
            // f(k) / f(m) by the pmf's ratio recursion.
            double f = 1.0;
            if (m < k) {
                for (std::int64_t i = m + 1; i <= k; ++i) f *= nr / static_cast<double>(i) - r;
            } else if (m > k) {
                for (std::int64_t i = k + 1; i <= m; ++i) v *= nr / static_cast<double>(i) - r;
            }
            if (v <= f) return k;
            continue;
        }
        // Squeeze on log f(k) / f(m), then the exact test with Stirling terms.
        v = std::log(v);
        const double kmd = static_cast<double>(km);
        const double rho = (kmd / npq) * (((kmd / 3.0 + 0.625) * kmd + 1.0 / 6.0) / npq + 0.5);
        const double t = -kmd * kmd / (2.0 * npq);
        if (v < t - rho) return k;
        if (v > t + rho) continue;
        const double nm = nd - static_cast<double>(m) + 1.0;
        const double h = (static_cast<double>(m) + 0.5) * std::log((static_cast<double>(m) + 1.0) / (r * nm)) +
                         stirling_correction(m) + stirling_correction(n - m);
        const double nk = nd - kd + 1.0;
        if (v <= h + (nd + 1.0) * std::log(nm / nk) + (kd + 0.5) * std::log(nk * r / (kd + 1.0)) -
                     stirling_correction(k) - stirling_correction(n - k))
            return k;
    }
}

}  // namespace

std::int64_t binomial(ReplicateStream& rng, std::int64_t trials, double p) noexcept {
    if (trials <= 0 || p <= 0.0) return 0;
    if (p >= 1.0) return trials;
    // Draw the rarer outcome: both algorithms need p <= 1/2.
    const bool flip = p > 0.5;
    const double pp = flip ? 1.0 - p : p;
    const std::int64_t x = static_cast<double>(trials) * pp < 10.0 ? binomial_inversion(rng, trials, pp)
                                                                    : binomial_btrd(rng, trials, pp);
    return flip ? trials - x : x;
}

void binomial_draws(std::int64_t trials, double p, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                    int n_threads, std::int64_t* out) {
    parallel_chunks(
        count, 4096, threads_for(static_cast<double>(count) * kNsPerBinomial, n_threads), [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                out[r] = binomial(rng, trials, p);
            }
        });
}

namespace {

// Multinomial(draws, multiplicity / total) by conditional binomials: category k
// gets Binomial(left, multiplicity[k] / (multiplicity of categories k..)).
// Calls take(k, x) for every category drawn with x > 0, in order; stops early
// when take returns false.
template <class Take>
void multinomial_walk(ReplicateStream& rng, const std::int64_t* multiplicity, std::int64_t k_count,
                      std::int64_t total, std::int64_t draws, Take take) {
    std::int64_t left = draws, mass = total;
    for (std::int64_t k = 0; k < k_count && left > 0; ++k) {
        const std::int64_t c = multiplicity[k];
        const std::int64_t x = c >= mass ? left : binomial(rng, left, static_cast<double>(c) / static_cast<double>(mass));
        mass -= c;
        left -= x;
        if (x > 0 && !take(k, x)) return;
    }
}

// Calls visit(index) for the `draws` uniform indices of one replicate, batch by batch.
template <class Visit>
void index_walk(ReplicateStream& rng, const BoundedPlan& plan, std::int64_t draws, std::uint32_t* scratch,
                Visit visit) {
    for (std::int64_t done = 0; done < draws;) {
        const auto batch = static_cast<std::uint32_t>(std::min<std::int64_t>(kBatch, draws - done));
        draw_bounded(rng, plan, batch, scratch);
        for (std::uint32_t b = 0; b < batch; ++b) visit(scratch[b]);
        done += batch;
    }
}

// Index-draw sums of rows of a width known at compile time: the sums stay in
// registers (mean: one column; variance: two; binary confusion counts: three or four).
template <int D>
void fixed_width_sums(ReplicateStream& rng, const BoundedPlan& plan, const double* rows, std::int64_t draws,
                      std::uint32_t* scratch, double* sums) {
    double acc[D] = {};
    index_walk(rng, plan, draws, scratch, [&](std::uint32_t i) {
        const double* row = rows + static_cast<std::int64_t>(i) * D;
        for (int j = 0; j < D; ++j) acc[j] += row[j];
    });
    for (int j = 0; j < D; ++j) sums[j] = acc[j];
}

}  // namespace

void resampled_sums(const double* rows, std::int64_t m, std::int64_t d, const std::int64_t* multiplicity,
                    std::int64_t draws, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                    double* out) {
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    };
    std::int64_t total = 0;
    if (multiplicity != nullptr)
        for (std::int64_t k = 0; k < m; ++k) total += multiplicity[k];
    const BoundedPlan plan(static_cast<std::uint32_t>(m));
    const double per_replicate = multiplicity != nullptr
                                     ? static_cast<double>(m - 1) * kNsPerBinomial + static_cast<double>(m * d)
                                     : static_cast<double>(draws) * (kNsPerIndexDraw + static_cast<double>(d));
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                double* sums = out + r * d;
                std::fill(sums, sums + d, 0.0);
                if (multiplicity != nullptr) {
                    multinomial_walk(rng, multiplicity, m, total, draws, [&](std::int64_t k, std::int64_t x) {
                        const double* row = rows + k * d;
                        const double xd = static_cast<double>(x);
                        for (std::int64_t j = 0; j < d; ++j) sums[j] += xd * row[j];
                        return true;
                    });
                } else if (d == 1) {
                    fixed_width_sums<1>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 2) {
                    fixed_width_sums<2>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 3) {
                    fixed_width_sums<3>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 4) {
                    fixed_width_sums<4>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else {
                    index_walk(rng, plan, draws, scratch.draws.data(), [&](std::uint32_t i) {
                        const double* row = rows + static_cast<std::int64_t>(i) * d;
                        for (std::int64_t j = 0; j < d; ++j) sums[j] += row[j];
                    });
                }
            }
        });
}

void resample_indices(std::int64_t m, std::int64_t draws, std::uint64_t seed, std::uint64_t first,
                      std::int64_t count, std::uint32_t stream, int n_threads, std::int64_t* out) {
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    };
    const BoundedPlan plan(static_cast<std::uint32_t>(m));
    const double per_replicate = static_cast<double>(draws) * kNsPerIndexDraw;
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), stream);
                std::int64_t* row = out + r * draws;
                index_walk(rng, plan, draws, scratch.draws.data(), [&](std::uint32_t i) { *row++ = i; });
            }
        });
}

void resampled_order_statistic(const double* values, const std::int64_t* multiplicity, std::int64_t k,
                               std::int64_t lo, std::int64_t hi, std::uint64_t seed, std::uint64_t first,
                               std::int64_t count, int n_threads, double* out) {
    std::int64_t n = 0;
    for (std::int64_t j = 0; j < k; ++j) n += multiplicity[j];
    // Few distinct values: walk conditional binomials up the sorted values and
    // stop at rank hi. Many: draw the n items and count them per value.
    const bool by_binomials = k * 32 <= n;
    std::vector<std::uint32_t> category;
    if (!by_binomials) {
        category.resize(static_cast<std::size_t>(n));
        std::size_t pos = 0;
        for (std::int64_t j = 0; j < k; ++j)
            for (std::int64_t c = 0; c < multiplicity[j]; ++c) category[pos++] = static_cast<std::uint32_t>(j);
    }
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
        std::vector<std::int64_t> counts;
    };
    const BoundedPlan plan(static_cast<std::uint32_t>(by_binomials ? 1 : n));
    const double per_replicate = by_binomials ? static_cast<double>(k) * kNsPerBinomial
                                              : static_cast<double>(n) * kNsPerIndexDraw + static_cast<double>(k);
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] {
            Scratch scratch;
            scratch.counts.resize(static_cast<std::size_t>(k));
            return scratch;
        },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                double lo_value = 0.0, hi_value = 0.0;
                std::int64_t below = 0;  // resampled items at values before the current one
                auto take = [&](std::int64_t j, std::int64_t x) {
                    if (below <= lo && lo < below + x) lo_value = values[j];
                    below += x;
                    if (hi < below) {
                        hi_value = values[j];
                        return false;
                    }
                    return true;
                };
                if (by_binomials) {
                    multinomial_walk(rng, multiplicity, k, n, n, take);
                } else {
                    auto& counts = scratch.counts;
                    std::fill(counts.begin(), counts.end(), 0);
                    index_walk(rng, plan, n, scratch.draws.data(), [&](std::uint32_t i) { ++counts[category[i]]; });
                    for (std::int64_t j = 0; j < k; ++j)
                        if (counts[j] > 0 && !take(j, counts[j])) break;
                }
                out[r] = 0.5 * (lo_value + hi_value);
            }
        });
}

}  // namespace precipice::evals
