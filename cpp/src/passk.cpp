// pass@k-family estimators (see precipice/passk.hpp).
#include "precipice/passk.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "precipice/parallel.hpp"
#include "precipice/random/bounded.hpp"

namespace precipice::passk {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093454835606594728112;
// A tail sum stops once a term adds less than this share of the sum: the terms
// only shrink from there (we always walk away from the mode), so the rest of the
// tail is far below one rounding of the sum.
constexpr double kNegligible = 1e-18;
// Problems per parallel chunk: enough work per chunk to amortise the scheduling.
constexpr std::int64_t kChunk = 512;
// -expm1(s) is exactly 1.0 in double once s < -40 (e^-40 = 4e-18 is under half an
// ulp of 1), and exp(s) is exactly 0 once s < -750: a product of ratios feeding
// either can stop there with the same result.
constexpr double kOneFloor = -40.0;
constexpr double kZeroFloor = -750.0;
// Above this k an estimator's cost per problem (a product or a sum over up to k
// terms) reaches milliseconds: loops over such problems check for a stop request
// per problem, cheaper ones only between chunks.
constexpr std::int64_t kCostlyK = 4096;

// Sum with Neumaier's compensation: the error stays a few ulp of the result
// whatever the number of terms (pass@k sums up to min(c, k) logarithms).
struct CompensatedSum {
    double sum = 0.0, carry = 0.0;
    void add(double x) noexcept {
        const double t = sum + x;
        carry += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }
    double value() const noexcept { return sum + carry; }
};

// log(n!) - log(sqrt(2 pi n) (n/e)^n), exact to double precision: a table for
// small n (where the series converges slowly), else the Stirling series.
double stirling_error(double n) noexcept {
    static constexpr double kTable[17] = {
        0.0,
        8.10614667953272582197e-2,
        4.13406959554092940938e-2,
        2.76779256849983391488e-2,
        2.07906721037650931115e-2,
        1.66446911898211921632e-2,
        1.38761288230707479987e-2,
        1.18967099458917700951e-2,
        1.04112652619720964975e-2,
        9.25546218271273291773e-3,
        8.33056343336287125647e-3,
        7.57367548795184079497e-3,
        6.94284010720952986566e-3,
        6.40899418800420706844e-3,
        5.95137011275884773562e-3,
        5.55473355196280137104e-3,
        5.20765591960964044072e-3,
    };
    constexpr double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
    if (n <= 16.0) return kTable[static_cast<int>(n)];  // the callers pass whole numbers
    const double nn = n * n;
    if (n > 500) return (s0 - s1 / nn) / n;
    if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
    if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

// x log(x / m) + m - x without the cancellation of its two halves when x ~ m
// (Loader 2000, "Fast and accurate computation of binomial probabilities").
double deviance(double x, double m) noexcept {
    if (std::fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double term = 2.0 * x * v;
        v *= v;
        for (int j = 1; j < 1000; ++j) {
            term *= v;
            const double next = s + term / (2 * j + 1);
            if (next == s) return next;
            s = next;
        }
        return s;
    }
    return x * std::log(x / m) + m - x;
}

// Which side of the hypergeometric support a probability sits on.
struct Support {
    std::int64_t lo, hi;
};

Support support_of(std::int64_t n, std::int64_t c, std::int64_t k) noexcept {
    return {std::max<std::int64_t>(0, k - (n - c)), std::min(c, k)};
}

// P(X = x) at an end of the support is a single product of ratios (all k draws
// from one kind of sample, or all of one kind drawn): exact to a few ulp in
// relative terms, even when it is 1 - 1e-15.
double log_pmf_at_end(std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t x, Support s,
                      double floor = -1000.0) noexcept {
    if (x == s.lo) {
        return s.lo == 0 ? log_choose_ratio(n, c, k, floor)           // no success drawn
                         : log_choose_ratio(n, n - k, n - c, floor);  // every failure drawn
    }
    return s.hi == k ? log_choose_ratio(n, n - c, k, floor)   // every draw a success
                     : log_choose_ratio(n, n - k, c, floor);  // every success drawn
}

// log(1 - a/big) for integers 0 <= a < big < 2^53, to about 2 ulp of the result:
// log1p(-a/big) while a/big <= 1/2; above, the log of the exact ratio (big-a)/big,
// since 1 - a/big would turn the rounding of a/big into a large relative error
// of a factor near 0 (and of the log-sum it joins).
inline double log_one_minus(double a, double big) noexcept {
    return 2.0 * a <= big ? std::log1p(-a / big) : std::log((big - a) / big);
}

}  // namespace

double log_choose_ratio(std::int64_t n, std::int64_t a, std::int64_t t, double floor) noexcept {
    if (a < t) std::swap(a, t);  // C(n-a, t)/C(n, t) is symmetric in a and t: t factors, the fewer
    if (a <= 0 || t <= 0) return 0.0;
    if (a > n - t) return -kInf;  // C(n-a, t) = 0
    CompensatedSum sum;
    std::int64_t j = 0;
    // Two factors at a time: (A-a)(A-a-1)/(A(A-1)) = 1 - a(2A-a-1)/(A(A-1)) with
    // A = n - j has exact integer numerators and denominator while A^2 < 2^53, so
    // one log covers two factors at the cost of one rounding: log1p of the
    // complement while that is at most 1/2, else the log of the ratio itself.
    if (n < (std::int64_t{1} << 26)) {
        for (; j + 1 < t; j += 2) {
            const std::int64_t big = n - j;
            const std::int64_t num = a * (2 * big - a - 1);
            const std::int64_t den = big * (big - 1);
            const double dd = static_cast<double>(den);
            sum.add(2 * num <= den ? std::log1p(-static_cast<double>(num) / dd)
                                   : std::log(static_cast<double>((big - a) * (big - a - 1)) / dd));
            if (sum.sum < floor) return sum.sum;
        }
    }
    for (; j < t; ++j) {
        sum.add(log_one_minus(static_cast<double>(a), static_cast<double>(n - j)));
        if (sum.sum < floor) return sum.sum;
    }
    return sum.value();
}

void pass_at_k_by_count(std::int64_t n, std::int64_t k, std::int64_t c_hi, double* out) noexcept {
    // Beyond c = n - k no k-subset misses every correct sample: pass@k = 1.
    const std::int64_t last = std::min(c_hi, n - k);
    const double kd = static_cast<double>(k);
    CompensatedSum s;  // s(c) = log C(n-c, k)/C(n, k)
    std::int64_t c = 0;
    out[c++] = 0.0;
    for (; c <= last; ++c) {
        s.add(log_one_minus(kd, static_cast<double>(n - c + 1)));  // the factor of i = c - 1
        if (s.sum < kOneFloor) break;                              // this pass@k and every later one is 1.0
        out[c] = -std::expm1(s.value());
    }
    for (; c <= c_hi; ++c) out[c] = 1.0;
}

void pass_hat_k_by_count(std::int64_t n, std::int64_t k, std::int64_t c_lo, double* out) noexcept {
    // Below c = k no k-subset is all correct: pass^k = 0.
    const std::int64_t first = std::max(c_lo, k);
    const double kd = static_cast<double>(k);
    double* at = out - c_lo;  // at[c] = pass^k at c
    CompensatedSum h;         // h(c) = log C(c, k)/C(n, k)
    std::int64_t c = n;
    at[c--] = 1.0;
    for (; c >= first; --c) {
        h.add(log_one_minus(kd, static_cast<double>(c + 1)));  // the factor of i = c + 1
        if (h.sum < kZeroFloor) break;                         // this pass^k and every smaller one is 0
        at[c] = std::exp(h.value());
    }
    for (; c >= c_lo; --c) at[c] = 0.0;
}

double log_binom_pmf(double x, double size, double p, double q) noexcept {
    if (x < 0 || x > size) return -kInf;
    if (p == 0) return x == 0 ? 0.0 : -kInf;
    if (q == 0) return x == size ? 0.0 : -kInf;
    if (x == 0) {
        if (size == 0) return 0.0;
        return p < 0.1 ? -deviance(size, size * q) - size * p : size * std::log(q);
    }
    if (x == size) return q < 0.1 ? -deviance(size, size * p) - size * q : size * std::log(p);
    const double lc = stirling_error(size) - stirling_error(x) - stirling_error(size - x) - deviance(x, size * p) -
                      deviance(size - x, size * q);
    const double lf = kLog2Pi + std::log(x) + std::log1p(-x / size);
    return lc - 0.5 * lf;
}

double log_hypergeom_pmf(std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t x) noexcept {
    const Support s = support_of(n, c, k);
    if (k > n || x < s.lo || x > s.hi) return -kInf;
    if (x == s.lo || x == s.hi) return log_pmf_at_end(n, c, k, x, s);
    // Interior: the ratio of three binomial pmfs at p = k/n (R's dhyper), each in
    // Loader's form, so no term is the difference of large log-factorials.
    const double p = static_cast<double>(k) / static_cast<double>(n);
    const double q = static_cast<double>(n - k) / static_cast<double>(n);
    const auto d = [](std::int64_t v) { return static_cast<double>(v); };
    return log_binom_pmf(d(x), d(c), p, q) + log_binom_pmf(d(k - x), d(n - c), p, q) - log_binom_pmf(d(k), d(n), p, q);
}

double hypergeom_tail(std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t m) noexcept {
    if (k > n) return kNaN;
    const Support s = support_of(n, c, k);
    if (m <= s.lo) return 1.0;
    if (m > s.hi) return 0.0;
    // The complement of the lowest point (pass@k) and the highest point alone
    // (pass^k) are single products: no sum, no anchor.
    if (m == s.lo + 1) return -std::expm1(log_pmf_at_end(n, c, k, s.lo, s, kOneFloor));
    if (m == s.hi) return std::exp(log_pmf_at_end(n, c, k, s.hi, s, kZeroFloor));

    const double nd = static_cast<double>(n), cd = static_cast<double>(c), kd = static_cast<double>(k);
    const double gap = nd - cd - kd;  // n - c - k, may be negative
    const auto mode = static_cast<std::int64_t>(std::floor((kd + 1.0) * (cd + 1.0) / (nd + 2.0)));
    if (m > mode) {
        // Upper tail, summed outward from m: every term is positive, so the sum
        // keeps the relative accuracy of its anchor however small it is.
        double rel = 1.0, term = 1.0;
        for (std::int64_t x = m; x < s.hi; ++x) {
            const double xd = static_cast<double>(x);
            term *= ((cd - xd) * (kd - xd)) / ((xd + 1.0) * (gap + xd + 1.0));
            rel += term;
            if (term < rel * kNegligible) break;
        }
        return std::exp(log_hypergeom_pmf(n, c, k, m) + std::log(rel));
    }
    // Lower tail below m, summed downward from m - 1, then complemented in log
    // space: m <= mode leaves at least about half the mass above, so 1 - L is
    // never the difference of two numbers near 1.
    double extra = 0.0, term = 1.0;
    for (std::int64_t x = m - 1; x > s.lo; --x) {
        const double xd = static_cast<double>(x);
        term *= (xd * (gap + xd)) / ((cd - xd + 1.0) * (kd - xd + 1.0));
        extra += term;
        if (term < (1.0 + extra) * kNegligible) break;
    }
    return -std::expm1(log_hypergeom_pmf(n, c, k, m - 1) + std::log1p(extra));
}

double pass_at_k_variance(std::int64_t n, std::int64_t c, std::int64_t k) noexcept {
    if (2 * k > n) return kNaN;
    if (c == 0 || n - c < k) return 0.0;  // the estimate is 0, resp. 1, with certainty
    // r_j = C(n-c, j)/C(n, j) estimates (1-p)^j without bias, so r_k^2 - r_2k is
    // an unbiased estimate of Var[1 - r_k] = E[r_k^2] - (1-p)^2k.
    const double log_rk = log_choose_ratio(n, c, k);
    if (n - c < 2 * k) return std::exp(2.0 * log_rk);  // r_2k = 0
    // r_2k / r_k^2 = prod_{i<k} (n-c-k-i)(n-i) / ((n-k-i)(n-c-i))
    //              = prod_{i<k} (1 - ck / ((n-k-i)(n-c-i))): exact integer parts,
    // so a variance far below r_k^2 keeps its digits.
    CompensatedSum delta;
    const double ck = static_cast<double>(c) * static_cast<double>(k);
    for (std::int64_t i = 0; i < k; ++i) {
        const double den = static_cast<double>(n - k - i) * static_cast<double>(n - c - i);
        delta.add(std::log1p(-ck / den));
        if (delta.sum < -1000.0) break;
    }
    return std::exp(2.0 * log_rk) * -std::expm1(delta.value());
}

namespace {

// ----------------------------------------------------------------- count tables

// A table over c = 0..n is built for an n only when at least (n + 1) / kTableShare
// problems have that n: its marks, its tables and their lookups then cost a few
// operations per problem at most.
constexpr std::int64_t kTableShare = 8;
// TableMode::always builds tables for n up to this (the memory is n + 1 doubles).
constexpr std::int64_t kMaxAlwaysN = std::int64_t{1} << 26;
// c values per parallel work item of a memo table.
constexpr std::int64_t kMemoBlock = 32;
// Lookups below which a gather from the tables runs on one thread, and table
// entries (weighted by their cost) below which the tables are built on one.
constexpr std::int64_t kParallelLookups = std::int64_t{1} << 20;
constexpr double kParallelWork = 65536.0;

// The problems that share one n: how many, the range of their c, and which c occur.
struct CountGroup {
    std::int64_t n = 0, problems = 0, c_lo = 0, c_hi = 0;
    std::vector<std::uint8_t> present;  // present[c], c = 0..n: 1 where some problem has c
};

struct CountGroups {
    std::int64_t n_lo = 0;
    std::vector<std::int32_t> slot;  // slot[n - n_lo]: index into groups, -1 for none
    std::vector<CountGroup> groups;
    std::int32_t of(std::int64_t n) const noexcept {
        return slot.empty() ? -1 : slot[static_cast<std::size_t>(n - n_lo)];
    }
};

// Smallest and largest of values[0..size) (size >= 1), branch-free so it vectorises.
void min_max(const std::int64_t* values, std::int64_t size, std::int64_t& lo, std::int64_t& hi) noexcept {
    std::int64_t l = values[0], h = values[0];
    for (std::int64_t i = 1; i < size; ++i) {
        l = std::min(l, values[i]);
        h = std::max(h, values[i]);
    }
    lo = l;
    hi = h;
}

CountGroups group_by_n(const std::int64_t* n, std::int64_t n_stride, const std::int64_t* c, std::int64_t problems,
                       TableMode mode) {
    CountGroups out;
    if (mode == TableMode::never || problems == 0) return out;
    std::int64_t lo = n[0], hi = n[0];
    if (n_stride != 0) min_max(n, problems, lo, hi);
    const std::int64_t range = hi - lo + 1;
    // Many n spread wide: no group would be large enough to pay for its table.
    if (range > 2 * problems + 1024) return out;
    std::vector<std::int64_t> count(static_cast<std::size_t>(range), 0);
    if (n_stride == 0)
        count[0] = problems;
    else
        for (std::int64_t p = 0; p < problems; ++p) ++count[static_cast<std::size_t>(n[p] - lo)];
    out.n_lo = lo;
    out.slot.assign(static_cast<std::size_t>(range), -1);
    for (std::int64_t i = 0; i < range; ++i) {
        const std::int64_t nn = lo + i, many = count[static_cast<std::size_t>(i)];
        const bool eligible =
            mode == TableMode::always ? many > 0 && nn <= kMaxAlwaysN : many > 0 && nn + 1 <= kTableShare * many;
        if (!eligible) continue;
        out.slot[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(out.groups.size());
        CountGroup g;
        g.n = nn;
        g.c_lo = nn;
        g.problems = many;
        g.present.assign(static_cast<std::size_t>(nn + 1), 0);
        out.groups.push_back(std::move(g));
    }
    if (out.groups.empty()) {
        out.slot.clear();
        return out;
    }
    if (n_stride == 0) {  // one group: plain stores, then a vectorised min/max
        CountGroup& g = out.groups[0];
        std::uint8_t* present = g.present.data();
        for (std::int64_t p = 0; p < problems; ++p) present[c[p]] = 1;
        min_max(c, problems, g.c_lo, g.c_hi);
        return out;
    }
    for (std::int64_t p = 0; p < problems; ++p) {
        const std::int32_t gi = out.slot[static_cast<std::size_t>(n[p] - lo)];
        if (gi < 0) continue;
        CountGroup& g = out.groups[static_cast<std::size_t>(gi)];
        g.present[static_cast<std::size_t>(c[p])] = 1;
        g.c_lo = std::min(g.c_lo, c[p]);
        g.c_hi = std::max(g.c_hi, c[p]);
    }
    return out;
}

// How a column's values for one group are found.
enum class TableKind {
    direct,    // per problem (no table)
    memo,      // the per-problem function at every c present, each computed once
    pass_at,   // pass_at_k_by_count
    pass_hat,  // pass_hat_k_by_count
};

// Rough costs, in logarithms, that choose between a running-sum table and a memo
// of the per-problem products. A product of t ratios taken two at a time, stopped
// at `floor`, costs about min(t, |floor| n / max(a, t)) / 2 logs. The choice looks
// at the counts only, never at the thread count: the two differ in the last bits,
// and a result must not depend on n_threads.
double product_cost(std::int64_t n, std::int64_t a, std::int64_t t, double floor) noexcept {
    const double terms = std::min<double>(static_cast<double>(std::min(a, t)),
                                          -floor * static_cast<double>(n) / static_cast<double>(std::max(a, t)) + 2.0);
    return 0.5 * terms + 2.0;
}

double memo_cost(const CountGroup& g, std::int64_t k, bool hat) noexcept {
    double total = 0.0;
    for (std::int64_t c = g.c_lo; c <= g.c_hi; ++c) {
        if (g.present[static_cast<std::size_t>(c)] == 0) continue;
        if (!hat)
            total += c == 0 || c > g.n - k ? 1.0 : product_cost(g.n, c, k, kOneFloor);
        else
            total += c < k || c == g.n ? 1.0 : product_cost(g.n, g.n - c, k, kZeroFloor);
    }
    return total;
}

double running_cost(const CountGroup& g, std::int64_t k, bool hat) noexcept {
    const double nd = static_cast<double>(g.n), kd = static_cast<double>(k);
    // The running sum walks from c = n down (pass^k) or from c = 0 up (pass@k) to the
    // last c present or the floor, whichever comes first.
    const double span = static_cast<double>(hat ? g.n - std::max(g.c_lo, k) : std::min(g.c_hi, g.n - k));
    const double steps = std::min(span, (hat ? -kZeroFloor : -kOneFloor) * nd / kd + 2.0);
    return 2.0 * std::max(steps, 0.0) + 2.0;
}

TableKind pass_table_kind(const CountGroup& g, std::int64_t k, bool hat, TableMode mode) noexcept {
    const TableKind running = hat ? TableKind::pass_hat : TableKind::pass_at;
    if (mode == TableMode::always) return running;
    return running_cost(g, k, hat) <= memo_cost(g, k, hat) ? running : TableKind::memo;
}

// out[p * columns + j] = eval(n[p * n_stride], c[p], j), through count tables where
// plan(group, j) asks for one: tables are built first (in parallel, one work item
// per running-sum table or per block of a memo), then every problem is a lookup.
template <class Plan, class Eval>
void by_count(const std::int64_t* n, std::int64_t n_stride, const std::int64_t* c, std::int64_t problems,
              const std::int64_t* k, std::int64_t columns, int n_threads, TableMode mode, double* out, Plan plan,
              Eval eval) {
    const CountGroups groups = group_by_n(n, n_stride, c, problems, mode);
    const bool costly = columns > 0 && *std::max_element(k, k + columns) > kCostlyK;

    struct Table {
        TableKind kind;
        const CountGroup* group;
        std::int64_t column;
        std::vector<double> values;  // values[c]
    };
    struct Item {
        std::size_t table;
        std::int64_t begin, end;  // c range (memo)
    };
    std::vector<Table> tables;
    std::vector<Item> items;
    std::vector<const double*> lookup(groups.groups.size() * static_cast<std::size_t>(columns), nullptr);
    tables.reserve(lookup.size());
    double work = 0.0;  // entries to compute, a memo entry weighted by its k
    for (const CountGroup& g : groups.groups)
        for (std::int64_t j = 0; j < columns; ++j) {
            const TableKind kind = plan(g, j);
            if (kind == TableKind::direct) continue;
            tables.push_back(Table{kind, &g, j, std::vector<double>(static_cast<std::size_t>(g.n + 1))});
            const std::size_t t = tables.size() - 1;
            if (kind == TableKind::memo) {
                for (std::int64_t b = g.c_lo; b <= g.c_hi; b += kMemoBlock)
                    items.push_back(Item{t, b, std::min(b + kMemoBlock, g.c_hi + 1)});
                work += static_cast<double>(g.c_hi - g.c_lo + 1) * static_cast<double>(1 + std::min(k[j], g.n));
            } else {
                items.push_back(Item{t, 0, 0});
                work += static_cast<double>(g.n + 1);
            }
        }
    // A few thousand logs take microseconds: threads would only add their start-up.
    parallel_chunks(
        static_cast<std::int64_t>(items.size()), 1, work < kParallelWork ? 1 : n_threads, [] { return 0; },
        [&](int, std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const Item& item = items[static_cast<std::size_t>(i)];
                Table& table = tables[item.table];
                const CountGroup& g = *table.group;
                double* values = table.values.data();
                const std::int64_t kj = k[table.column];
                switch (table.kind) {
                    case TableKind::pass_at:
                        pass_at_k_by_count(g.n, kj, g.c_hi, values);
                        break;
                    case TableKind::pass_hat:
                        pass_hat_k_by_count(g.n, kj, g.c_lo, values + g.c_lo);
                        break;
                    default:
                        for (std::int64_t cc = item.begin; cc < item.end; ++cc)
                            if (g.present[static_cast<std::size_t>(cc)] != 0) {
                                if (costly) interruption_point();
                                values[cc] = eval(g.n, cc, table.column);
                            }
                }
            }
        });
    bool lookups_only = true;  // every problem in a group, every column of every group a table
    std::int64_t grouped = 0;
    for (const CountGroup& g : groups.groups) grouped += g.problems;
    if (grouped < problems) lookups_only = false;
    for (const Table& table : tables) {
        const auto gi = static_cast<std::size_t>(table.group - groups.groups.data());
        lookup[gi * static_cast<std::size_t>(columns) + static_cast<std::size_t>(table.column)] = table.values.data();
    }
    for (const double* values : lookup) lookups_only = lookups_only && values != nullptr;
    if (lookups_only && groups.groups.size() == 1) {
        // The usual case (one n, every column tabled): a gather, memory-bound, so
        // below a million lookups more threads only add their start-up.
        const int threads = problems * columns < kParallelLookups ? 1 : n_threads;
        const double* const* row = lookup.data();
        parallel_chunks(
            problems, kChunk * 16, threads, [] { return 0; },
            [&](int, std::int64_t begin, std::int64_t end) {
                if (columns == 1) {
                    const double* values = row[0];
                    for (std::int64_t p = begin; p < end; ++p) out[p] = values[c[p]];
                    return;
                }
                for (std::int64_t p = begin; p < end; ++p)
                    for (std::int64_t j = 0; j < columns; ++j) out[p * columns + j] = row[j][c[p]];
            });
        return;
    }
    parallel_chunks(
        problems, kChunk, n_threads, [] { return 0; },
        [&](int, std::int64_t begin, std::int64_t end) {
            for (std::int64_t p = begin; p < end; ++p) {
                if (costly) interruption_point();
                const std::int64_t np = n[p * n_stride];
                const std::int32_t gi = groups.of(np);
                const double* const* row =
                    gi < 0 ? nullptr : &lookup[static_cast<std::size_t>(gi) * static_cast<std::size_t>(columns)];
                for (std::int64_t j = 0; j < columns; ++j) {
                    const double* values = row == nullptr ? nullptr : row[j];
                    out[p * columns + j] = values != nullptr ? values[c[p]] : eval(np, c[p], j);
                }
            }
        });
}

}  // namespace

void tail_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                const std::int64_t* thresholds, std::int64_t columns, int n_threads, double* out, TableMode tables,
                std::int64_t n_stride) {
    by_count(
        n, n_stride, c, problems, k, columns, n_threads, tables, out,
        [&](const CountGroup& g, std::int64_t j) {
            const std::int64_t kj = k[j], m = thresholds[j];
            // NaN (k > n), 1 (m <= 0) and 0 (m > k) cost nothing per problem.
            if (kj > g.n || m <= 0 || m > kj) return TableKind::direct;
            if (m == 1) return pass_table_kind(g, kj, false, tables);
            if (m == kj) return pass_table_kind(g, kj, true, tables);
            return TableKind::memo;
        },
        [&](std::int64_t nn, std::int64_t cc, std::int64_t j) { return hypergeom_tail(nn, cc, k[j], thresholds[j]); });
}

