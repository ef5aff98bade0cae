#include "precipice/hierarchical.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "precipice/parallel.hpp"

namespace precipice::bootstrap {

namespace {

// Replicates per parallel chunk, and the work (draws and leaves) per chunk at
// most, so that the calling thread, which polls for a stop between chunks, does
// so often. Chunking never changes a result.
constexpr std::int64_t kChunk = 256;
constexpr std::int64_t kChunkWork = std::int64_t{1} << 20;

constexpr std::int64_t kMaxLeaves = std::numeric_limits<std::int32_t>::max();

bool is_weighted_mean(MetricKind kind) { return kind == MetricKind::mean || kind == MetricKind::optimality_gap; }

// The same draws as draw_bounded(rng, p.plan, p.plan.n, out). In this file's
// anonymous namespace, so that it inlines into the descent (a function a shared
// library exports could be interposed, and is not inlined).
inline void draw_children(ReplicateStream& rng, const ChildPlan& p, std::uint32_t* out) noexcept {
    const std::uint32_t n = p.plan.n, k = p.plan.digits;
    // draw_bounded takes full groups of four words only from 4 k draws on.
    if (n == 1 || n >= 4 * k) return draw_bounded(rng, p.plan, n, out);
    std::uint32_t done = 0;
    for (; done + k <= n; done += k) detail::chunk_digits(rng, n, k, p.plan.threshold, out + done);
    if (p.tail != 0) detail::chunk_digits(rng, n, p.tail, p.tail_threshold, out + done);
}

}  // namespace

ChildPlan::ChildPlan(std::uint32_t n) : plan(n) {
    tail = n % plan.digits;
    std::uint64_t range = 1;
    for (std::uint32_t i = 0; i < tail; ++i) range *= n;
    tail_threshold = BoundedPlan::threshold_for(range);
}

Hierarchy::Hierarchy(const double* data, const double* leaf_weights, std::int64_t n,
                     std::vector<std::vector<std::int64_t>> offsets, std::vector<bool> flags)
    : children(std::move(offsets)), resample(std::move(flags)) {
    if (n < 1) throw std::invalid_argument("values: no leaves");
    if (n > kMaxLeaves) throw std::invalid_argument("values: more than 2^31 - 1 leaves");
    if (children.empty()) throw std::invalid_argument("children: at least the leaf stage is required");
    if (resample.size() != children.size()) throw std::invalid_argument("resample: one flag per stage");
    // Each stage's offsets must partition the next level among the nodes of
    // this one: start at 0, never decrease, give every node a child, end where
    // the next stage's parents (or the leaves) end.
    std::int64_t parents = 1;
    for (std::size_t s = 0; s < children.size(); ++s) {
        const auto& off = children[s];
        if (static_cast<std::int64_t>(off.size()) != parents + 1 || off.front() != 0)
            throw std::invalid_argument("children[" + std::to_string(s) + "]: expected " + std::to_string(parents + 1) +
                                        " offsets starting at 0");
        std::int64_t widest = 0;
        for (std::int64_t p = 0; p < parents; ++p) {
            const std::int64_t c = off[static_cast<std::size_t>(p) + 1] - off[static_cast<std::size_t>(p)];
            if (c < 1) throw std::invalid_argument("children[" + std::to_string(s) + "]: a node without children");
            widest = std::max(widest, c);
        }
        max_children.push_back(static_cast<std::uint32_t>(widest));
        parents = off.back();
        if (parents > n) throw std::invalid_argument("children: more nodes than leaves");
    }
    if (parents != n) throw std::invalid_argument("children: the last stage must end at the number of leaves");

    values.assign(data, data + n);
    if (leaf_weights != nullptr) weights.assign(leaf_weights, leaf_weights + n);
    for (std::size_t s = 0; s < resample.size(); ++s)
        if (resample[s]) unit_stage = s;
    for (std::size_t s = 0; s <= unit_stage; ++s) {
        const auto& off = children[s];
        std::vector<ChildPlan> stage_plans;
        stage_plans.reserve(off.size() - 1);
        for (std::size_t p = 0; p + 1 < off.size(); ++p)
            stage_plans.emplace_back(static_cast<std::uint32_t>(off[p + 1] - off[p]));
        plans.push_back(std::move(stage_plans));
    }

    // The leaves under each unit: follow the offsets from the unit level down.
    const auto n_units = static_cast<std::size_t>(children[unit_stage].back());
    std::vector<std::int64_t> first(n_units + 1);
    std::iota(first.begin(), first.end(), std::int64_t{0});
    for (std::size_t s = unit_stage + 1; s < children.size(); ++s)
        for (auto& f : first) f = children[s][static_cast<std::size_t>(f)];
    leaf_unit.resize(static_cast<std::size_t>(n));
    unit_weight.assign(n_units, 0.0);
    unit_weighted_sum.assign(n_units, 0.0);
    for (std::size_t u = 0; u < n_units; ++u) {
        for (auto i = static_cast<std::size_t>(first[u]); i < static_cast<std::size_t>(first[u + 1]); ++i) {
            const double w = weighted() ? weights[i] : 1.0;
            leaf_unit[i] = static_cast<std::uint32_t>(u);
            unit_weight[u] += w;
            unit_weighted_sum[u] += w * values[i];
        }
    }
}

HierarchyEvaluator::HierarchyEvaluator(const Hierarchy& hierarchy, const std::vector<Metric>& metrics)
    : h_(hierarchy), metrics_(metrics) {
    std::vector<double> gammas;
    for (const auto& m : metrics) {
        if (m.is_profile()) throw std::invalid_argument("metrics: profiles are not hierarchical statistics");
        if (!is_weighted_mean(m.kind)) {
            if (h_.weighted()) throw std::invalid_argument("metrics: median and trimmed means take no weights");
            by_counts_ = true;
        }
        if (m.kind == MetricKind::optimality_gap) gammas.push_back(m.param);
    }
    const std::uint32_t n_units = h_.num_units();
    columns_ = 2 + gammas.size();
    unit_sums_.assign(std::size_t{n_units} * columns_, 0.0);
    for (std::uint32_t u = 0; u < n_units; ++u) {
        unit_sums_[u * columns_] = h_.unit_weight[u];
        unit_sums_[u * columns_ + 1] = h_.unit_weighted_sum[u];
    }
    for (std::uint32_t i = 0; i < h_.num_leaves(); ++i) {
        const double w = h_.weighted() ? h_.weights[i] : 1.0;
        for (std::size_t g = 0; g < gammas.size(); ++g)
            unit_sums_[h_.leaf_unit[i] * columns_ + 2 + g] += w * std::min(h_.values[i], gammas[g]);
    }
    totals_.resize(columns_);
    if (by_counts_) {
        std::vector<std::uint32_t> order(h_.num_leaves());
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(),
                         [this](std::uint32_t a, std::uint32_t b) { return h_.values[a] < h_.values[b]; });
        sorted_.resize(order.size());
        leaf_counts_.resize(order.size());
        leaf_units_ = h_.unit_stage + 1 == h_.num_stages();
        if (leaf_units_) {
            rank_.resize(order.size());
            for (std::uint32_t p = 0; p < order.size(); ++p) rank_[order[p]] = p;
        } else {
            sorted_unit_.resize(order.size());
            counts_.resize(n_units);
        }
        for (std::size_t p = 0; p < order.size(); ++p) {
            sorted_[p] = h_.values[order[p]];
            if (!leaf_units_) sorted_unit_[p] = h_.leaf_unit[order[p]];
        }
    }
    for (std::size_t s = 0; s <= h_.unit_stage; ++s) draws_.emplace_back(h_.max_children[s]);
}

