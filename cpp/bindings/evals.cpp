// Bindings of item-level evaluation statistics (resampling of per-item statistics):
// shape and range checks with the GIL held, then the kernels without it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/evals.hpp"

namespace py = pybind11;
namespace ev = precipice::evals;

namespace {

using Doubles = precipice::bindings::Reals;
using Counts = precipice::bindings::Ints;
using precipice::bindings::require_count;
using precipice::bindings::require_each_at_least;
using precipice::bindings::require_fits_u32;
using precipice::bindings::require_ndim;

// Multiplicities must be non-negative with a positive total that fits index draws.
std::int64_t check_multiplicity(const Counts& multiplicity, py::ssize_t rows) {
    require_each_at_least(multiplicity, 0, "multiplicity");
    if (multiplicity.shape(0) != rows) throw py::value_error("multiplicity: need one count per row");
    std::int64_t total = 0;
    for (py::ssize_t k = 0; k < rows; ++k) total += multiplicity.data()[k];
    if (total <= 0) throw py::value_error("multiplicity: the counts must not all be zero");
    return total;
}

py::array_t<double> resampled_sums(const Doubles& rows, const py::object& multiplicity, std::int64_t draws,
                                   std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads) {
    require_count(count);
    require_ndim(rows, 2, "rows");
    const auto m = rows.shape(0), d = rows.shape(1);
    if (m == 0 || d == 0) throw py::value_error("rows: empty array");
    require_fits_u32(m, "rows");
    if (draws < 1) throw py::value_error("draws must be at least 1");
    Counts counts;
    const std::int64_t* mult = nullptr;
    if (!multiplicity.is_none()) {
        counts = Counts::ensure(multiplicity);
        if (!counts) throw py::type_error("multiplicity: expected an integer array");
        check_multiplicity(counts, m);
        mult = counts.data();
    }
    py::array_t<double> out({static_cast<py::ssize_t>(count), d});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::resampled_sums(rows.data(), m, d, mult, draws, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<std::int64_t> resample_indices(std::int64_t m, std::int64_t draws, std::uint64_t seed, std::uint64_t first,
                                           std::int64_t count, std::uint32_t stream, int n_threads) {
    require_count(count);
    if (m < 1) throw py::value_error("m must be at least 1");
    require_fits_u32(m, "m");
    if (draws < 1) throw py::value_error("draws must be at least 1");
    py::array_t<std::int64_t> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(draws)});
    std::int64_t* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::resample_indices(m, draws, seed, first, count, stream, n_threads, ptr);
    }
    return out;
}

py::array_t<double> resampled_order_statistic(const Doubles& values, const Counts& multiplicity, std::int64_t lo,
                                              std::int64_t hi, std::uint64_t seed, std::uint64_t first,
                                              std::int64_t count, int n_threads) {
    require_count(count);
    if (values.ndim() != 1 || values.shape(0) == 0) throw py::value_error("values: expected a non-empty 1-D array");
    const auto k = values.shape(0);
    const std::int64_t n = check_multiplicity(multiplicity, k);
    require_fits_u32(n, "multiplicity");
    for (py::ssize_t j = 1; j < k; ++j)
        if (!(values.data()[j - 1] < values.data()[j]))
            throw py::value_error("values: must be distinct, finite and increasing");
    if (!(0 <= lo && lo <= hi && hi < n)) throw py::value_error("ranks: need 0 <= lo <= hi < n");
    py::array_t<double> out(static_cast<py::ssize_t>(count));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::resampled_order_statistic(values.data(), multiplicity.data(), k, lo, hi, seed, first, count, n_threads,
                                      ptr);
    }
    return out;
}

py::array_t<std::int64_t> binomial_draws(std::int64_t trials, double p, std::uint64_t seed, std::uint64_t first,
                                         std::int64_t count, int n_threads) {
    require_count(count);
    if (trials < 0) throw py::value_error("trials must be non-negative");
    if (!(p >= 0.0 && p <= 1.0)) throw py::value_error("p must lie in [0, 1]");
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(count));
    std::int64_t* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::binomial_draws(trials, p, seed, first, count, n_threads, ptr);
    }
    return out;
}

// The (n, d) per-item statistics of the two systems, checked for a permutation run.
void check_permutation(const Doubles& a, const Doubles& b, bool exact, std::uint64_t first, std::int64_t count) {
    require_count(count);
    if (a.ndim() != b.ndim()) throw py::value_error("a and b: different numbers of dimensions");
    for (py::ssize_t k = 0; k < a.ndim(); ++k)
        if (a.shape(k) != b.shape(k)) throw py::value_error("a and b: different shapes");
    if (a.ndim() == 0 || a.shape(0) == 0) throw py::value_error("a and b: no items");
    if (exact) {
        const std::uint64_t total = std::uint64_t{1} << std::min<py::ssize_t>(a.shape(0), 62);
        if (first > total || static_cast<std::uint64_t>(count) > total - first)
            throw py::value_error("exact: the permutations run past 2**n");
    }
}

py::array_t<double> permuted_sums(const Doubles& a, const Doubles& b, bool exact, std::uint64_t seed,
                                  std::uint64_t first, std::int64_t count, int n_threads) {
    require_ndim(a, 2, "a");
    check_permutation(a, b, exact, first, count);
    const auto n = a.shape(0), d = a.shape(1);
    if (d == 0) throw py::value_error("a and b: no statistics per item");
    py::array_t<double> out({static_cast<py::ssize_t>(count), 2 * d});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::permuted_sums(a.data(), b.data(), n, d, exact, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<double> permuted_medians(const Doubles& a, const Doubles& b, bool exact, std::uint64_t seed,
                                     std::uint64_t first, std::int64_t count, int n_threads) {
    require_ndim(a, 1, "a");
    check_permutation(a, b, exact, first, count);
    py::array_t<double> out({static_cast<py::ssize_t>(count), py::ssize_t{2}});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ev::permuted_medians(a.data(), b.data(), a.shape(0), exact, seed, first, count, n_threads, ptr);
    }
    return out;
}

}  // namespace

void register_evals(py::module_& m) {
    m.def("resampled_sums", &resampled_sums, py::arg("rows"), py::arg("multiplicity"), py::arg("draws"),
          py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count, d) column sums of `draws` rows drawn with replacement per replicate; with a "
          "multiplicity per row, a multinomial draw over the rows.");
    m.def("resample_indices", &resample_indices, py::arg("m"), py::arg("draws"), py::arg("seed"), py::arg("first"),
          py::arg("count"), py::arg("stream"), py::arg("n_threads"),
          "(count, draws) the rows behind evals_resampled_sums without multiplicity.");
    m.def("resampled_order_statistic", &resampled_order_statistic, py::arg("values"), py::arg("multiplicity"),
          py::arg("lo"), py::arg("hi"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count,) mean of the lo-th and hi-th smallest resampled values (0-based ranks).");
    m.def("binomial_draws", &binomial_draws, py::arg("trials"), py::arg("p"), py::arg("seed"), py::arg("first"),
          py::arg("count"), py::arg("n_threads"),
          "(count,) exact Binomial(trials, p) draws, one per replicate stream (for tests).");
    m.def("permuted_sums", &permuted_sums, py::arg("a"), py::arg("b"), py::arg("exact"), py::arg("seed"),
          py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count, 2d) column sums of the permuted a and b (a_i and b_i swapped where the permutation's bit is "
          "set; exact: the bits of first + r).");
    m.def("permuted_medians", &permuted_medians, py::arg("a"), py::arg("b"), py::arg("exact"), py::arg("seed"),
          py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count, 2) numpy medians of the permuted a and b.");
}
