// Item-level evaluation statistics: bootstrap replicates of sums of per-item
// sufficient statistics, drawn from the Philox replicate streams.
//
// A benchmark score is almost always a function of sums over items: accuracy of
// the sum of 0/1 scores, F1 and MCC of confusion-matrix counts, BLEU of n-gram
// match counts, a variance of the sums of x and x^2. Resampling n items with
// replacement then only needs the resampled column sums of an (items x d) table
// of per-item statistics; the statistic itself is evaluated on those sums.
//
// Two exact ways to get the resampled sums, chosen by the caller:
//  - index draws: n uniform row indices per replicate, O(n d);
//  - category counts: when the rows take only K distinct values (0/1 scores,
//    confusion cells), the resampled counts of the categories are
//    Multinomial(n, multiplicity / total), drawn as K conditional binomials,
//    O(K) per replicate whatever n is.
// Both give every replicate the same distribution of sums as drawing items; a
// replicate r is a pure function of (seed, first + r) and of the input.
#pragma once

#include <cstdint>

#include "precipice/random/bounded.hpp"
#include "precipice/random/distributions.hpp"

namespace precipice::evals {

// out[r] = binomial draw of replicate first + r (stream 0): for distribution tests.
void binomial_draws(std::int64_t trials, double p, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                    int n_threads, std::int64_t* out);

// Resampled column sums. rows: (m x d), C-contiguous. Replicate r draws `draws`
// rows with replacement and writes the column sums of the drawn rows to
// out[r * d + j]. With multiplicity == nullptr the rows are equally likely (index
// draws, the stream's layout as resample_indices); otherwise row k stands for
// multiplicity[k] identical items and the draw is multinomial over the rows.
void resampled_sums(const double* rows, std::int64_t m, std::int64_t d, const std::int64_t* multiplicity,
                    std::int64_t draws, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                    double* out);

// Row indices of index-draw replicates: out[r * draws + i] in [0, m). On stream
// 0 they are the rows that resampled_sums (multiplicity == nullptr) sums for
// replicate first + r; other streams give independent resamples (one per sample
// of a multi-sample statistic).
void resample_indices(std::int64_t m, std::int64_t draws, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                      std::uint32_t stream, int n_threads, std::int64_t* out);

// Order statistics of resamples of n items whose distinct sorted values are
// values[0..k) with multiplicities summing to n: out[r] = (x_(lo) + x_(hi)) / 2,
// x_(i) being the 0-based i-th smallest of the n resampled values (numpy's median:
// lo = (n - 1) / 2, hi = n / 2). Only counts over the sorted values are drawn.
void resampled_order_statistic(const double* values, const std::int64_t* multiplicity, std::int64_t k, std::int64_t lo,
                               std::int64_t hi, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                               int n_threads, double* out);

}  // namespace precipice::evals

namespace precipice::evals {

// Paired permutation (approximate randomization) replicates of two systems
// scored on the same n items: permutation r swaps a_i and b_i for the items
// whose bit is set in its mask. With `exact`, the mask of permutation r is the
// integer first + r itself (bit i for item i, none past bit 63), so for n <= 62
// replicates 0 .. 2^n - 1 enumerate every swap pattern; replicate 0 is the
// observed assignment for any n;
// otherwise every bit is a fair coin from the replicate stream first + r
// (stream 0, word i / 32, bit i % 32).
//
// a, b: (n x d) C-contiguous per-item sufficient statistics. out[r * 2d + j] is
// column j's sum over the permuted a, out[r * 2d + d + j] over the permuted b.
// The sums run in item order, so the complement of a mask gives exactly the
// swapped pair of sums (a statistic of the difference changes sign exactly).
void permuted_sums(const double* a, const double* b, std::int64_t n, std::int64_t d, bool exact, std::uint64_t seed,
                   std::uint64_t first, std::int64_t count, int n_threads, double* out);

// As permuted_sums for one value per item: out[2r] and out[2r + 1] are numpy's
// medians (mean of the two middle values for even n) of the permuted a and b.
void permuted_medians(const double* a, const double* b, std::int64_t n, bool exact, std::uint64_t seed,
                      std::uint64_t first, std::int64_t count, int n_threads, double* out);

}  // namespace precipice::evals