void HierarchyEvaluator::descend(ReplicateStream& rng, std::size_t stage, std::int64_t parent) {
    const auto p = static_cast<std::size_t>(parent);
    const std::int64_t first = h_.children[stage][p];
    const auto n = static_cast<std::uint32_t>(h_.children[stage][p + 1] - first);
    std::uint32_t* drawn = draws_[stage].data();
    if (h_.resample[stage]) {
        draw_children(rng, h_.plans[stage][p], drawn);
    } else {
        std::iota(drawn, drawn + n, 0u);
    }
    if (stage != h_.unit_stage) {
        // Deeper stages reuse their own buffers, so this stage's draws stay intact.
        for (std::uint32_t i = 0; i < n; ++i) descend(rng, stage + 1, first + drawn[i]);
        return;
    }
    // The weight and weighted sum in registers: through memory, each addition
    // would wait for the store of the one before.
    double weight = totals_[0], weighted_sum = totals_[1];
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto unit = static_cast<std::size_t>(first + drawn[i]);
        const double* row = unit_sums_.data() + unit * columns_;
        weight += row[0];
        weighted_sum += row[1];
        for (std::size_t c = 2; c < columns_; ++c) totals_[c] += row[c];
        add_unit(unit);
    }
    totals_[0] = weight;
    totals_[1] = weighted_sum;
}

void HierarchyEvaluator::draw(std::uint64_t seed, std::uint64_t replicate) {
    std::fill(counts_.begin(), counts_.end(), 0);
    std::fill(leaf_counts_.begin(), leaf_counts_.end(), 0);
    std::fill(totals_.begin(), totals_.end(), 0.0);
    ReplicateStream rng(seed, replicate, 0);
    descend(rng, 0, 0);
}

void HierarchyEvaluator::identity() { leave_out(0, 0); }

