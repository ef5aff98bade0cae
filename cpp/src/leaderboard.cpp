// The paired leaderboard bootstrap (see precipice/leaderboard.hpp).
#include "precipice/leaderboard.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "precipice/parallel.hpp"
#include "precipice/random/bounded.hpp"
#include "precipice/random/stream.hpp"
#include "precipice/simd.hpp"

namespace precipice::leaderboard {

namespace {

// Columns of the table per packed panel: one panel row is two AVX-512 vectors
// (16 doubles, or 32 floats on the exact single-precision path).
template <class T>
constexpr std::int64_t kPanel = 128 / static_cast<std::int64_t>(sizeof(T));
// Rows per tile: a tile of a panel (kTile x a panel row, 64 KiB) and of a
// chunk's weights (at most kChunk x kTile, 192 KiB) stay in L2 while every
// panel and every replicate group passes over them.
constexpr std::int64_t kTile = 512;
// Replicates per parallel chunk: kChunk, or fewer where a chunk's weights
// (replicates x rows) would pass kChunkBytes, but always whole kGroup groups
// (a multiple of every kernel's replicate group).
constexpr std::int64_t kChunk = 48, kGroup = 8;
constexpr std::int64_t kChunkBytes = std::int64_t{16} << 20;
// Index draws are generated this many at a time.
constexpr std::uint32_t kBatch = 1024;

// Uniform indices in [0, n) from one stream, drawn kBatch at a time.
class IndexSource {
  public:
    IndexSource(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream, const BoundedPlan& plan,
                std::uint32_t* buffer) noexcept
        : rng_(seed, replicate, stream), plan_(plan), buffer_(buffer) {}

    std::uint32_t next() noexcept {
        if (pos_ == kBatch) {
            draw_bounded(rng_, plan_, kBatch, buffer_);
            pos_ = 0;
        }
        return buffer_[pos_++];
    }

