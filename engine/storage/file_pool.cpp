#include "engine/storage/file_pool.h"

#include "engine/storage/file_util.h"

#include <cerrno>
#include <fcntl.h>
#include <vector>

namespace faultline::storage {

FilePool::FilePool(std::size_t capacity) : m_capacity(std::max<std::size_t>(capacity, 1)) {}

FilePool& FilePool::fallback() {
    static FilePool pool(64);
    return pool;
}

std::expected<std::shared_ptr<const FileHandle>, protocol::Error>
FilePool::acquire(std::uint64_t key, const std::filesystem::path& path) {
    std::vector<std::shared_ptr<const FileHandle>> evicted; // closed after the lock is released
    std::lock_guard lock(m_mutex);
    if (auto it = m_byKey.find(key); it != m_byKey.end()) {
        m_lru.splice(m_lru.begin(), m_lru, it->second);
        return it->second->second;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::unexpected(detail::ioError("open", path, errno));
    }
    m_opens.fetch_add(1, std::memory_order_relaxed);
    auto handle = std::make_shared<const FileHandle>(fd, path);
    m_lru.emplace_front(key, handle);
    m_byKey.emplace(key, m_lru.begin());
    while (m_lru.size() > m_capacity) {
        evicted.push_back(std::move(m_lru.back().second));
        m_byKey.erase(m_lru.back().first);
        m_lru.pop_back();
    }
    return handle;
}

void FilePool::forget(std::uint64_t key) {
    std::shared_ptr<const FileHandle> dropped;
    std::lock_guard lock(m_mutex);
    if (auto it = m_byKey.find(key); it != m_byKey.end()) {
        dropped = std::move(it->second->second);
        m_lru.erase(it->second);
        m_byKey.erase(it);
    }
}

std::size_t FilePool::size() const {
    std::lock_guard lock(m_mutex);
    return m_lru.size();
}

} // namespace faultline::storage
