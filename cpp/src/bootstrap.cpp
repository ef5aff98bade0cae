#include "precipice/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

#include "precipice/parallel.hpp"
#include "precipice/simd.hpp"

namespace precipice::bootstrap {

namespace {

// Replicates per parallel chunk: large enough to amortise scheduling, small
// enough to balance two to a few dozen threads at the default 50,000.
constexpr std::int64_t kChunk = 256;
// Values drawn per chunk at most (a few milliseconds): for large score arrays a
// chunk holds fewer replicates, so that the calling thread, which checks for a
// stop request between chunks, does so often. Chunking never changes a result.
constexpr std::int64_t kChunkValues = std::int64_t{1} << 20;

std::int64_t chunk_for(std::int64_t values_per_replicate) {
    return std::clamp<std::int64_t>(kChunkValues / std::max<std::int64_t>(values_per_replicate, 1), 1, kChunk);
}

std::int64_t total_values(const std::vector<Strata>& strata) {
    std::int64_t values = 0;
    for (const Strata& s : strata) values += s.num_values();
    return values;
}

// A sum in kLanes interleaved partial sums (term p goes to sum p mod kLanes),
// combined pairwise in a fixed order: the loop vectorizes, and the rounding is
// the same whatever the SIMD width. More lanes shorten the chain of dependent
// additions of a long sum.
template <std::size_t kLanes, class Term>
inline double interleaved_sum(std::size_t n, Term term) {
    static_assert(kLanes == 4 || kLanes == 8, "four or eight partial sums");
    double s[kLanes] = {};
    std::size_t p = 0;
    for (; p + kLanes <= n; p += kLanes)
        for (std::size_t l = 0; l < kLanes; ++l) s[l] += term(p + l);
    for (std::size_t l = 0; p + l < n; ++l) s[l] += term(p + l);
    for (std::size_t width = kLanes / 2; width > 0; width /= 2)
        for (std::size_t l = 0; l < width; ++l) s[l] = s[2 * l] + s[2 * l + 1];
    return s[0];
}

template <class Term>
inline double sum4(std::size_t n, Term term) {
    return interleaved_sum<4>(n, term);
}

// numpy's median of n values (the mean of the two middle ones for even n).
// Small n, the common number of tasks, selects by counting ranks: branch-free,
// and with AVX2 several times faster than nth_element there. The ranks are
// integers, so every build (see median_of) returns the same value.
PRECIPICE_ALWAYS_INLINE inline double median_body(const double* v, std::uint32_t n, double* scratch) {
    if (n <= 64) {
        // Rank of v[i]: the values below it, then ties ranked by position, so
        // that the ranks are a permutation. The values below are counted for
        // a block of i at once against each v[j] in turn, which vectorizes
        // over the block; the block runs past n into padding whose counts are
        // never read. Ties are rare, so their term is counted only when the
        // ranks are not all distinct, which shows as a rank sum short of
        // n (n - 1) / 2 (a NaN, below and above nothing, shows the same way).
        constexpr std::uint32_t kBlock = 16;
        double padded[64 + kBlock];
        std::copy(v, v + n, padded);
        std::fill(padded + n, padded + n + kBlock, 0.0);
        std::int64_t rank[64 + kBlock];
        for (std::uint32_t i = 0; i < n; i += kBlock) {
            std::int64_t below[kBlock] = {};
            for (std::uint32_t j = 0; j < n; ++j) {
                const double y = v[j];
                for (std::uint32_t l = 0; l < kBlock; ++l) below[l] += y < padded[i + l];
            }
            std::copy(below, below + kBlock, rank + i);
        }
        std::int64_t rank_sum = 0;
        for (std::uint32_t i = 0; i < n; ++i) rank_sum += rank[i];
        if (rank_sum != std::int64_t{n} * (n - 1) / 2) {
            for (std::uint32_t i = 0; i < n; ++i)
                for (std::uint32_t j = 0; j < i; ++j) rank[i] += v[j] == v[i];
        }
        const std::int64_t lo_rank = (n - 1) / 2, hi_rank = n / 2;
        double lo = 0.0, hi = 0.0;
        for (std::uint32_t i = 0; i < n; ++i) {
            lo = rank[i] == lo_rank ? v[i] : lo;
            hi = rank[i] == hi_rank ? v[i] : hi;
        }
        return lo_rank == hi_rank ? lo : 0.5 * (lo + hi);
    }
    std::copy(v, v + n, scratch);
    double* mid = scratch + n / 2;
    std::nth_element(scratch, mid, scratch + n);
    double med = *mid;
    if (n % 2 == 0) med = 0.5 * (med + *std::max_element(scratch, mid));
    return med;
}

#if defined(PRECIPICE_SIMD_DISPATCH)
PRECIPICE_TARGET_AVX2 double median_avx2(const double* v, std::uint32_t n, double* scratch) {
    return median_body(v, n, scratch);
}
#endif

double median_of(const double* v, std::uint32_t n, double* scratch) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base) return median_avx2(v, n, scratch);
#endif
    return median_body(v, n, scratch);
}