  private:
    ReplicateStream rng_;
    const BoundedPlan& plan_;
    std::uint32_t* buffer_;
    std::uint32_t pos_ = kBatch;
};

struct WeightScratch {
    std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    std::vector<std::int64_t> unit_counts;
};

// The weights of one replicate: weights[0 .. rows).
template <class T>
void draw_replicate(const Design& design, const BoundedPlan& unit_plan, const BoundedPlan& sample_plan,
                    std::uint64_t seed, std::uint64_t replicate, WeightScratch& scratch, T* weights) {
    const std::int64_t rows = design.rows;
    std::fill(weights, weights + rows, T(0));
    IndexSource units(seed, replicate, 0, unit_plan, scratch.draws.data());
    if (design.unit_of_item == nullptr && design.samples == 1) {
        for (std::int64_t d = 0; d < design.units; ++d) weights[units.next()] += T(1);
        return;
    }
    std::int64_t* counts = scratch.unit_counts.data();
    std::fill(counts, counts + design.units, std::int64_t{0});
    for (std::int64_t d = 0; d < design.units; ++d) ++counts[units.next()];
    const std::int64_t items = rows / design.samples;
    if (design.samples == 1) {
        for (std::int64_t i = 0; i < items; ++i) weights[i] = static_cast<T>(counts[design.unit_of_item[i]]);
        return;
    }
    // The samples' draws come after all the units' draws (another stream), items in order.
    IndexSource samples(seed, replicate, 1, sample_plan, scratch.draws.data());
    for (std::int64_t i = 0; i < items; ++i) {
        const std::int64_t copies = counts[design.unit_of_item != nullptr ? design.unit_of_item[i] : i];
        T* item = weights + i * design.samples;
        for (std::int64_t d = 0; d < copies * design.samples; ++d) item[samples.next()] += T(1);
    }
}

// out (MR replicates x a panel) += weights (MR x k_len, row stride ldw) *
// panel (k_len x a panel): the sums stay in registers over the tile, each one
// a chain of products added in row order.
template <int MR, class T>
PRECIPICE_ALWAYS_INLINE inline void micro_kernel(const T* weights, std::int64_t ldw, const T* panel, std::int64_t k_len,
                                                 T* out, std::int64_t ldo) {
    constexpr std::int64_t width = kPanel<T>;
    T acc[MR][width];
    for (int r = 0; r < MR; ++r)
        for (std::int64_t j = 0; j < width; ++j) acc[r][j] = out[r * ldo + j];
    for (std::int64_t k = 0; k < k_len; ++k) {
        const T* x = panel + k * width;
        for (int r = 0; r < MR; ++r) {
            const T w = weights[r * ldw + k];
            for (std::int64_t j = 0; j < width; ++j) acc[r][j] += w * x[j];
        }
    }
    for (int r = 0; r < MR; ++r)
        for (std::int64_t j = 0; j < width; ++j) out[r * ldo + j] = acc[r][j];
}

// out (chunk x panels * panel width) = weights (chunk x rows) * packed
// table. packed: panel p holds rows x width numbers, the table's columns
// p * width .. + width (zero past the last column).
template <int MR, class T, class Micro>
PRECIPICE_ALWAYS_INLINE inline void chunk_product_body(const T* weights, std::int64_t chunk, std::int64_t rows,
                                                       const T* packed, std::int64_t panels, Micro micro, T* out) {
    static_assert(kGroup % MR == 0, "a chunk is whole replicate groups");
    constexpr std::int64_t width = kPanel<T>;
    const std::int64_t ldo = panels * width;
    std::fill(out, out + chunk * ldo, T(0));
    for (std::int64_t k0 = 0; k0 < rows; k0 += kTile) {
        const std::int64_t k_len = std::min(kTile, rows - k0);
        for (std::int64_t p = 0; p < panels; ++p) {
            const T* panel = packed + (p * rows + k0) * width;
            for (std::int64_t g = 0; g < chunk; g += MR)
                micro(weights + g * rows + k0, rows, panel, k_len, out + g * ldo + p * width, ldo);
        }
    }
}

template <class T>
void chunk_product_base(const T* weights, std::int64_t chunk, std::int64_t rows, const T* packed, std::int64_t panels,
                        T* out) {
    chunk_product_body<2>(weights, chunk, rows, packed, panels, micro_kernel<2, T>, out);
}

#if defined(PRECIPICE_SIMD_DISPATCH)
// The same sums with explicit vectors (the compiler does not keep a plain
// loop's sums in registers): a multiply, then an add, in row order. NAME:
// MR replicates x two vectors of columns from column `offset` of the panel.
#define PRECIPICE_PRODUCT_BLOCK(NAME, TARGET, T, V, LANES, MR, LOAD, STORE, SET1, ADD, MUL)         \
    TARGET inline void NAME(const T* weights, std::int64_t ldw, const T* panel, std::int64_t k_len, \
                            std::int64_t offset, T* out, std::int64_t ldo) {                        \
        V acc[MR][2];                                                                               \
        for (int r = 0; r < (MR); ++r)                                                              \
            for (int v = 0; v < 2; ++v) acc[r][v] = LOAD(out + r * ldo + offset + v * (LANES));     \
        for (std::int64_t k = 0; k < k_len; ++k) {                                                  \
            const T* x = panel + k * kPanel<T> + offset;                                            \
            const V x0 = LOAD(x), x1 = LOAD(x + (LANES));                                           \
            for (int r = 0; r < (MR); ++r) {                                                        \
                const V w = SET1(weights[r * ldw + k]);                                             \
                acc[r][0] = ADD(acc[r][0], MUL(w, x0));                                             \
                acc[r][1] = ADD(acc[r][1], MUL(w, x1));                                             \
            }                                                                                       \
        }                                                                                           \
        for (int r = 0; r < (MR); ++r)                                                              \
            for (int v = 0; v < 2; ++v) STORE(out + r * ldo + offset + v * (LANES), acc[r][v]);     \
    }

// AVX2 (16 registers) takes half a panel row for 4 replicates, twice; AVX-512
// a whole row for 8.
constexpr int kAvx2Rows = 4, kAvx512Rows = 8;
PRECIPICE_PRODUCT_BLOCK(block_avx2_double, PRECIPICE_TARGET_AVX2, double, __m256d, 4, kAvx2Rows, _mm256_loadu_pd,
                        _mm256_storeu_pd, _mm256_set1_pd, _mm256_add_pd, _mm256_mul_pd)
PRECIPICE_PRODUCT_BLOCK(block_avx2_float, PRECIPICE_TARGET_AVX2, float, __m256, 8, kAvx2Rows, _mm256_loadu_ps,
                        _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps)
PRECIPICE_PRODUCT_BLOCK(block_avx512_double, PRECIPICE_TARGET_AVX512, double, __m512d, 8, kAvx512Rows, _mm512_loadu_pd,
                        _mm512_storeu_pd, _mm512_set1_pd, _mm512_add_pd, _mm512_mul_pd)
PRECIPICE_PRODUCT_BLOCK(block_avx512_float, PRECIPICE_TARGET_AVX512, float, __m512, 16, kAvx512Rows, _mm512_loadu_ps,
                        _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps)
#undef PRECIPICE_PRODUCT_BLOCK

PRECIPICE_TARGET_AVX2 inline void micro_avx2(const double* weights, std::int64_t ldw, const double* panel,
                                             std::int64_t k_len, double* out, std::int64_t ldo) {
    block_avx2_double(weights, ldw, panel, k_len, 0, out, ldo);
    block_avx2_double(weights, ldw, panel, k_len, kPanel<double> / 2, out, ldo);
}
PRECIPICE_TARGET_AVX2 inline void micro_avx2(const float* weights, std::int64_t ldw, const float* panel,
                                             std::int64_t k_len, float* out, std::int64_t ldo) {
    block_avx2_float(weights, ldw, panel, k_len, 0, out, ldo);
    block_avx2_float(weights, ldw, panel, k_len, kPanel<float> / 2, out, ldo);
}
PRECIPICE_TARGET_AVX512 inline void micro_avx512(const double* weights, std::int64_t ldw, const double* panel,
                                                 std::int64_t k_len, double* out, std::int64_t ldo) {
    block_avx512_double(weights, ldw, panel, k_len, 0, out, ldo);
}
PRECIPICE_TARGET_AVX512 inline void micro_avx512(const float* weights, std::int64_t ldw, const float* panel,
                                                 std::int64_t k_len, float* out, std::int64_t ldo) {
    block_avx512_float(weights, ldw, panel, k_len, 0, out, ldo);
}

template <class T>
using Micro = void (*)(const T*, std::int64_t, const T*, std::int64_t, T*, std::int64_t);

template <class T>
PRECIPICE_TARGET_AVX2 void chunk_product_avx2(const T* weights, std::int64_t chunk, std::int64_t rows, const T* packed,
                                              std::int64_t panels, T* out) {
    chunk_product_body<kAvx2Rows>(weights, chunk, rows, packed, panels, static_cast<Micro<T>>(micro_avx2), out);
}

template <class T>
PRECIPICE_TARGET_AVX512 void chunk_product_avx512(const T* weights, std::int64_t chunk, std::int64_t rows,
                                                  const T* packed, std::int64_t panels, T* out) {
    chunk_product_body<kAvx512Rows>(weights, chunk, rows, packed, panels, static_cast<Micro<T>>(micro_avx512), out);
}
#endif

// Every version adds the same products in the same order: the same bits.
template <class T>
void chunk_product(const T* weights, std::int64_t chunk, std::int64_t rows, const T* packed, std::int64_t panels,
                   T* out) {
#if defined(PRECIPICE_SIMD_DISPATCH)
    switch (simd_level()) {
        case SimdLevel::avx512:
            return chunk_product_avx512(weights, chunk, rows, packed, panels, out);
        case SimdLevel::avx2:
            return chunk_product_avx2(weights, chunk, rows, packed, panels, out);
        case SimdLevel::base:
            break;
    }
#endif
    chunk_product_base(weights, chunk, rows, packed, panels, out);
}

// Work of a few milliseconds runs on one thread (waking a team costs more).
int threads_for(double estimated_ns, int n_threads) noexcept { return estimated_ns < 2e6 ? 1 : n_threads; }

WeightScratch weight_scratch(const Design& design) {
    WeightScratch scratch;
    scratch.unit_counts.resize(static_cast<std::size_t>(design.units));
    return scratch;
}

}  // namespace

void replicate_weights(const Design& design, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                       double* weights) {
    const BoundedPlan unit_plan(static_cast<std::uint32_t>(design.units));
    const BoundedPlan sample_plan(static_cast<std::uint32_t>(design.samples));
    const double per_replicate = 4.0 * static_cast<double>(design.rows + design.units);
    parallel_chunks(
        count, 64, threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] { return weight_scratch(design); },
        [&](WeightScratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r)
                draw_replicate<double>(design, unit_plan, sample_plan, seed, first + static_cast<std::uint64_t>(r),
                                       scratch, weights + r * design.rows);
        });
}

