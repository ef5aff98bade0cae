// Bindings of the rank aggregation over tasks: array conversion and the checks
// that keep the core in bounds, with the GIL held; then the core without it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/ranking.hpp"

namespace py = pybind11;
namespace rk = precipice::ranking;

namespace {

using precipice::bindings::Reals;
using precipice::bindings::require_fits_u32;
using precipice::bindings::require_ndim;

void check_scores(const Reals& scores) {
    require_ndim(scores, 2, "scores");
    if (scores.shape(0) < 1) throw py::value_error("scores: need at least one task");
    if (scores.shape(1) < 2 || scores.shape(1) > 255) throw py::value_error("scores: need 2 to 255 methods");
    require_fits_u32(scores.shape(0), "scores");
}

void check_exact(bool exact, py::ssize_t methods) {
    if (exact && methods > rk::kKemenyExactLimit)
        throw py::value_error("exact: the exact Kemeny search takes at most " + std::to_string(rk::kKemenyExactLimit) +
                              " methods");
}

py::array_t<double> borda(const Reals& scores) {
    check_scores(scores);
    const auto tasks = scores.shape(0), methods = scores.shape(1);
    py::array_t<double> out(methods);
    double* ptr = out.mutable_data();
    {
        py::gil_scoped_release release;
        const rk::Tasks prepared(scores.data(), tasks, methods);
        const std::vector<double> ones(static_cast<std::size_t>(tasks), 1.0);
        std::vector<double> mass(static_cast<std::size_t>(methods));
        prepared.borda(ones.data(), mass.data(), ptr);
    }
    return out;
}

std::pair<py::array_t<std::int64_t>, double> kemeny(const Reals& scores, bool exact) {
    check_scores(scores);
    const auto tasks = scores.shape(0), methods = scores.shape(1);
    check_exact(exact, methods);
    std::vector<int> order(static_cast<std::size_t>(methods));
    double cost = 0.0;
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const rk::Tasks prepared(scores.data(), tasks, methods);
        const std::vector<double> ones(static_cast<std::size_t>(tasks), 1.0);
        rk::Workspace work(methods);
        cost = rk::consensus(prepared, ones.data(), exact, work, order.data());
    }
    py::array_t<std::int64_t> out(methods);
    for (py::ssize_t i = 0; i < methods; ++i) out.mutable_data()[i] = order[static_cast<std::size_t>(i)];
    return {out, cost};
}

py::array_t<double> bootstrap(const Reals& scores, const std::string& method, bool exact, std::int64_t reps,
                              std::uint64_t seed, int n_threads) {
    check_scores(scores);
    const auto tasks = scores.shape(0), methods = scores.shape(1);
    if (method != "borda" && method != "kemeny") throw py::value_error("method: must be 'borda' or 'kemeny'");
    const auto how = method == "borda" ? rk::Aggregate::borda : rk::Aggregate::kemeny;
    if (how == rk::Aggregate::kemeny) check_exact(exact, methods);
    if (reps < 1) throw py::value_error("reps: must be at least 1");
    py::array_t<double> out({static_cast<py::ssize_t>(reps), methods});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const rk::Tasks prepared(scores.data(), tasks, methods);
        rk::bootstrap(prepared, how, exact, reps, seed, n_threads, ptr);
    }
    return out;
}

}  // namespace

void register_ranking(py::module_& m) {
    m.def("borda", &borda, py::arg("scores"),
          "(methods,) Borda scores of (tasks, methods) scores (larger better, NaN missing): each method's mean over "
          "the tasks that score it of the share of the others it beats, ties counting half.");
    m.def("kemeny", &kemeny, py::arg("scores"), py::arg("exact"),
          "(order best first, cost): the Kemeny consensus of the tasks' rankings, exact or by local search from the "
          "Borda order.");
    m.def("bootstrap", &bootstrap, py::arg("scores"), py::arg("method"), py::arg("exact"), py::arg("reps"),
          py::arg("seed"), py::arg("n_threads"),
          "(reps, methods) aggregate scores over tasks resampled with replacement: Borda scores, or methods - 1 - "
          "position in the Kemeny consensus.");
}