void mg_pass_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                   std::int64_t columns, int n_threads, double* out, TableMode tables, std::int64_t n_stride) {
    by_count(
        n, n_stride, c, problems, k, columns, n_threads, tables, out,
        [&](const CountGroup& g, std::int64_t j) { return k[j] > g.n ? TableKind::direct : TableKind::memo; },
        [&](std::int64_t nn, std::int64_t cc, std::int64_t j) {
            const std::int64_t kj = k[j];
            if (kj > nn) return kNaN;
            double sum = 0.0;
            // Largest thresholds first: the small tails are added before the large ones.
            // About k/2 tails of up to sqrt(k) terms each: seconds for k in the millions.
            for (std::int64_t m = kj; m >= (kj + 1) / 2 + 1; --m) {
                if ((m & 63) == 0) interruption_point();
                sum += hypergeom_tail(nn, cc, kj, m);
            }
            return 2.0 * sum / static_cast<double>(kj);
        });
}

void variance_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                    std::int64_t columns, int n_threads, double* out, TableMode tables, std::int64_t n_stride) {
    by_count(
        n, n_stride, c, problems, k, columns, n_threads, tables, out,
        [&](const CountGroup& g, std::int64_t j) { return 2 * k[j] > g.n ? TableKind::direct : TableKind::memo; },
        [&](std::int64_t nn, std::int64_t cc, std::int64_t j) { return pass_at_k_variance(nn, cc, k[j]); });
}

