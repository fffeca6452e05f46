// A bounded set of open descriptors for the .log files of sealed (rolled) segments. A partition
// replica keeps only its active segment's .log open; an older segment's file is opened on demand
// through the pool and closed when the pool evicts it (least recently used first). Handles are
// shared: a reader (a FileSlice being sent with sendfile, a LogWriter write) keeps its file open
// after eviction, so eviction never closes a file under anyone. Thread-safe (one mutex): logs
// opened on several threads at start-up share one pool.
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/storage/file_slice.h"

#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace faultline::storage {

class FilePool {
public:
    static constexpr std::size_t kDefaultCapacity = 256;

    explicit FilePool(std::size_t capacity = kDefaultCapacity);
    FilePool(const FilePool&) = delete;
    FilePool& operator=(const FilePool&) = delete;

    // The pool used by logs opened without one (tests, tools).
    [[nodiscard]] static FilePool& fallback();

    // A key for a new user (a segment); keys are never reused.
    [[nodiscard]] std::uint64_t newKey() {
        return m_nextKey.fetch_add(1, std::memory_order_relaxed);
    }
    // The open file of `key`, opened read-only from `path` when the pool holds none. Beyond
    // capacity the least recently used file leaves the pool.
    [[nodiscard]] std::expected<std::shared_ptr<const FileHandle>, protocol::Error>
    acquire(std::uint64_t key, const std::filesystem::path& path);
    // Drops the pool's handle of `key` (the segment was deleted, or holds its file itself again).
    void forget(std::uint64_t key);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t capacity() const { return m_capacity; }
    // Files opened by acquire() so far (for tests: a hit opens nothing).
    [[nodiscard]] std::uint64_t opens() const { return m_opens.load(std::memory_order_relaxed); }

private:
    using Entry = std::pair<std::uint64_t, std::shared_ptr<const FileHandle>>;
    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::list<Entry> m_lru; // most recently used first
    std::unordered_map<std::uint64_t, std::list<Entry>::iterator> m_byKey;
    std::atomic<std::uint64_t> m_nextKey{1};
    std::atomic<std::uint64_t> m_opens{0};
};

} // namespace faultline::storage
