// One segment of a partition log: `<base>.log` (batches as received), `<base>.index` (8-byte
// entries: int32 relative offset of a batch's last offset, int32 file position of that batch)
// and `<base>.timeindex` (12-byte entries: int64 max timestamp so far, int32 relative offset).
// Kafka's formats, big-endian, plain append. Internal to engine/storage.
//
// Space ahead: once the active .log holds 1 MiB, it reserves blocks ahead of its end with
// fallocate(FALLOC_FL_KEEP_SIZE) in steps as large as what it holds (1 to 8 MiB). The file's
// size stays the log's end; the filesystem no longer reserves blocks at every buffered write
// (ext4's delayed allocation took a quarter of a page-cache write's CPU). The reserve is given
// back (truncated to the end) when the segment is sealed or closed, and a reserve left behind
// by a crash when the segment is opened; filesystems without fallocate just skip it.
//
// Descriptors: only the active segment holds its .log open. A sealed segment (rolled, or an older
// one loaded at start) opens its .log through the FilePool when it is read. The indexes live in
// memory; their files are caches rebuilt by recovery and are written without a held descriptor
// (open, write the entries not yet on file, close) when the segment is sealed, flushed or closed.
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/protocol/record_batch.h"
#include "engine/storage/file_pool.h"
#include "engine/storage/file_slice.h"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace faultline::storage {

struct IndexEntry {
    std::int32_t relativeOffset = 0;
    std::int32_t position = 0;
    bool operator==(const IndexEntry&) const = default;
};

struct TimeIndexEntry {
    std::int64_t timestamp = -1;
    std::int32_t relativeOffset = 0;
    bool operator==(const TimeIndexEntry&) const = default;
};

struct LocatedBatch {
    protocol::RecordBatchHeader header;
    std::int64_t position = 0;
};

class LogSegment {
public:
    // "00000000000000000042"
    [[nodiscard]] static std::string fileStem(std::int64_t baseOffset);

    // A new, empty, active segment.
    [[nodiscard]] static std::expected<std::unique_ptr<LogSegment>, protocol::Error>
    create(const std::filesystem::path& dir, std::int64_t baseOffset,
           std::int32_t indexIntervalBytes, FilePool& pool);
    // Opens existing files; `active` keeps the .log open (else the segment starts sealed). With
    // `recover`, every batch is CRC-checked, a torn or corrupt tail is cut off and the indexes are
    // rebuilt; without it the indexes are loaded (rebuilt when missing or inconsistent) and only
    // the tail after the last index entry is scanned.
    [[nodiscard]] static std::expected<std::unique_ptr<LogSegment>, protocol::Error>
    open(const std::filesystem::path& dir, std::int64_t baseOffset, std::int32_t indexIntervalBytes,
         FilePool& pool, bool active, bool recover);

    ~LogSegment();
    LogSegment(const LogSegment&) = delete;
    LogSegment& operator=(const LogSegment&) = delete;

    [[nodiscard]] std::int64_t baseOffset() const { return m_baseOffset; }
    [[nodiscard]] std::int64_t nextOffset() const { return m_nextOffset; }
    [[nodiscard]] std::int64_t size() const { return m_size; }
    [[nodiscard]] bool empty() const { return m_size == 0; }
    [[nodiscard]] std::int64_t maxTimestamp() const { return m_maxTimestamp; }
    // Base offset of the first batch carrying maxTimestamp().
    [[nodiscard]] std::int64_t offsetOfMaxTimestamp() const { return m_offsetOfMaxTimestamp; }
    [[nodiscard]] std::int64_t rollBaseMs() const { return m_rollBaseMs; }
    void setRollBaseMs(std::int64_t ms) { m_rollBaseMs = ms; }
    // Bytes cut off by recovery when the segment was opened.
    [[nodiscard]] std::int64_t truncatedBytes() const { return m_truncatedBytes; }
    // Bytes read and CRC-checked by recovery when the segment was opened (0 without recovery).
    [[nodiscard]] std::int64_t recoveredBytes() const { return m_recoveredBytes; }
    [[nodiscard]] const std::vector<IndexEntry>& index() const { return m_index; }
    [[nodiscard]] const std::vector<TimeIndexEntry>& timeIndex() const { return m_timeIndex; }
    [[nodiscard]] const std::filesystem::path& logPath() const { return m_logPath; }
    void setIndexInterval(std::int32_t bytes) { m_indexInterval = bytes; }

