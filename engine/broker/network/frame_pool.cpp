#include "engine/broker/network/frame_pool.h"

#include <bit>
#include <vector>

namespace faultline::broker {

namespace {

// The class whose buffers (1 << class bytes) hold `size`.
std::size_t sizeClassOf(std::size_t size) {
    return static_cast<std::size_t>(std::bit_width(std::bit_ceil(size)) - 1);
}

} // namespace

std::shared_ptr<FramePool> FramePool::create(std::size_t budgetBytes) {
    return std::shared_ptr<FramePool>(new FramePool(budgetBytes));
}

std::shared_ptr<std::uint8_t[]> FramePool::acquire(std::size_t size) {
    if (size < kMinPooled) {
        return std::make_shared_for_overwrite<std::uint8_t[]>(size);
    }
    std::size_t sizeClass = sizeClassOf(size);
    std::unique_ptr<std::uint8_t[]> buffer;
    {
        const std::lock_guard lock(m_mutex);
        // The smallest kept buffer that holds `size` (a few dozen at most: a linear search).
        auto best = m_free.end();
        for (auto it = m_free.begin(); it != m_free.end(); ++it) {
            if (it->sizeClass >= sizeClass && (best == m_free.end() || it->sizeClass < best->sizeClass)) {
                best = it;
            }
        }
        if (best != m_free.end()) {
            buffer = std::move(best->bytes);
            sizeClass = best->sizeClass;
            m_free.erase(best);
            m_stats.cachedBytes -= std::size_t{1} << sizeClass;
            ++m_stats.reused;
        } else {
            ++m_stats.allocated;
        }
    }
    if (!buffer) {
        buffer = std::make_unique_for_overwrite<std::uint8_t[]>(std::size_t{1} << sizeClass);
    }
    // The deleter brings the buffer back while the pool lives, and frees it after.
    return std::shared_ptr<std::uint8_t[]>(
        buffer.release(), [pool = weak_from_this(), sizeClass](std::uint8_t* p) {
            if (auto self = pool.lock()) {
                self->release(p, sizeClass);
            } else {
                delete[] p;
            }
        });
}

void FramePool::release(std::uint8_t* buffer, std::size_t sizeClass) {
    const std::size_t bytes = std::size_t{1} << sizeClass;
    std::vector<std::unique_ptr<std::uint8_t[]>> evicted; // freed after the lock is released
    const std::lock_guard lock(m_mutex);
    if (bytes > m_budget) {
        evicted.emplace_back(buffer);
        return;
    }
    m_free.push_back(FreeBuffer{std::unique_ptr<std::uint8_t[]>(buffer), sizeClass});
    m_stats.cachedBytes += bytes;
    while (m_stats.cachedBytes > m_budget) { // the oldest go first
        m_stats.cachedBytes -= std::size_t{1} << m_free.front().sizeClass;
        evicted.push_back(std::move(m_free.front().bytes));
        m_free.pop_front();
    }
}

FramePool::Stats FramePool::stats() const {
    const std::lock_guard lock(m_mutex);
    return m_stats;
}

} // namespace faultline::broker
