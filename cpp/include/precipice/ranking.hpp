// Rank aggregation over tasks: Borda scores and the Kemeny consensus of
// per-task rankings with ties and missing entries, and the bootstrap over tasks
// that measures how stable the aggregate ranking is.
#pragma once

#include <cstdint>
#include <vector>

namespace precipice::ranking {

// scores: row-major (tasks, methods), larger is better, NaN where a method has
// no score on a task. A task with fewer than two scored methods says nothing
// about their order and is ignored.
class Tasks {
  public:
    Tasks(const double* scores, std::int64_t tasks, std::int64_t methods);

    std::int64_t tasks() const noexcept { return tasks_; }
    std::int64_t methods() const noexcept { return methods_; }

    // Borda scores of tasks weighted by weight[t] (a resample's counts): each
    // method's weighted mean over the tasks that score it of its Borda points
    // (the methods it beats plus half those it ties, over the others scored
    // on the task: in [0, 1]); NaN for a method no weighted task scores.
    // mass: scratch of `methods` values (the weight of the tasks scoring each).
    void borda(const double* weight, double* mass, double* out) const;

    // wins[i * methods + j] = the weighted number of tasks on which i beats j
    // (both scored, i strictly larger). A tie or a missing entry counts for neither.
    void wins(const double* weight, double* out) const;

  private:
    std::int64_t tasks_, methods_;
    std::vector<double> points_;              // (tasks, methods), 0 where absent
    std::vector<unsigned char> present_;      // (tasks, methods)
    std::vector<std::int64_t> beats_offset_;  // per task, into beats_
    std::vector<std::uint16_t> beats_;        // per task, the pairs i * methods + j with i beating j
};

// The largest method count the exact Kemeny search takes (a table of 2^k x k).
inline constexpr int kKemenyExactLimit = 16;

// The Kemeny consensus of a wins matrix: the order (best first) minimizing the
// number of weighted pairwise disagreements, sum over pairs (a before b) of
// wins[b][a], which is the summed Kendall tau distance to the tasks' rankings.
// Exact (dynamic programming over subsets, O(2^k k)) when `exact`, else local
// search from `start`: each method in turn moves to the position that lowers
// the cost most, until no move lowers it. Returns the cost. `order` receives
// the methods, best first. Among orders of equal cost the result is a fixed
// function of the input.
double kemeny(const double* wins, int methods, bool exact, const int* start, int* order);

// The buffers one consensus needs, reused across replicates.
struct Workspace {
    std::vector<double> wins, scores, mass;
    std::vector<int> start;
    explicit Workspace(std::int64_t methods)
        : wins(static_cast<std::size_t>(methods * methods)),
          scores(static_cast<std::size_t>(methods)),
          mass(static_cast<std::size_t>(methods)),
          start(static_cast<std::size_t>(methods)) {}
};

// The Kemeny consensus of the tasks weighted by weight[t] (kemeny() on their
// wins), the local search starting from their Borda order (unscored methods
// last, ties by index). Returns the cost; `order` receives the methods, best first.
double consensus(const Tasks& tasks, const double* weight, bool exact, Workspace& work, int* order);

enum class Aggregate { borda, kemeny };

// out: (reps, methods). Replicate r draws `tasks` tasks with replacement from
// the stream (seed, r) and writes the aggregate's scores: Borda scores (NaN as
// in Tasks::borda), or for Kemeny methods - 1 - position in the consensus
// (larger is better), the local search starting from the replicate's Borda order.
void bootstrap(const Tasks& tasks, Aggregate how, bool exact, std::int64_t reps, std::uint64_t seed, int n_threads,
               double* out);

}  // namespace precipice::ranking
