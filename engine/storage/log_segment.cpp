#include "engine/storage/log_segment.h"

#include "engine/storage/file_util.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace faultline::storage {

using protocol::Error;
using protocol::RecordBatchHeader;

namespace {

constexpr std::size_t kScanChunk = 64 * 1024;
// Space ahead of the active .log's end (see log_segment.h).
constexpr std::int64_t kReserveFrom = 1 << 20;
constexpr std::int64_t kReserveMinStep = 1 << 20;
constexpr std::int64_t kReserveMaxStep = 8 << 20;
constexpr std::int32_t kMinBatchLength =
    static_cast<std::int32_t>(protocol::kBatchHeaderSize - protocol::kBatchLogOverhead);

using detail::getBe32;
using detail::putBe32;

void putBe64(std::uint8_t* p, std::uint64_t v) {
    putBe32(p, static_cast<std::uint32_t>(v >> 32));
    putBe32(p + 4, static_cast<std::uint32_t>(v));
}

std::uint64_t getBe64(const std::uint8_t* p) {
    return (std::uint64_t{getBe32(p)} << 32) | getBe32(p + 4);
}

// Reads a file through a window buffer, so scanning headers costs one pread per 64 KiB.
class WindowReader {
public:
    WindowReader(int fd, std::int64_t end, const std::filesystem::path& path,
                 std::size_t window = kScanChunk)
        : m_fd(fd), m_end(end), m_path(path), m_window(static_cast<std::int64_t>(window)) {}

    // Bytes [position, position + length), or an error; the range must lie within the file.
    std::expected<const std::uint8_t*, Error> get(std::int64_t position, std::size_t length) {
        const auto len = static_cast<std::int64_t>(length);
        if (position >= m_start && position + len <= m_start + m_length) {
            return m_buffer.data() + (position - m_start);
        }
        const std::int64_t want =
            std::min<std::int64_t>(std::max<std::int64_t>(len, m_window), m_end - position);
        m_buffer.resize(static_cast<std::size_t>(want));
        m_start = position;
        m_length = 0;
        if (auto r = detail::preadAll(m_fd, m_buffer, position, m_path); !r) {
            return std::unexpected(r.error());
        }
        m_length = want;
        return m_buffer.data();
    }

private:
    int m_fd;
    std::int64_t m_end;
    const std::filesystem::path& m_path;
    std::int64_t m_window;
    std::vector<std::uint8_t> m_buffer;
    std::int64_t m_start = 0;
    std::int64_t m_length = 0;
};

} // namespace

std::string LogSegment::fileStem(std::int64_t baseOffset) {
    char name[32];
    std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(baseOffset));
    return name;
}

LogSegment::LogSegment(const std::filesystem::path& dir, std::int64_t baseOffset,
                       std::int32_t indexIntervalBytes, FilePool& pool)
    : m_pool(&pool), m_poolKey(pool.newKey()), m_baseOffset(baseOffset), m_nextOffset(baseOffset),
      m_indexInterval(indexIntervalBytes) {
    const std::string stem = fileStem(baseOffset);
    m_logPath = dir / (stem + ".log");
    m_indexPath = dir / (stem + ".index");
    m_timeIndexPath = dir / (stem + ".timeindex");
}

LogSegment::~LogSegment() {
    releaseReserve();
    // The log file closes when the last FileSlice of it is gone.
    m_pool->forget(m_poolKey);
}

void LogSegment::reserveFor(std::int64_t end) {
    if (end <= m_reservedEnd || end < kReserveFrom || m_reserveUnsupported) {
        return;
    }
    const std::int64_t from = std::max(m_reservedEnd, m_size);
    const std::int64_t step = std::clamp(m_size, kReserveMinStep, kReserveMaxStep);
    const std::int64_t to = (end + step + kReserveMinStep - 1) / kReserveMinStep * kReserveMinStep;
    if (::fallocate(m_logFile->fd(), FALLOC_FL_KEEP_SIZE, from, to - from) != 0) {
        // EOPNOTSUPP (no fallocate here), ENOSPC (the write says so itself), ...: no reserve.
        spdlog::debug("log segment {}: no space reserved ahead: {}", m_logPath.string(),
                      std::strerror(errno));
        m_reserveUnsupported = true;
        return;
    }
    m_reservedEnd = to;
}

