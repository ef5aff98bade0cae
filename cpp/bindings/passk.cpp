// Bindings of the pass@k-family estimators: array conversion and the checks
// that keep a kernel from reading out of bounds, with the GIL held; then the
// kernels with the GIL released. No statistics here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/passk.hpp"

namespace py = pybind11;
namespace pk = precipice::passk;

namespace {

using precipice::bindings::Ints;
using precipice::bindings::Reals;
using precipice::bindings::require_1d;
using precipice::bindings::require_count;
using precipice::bindings::require_each_at_least;
using precipice::bindings::require_fits_u32;
using precipice::bindings::require_ndim;
using precipice::bindings::require_same_length;

// The counts every hypergeometric kernel assumes: 0 <= c <= n, k >= 1. n holds one
// entry per problem, or a single entry for every problem; returns n's stride (1 or 0).
std::int64_t check_counts(const Ints& n, const Ints& c, const Ints& k) {
    require_1d(n, "n");
    require_1d(c, "c");
    require_each_at_least(k, 1, "k");
    const std::int64_t stride = n.shape(0) == 1 ? 0 : 1;
    if (stride == 1) require_same_length(n, "n", c, "c");
    const std::int64_t* nv = n.data();
    const std::int64_t* cv = c.data();
    const py::ssize_t problems = c.shape(0);
    bool bad = false;
    if (stride == 0 && problems > 0) {  // one n: a branch-free range check first
        std::int64_t lo = cv[0], hi = cv[0];
        for (py::ssize_t p = 1; p < problems; ++p) {
            lo = std::min(lo, cv[p]);
            hi = std::max(hi, cv[p]);
        }
        bad = lo < 0 || hi > nv[0];
    } else {
        for (py::ssize_t p = 0; p < problems; ++p) bad = bad || cv[p] < 0 || cv[p] > nv[p];
    }
    if (bad)
        for (py::ssize_t p = 0; p < problems; ++p)
            if (cv[p] < 0 || cv[p] > nv[p * stride])
                throw py::value_error("c: problem " + std::to_string(p) + " has c=" + std::to_string(cv[p]) +
                                      " outside [0, n=" + std::to_string(nv[p * stride]) + "]");
    return stride;
}

// offsets (problems + 1,) must start at 0, never decrease and end at `total`.
void check_offsets(const Ints& offsets, py::ssize_t total) {
    require_1d(offsets, "offsets");
    if (offsets.shape(0) < 1) throw py::value_error("offsets: needs at least one entry");
    const auto o = offsets.unchecked<1>();
    if (o(0) != 0 || o(offsets.shape(0) - 1) != total)
        throw py::value_error("offsets must run from 0 to the number of values");
    for (py::ssize_t p = 1; p < offsets.shape(0); ++p)
        if (o(p) < o(p - 1)) throw py::value_error("offsets must not decrease");
}

py::array_t<double> table(py::ssize_t rows, py::ssize_t columns) { return py::array_t<double>({rows, columns}); }

// "auto", "never" or "always": when the batched kernels use count tables.
pk::TableMode table_mode(const std::string& tables) {
    if (tables == "auto") return pk::TableMode::automatic;
    if (tables == "never") return pk::TableMode::never;
    if (tables == "always") return pk::TableMode::always;
    throw py::value_error("tables must be 'auto', 'never' or 'always', got '" + tables + "'");
}

py::array_t<double> tail_table(const Ints& n, const Ints& c, const Ints& k, const Ints& thresholds, int n_threads,
                               const std::string& tables) {
    const pk::TableMode mode = table_mode(tables);
    const std::int64_t n_stride = check_counts(n, c, k);
    require_1d(thresholds, "thresholds");
    require_same_length(k, "k", thresholds, "thresholds");
    auto out = table(c.shape(0), k.shape(0));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        pk::tail_table(n.data(), c.data(), c.shape(0), k.data(), thresholds.data(), k.shape(0), n_threads, ptr, mode,
                       n_stride);
    }
    return out;
}

// A (problems, ks) table from a kernel of the shape shared by mG-Pass@k and the
// pass@k variance: checks, allocation and the GIL in one place.
template <class Kernel>
py::array_t<double> per_k_table(const Ints& n, const Ints& c, const Ints& k, int n_threads, const std::string& tables,
                                Kernel kernel) {
    const pk::TableMode mode = table_mode(tables);
    const std::int64_t n_stride = check_counts(n, c, k);
    auto out = table(c.shape(0), k.shape(0));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        kernel(n.data(), c.data(), c.shape(0), k.data(), k.shape(0), n_threads, ptr, mode, n_stride);
    }
    return out;
}

