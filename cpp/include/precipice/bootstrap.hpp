// Stratified bootstrap: replicate statistics of (runs x tasks) score matrices.
//
// A resample draws, within each task, as many runs as the task has, with
// replacement (and, with task bootstrap, first draws the tasks themselves).
// Replicate r of a computation is a pure function of (seed, r): results do not
// depend on the thread count or on how the replicate range is split.
#pragma once

#include <cstdint>
#include <vector>

#include "precipice/random/bounded.hpp"

namespace precipice::bootstrap {

enum class MetricKind : int {
    mean = 0,                // mean over tasks of per-task means
    median = 1,              // median over tasks of per-task means
    trimmed_mean = 2,        // pooled over runs and tasks, int(param * N) cut from each end
    optimality_gap = 3,      // param - pooled mean of min(x, param)
    profile_runs = 4,        // fraction of pooled scores > tau, for every tau
    profile_task_means = 5,  // fraction of per-task means > tau, for every tau
};

struct Metric {
    MetricKind kind = MetricKind::mean;
    double param = 0.0;
    std::vector<double> taus;  // profiles only

    std::size_t outputs() const { return is_profile() ? taus.size() : 1; }
    bool is_profile() const { return kind == MetricKind::profile_runs || kind == MetricKind::profile_task_means; }
    bool needs_pooled_counts() const { return kind == MetricKind::trimmed_mean || kind == MetricKind::profile_runs; }
    bool needs_task_means() const {
        return kind == MetricKind::mean || kind == MetricKind::median || kind == MetricKind::profile_task_means;
    }
};

// The valid scores of one frame, grouped by task and ranked once over the pool,
// so that any resample is a vector of counts over the sorted pool.
class Strata {
  public:
    // data: C-contiguous (runs, tasks, frames); NaN cells are left out.
    Strata(const double* data, std::int64_t runs, std::int64_t tasks, std::int64_t frames, std::int64_t frame);

    std::uint32_t num_tasks() const { return static_cast<std::uint32_t>(task_plans.size()); }
    std::uint32_t task_size(std::uint32_t t) const { return offset[t + 1] - offset[t]; }
    std::uint32_t num_values() const { return static_cast<std::uint32_t>(values.size()); }
    std::uint32_t max_task_size() const;

    std::vector<std::uint32_t> offset;  // task t holds values[offset[t] .. offset[t+1])
    std::vector<std::uint32_t> row;     // the input run of each value
    std::vector<double> values;
    std::vector<std::uint32_t> rank;  // position of each value in `sorted`
    std::vector<double> sorted;
    std::vector<BoundedPlan> task_plans;  // draws in [0, task size)
    BoundedPlan task_choice_plan;         // draws in [0, num_tasks)
};

// The stream of the task draws of task bootstrap; frame and algorithm streams
// count up from 0 and never reach it.
constexpr std::uint32_t kTaskStream = 0xFFFFFFFFu;

// One resample: slot j holds task `task[j]` and that task's run indices
// value[start[j] .. start[j+1]) (indices into the task's valid values).
struct Resample {
    std::vector<std::uint32_t> task, start, value;

    void draw(const Strata& strata, std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream,
              bool task_bootstrap);
    void identity(const Strata& strata);
    void leave_out_row(const Strata& strata, std::uint32_t row);

  private:
    std::vector<std::uint32_t> group_end;  // slots [previous end, end) share a task size
    const Strata* layout_of_ = nullptr;    // strata whose fixed layout task/start/group_end hold
};

class Evaluator {
  public:
    Evaluator(const Strata& strata, const std::vector<Metric>& metrics);
    // Writes every metric's outputs for the resample, in metric order.
    void operator()(const Resample& resample, double* out);
    // A profile's outputs are fractions k / M: M is the pool size (profile_runs)
    // or the number of slots (profile_task_means). Writes k for every tau of
    // metrics[metric] on the resample and returns M.
    std::uint32_t profile_numerators(const Resample& resample, std::size_t metric, std::uint32_t* out);

