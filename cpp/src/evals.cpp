// Item-level evaluation statistics (see precipice/evals.hpp).
#include "precipice/evals.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "precipice/parallel.hpp"

namespace precipice::evals {

namespace {

// Replicates per parallel chunk: a replicate costs from a few binomial draws to
// n index draws, so chunks are small enough to balance either.
constexpr std::int64_t kChunk = 64;
// Index draws are generated this many at a time into per-thread scratch.
constexpr std::uint32_t kBatch = 1024;

// Rough costs of the two ways to draw a replicate, for choosing a thread count.
constexpr double kNsPerBinomial = 100.0, kNsPerIndexDraw = 4.0;

// Work of a few milliseconds runs on one thread: waking a team costs more than
// it saves there, and on a busy machine one descheduled thread holds up the whole
// call. The results never depend on this choice.
int threads_for(double estimated_ns, int n_threads) noexcept { return estimated_ns < 2e6 ? 1 : n_threads; }

// Replicates per chunk: kChunk, or fewer where a replicate is costly, so that a
// chunk stays at a few milliseconds (the calling thread checks for a stop request
// between chunks). Chunking never changes a result.
std::int64_t chunk_for(double per_replicate_ns) noexcept {
    constexpr double kChunkNs = 5e6;
    const double fit = kChunkNs / std::max(per_replicate_ns, 1.0);
    return fit >= static_cast<double>(kChunk) ? kChunk : std::max<std::int64_t>(1, static_cast<std::int64_t>(fit));
}

}  // namespace

void binomial_draws(std::int64_t trials, double p, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                    int n_threads, std::int64_t* out) {
    parallel_chunks(
        count, 4096, threads_for(static_cast<double>(count) * kNsPerBinomial, n_threads), [] { return 0; },
        [&](int&, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                out[r] = binomial(rng, trials, p);
            }
        });
}

namespace {

// Multinomial(draws, multiplicity / total) by conditional binomials: category k
// gets Binomial(left, multiplicity[k] / (multiplicity of categories k..)).
// Calls take(k, x) for every category drawn with x > 0, in order; stops early
// when take returns false.
template <class Take>
void multinomial_walk(ReplicateStream& rng, const std::int64_t* multiplicity, std::int64_t k_count, std::int64_t total,
                      std::int64_t draws, Take take) {
    std::int64_t left = draws, mass = total;
    for (std::int64_t k = 0; k < k_count && left > 0; ++k) {
        const std::int64_t c = multiplicity[k];
        const std::int64_t x =
            c >= mass ? left : binomial(rng, left, static_cast<double>(c) / static_cast<double>(mass));
        mass -= c;
        left -= x;
        if (x > 0 && !take(k, x)) return;
    }
}

// Calls visit(index) for the `draws` uniform indices of one replicate, batch by batch.
template <class Visit>
void index_walk(ReplicateStream& rng, const BoundedPlan& plan, std::int64_t draws, std::uint32_t* scratch,
                Visit visit) {
    for (std::int64_t done = 0; done < draws;) {
        const auto batch = static_cast<std::uint32_t>(std::min<std::int64_t>(kBatch, draws - done));
        draw_bounded(rng, plan, batch, scratch);
        for (std::uint32_t b = 0; b < batch; ++b) visit(scratch[b]);
        done += batch;
    }
}

// Index-draw sums of rows of a width known at compile time: the sums stay in
// registers (mean: one column; variance: two; binary confusion counts: three or four).
template <int D>
void fixed_width_sums(ReplicateStream& rng, const BoundedPlan& plan, const double* rows, std::int64_t draws,
                      std::uint32_t* scratch, double* sums) {
    double acc[D] = {};
    index_walk(rng, plan, draws, scratch, [&](std::uint32_t i) {
        const double* row = rows + static_cast<std::int64_t>(i) * D;
        for (int j = 0; j < D; ++j) acc[j] += row[j];
    });
    for (int j = 0; j < D; ++j) sums[j] = acc[j];
}

}  // namespace