// Walking the sorted positions from one end (Step +1: from the lowest; -1:
// from the highest), the first position at which the counts walked over pass
// `cut`; `before` gets the counts walked over before it. There are n_pool /
// n_sorted counts per position on average, so the walk starts where the cut is
// expected: the counts before that guess are summed at once (a vectorized
// sum), then it steps to the exact spot, a few positions away. Integer work, so
// the answer does not depend on the guess.
template <int Step>
inline std::uint32_t walk_to_cut(const std::int32_t* counts, std::uint32_t n_sorted, std::uint32_t n_pool,
                                 std::uint32_t cut, std::uint32_t& before) {
    auto at = [&](std::uint32_t i) {
        return static_cast<std::uint32_t>(Step > 0 ? counts[i] : counts[n_sorted - 1 - i]);
    };
    std::uint32_t i =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{cut} * n_sorted / n_pool, n_sorted - 1));
    const std::int32_t* walked = Step > 0 ? counts : counts + (n_sorted - i);
    std::uint32_t sum = 0;
    for (std::uint32_t j = 0; j < i; ++j) sum += static_cast<std::uint32_t>(walked[j]);
    while (i > 0 && sum > cut) sum -= at(--i);
    while (sum + at(i) <= cut) sum += at(i++);
    before = sum;
    return Step > 0 ? i : n_sorted - 1 - i;
}

// scipy.stats.trim_mean of the pool: cut int(p * N) from each end of the
// pooled order and average the rest. Walk in from both ends to the sorted
// positions where the kept range starts and ends, then sum between, in eight
// partial sums (two AVX2 vectors; the sum can run to thousands of terms).
PRECIPICE_ALWAYS_INLINE inline double trimmed_mean_body(const std::int32_t* counts, const double* sorted,
                                                        std::uint32_t n_sorted, std::uint32_t n_pool,
                                                        std::uint32_t cut) {
    std::uint32_t below = 0, above = 0;
    const std::uint32_t first = walk_to_cut<1>(counts, n_sorted, n_pool, cut, below);
    const std::uint32_t last = walk_to_cut<-1>(counts, n_sorted, n_pool, cut, above);
    double sum;
    if (first == last) {
        sum = static_cast<double>(n_pool - 2 * cut) * sorted[first];
    } else {
        const std::int32_t* kept_counts = counts + first + 1;
        const double* kept = sorted + first + 1;
        sum = static_cast<double>(below + counts[first] - cut) * sorted[first] +
              static_cast<double>(above + counts[last] - cut) * sorted[last] +
              interleaved_sum<8>(last - first - 1, [&](std::size_t p) { return kept_counts[p] * kept[p]; });
    }
    return sum / static_cast<double>(n_pool - 2 * cut);
}

#if defined(PRECIPICE_SIMD_DISPATCH)
PRECIPICE_TARGET_AVX2 double trimmed_mean_avx2(const std::int32_t* counts, const double* sorted, std::uint32_t n_sorted,
                                               std::uint32_t n_pool, std::uint32_t cut) {
    return trimmed_mean_body(counts, sorted, n_sorted, n_pool, cut);
}
#endif

}  // namespace

double trimmed_mean_of(const std::int32_t* counts, const double* sorted, std::uint32_t n_sorted, std::uint32_t n_pool,
                       std::uint32_t cut) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    if (simd_level() != SimdLevel::base) return trimmed_mean_avx2(counts, sorted, n_sorted, n_pool, cut);
#endif
    return trimmed_mean_body(counts, sorted, n_sorted, n_pool, cut);
}

Strata::Strata(const double* data, std::int64_t runs, std::int64_t tasks, std::int64_t frames, std::int64_t frame) {
    if (runs < 1 || tasks < 1) throw std::invalid_argument("scores must have at least one run and one task");
    if (runs > (std::int64_t{1} << 31) || runs * tasks > (std::int64_t{1} << 31))
        throw std::invalid_argument("scores has too many runs x tasks (at most 2^31 per frame)");
    offset.reserve(static_cast<std::size_t>(tasks) + 1);
    offset.push_back(0);
    for (std::int64_t t = 0; t < tasks; ++t) {
        for (std::int64_t r = 0; r < runs; ++r) {
            const double v = data[(r * tasks + t) * frames + frame];
            if (std::isnan(v)) continue;
            values.push_back(v);
            row.push_back(static_cast<std::uint32_t>(r));
        }
        const auto end = static_cast<std::uint32_t>(values.size());
        if (end == offset.back())
            throw std::invalid_argument("scores: task " + std::to_string(t) + " has no valid runs");
        task_plans.emplace_back(end - offset.back());
        offset.push_back(end);
    }
    task_choice_plan = BoundedPlan(static_cast<std::uint32_t>(tasks));
    std::vector<std::uint32_t> order(values.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [this](std::uint32_t a, std::uint32_t b) { return values[a] < values[b]; });
    rank.resize(values.size());
    sorted.resize(values.size());
    for (std::uint32_t p = 0; p < order.size(); ++p) {
        rank[order[p]] = p;
        sorted[p] = values[order[p]];
    }
}

