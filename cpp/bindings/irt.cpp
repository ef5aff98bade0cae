// Bindings of item response theory fitting and scoring.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_irt(py::module_& m) { (void)m; }
