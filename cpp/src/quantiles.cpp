#include "precipice/quantiles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "precipice/parallel.hpp"

namespace precipice {

namespace {

// numpy's _lerp: exact at both ends, and monotone in t.
double lerp(double a, double b, double t) {
    const double diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// Order statistics i and i + 1 (clipped to the last) of buf[from, n), after
// which buf[from, i] holds the i - from + 1 smallest values of that range.
void select_pair(std::vector<double>& buf, std::int64_t from, std::int64_t i, double& at, double& next) {
    const std::int64_t n = static_cast<std::int64_t>(buf.size());
    std::nth_element(buf.begin() + from, buf.begin() + i, buf.end());
    at = buf[static_cast<std::size_t>(i)];
    next = i + 1 < n ? *std::min_element(buf.begin() + i + 1, buf.end()) : at;
}

}  // namespace

void column_quantiles(const double* values, std::int64_t rows, std::int64_t columns, const double* q_lower,
                      const double* q_upper, int n_threads, double* out) {
    // Columns go in blocks of eight, gathered row by row: one cache line of the
    // row-major input serves all eight instead of one.
    constexpr std::int64_t kBlock = 8;
    struct Scratch {
        std::vector<double> block, column;
    };
    const auto n_rows = static_cast<std::size_t>(rows);
    const std::int64_t n_blocks = (columns + kBlock - 1) / kBlock;
    parallel_chunks(
        n_blocks, 1, n_threads,
        [n_rows] { return Scratch{std::vector<double>(n_rows * kBlock), std::vector<double>(n_rows)}; },
        [&](Scratch& s, std::int64_t first_block, std::int64_t end_block) {
            for (std::int64_t blk = first_block; blk < end_block; ++blk) {
                const std::int64_t c0 = blk * kBlock;
                const std::int64_t width = std::min(kBlock, columns - c0);
                for (std::int64_t r = 0; r < rows; ++r)
                    for (std::int64_t j = 0; j < width; ++j)
                        s.block[static_cast<std::size_t>(j * rows + r)] = values[r * columns + c0 + j];
                for (std::int64_t j = 0; j < width; ++j) {
                    const std::int64_t c = c0 + j;
                    const double* src = s.block.data() + j * rows;
                    std::copy(src, src + rows, s.column.begin());
                    // np.percentile's answer for a column holding NaN is NaN; a
                    // selection over NaN would be unspecified.
                    if (std::any_of(src, src + rows, [](double v) { return std::isnan(v); })) {
                        out[c] = out[columns + c] = std::numeric_limits<double>::quiet_NaN();
                        continue;
                    }
                    const double h_lo = q_lower[c] * static_cast<double>(rows - 1);
                    const double h_hi = q_upper[c] * static_cast<double>(rows - 1);
                    const auto i_lo = static_cast<std::int64_t>(std::floor(h_lo));
                    const auto i_hi = static_cast<std::int64_t>(std::floor(h_hi));
                    double a, b;
                    select_pair(s.column, 0, i_lo, a, b);
                    out[c] = lerp(a, b, h_lo - static_cast<double>(i_lo));
                    // Once i_lo is selected, the order statistics above it lie after it.
                    if (i_hi > i_lo)
                        select_pair(s.column, i_lo + 1, i_hi, a, b);
                    else if (i_hi < i_lo)
                        select_pair(s.column, 0, i_hi, a, b);
                    out[columns + c] = lerp(a, b, h_hi - static_cast<double>(i_hi));
                }
            }
        });
}

}  // namespace precipice