std::uint32_t Strata::max_task_size() const {
    std::uint32_t m = 0;
    for (std::uint32_t t = 0; t < num_tasks(); ++t) m = std::max(m, task_size(t));
    return m;
}

void Resample::draw(const Strata& strata, std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream,
                    bool task_bootstrap) {
    const std::uint32_t n_tasks = strata.num_tasks();
    if (task_bootstrap || layout_of_ != &strata) {
        task.resize(n_tasks);
        if (task_bootstrap) {
            // The tasks come from a stream of their own, so every frame of a
            // replicate resamples the same tasks (as rliable does).
            ReplicateStream task_rng(seed, replicate, kTaskStream);
            draw_bounded(task_rng, strata.task_choice_plan, n_tasks, task.data());
        } else {
            std::iota(task.begin(), task.end(), 0u);
        }
        start.resize(n_tasks + 1);
        start[0] = 0;
        for (std::uint32_t j = 0; j < n_tasks; ++j) start[j + 1] = start[j] + strata.task_size(task[j]);
        value.resize(start[n_tasks]);
        // Consecutive slots whose tasks have the same number of runs take their
        // draws as one sequence: with equal run counts a whole replicate is one
        // long batch, which keeps the batched generator on its four-word path.
        group_end.clear();
        for (std::uint32_t j = 0; j < n_tasks;) {
            const std::uint32_t n = strata.task_size(task[j]);
            while (++j < n_tasks && strata.task_size(task[j]) == n) {
            }
            group_end.push_back(j);
        }
        // Without task bootstrap the layout is the same in every replicate.
        layout_of_ = task_bootstrap ? nullptr : &strata;
    }
    ReplicateStream rng(seed, replicate, stream);
    std::uint32_t first = 0;
    for (std::uint32_t end : group_end) {
        draw_bounded(rng, strata.task_plans[task[first]], start[end] - start[first], value.data() + start[first]);
        first = end;
    }
}

void Resample::identity(const Strata& strata) {
    layout_of_ = nullptr;
    const std::uint32_t n_tasks = strata.num_tasks();
    task.resize(n_tasks);
    std::iota(task.begin(), task.end(), 0u);
    start.assign(strata.offset.begin(), strata.offset.end());
    value.resize(strata.num_values());
    for (std::uint32_t t = 0; t < n_tasks; ++t) std::iota(value.begin() + start[t], value.begin() + start[t + 1], 0u);
}

void Resample::leave_out_row(const Strata& strata, std::uint32_t row) {
    layout_of_ = nullptr;
    const std::uint32_t n_tasks = strata.num_tasks();
    task.resize(n_tasks);
    std::iota(task.begin(), task.end(), 0u);
    start.assign(1, 0);
    value.clear();
    for (std::uint32_t t = 0; t < n_tasks; ++t) {
        for (std::uint32_t v = strata.offset[t]; v < strata.offset[t + 1]; ++v)
            if (strata.row[v] != row) value.push_back(v - strata.offset[t]);
        if (value.size() == start.back())
            throw std::invalid_argument("jackknife: task " + std::to_string(t) +
                                        " has a single valid run; BCa needs at least two");
        start.push_back(static_cast<std::uint32_t>(value.size()));
    }
}

std::size_t total_outputs(const std::vector<Metric>& metrics) {
    std::size_t n = 0;
    for (const auto& m : metrics) n += m.outputs();
    return n;
}

Evaluator::Evaluator(const Strata& strata, const std::vector<Metric>& metrics) : strata_(strata), metrics_(metrics) {
    for (const auto& m : metrics) {
        counts_needed_ = counts_needed_ || m.needs_pooled_counts();
        means_needed_ = means_needed_ || m.needs_task_means();
        if (m.kind == MetricKind::optimality_gap) {
            std::vector<double> clipped(strata.values);
            for (double& v : clipped) v = std::min(v, m.param);
            clipped_.push_back(std::move(clipped));
        }
        Splits splits;
        if (m.kind == MetricKind::profile_runs) {
            std::vector<std::uint32_t> at;  // each tau's split: the sorted values at or below it
            for (double tau : m.taus) {
                at.push_back(static_cast<std::uint32_t>(
                    std::upper_bound(strata.sorted.begin(), strata.sorted.end(), tau) - strata.sorted.begin()));
            }
            splits.positions = at;
            std::sort(splits.positions.begin(), splits.positions.end());
            splits.positions.erase(std::unique(splits.positions.begin(), splits.positions.end()),
                                   splits.positions.end());
            for (std::uint32_t position : at) {
                splits.of_tau.push_back(static_cast<std::uint32_t>(
                    std::lower_bound(splits.positions.begin(), splits.positions.end(), position) -
                    splits.positions.begin()));
            }
            above_.resize(std::max(above_.size(), splits.positions.size()));
        }
        tau_splits_.push_back(std::move(splits));
        if (m.is_profile()) numerators_.resize(std::max(numerators_.size(), m.taus.size()));
    }
    if (!clipped_.empty()) {
        for (std::uint32_t i = 0; i < strata.num_values(); ++i) {
            value_clipped_.push_back(strata.values[i]);
            value_clipped_.push_back(clipped_[0][i]);
        }
    }
    counts_.resize(strata.num_values());
    clipped_sums_.resize(clipped_.size());
    task_means_.resize(strata.num_tasks());
    scratch_.resize(strata.num_tasks());
}