void resampled_sums(const double* rows, std::int64_t m, std::int64_t d, const std::int64_t* multiplicity,
                    std::int64_t draws, std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads,
                    double* out) {
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    };
    std::int64_t total = 0;
    if (multiplicity != nullptr)
        for (std::int64_t k = 0; k < m; ++k) total += multiplicity[k];
    const BoundedPlan plan(static_cast<std::uint32_t>(m));
    const double per_replicate = multiplicity != nullptr
                                     ? static_cast<double>(m - 1) * kNsPerBinomial + static_cast<double>(m * d)
                                     : static_cast<double>(draws) * (kNsPerIndexDraw + static_cast<double>(d));
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                double* sums = out + r * d;
                std::fill(sums, sums + d, 0.0);
                if (multiplicity != nullptr) {
                    multinomial_walk(rng, multiplicity, m, total, draws, [&](std::int64_t k, std::int64_t x) {
                        const double* row = rows + k * d;
                        const double xd = static_cast<double>(x);
                        for (std::int64_t j = 0; j < d; ++j) sums[j] += xd * row[j];
                        return true;
                    });
                } else if (d == 1) {
                    fixed_width_sums<1>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 2) {
                    fixed_width_sums<2>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 3) {
                    fixed_width_sums<3>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else if (d == 4) {
                    fixed_width_sums<4>(rng, plan, rows, draws, scratch.draws.data(), sums);
                } else {
                    index_walk(rng, plan, draws, scratch.draws.data(), [&](std::uint32_t i) {
                        const double* row = rows + static_cast<std::int64_t>(i) * d;
                        for (std::int64_t j = 0; j < d; ++j) sums[j] += row[j];
                    });
                }
            }
        });
}

void resample_indices(std::int64_t m, std::int64_t draws, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                      std::uint32_t stream, int n_threads, std::int64_t* out) {
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
    };
    const BoundedPlan plan(static_cast<std::uint32_t>(m));
    const double per_replicate = static_cast<double>(draws) * kNsPerIndexDraw;
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), stream);
                std::int64_t* row = out + r * draws;
                index_walk(rng, plan, draws, scratch.draws.data(), [&](std::uint32_t i) { *row++ = i; });
            }
        });
}

void resampled_order_statistic(const double* values, const std::int64_t* multiplicity, std::int64_t k, std::int64_t lo,
                               std::int64_t hi, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                               int n_threads, double* out) {
    std::int64_t n = 0;
    for (std::int64_t j = 0; j < k; ++j) n += multiplicity[j];
    // Few distinct values: walk conditional binomials up the sorted values and
    // stop at rank hi. Many: draw the n items and count them per value.
    const bool by_binomials = k * 32 <= n;
    std::vector<std::uint32_t> category;
    if (!by_binomials) {
        category.resize(static_cast<std::size_t>(n));
        std::size_t pos = 0;
        for (std::int64_t j = 0; j < k; ++j)
            for (std::int64_t c = 0; c < multiplicity[j]; ++c) category[pos++] = static_cast<std::uint32_t>(j);
    }
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
        std::vector<std::int64_t> counts;
    };
    const BoundedPlan plan(static_cast<std::uint32_t>(by_binomials ? 1 : n));
    const double per_replicate = by_binomials ? static_cast<double>(k) * kNsPerBinomial
                                              : static_cast<double>(n) * kNsPerIndexDraw + static_cast<double>(k);
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] {
            Scratch scratch;
            scratch.counts.resize(static_cast<std::size_t>(k));
            return scratch;
        },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                double lo_value = 0.0, hi_value = 0.0;
                std::int64_t below = 0;  // resampled items at values before the current one
                auto take = [&](std::int64_t j, std::int64_t x) {
                    if (below <= lo && lo < below + x) lo_value = values[j];
                    below += x;
                    if (hi < below) {
                        hi_value = values[j];
                        return false;
                    }
                    return true;
                };
                if (by_binomials) {
                    multinomial_walk(rng, multiplicity, k, n, n, take);
                } else {
                    auto& counts = scratch.counts;
                    std::fill(counts.begin(), counts.end(), 0);
                    index_walk(rng, plan, n, scratch.draws.data(), [&](std::uint32_t i) { ++counts[category[i]]; });
                    for (std::int64_t j = 0; j < k; ++j)
                        if (counts[j] > 0 && !take(j, counts[j])) break;
                }
                out[r] = 0.5 * (lo_value + hi_value);
            }
        });
}

}  // namespace precipice::evals