    // Writes `bytes` (whole batches whose headers are `batches`, offsets already assigned) at the
    // end with one pwrite, then the index entries that fall due.
    [[nodiscard]] std::expected<void, protocol::Error>
    append(std::span<const std::uint8_t> bytes, std::span<const protocol::BatchSpan> batches);
    // The same bookkeeping (size, indexes) without writing the data: the caller writes `bytes`
    // at the returned position itself (a LogWriter). Returns that position.
    [[nodiscard]] std::expected<std::int64_t, protocol::Error>
    appendDeferred(std::span<const std::uint8_t> bytes, std::span<const protocol::BatchSpan> batches);
    // The batch holding `offset` (the first batch whose last offset >= offset); nullopt past the end.
    [[nodiscard]] std::expected<std::optional<LocatedBatch>, protocol::Error>
    locate(std::int64_t offset) const;
    // File position to start a search for the first batch with max timestamp >= ts.
    [[nodiscard]] std::int64_t timestampSearchStart(std::int64_t timestampMs) const;
    [[nodiscard]] std::expected<void, protocol::Error> readAt(std::int64_t position,
                                                              std::span<std::uint8_t> out) const;
    // Visits batch headers from `position` to the end of the file; fn returns false to stop.
    // Reads `window` bytes at a time: small windows when only a few headers are wanted.
    [[nodiscard]] std::expected<void, protocol::Error>
    scan(std::int64_t position,
         const std::function<bool(const protocol::RecordBatchHeader&, std::int64_t)>& fn,
         std::size_t window = 64 * 1024) const;
    // The .log file, shared with the FileSlices that send from it: the held one of the active
    // segment, else the pool's (opened on demand).
    [[nodiscard]] std::expected<std::shared_ptr<const FileHandle>, protocol::Error> logFile() const;
    [[nodiscard]] bool active() const { return m_logFile != nullptr; }
    // Holds the .log open for writing again (the segment becomes the log's last one).
    [[nodiscard]] std::expected<void, protocol::Error> activate();
    // No more writes: the indexes go to their files and the .log is released to the pool.
    void seal();
    // Writes the index entries not yet on file (and cuts entries dropped by truncation);
    // `sync` fdatasyncs the files. Opens and closes the files, holds no descriptor.
    [[nodiscard]] std::expected<void, protocol::Error> writeIndexes(bool sync);
    // Drops the batch holding `offset` and everything after it.
    [[nodiscard]] std::expected<void, protocol::Error> truncateTo(std::int64_t offset);
    // Cuts the file at `position`, where the batch starting at `nextOffset` begins (or was to be
    // written): no batch header is read, so it also works when the file is shorter than size().
    [[nodiscard]] std::expected<void, protocol::Error> truncateAt(std::int64_t position,
                                                                  std::int64_t nextOffset);
    // On roll and close: the time index gets a last entry holding the segment's max timestamp.
    void appendFinalTimeEntry();
    [[nodiscard]] std::expected<void, protocol::Error> flush();
    // Closes and unlinks the three files.
    void remove();

private:
    LogSegment(const std::filesystem::path& dir, std::int64_t baseOffset,
               std::int32_t indexIntervalBytes, FilePool& pool);
    void resetState();
    void accountBatch(const protocol::RecordBatchHeader& header, std::int64_t position);
    // The bookkeeping of an append (size, indexes) once its bytes are written or queued; returns
    // the position they start at.
    std::int64_t account(std::span<const std::uint8_t> bytes,
                         std::span<const protocol::BatchSpan> batches);
    void maybeAppendTimeEntry(std::int64_t timestamp, std::int64_t offset);
    [[nodiscard]] std::int64_t lookupPosition(std::int64_t offset) const;
    [[nodiscard]] std::expected<void, protocol::Error> recoverFull(const FileHandle& file,
                                                                   bool verifyCrc);
    [[nodiscard]] bool loadIndexes();
    // The index files hold exactly the in-memory entries.
    [[nodiscard]] bool indexFilesMatch() const;
    // Records that the index files hold exactly the in-memory entries.
    void markIndexFilesCurrent();
    [[nodiscard]] std::expected<bool, protocol::Error> scanTail();
    void recomputeMaxTimestamp();
    // Drops what the index files hold beyond the in-memory entries (after truncation).
    void trimIndexFileState();
    // Blocks reserved past the end of the active .log for a write ending at `end` (see the top).
    void reserveFor(std::int64_t end);
    // Truncates the active .log to its end, which gives the reserve back.
    void releaseReserve();

    std::filesystem::path m_logPath;
    std::filesystem::path m_indexPath;
    std::filesystem::path m_timeIndexPath;
    std::shared_ptr<const FileHandle> m_logFile; // the active segment's, opened for writing
    FilePool* m_pool;
    std::uint64_t m_poolKey;
    std::int64_t m_baseOffset = 0;
    std::int64_t m_nextOffset = 0;
    std::int64_t m_size = 0;
    std::int32_t m_indexInterval = 4096;
    std::int64_t m_bytesSinceIndexEntry = 0;
    std::int64_t m_maxTimestamp = -1;
    std::int64_t m_offsetOfMaxTimestamp = -1;
    std::int64_t m_lastOffsetOfMaxTimestamp = -1;
    std::int64_t m_rollBaseMs = -1;
    std::int64_t m_truncatedBytes = 0;
    std::int64_t m_recoveredBytes = 0;
    std::vector<IndexEntry> m_index;
    std::vector<TimeIndexEntry> m_timeIndex;
    // Leading entries of m_index / m_timeIndex that their files hold, and the files' lengths in
    // entries (-1: unknown, the file is cut before writing).
    std::size_t m_indexOnFile = 0;
    std::size_t m_timeIndexOnFile = 0;
    std::int64_t m_indexFileEntries = -1;
    std::int64_t m_timeIndexFileEntries = -1;
    bool m_dirty = false; // .log data written since the last flush
    std::int64_t m_reservedEnd = 0; // the .log has blocks up to here (>= m_size when reserving)
    bool m_reserveUnsupported = false; // fallocate failed: write without a reserve
};

} // namespace faultline::storage