namespace {

// A running sum of values, or of (value, clipped value) pairs, each lane
// adding its terms in order (so the sums are those of two scalar sums).
struct PairSum {
#if defined(__SSE2__) || defined(_M_X64)
    __m128d sums = _mm_setzero_pd();
    template <bool kPairs>
    void add(const double* v) {
        sums = _mm_add_pd(sums, kPairs ? _mm_loadu_pd(v) : _mm_load_sd(v));
    }
    double value() const { return _mm_cvtsd_f64(sums); }
    double clipped() const { return _mm_cvtsd_f64(_mm_unpackhi_pd(sums, sums)); }
#else
    double sums[2] = {0.0, 0.0};
    template <bool kPairs>
    void add(const double* v) {
        sums[0] += v[0];
        if (kPairs) sums[1] += v[1];
    }
    double value() const { return sums[0]; }
    double clipped() const { return sums[1]; }
#endif
};

// Sums of each slot's drawn values (and of their clipped values), and the
// resample's counts at the values' sorted positions: the one pass over the
// draws that most metrics share. What a metric set does not need is compiled
// out, not tested per draw. With clipped values, `values` holds (value,
// clipped value) pairs, and one 16-byte load and add serve both sums: the pass
// is bound by its loads.
template <bool kMeans, bool kClipped, bool kCounts>
double gather_slots(const Strata& s, const Resample& rs, const double* values, std::int32_t* counts,
                    double* task_means) {
    constexpr bool kSums = kMeans || kClipped;
    constexpr std::uint32_t kStride = kClipped ? 2 : 1;
    const std::uint32_t n_slots = static_cast<std::uint32_t>(rs.task.size());
    double clipped_sum = 0.0;
    for (std::uint32_t j = 0; j < n_slots; ++j) {
        const std::uint32_t base = s.offset[rs.task[j]];
        const std::uint32_t* idx = rs.value.data() + rs.start[j];
        const std::uint32_t n = rs.start[j + 1] - rs.start[j];
        // The task's own arrays, indexed by its draws directly.
        const double* task_values = values + std::size_t{base} * kStride;
        const std::uint32_t* task_rank = s.rank.data() + base;
        // Even draws add to the a sums, odd ones to the b sums; four draws per
        // step halve the loop's overhead without changing that order.
        PairSum sum_a, sum_b;
        auto add_pair = [&](std::uint32_t v0, std::uint32_t v1) {
            if (kSums) {
                sum_a.add<kClipped>(task_values + std::size_t{v0} * kStride);
                sum_b.add<kClipped>(task_values + std::size_t{v1} * kStride);
            }
            if (kCounts) {
                ++counts[task_rank[v0]];
                ++counts[task_rank[v1]];
            }
        };
        // A moving pointer, not idx[k + 1] with a 32-bit k: that costs an
        // address computation per draw.
        const std::uint32_t* draw = idx;
        for (const std::uint32_t* const end = idx + (n & ~3u); draw != end; draw += 4) {
            add_pair(draw[0], draw[1]);
            add_pair(draw[2], draw[3]);
        }
        if (n & 2u) {
            add_pair(draw[0], draw[1]);
            draw += 2;
        }
        if (n & 1u) {
            if (kSums) sum_a.add<kClipped>(task_values + std::size_t{draw[0]} * kStride);
            if (kCounts) ++counts[task_rank[draw[0]]];
        }
        if (kMeans) task_means[j] = (sum_a.value() + sum_b.value()) / n;
        if (kClipped) clipped_sum += sum_a.clipped() + sum_b.clipped();
    }
    return clipped_sum;
}

using Gather = double (*)(const Strata&, const Resample&, const double*, std::int32_t*, double*);

template <bool kMeans, bool kClipped>
Gather gather_for(bool counts) {
    return counts ? gather_slots<kMeans, kClipped, true> : gather_slots<kMeans, kClipped, false>;
}

// The gather pass for what a metric set needs.
Gather gather_for(bool means, bool clipped, bool counts) {
    if (means) return clipped ? gather_for<true, true>(counts) : gather_for<true, false>(counts);
    return clipped ? gather_for<false, true>(counts) : gather_for<false, false>(counts);
}

}  // namespace

