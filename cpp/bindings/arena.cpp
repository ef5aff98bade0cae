// Bindings of the pairwise-comparison ratings: cheap shape and index guards
// with the GIL held, then the kernels without it. precipice/arena.py validates
// with the user-facing messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <tuple>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/arena.hpp"

namespace py = pybind11;
namespace ar = precipice::arena;

namespace {

using Doubles = precipice::bindings::Reals;
using Counts = precipice::bindings::Ints;
using Index32 = precipice::bindings::CArray<std::int32_t>;
using precipice::bindings::require_count;
using precipice::bindings::require_ndim;

// The cell arrays must outlive the kernel call: the caller keeps them.
struct CellArrays {
    Index32 a, b;
    Doubles outcome, weight, features;
    Counts multiplicity;
    ar::Cells cells;
};

CellArrays make_cells(const Index32& a, const Index32& b, const Doubles& outcome, const Doubles& weight,
                      const Counts& multiplicity, const Doubles& features, std::int64_t n_models) {
    require_ndim(a, 1, "a");
    require_ndim(features, 2, "features");
    const auto n = a.shape(0);
    if (n == 0) throw py::value_error("cells: empty");
    for (const py::array* arr : {static_cast<const py::array*>(&b), static_cast<const py::array*>(&outcome),
                                 static_cast<const py::array*>(&weight), static_cast<const py::array*>(&multiplicity)})
        if (arr->ndim() != 1 || arr->shape(0) != n) throw py::value_error("cells: arrays of different lengths");
    if (features.shape(0) != n && features.shape(1) != 0) throw py::value_error("features: need one row per cell");
    if (n_models < 2) throw py::value_error("n_models must be at least 2");
    for (py::ssize_t c = 0; c < n; ++c) {
        const auto ia = a.data()[c], ib = b.data()[c];
        if (ia < 0 || ib < 0 || ia >= n_models || ib >= n_models || ia == ib)
            throw py::value_error("cells: model index out of range or a self-battle");
        if (multiplicity.data()[c] < 0) throw py::value_error("multiplicity: must be non-negative");
        if (!(weight.data()[c] >= 0.0) || !std::isfinite(outcome.data()[c]))
            throw py::value_error("cells: weights must be non-negative and outcomes finite");
    }
    CellArrays arrays{a, b, outcome, weight, features, multiplicity, {}};
    arrays.cells.n_cells = n;
    arrays.cells.n_models = n_models;
    arrays.cells.n_features = features.shape(1);
    arrays.cells.a = arrays.a.data();
    arrays.cells.b = arrays.b.data();
    arrays.cells.outcome = arrays.outcome.data();
    arrays.cells.weight = arrays.weight.data();
    arrays.cells.multiplicity = arrays.multiplicity.data();
    arrays.cells.features = arrays.cells.n_features > 0 ? arrays.features.data() : nullptr;
    return arrays;
}

ar::FitOptions make_options(int ties, double ridge, double feature_ridge, double tol, int max_iter) {
    if (ties < 0 || ties > 2) throw py::value_error("ties: 0 (half), 1 (rao-kupper) or 2 (davidson)");
    if (!(ridge >= 0.0)) throw py::value_error("ridge must be non-negative");
    if (!(feature_ridge >= 0.0)) throw py::value_error("feature_ridge must be non-negative");
    if (!(tol > 0.0)) throw py::value_error("tol must be positive");
    if (max_iter < 1) throw py::value_error("max_iter must be at least 1");
    ar::FitOptions options;
    options.ties = static_cast<ar::TieModel>(ties);
    options.ridge = ridge;
    options.feature_ridge = feature_ridge;
    options.tol = tol;
    options.max_iter = max_iter;
    return options;
}

Doubles checked_start(const Doubles& start, std::int64_t p_count) {
    if (start.ndim() != 1 || start.shape(0) != p_count) throw py::value_error("start: need one value per parameter");
    return start;
}

std::tuple<py::array_t<double>, int, int, double> fit(const Index32& a, const Index32& b, const Doubles& outcome,
                                                      const Doubles& weight, const Counts& multiplicity,
                                                      const Doubles& features, std::int64_t n_models,
                                                      const Doubles& start, int ties, double ridge,
                                                      double feature_ridge, double tol, int max_iter) {
    const CellArrays arrays = make_cells(a, b, outcome, weight, multiplicity, features, n_models);
    const ar::FitOptions options = make_options(ties, ridge, feature_ridge, tol, max_iter);
    const std::int64_t p_count = ar::parameter_count(arrays.cells, options.ties);
    checked_start(start, p_count);
    py::array_t<double> params(static_cast<py::ssize_t>(p_count));
    std::copy(start.data(), start.data() + p_count, params.mutable_data());
    double* ptr = params.mutable_data();
    ar::FitStatus status;
    {
        py::gil_scoped_release release;
        status = ar::fit(arrays.cells, nullptr, options, ptr);
    }
    return {params, static_cast<int>(status.code), status.iterations, status.loglik};
}

std::tuple<py::array_t<double>, py::array_t<double>> information(const Index32& a, const Index32& b,
                                                                 const Doubles& outcome, const Doubles& weight,
                                                                 const Counts& multiplicity, const Doubles& features,
                                                                 std::int64_t n_models, const Doubles& params,
                                                                 int ties) {
    const CellArrays arrays = make_cells(a, b, outcome, weight, multiplicity, features, n_models);
    const ar::FitOptions options = make_options(ties, 0.0, 0.0, 1.0, 1);
    const std::int64_t p_count = ar::parameter_count(arrays.cells, options.ties);
    checked_start(params, p_count);
    const auto p = static_cast<py::ssize_t>(p_count);
    py::array_t<double> info({p, p}), meat({p, p});
    double* info_ptr = info.mutable_data();
    double* meat_ptr = meat.mutable_data();
    {
        py::gil_scoped_release release;
        ar::information(arrays.cells, options, params.data(), info_ptr, meat_ptr);
    }
    return {info, meat};
}

std::tuple<py::array_t<double>, py::array_t<std::int32_t>> bootstrap(
    const Index32& a, const Index32& b, const Doubles& outcome, const Doubles& weight, const Counts& multiplicity,
    const Doubles& features, std::int64_t n_models, const Doubles& start, int ties, double ridge, double feature_ridge,
    double tol, int max_iter, std::uint64_t seed, int n_threads, std::uint64_t first, std::int64_t count) {
    require_count(count);
    const CellArrays arrays = make_cells(a, b, outcome, weight, multiplicity, features, n_models);
    const ar::FitOptions options = make_options(ties, ridge, feature_ridge, tol, max_iter);
    const std::int64_t p_count = ar::parameter_count(arrays.cells, options.ties);
    checked_start(start, p_count);
    py::array_t<double> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(p_count)});
    py::array_t<std::int32_t> codes(static_cast<py::ssize_t>(count));
    double* out_ptr = out.mutable_data();
    std::int32_t* code_ptr = codes.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        ar::bootstrap(arrays.cells, options, start.data(), seed, first, count, n_threads, out_ptr, code_ptr);
    }
    return {out, codes};
}

