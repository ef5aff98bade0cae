// pass@k-family estimators: unbiased functions of how many of a problem's n
// samples were correct (or of the samples' scores and answers), evaluated
// exactly as a random k-subset of the samples would see them.
//
// Everything about drawing k of n samples without replacement reduces to the
// hypergeometric distribution X ~ Hypergeometric(population n, successes c,
// draws k): pass@k = P(X >= 1), pass^k = P(X >= k) = P(X = k), G-pass@k(tau) =
// P(X >= ceil(tau k)). One tail kernel serves all three, and it is accurate in
// relative terms on both sides: a tiny pass@k keeps its digits instead of being
// the difference of two numbers close to 1.
#pragma once

#include <cstdint>
#include <vector>

namespace precipice::passk {

// log prod_{j<t} (1 - a / (n - j)) = log [C(n-a, t) / C(n, t)] (-inf when a + t > n:
// the ratio is 0), summed in compensated arithmetic, so the sum has a relative
// error of a few ulp however many terms it has. A factor 1 - a/(n-j) below 1/2 is
// taken as the log of the exact ratio (n-j-a)/(n-j), never as log1p(-a/(n-j)):
// there 1 - a/(n-j) would lose the digits a rounded a/(n-j) carries, and pass^k
// with k and c close to n (C(c, k)/C(n, k) = 1e-23, say) would keep only 8 of them.
// Stops once the sum falls below `floor` (the caller's exp() of anything lower is
// already 0 or its complement 1).
double log_choose_ratio(std::int64_t n, std::int64_t a, std::int64_t t, double floor = -1000.0) noexcept;

// Count tables: every problem with the same n (the usual case: n samples per
// problem) shares one function of c, so for many problems a table over c = 0..n
// built once turns each problem into a lookup.
//
// pass@k for c = 0..c_hi at once (1 <= k <= n, 0 <= c_hi <= n): out[c] =
// -expm1(s(c)), s(c) = log C(n-c, k)/C(n, k) = sum_{i<c} log(1 - k/(n-i)) kept as one
// running compensated sum, so each entry costs one log and one expm1 whatever k
// is. The terms all have one sign and a relative error of about 2 ulp each, so
// every s(c) keeps a relative error of a few ulp, and so does every pass@k (near 0
// as near 1): the same guarantee as the per-problem product.
void pass_at_k_by_count(std::int64_t n, std::int64_t k, std::int64_t c_hi, double* out) noexcept;

// pass^k = C(c, k)/C(n, k) for c = c_lo..n at once: out[c - c_lo] = exp(h(c)),
// h(c) = sum_{i=c+1}^{n} log(1 - k/i), summed downward from h(n) = 0 like the above.
// exp() turns the few-ulp relative error of h into a few ulp times (1 + |h|), as
// for the per-problem product: at most about 2e-13 above the subnormal range.
void pass_hat_k_by_count(std::int64_t n, std::int64_t k, std::int64_t c_lo, double* out) noexcept;

// When the batched kernels below use count tables. automatic: for every n shared
// by at least (n + 1)/8 problems, tables of pass@k and pass^k from the running
// sums above where those are cheaper, else a memo of the per-problem function at
// each c present (the same numbers as per problem, each computed once). The
// running sums agree with the per-problem products to a few ulp, not bit for bit;
// which one serves a column depends on the counts only, never on n_threads.
// never: per problem, always. always: tables for every n up to 2^26 (the running
// sums for pass@k and pass^k), whatever they cost; for the tests that hold the
// two paths to each other.
enum class TableMode : int { automatic = 0, never = 1, always = 2 };

// log P(X = x) for X ~ Hypergeometric(n, c, k); -inf outside the support.
double log_hypergeom_pmf(std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t x) noexcept;

// P(X >= m) for X ~ Hypergeometric(n, c, k); NaN when k > n. Needs
// 0 <= c <= n and k >= 0 (checked by the callers).
double hypergeom_tail(std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t m) noexcept;

// Unbiased estimate of Var[pass@k estimate] for one problem, from C(n-c, k)^2 /
// C(n, k)^2 - C(n-c, 2k) / C(n, 2k); NaN when n < 2k (no unbiased estimate exists).
double pass_at_k_variance(std::int64_t n, std::int64_t c, std::int64_t k) noexcept;

// log of the binomial pmf C(size, x) p^x q^(size-x), q = 1 - p given apart so a
// p close to 1 keeps q's digits (Loader's saddle-point form: accurate for any size).
double log_binom_pmf(double x, double size, double p, double q) noexcept;

// Batched tails: out[p * columns + j] = P(X >= thresholds[j]) with X ~
// Hypergeometric(n[p * n_stride], c[p], k[j]) (n_stride 1: an n per problem; 0: one
// n for all). Problems are split across n_threads; count tables per `tables`
// (threshold 1 is pass@k, threshold k pass^k).
void tail_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                const std::int64_t* thresholds, std::int64_t columns, int n_threads, double* out,
                TableMode tables = TableMode::automatic, std::int64_t n_stride = 1);