void Evaluator::accumulate(const Resample& rs) {
    const Strata& s = strata_;
    const std::uint32_t n_slots = static_cast<std::uint32_t>(rs.task.size());
    n_slots_ = n_slots;
    n_pool_ = rs.start[n_slots];
    if (counts_needed_) std::fill(counts_.begin(), counts_.end(), 0);
    // One pass over the draws serves the task means, the common single
    // optimality gap and the pooled counts; further gaps take passes of their own.
    const bool clipped = !clipped_.empty();
    const double clipped_sum = gather_for(means_needed_, clipped, counts_needed_)(
        s, rs, clipped ? value_clipped_.data() : s.values.data(), counts_.data(), task_means_.data());
    if (clipped) clipped_sums_[0] = clipped_sum;
    for (std::size_t g = 1; g < clipped_.size(); ++g) {
        const double* values = clipped_[g].data();
        double sum = 0.0;
        for (std::uint32_t j = 0; j < n_slots; ++j) {
            const double* task_clipped = values + s.offset[rs.task[j]];
            const std::uint32_t* idx = rs.value.data() + rs.start[j];
            sum += sum4(rs.start[j + 1] - rs.start[j], [&](std::size_t i) { return task_clipped[idx[i]]; });
        }
        clipped_sums_[g] = sum;
    }
}

const double* Evaluator::fractions(std::uint32_t denominator) {
    // k / M from a table, not k * (1 / M): the fractions rliable computes, to
    // the last bit, without a division per tau.
    if (fractions_.size() != denominator + 1u) {
        fractions_.resize(denominator + 1u);
        for (std::uint32_t k = 0; k <= denominator; ++k)
            fractions_[k] = static_cast<double>(k) / static_cast<double>(denominator);
    }
    return fractions_.data();
}

std::uint32_t Evaluator::numerators(std::size_t metric, std::uint32_t* out) {
    const Metric& m = metrics_[metric];
    if (m.kind == MetricKind::profile_runs) {
        // The counts below each split, segment by segment between the distinct
        // splits: sums that vectorize, not one long chain of prefix sums.
        const Splits& splits = tau_splits_[metric];
        const std::int32_t* counts = counts_.data();
        std::uint32_t below = 0, p = 0;
        for (std::size_t k = 0; k < splits.positions.size(); ++k) {
            for (const std::uint32_t end = splits.positions[k]; p < end; ++p)
                below += static_cast<std::uint32_t>(counts[p]);
            above_[k] = n_pool_ - below;
        }
        for (std::uint32_t k : splits.of_tau) *out++ = above_[k];
        return n_pool_;
    }
    std::copy(task_means_.begin(), task_means_.begin() + n_slots_, scratch_.begin());
    std::sort(scratch_.begin(), scratch_.begin() + n_slots_);
    for (double tau : m.taus) {
        const auto at_most = std::upper_bound(scratch_.begin(), scratch_.begin() + n_slots_, tau) - scratch_.begin();
        *out++ = n_slots_ - static_cast<std::uint32_t>(at_most);
    }
    return n_slots_;
}

std::uint32_t Evaluator::profile_numerators(const Resample& rs, std::size_t metric, std::uint32_t* out) {
    accumulate(rs);
    return numerators(metric, out);
}

void Evaluator::operator()(const Resample& rs, double* out) {
    accumulate(rs);
    const std::uint32_t n_slots = n_slots_, n_pool = n_pool_;
    const double* sorted = strata_.sorted.data();
    const std::uint32_t n_sorted = strata_.num_values();
    std::size_t gap_index = 0;
    for (std::size_t metric = 0; metric < metrics_.size(); ++metric) {
        const Metric& m = metrics_[metric];
        switch (m.kind) {
            case MetricKind::mean: {
                *out++ = sum4(n_slots, [&](std::size_t j) { return task_means_[j]; }) / n_slots;
                break;
            }
            case MetricKind::median: {
                *out++ = median_of(task_means_.data(), n_slots, scratch_.data());
                break;
            }
            case MetricKind::trimmed_mean: {
                const auto cut = static_cast<std::uint32_t>(m.param * n_pool);
                *out++ = trimmed_mean_of(counts_.data(), sorted, n_sorted, n_pool, cut);
                break;
            }
            case MetricKind::optimality_gap: {
                *out++ = m.param - clipped_sums_[gap_index++] / n_pool;
                break;
            }
            case MetricKind::profile_runs:
            case MetricKind::profile_task_means: {
                const double* fraction = fractions(numerators(metric, numerators_.data()));
                for (std::size_t t = 0; t < m.taus.size(); ++t) *out++ = fraction[numerators_[t]];
                break;
            }
        }
    }
}

void replicates(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, std::uint64_t seed,
                std::uint64_t first, std::int64_t count, bool task_bootstrap, int n_threads, double* out) {
    const std::size_t n_out = total_outputs(metrics);
    const std::size_t n_frames = frames.size();
    const auto stride = static_cast<std::size_t>(count);
    struct Scratch {
        std::vector<Evaluator> evaluators;
        Resample resample;
        std::vector<double> values;
    };
    auto make_scratch = [&] {
        Scratch s;
        s.evaluators.reserve(n_frames);
        for (const auto& f : frames) s.evaluators.emplace_back(f, metrics);
        s.values.resize(n_out);
        return s;
    };
    parallel_chunks(count, chunk_for(total_values(frames)), n_threads, make_scratch,
                    [&](Scratch& s, std::int64_t begin, std::int64_t end) {
                        for (std::int64_t i = begin; i < end; ++i) {
                            const std::uint64_t r = first + static_cast<std::uint64_t>(i);
                            for (std::size_t f = 0; f < n_frames; ++f) {
                                s.resample.draw(frames[f], seed, r, static_cast<std::uint32_t>(f), task_bootstrap);
                                s.evaluators[f](s.resample, s.values.data());
                                double* column = out + f * n_out * stride + static_cast<std::size_t>(i);
                                for (std::size_t m = 0; m < n_out; ++m) column[m * stride] = s.values[m];
                            }
                        }
                    });
}