  private:
    // One pass over the resample's draws: task means, the pooled counts and
    // their prefix sums, the sums of clipped values.
    void accumulate(const Resample& resample);
    std::uint32_t numerators(std::size_t metric, std::uint32_t* out);
    const double* fractions(std::uint32_t denominator);

    const Strata& strata_;
    const std::vector<Metric>& metrics_;
    bool counts_needed_ = false, means_needed_ = false;
    std::uint32_t n_slots_ = 0, n_pool_ = 0;  // of the last accumulated resample
    // Per profile_runs metric: the distinct sorted positions that its taus split
    // the pool at, increasing, and for each tau the index of its split.
    struct Splits {
        std::vector<std::uint32_t> positions, of_tau;
    };
    std::vector<Splits> tau_splits_;            // per metric (empty but for profile_runs)
    std::vector<std::uint32_t> above_;          // resample values at or past each split
    std::vector<std::vector<double>> clipped_;  // min(values, gamma) per optimality_gap metric
    std::vector<double> value_clipped_;         // (value, the first gap's clipped value) pairs
    std::vector<double> clipped_sums_;
    std::vector<std::int32_t> counts_;  // resample count of each sorted position
    std::vector<double> fractions_;     // k / M for the denominator M last asked for
    std::vector<std::uint32_t> numerators_;
    std::vector<double> task_means_, scratch_;
};

std::size_t total_outputs(const std::vector<Metric>& metrics);

// scipy.stats.trim_mean of a pool given as counts over its sorted values: cut
// `cut` from each end of the n_pool values and average the rest (the median is
// the cut (n_pool - 1) / 2). counts and sorted: (n_sorted,).
double trimmed_mean_of(const std::int32_t* counts, const double* sorted, std::uint32_t n_sorted, std::uint32_t n_pool,
                       std::uint32_t cut);

// out: (frames, outputs, count) for replicates [first, first + count): each
// statistic's replicates are contiguous, as the interval step reads them.
void replicates(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, std::uint64_t seed,
                std::uint64_t first, std::int64_t count, bool task_bootstrap, int n_threads, double* out);

// The bootstrap distribution of a profile as histograms: its outputs are k / M
// with M fixed (see Evaluator::profile_numerators), so how many replicates give
// each k is the whole distribution, in far less memory than the replicates.
// Adds to out: (frames, taus, M + 1) counts over replicates [first, first + count).
// Throws if a resample's M differs from `denominator`.
void profile_histograms(const std::vector<Strata>& frames, const Metric& metric, std::uint32_t denominator,
                        std::uint64_t seed, std::uint64_t first, std::int64_t count, bool task_bootstrap, int n_threads,
                        std::int64_t* out);

// out: (frames, outputs) on the data as given.
void point_estimates(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, double* out);

// out: (runs, frames, outputs): metric with input run i left out of every task.
void jackknife(const std::vector<Strata>& frames, const std::vector<Metric>& metrics, std::uint32_t runs, double* out);

// out: (count, runs, tasks, frames) resampled data, NaN where a slot's task has
// fewer valid runs than `runs`. Uses exactly the draws of `replicates`.
void resample_data(const std::vector<Strata>& frames, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                   bool task_bootstrap, std::uint32_t runs, int n_threads, double* out);

// The input rows behind resample_data: rows (count, runs, tasks, frames), -1
// where a slot has fewer valid runs than `runs`; tasks (count, tasks, frames),
// the task drawn into each slot.
void resample_rows(const std::vector<Strata>& frames, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                   bool task_bootstrap, std::uint32_t runs, int n_threads, std::int64_t* rows, std::int64_t* tasks);

// Probability of improvement P(X > Y) + P(X = Y)/2, averaged over tasks, for
// ordered pairs of algorithms that share their tasks. Algorithm a is resampled
// from stream a, independently of the others.
// out: (count, pairs) for replicates [first, first + count); pairs as (a, b).
void improvement_replicates(const std::vector<Strata>& algorithms,
                            const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, std::uint64_t seed,
                            std::uint64_t first, std::int64_t count, int n_threads, double* out);
// out: (pairs,) on the data as given.
void improvement_point(const std::vector<Strata>& algorithms,
                       const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, double* out);

}  // namespace precipice::bootstrap
