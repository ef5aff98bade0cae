// Philox4x32-10 counter-based generator (Salmon et al., SC'11) and the stream
// layout that makes every bootstrap replicate a pure function of (seed, replicate).
#pragma once

#include <array>
#include <cstdint>

namespace precipice {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;

inline Counter philox4x32_10(Counter ctr, Key key) noexcept {
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
    constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += kW0;
            key[1] += kW1;
        }
        const std::uint64_t p0 = std::uint64_t{kM0} * ctr[0];
        const std::uint64_t p1 = std::uint64_t{kM1} * ctr[2];
        ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0],
               static_cast<std::uint32_t>(p1),
               static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1],
               static_cast<std::uint32_t>(p0)};
    }
    return ctr;
}

// The 32-bit words of one (seed, replicate, stream) triple, in a fixed order.
// Counter = (block, replicate low, replicate high, stream); key = seed. A stream
// separates independent sample sources inside one replicate (frames, the two
// algorithms of a comparison), so no two of them ever share a counter.
class ReplicateStream {
  public:
    ReplicateStream(std::uint64_t seed, std::uint64_t replicate, std::uint32_t stream) noexcept
        : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
          rep_lo_(static_cast<std::uint32_t>(replicate)),
          rep_hi_(static_cast<std::uint32_t>(replicate >> 32)),
          stream_(stream) {}

    std::uint32_t next() noexcept {
        if (pos_ == 4) {
            buf_ = philox4x32_10({block_++, rep_lo_, rep_hi_, stream_}, key_);
            pos_ = 0;
        }
        return buf_[pos_++];
    }

  private:
    Key key_;
    std::uint32_t rep_lo_, rep_hi_, stream_;
    std::uint32_t block_ = 0;
    Counter buf_{};
    int pos_ = 4;
};

// Uniform integers in [0, n) drawn several at a time from one 32-bit word.
// Lemire's multiply-and-reject on the product range P = n^m gives a uniform
// value in [0, P); multiplying the word by n one digit at a time reads off that
// value's base-n digits, which are m independent uniform draws in [0, n)
// (Brackett-Rozinsky & Lemire 2024, "Batched ranged random integer generation").
// P is capped at 2^28 so a word is rejected with probability below 1/16.
struct BoundedPlan {
    std::uint32_t n = 1;
    std::uint32_t digits = 1;     // draws per accepted word
    std::uint32_t threshold = 0;  // 2^32 mod n^digits: reject a word whose low part is below it

    static std::uint32_t threshold_for(std::uint64_t range) noexcept {
        return static_cast<std::uint32_t>((std::uint64_t{1} << 32) % range);
    }

    explicit BoundedPlan(std::uint32_t bound = 1) noexcept : n(bound) {
        std::uint64_t range = bound;
        while (digits < 32 && range * bound <= (std::uint64_t{1} << 28)) {
            range *= bound;
            ++digits;
        }
        threshold = threshold_for(range);
    }
};

namespace detail {

// Digits of one word; returns whether the word is accepted.
inline bool word_digits(std::uint32_t word, std::uint64_t n, std::uint32_t m, std::uint32_t threshold,
                        std::uint32_t* out) noexcept {
    std::uint64_t low = word;
    for (std::uint32_t i = 0; i < m; ++i) {
        const std::uint64_t prod = low * n;
        out[i] = static_cast<std::uint32_t>(prod >> 32);
        low = prod & 0xFFFFFFFFu;
    }
    return low >= threshold;
}

inline void chunk_digits(ReplicateStream& rng, std::uint64_t n, std::uint32_t m, std::uint32_t threshold,
                         std::uint32_t* out) noexcept {
    while (!word_digits(rng.next(), n, m, threshold, out)) {
    }
}

}  // namespace detail

// Writes `count` uniform draws in [0, plan.n) to out. n == 1 consumes no words.
// Full chunks go four words at a time: their multiply chains are independent,
// so they overlap instead of waiting on each other's latency. A rejected word's
// chunk is redrawn right after, from the next words, so the draws remain a fixed
// function of the stream.
inline void draw_bounded(ReplicateStream& rng, const BoundedPlan& plan, std::uint32_t count,
                         std::uint32_t* out) noexcept {
    const std::uint64_t n = plan.n;
    if (n == 1) {
        for (std::uint32_t i = 0; i < count; ++i) out[i] = 0;
        return;
    }
    const std::uint32_t k = plan.digits;
    constexpr std::uint32_t kLanes = 4;
    std::uint32_t done = 0;
    while (count - done >= kLanes * k) {
        std::uint64_t low[kLanes];
        for (std::uint32_t w = 0; w < kLanes; ++w) low[w] = rng.next();
        for (std::uint32_t i = 0; i < k; ++i) {
            for (std::uint32_t w = 0; w < kLanes; ++w) {
                const std::uint64_t prod = low[w] * n;
                out[done + w * k + i] = static_cast<std::uint32_t>(prod >> 32);
                low[w] = prod & 0xFFFFFFFFu;
            }
        }
        for (std::uint32_t w = 0; w < kLanes; ++w)
            if (low[w] < plan.threshold) detail::chunk_digits(rng, n, k, plan.threshold, out + done + w * k);
        done += kLanes * k;
    }
    while (done < count) {
        const std::uint32_t m = count - done < k ? count - done : k;
        std::uint32_t threshold = plan.threshold;
        if (m != k) {
            std::uint64_t range = 1;
            for (std::uint32_t i = 0; i < m; ++i) range *= n;
            threshold = BoundedPlan::threshold_for(range);
        }
        detail::chunk_digits(rng, n, m, threshold, out + done);
        done += m;
    }
}

}  // namespace precipice
