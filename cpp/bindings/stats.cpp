// Bindings of the pieces every pillar shares: the exact column quantiles and the
// quantiles of counted (histogram) replicates behind every interval, and the
// chi-square tail behind the item-fit p-values.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/irt.hpp"
#include "precipice/quantiles.hpp"
#include "precipice/special.hpp"

namespace py = pybind11;
using precipice::bindings::require_ndim;

namespace {

using Column = precipice::bindings::Reals;

// Column-major: each column's values contiguous (a C-ordered array is copied).
using Columns = precipice::bindings::FArray<double>;

void require_levels(const Column& q_lower, const Column& q_upper, py::ssize_t columns) {
    if (q_lower.ndim() != 1 || q_upper.ndim() != 1 || q_lower.shape(0) != columns || q_upper.shape(0) != columns)
        throw py::value_error("q_lower, q_upper: need one quantile per column");
    for (py::ssize_t c = 0; c < columns; ++c)
        if (!(q_lower.data()[c] >= 0.0 && q_lower.data()[c] <= 1.0 && q_upper.data()[c] >= 0.0 &&
              q_upper.data()[c] <= 1.0))
            throw py::value_error("q_lower, q_upper: quantiles must lie in [0, 1]");
}

py::array_t<double> column_quantiles(const Columns& values, const Column& q_lower, const Column& q_upper,
                                     int n_threads) {
    require_ndim(values, 2, "values");
    const auto rows = values.shape(0), columns = values.shape(1);
    if (rows == 0) throw py::value_error("values: no rows");
    require_levels(q_lower, q_upper, columns);
    py::array_t<double> out({py::ssize_t{2}, columns});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        precipice::column_quantiles(values.data(), rows, columns, q_lower.data(), q_upper.data(), n_threads, ptr);
    }
    return out;
}

using Counts = precipice::bindings::Ints;

py::array_t<double> histogram_quantiles(const Counts& counts, const Column& grid, const Column& q_lower,
                                        const Column& q_upper) {
    require_ndim(counts, 2, "counts");
    const auto columns = counts.shape(0), bins = counts.shape(1);
    if (grid.ndim() != 1 || grid.shape(0) != bins) throw py::value_error("grid: need one value per bin of counts");
    for (py::ssize_t b = 1; b < bins; ++b)
        if (!(grid.data()[b - 1] < grid.data()[b])) throw py::value_error("grid: values must increase");
    const std::int64_t* c = counts.data();
    for (py::ssize_t column = 0; column < columns; ++column) {
        std::int64_t total = 0;
        for (py::ssize_t b = 0; b < bins; ++b) {
            if (c[column * bins + b] < 0) throw py::value_error("counts: negative count");
            total += c[column * bins + b];
        }
        if (total == 0) throw py::value_error("counts: a column with no replicates");
    }
    require_levels(q_lower, q_upper, columns);
    py::array_t<double> out({py::ssize_t{2}, columns});
    precipice::histogram_quantiles(c, columns, bins, grid.data(), q_lower.data(), q_upper.data(), out.mutable_data());
    return out;
}

py::array_t<double> chi_square_survival(const Column& x, const Column& df) {
    require_ndim(x, 1, "x");
    require_ndim(df, 1, "df");
    precipice::bindings::require_same_length(x, "x", df, "df");
    py::array_t<double> out(x.shape(0));
    for (py::ssize_t i = 0; i < x.shape(0); ++i)
        out.mutable_data()[i] = precipice::irt::chi_square_survival(x.data()[i], df.data()[i]);
    return out;
}

// One elementwise function of two 1-D arguments of equal length.
template <class Tail>
py::array_t<double> elementwise(const Column& a, const char* a_name, const Column& b, const char* b_name, Tail tail) {
    require_ndim(a, 1, a_name);
    require_ndim(b, 1, b_name);
    precipice::bindings::require_same_length(a, a_name, b, b_name);
    py::array_t<double> out(a.shape(0));
    for (py::ssize_t i = 0; i < a.shape(0); ++i) out.mutable_data()[i] = tail(a.data()[i], b.data()[i]);
    return out;
}

py::array_t<double> f_survival(const Column& x, const Column& df1, const Column& df2) {
    require_ndim(x, 1, "x");
    require_ndim(df1, 1, "df1");
    require_ndim(df2, 1, "df2");
    precipice::bindings::require_same_length(x, "x", df1, "df1");
    precipice::bindings::require_same_length(x, "x", df2, "df2");
    py::array_t<double> out(x.shape(0));
    for (py::ssize_t i = 0; i < x.shape(0); ++i)
        out.mutable_data()[i] = precipice::f_survival(x.data()[i], df1.data()[i], df2.data()[i]);
    return out;
}

py::array_t<double> studentized_range_survival(const Column& q, const Column& k) {
    return elementwise(q, "q", k, "k", [](double value, double groups) {
        return 1.0 - precipice::studentized_range_cdf(value, static_cast<int>(groups));
    });
}

py::array_t<double> studentized_range_quantile(const Column& p, const Column& k) {
    return elementwise(p, "p", k, "k", [](double level, double groups) {
        return precipice::studentized_range_quantile(level, static_cast<int>(groups));
    });
}

}  // namespace

void register_stats(py::module_& m) {
    m.def("column_quantiles", &column_quantiles, py::arg("values"), py::arg("q_lower"), py::arg("q_upper"),
          py::arg("n_threads"), "(2, columns) linear-interpolated quantiles of each column.");
    m.def("histogram_quantiles", &histogram_quantiles, py::arg("counts"), py::arg("grid"), py::arg("q_lower"),
          py::arg("q_upper"), "(2, columns) quantiles of columns given as (columns, bins) counts over grid.");
    m.def("chi_square_survival", &chi_square_survival, py::arg("x"), py::arg("df"),
          "P(X > x) for chi-square X with df degrees of freedom, elementwise.");
    m.def("f_survival", &f_survival, py::arg("x"), py::arg("df1"), py::arg("df2"),
          "P(F > x) for F with (df1, df2) degrees of freedom, elementwise.");
    m.def("studentized_range_survival", &studentized_range_survival, py::arg("q"), py::arg("k"),
          "P(Q > q) for the studentized range of k groups with infinite degrees of freedom, elementwise.");
    m.def("studentized_range_quantile", &studentized_range_quantile, py::arg("p"), py::arg("k"),
          "The q with P(Q <= q) = p, Q the studentized range of k groups with infinite degrees of freedom.");
}
