// Rank aggregation over tasks; see ranking.hpp.
#include "precipice/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "precipice/parallel.hpp"
#include "precipice/random/bounded.hpp"
#include "precipice/random/stream.hpp"

namespace precipice::ranking {

Tasks::Tasks(const double* scores, std::int64_t tasks, std::int64_t methods)
    : tasks_(tasks),
      methods_(methods),
      points_(static_cast<std::size_t>(tasks * methods), 0.0),
      present_(static_cast<std::size_t>(tasks * methods), 0),
      beats_offset_(static_cast<std::size_t>(tasks + 1), 0) {
    if (methods < 2 || methods > 65535 / methods) throw std::invalid_argument("methods: need 2 to 255");
    for (std::int64_t t = 0; t < tasks; ++t) {
        const double* row = scores + t * methods;
        std::int64_t scored = 0;
        for (std::int64_t i = 0; i < methods; ++i) scored += std::isnan(row[i]) ? 0 : 1;
        beats_offset_[t + 1] = beats_offset_[t];
        if (scored < 2) continue;
        for (std::int64_t i = 0; i < methods; ++i) {
            if (std::isnan(row[i])) continue;
            double beaten = 0.0, tied = 0.0;
            for (std::int64_t j = 0; j < methods; ++j) {
                if (j == i || std::isnan(row[j])) continue;
                if (row[i] > row[j]) {
                    beaten += 1.0;
                    beats_.push_back(static_cast<std::uint16_t>(i * methods + j));
                } else if (row[i] == row[j]) {
                    tied += 1.0;
                }
            }
            points_[t * methods + i] = (beaten + 0.5 * tied) / static_cast<double>(scored - 1);
            present_[t * methods + i] = 1;
        }
        beats_offset_[t + 1] = static_cast<std::int64_t>(beats_.size());
    }
}

void Tasks::borda(const double* weight, double* mass, double* out) const {
    std::fill(mass, mass + methods_, 0.0);
    std::fill(out, out + methods_, 0.0);
    for (std::int64_t t = 0; t < tasks_; ++t) {
        if (weight[t] == 0.0) continue;
        for (std::int64_t i = 0; i < methods_; ++i) {
            out[i] += weight[t] * points_[t * methods_ + i];
            mass[i] += present_[t * methods_ + i] ? weight[t] : 0.0;
        }
    }
    for (std::int64_t i = 0; i < methods_; ++i)
        out[i] = mass[i] > 0.0 ? out[i] / mass[i] : std::numeric_limits<double>::quiet_NaN();
}

void Tasks::wins(const double* weight, double* out) const {
    std::fill(out, out + methods_ * methods_, 0.0);
    for (std::int64_t t = 0; t < tasks_; ++t) {
        if (weight[t] == 0.0) continue;
        for (std::int64_t p = beats_offset_[t]; p < beats_offset_[t + 1]; ++p) out[beats_[p]] += weight[t];
    }
}

namespace {

double exact_kemeny(const double* wins, int k, int* order) {
    const std::size_t subsets = std::size_t{1} << k;
    // best[S]: the least cost of ordering the set S as the first |S| places;
    // last[S]: the method that best puts last among them; after[S * k + i]:
    // the cost of placing i right after all of S, the sum over j in S of wins[i][j].
    std::vector<double> best(subsets), after(subsets * static_cast<std::size_t>(k), 0.0);
    std::vector<unsigned char> last(subsets, 0);
    best[0] = 0.0;
    for (std::size_t set = 1; set < subsets; ++set) {
        const int low = __builtin_ctzll(set);
        const std::size_t rest = set & (set - 1);
        for (int i = 0; i < k; ++i) after[set * k + i] = after[rest * k + i] + wins[i * k + low];
        double least = std::numeric_limits<double>::infinity();
        for (int i = 0; i < k; ++i) {
            if (!((set >> i) & 1u)) continue;
            const std::size_t before = set ^ (std::size_t{1} << i);
            const double cost = best[before] + after[before * k + i];
            if (cost < least) {
                least = cost;
                last[set] = static_cast<unsigned char>(i);
            }
        }
        best[set] = least;
    }
    std::size_t set = subsets - 1;
    for (int position = k - 1; position >= 0; --position) {
        order[position] = last[set];
        set ^= std::size_t{1} << last[set];
    }
    return best[subsets - 1];
}

double order_cost(const double* wins, int k, const int* order) {
    double cost = 0.0;
    for (int a = 0; a < k; ++a)
        for (int b = a + 1; b < k; ++b) cost += wins[order[b] * k + order[a]];
    return cost;
}

double local_kemeny(const double* wins, int k, const int* start, int* order) {
    std::copy(start, start + k, order);
    // Each pass moves every method to its best position; a move is taken only
    // when it lowers the cost, so the search ends (the costs are sums of
    // nonnegative weights, finitely many orders).
    for (bool moved = true; moved;) {
        moved = false;
        for (int from = 0; from < k; ++from) {
            const int x = order[from];
            double delta = 0.0, best_delta = 0.0;
            int best_to = from;
            for (int to = from + 1; to < k; ++to) {  // x passes order[to]
                delta += wins[x * k + order[to]] - wins[order[to] * k + x];
                if (delta < best_delta) {
                    best_delta = delta;
                    best_to = to;
                }
            }
            delta = 0.0;
            for (int to = from - 1; to >= 0; --to) {
                delta += wins[order[to] * k + x] - wins[x * k + order[to]];
                if (delta < best_delta) {
                    best_delta = delta;
                    best_to = to;
                }
            }
            if (best_to == from) continue;
            if (best_to > from)
                std::rotate(order + from, order + from + 1, order + best_to + 1);
            else
                std::rotate(order + best_to, order + from, order + from + 1);
            moved = true;
        }
    }
    return order_cost(wins, k, order);
}

// The methods by decreasing Borda score (NaN last), ties by index.
void borda_order(const double* scores, int k, int* order) {
    std::iota(order, order + k, 0);
    std::stable_sort(order, order + k, [scores](int a, int b) {
        const double sa = std::isnan(scores[a]) ? -std::numeric_limits<double>::infinity() : scores[a];
        const double sb = std::isnan(scores[b]) ? -std::numeric_limits<double>::infinity() : scores[b];
        return sa > sb;
    });
}

}  // namespace

double kemeny(const double* wins, int methods, bool exact, const int* start, int* order) {
    if (exact) {
        if (methods > kKemenyExactLimit) throw std::invalid_argument("methods: too many for the exact Kemeny search");
        return exact_kemeny(wins, methods, order);
    }
    return local_kemeny(wins, methods, start, order);
}

double consensus(const Tasks& tasks, const double* weight, bool exact, Workspace& work, int* order) {
    const int k = static_cast<int>(tasks.methods());
    tasks.borda(weight, work.mass.data(), work.scores.data());
    tasks.wins(weight, work.wins.data());
    borda_order(work.scores.data(), k, work.start.data());
    return kemeny(work.wins.data(), k, exact, work.start.data(), order);
}

void bootstrap(const Tasks& tasks, Aggregate how, bool exact, std::int64_t reps, std::uint64_t seed, int n_threads,
               double* out) {
    const std::int64_t n = tasks.tasks();
    const int k = static_cast<int>(tasks.methods());
    if (n < 1 || n > 0xFFFFFFFFll) throw std::invalid_argument("tasks: need 1 to 2^32 - 1");
    if (how == Aggregate::kemeny && exact && k > kKemenyExactLimit)
        throw std::invalid_argument("methods: too many for the exact Kemeny search");
    const BoundedPlan plan(static_cast<std::uint32_t>(n));
    struct Scratch {
        std::vector<std::uint32_t> draws;
        std::vector<double> weight;
        std::vector<int> order;
        Workspace work;
    };
    auto make_scratch = [&] {
        return Scratch{std::vector<std::uint32_t>(static_cast<std::size_t>(n)),
                       std::vector<double>(static_cast<std::size_t>(n)), std::vector<int>(static_cast<std::size_t>(k)),
                       Workspace(k)};
    };
    // About a million operations per chunk keeps the interrupt polls frequent.
    const double work = static_cast<double>(n) * k * k + (exact ? std::ldexp(1.0, k) * k : 0.0);
    const std::int64_t chunk = std::max<std::int64_t>(1, static_cast<std::int64_t>(1e6 / work));
    parallel_chunks(reps, chunk, n_threads, make_scratch, [&](Scratch& s, std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
            ReplicateStream rng(seed, static_cast<std::uint64_t>(r), 0);
            draw_bounded(rng, plan, static_cast<std::uint32_t>(n), s.draws.data());
            std::fill(s.weight.begin(), s.weight.end(), 0.0);
            for (std::int64_t t = 0; t < n; ++t) s.weight[s.draws[t]] += 1.0;
            double* row = out + r * k;
            if (how == Aggregate::borda) {
                tasks.borda(s.weight.data(), s.work.mass.data(), row);
                continue;
            }
            consensus(tasks, s.weight.data(), exact, s.work, s.order.data());
            for (int position = 0; position < k; ++position) row[s.order[position]] = k - 1 - position;
        }
    });
}

}  // namespace precipice::ranking