namespace {

// The products of one precision T (see resampled_totals).
template <class T>
void totals_in(const double* table, std::int64_t cols, const Design& design, std::uint64_t seed, std::uint64_t first,
               std::int64_t count, int n_threads, double* totals) {
    constexpr std::int64_t width = kPanel<T>;
    const std::int64_t rows = design.rows;
    const std::int64_t panels = (cols + width - 1) / width;
    std::vector<T> packed(static_cast<std::size_t>(panels * rows * width), T(0));
    for (std::int64_t p = 0; p < panels; ++p) {
        const std::int64_t used = std::min(width, cols - p * width);
        T* panel = packed.data() + p * rows * width;
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < used; ++j)
                panel[i * width + j] = static_cast<T>(table[i * cols + p * width + j]);
    }
    const BoundedPlan unit_plan(static_cast<std::uint32_t>(design.units));
    const BoundedPlan sample_plan(static_cast<std::uint32_t>(design.samples));
    struct Scratch {
        WeightScratch draws;
        std::vector<T> weights, out;
    };
    const double per_replicate = 4.0 * static_cast<double>(design.rows + design.units) +
                                 static_cast<double>(rows * panels * width) * (sizeof(T) == 4 ? 0.15 : 0.3);
    const std::int64_t fit = kChunkBytes / (rows * static_cast<std::int64_t>(sizeof(T))) / kGroup * kGroup;
    const std::int64_t chunk = std::max(kGroup, std::min(kChunk, fit));
    parallel_chunks(
        count, chunk, threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] {
            Scratch scratch{weight_scratch(design), std::vector<T>(static_cast<std::size_t>(chunk * rows)),
                            std::vector<T>(static_cast<std::size_t>(chunk * panels * width))};
            return scratch;
        },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            // A short last chunk multiplies zero weights in its unused rows.
            for (std::int64_t r = begin; r < begin + chunk; ++r) {
                T* weights = scratch.weights.data() + (r - begin) * rows;
                if (r < end)
                    draw_replicate(design, unit_plan, sample_plan, seed, first + static_cast<std::uint64_t>(r),
                                   scratch.draws, weights);
                else
                    std::fill(weights, weights + rows, T(0));
            }
            chunk_product(scratch.weights.data(), chunk, rows, packed.data(), panels, scratch.out.data());
            for (std::int64_t r = begin; r < end; ++r) {
                const T* row = scratch.out.data() + (r - begin) * panels * width;
                for (std::int64_t j = 0; j < cols; ++j) totals[r * cols + j] = static_cast<double>(row[j]);
            }
        });
}