// out[p * columns + j] = (2 / k_j) * sum_{m = ceil(k_j / 2) + 1}^{k_j} P(X >= m), the
// mG-pass@k of the G-pass@k paper (Liu et al. 2024, arXiv 2412.13147, eq. 6).
// Count tables here are memos: the same numbers as per problem. n_stride as above.
void mg_pass_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                   std::int64_t columns, int n_threads, double* out, TableMode tables = TableMode::automatic,
                   std::int64_t n_stride = 1);

// out[p * columns + j] = pass_at_k_variance(n[p * n_stride], c[p], k[j]) (memo tables as above).
void variance_table(const std::int64_t* n, const std::int64_t* c, std::int64_t problems, const std::int64_t* k,
                    std::int64_t columns, int n_threads, double* out, TableMode tables = TableMode::automatic,
                    std::int64_t n_stride = 1);

// Expected maximum over a uniformly random k-subset. Problem p owns
// values[offsets[p] .. offsets[p+1]). With proxy == nullptr the samples are
// ranked by their own values; otherwise they are ranked by proxy and valued by
// values, a tie in the proxy being worth the mean value of its group.
// out[p * columns + j]; NaN where a problem has fewer than k[j] samples.
void max_at_k_table(const double* values, const double* proxy, const std::int64_t* offsets, std::int64_t problems,
                    const std::int64_t* k, std::int64_t columns, int n_threads, double* out);

// Probability that a plurality vote over a uniformly random k-subset picks the
// correct answer, a tie among the top answers broken uniformly at random.
// Problem p's answer counts are counts[offsets[p] .. offsets[p+1]), correct[p]
// indexes the correct answer within them (-1: none is correct).
void maj_at_k_table(const std::int64_t* counts, const std::int64_t* offsets, const std::int64_t* correct,
                    std::int64_t problems, const std::int64_t* k, std::int64_t columns, int n_threads, double* out);

// Bootstrap over problems: replicate r draws `problems` row indices uniformly
// with replacement from stream (seed, first + r, 0) and writes the column means
// of those rows of values (problems x columns) to out[r * columns + j]. Replicate
// r depends only on (seed, first + r), never on n_threads.
void problem_bootstrap_means(const double* values, std::int64_t problems, std::int64_t columns, std::uint64_t seed,
                             std::uint64_t first, std::int64_t count, int n_threads, double* out);

// P(Binomial(trials, p) >= r), for the exact interval of an inverse-sampling
// (draw until r successes) estimate.
double binom_upper_tail(std::int64_t trials, double p, std::int64_t r) noexcept;

// The p at which binom_upper_tail(trials, p, r) equals target (bisection; the
// tail is increasing in p).
double binom_tail_root(std::int64_t trials, std::int64_t r, double target) noexcept;

}  // namespace precipice::passk