py::array_t<double> online_elo(const Index32& a, const Index32& b, const Doubles& score, const Doubles& initial,
                               double k, double scale, double base) {
    require_ndim(a, 1, "a");
    const auto n = a.shape(0);
    if (b.ndim() != 1 || score.ndim() != 1 || b.shape(0) != n || score.shape(0) != n)
        throw py::value_error("a, b, score: one-dimensional, of one length");
    require_ndim(initial, 1, "initial");
    const auto m = initial.shape(0);
    for (py::ssize_t i = 0; i < n; ++i)
        if (a.data()[i] < 0 || a.data()[i] >= m || b.data()[i] < 0 || b.data()[i] >= m)
            throw py::value_error("a, b: model index out of range");
    py::array_t<double> ratings(m);
    std::copy(initial.data(), initial.data() + m, ratings.mutable_data());
    double* ptr = ratings.mutable_data();
    {
        py::gil_scoped_release release;
        ar::online_elo(a.data(), b.data(), score.data(), n, k, scale, base, ptr);
    }
    return ratings;
}

}  // namespace

void register_arena(py::module_& m) {
    m.def("fit", &fit, py::arg("a"), py::arg("b"), py::arg("outcome"), py::arg("weight"), py::arg("multiplicity"),
          py::arg("features"), py::arg("n_models"), py::arg("start"), py::arg("ties"), py::arg("ridge"),
          py::arg("feature_ridge"), py::arg("tol"), py::arg("max_iter"),
          "Newton fit on deduplicated cells: (params, code, iterations, loglik); code 0 converged, 1 max_iter, "
          "2 diverged, 3 singular.");
    m.def("information", &information, py::arg("a"), py::arg("b"), py::arg("outcome"), py::arg("weight"),
          py::arg("multiplicity"), py::arg("features"), py::arg("n_models"), py::arg("params"), py::arg("ties"),
          "(observed information, sum of per-battle score outer products) at params, without the prior.");
    m.def("bootstrap", &bootstrap, py::arg("a"), py::arg("b"), py::arg("outcome"), py::arg("weight"),
          py::arg("multiplicity"), py::arg("features"), py::arg("n_models"), py::arg("start"), py::arg("ties"),
          py::arg("ridge"), py::arg("feature_ridge"), py::arg("tol"), py::arg("max_iter"), py::arg("seed"),
          py::arg("n_threads"), py::arg("first"), py::arg("count"),
          "Multinomial bootstrap over the cells, replicates first .. first + count - 1: (params (count, P), codes).");
    m.def("online_elo", &online_elo, py::arg("a"), py::arg("b"), py::arg("score"), py::arg("initial"), py::arg("k"),
          py::arg("scale"), py::arg("base"), "Sequential Elo updates over the battles in order; the final ratings.");
}
