#include "precipice/quantiles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "precipice/parallel.hpp"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace precipice {

namespace {

// numpy's _lerp: exact at both ends, and monotone in t.
double lerp(double a, double b, double t) {
    const double diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// Order statistics i and i + 1 (clipped to the last) of buf[0, n); reorders buf.
void select_pair(double* buf, std::int64_t n, std::int64_t i, double& at, double& next) {
    std::nth_element(buf, buf + i, buf + n);
    at = buf[i];
    next = i + 1 < n ? *std::min_element(buf + i + 1, buf + n) : at;
}

// Columns shorter than this are selected whole; longer ones through a sample.
constexpr std::int64_t kSampleFrom = 4096;
constexpr std::int64_t kSampleSize = 1024;
// Rows between two checks for a stop request (a power of two): milliseconds.
constexpr std::int64_t kRowsPerCheck = std::int64_t{1} << 20;

// Two order-statistic pairs of one column without sorting it: a sample places
// each wanted rank between two sample values, one pass over the column counts
// what lies below each bracket and keeps what lies inside, and only those few
// values are selected. Should a bracket miss (rare by construction), the whole
// column is selected instead.
struct Selector {
    struct Bracket {
        double lo = 0.0, hi = 0.0;
        std::int64_t below = 0, size = 0;
        double* kept = nullptr;
    };
    std::vector<double> sample, kept_lo, kept_hi, full;

    // Pairs (i, i + 1) for i = ranks[0], ranks[1], each clipped to the last,
    // into at[] and next[]; false if the column holds NaN.
    bool pairs(const double* col, std::int64_t rows, const std::int64_t ranks[2], double at[2], double next[2]) {
        if (rows < kSampleFrom) {
            if (std::any_of(col, col + rows, [](double v) { return std::isnan(v); })) return false;
            for (int t = 0; t < 2; ++t) whole(col, rows, ranks[t], at[t], next[t]);
            return true;
        }
        Bracket b[2];
        for (int t = 0; t < 2; ++t) b[t] = bracket(col, rows, ranks[t]);
        if (kept_lo.size() < static_cast<std::size_t>(rows)) {
            kept_lo.resize(static_cast<std::size_t>(rows));
            kept_hi.resize(static_cast<std::size_t>(rows));
        }
        b[0].kept = kept_lo.data();
        b[1].kept = kept_hi.data();
        // Branch-free: every value is written to both buffers and kept where
        // inside. Locals, not the brackets' fields, so that the counts stay in
        // registers across the stores.
        const double lo0 = b[0].lo, hi0 = b[0].hi, lo1 = b[1].lo, hi1 = b[1].hi;
        double* const kept0 = b[0].kept;
        double* const kept1 = b[1].kept;
        std::int64_t nan = 0, below0 = 0, below1 = 0, size0 = 0, size1 = 0;
        // A column of 10^8 replicates takes seconds: the pass checks for a stop
        // request every kRowsPerCheck rows (an even number, so the blocks split
        // no pair of the vector loop and change nothing in the result).
        std::int64_t r = 0;
#if defined(__SSE2__) || defined(_M_X64)
        // Two values per step: the comparisons as vector masks, the counts below
        // and of NaN as vector sums, the kept values placed by the masks' bits.
        const __m128d vlo0 = _mm_set1_pd(lo0), vhi0 = _mm_set1_pd(hi0);
        const __m128d vlo1 = _mm_set1_pd(lo1), vhi1 = _mm_set1_pd(hi1);
        __m128i nan2 = _mm_setzero_si128(), below02 = _mm_setzero_si128(), below12 = _mm_setzero_si128();
        for (std::int64_t block_end = std::min(rows, kRowsPerCheck); r + 2 <= rows;
             block_end = std::min(rows, block_end + kRowsPerCheck)) {
            for (; r + 2 <= block_end; r += 2) {
                const __m128d v = _mm_loadu_pd(col + r);
                nan2 = _mm_sub_epi64(nan2, _mm_castpd_si128(_mm_cmpunord_pd(v, v)));  // a true mask is -1
                below02 = _mm_sub_epi64(below02, _mm_castpd_si128(_mm_cmplt_pd(v, vlo0)));
                below12 = _mm_sub_epi64(below12, _mm_castpd_si128(_mm_cmplt_pd(v, vlo1)));
                const int in0 = _mm_movemask_pd(_mm_and_pd(_mm_cmpge_pd(v, vlo0), _mm_cmple_pd(v, vhi0)));
                const int in1 = _mm_movemask_pd(_mm_and_pd(_mm_cmpge_pd(v, vlo1), _mm_cmple_pd(v, vhi1)));
                _mm_storel_pd(kept0 + size0, v);
                size0 += in0 & 1;
                _mm_storeh_pd(kept0 + size0, v);
                size0 += in0 >> 1;
                _mm_storel_pd(kept1 + size1, v);
                size1 += in1 & 1;
                _mm_storeh_pd(kept1 + size1, v);
                size1 += in1 >> 1;
            }
            interruption_point();
        }
        alignas(16) std::int64_t lanes[2];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), nan2);
        nan += lanes[0] + lanes[1];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), below02);
        below0 += lanes[0] + lanes[1];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), below12);
        below1 += lanes[0] + lanes[1];