void LogSegment::releaseReserve() {
    if (!m_logFile || m_reservedEnd <= m_size) {
        return;
    }
    // A deferred (LogWriter) write may not have landed yet; it lies below m_size, so cutting at
    // m_size leaves it room either way.
    if (::ftruncate(m_logFile->fd(), m_size) != 0) {
        spdlog::warn("log segment {}: giving back the space reserved ahead: {}",
                     m_logPath.string(), std::strerror(errno));
    }
    m_reservedEnd = m_size;
}

namespace {

std::expected<std::shared_ptr<const FileHandle>, Error>
openForWriting(const std::filesystem::path& path, bool create) {
    const int fd =
        ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
    if (fd < 0) {
        return std::unexpected(detail::ioError("open", path, errno));
    }
    return std::make_shared<const FileHandle>(fd, path);
}

std::expected<std::vector<std::uint8_t>, Error> readIndexFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::unexpected(detail::ioError("open", path, errno));
    }
    struct stat st {};
    std::expected<std::vector<std::uint8_t>, Error> out;
    if (::fstat(fd, &st) != 0) {
        out = std::unexpected(detail::ioError("stat", path, errno));
    } else {
        out->resize(static_cast<std::size_t>(st.st_size));
        if (auto r = detail::preadAll(fd, *out, 0, path); !r) {
            out = std::unexpected(r.error());
        }
    }
    ::close(fd);
    return out;
}

// The entries of an index file of `EntrySize`-byte entries, each decoded by `decode`; nullopt when
// the file cannot be read or its length is not a whole number of entries.
template <std::size_t EntrySize, typename Decode>
auto readEntries(const std::filesystem::path& path, Decode decode)
    -> std::optional<std::vector<decltype(decode(static_cast<const std::uint8_t*>(nullptr)))>> {
    auto buf = readIndexFile(path);
    if (!buf || buf->size() % EntrySize != 0) {
        return std::nullopt;
    }
    std::vector<decltype(decode(buf->data()))> entries;
    entries.reserve(buf->size() / EntrySize);
    for (std::size_t i = 0; i < buf->size(); i += EntrySize) {
        entries.push_back(decode(buf->data() + i));
    }
    return entries;
}

// .index: int32 relative offset, int32 position.
std::optional<std::vector<IndexEntry>> readIndexEntries(const std::filesystem::path& path) {
    return readEntries<8>(path, [](const std::uint8_t* p) {
        return IndexEntry{static_cast<std::int32_t>(getBe32(p)),
                          static_cast<std::int32_t>(getBe32(p + 4))};
    });
}

// .timeindex: int64 timestamp, int32 relative offset.
std::optional<std::vector<TimeIndexEntry>> readTimeIndexEntries(const std::filesystem::path& path) {
    return readEntries<12>(path, [](const std::uint8_t* p) {
        return TimeIndexEntry{static_cast<std::int64_t>(getBe64(p)),
                              static_cast<std::int32_t>(getBe32(p + 8))};
    });
}

// Cuts `path` to `keepBytes` (when its length is not known to be that) and writes `tail` after.
std::expected<void, Error> writeIndexTail(const std::filesystem::path& path, std::int64_t keepBytes,
                                          bool cut, std::span<const std::uint8_t> tail, bool sync) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(detail::ioError("open", path, errno));
    }
    std::expected<void, Error> result;
    if (cut && ::ftruncate(fd, keepBytes) != 0) {
        result = std::unexpected(detail::ioError("truncate", path, errno));
    }
    if (result && !tail.empty()) {
        result = detail::pwriteAll(fd, tail, keepBytes, path);
    }
    if (result && sync && ::fdatasync(fd) != 0) {
        result = std::unexpected(detail::ioError("fsync", path, errno));
    }
    ::close(fd);
    return result;
}

} // namespace

