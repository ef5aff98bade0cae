// The private extension module precipice._core: one registration per pillar.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "precipice/parallel.hpp"
#include "precipice/philox.hpp"

namespace py = pybind11;

void register_bootstrap(py::module_& m);
void register_passk(py::module_& m);
void register_irt(py::module_& m);
void register_evals(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "precipice compiled core (private; use the precipice package)";
    m.def("has_openmp", &precipice::have_openmp, "Whether the core was built with OpenMP.");
    m.def("random_kernels", &precipice::random_kernels,
          "The Philox kernels in use: avx512, avx2, sse2 or scalar (PRECIPICE_SIMD=sse2|avx2 caps them).");
    m.def(
        "philox4x32_10",
        [](precipice::Counter ctr, precipice::Key key) { return precipice::philox4x32_10(ctr, key); },
        py::arg("counter"), py::arg("key"), "One Philox4x32-10 block (for known-answer tests).");
    register_bootstrap(m);
    register_passk(m);
    register_irt(m);
    register_evals(m);
}