// Whether every total is an integer below 2^24 in magnitude whatever the
// draws: then single precision computes each product and partial sum exactly,
// and so gives the double path's numbers, twice as fast. A replicate's weights
// sum to at most `units` draws times the rows a unit owns.
bool exact_in_float(const double* table, std::int64_t cols, const Design& design) {
    std::int64_t rows_per_unit = design.samples;
    if (design.unit_of_item != nullptr) {
        std::vector<std::int64_t> items(static_cast<std::size_t>(design.units), 0);
        for (std::int64_t i = 0; i < design.rows / design.samples; ++i) ++items[design.unit_of_item[i]];
        rows_per_unit *= *std::max_element(items.begin(), items.end());
    }
    double largest = 0.0;
    for (std::int64_t i = 0; i < design.rows * cols; ++i) {
        const double x = table[i];
        if (x != std::floor(x)) return false;  // also NaN
        largest = std::max(largest, std::fabs(x));
    }
    return largest * static_cast<double>(design.units) * static_cast<double>(rows_per_unit) < 16777216.0;
}

}  // namespace

void resampled_totals(const double* table, std::int64_t cols, const Design& design, std::uint64_t seed,
                      std::uint64_t first, std::int64_t count, int n_threads, double* totals) {
    if (exact_in_float(table, cols, design))
        totals_in<float>(table, cols, design, seed, first, count, n_threads, totals);
    else
        totals_in<double>(table, cols, design, seed, first, count, n_threads, totals);
}