py::array_t<double> mg_pass_table(const Ints& n, const Ints& c, const Ints& k, int n_threads,
                                  const std::string& tables) {
    return per_k_table(n, c, k, n_threads, tables, pk::mg_pass_table);
}

// The variance's cost per problem grows with k (two products of up to k
// factors); sample sizes that would need more than this are refused.
constexpr std::int64_t kMaxVarianceK = std::int64_t{1} << 24;

py::array_t<double> variance_table(const Ints& n, const Ints& c, const Ints& k, int n_threads,
                                   const std::string& tables) {
    require_1d(k, "k");
    const auto kv = k.unchecked<1>();
    for (py::ssize_t j = 0; j < k.shape(0); ++j)
        if (kv(j) > kMaxVarianceK)
            throw py::value_error("k: the variance of pass@k is computed for k up to 2**24 (16777216), got " +
                                  std::to_string(kv(j)));
    return per_k_table(n, c, k, n_threads, tables, pk::variance_table);
}

py::array_t<double> max_at_k_table(const Reals& values, const std::optional<Reals>& proxy, const Ints& offsets,
                                   const Ints& k, int n_threads) {
    require_1d(values, "values");
    if (proxy) {
        require_1d(*proxy, "proxy");
        require_same_length(values, "values", *proxy, "proxy");
    }
    check_offsets(offsets, values.shape(0));
    require_each_at_least(k, 1, "k");
    const py::ssize_t problems = offsets.shape(0) - 1;
    auto out = table(problems, k.shape(0));
    double* ptr = out.mutable_data();
    const double* proxy_ptr = proxy ? proxy->data() : nullptr;
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        pk::max_at_k_table(values.data(), proxy_ptr, offsets.data(), problems, k.data(), k.shape(0), n_threads, ptr);
    }
    return out;
}

py::array_t<double> maj_at_k_table(const Ints& counts, const Ints& offsets, const Ints& correct, const Ints& k,
                                   int n_threads) {
    require_each_at_least(counts, 0, "counts");
    check_offsets(offsets, counts.shape(0));
    require_1d(correct, "correct");
    require_each_at_least(k, 1, "k");
    const py::ssize_t problems = offsets.shape(0) - 1;
    if (correct.shape(0) != problems)
        throw py::value_error("correct: expected one entry per problem (" + std::to_string(problems) + "), got " +
                              std::to_string(correct.shape(0)));
    const auto o = offsets.unchecked<1>();
    const auto hit = correct.unchecked<1>();
    for (py::ssize_t p = 0; p < problems; ++p)
        if (hit(p) < -1 || hit(p) >= o(p + 1) - o(p))
            throw py::value_error("correct: problem " + std::to_string(p) + " names answer " + std::to_string(hit(p)) +
                                  " of " + std::to_string(o(p + 1) - o(p)));
    auto out = table(problems, k.shape(0));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        pk::maj_at_k_table(counts.data(), offsets.data(), correct.data(), problems, k.data(), k.shape(0), n_threads,
                           ptr);
    }
    return out;
}

py::array_t<double> problem_bootstrap(const Reals& values, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                                      int n_threads) {
    require_count(count);
    require_ndim(values, 2, "values");
    if (values.shape(0) < 1) throw py::value_error("values: no problems");
    require_fits_u32(values.shape(0), "values");
    auto out = table(static_cast<py::ssize_t>(count), values.shape(1));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        pk::problem_bootstrap_means(values.data(), values.shape(0), values.shape(1), seed, first, count, n_threads,
                                    ptr);
    }
    return out;
}

// A bound's bisection evaluates binomial tails of some sqrt(successes) terms
// each: a tenth of a second per problem at this size, growing without bound.
constexpr std::int64_t kMaxInverseSuccesses = std::int64_t{1} << 32;

