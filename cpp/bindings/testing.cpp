// precipice._core._testing: the probes the tests need (Philox known-answer
// vectors, raw replicate streams, bounded draws, a stoppable busy loop); nothing
// here is used by the package itself.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>

#include "interrupt.hpp"
#include "precipice/parallel.hpp"
#include "precipice/random/bounded.hpp"
#include "precipice/random/philox.hpp"

namespace py = pybind11;

namespace {

py::array_t<std::uint32_t> bounded_draws(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream,
                                         std::uint32_t bound, std::uint32_t count) {
    if (bound < 1) throw py::value_error("bound must be at least 1");
    py::array_t<std::uint32_t> out(static_cast<py::ssize_t>(count));
    precipice::ReplicateStream rng(seed, replicate, stream);
    precipice::draw_bounded(rng, precipice::BoundedPlan(bound), count, out.mutable_data());
    return out;
}

py::array_t<std::uint32_t> stream_words(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream,
                                        std::uint32_t count) {
    py::array_t<std::uint32_t> out(static_cast<py::ssize_t>(count));
    precipice::ReplicateStream rng(seed, replicate, stream);
    std::uint32_t* ptr = out.mutable_data();
    for (std::uint32_t i = 0; i < count; ++i) ptr[i] = rng.next();
    return out;
}

// Polls the caller's Interrupt as a kernel would, for `seconds`, with `chunks`
// chunks on n_threads (for the interrupt tests: a kernel of known length).
void spin(double seconds, std::int64_t chunks, int n_threads) {
    precipice::bindings::InterruptGuard interrupt;
    py::gil_scoped_release release;
    const auto per_chunk = std::chrono::duration<double>(seconds / static_cast<double>(chunks));
    precipice::parallel_chunks(
        chunks, 1, n_threads, [] { return 0; },
        [&](int, std::int64_t, std::int64_t) {
            const auto until = std::chrono::steady_clock::now() + per_chunk;
            while (std::chrono::steady_clock::now() < until) precipice::interruption_point();
        });
}

}  // namespace

void register_testing(py::module_& m) {
    m.def(
        "philox4x32_10", [](precipice::Counter ctr, precipice::Key key) { return precipice::philox4x32_10(ctr, key); },
        py::arg("counter"), py::arg("key"), "One Philox4x32-10 block (for known-answer tests).");
    m.def("stream_words", &stream_words, py::arg("seed"), py::arg("replicate"), py::arg("stream"), py::arg("count"),
          "The first `count` words of one replicate stream.");
    m.def("bounded_draws", &bounded_draws, py::arg("seed"), py::arg("replicate"), py::arg("stream"), py::arg("bound"),
          py::arg("count"), "`count` draws in [0, bound) from one replicate stream.");
    m.def("spin", &spin, py::arg("seconds"), py::arg("chunks"), py::arg("n_threads"),
          "Busy-waits `seconds` in `chunks` stoppable chunks (a kernel of known length).");
}