void difference_scales(const double* replicates, std::int64_t models, std::int64_t reps, int n_threads, double* scale) {
    const double per_pair = 4.0 * static_cast<double>(reps);
    parallel_chunks(
        models, 1, threads_for(per_pair * static_cast<double>(models * models) / 2.0, n_threads), [] { return 0; },
        [&](int, std::int64_t begin, std::int64_t end) {
            for (std::int64_t j = begin; j < end; ++j) {
                const double* a = replicates + j * reps;
                scale[j * models + j] = 0.0;
                for (std::int64_t k = j + 1; k < models; ++k) {
                    const double* b = replicates + k * reps;
                    // Two passes (mean, then squared deviations), four partial
                    // sums each: a fixed order, so the same bits in every build.
                    double sums[4] = {0.0, 0.0, 0.0, 0.0};
                    std::int64_t r = 0;
                    for (; r + 4 <= reps; r += 4)
                        for (int l = 0; l < 4; ++l) sums[l] += a[r + l] - b[r + l];
                    for (; r < reps; ++r) sums[0] += a[r] - b[r];
                    const double mean = ((sums[0] + sums[1]) + (sums[2] + sums[3])) / static_cast<double>(reps);
                    double squares[4] = {0.0, 0.0, 0.0, 0.0};
                    r = 0;
                    for (; r + 4 <= reps; r += 4)
                        for (int l = 0; l < 4; ++l) {
                            const double d = a[r + l] - b[r + l] - mean;
                            squares[l] += d * d;
                        }
                    for (; r < reps; ++r) {
                        const double d = a[r] - b[r] - mean;
                        squares[0] += d * d;
                    }
                    const double total = (squares[0] + squares[1]) + (squares[2] + squares[3]);
                    const double sd = reps > 1 ? std::sqrt(total / static_cast<double>(reps - 1)) : 0.0;
                    scale[j * models + k] = sd;
                    scale[k * models + j] = sd;
                }
            }
        });
}

namespace {

// max over ordered pairs of (c[j] - c[k]) * inverse[j, k] where active: each
// unordered pair j < k once, as d = (c[j] - c[k]) * inverse[j, k] for (j, k)
// and -d (the same bits as (c[k] - c[j]) * inverse[k, j]) for (k, j), an
// inactive direction adding -inf (forward[j, k], backward[j, k]). Rows j are
// those with a pair; eight lanes of partial maxima (max is exact: the lanes
// change no result).
PRECIPICE_ALWAYS_INLINE inline double replicate_max_body(const double* c, std::int64_t models, const std::int64_t* rows,
                                                         std::int64_t n_rows, const double* inverse,
                                                         const double* forward, const double* backward) {
    constexpr int kLanes = 8;
    double lane[kLanes];
    for (int l = 0; l < kLanes; ++l) lane[l] = -std::numeric_limits<double>::infinity();
    for (std::int64_t a = 0; a < n_rows; ++a) {
        const std::int64_t j = rows[a];
        const double cj = c[j];
        const double* inv = inverse + j * models;
        const double* fwd = forward + j * models;
        const double* bwd = backward + j * models;
        std::int64_t k = j + 1;
        for (; k + kLanes <= models; k += kLanes)
            for (int l = 0; l < kLanes; ++l) {
                const double d = (cj - c[k + l]) * inv[k + l];
                const double up = d + fwd[k + l], down = bwd[k + l] - d;
                const double v = up > down ? up : down;
                lane[l] = lane[l] > v ? lane[l] : v;
            }
        for (; k < models; ++k) {
            const double d = (cj - c[k]) * inv[k];
            const double up = d + fwd[k], down = bwd[k] - d;
            const double v = up > down ? up : down;
            lane[0] = lane[0] > v ? lane[0] : v;
        }
    }
    double best = lane[0];
    for (int l = 1; l < kLanes; ++l) best = best > lane[l] ? best : lane[l];
    return best;
}

double replicate_max_base(const double* c, std::int64_t models, const std::int64_t* rows, std::int64_t n_rows,
                          const double* inverse, const double* forward, const double* backward) {
    return replicate_max_body(c, models, rows, n_rows, inverse, forward, backward);
}

#if defined(PRECIPICE_SIMD_DISPATCH)
// The same maxima with explicit vectors (the compiler keeps the plain lanes scalar).
#define PRECIPICE_REPLICATE_MAX(NAME, TARGET, V, LANES, LOAD, SET1, SUB, MUL, ADD, MAX, REDUCE)             \
    TARGET double NAME(const double* c, std::int64_t models, const std::int64_t* rows, std::int64_t n_rows, \
                       const double* inverse, const double* forward, const double* backward) {              \
        V best = SET1(-std::numeric_limits<double>::infinity());                                            \
        double tail = -std::numeric_limits<double>::infinity();                                             \
        for (std::int64_t a = 0; a < n_rows; ++a) {                                                         \
            const std::int64_t j = rows[a];                                                                 \
            const V cj = SET1(c[j]);                                                                        \
            const double* inv = inverse + j * models;                                                       \
            const double* fwd = forward + j * models;                                                       \
            const double* bwd = backward + j * models;                                                      \
            std::int64_t k = j + 1;                                                                         \
            for (; k + (LANES) <= models; k += (LANES)) {                                                   \
                const V d = MUL(SUB(cj, LOAD(c + k)), LOAD(inv + k));                                       \
                best = MAX(best, MAX(ADD(d, LOAD(fwd + k)), SUB(LOAD(bwd + k), d)));                        \
            }                                                                                               \
            for (; k < models; ++k) {                                                                       \
                const double d = (c[j] - c[k]) * inv[k];                                                    \
                const double up = d + fwd[k], down = bwd[k] - d;                                            \
                const double v = up > down ? up : down;                                                     \
                tail = tail > v ? tail : v;                                                                 \
            }                                                                                               \
        }                                                                                                   \
        const double vector_best = REDUCE(best);                                                            \
        return vector_best > tail ? vector_best : tail;                                                     \
    }

PRECIPICE_TARGET_AVX2 inline double reduce_max_avx2(__m256d v) {
    const __m128d half = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(half, _mm_unpackhi_pd(half, half)));
}