void max_at_k_table(const double* values, const double* proxy, const std::int64_t* offsets, std::int64_t problems,
                    const std::int64_t* k, std::int64_t columns, int n_threads, double* out) {
    struct Scratch {
        std::vector<double> sorted;
        std::vector<std::int64_t> order;
    };
    parallel_chunks(
        problems, 16, n_threads, [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            auto& sorted = scratch.sorted;
            for (std::int64_t p = begin; p < end; ++p) {
                const std::int64_t first = offsets[p], size = offsets[p + 1] - first;
                sorted.assign(values + first, values + first + size);
                if (proxy == nullptr) {
                    std::sort(sorted.begin(), sorted.end());
                } else {
                    // Rank by proxy; a group of equal proxies is worth its mean value,
                    // which is what a uniform pick among the tied samples is worth.
                    auto& order = scratch.order;
                    order.resize(static_cast<std::size_t>(size));
                    std::iota(order.begin(), order.end(), std::int64_t{0});
                    const double* prox = proxy + first;
                    std::sort(order.begin(), order.end(),
                              [prox](std::int64_t a, std::int64_t b) { return prox[a] < prox[b]; });
                    std::size_t i = 0;
                    while (i < order.size()) {
                        std::size_t g = i;
                        double total = 0.0;
                        while (g < order.size() && prox[order[g]] == prox[order[i]])
                            total += values[first + order[g++]];
                        const double mean = total / static_cast<double>(g - i);
                        for (; i < g; ++i) sorted[i] = mean;
                    }
                }
                for (std::int64_t j = 0; j < columns; ++j) {
                    const std::int64_t kj = k[j];
                    if (kj > size) {
                        out[p * columns + j] = kNaN;
                        continue;
                    }
                    // Weight of the i-th smallest (1-based) is C(i-1, k-1)/C(n, k): k/n
                    // for the largest, then times (1 - (k-1)/(i-1)) per step down, the
                    // running log kept in compensated arithmetic.
                    CompensatedSum log_w, total;
                    log_w.add(std::log(static_cast<double>(kj) / static_cast<double>(size)));
                    const double km1 = static_cast<double>(kj - 1);
                    for (std::int64_t i = size; i >= kj; --i) {
                        const double lw = log_w.value();
                        if (lw < -745.0) break;  // this and every smaller weight is 0 in double
                        total.add(std::exp(lw) * sorted[static_cast<std::size_t>(i - 1)]);
                        if (i > kj) log_w.add(std::log1p(-km1 / static_cast<double>(i - 1)));
                    }
                    out[p * columns + j] = total.value();
                }
            }
        });
}