std::expected<std::shared_ptr<const FileHandle>, Error> LogSegment::logFile() const {
    if (m_logFile) {
        return m_logFile;
    }
    return m_pool->acquire(m_poolKey, m_logPath);
}

std::expected<void, Error> LogSegment::activate() {
    if (m_logFile) {
        return {};
    }
    auto file = openForWriting(m_logPath, false);
    if (!file) {
        return std::unexpected(file.error());
    }
    m_logFile = std::move(*file);
    m_pool->forget(m_poolKey);
    return {};
}

void LogSegment::seal() {
    releaseReserve();
    if (auto r = writeIndexes(false); !r) {
        spdlog::warn("log segment {}: {} (the index is rebuilt at the next start)",
                     m_logPath.string(), r.error().message);
    }
    m_logFile.reset();
}

void LogSegment::trimIndexFileState() {
    m_indexOnFile = std::min(m_indexOnFile, m_index.size());
    m_timeIndexOnFile = std::min(m_timeIndexOnFile, m_timeIndex.size());
}

std::expected<void, Error> LogSegment::writeIndexes(bool sync) {
    const bool indexCurrent = m_indexOnFile == m_index.size() &&
                              m_indexFileEntries == static_cast<std::int64_t>(m_index.size());
    const bool timeCurrent =
        m_timeIndexOnFile == m_timeIndex.size() &&
        m_timeIndexFileEntries == static_cast<std::int64_t>(m_timeIndex.size());
    if (!indexCurrent || sync) {
        std::vector<std::uint8_t> buf((m_index.size() - m_indexOnFile) * 8);
        for (std::size_t i = m_indexOnFile; i < m_index.size(); ++i) {
            std::uint8_t* p = buf.data() + (i - m_indexOnFile) * 8;
            putBe32(p, static_cast<std::uint32_t>(m_index[i].relativeOffset));
            putBe32(p + 4, static_cast<std::uint32_t>(m_index[i].position));
        }
        const auto keep = static_cast<std::int64_t>(m_indexOnFile);
        if (auto r = writeIndexTail(m_indexPath, keep * 8, m_indexFileEntries != keep, buf, sync);
            !r) {
            m_indexFileEntries = -1;
            return r;
        }
        m_indexOnFile = m_index.size();
        m_indexFileEntries = static_cast<std::int64_t>(m_index.size());
    }
    if (!timeCurrent || sync) {
        std::vector<std::uint8_t> buf((m_timeIndex.size() - m_timeIndexOnFile) * 12);
        for (std::size_t i = m_timeIndexOnFile; i < m_timeIndex.size(); ++i) {
            std::uint8_t* p = buf.data() + (i - m_timeIndexOnFile) * 12;
            putBe64(p, static_cast<std::uint64_t>(m_timeIndex[i].timestamp));
            putBe32(p + 8, static_cast<std::uint32_t>(m_timeIndex[i].relativeOffset));
        }
        const auto keep = static_cast<std::int64_t>(m_timeIndexOnFile);
        if (auto r = writeIndexTail(m_timeIndexPath, keep * 12, m_timeIndexFileEntries != keep, buf,
                                    sync);
            !r) {
            m_timeIndexFileEntries = -1;
            return r;
        }
        m_timeIndexOnFile = m_timeIndex.size();
        m_timeIndexFileEntries = static_cast<std::int64_t>(m_timeIndex.size());
    }
    return {};
}

