// Calibration metrics: bootstrap replicates of per-bin sums.
//
// Every binned calibration metric (ECE, MCE, the debiased L2 error, the binned
// Brier decomposition) is a function of, per bin, the item count, the sum of the
// confidences and the sum of the 0/1 outcomes. With the bins fixed, a resample's
// per-bin sums are sums over the drawn items of one-hot rows; resampled_sums in
// evals.hpp could draw them, but it adds all 3 x bins columns per draw. Here each
// drawn item adds to its own group only: one count and v values.
#pragma once

#include <cstdint>

namespace precipice::calibration {

// Resampled grouped sums. group[i] in [0, k) is item i's group, values (n x v,
// C-contiguous) its per-item values. Replicate r draws n items with replacement
// (the index stream of evals::resample_indices, stream 0, so replicate r resamples
// the items that resample_indices lists for it) and writes, at out + r * k * (1 + v),
// the k group counts followed by the k x v group sums (group-major).
void resampled_group_sums(const std::int64_t* group, const double* values, std::int64_t n, std::int64_t k,
                          std::int64_t v, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                          double* out);

}  // namespace precipice::calibration
