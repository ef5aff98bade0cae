// Parallel loops over independent blocks with a caller-chosen thread count.
// The thread count is an argument, never global OpenMP state, and no exception
// leaves a parallel region: the first one is kept and rethrown afterwards.
// Every region is stoppable (see interrupt.hpp): the calling thread polls its
// Interrupt between chunks, so chunks must stay well under a second.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>

#include "precipice/interrupt.hpp"

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

// The CPUs this process may run on: its affinity mask, capped by a cgroup CPU
// quota (a container's --cpus); at least 1.
int usable_cpus() noexcept;

// The thread count that n_threads=None means, as scikit-learn's
// _openmp_effective_n_threads: OpenMP's omp_get_max_threads() (which honours
// OMP_NUM_THREADS), capped by usable_cpus() unless OMP_NUM_THREADS is set;
// 1 without OpenMP.
int effective_threads() noexcept;

// Calls body(scratch, begin, end) over [0, total) in chunks of `chunk`. Each
// thread builds one scratch object with make_scratch() and reuses it for all of
// its chunks, so hot loops allocate nothing per replicate. Throws `interrupted`
// when the caller's Interrupt asked to stop; which chunks ran is then unspecified.
// The chunks a thread runs, and so the results, never depend on the polls.
template <class MakeScratch, class Body>
void parallel_chunks(std::int64_t total, std::int64_t chunk, int n_threads, MakeScratch make_scratch, Body body) {
    if (total <= 0) return;
    if (chunk < 1) chunk = 1;
    const std::int64_t n_chunks = (total + chunk - 1) / chunk;
    detail::Region region;
    region.total = n_chunks;
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
        region.done.fetch_add(1, std::memory_order_relaxed);
    };
    // On the caller's thread (the only one with an Interrupt), by time: a read of
    // the clock per chunk, a poll every Interrupt::kInterval.
    auto poll = [&](Interrupt* interrupt) {
        if (interrupt != nullptr && interrupt->check(region.done.load(std::memory_order_relaxed), n_chunks))
            region.stop.store(true, std::memory_order_relaxed);
    };
#ifdef PRECIPICE_HAVE_OPENMP
    if (n_threads > 1 && n_chunks > 1) {
        using Scratch = decltype(make_scratch());
        const int threads = n_chunks < n_threads ? static_cast<int>(n_chunks) : n_threads;
#pragma omp parallel num_threads(threads)
        {
            // The encountering thread is the team's thread 0: it alone sees the
            // caller's Interrupt (thread_local), the workers see none.
            Interrupt* const interrupt = detail::current_interrupt;
            const detail::RegionScope in_region(region);
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
                if (failed.load(std::memory_order_relaxed) || region.stop.load(std::memory_order_relaxed) || !scratch)
                    continue;
                try {
                    run_chunk(*scratch, c);
                } catch (...) {
                    remember(std::current_exception());
                }
                poll(interrupt);
            }
        }
        if (first_error) std::rethrow_exception(first_error);
        if (region.stop.load(std::memory_order_relaxed)) throw interrupted{};
        return;
    }
#else
    (void)n_threads;
    (void)remember;
#endif
    Interrupt* const interrupt = detail::current_interrupt;
    const detail::RegionScope in_region(region);
    auto scratch = make_scratch();
    for (std::int64_t c = 0; c < n_chunks; ++c) {
        run_chunk(scratch, c);
        poll(interrupt);
        if (region.stop.load(std::memory_order_relaxed)) throw interrupted{};
    }
}

}  // namespace precipice
