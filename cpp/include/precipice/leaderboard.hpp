// Leaderboards: a joint paired bootstrap of many models' mean scores over the
// same items, and the pairwise statistics of its replicates that rank intervals
// and tie groups need.
//
// A replicate resamples the items once, for every model: its weights are the
// number of times each item (or each cluster of items) is drawn. Every model's
// resampled total is then the weighted sum of its column of a (rows x cols)
// table, so all replicates together are a matrix product
//     totals (reps x cols) = weights (reps x rows) * table (rows x cols),
// computed in blocks of replicates and items: the weights of a block of
// replicates are drawn into per-thread scratch and never exist for all
// replicates at once. Memory is the table, the output and that scratch, never
// reps x rows x cols.
//
// Each output is accumulated in row order, one product and one addition at a
// time (no FMA contraction, no partial sums), whatever the vector width, the
// blocking or the thread count: results are bit-identical for any n_threads,
// SIMD level and replicate split.
#pragma once

#include <cstdint>

namespace precipice::leaderboard {

// The resampling design behind the rows of the table.
//  - rows = items * samples, item-major (item i owns rows i*samples .. +samples).
//  - units: what the first level draws with replacement, `units` draws per
//    replicate on stream 0. unit_of_item == nullptr: the units are the items;
//    else item i belongs to unit unit_of_item[i] in [0, units) (clusters).
//  - samples > 1 adds a second level (stream 1): each of the c copies drawn of
//    an item redraws its `samples` samples with replacement, so the item's rows
//    get Multinomial(c * samples, uniform) weights, items in order.
// With samples == 1 the weight of row i is the number of draws of its unit.
struct Design {
    std::int64_t rows = 0;
    std::int64_t units = 0;
    const std::int64_t* unit_of_item = nullptr;
    std::int64_t samples = 1;
};

// totals[r * cols + j] = sum over rows i of weight(first + r, i) * table[i * cols + j].
// table: (rows x cols), C-contiguous.
void resampled_totals(const double* table, std::int64_t cols, const Design& design, std::uint64_t seed,
                      std::uint64_t first, std::int64_t count, int n_threads, double* totals);

// The weights themselves, weights[r * rows + i] (a probe for the tests).
void replicate_weights(const Design& design, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                       double* weights);

// scale[j * models + k] = the standard deviation (divisor reps - 1) of
// replicates[:, j] - replicates[:, k] over the reps replicates; replicates is
// (models x reps), one model per row. Exactly 0 where the two rows are equal.
void difference_scales(const double* replicates, std::int64_t models, std::int64_t reps, int n_threads, double* scale);

// out[r] = max over ordered pairs (j, k) with active[j * models + k] of
// (centered[r, j] - centered[r, k]) * inverse_scale[j * models + k], or -inf
// when no pair is active; centered is (reps x models).
void max_studentized_difference(const double* centered, std::int64_t reps, std::int64_t models,
                                const double* inverse_scale, const std::uint8_t* active, int n_threads, double* out);

}  // namespace precipice::leaderboard