void profile_histograms(const std::vector<Strata>& frames, const Metric& metric, std::uint32_t denominator,
                        std::uint64_t seed, std::uint64_t first, std::int64_t count, bool task_bootstrap, int n_threads,
                        std::int64_t* out) {
    if (!metric.is_profile()) throw std::invalid_argument("profile_histograms: not a profile metric");
    const std::vector<Metric> metrics{metric};
    const std::size_t n_taus = metric.taus.size(), bins = std::size_t{denominator} + 1;
    const std::size_t size = frames.size() * n_taus * bins;
    // Each thread counts into its own histograms; integer sums make the total
    // the same whatever the thread count.
    std::mutex partials_mutex;
    std::vector<std::unique_ptr<std::int64_t[]>> partials;
    struct Scratch {
        std::vector<Evaluator> evaluators;
        Resample resample;
        std::vector<std::uint32_t> k;
        std::int64_t* counts;
    };
    auto make_scratch = [&] {
        Scratch s;
        s.evaluators.reserve(frames.size());
        for (const auto& f : frames) s.evaluators.emplace_back(f, metrics);
        s.k.resize(n_taus);
        auto counts = std::make_unique<std::int64_t[]>(size);  // zeroed
        s.counts = counts.get();
        std::lock_guard<std::mutex> lock(partials_mutex);
        partials.push_back(std::move(counts));
        return s;
    };
    parallel_chunks(count, chunk_for(total_values(frames)), n_threads, make_scratch,
                    [&](Scratch& s, std::int64_t begin, std::int64_t end) {
                        for (std::int64_t i = begin; i < end; ++i) {
                            const std::uint64_t r = first + static_cast<std::uint64_t>(i);
                            for (std::size_t f = 0; f < frames.size(); ++f) {
                                s.resample.draw(frames[f], seed, r, static_cast<std::uint32_t>(f), task_bootstrap);
                                if (s.evaluators[f].profile_numerators(s.resample, 0, s.k.data()) != denominator)
                                    throw std::invalid_argument(
                                        "profile_histograms: the profile's denominator varies between resamples");
                                std::int64_t* counts = s.counts + f * n_taus * bins;
                                for (std::size_t t = 0; t < n_taus; ++t) ++counts[t * bins + s.k[t]];
                            }
                        }
                    });
    for (const auto& partial : partials)
        for (std::size_t c = 0; c < size; ++c) out[c] += partial[c];
}

void point_estimates(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, double* out) {
    const std::size_t n_out = total_outputs(metrics);
    Resample rs;
    for (std::size_t f = 0; f < frames.size(); ++f) {
        Evaluator eval(frames[f], metrics);
        rs.identity(frames[f]);
        eval(rs, out + f * n_out);
    }
}

void jackknife(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, std::uint32_t runs, double* out) {
    const std::size_t n_out = total_outputs(metrics);
    const std::size_t n_frames = frames.size();
    Resample rs;
    for (std::size_t f = 0; f < n_frames; ++f) {
        Evaluator eval(frames[f], metrics);
        for (std::uint32_t i = 0; i < runs; ++i) {
            rs.leave_out_row(frames[f], i);
            eval(rs, out + (i * n_frames + f) * n_out);
        }
    }
}

namespace {

// Draws every (replicate, frame) resample of [first, first + count) in
// parallel and hands each to visit(i, f, frame, resample): the one loop behind
// every kernel that exports resamples.
template <class Visit>
void for_each_resample(const std::vector<Strata>& frames, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                       bool task_bootstrap, int n_threads, Visit visit) {
    parallel_chunks(
        count, chunk_for(total_values(frames)), n_threads, [] { return Resample{}; },
        [&](Resample& rs, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                for (std::size_t f = 0; f < frames.size(); ++f) {
                    rs.draw(frames[f], seed, first + static_cast<std::uint64_t>(i), static_cast<std::uint32_t>(f),
                            task_bootstrap);
                    visit(i, f, frames[f], rs);
                }
            }
        });
}

}  // namespace

