// Bindings of the calibration metrics' resampling: shape and range checks with
// the GIL held, then the kernel without it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/calibration.hpp"

namespace py = pybind11;

namespace {

using Doubles = precipice::bindings::Reals;
using Counts = precipice::bindings::Ints;
using precipice::bindings::require_count;
using precipice::bindings::require_fits_u32;
using precipice::bindings::require_ndim;

py::array_t<double> resampled_group_sums(const Counts& group, const Doubles& values, std::int64_t k, std::uint64_t seed,
                                         std::uint64_t first, std::int64_t count, int n_threads) {
    require_count(count);
    require_ndim(group, 1, "group");
    require_ndim(values, 2, "values");
    const auto n = group.shape(0), v = values.shape(1);
    if (n == 0) throw py::value_error("group: empty array");
    require_fits_u32(n, "group");
    if (values.shape(0) != n) throw py::value_error("values: need one row per item of group");
    if (v < 1) throw py::value_error("values: need at least one column");
    if (k < 1) throw py::value_error("k must be at least 1");
    for (py::ssize_t i = 0; i < n; ++i)
        if (group.data()[i] < 0 || group.data()[i] >= k) throw py::value_error("group: every entry must lie in [0, k)");
    py::array_t<double> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(k * (1 + v))});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        precipice::calibration::resampled_group_sums(group.data(), values.data(), n, k, v, seed, first, count,
                                                     n_threads, ptr);
    }
    return out;
}

}  // namespace

void register_calibration(py::module_& m) {
    m.def("resampled_group_sums", &resampled_group_sums, py::arg("group"), py::arg("values"), py::arg("k"),
          py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count, k * (1 + v)) per replicate: the k group counts, then the k x v group sums of the values, "
          "of n items drawn with replacement (the draws of evals.resample_indices, stream 0).");
}
