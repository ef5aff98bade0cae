// The private extension module precipice._core: one registration per pillar.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>

#include "interrupt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/random/philox.hpp"

namespace py = pybind11;

void register_bootstrap(py::module_& m);
void register_calibration(py::module_& m);
void register_passk(py::module_& m);
void register_irt(py::module_& m);
void register_arena(py::module_& m);
void register_evals(py::module_& m);
void register_stats(py::module_& m);
void register_ranking(py::module_& m);
void register_testing(py::module_& m);
void register_leaderboard(py::module_& m);
void register_leaderboard_probes(py::module_& testing);

namespace {

// Replaces this thread's progress callback (None for none); returns the previous one.
py::object set_progress(const py::object& callback) {
    PyObject* previous = precipice::bindings::progress_callback;
    PyObject* next = callback.is_none() ? nullptr : callback.ptr();
    Py_XINCREF(next);
    precipice::bindings::progress_callback = next;
    return previous == nullptr ? py::none() : py::reinterpret_steal<py::object>(previous);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "precipice compiled core (private; use the precipice package)";
    m.def("has_openmp", &precipice::have_openmp, "Whether the core was built with OpenMP.");
    m.def("effective_threads", &precipice::effective_threads,
          "The threads n_threads=None means: omp_get_max_threads() (OMP_NUM_THREADS), capped by the usable CPUs "
          "(affinity, cgroup quota) unless OMP_NUM_THREADS is set; 1 without OpenMP.");
    m.def("random_kernels", &precipice::random_kernels,
          "The SIMD width the dispatched kernels use (Philox, bounded draws, bootstrap, IRT; IRT has no "
          "AVX-512 build and runs AVX2 there): avx512, avx2, sse2 or scalar (PRECIPICE_SIMD=sse2|avx2 caps it).");
    // A kernel stopped by its InterruptGuard: the guard has restored the Python
    // error its poll caught (KeyboardInterrupt from Ctrl-C, or the progress
    // callback's); raise that one.
    py::register_exception_translator([](std::exception_ptr error) {
        try {
            if (error) std::rethrow_exception(error);
        } catch (const precipice::interrupted&) {
            if (PyErr_Occurred() == nullptr) PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
    });
    m.def("_set_progress", &set_progress, py::arg("callback"),
          "Sets this thread's progress callback (see precipice._progress); returns the previous one.");
    // One submodule per pillar, as the Python package has one module per pillar.
    auto bootstrap = m.def_submodule("bootstrap", "The stratified bootstrap kernels.");
    register_bootstrap(bootstrap);
    auto passk = m.def_submodule("passk", "The pass@k-family kernels.");
    register_passk(passk);
    auto evals = m.def_submodule("evals", "Resampling of per-item statistics.");
    register_evals(evals);
    auto stats = m.def_submodule("stats", "Pieces every pillar shares (quantiles).");
    register_stats(stats);
    auto testing = m.def_submodule("_testing", "Probes for the tests only.");
    register_testing(testing);
    register_leaderboard_probes(testing);
    auto irt = m.def_submodule("irt", "Item response theory: EM and joint-mode fits, scoring, item fit.");
    register_irt(irt);
    auto calibration = m.def_submodule("calibration", "Resampled per-bin sums of calibration metrics.");
    register_calibration(calibration);
    auto ranking = m.def_submodule("ranking", "Rank aggregation over tasks and its bootstrap.");
    register_ranking(ranking);
    auto arena = m.def_submodule("arena", "Pairwise-comparison ratings: Bradley-Terry fits and their bootstrap.");
    register_arena(arena);
    auto leaderboard = m.def_submodule("leaderboard", "The paired leaderboard bootstrap.");
    register_leaderboard(leaderboard);
}
