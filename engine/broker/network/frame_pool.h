// Buffers for request frames, recycled. A produce request is a frame of up to a few MiB (up to
// socket.request.max.bytes): a fresh buffer costs a page fault and a zeroed page per 4 KiB on
// first touch, because the allocator gives big blocks back to the kernel when they are freed
// (glibc unmaps a secondary arena's heap once it is empty). perf showed nearly one fault per
// 4 KiB received while producing. The pool keeps freed buffers of kMinPooled bytes and more
// (sizes rounded up to a power of two) up to a byte budget, the most recently freed ones, and
// hands out the smallest kept buffer that is large enough; smaller frames come from the
// allocator. Buffers are not zero-filled (the socket read overwrites them).
// Thread-safe: frames are released wherever their last holder lets go (core strand, a broker's
// log writer thread, a connection strand). Buffers may outlive the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

namespace faultline::broker {

class FramePool : public std::enable_shared_from_this<FramePool> {
public:
    static constexpr std::size_t kMinPooled = 64 * 1024;
    static constexpr std::size_t kDefaultBudget = 32 * 1024 * 1024;

    [[nodiscard]] static std::shared_ptr<FramePool> create(std::size_t budgetBytes = kDefaultBudget);

    // A buffer of at least `size` bytes (its contents are whatever was there before).
    [[nodiscard]] std::shared_ptr<std::uint8_t[]> acquire(std::size_t size);

    struct Stats {
        std::size_t cachedBytes = 0; // free buffers held for reuse
        std::uint64_t reused = 0;    // acquisitions served from the cache
        std::uint64_t allocated = 0; // pooled-size acquisitions that needed a new buffer
    };
    [[nodiscard]] Stats stats() const;

private:
    explicit FramePool(std::size_t budgetBytes) : m_budget(budgetBytes) {}
    void release(std::uint8_t* buffer, std::size_t sizeClass);

    struct FreeBuffer {
        std::unique_ptr<std::uint8_t[]> bytes;
        std::size_t sizeClass = 0; // 1 << sizeClass bytes
    };
    mutable std::mutex m_mutex;
    std::deque<FreeBuffer> m_free; // oldest release first
    std::size_t m_budget;
    Stats m_stats;
};

} // namespace faultline::broker
