// Bindings of item-level evaluation statistics (resampling of per-item statistics).
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_evals(py::module_& m) { (void)m; }