void resample_data(const std::vector<Strata>& frames, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                   bool task_bootstrap, std::uint32_t runs, int n_threads, double* out) {
    const std::size_t n_frames = frames.size();
    const std::size_t n_tasks = frames.empty() ? 0 : frames[0].num_tasks();
    const std::size_t per_rep = runs * n_tasks * n_frames;
    std::fill(out, out + per_rep * static_cast<std::size_t>(count), std::numeric_limits<double>::quiet_NaN());
    for_each_resample(frames, seed, first, count, task_bootstrap, n_threads,
                      [&](std::int64_t i, std::size_t f, const Strata& strata, const Resample& rs) {
                          double* rep = out + static_cast<std::size_t>(i) * per_rep;
                          for (std::size_t j = 0; j < n_tasks; ++j) {
                              const double* values = strata.values.data() + strata.offset[rs.task[j]];
                              for (std::uint32_t k = rs.start[j]; k < rs.start[j + 1]; ++k)
                                  rep[((k - rs.start[j]) * n_tasks + j) * n_frames + f] = values[rs.value[k]];
                          }
                      });
}

void resample_rows(const std::vector<Strata>& frames, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                   bool task_bootstrap, std::uint32_t runs, int n_threads, std::int64_t* rows, std::int64_t* tasks) {
    const std::size_t n_frames = frames.size();
    const std::size_t n_tasks = frames.empty() ? 0 : frames[0].num_tasks();
    const std::size_t per_rep = runs * n_tasks * n_frames;
    std::fill(rows, rows + per_rep * static_cast<std::size_t>(count), std::int64_t{-1});
    for_each_resample(frames, seed, first, count, task_bootstrap, n_threads,
                      [&](std::int64_t i, std::size_t f, const Strata& strata, const Resample& rs) {
                          std::int64_t* rep = rows + static_cast<std::size_t>(i) * per_rep;
                          for (std::size_t j = 0; j < n_tasks; ++j) {
                              const std::uint32_t* row = strata.row.data() + strata.offset[rs.task[j]];
                              for (std::uint32_t k = rs.start[j]; k < rs.start[j + 1]; ++k)
                                  rep[((k - rs.start[j]) * n_tasks + j) * n_frames + f] = row[rs.value[k]];
                              tasks[(static_cast<std::size_t>(i) * n_tasks + j) * n_frames + f] = rs.task[j];
                          }
                      });
}

namespace {

// For one ordered pair (x, y) and one task: where each x value falls among the
// task's y values. With the y counts of a resample summed in increasing order
// of value (a prefix sum), the y mass below an x value is one lookup.
struct TaskRanks {
    std::vector<std::uint32_t> y_order;  // the task's y value indices, in increasing order of value
    std::vector<std::uint32_t> below;    // per x value of the task: the y values below it
    std::vector<std::uint32_t> at_most;  // ... and at or below it
    bool ties = false;                   // some x value equals some y value (else below == at_most)
};

TaskRanks rank_task(const Strata& x, const Strata& y, std::uint32_t t) {
    TaskRanks r;
    std::vector<double> y_sorted;
    for (std::uint32_t v = y.offset[t]; v < y.offset[t + 1]; ++v) r.y_order.push_back(v);
    std::stable_sort(r.y_order.begin(), r.y_order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return y.values[a] < y.values[b]; });
    for (std::uint32_t v : r.y_order) y_sorted.push_back(y.values[v]);
    for (std::uint32_t v = x.offset[t]; v < x.offset[t + 1]; ++v) {
        const double value = x.values[v];
        const auto lo = std::lower_bound(y_sorted.begin(), y_sorted.end(), value) - y_sorted.begin();
        const auto hi = std::upper_bound(y_sorted.begin(), y_sorted.end(), value) - y_sorted.begin();
        r.below.push_back(static_cast<std::uint32_t>(lo));
        r.at_most.push_back(static_cast<std::uint32_t>(hi));
        r.ties = r.ties || lo != hi;
    }
    return r;
}

// Mann-Whitney U / (n_x n_y) of one task, ties counting one half: 2U = sum
// over the x draws of (the y count below the drawn value + the y count at or
// below it). In integers, so exact. x_draws: the task's x draws (value indices
// within the task); cy: y's resample counts by value index; y_mass: scratch of
// task size + 1.
double improvement_task(const TaskRanks& r, const std::uint32_t* x_draws, std::uint32_t n_draws,
                        const std::uint32_t* cy, double nx, double ny, std::int64_t* y_mass) {
    y_mass[0] = 0;
    for (std::size_t j = 0; j < r.y_order.size(); ++j) y_mass[j + 1] = y_mass[j] + cy[r.y_order[j]];
    const std::uint32_t* below = r.below.data();
    std::int64_t twice_u = 0;
    if (r.ties) {
        const std::uint32_t* at_most = r.at_most.data();
        for (std::uint32_t d = 0; d < n_draws; ++d) twice_u += y_mass[below[x_draws[d]]] + y_mass[at_most[x_draws[d]]];
    } else {
        for (std::uint32_t d = 0; d < n_draws; ++d) twice_u += y_mass[below[x_draws[d]]];
        twice_u *= 2;
    }
    return 0.5 * static_cast<double>(twice_u) / (nx * ny);
}

struct ImprovementPlan {
    std::vector<std::vector<TaskRanks>> tasks;  // [pair][task]
    std::uint32_t max_task_size = 0;

