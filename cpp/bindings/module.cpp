// The private extension module precipice._core: one registration per pillar.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <exception>

#include "interrupt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/philox.hpp"

namespace py = pybind11;

void register_bootstrap(py::module_& m);
void register_passk(py::module_& m);
void register_irt(py::module_& m);
void register_evals(py::module_& m);

namespace {

// Replaces this thread's progress callback (None for none); returns the previous one.
py::object set_progress(const py::object& callback) {
    PyObject* previous = precipice::bindings::progress_callback;
    PyObject* next = callback.is_none() ? nullptr : callback.ptr();
    Py_XINCREF(next);
    precipice::bindings::progress_callback = next;
    return previous == nullptr ? py::none() : py::reinterpret_steal<py::object>(previous);
}

// Polls the caller's Interrupt as a kernel would, for `seconds`, with `chunks`
// chunks on n_threads (for the interrupt tests: a kernel of known length).
void spin(double seconds, std::int64_t chunks, int n_threads) {
    precipice::bindings::InterruptGuard interrupt;
    py::gil_scoped_release release;
    const auto per_chunk = std::chrono::duration<double>(seconds / static_cast<double>(chunks));
    precipice::parallel_chunks(chunks, 1, n_threads, [] { return 0; }, [&](int, std::int64_t, std::int64_t) {
        const auto until = std::chrono::steady_clock::now() + per_chunk;
        while (std::chrono::steady_clock::now() < until) precipice::interruption_point();
    });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "precipice compiled core (private; use the precipice package)";
    m.def("has_openmp", &precipice::have_openmp, "Whether the core was built with OpenMP.");
    m.def("random_kernels", &precipice::random_kernels,
          "The Philox kernels in use: avx512, avx2, sse2 or scalar (PRECIPICE_SIMD=sse2|avx2 caps them).");
    m.def(
        "philox4x32_10",
        [](precipice::Counter ctr, precipice::Key key) { return precipice::philox4x32_10(ctr, key); },
        py::arg("counter"), py::arg("key"), "One Philox4x32-10 block (for known-answer tests).");
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
    m.def("_spin", &spin, py::arg("seconds"), py::arg("chunks"), py::arg("n_threads"),
          "Busy-waits `seconds` in `chunks` stoppable chunks (for the interrupt tests).");
    register_bootstrap(m);
    register_passk(m);
    register_irt(m);
    register_evals(m);
}