namespace {

// maj@k of one problem for one k; answers are the nonzero counts, `hit` the
// position of the correct answer among them.
struct MajScratch {
    std::vector<std::int64_t> others;
    std::vector<std::vector<double>> weight;  // weight[i][x] = Binomial(a_i, k/n) pmf at x
    std::vector<double> table;
};

double maj_at_k_one(const std::vector<std::int64_t>& answers, std::size_t hit, std::int64_t k, MajScratch& s) {
    std::int64_t n = 0;
    for (const auto a : answers) n += a;
    if (k > n) return kNaN;
    // A uniform k-subset has the answer counts of independent Binomial(a_i, k/n)
    // draws conditioned on their sum being k; working with those pmfs (each <= 1)
    // keeps every partial product in range where C(n, k) itself would overflow.
    const double p = static_cast<double>(k) / static_cast<double>(n);
    const double q = static_cast<double>(n - k) / static_cast<double>(n);
    const std::size_t m = answers.size();
    s.weight.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
        const std::int64_t top = std::min(answers[i], k);
        s.weight[i].resize(static_cast<std::size_t>(top + 1));
        for (std::int64_t x = 0; x <= top; ++x)
            s.weight[i][static_cast<std::size_t>(x)] =
                std::exp(log_binom_pmf(static_cast<double>(x), static_cast<double>(answers[i]), p, q));
    }
    const double norm = std::exp(log_binom_pmf(static_cast<double>(k), static_cast<double>(n), p, q));
    double total = 0.0;
    const std::int64_t a_hit = answers[hit];
    for (std::int64_t v = 1; v <= std::min(a_hit, k); ++v) {
        // The correct answer drawn v times; every other answer at most v times,
        // `t` of them exactly v (a tie the correct answer wins with chance 1/(t+1)).
        const std::int64_t rest = k - v;
        const std::int64_t ties = std::min<std::int64_t>(static_cast<std::int64_t>(m) - 1, rest / v);
        const std::size_t width = static_cast<std::size_t>(rest + 1);
        s.table.assign(static_cast<std::size_t>(ties + 1) * width, 0.0);
        double* table = s.table.data();
        table[0] = 1.0;
        std::int64_t reach = 0;  // the largest draw total reachable so far
        for (std::size_t i = 0; i < m; ++i) {
            if (i == hit) continue;
            const std::vector<double>& w = s.weight[i];
            const std::int64_t below = std::min(answers[i], v - 1);  // draws that lose to v
            const bool can_tie = answers[i] >= v;
            reach = std::min(rest, reach + (can_tie ? v : below));
            // One answer's update costs up to (ties + 1) (rest + 1) v products, seconds
            // at n = k = 9,000: large ones check for a stop request first.
            if ((ties + 1) * (rest + 1) > kCostlyK) interruption_point();
            // In place, from the top: every read is of a cell not yet updated.
            for (std::int64_t t = ties; t >= 0; --t) {
                double* row = table + static_cast<std::size_t>(t) * width;
                const double* prev = t > 0 ? row - width : nullptr;
                for (std::int64_t sum = reach; sum >= 0; --sum) {
                    double acc = 0.0;
                    const std::int64_t top = std::min(below, sum);
                    for (std::int64_t x = 0; x <= top; ++x) acc += w[static_cast<std::size_t>(x)] * row[sum - x];
                    if (can_tie && prev != nullptr && sum >= v) acc += w[static_cast<std::size_t>(v)] * prev[sum - v];
                    row[sum] = acc;
                }
            }
        }
        double win = 0.0;
        for (std::int64_t t = 0; t <= ties; ++t)
            win += table[static_cast<std::size_t>(t) * width + static_cast<std::size_t>(rest)] /
                   static_cast<double>(t + 1);
        total += s.weight[hit][static_cast<std::size_t>(v)] * win;
    }
    return std::min(1.0, total / norm);
}

}  // namespace