    ImprovementPlan(const std::vector<Strata>& algorithms,
                    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs) {
        if (algorithms.empty()) throw std::invalid_argument("no algorithms to compare");
        const std::uint32_t n_tasks = algorithms[0].num_tasks();
        for (const auto& a : algorithms) {
            if (a.num_tasks() != n_tasks)
                throw std::invalid_argument("all algorithms must have the same number of tasks");
            max_task_size = std::max(max_task_size, a.max_task_size());
        }
        for (const auto& [a, b] : pairs) {
            if (a >= algorithms.size() || b >= algorithms.size())
                throw std::invalid_argument("pair index out of range");
            std::vector<TaskRanks> ranks;
            for (std::uint32_t t = 0; t < n_tasks; ++t) ranks.push_back(rank_task(algorithms[a], algorithms[b], t));
            tasks.push_back(std::move(ranks));
        }
    }

    // x_resample: a's resample (every task once, in order); y_counts: b's
    // resample counts by value index.
    double pair(const std::vector<Strata>& algorithms, std::size_t p, std::uint32_t a, std::uint32_t b,
                const Resample& x_resample, const std::vector<std::uint32_t>& y_counts, std::int64_t* y_mass) const {
        double sum = 0.0;
        const Strata& x = algorithms[a];
        const Strata& y = algorithms[b];
        for (std::uint32_t t = 0; t < tasks[p].size(); ++t) {
            const std::uint32_t first = x_resample.start[t], n_draws = x_resample.start[t + 1] - first;
            sum += improvement_task(tasks[p][t], x_resample.value.data() + first, n_draws, y_counts.data(),
                                    x.task_size(t), y.task_size(t), y_mass);
        }
        return sum / static_cast<double>(tasks[p].size());
    }
};

void counts_of(const Strata& s, const Resample& rs, std::vector<std::uint32_t>& counts) {
    counts.assign(s.num_values(), 0u);
    for (std::uint32_t j = 0; j < rs.task.size(); ++j) {
        std::uint32_t* task_counts = counts.data() + s.offset[rs.task[j]];
        const std::uint32_t* draw = rs.value.data() + rs.start[j];
        for (const std::uint32_t* const end = rs.value.data() + rs.start[j + 1]; draw != end; ++draw)
            ++task_counts[*draw];
    }
}

}  // namespace

void improvement_replicates(const std::vector<Strata>& algorithms,
                            const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, std::uint64_t seed,
                            std::uint64_t first, std::int64_t count, int n_threads, double* out) {
    const ImprovementPlan plan(algorithms, pairs);
    // Only the second algorithm of a pair needs its resample as counts.
    std::vector<bool> counted(algorithms.size(), false);
    for (const auto& pair : pairs) counted[pair.second] = true;
    struct Scratch {
        std::vector<Resample> resamples;
        std::vector<std::vector<std::uint32_t>> counts;
        std::vector<std::int64_t> y_mass;
    };
    // A replicate draws every algorithm's values, then ranks one per pair.
    std::int64_t largest = 0;
    for (const Strata& a : algorithms) largest = std::max<std::int64_t>(largest, a.num_values());
    const std::int64_t per_replicate = total_values(algorithms) + static_cast<std::int64_t>(pairs.size()) * largest;
    parallel_chunks(
        count, chunk_for(per_replicate), n_threads,
        [&] {
            Scratch s;
            s.resamples.resize(algorithms.size());
            s.counts.resize(algorithms.size());
            s.y_mass.resize(plan.max_task_size + 1u);
            return s;
        },
        [&](Scratch& s, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const std::uint64_t r = first + static_cast<std::uint64_t>(i);
                for (std::uint32_t a = 0; a < algorithms.size(); ++a) {
                    s.resamples[a].draw(algorithms[a], seed, r, a, false);
                    if (counted[a]) counts_of(algorithms[a], s.resamples[a], s.counts[a]);
                }
                for (std::size_t p = 0; p < pairs.size(); ++p) {
                    const auto [a, b] = pairs[p];
                    out[i * pairs.size() + p] =
                        plan.pair(algorithms, p, a, b, s.resamples[a], s.counts[b], s.y_mass.data());
                }
            }
        });
}

void improvement_point(const std::vector<Strata>& algorithms,
                       const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, double* out) {
    const ImprovementPlan plan(algorithms, pairs);
    std::vector<Resample> identity(algorithms.size());
    std::vector<std::vector<std::uint32_t>> counts;
    for (std::size_t a = 0; a < algorithms.size(); ++a) {
        identity[a].identity(algorithms[a]);
        counts.emplace_back(algorithms[a].num_values(), 1u);
    }
    std::vector<std::int64_t> y_mass(plan.max_task_size + 1u);
    for (std::size_t p = 0; p < pairs.size(); ++p) {
        const auto [a, b] = pairs[p];
        out[p] = plan.pair(algorithms, p, a, b, identity[a], counts[b], y_mass.data());
    }
}

}  // namespace precipice::bootstrap
