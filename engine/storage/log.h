// One partition's log in Kafka's on-disk layout. See README.md for the thread rule and invariants.
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/protocol/record_batch.h"
#include "engine/protocol/wire.h"
#include "engine/storage/file_pool.h"
#include "engine/storage/leader_epoch_cache.h"
#include "engine/storage/log_writer.h"

#include <array>
#include <climits>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace faultline::storage {

class LogSegment;

// Kafka's topic configs, by their meaning (segment.bytes, segment.ms, retention.ms, ...).
struct LogConfig {
    std::int64_t segmentBytes = 1073741824;
    std::int64_t segmentMs = 604800000;
    std::int64_t retentionMs = 604800000; // -1 = forever
    std::int64_t retentionBytes = -1;     // -1 = unlimited
    std::int64_t flushMessages = INT64_MAX;
    std::int64_t flushMs = INT64_MAX; // fsync policy
    std::int32_t maxMessageBytes = 1048588;
    std::int32_t indexIntervalBytes = 4096;
    bool logAppendTime = false; // message.timestamp.type=LogAppendTime
    // Read by the leader's checks of produced batches (broker::Partition, the Produce handler), as
    // Kafka keeps them in its LogConfig; the log itself does not use them.
    // message.timestamp.difference.max.ms (INT64_MAX = no check).
    std::int64_t messageTimestampDifferenceMaxMs = INT64_MAX;
    // compression.type: the codec the topic's batches are stored with; nullopt = "producer"
    // (each batch keeps the producer's codec).
    std::optional<protocol::Compression> compression;
    // cleanup.policy: "delete" lets retention remove old segments (read by the broker's log
    // maintenance); "compact" makes the leader refuse records without a key.
    bool cleanupDelete = true;
    bool cleanupCompact = false;
};

struct LogOpenOptions {
    // Opens the .log files of sealed segments on demand (nullptr: FilePool::fallback()).
    FilePool* pool = nullptr;
    // The log was closed cleanly (the caller keeps the marker, as Kafka keeps
    // .kafka_cleanshutdown per log dir): its active segment is trusted like the older ones
    // (indexes loaded, only the tail after the last index entry scanned) instead of CRC-checked.
    bool cleanShutdown = false;
};

struct AppendInfo {
    std::int64_t firstOffset = -1;
    std::int64_t lastOffset = -1;
    std::int64_t maxTimestamp = -1;
    std::int64_t logAppendTime = -1; // -1 unless LogAppendTime
    std::int32_t recordCount = 0;
    std::size_t bytes = 0;
};

// Log::readRecords: the batches as a slice of the segment file (sent with sendfile), or empty.
struct RecordsReadResult {
    protocol::Records records; // non-null; external (a FileSlice) when it holds batches
    std::int64_t nextOffset = 0;
};

struct ReadResult {
    std::shared_ptr<const std::vector<std::uint8_t>> bytes; // whole batches, maybe empty
    std::int64_t nextOffset = 0;
};

class Log {
public:
    // Opens or creates; recovers: unless options.cleanShutdown, CRC-checks the active (last)
    // segment and truncates a torn/corrupt tail at the last valid batch; rebuilds
    // .index/.timeindex when missing or inconsistent; loads the epoch cache and the log start
    // offset.
    [[nodiscard]] static std::expected<std::unique_ptr<Log>, protocol::Error>
    open(std::filesystem::path dir, LogConfig config, LogOpenOptions options = {});

    ~Log();
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