void maj_at_k_table(const std::int64_t* counts, const std::int64_t* offsets, const std::int64_t* correct,
                    std::int64_t problems, const std::int64_t* k, std::int64_t columns, int n_threads, double* out) {
    parallel_chunks(
        problems, 1, n_threads, [] { return MajScratch{}; },
        [&](MajScratch& scratch, std::int64_t begin, std::int64_t end) {
            std::vector<std::int64_t>& answers = scratch.others;
            for (std::int64_t p = begin; p < end; ++p) {
                answers.clear();
                std::size_t hit = 0;
                bool hit_present = false;
                std::int64_t n = 0;
                for (std::int64_t i = offsets[p]; i < offsets[p + 1]; ++i) {
                    n += counts[i];
                    if (counts[i] == 0) continue;
                    if (i - offsets[p] == correct[p]) {
                        hit = answers.size();
                        hit_present = true;
                    }
                    answers.push_back(counts[i]);
                }
                for (std::int64_t j = 0; j < columns; ++j) {
                    double value;
                    if (k[j] > n)
                        value = kNaN;
                    else if (!hit_present)
                        value = 0.0;  // the correct answer never drawn, or none correct
                    else
                        value = maj_at_k_one(answers, hit, k[j], scratch);
                    out[p * columns + j] = value;
                }
            }
        });
}

