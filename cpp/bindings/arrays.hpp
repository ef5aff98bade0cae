// Array types and the cheap shape guards every binding file uses. Python gives
// users the real messages; these only keep a kernel from reading out of bounds
// when a private _core function is called with the wrong shapes.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace precipice::bindings {

namespace py = pybind11;

// What every array argument must be on the way in; anything else is converted
// (copied): C-contiguous, of the element type, and aligned — arrays that arrive
// through pickle buffers (Dask) or np.frombuffer can start at an odd address.
inline constexpr int kAligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast | kAligned>;
template <class T>
using FArray = py::array_t<T, py::array::f_style | py::array::forcecast | kAligned>;
using Reals = CArray<double>;
using Ints = CArray<std::int64_t>;

inline void require_ndim(const py::array& a, py::ssize_t ndim, const char* name) {
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + ": expected a " + std::to_string(ndim) + "-D array, got " +
                              std::to_string(a.ndim()) + "-D");
}

inline void require_1d(const py::array& a, const char* name) { require_ndim(a, 1, name); }

inline void require_same_length(const py::array& a, const char* a_name, const py::array& b, const char* b_name) {
    if (a.shape(0) != b.shape(0))
        throw py::value_error(std::string(a_name) + " and " + b_name + " differ in length (" +
                              std::to_string(a.shape(0)) + " vs " + std::to_string(b.shape(0)) + ")");
}

inline void require_count(std::int64_t count) {
    if (count < 0) throw py::value_error("count must be non-negative");
}

// Every entry of a 1-D integer array at least `minimum`.
inline void require_each_at_least(const Ints& a, std::int64_t minimum, const char* name) {
    require_1d(a, name);
    const auto v = a.unchecked<1>();
    for (py::ssize_t i = 0; i < a.shape(0); ++i)
        if (v(i) < minimum)
            throw py::value_error(std::string(name) + " must be at least " + std::to_string(minimum) + ", got " +
                                  std::to_string(v(i)));
}

// A length the kernels index with 32-bit draws (rows, problems, items).
inline void require_fits_u32(std::int64_t length, const char* name) {
    if (length > std::int64_t{0xFFFFFFFF}) throw py::value_error(std::string(name) + ": more than 2**32 - 1");
}

// A numpy array that takes over a vector's values, in the given shape.
template <class T>
py::array_t<T> to_array(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
    auto* owned = new std::vector<T>(std::move(values));
    py::capsule release(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(std::move(shape), owned->data(), release);
}

}  // namespace precipice::bindings
