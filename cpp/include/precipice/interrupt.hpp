// Stopping a long kernel from outside, and reporting how far it got, without the
// core knowing who asks. A caller (the Python bindings) installs an Interrupt on
// its own thread for the length of a call; parallel_chunks polls it from that
// thread between chunks, by time, and once it asks to stop every thread skips the
// chunks it has left and the kernel throws `interrupted` after the region.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace precipice {

// Thrown by a kernel whose Interrupt asked it to stop. Deliberately not a
// std::exception: a kernel's `catch (const std::exception&)` (a fallback path)
// must not swallow a stop request.
struct interrupted {};

class Interrupt {
  public:
    // Between polls: short enough that a stop is honoured well within a second,
    // long enough that polling (the Python side takes the GIL) costs nothing.
    static constexpr std::chrono::milliseconds kInterval{50};

    Interrupt() = default;
    Interrupt(const Interrupt&) = delete;
    Interrupt& operator=(const Interrupt&) = delete;
    virtual ~Interrupt() = default;

    // On the installing thread only: poll() if kInterval has passed since the last
    // poll, with the current region's done and total chunks. True once any poll
    // has asked to stop (and from then on, without polling again).
    bool check(std::int64_t done, std::int64_t total) noexcept {
        if (stopped_) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_poll_) return false;
        stopped_ = !poll(done, total);
        next_poll_ = std::chrono::steady_clock::now() + kInterval;
        return stopped_;
    }
    bool stopped() const noexcept { return stopped_; }

  protected:
    // False asks the kernel to stop. Called from the installing thread while the
    // other threads of a region keep working.
    virtual bool poll(std::int64_t done, std::int64_t total) noexcept = 0;

  private:
    bool stopped_ = false;
    // The first check polls at once: a stop requested just before the call (a
    // signal that arrived while the arguments were converted) is seen at the start.
    std::chrono::steady_clock::time_point next_poll_{};
};

namespace detail {

// The Interrupt of the calling thread (null on OpenMP workers and when no
// caller installed one).
inline thread_local Interrupt* current_interrupt = nullptr;

// What the threads of one parallel_chunks region share: the stop flag every
// thread reads between chunks and interruption_point() reads within one, and the
// chunks done so far (for progress).
struct Region {
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> done{0};
    std::int64_t total = 0;
};
inline thread_local Region* current_region = nullptr;

// Makes `region` this thread's current one for the scope (a nested region
// restores the outer one).
class RegionScope {
  public:
    explicit RegionScope(Region& region) noexcept : previous_(current_region) { current_region = &region; }
    RegionScope(const RegionScope&) = delete;
    RegionScope& operator=(const RegionScope&) = delete;
    ~RegionScope() { current_region = previous_; }

  private:
    Region* previous_;
};

}  // namespace detail

// Installs an Interrupt on this thread for its lifetime (nested scopes restore
// the outer one).
class InterruptScope {
  public:
    explicit InterruptScope(Interrupt& interrupt) noexcept : previous_(detail::current_interrupt) {
        detail::current_interrupt = &interrupt;
    }
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
    ~InterruptScope() { detail::current_interrupt = previous_; }

  private:
    Interrupt* previous_;
};

// For a kernel whose single chunk (or serial loop) can run long: throws
// `interrupted` once a stop was requested. Cheap enough for a loop whose body
// costs a microsecond or more: on a worker it reads one flag, on the caller's
// thread it also reads the clock. Inside parallel_chunks the exception is
// handled like any other (kept, rethrown after the region).
inline void interruption_point() {
    detail::Region* const region = detail::current_region;
    if (region != nullptr && region->stop.load(std::memory_order_relaxed)) throw interrupted{};
    // Only the caller's thread has an Interrupt: OpenMP workers never poll.
    Interrupt* const interrupt = detail::current_interrupt;
    if (interrupt == nullptr) return;
    const bool stop = region != nullptr ? interrupt->check(region->done.load(std::memory_order_relaxed), region->total)
                                        : interrupt->check(0, 0);
    if (!stop) return;
    if (region != nullptr) region->stop.store(true, std::memory_order_relaxed);
    throw interrupted{};
}

}  // namespace precipice