void problem_bootstrap_means(const double* values, std::int64_t problems, std::int64_t columns, std::uint64_t seed,
                             std::uint64_t first, std::int64_t count, int n_threads, double* out) {
    constexpr std::uint32_t kBatch = 1024;
    struct Scratch {
        std::vector<std::uint32_t> draws = std::vector<std::uint32_t>(kBatch);
        std::vector<double> sums;
    };
    const BoundedPlan plan(static_cast<std::uint32_t>(problems));
    // Eight replicates per chunk, fewer where a replicate sums millions of values:
    // a chunk stays at milliseconds (stop requests are checked between chunks).
    const std::int64_t per_replicate = std::max<std::int64_t>(problems * std::max<std::int64_t>(columns, 1), 1);
    parallel_chunks(
        count, std::clamp<std::int64_t>((std::int64_t{1} << 20) / per_replicate, 1, 8), n_threads,
        [] { return Scratch{}; },
        [&](Scratch& scratch, std::int64_t begin, std::int64_t end) {
            auto& sums = scratch.sums;
            for (std::int64_t r = begin; r < end; ++r) {
                ReplicateStream rng(seed, first + static_cast<std::uint64_t>(r), 0);
                sums.assign(static_cast<std::size_t>(columns), 0.0);
                for (std::int64_t done = 0; done < problems;) {
                    const auto batch = static_cast<std::uint32_t>(std::min<std::int64_t>(kBatch, problems - done));
                    draw_bounded(rng, plan, batch, scratch.draws.data());
                    for (std::uint32_t b = 0; b < batch; ++b) {
                        const double* row = values + static_cast<std::int64_t>(scratch.draws[b]) * columns;
                        for (std::int64_t j = 0; j < columns; ++j) sums[static_cast<std::size_t>(j)] += row[j];
                    }
                    done += batch;
                }
                for (std::int64_t j = 0; j < columns; ++j)
                    out[r * columns + j] = sums[static_cast<std::size_t>(j)] / static_cast<double>(problems);
            }
        });
}