namespace precipice::evals {

namespace {

// The swap bits of permutation `index`, 32 items per word, into words[0 .. ceil(n / 32)).
void swap_mask(bool exact, std::uint64_t seed, std::uint64_t index, std::int64_t n, std::uint32_t* words) {
    const std::int64_t n_words = (n + 31) / 32;
    if (exact) {
        // Items past bit 63 are never swapped: index 0 is the observed assignment for any n.
        std::fill(words, words + n_words, 0u);
        words[0] = static_cast<std::uint32_t>(index);
        if (n_words > 1) words[1] = static_cast<std::uint32_t>(index >> 32);
        return;
    }
    ReplicateStream rng(seed, index, 0);
    for (std::int64_t w = 0; w < n_words; ++w) words[w] = rng.next();
}

// All ones when item i is swapped, else zero. The swaps are fair coins, which no
// branch predictor learns: the picks below select by mask, not by branch.
inline std::uint64_t swap_bits(const std::uint32_t* words, std::int64_t i) noexcept {
    return std::uint64_t{0} - ((words[i >> 5] >> (i & 31)) & 1u);
}

// `take` where mask is all ones, else `keep`, bit for bit.
inline double pick(double keep, double take, std::uint64_t mask) noexcept {
    std::uint64_t k, t;
    std::memcpy(&k, &keep, sizeof k);
    std::memcpy(&t, &take, sizeof t);
    const std::uint64_t bits = (k & ~mask) | (t & mask);
    double out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}

// Up to this many numbers (items x columns), the swapped sums read a table of
// the 16 sums of every group of 4 items (32 bytes per number: 1 MiB,
// cache-resident): one lookup per system and group instead of 4 picks and adds
// per column. Past it the table would stream from memory on every permutation;
// the sums are picked item by item instead. The choice depends on the shape
// alone, so one kernel call and the next (the observed assignment, then the
// permutations) sum alike.
constexpr std::int64_t kGroupTableValues = std::int64_t{1} << 15;

// table[(16 g + m) d + j]: column j's sum over items 4g .. 4g + 3 (in that
// order) of b where bit l of m is set, else a. Mask m ^ 15 picks the other
// system's values in the same order: the permuted b of a group, exactly.
std::vector<double> group_table(const double* a, const double* b, std::int64_t n, std::int64_t d) {
    const std::int64_t groups = (n + 3) / 4;
    std::vector<double> table(static_cast<std::size_t>(groups * 16 * d));
    for (std::int64_t g = 0; g < groups; ++g)
        for (std::uint32_t m = 0; m < 16; ++m)
            for (std::int64_t j = 0; j < d; ++j) {
                double sum = 0.0;
                for (std::int64_t l = 0; l < 4 && 4 * g + l < n; ++l)
                    sum += (((m >> l) & 1u) ? b : a)[(4 * g + l) * d + j];
                table[static_cast<std::size_t>((16 * g + m) * d + j)] = sum;
            }
    return table;
}

// The swapped sums of D columns by groups of 4 items from the table. One
// column gets four partial sums (groups g % 4, the tail in the first) to break
// the chain of dependent additions; wider rows have their columns for that.
template <int D>
void grouped_swapped_sums(const double* table, std::int64_t n, const std::uint32_t* words, double* sum_a,
                          double* sum_b) {
    constexpr int kLanes = D == 1 ? 4 : 1;
    const std::int64_t groups = (n + 3) / 4;
    double pa[kLanes][D] = {}, pb[kLanes][D] = {};
    auto add = [&](int lane, std::int64_t g) {
        const std::uint32_t m = (words[g >> 3] >> (4 * (g & 7))) & 15u;
        const double* to_a = table + (16 * g + m) * D;
        const double* to_b = table + (16 * g + (m ^ 15u)) * D;
        for (int j = 0; j < D; ++j) {
            pa[lane][j] += to_a[j];
            pb[lane][j] += to_b[j];
        }
    };
    std::int64_t g = 0;
    for (; g + kLanes <= groups; g += kLanes)
        for (int lane = 0; lane < kLanes; ++lane) add(lane, g + lane);
    for (; g < groups; ++g) add(0, g);
    for (int j = 0; j < D; ++j) {
        double total_a = pa[0][j], total_b = pb[0][j];
        if constexpr (kLanes == 4) {
            total_a = (pa[0][j] + pa[1][j]) + (pa[2][j] + pa[3][j]);
            total_b = (pb[0][j] + pb[1][j]) + (pb[2][j] + pb[3][j]);
        }
        sum_a[j] = total_a;
        sum_b[j] = total_b;
    }
}

// The swapped sums of one column, item by item, with four partial sums as above.
void one_column_swapped_sums(const double* a, const double* b, std::int64_t n, const std::uint32_t* words,
                             double* sum_a, double* sum_b) {
    constexpr int kLanes = 4;
    double pa[kLanes] = {}, pb[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int lane = 0; lane < kLanes; ++lane) {
            const std::uint64_t mask = swap_bits(words, i + lane);
            pa[lane] += pick(a[i + lane], b[i + lane], mask);
            pb[lane] += pick(b[i + lane], a[i + lane], mask);
        }
    for (; i < n; ++i) {
        const std::uint64_t mask = swap_bits(words, i);
        pa[0] += pick(a[i], b[i], mask);
        pb[0] += pick(b[i], a[i], mask);
    }
    *sum_a = (pa[0] + pa[1]) + (pa[2] + pa[3]);
    *sum_b = (pb[0] + pb[1]) + (pb[2] + pb[3]);
}

// The swapped sums of D columns, kept in registers (a ratio's numerator and
// denominator; confusion counts).
template <int D>
void fixed_width_swapped_sums(const double* a, const double* b, std::int64_t n, const std::uint32_t* words,
                              double* sum_a, double* sum_b) {
    double pa[D] = {}, pb[D] = {};
    for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t mask = swap_bits(words, i);
        for (int j = 0; j < D; ++j) {
            pa[j] += pick(a[i * D + j], b[i * D + j], mask);
            pb[j] += pick(b[i * D + j], a[i * D + j], mask);
        }
    }
    for (int j = 0; j < D; ++j) {
        sum_a[j] = pa[j];
        sum_b[j] = pb[j];
    }
}

// numpy's median of v[0 .. n), reordering v.
double median_in_place(double* v, std::int64_t n) {
    double* mid = v + n / 2;
    std::nth_element(v, mid, v + n);
    if (n % 2 == 1) return *mid;
    const double below = *std::max_element(v, mid);
    return (below + *mid) / 2.0;
}

}  // namespace

