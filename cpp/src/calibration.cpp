// Calibration metrics (see precipice/calibration.hpp).
#include "precipice/calibration.hpp"

#include <algorithm>
#include <vector>

#include "precipice/parallel.hpp"
#include "precipice/random/bounded.hpp"

namespace precipice::calibration {

namespace {

// The batch of index draws per call of draw_bounded: the same as evals' index
// walk, which is what makes the draws those of evals::resample_indices.
constexpr std::uint32_t kBatch = 1024;
// Rough cost of one index draw and its scattered additions, for the thread count.
constexpr double kNsPerDraw = 4.0;
// Work under a few milliseconds stays on one thread (waking a team costs more);
// chunks of about 5 ms let the caller's thread poll for a stop request. Neither
// choice changes a result.
constexpr double kSerialNs = 2e6, kChunkNs = 5e6;

// Group sums of one replicate with v known at compile time (V > 0), or at run
// time (V == 0): the inner loop over values then has a fixed trip count.
template <int V>
void replicate_sums(ReplicateStream& rng, const BoundedPlan& plan, const std::int64_t* group, const double* values,
                    std::int64_t n, std::int64_t k, std::int64_t v_run, std::uint32_t* draws, double* sums) {
    const std::int64_t v = V > 0 ? V : v_run;
    double* counts = sums;
    double* totals = sums + k;
    std::fill(sums, sums + k * (1 + v), 0.0);
    for (std::int64_t done = 0; done < n;) {
        const auto batch = static_cast<std::uint32_t>(std::min<std::int64_t>(kBatch, n - done));
        draw_bounded(rng, plan, batch, draws);
        for (std::uint32_t b = 0; b < batch; ++b) {
            const std::int64_t i = draws[b];
            const std::int64_t g = group[i];
            counts[g] += 1.0;
            const double* row = values + i * v;
            double* out = totals + g * v;
            for (std::int64_t j = 0; j < v; ++j) out[j] += row[j];
        }
        done += batch;
    }
}

}  // namespace

void resampled_group_sums(const std::int64_t* group, const double* values, std::int64_t n, std::int64_t k,
                          std::int64_t v, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                          double* out) {
    const std::int64_t width = k * (1 + v);
    const BoundedPlan plan(static_cast<std::uint32_t>(n));
    const double per_replicate = static_cast<double>(n) * kNsPerDraw;
    const double chunk_fit = kChunkNs / std::max(per_replicate, 1.0);
    const std::int64_t chunk = chunk_fit >= 64.0 ? 64 : std::max<std::int64_t>(1, static_cast<std::int64_t>(chunk_fit));
    const int threads = per_replicate * static_cast<double>(count) < kSerialNs ? 1 : n_threads;
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    };
    parallel_chunks(
        count, chunk, threads, [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                double* sums = out + r * width;
                if (v == 1)
                    replicate_sums<1>(rng, plan, group, values, n, k, v, scratch.draws.data(), sums);
                else if (v == 2)
                    replicate_sums<2>(rng, plan, group, values, n, k, v, scratch.draws.data(), sums);
                else
                    replicate_sums<0>(rng, plan, group, values, n, k, v, scratch.draws.data(), sums);
            }
        });
}

}  // namespace precipice::calibration