// Exact interval for inverse binomial sampling: draws[p] trials were needed to
// see successes[p] successes. Returns (2, problems): lower row, upper row.
py::array_t<double> inverse_sampling_bounds(const Ints& draws, const Ints& successes, double alpha_each) {
    require_1d(draws, "draws");
    require_1d(successes, "successes");
    require_same_length(draws, "draws", successes, "successes");
    if (!(alpha_each > 0.0 && alpha_each < 0.5)) throw py::value_error("alpha must lie in (0, 0.5)");
    const py::ssize_t problems = draws.shape(0);
    const auto dv = draws.unchecked<1>();
    const auto sv = successes.unchecked<1>();
    for (py::ssize_t p = 0; p < problems; ++p) {
        if (sv(p) < 1 || dv(p) < sv(p)) throw py::value_error("need 1 <= successes <= draws");
        if (sv(p) > kMaxInverseSuccesses)
            throw py::value_error("successes: at most 2**32 (4294967296) per problem, got " + std::to_string(sv(p)));
    }
    py::array_t<double> out({py::ssize_t{2}, problems});
    double* ptr = out.mutable_data();
    const std::int64_t* d = draws.data();
    const std::int64_t* s = successes.data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        // One thread (the call has no n_threads), one problem per chunk: stoppable.
        precipice::parallel_chunks(
            problems, 1, 1, [] { return 0; },
            [&](int, std::int64_t begin, std::int64_t end) {
                for (std::int64_t p = begin; p < end; ++p) {
                    // P(K <= K_obs) = P(Bin(K_obs, p) >= r) reaches alpha at the lower end;
                    // P(K >= K_obs) = P(Bin(K_obs - 1, p) < r) reaches alpha at the upper end.
                    ptr[p] = pk::binom_tail_root(d[p], s[p], alpha_each);
                    ptr[problems + p] = d[p] == s[p] ? 1.0 : pk::binom_tail_root(d[p] - 1, s[p], 1.0 - alpha_each);
                }
            });
    }
    return out;
}

// (n + 1,) values for c = 0..n from `fill`, run without the GIL, after the
// checks on n and k.
template <class Fill>
py::array_t<double> by_count(std::int64_t n, std::int64_t k, Fill fill) {
    if (n < 1 || n > (std::int64_t{1} << 26)) throw py::value_error("n must lie in [1, 2**26]");
    if (k < 1 || k > n) throw py::value_error("k must lie in [1, n]");
    py::array_t<double> out(static_cast<py::ssize_t>(n + 1));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        fill(ptr);
    }
    return out;
}

}  // namespace

void register_passk(py::module_& m) {
    m.def("tail_table", &tail_table, py::arg("n"), py::arg("c"), py::arg("k"), py::arg("thresholds"),
          py::arg("n_threads"), py::arg("tables") = "auto",
          "(problems, len(k)) P(X >= threshold) for X ~ Hypergeometric(n, c, k); n: one per problem, or one "
          "for all. tables: 'auto', 'never' (per problem) or 'always' (count tables for every n: running sums "
          "for pass@k and pass^k).");
    m.def("mg_pass_table", &mg_pass_table, py::arg("n"), py::arg("c"), py::arg("k"), py::arg("n_threads"),
          py::arg("tables") = "auto");
    m.def("variance_table", &variance_table, py::arg("n"), py::arg("c"), py::arg("k"), py::arg("n_threads"),
          py::arg("tables") = "auto");
    m.def(
        "pass_at_k_by_count",
        [](std::int64_t n, std::int64_t k) {
            return by_count(n, k, [n, k](double* out) { pk::pass_at_k_by_count(n, k, n, out); });
        },
        py::arg("n"), py::arg("k"), "(n + 1,) pass@k for c = 0..n from one running compensated sum.");
    m.def(
        "pass_hat_k_by_count",
        [](std::int64_t n, std::int64_t k) {
            return by_count(n, k, [n, k](double* out) { pk::pass_hat_k_by_count(n, k, 0, out); });
        },
        py::arg("n"), py::arg("k"), "(n + 1,) pass^k for c = 0..n from one running compensated sum.");
    m.def("max_at_k_table", &max_at_k_table, py::arg("values"), py::arg("proxy"), py::arg("offsets"), py::arg("k"),
          py::arg("n_threads"));
    m.def("maj_at_k_table", &maj_at_k_table, py::arg("counts"), py::arg("offsets"), py::arg("correct"), py::arg("k"),
          py::arg("n_threads"));
    m.def("problem_bootstrap", &problem_bootstrap, py::arg("values"), py::arg("seed"), py::arg("first"),
          py::arg("count"), py::arg("n_threads"),
          "(count, columns) column means of problems resampled with replacement.");
    m.def("inverse_sampling_bounds", &inverse_sampling_bounds, py::arg("draws"), py::arg("successes"),
          py::arg("alpha_each"));
    m.def(
        "hypergeom_tail",
        [](std::int64_t n, std::int64_t c, std::int64_t k, std::int64_t threshold) {
            if (c < 0 || c > n) throw py::value_error("c must lie in [0, n]");
            if (k < 0) throw py::value_error("k must be non-negative");
            return pk::hypergeom_tail(n, c, k, threshold);
        },
        py::arg("n"), py::arg("c"), py::arg("k"), py::arg("m"), "P(X >= m) for X ~ Hypergeometric(n, c, k).");
}
