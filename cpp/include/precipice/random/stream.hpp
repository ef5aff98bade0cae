// The per-replicate streams: the layout that makes every replicate a pure
// function of (seed, replicate, stream).
#pragma once

#include <cstdint>

#include "precipice/random/philox.hpp"

namespace precipice {

// The 32-bit words of one (seed, replicate, stream) triple, in a fixed order.
// Counter = (block, replicate low, replicate high, stream); key = seed. A stream
// separates independent sample sources inside one replicate (frames, the two
// algorithms of a comparison), so no two of them ever share a counter.
class ReplicateStream {
  public:
    static constexpr int kMaxPeek = 8;

    ReplicateStream(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream) noexcept
        : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
          rep_lo_(static_cast<std::uint32_t>(replicate)),
          rep_hi_(static_cast<std::uint32_t>(replicate >> 32)),
          stream_(stream) {}

    std::uint32_t next() noexcept {
        if (pos_ == end_) refill();
        return buf_[pos_++];
    }

    // The next `count` (at most kMaxPeek) words as one array, for reading them
    // as a vector; they stay unread until skip().
    const std::uint32_t* peek(int count) noexcept {
        if (end_ - pos_ < count) refill();
        return buf_ + pos_;
    }
    void skip(int count) noexcept { pos_ += count; }

  private:
    // Moves the unread words to the front and appends the next blocks. Out of
    // line: it runs once per 16 to 64 words, and inlined copies of the Philox
    // kernels would crowd the loops that read the words.
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((noinline))
#endif
    void refill() noexcept {
        const int rest = end_ - pos_;
        for (int i = 0; i < rest; ++i) buf_[i] = buf_[pos_ + i];
        const int filled = detail::philox_fill(block_, rep_lo_, rep_hi_, stream_, key_, buf_ + rest);
        block_ += static_cast<std::uint32_t>(filled / 4);
        pos_ = 0;
        end_ = rest + filled;
    }

    Key key_;
    std::uint32_t rep_lo_, rep_hi_, stream_;
    std::uint32_t block_ = 0;
    int pos_ = 0, end_ = 0;
    std::uint32_t buf_[kMaxPeek - 1 + 64];  // unread words (fewer than kMaxPeek) + one fill
};

}  // namespace precipice
