// Bindings of the paired leaderboard bootstrap: shape guards with the GIL held,
// then the kernels without it. precipice.leaderboard gives users the messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/leaderboard.hpp"

namespace py = pybind11;
namespace lb = precipice::leaderboard;

namespace {

using Doubles = precipice::bindings::Reals;
using Ints = precipice::bindings::Ints;
using Bytes = precipice::bindings::CArray<std::uint8_t>;
using precipice::bindings::require_count;
using precipice::bindings::require_fits_u32;
using precipice::bindings::require_ndim;

// The design of `rows` table rows; `owner` keeps unit_of_item's array alive.
lb::Design make_design(std::int64_t rows, std::int64_t units, const py::object& unit_of_item, std::int64_t samples,
                       Ints& owner) {
    if (rows < 1) throw py::value_error("rows: need at least one row");
    if (samples < 1 || rows % samples != 0) throw py::value_error("samples: must be at least 1 and divide the rows");
    if (units < 1) throw py::value_error("units must be at least 1");
    require_fits_u32(units, "units");
    require_fits_u32(samples, "samples");
    const std::int64_t items = rows / samples;
    lb::Design design{rows, units, nullptr, samples};
    if (unit_of_item.is_none()) {
        if (units != items) throw py::value_error("units: without unit_of_item, one unit per item");
        return design;
    }
    owner = Ints::ensure(unit_of_item);
    if (!owner) throw py::type_error("unit_of_item: expected an integer array");
    require_ndim(owner, 1, "unit_of_item");
    if (owner.shape(0) != items) throw py::value_error("unit_of_item: need one unit per item");
    for (py::ssize_t i = 0; i < owner.shape(0); ++i)
        if (owner.data()[i] < 0 || owner.data()[i] >= units)
            throw py::value_error("unit_of_item: entries must lie in [0, units)");
    design.unit_of_item = owner.data();
    return design;
}

py::array_t<double> resampled_totals(const Doubles& table, std::int64_t units, const py::object& unit_of_item,
                                     std::int64_t samples, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                                     int n_threads) {
    require_count(count);
    require_ndim(table, 2, "table");
    const auto rows = table.shape(0), cols = table.shape(1);
    if (cols < 1) throw py::value_error("table: need at least one column");
    Ints owner;
    const lb::Design design = make_design(rows, units, unit_of_item, samples, owner);
    py::array_t<double> out({static_cast<py::ssize_t>(count), cols});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        lb::resampled_totals(table.data(), cols, design, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<double> replicate_weights(std::int64_t rows, std::int64_t units, const py::object& unit_of_item,
                                      std::int64_t samples, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                                      int n_threads) {
    require_count(count);
    Ints owner;
    const lb::Design design = make_design(rows, units, unit_of_item, samples, owner);
    py::array_t<double> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(rows)});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        lb::replicate_weights(design, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<double> difference_scales(const Doubles& replicates, int n_threads) {
    require_ndim(replicates, 2, "replicates");
    const auto models = replicates.shape(0), reps = replicates.shape(1);
    py::array_t<double> out({models, models});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        lb::difference_scales(replicates.data(), models, reps, n_threads, ptr);
    }
    return out;
}

py::array_t<double> max_studentized_difference(const Doubles& centered, const Doubles& inverse_scale,
                                               const Bytes& active, int n_threads) {
    require_ndim(centered, 2, "centered");
    require_ndim(inverse_scale, 2, "inverse_scale");
    require_ndim(active, 2, "active");
    const auto reps = centered.shape(0), models = centered.shape(1);
    for (const py::array* a : {static_cast<const py::array*>(&inverse_scale), static_cast<const py::array*>(&active)})
        if (a->shape(0) != models || a->shape(1) != models)
            throw py::value_error("inverse_scale and active: need (models, models)");
    py::array_t<double> out(reps);
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        lb::max_studentized_difference(centered.data(), reps, models, inverse_scale.data(), active.data(), n_threads,
                                       ptr);
    }
    return out;
}

}  // namespace

void register_leaderboard(py::module_& m) {
    m.def("resampled_totals", &resampled_totals, py::arg("table"), py::arg("units"), py::arg("unit_of_item"),
          py::arg("samples"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n_threads"),
          "(count, cols) resampled weighted column totals of a (rows, cols) table, the same item draws for every "
          "column of a replicate.");
    m.def("difference_scales", &difference_scales, py::arg("replicates"), py::arg("n_threads"),
          "(models, models) standard deviations of the pairwise differences of (models, reps) replicates.");
    m.def("max_studentized_difference", &max_studentized_difference, py::arg("centered"), py::arg("inverse_scale"),
          py::arg("active"), py::arg("n_threads"),
          "(reps,) max over active ordered pairs of the studentized centered differences.");
}

void register_leaderboard_probes(py::module_& testing) {
    testing.def("leaderboard_weights", &replicate_weights, py::arg("rows"), py::arg("units"), py::arg("unit_of_item"),
                py::arg("samples"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n_threads"),
                "(count, rows) the row weights behind leaderboard.resampled_totals.");
}