PRECIPICE_REPLICATE_MAX(replicate_max_avx2, PRECIPICE_TARGET_AVX2, __m256d, 4, _mm256_loadu_pd, _mm256_set1_pd,
                        _mm256_sub_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_max_pd, reduce_max_avx2)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_pd(), which
// -Wmaybe-uninitialized reports once inlined (GCC bug 105593).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
PRECIPICE_REPLICATE_MAX(replicate_max_avx512, PRECIPICE_TARGET_AVX512, __m512d, 8, _mm512_loadu_pd, _mm512_set1_pd,
                        _mm512_sub_pd, _mm512_mul_pd, _mm512_add_pd, _mm512_max_pd, _mm512_reduce_max_pd)
#undef PRECIPICE_REPLICATE_MAX
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

using ReplicateMax = double (*)(const double*, std::int64_t, const std::int64_t*, std::int64_t, const double*,
                                const double*, const double*);

ReplicateMax replicate_max_kernel() noexcept {
#if defined(PRECIPICE_SIMD_DISPATCH)
    switch (simd_level()) {
        case SimdLevel::avx512:
            return replicate_max_avx512;
        case SimdLevel::avx2:
            return replicate_max_avx2;
        case SimdLevel::base:
            break;
    }
#endif
    return replicate_max_base;
}

}  // namespace

void max_studentized_difference(const double* centered, std::int64_t reps, std::int64_t models,
                                const double* inverse_scale, const std::uint8_t* active, int n_threads, double* out) {
    // Inactive directions add -inf, so the inner loop has no branch.
    constexpr double kOff = -std::numeric_limits<double>::infinity();
    std::vector<double> forward(static_cast<std::size_t>(models * models), kOff), backward(forward);
    std::vector<std::int64_t> rows_with_pairs;
    for (std::int64_t j = 0; j < models; ++j) {
        bool any = false;
        for (std::int64_t k = j + 1; k < models; ++k) {
            const auto at = static_cast<std::size_t>(j * models + k);
            if (active[j * models + k] != 0) forward[at] = 0.0;
            if (active[k * models + j] != 0) backward[at] = 0.0;
            any = any || active[j * models + k] != 0 || active[k * models + j] != 0;
        }
        if (any) rows_with_pairs.push_back(j);
    }
    const auto n_rows = static_cast<std::int64_t>(rows_with_pairs.size());
    const ReplicateMax kernel = replicate_max_kernel();
    const double per_replicate = static_cast<double>(n_rows * models) * 0.3;
    parallel_chunks(
        reps, 64, threads_for(per_replicate * static_cast<double>(reps), n_threads), [] { return 0; },
        [&](int, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r)
                out[r] = kernel(centered + r * models, models, rows_with_pairs.data(), n_rows, inverse_scale,
                                forward.data(), backward.data());
        });
}

}  // namespace precipice::leaderboard