double binom_upper_tail(std::int64_t trials, double p, std::int64_t r) noexcept {
    if (r <= 0) return 1.0;
    if (r > trials) return 0.0;
    if (p <= 0.0) return 0.0;
    if (p >= 1.0) return 1.0;
    const double q = 1.0 - p, nd = static_cast<double>(trials);
    const auto mode = static_cast<std::int64_t>(std::floor((nd + 1.0) * p));
    if (r > mode) {
        double rel = 1.0, term = 1.0;
        for (std::int64_t x = r; x < trials; ++x) {
            const double xd = static_cast<double>(x);
            term *= (nd - xd) / (xd + 1.0) * (p / q);
            rel += term;
            if (term < rel * kNegligible) break;
        }
        return std::exp(log_binom_pmf(static_cast<double>(r), nd, p, q) + std::log(rel));
    }
    double extra = 0.0, term = 1.0;
    for (std::int64_t x = r - 1; x > 0; --x) {
        const double xd = static_cast<double>(x);
        term *= xd / (nd - xd + 1.0) * (q / p);
        extra += term;
        if (term < (1.0 + extra) * kNegligible) break;
    }
    return -std::expm1(log_binom_pmf(static_cast<double>(r - 1), nd, p, q) + std::log1p(extra));
}

double binom_tail_root(std::int64_t trials, std::int64_t r, double target) noexcept {
    // Bisection on log p keeps relative precision for the tiny rates that
    // inverse sampling is for; the tail is increasing in p.
    double lo = -745.0, hi = 0.0;
    if (binom_upper_tail(trials, std::exp(lo), r) >= target) return 0.0;
    for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::fabs(lo)); ++it) {
        const double mid = 0.5 * (lo + hi);
        if (binom_upper_tail(trials, std::exp(mid), r) < target)
            lo = mid;
        else
            hi = mid;
    }
    return std::exp(0.5 * (lo + hi));
}

}  // namespace precipice::passk