#endif
        for (; r < rows; ++r) {
            const double v = col[r];
            nan += v != v;
            below0 += v < lo0;
            below1 += v < lo1;
            kept0[size0] = v;
            kept1[size1] = v;
            size0 += (v >= lo0) & (v <= hi0);
            size1 += (v >= lo1) & (v <= hi1);
            if ((r & (kRowsPerCheck - 1)) == 0) interruption_point();
        }
        if (nan) return false;
        b[0].below = below0;
        b[1].below = below1;
        b[0].size = size0;
        b[1].size = size1;
        for (int t = 0; t < 2; ++t) {
            const std::int64_t j = ranks[t] - b[t].below;
            const bool has_next = ranks[t] + 1 < rows;
            if (j >= 0 && (has_next ? j + 1 < b[t].size : j < b[t].size)) {
                // A bracket of one value (common for discrete statistics such as
                // profile fractions) holds nothing else: no selection needed.
                if (b[t].lo == b[t].hi)
                    at[t] = next[t] = b[t].lo;
                else
                    select_pair(b[t].kept, b[t].size, j, at[t], next[t]);
            } else {
                whole(col, rows, ranks[t], at[t], next[t]);
            }
        }
        return true;
    }

  private:
    void whole(const double* col, std::int64_t rows, std::int64_t i, double& at, double& next) {
        full.assign(col, col + rows);
        select_pair(full.data(), rows, i, at, next);
    }

    // Sample values around rank i's expected place: four standard deviations of
    // that place (a binomial count) on each side, plus two.
    Bracket bracket(const double* col, std::int64_t rows, std::int64_t i) {
        sample.resize(static_cast<std::size_t>(kSampleSize));
        for (std::int64_t k = 0; k < kSampleSize; ++k)
            sample[static_cast<std::size_t>(k)] = col[k * rows / kSampleSize];
        const double q = static_cast<double>(i) / static_cast<double>(rows);
        const auto margin = static_cast<std::int64_t>(4.0 * std::sqrt(kSampleSize * q * (1.0 - q))) + 2;
        const std::int64_t p = i * kSampleSize / rows;
        Bracket b;
        b.lo = -std::numeric_limits<double>::infinity();
        b.hi = std::numeric_limits<double>::infinity();
        if (p - margin > 0) {
            std::nth_element(sample.begin(), sample.begin() + (p - margin), sample.end());
            b.lo = sample[static_cast<std::size_t>(p - margin)];
        }
        if (p + margin < kSampleSize - 1) {
            std::nth_element(sample.begin(), sample.begin() + (p + margin), sample.end());
            b.hi = sample[static_cast<std::size_t>(p + margin)];
        }
        return b;
    }
};

}  // namespace

void column_quantiles(const double* values, std::int64_t rows, std::int64_t columns, const double* q_lower,
                      const double* q_upper, int n_threads, double* out) {
    parallel_chunks(
        columns, 1, n_threads, [] { return Selector{}; },
        [&](Selector& selector, std::int64_t begin, std::int64_t end) {
            for (std::int64_t c = begin; c < end; ++c) {
                const double* col = values + c * rows;
                const double h[2] = {q_lower[c] * static_cast<double>(rows - 1),
                                     q_upper[c] * static_cast<double>(rows - 1)};
                const std::int64_t ranks[2] = {static_cast<std::int64_t>(std::floor(h[0])),
                                               static_cast<std::int64_t>(std::floor(h[1]))};
                double at[2], next[2];
                if (!selector.pairs(col, rows, ranks, at, next)) {
                    // np.percentile's answer for a column holding NaN is NaN.
                    out[c] = out[columns + c] = std::numeric_limits<double>::quiet_NaN();
                    continue;
                }
                for (int t = 0; t < 2; ++t)
                    out[t * columns + c] = lerp(at[t], next[t], h[t] - static_cast<double>(ranks[t]));
            }
        });
}

void histogram_quantiles(const std::int64_t* counts, std::int64_t columns, std::int64_t bins, const double* grid,
                         const double* q_lower, const double* q_upper, double* out) {
    for (std::int64_t c = 0; c < columns; ++c) {
        const std::int64_t* column = counts + c * bins;
        std::int64_t rows = 0;
        for (std::int64_t b = 0; b < bins; ++b) rows += column[b];
        // The value of order statistic i: the first bin whose running count passes i.
        auto order_statistic = [&](std::int64_t i) {
            std::int64_t below = 0, b = 0;
            while (below + column[b] <= i) below += column[b++];
            return grid[b];
        };
        for (int t = 0; t < 2; ++t) {
            const double h = (t == 0 ? q_lower[c] : q_upper[c]) * static_cast<double>(rows - 1);
            const auto i = static_cast<std::int64_t>(std::floor(h));
            const double at = order_statistic(i);
            const double next = i + 1 < rows ? order_statistic(i + 1) : at;
            out[t * columns + c] = lerp(at, next, h - static_cast<double>(i));
        }
    }
}

}  // namespace precipice