    // Leader append: validates every batch (validateBatch; > maxMessageBytes -> MessageTooLarge;
    // no records -> InvalidRecord), then assigns base offsets from LEO and the leader epoch in
    // place (and LogAppendTime when configured) and writes them with one pwrite. On any error
    // nothing is written.
    [[nodiscard]] std::expected<AppendInfo, protocol::Error>
    appendAsLeader(std::span<std::uint8_t> batches, std::int32_t leaderEpoch, std::int64_t nowMs,
                   protocol::BatchTrust trust = protocol::BatchTrust::Untrusted);
    // Follower append: batches carry their offsets (the first must equal logEndOffset(), the rest
    // follow densely -> else OffsetOutOfRange); every batch is CRC-checked.
    // With a writer set (setWriter) and an `owner` keeping `batches` alive, the data write goes to
    // the writer's thread and this returns once offsets and indexes are updated.
    [[nodiscard]] std::expected<AppendInfo, protocol::Error>
    appendAsFollower(std::span<const std::uint8_t> batches,
                     protocol::BatchTrust trust = protocol::BatchTrust::Untrusted,
                     std::shared_ptr<const void> owner = {});
    // The thread that performs deferred follower writes (nullptr: every write is synchronous).
    void setWriter(LogWriter* writer);
    // Waits until deferred writes are on file (reads, truncation, flush and close do it first).
    void waitForWrites() const { m_pending->wait(); }
    // Whole batches from the one holding `offset`, up to maxBytes (at least one whole batch when
    // minOneBatch), only batches whose last offset < maxOffset, from one segment.
    // offset outside [logStartOffset, logEndOffset] -> OffsetOutOfRange.
    [[nodiscard]] std::expected<ReadResult, protocol::Error>
    read(std::int64_t offset, std::int32_t maxBytes, std::int64_t maxOffset, bool minOneBatch) const;
    // The same batches as read(), as a FileSlice of the segment file: no data is read, only the
    // batch headers that set the range's end (the Fetch path, which sends it with sendfile).
    [[nodiscard]] std::expected<RecordsReadResult, protocol::Error>
    readRecords(std::int64_t offset, std::int32_t maxBytes, std::int64_t maxOffset,
                bool minOneBatch) const;

    [[nodiscard]] std::int64_t logStartOffset() const { return m_logStartOffset; }
    [[nodiscard]] std::int64_t logEndOffset() const;

    // ListOffsets by timestamp: {offset, timestamp} of the first batch whose max timestamp >= ts
    // (offset = the batch's base offset, or the log start offset if later); nullopt if none.
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>>
    offsetForTimestamp(std::int64_t timestampMs) const;
    // ListOffsets -3: {max timestamp, base offset of the first batch carrying it}; nullopt if none.
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> maxTimestampAndOffset() const;

    // Drops the batch holding `offset` and everything after (LEO becomes that batch's base offset;
    // below the log start offset it is truncateFullyAndStartAt(offset)).
    void truncateTo(std::int64_t offset);
    void truncateFullyAndStartAt(std::int64_t offset);
    // Moves the log start offset (persisted in `log-start-offset`); whole segments below it are
    // deleted (never the active one). offset > LEO -> OffsetOutOfRange.
    [[nodiscard]] std::expected<void, protocol::Error> deleteRecordsBefore(std::int64_t offset);
    // Kafka's deleteOldSegments: whole segments below the log start offset, then by retention.ms
    // (a segment's max timestamp), then by retention.bytes, oldest first, only segments that end at
    // or below `highWatermark` (the caller's; the log does not know it). The active segment too:
    // when every segment goes, a new empty one is rolled at the log end first, so the log start
    // becomes the old log end offset. Returns the bytes freed.
    std::int64_t applyRetention(std::int64_t nowMs, std::int64_t highWatermark);
    // Rolls a non-empty active segment older than segment.ms (also checked on append).
    void maybeRoll(std::int64_t nowMs);
    // Starts a new active segment now, unless the active one is empty. (The group coordinator
    // compacting __consumer_offsets: the records it supersedes then end in segments that moving
    // the log start deletes.)
    [[nodiscard]] std::expected<void, protocol::Error> rollNow();
    void flush(); // fsync data + indexes
    // flush.ms without appends: fsyncs when unflushed data is older than flush.ms.
    void maybeFlush(std::int64_t nowMs);
    void setConfig(const LogConfig& config);
    [[nodiscard]] const LogConfig& config() const { return m_config; }

    [[nodiscard]] std::int64_t sizeBytes() const;
    [[nodiscard]] std::size_t segmentCount() const { return m_segments.size(); }
    // Bytes CRC-checked by recovery when the log was opened (0 after a clean shutdown).
    [[nodiscard]] std::int64_t recoveredBytes() const { return m_recoveredBytes; }
    // Base offsets of the segments, oldest first.
    [[nodiscard]] std::vector<std::int64_t> segmentBaseOffsets() const;