std::expected<std::unique_ptr<LogSegment>, Error>
LogSegment::create(const std::filesystem::path& dir, std::int64_t baseOffset,
                   std::int32_t indexIntervalBytes, FilePool& pool) {
    std::unique_ptr<LogSegment> seg(new LogSegment(dir, baseOffset, indexIntervalBytes, pool));
    auto file = openForWriting(seg->m_logPath, true);
    if (!file) {
        return std::unexpected(file.error());
    }
    seg->m_logFile = std::move(*file);
    // Empty index files, as Kafka lays a segment out (also cuts those of an earlier segment at
    // this base); closed again at once.
    for (const auto* path : {&seg->m_indexPath, &seg->m_timeIndexPath}) {
        const int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            return std::unexpected(detail::ioError("open", *path, errno));
        }
        ::close(fd);
    }
    seg->m_indexFileEntries = 0;
    seg->m_timeIndexFileEntries = 0;
    return seg;
}

std::expected<std::unique_ptr<LogSegment>, Error>
LogSegment::open(const std::filesystem::path& dir, std::int64_t baseOffset,
                 std::int32_t indexIntervalBytes, FilePool& pool, bool active, bool recover) {
    std::unique_ptr<LogSegment> seg(new LogSegment(dir, baseOffset, indexIntervalBytes, pool));
    // Held for writing while it is opened (recovery may cut the file); a sealed segment lets go
    // at the end.
    auto file = openForWriting(seg->m_logPath, false);
    if (!file) {
        return std::unexpected(file.error());
    }
    seg->m_logFile = std::move(*file);
    struct stat st {};
    if (::fstat(seg->m_logFile->fd(), &st) != 0) {
        return std::unexpected(detail::ioError("stat", seg->m_logPath, errno));
    }
    seg->m_size = st.st_size;
    if (recover) {
        if (auto r = seg->recoverFull(*seg->m_logFile, true); !r) {
            return std::unexpected(r.error());
        }
    } else {
        bool consistent = seg->loadIndexes();
        if (consistent) {
            auto tail = seg->scanTail();
            if (!tail) {
                return std::unexpected(tail.error());
            }
            consistent = *tail;
        }
        if (!consistent) {
            spdlog::warn("log segment {}: indexes missing or inconsistent, rebuilding",
                         seg->m_logPath.string());
            if (auto r = seg->recoverFull(*seg->m_logFile, false); !r) {
                return std::unexpected(r.error());
            }
            if (!active) {
                seg->appendFinalTimeEntry();
            }
        }
    }
    if (!seg->empty()) {
        // The first batch's timestamp starts segment.ms, as in Kafka; else the file's mtime.
        auto first = seg->locate(seg->m_baseOffset);
        if (first && *first && (*first)->header.maxTimestamp >= 0) {
            seg->m_rollBaseMs = (*first)->header.maxTimestamp;
        } else {
            seg->m_rollBaseMs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000;
        }
    }
    if (auto r = seg->writeIndexes(false); !r) {
        spdlog::warn("log segment {}: {}", seg->m_logPath.string(), r.error().message);
    }
    // Blocks past the end: a reserve left by a crash (given back by the truncation).
    if (static_cast<std::int64_t>(st.st_blocks) * 512 > st.st_size + kReserveMinStep) {
        seg->m_reservedEnd = static_cast<std::int64_t>(st.st_blocks) * 512;
        seg->releaseReserve();
    }
    if (!active) {
        seg->m_logFile.reset();
    }
    return seg;
}

void LogSegment::resetState() {
    m_index.clear();
    m_timeIndex.clear();
    m_nextOffset = m_baseOffset;
    m_bytesSinceIndexEntry = 0;
    m_maxTimestamp = -1;
    m_offsetOfMaxTimestamp = -1;
    m_lastOffsetOfMaxTimestamp = -1;
}

void LogSegment::maybeAppendTimeEntry(std::int64_t timestamp, std::int64_t offset) {
    const std::int64_t last = m_timeIndex.empty() ? -1 : m_timeIndex.back().timestamp;
    if (timestamp > last) {
        m_timeIndex.push_back(
            TimeIndexEntry{timestamp, static_cast<std::int32_t>(offset - m_baseOffset)});
    }
}

