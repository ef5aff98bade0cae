// Parallel loops over independent blocks with a caller-chosen thread count.
// The thread count is an argument, never global OpenMP state, and no exception
// leaves a parallel region: the first one is kept and rethrown afterwards.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>

#ifdef PRECIPICE_HAVE_OPENMP
#include <omp.h>
#endif

namespace precipice {

inline bool have_openmp() noexcept {
#ifdef PRECIPICE_HAVE_OPENMP
    return true;
#else
    return false;
#endif
}

// Calls body(scratch, begin, end) over [0, total) in chunks of `chunk`. Each
// thread builds one scratch object with make_scratch() and reuses it for all of
// its chunks, so hot loops allocate nothing per replicate.
template <class MakeScratch, class Body>
void parallel_chunks(std::int64_t total, std::int64_t chunk, int n_threads, MakeScratch make_scratch,
                     Body body) {
    if (total <= 0) return;
    if (chunk < 1) chunk = 1;
    const std::int64_t n_chunks = (total + chunk - 1) / chunk;
    std::exception_ptr first_error;
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    auto remember = [&](std::exception_ptr error) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = error;
        failed = true;
    };
    auto run_chunk = [&](auto& scratch, std::int64_t c) {
        const std::int64_t begin = c * chunk;
        const std::int64_t end = begin + chunk < total ? begin + chunk : total;
        body(scratch, begin, end);
    };
#ifdef PRECIPICE_HAVE_OPENMP
    if (n_threads > 1 && n_chunks > 1) {
        using Scratch = decltype(make_scratch());
        const int threads = n_chunks < n_threads ? static_cast<int>(n_chunks) : n_threads;
#pragma omp parallel num_threads(threads)
        {
            // Every thread must reach the worksharing loop, even one whose
            // scratch allocation failed, or the loop's barrier never opens.
            std::optional<Scratch> scratch;
            try {
                scratch.emplace(make_scratch());
            } catch (...) {
                remember(std::current_exception());
            }
#pragma omp for schedule(dynamic, 1)
            for (std::int64_t c = 0; c < n_chunks; ++c) {
                if (failed.load(std::memory_order_relaxed) || !scratch) continue;
                try {
                    run_chunk(*scratch, c);
                } catch (...) {
                    remember(std::current_exception());
                }
            }
        }
        if (first_error) std::rethrow_exception(first_error);
        return;
    }
#else
    (void)n_threads;
    (void)remember;
#endif
    auto scratch = make_scratch();
    for (std::int64_t c = 0; c < n_chunks; ++c) run_chunk(scratch, c);
}

}  // namespace precipice