    // Leader epoch cache (Kafka's LeaderEpochFileCache semantics).
    void assignEpoch(std::int32_t epoch, std::int64_t startOffset);
    [[nodiscard]] std::pair<std::int32_t, std::int64_t> endOffsetForEpoch(std::int32_t epoch) const;
    [[nodiscard]] std::int32_t latestEpoch() const; // -1 if none
    [[nodiscard]] const std::vector<EpochEntry>& epochEntries() const;

    // Visits batch headers whose last offset >= fromOffset, to the end.
    void forEachBatch(std::int64_t fromOffset,
                      const std::function<void(const protocol::RecordBatchHeader&)>& fn) const;

    [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
    void close(); // flush and release files; also done by the destructor
    [[nodiscard]] static std::expected<void, protocol::Error>
    removeDir(const std::filesystem::path& dir);

private:
    Log(std::filesystem::path dir, LogConfig config, FilePool& pool);

    [[nodiscard]] std::expected<void, protocol::Error> load(bool cleanShutdown);
    [[nodiscard]] LogSegment& activeSegment() const;
    [[nodiscard]] LogSegment* segmentFor(std::int64_t offset) const;
    [[nodiscard]] std::expected<void, protocol::Error> roll();
    [[nodiscard]] std::expected<void, protocol::Error>
    maybeRollForAppend(std::int64_t bytes, std::int64_t lastOffset, std::int64_t nowMs);
    [[nodiscard]] std::expected<std::vector<protocol::BatchSpan>, protocol::Error>
    splitAndValidate(std::span<const std::uint8_t> batches, protocol::BatchTrust trust) const;
    void afterAppend(std::span<const protocol::BatchSpan> batches, std::int32_t records,
                     std::int64_t nowMs);
    void deleteSegment(std::map<std::int64_t, std::unique_ptr<LogSegment>>::iterator it);
    // A segment is due for deletion (its successor, nullptr for the last one, given too).
    using SegmentPredicate = std::function<bool(const LogSegment&, const LogSegment* next)>;
    // Deletes the oldest segments while they are due and end at or below `highWatermark`,
    // rolling first when that is all of them; moves the log start. Returns the bytes freed.
    std::int64_t deleteOldestWhile(std::int64_t highWatermark, const SegmentPredicate& due);
    void setLogStartOffset(std::int64_t offset);
    void persistLogStartOffset();
    void clearReadHints() const;
    // Waits for deferred writes; a failed one truncates the log at its first offset.
    void settleWrites();
    struct ReadStart {
        const LogSegment* segment = nullptr; // nullptr: nothing to read
        std::int64_t position = 0;
    };
    [[nodiscard]] std::expected<ReadStart, protocol::Error> locateRead(std::int64_t offset,
                                                                       std::int64_t maxOffset) const;
    void rememberRead(std::int64_t nextOffset, const LogSegment& seg, std::int64_t position) const;
    static constexpr std::size_t kHeaderScanWindow = 4096;

    struct ReadHint {
        std::int64_t offset = -1;
        std::int64_t segmentBase = -1;
        std::int64_t position = -1;
    };

    std::filesystem::path m_dir;
    LogConfig m_config;
    FilePool* m_pool;
    std::map<std::int64_t, std::unique_ptr<LogSegment>> m_segments;
    std::int64_t m_recoveredBytes = 0;
    std::int64_t m_logStartOffset = 0;
    LeaderEpochCache m_epochs;
    std::int64_t m_unflushedMessages = 0;
    std::int64_t m_lastFlushMs = 0;
    bool m_closed = false;
    LogWriter* m_writer = nullptr;
    std::shared_ptr<PendingWrites> m_pending = std::make_shared<PendingWrites>();
    mutable std::array<ReadHint, 8> m_readHints{};
    mutable std::size_t m_nextHint = 0;
};

} // namespace faultline::storage