// Kafka's LogSegment.append bookkeeping, batch by batch.
void LogSegment::accountBatch(const RecordBatchHeader& header, std::int64_t position) {
    if (header.maxTimestamp > m_maxTimestamp) {
        m_maxTimestamp = header.maxTimestamp;
        m_offsetOfMaxTimestamp = header.baseOffset;
        m_lastOffsetOfMaxTimestamp = header.lastOffset();
    }
    if (m_bytesSinceIndexEntry > m_indexInterval) {
        m_index.push_back(IndexEntry{static_cast<std::int32_t>(header.lastOffset() - m_baseOffset),
                                     static_cast<std::int32_t>(position)});
        maybeAppendTimeEntry(m_maxTimestamp, m_lastOffsetOfMaxTimestamp);
        m_bytesSinceIndexEntry = 0;
    }
    m_bytesSinceIndexEntry += static_cast<std::int64_t>(header.totalSize());
    m_nextOffset = header.nextOffset();
}

void LogSegment::appendFinalTimeEntry() {
    if (m_maxTimestamp < 0) {
        return;
    }
    maybeAppendTimeEntry(m_maxTimestamp, m_lastOffsetOfMaxTimestamp);
}

std::expected<void, Error> LogSegment::recoverFull(const FileHandle& file, bool verifyCrc) {
    resetState();
    WindowReader reader(file.fd(), m_size, m_logPath);
    std::int64_t pos = 0;
    std::string reason;
    while (pos < m_size) {
        if (m_size - pos < static_cast<std::int64_t>(protocol::kBatchHeaderSize)) {
            reason = "torn batch header";
            break;
        }
        auto headerBytes = reader.get(pos, protocol::kBatchHeaderSize);
        if (!headerBytes) {
            return std::unexpected(headerBytes.error());
        }
        auto header =
            protocol::parseBatchHeader(std::span(*headerBytes, protocol::kBatchHeaderSize));
        if (!header || header->batchLength < kMinBatchLength ||
            static_cast<std::int64_t>(header->totalSize()) > m_size - pos) {
            reason = "torn or malformed batch";
            break;
        }
        const std::int64_t expected = pos == 0 ? m_baseOffset : m_nextOffset;
        if (header->baseOffset != expected || header->lastOffsetDelta < 0 ||
            header->lastOffset() - m_baseOffset > INT32_MAX) {
            reason = "batch offset " + std::to_string(header->baseOffset) + " where " +
                     std::to_string(expected) + " was expected";
            break;
        }
        if (verifyCrc) {
            auto whole = reader.get(pos, header->totalSize());
            if (!whole) {
                return std::unexpected(whole.error());
            }
            if (auto valid = protocol::validateBatch(std::span(*whole, header->totalSize()));
                !valid) {
                reason = valid.error().message;
                break;
            }
            m_recoveredBytes += static_cast<std::int64_t>(header->totalSize());
        } else if (header->magic != protocol::kBatchMagic) {
            reason = "bad magic";
            break;
        }
        accountBatch(*header, pos);
        pos += static_cast<std::int64_t>(header->totalSize());
    }
    if (pos < m_size) {
        spdlog::warn("log segment {}: {} at position {}, truncating {} bytes",
                     m_logPath.string(), reason, pos, m_size - pos);
        if (::ftruncate(file.fd(), pos) != 0) {
            return std::unexpected(detail::ioError("truncate", m_logPath, errno));
        }
        m_truncatedBytes = m_size - pos;
        m_size = pos;
    }
    // The index files are rewritten unless they hold exactly the rebuilt entries (the common
    // case after a crash of a log that was not written since its last flush).
    m_indexOnFile = 0;
    m_timeIndexOnFile = 0;
    m_indexFileEntries = -1;
    m_timeIndexFileEntries = -1;
    if (indexFilesMatch()) {
        markIndexFilesCurrent();
        return {};
    }
    return writeIndexes(false);
}