void HierarchyEvaluator::leave_out(std::int64_t first, std::int64_t last) {
    std::fill(counts_.begin(), counts_.end(), 0);
    std::fill(leaf_counts_.begin(), leaf_counts_.end(), 0);
    std::fill(totals_.begin(), totals_.end(), 0.0);
    for (std::size_t u = 0; u < h_.num_units(); ++u) {
        if (static_cast<std::int64_t>(u) >= first && static_cast<std::int64_t>(u) < last) continue;
        for (std::size_t c = 0; c < columns_; ++c) totals_[c] += unit_sums_[u * columns_ + c];
        add_unit(u);
    }
}

void HierarchyEvaluator::operator()(double* out) {
    // Unweighted (as medians and trimmed means are), the weight is the number of
    // leaves drawn, an integer held exactly.
    const double pool = by_counts_ ? totals_[0] : 0.0;
    if (pool > static_cast<double>(kMaxLeaves))
        throw std::invalid_argument("a replicate drew more than 2^31 - 1 leaves");
    if (by_counts_ && !leaf_units_)
        for (std::size_t p = 0; p < sorted_.size(); ++p) leaf_counts_[p] = counts_[sorted_unit_[p]];
    const auto n_pool = static_cast<std::uint32_t>(pool);
    const double weight = totals_[0];
    std::size_t gap = 0;
    for (const auto& m : metrics_) {
        switch (m.kind) {
            case MetricKind::mean:
                *out++ = totals_[1] / weight;
                break;
            case MetricKind::optimality_gap:
                *out++ = m.param - totals_[2 + gap++] / weight;
                break;
            case MetricKind::median:
                // The median is the mean of what is left after cutting (N - 1) / 2 from each end.
                *out++ =
                    trimmed_mean_of(leaf_counts_.data(), sorted_.data(), h_.num_leaves(), n_pool, (n_pool - 1) / 2);
                break;
            case MetricKind::trimmed_mean: {
                const auto cut = static_cast<std::uint32_t>(m.param * n_pool);
                *out++ = trimmed_mean_of(leaf_counts_.data(), sorted_.data(), h_.num_leaves(), n_pool, cut);
                break;
            }
            default:
                throw std::invalid_argument("metrics: not a hierarchical statistic");
        }
    }
}

void hierarchical_replicates(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, std::uint64_t seed,
                             std::uint64_t first, std::int64_t count, int n_threads, double* out) {
    const auto stride = static_cast<std::size_t>(count);
    const std::size_t n_out = metrics.size();
    struct Scratch {
        HierarchyEvaluator evaluator;
        std::vector<double> values;
    };
    auto make_scratch = [&] { return Scratch{HierarchyEvaluator(hierarchy, metrics), std::vector<double>(n_out)}; };
    // About as many draws as units, and one pass over the leaves per replicate.
    const std::int64_t work = static_cast<std::int64_t>(hierarchy.num_units()) + hierarchy.num_leaves();
    const std::int64_t chunk = std::clamp<std::int64_t>(kChunkWork / work, 1, kChunk);
    parallel_chunks(count, chunk, n_threads, make_scratch, [&](Scratch& s, std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            s.evaluator.draw(seed, first + static_cast<std::uint64_t>(i));
            s.evaluator(s.values.data());
            for (std::size_t m = 0; m < n_out; ++m) out[m * stride + static_cast<std::size_t>(i)] = s.values[m];
        }
    });
}

void hierarchical_point(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, double* out) {
    HierarchyEvaluator evaluator(hierarchy, metrics);
    evaluator.identity();
    evaluator(out);
}

void hierarchical_jackknife(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, std::size_t level,
                            int n_threads, double* out) {
    if (level > hierarchy.unit_stage) throw std::invalid_argument("jackknife: level below the units");
    const std::size_t n_out = metrics.size();
    const auto nodes = static_cast<std::int64_t>(hierarchy.children[level].back());
    // The units under node j of `level`: [unit_of[j], unit_of[j + 1]).
    std::vector<std::int64_t> unit_of(static_cast<std::size_t>(nodes) + 1);
    std::iota(unit_of.begin(), unit_of.end(), std::int64_t{0});
    for (std::size_t s = level + 1; s <= hierarchy.unit_stage; ++s)
        for (auto& u : unit_of) u = hierarchy.children[s][static_cast<std::size_t>(u)];
    const std::int64_t work = static_cast<std::int64_t>(hierarchy.num_units()) + hierarchy.num_leaves();
    const std::int64_t chunk = std::clamp<std::int64_t>(kChunkWork / work, 1, kChunk);
    auto make_scratch = [&] { return HierarchyEvaluator(hierarchy, metrics); };
    parallel_chunks(nodes, chunk, n_threads, make_scratch,
                    [&](HierarchyEvaluator& evaluator, std::int64_t begin, std::int64_t end) {
                        for (std::int64_t j = begin; j < end; ++j) {
                            const auto at = static_cast<std::size_t>(j);
                            evaluator.leave_out(unit_of[at], unit_of[at + 1]);
                            evaluator(out + at * n_out);
                        }
                    });
}

}  // namespace precipice::bootstrap
