// Quantiles of the columns of a (rows x columns) array, numpy's "linear" rule.
#pragma once

#include <cstdint>

namespace precipice {

// values: column-major (rows, columns), column c at values + c * rows; q_lower,
// q_upper: one quantile in [0, 1] per column. out: (2, columns), the lower
// quantiles then the upper.
// Each column is selected, not sorted: O(rows) per column, columns in parallel.
// A column holding NaN gets NaN bounds, as np.percentile gives.
void column_quantiles(const double* values, std::int64_t rows, std::int64_t columns, const double* q_lower,
                      const double* q_upper, int n_threads, double* out);

// The same quantiles of columns held as histograms over a shared increasing
// grid: column c holds counts[c * bins + b] copies of grid[b]. O(bins) per column.
void histogram_quantiles(const std::int64_t* counts, std::int64_t columns, std::int64_t bins, const double* grid,
                         const double* q_lower, const double* q_upper, double* out);

}  // namespace precipice