bool LogSegment::indexFilesMatch() const {
    struct stat st {};
    if (::stat(m_indexPath.c_str(), &st) != 0 ||
        st.st_size != static_cast<off_t>(m_index.size() * 8)) {
        return false;
    }
    if (::stat(m_timeIndexPath.c_str(), &st) != 0 ||
        st.st_size != static_cast<off_t>(m_timeIndex.size() * 12)) {
        return false;
    }
    if (m_index.empty() && m_timeIndex.empty()) {
        return true;
    }
    auto index = readIndexEntries(m_indexPath);
    if (!index || *index != m_index) {
        return false;
    }
    auto time = readTimeIndexEntries(m_timeIndexPath);
    return time && *time == m_timeIndex;
}

void LogSegment::markIndexFilesCurrent() {
    m_indexOnFile = m_index.size();
    m_indexFileEntries = static_cast<std::int64_t>(m_index.size());
    m_timeIndexOnFile = m_timeIndex.size();
    m_timeIndexFileEntries = static_cast<std::int64_t>(m_timeIndex.size());
}

bool LogSegment::loadIndexes() {
    resetState();
    auto index = readIndexEntries(m_indexPath);
    if (!index) {
        return false;
    }
    for (const IndexEntry& e : *index) {
        if (e.relativeOffset < 0 || e.position < 0 || e.position >= m_size ||
            (!m_index.empty() && (e.relativeOffset <= m_index.back().relativeOffset ||
                                  e.position <= m_index.back().position))) {
            return false;
        }
        m_index.push_back(e);
    }
    auto time = readTimeIndexEntries(m_timeIndexPath);
    if (!time) {
        return false;
    }
    for (const TimeIndexEntry& e : *time) {
        if (e.relativeOffset < 0 ||
            (!m_timeIndex.empty() && (e.timestamp <= m_timeIndex.back().timestamp ||
                                      e.relativeOffset < m_timeIndex.back().relativeOffset))) {
            return false;
        }
        m_timeIndex.push_back(e);
    }
    markIndexFilesCurrent();
    return true;
}

// After loadIndexes: scans from the last index entry (and the last time entry's batch) to the end
// to learn the next offset and the max timestamp. False when the tail does not fit the indexes.
std::expected<bool, Error> LogSegment::scanTail() {
    std::int64_t start = m_index.empty() ? 0 : m_index.back().position;
    if (!m_timeIndex.empty()) {
        start = std::min(start, lookupPosition(m_baseOffset + m_timeIndex.back().relativeOffset));
    }
    std::int64_t pos = start;
    bool ok = true;
    std::int64_t expected = -1;
    auto visited = scan(start, [&](const RecordBatchHeader& h, std::int64_t at) {
        if ((expected >= 0 && h.baseOffset != expected) || h.magic != protocol::kBatchMagic) {
            ok = false;
            return false;
        }
        // The last index entry names the last offset of the batch at its position.
        if (!m_index.empty() && at == m_index.back().position &&
            h.lastOffset() != m_baseOffset + m_index.back().relativeOffset) {
            ok = false;
            return false;
        }
        expected = h.nextOffset();
        if (h.maxTimestamp > m_maxTimestamp) {
            m_maxTimestamp = h.maxTimestamp;
            m_offsetOfMaxTimestamp = h.baseOffset;
            m_lastOffsetOfMaxTimestamp = h.lastOffset();
        }
        m_nextOffset = h.nextOffset();
        pos = at + static_cast<std::int64_t>(h.totalSize());
        return true;
    });
    if (!visited) {
        return std::unexpected(visited.error());
    }
    if (!ok || pos != m_size) {
        return false;
    }
    if (!m_index.empty() && m_baseOffset + m_index.back().relativeOffset >= m_nextOffset) {
        return false;
    }
    if (!m_timeIndex.empty() &&
        (m_baseOffset + m_timeIndex.back().relativeOffset >= m_nextOffset ||
         m_timeIndex.back().timestamp > m_maxTimestamp)) {
        return false;
    }
    m_bytesSinceIndexEntry = m_index.empty() ? m_size : m_size - m_index.back().position;
    return true;
}