void permuted_sums(const double* a, const double* b, std::int64_t n, std::int64_t d, bool exact, std::uint64_t seed,
                   std::uint64_t first, std::int64_t count, int n_threads, double* out) {
    const bool grouped = d <= 4 && n * d <= kGroupTableValues;
    const std::vector<double> table = grouped ? group_table(a, b, n, d) : std::vector<double>();
    const double per_replicate =
        static_cast<double>(n) * (grouped ? 0.5 * static_cast<double>(d) : 1.0 + 2.0 * static_cast<double>(d));
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] { return std::vector<std::uint32_t>(static_cast<std::size_t>((n + 31) / 32)); },
        [&](std::vector<std::uint32_t>& words, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                swap_mask(exact, seed, first + static_cast<std::uint64_t>(r), n, words.data());
                double* sum_a = out + r * 2 * d;
                double* sum_b = sum_a + d;
                if (grouped) {
                    if (d == 1) grouped_swapped_sums<1>(table.data(), n, words.data(), sum_a, sum_b);
                    if (d == 2) grouped_swapped_sums<2>(table.data(), n, words.data(), sum_a, sum_b);
                    if (d == 3) grouped_swapped_sums<3>(table.data(), n, words.data(), sum_a, sum_b);
                    if (d == 4) grouped_swapped_sums<4>(table.data(), n, words.data(), sum_a, sum_b);
                } else if (d == 1) {
                    one_column_swapped_sums(a, b, n, words.data(), sum_a, sum_b);
                } else if (d == 2) {
                    fixed_width_swapped_sums<2>(a, b, n, words.data(), sum_a, sum_b);
                } else if (d == 3) {
                    fixed_width_swapped_sums<3>(a, b, n, words.data(), sum_a, sum_b);
                } else if (d == 4) {
                    fixed_width_swapped_sums<4>(a, b, n, words.data(), sum_a, sum_b);
                } else {
                    std::fill(sum_a, sum_a + 2 * d, 0.0);
                    for (std::int64_t i = 0; i < n; ++i) {
                        const std::uint64_t mask = swap_bits(words.data(), i);
                        const double* item_a = a + i * d;
                        const double* item_b = b + i * d;
                        for (std::int64_t j = 0; j < d; ++j) {
                            sum_a[j] += pick(item_a[j], item_b[j], mask);
                            sum_b[j] += pick(item_b[j], item_a[j], mask);
                        }
                    }
                }
            }
        });
}

void permuted_medians(const double* a, const double* b, std::int64_t n, bool exact, std::uint64_t seed,
                      std::uint64_t first, std::int64_t count, int n_threads, double* out) {
    struct Scratch {
        std::vector<std::uint32_t> words;
        std::vector<double> pa, pb;
    };
    // nth_element: a few passes over the items per system.
    const double per_replicate = static_cast<double>(n) * 12.0;
    parallel_chunks(
        count, chunk_for(per_replicate), threads_for(per_replicate * static_cast<double>(count), n_threads),
        [&] {
            Scratch scratch;
            scratch.words.resize(static_cast<std::size_t>((n + 31) / 32));
            scratch.pa.resize(static_cast<std::size_t>(n));
            scratch.pb.resize(static_cast<std::size_t>(n));
            return scratch;
        },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) {
                swap_mask(exact, seed, first + static_cast<std::uint64_t>(r), n, scratch.words.data());
                for (std::int64_t i = 0; i < n; ++i) {
                    const std::uint64_t mask = swap_bits(scratch.words.data(), i);
                    scratch.pa[i] = pick(a[i], b[i], mask);
                    scratch.pb[i] = pick(b[i], a[i], mask);
                }
                out[2 * r] = median_in_place(scratch.pa.data(), n);
                out[2 * r + 1] = median_in_place(scratch.pb.data(), n);
            }
        });
}

}  // namespace precipice::evals
