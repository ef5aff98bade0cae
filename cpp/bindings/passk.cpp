// Bindings of the pass@k-family estimators.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_passk(py::module_& m) { (void)m; }