void LogSegment::recomputeMaxTimestamp() {
    m_maxTimestamp = -1;
    m_offsetOfMaxTimestamp = -1;
    m_lastOffsetOfMaxTimestamp = -1;
    const std::int64_t start =
        m_timeIndex.empty() ? 0
                            : lookupPosition(m_baseOffset + m_timeIndex.back().relativeOffset);
    (void)scan(start, [&](const RecordBatchHeader& h, std::int64_t) {
        if (h.maxTimestamp > m_maxTimestamp) {
            m_maxTimestamp = h.maxTimestamp;
            m_offsetOfMaxTimestamp = h.baseOffset;
            m_lastOffsetOfMaxTimestamp = h.lastOffset();
        }
        return true;
    });
}

std::expected<void, Error> LogSegment::append(std::span<const std::uint8_t> bytes,
                                              std::span<const protocol::BatchSpan> batches) {
    if (!m_logFile) {
        return std::unexpected(
            protocol::makeError(protocol::ErrorCode::KafkaStorageError,
                                "append to sealed segment " + m_logPath.string()));
    }
    reserveFor(m_size + static_cast<std::int64_t>(bytes.size()));
    if (auto r = detail::pwriteAll(m_logFile->fd(), bytes, m_size, m_logPath); !r) {
        (void)::ftruncate(m_logFile->fd(), m_size);
        m_reservedEnd = m_size;
        return r;
    }
    (void)account(bytes, batches);
    return {};
}

std::expected<std::int64_t, Error>
LogSegment::appendDeferred(std::span<const std::uint8_t> bytes,
                           std::span<const protocol::BatchSpan> batches) {
    if (m_logFile) {
        reserveFor(m_size + static_cast<std::int64_t>(bytes.size()));
    }
    return account(bytes, batches);
}

std::int64_t LogSegment::account(std::span<const std::uint8_t> bytes,
                                 std::span<const protocol::BatchSpan> batches) {
    const std::int64_t position = m_size;
    for (const auto& b : batches) {
        accountBatch(b.header, m_size + static_cast<std::int64_t>(b.position));
    }
    m_size += static_cast<std::int64_t>(bytes.size());
    m_dirty = true;
    return position;
}

// Kafka's OffsetIndex.lookup: the position of the largest entry whose offset <= `offset`, else 0.
std::int64_t LogSegment::lookupPosition(std::int64_t offset) const {
    const std::int64_t rel = offset - m_baseOffset;
    auto it = std::upper_bound(m_index.begin(), m_index.end(), rel,
                               [](std::int64_t r, const IndexEntry& e) { return r < e.relativeOffset; });
    return it == m_index.begin() ? 0 : std::prev(it)->position;
}

std::int64_t LogSegment::timestampSearchStart(std::int64_t timestampMs) const {
    // The largest time entry with timestamp < ts: every batch up to its offset is older than ts.
    auto it = std::lower_bound(
        m_timeIndex.begin(), m_timeIndex.end(), timestampMs,
        [](const TimeIndexEntry& e, std::int64_t ts) { return e.timestamp < ts; });
    if (it == m_timeIndex.begin()) {
        return 0;
    }
    return lookupPosition(m_baseOffset + std::prev(it)->relativeOffset);
}

std::expected<std::optional<LocatedBatch>, Error> LogSegment::locate(std::int64_t offset) const {
    if (offset >= m_nextOffset || m_size == 0) {
        return std::optional<LocatedBatch>{};
    }
    std::optional<LocatedBatch> found;
    auto visited = scan(lookupPosition(offset), [&](const RecordBatchHeader& h, std::int64_t at) {
        if (h.lastOffset() >= offset) {
            found = LocatedBatch{h, at};
            return false;
        }
        return true;
    });
    if (!visited) {
        return std::unexpected(visited.error());
    }
    return found;
}

