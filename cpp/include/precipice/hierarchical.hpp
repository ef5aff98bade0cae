// Nested (multi-level) bootstrap: benchmark family -> task -> run, question ->
// sample, passage -> question.
//
// A design is a root, L levels of groups and the leaves (the observations), each
// node's children contiguous at the next level. Stage s (0..L) resamples, within
// each node of level s - 1 (the root for s = 0), its children at level s (level L
// being the leaves): as many as it has, with replacement; every drawn child then
// resamples its own children afresh. A stage may be left out (its children are
// all taken once). Replicate r is a pure function of (seed, r): one stream, the
// draws in depth-first order.
#pragma once

#include <cstdint>
#include <vector>

#include "precipice/bootstrap.hpp"
#include "precipice/random/bounded.hpp"

namespace precipice::bootstrap {

// The draws of one parent's children: as many as it has, in [0, n). Holds
// what draw_bounded would work out on every call for so few draws that they
// fit in single words (the threshold of the last, shorter word), since a
// design draws for thousands of small parents per replicate.
struct ChildPlan {
    BoundedPlan plan;
    std::uint32_t tail = 0;            // n mod digits: draws from the last word
    std::uint32_t tail_threshold = 0;  // 2^32 mod n^tail

    explicit ChildPlan(std::uint32_t n);
};

class Hierarchy {
  public:
    // values, weights: (n,) leaves in tree order; weights null means every leaf
    // weighs 1. children[s], s = 0..L: offsets (nodes of level s - 1, plus one)
    // into level s, children[0] = {0, G_0} and children[L] into the leaves.
    // resample: one flag per stage. Throws std::invalid_argument on a malformed
    // design (the Python layer gives the user's messages).
    Hierarchy(const double* values, const double* weights, std::int64_t n,
              std::vector<std::vector<std::int64_t>> children, std::vector<bool> resample);

    std::size_t num_stages() const { return children.size(); }
    std::uint32_t num_units() const { return static_cast<std::uint32_t>(unit_weight.size()); }
    std::uint32_t num_leaves() const { return static_cast<std::uint32_t>(values.size()); }
    bool weighted() const { return !weights.empty(); }

    std::vector<std::vector<std::int64_t>> children;
    std::vector<bool> resample;
    // The stage below which nothing is resampled (the deepest resampled one, 0 if
    // none): a replicate is how often each node of that level (a unit) is drawn,
    // and every leaf counts as often as its unit.
    std::size_t unit_stage = 0;
    std::vector<std::vector<ChildPlan>> plans;  // per stage up to unit_stage: one per parent
    std::vector<std::uint32_t> max_children;    // per stage
    std::vector<double> values, weights;
    std::vector<std::uint32_t> leaf_unit;   // the unit above each leaf
    std::vector<double> unit_weight;        // sum of the unit's leaf weights (its leaf count unweighted)
    std::vector<double> unit_weighted_sum;  // sum of weight x value over the unit's leaves
};

// Replicate statistics from per-unit counts. Metrics: mean (the weighted mean of
// the resampled leaves), optimality_gap (param - that mean of min(x, param)), and,
// unweighted only, median and trimmed_mean (int(param * N) cut from each end,
// scipy.stats.trim_mean) of the resampled leaves' multiset.
class HierarchyEvaluator {
  public:
    HierarchyEvaluator(const Hierarchy& hierarchy, const std::vector<Metric>& metrics);
    // Draws replicate r's unit counts into counts().
    void draw(std::uint64_t seed, std::uint64_t replicate);
    // Every unit once: the data as given.
    void identity();
    // Every unit once but units [first, last), which are left out.
    void leave_out(std::int64_t first, std::int64_t last);
    // Writes one value per metric for the current counts.
    void operator()(double* out);

  private:
    void descend(ReplicateStream& rng, std::size_t stage, std::int64_t parent);
    // Counts one draw of a unit, where counts are kept. In the class body (so
    // inline): a shared library may not inline an out-of-line member that
    // could be interposed, and this runs once per draw.
    void add_unit(std::size_t unit) {
        if (!by_counts_) return;
        if (leaf_units_) {
            ++leaf_counts_[rank_[unit]];
        } else {
            ++counts_[unit];
        }
    }

    const Hierarchy& h_;
    const std::vector<Metric>& metrics_;
    // Each drawn unit's row of sums is added as it is drawn: all that means need.
    // Medians and trimmed means need the multiset: the draws are also counted.
    bool by_counts_ = false;
    std::size_t columns_ = 2;        // weight, weighted sum, then w min(x, gamma) per gap
    std::vector<double> unit_sums_;  // (units, columns)
    std::vector<double> totals_;     // (columns,) of the current replicate
    // Units that are leaves are counted at their place in value order (rank_);
    // other units are counted, then spread over their leaves (sorted_unit_).
    bool leaf_units_ = false;
    std::vector<std::uint32_t> rank_;                // value-order position of each leaf
    std::vector<std::uint32_t> sorted_unit_;         // unit of each leaf in value order
    std::vector<double> sorted_;                     // leaf values in increasing order
    std::vector<std::int32_t> counts_;               // draws of each unit
    std::vector<std::int32_t> leaf_counts_;          // counts_ spread over the sorted leaves
    std::vector<std::vector<std::uint32_t>> draws_;  // per stage: the children drawn for one parent
};

// out: (outputs, count) for replicates [first, first + count): each statistic's
// replicates contiguous.
void hierarchical_replicates(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, std::uint64_t seed,
                             std::uint64_t first, std::int64_t count, int n_threads, double* out);

// out: (outputs,) on the data as given.
void hierarchical_point(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, double* out);

// The cluster jackknife: out (nodes of `level`, outputs), row j the statistics
// with node j of that level left out, and everything under it. `level` must
// not be below the units (at most unit_stage).
void hierarchical_jackknife(const Hierarchy& hierarchy, const std::vector<Metric>& metrics, std::size_t level,
                            int n_threads, double* out);

}  // namespace precipice::bootstrap