std::expected<void, Error> LogSegment::readAt(std::int64_t position,
                                              std::span<std::uint8_t> out) const {
    auto file = logFile();
    if (!file) {
        return std::unexpected(file.error());
    }
    return detail::preadAll((*file)->fd(), out, position, m_logPath);
}

std::expected<void, Error>
LogSegment::scan(std::int64_t position,
                 const std::function<bool(const RecordBatchHeader&, std::int64_t)>& fn,
                 std::size_t window) const {
    if (m_size - position < static_cast<std::int64_t>(protocol::kBatchHeaderSize)) {
        return {};
    }
    auto file = logFile();
    if (!file) {
        return std::unexpected(file.error());
    }
    WindowReader reader((*file)->fd(), m_size, m_logPath, window);
    while (m_size - position >= static_cast<std::int64_t>(protocol::kBatchHeaderSize)) {
        auto bytes = reader.get(position, protocol::kBatchHeaderSize);
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        auto header = protocol::parseBatchHeader(std::span(*bytes, protocol::kBatchHeaderSize));
        if (!header || header->batchLength < kMinBatchLength ||
            static_cast<std::int64_t>(header->totalSize()) > m_size - position) {
            break;
        }
        if (!fn(*header, position)) {
            break;
        }
        position += static_cast<std::int64_t>(header->totalSize());
    }
    return {};
}

std::expected<void, Error> LogSegment::truncateTo(std::int64_t offset) {
    auto located = locate(offset);
    if (!located) {
        return std::unexpected(located.error());
    }
    if (!*located) {
        return {};
    }
    const std::int64_t pos = (*located)->position;
    return truncateAt(pos, pos == 0 ? m_baseOffset : (*located)->header.baseOffset);
}

std::expected<void, Error> LogSegment::truncateAt(std::int64_t pos, std::int64_t nextOffset) {
    if (auto r = activate(); !r) {
        return r;
    }
    if (::ftruncate(m_logFile->fd(), pos) != 0) {
        return std::unexpected(detail::ioError("truncate", m_logPath, errno));
    }
    m_size = pos;
    m_reservedEnd = pos; // the truncation gave back what was reserved past it
    m_nextOffset = nextOffset;
    std::erase_if(m_index, [&](const IndexEntry& e) { return e.position >= pos; });
    std::erase_if(m_timeIndex, [&](const TimeIndexEntry& e) {
        return m_baseOffset + e.relativeOffset >= m_nextOffset;
    });
    trimIndexFileState(); // the files are cut when the indexes are next written
    m_bytesSinceIndexEntry = m_index.empty() ? m_size : m_size - m_index.back().position;
    recomputeMaxTimestamp();
    if (m_size == 0) {
        m_rollBaseMs = -1;
    }
    m_dirty = true;
    return {};
}

std::expected<void, Error> LogSegment::flush() {
    if (m_dirty) {
        auto file = logFile();
        if (!file) {
            return std::unexpected(file.error());
        }
        if (::fdatasync((*file)->fd()) != 0) {
            return std::unexpected(detail::ioError("fsync", m_logPath, errno));
        }
    }
    if (auto r = writeIndexes(m_dirty); !r) {
        return r;
    }
    m_dirty = false;
    return {};
}

void LogSegment::remove() {
    m_pool->forget(m_poolKey);
    m_logFile.reset();
    std::error_code ec;
    std::filesystem::remove(m_logPath, ec);
    std::filesystem::remove(m_indexPath, ec);
    std::filesystem::remove(m_timeIndexPath, ec);
    m_size = 0;
    m_dirty = false;
}

} // namespace faultline::storage
