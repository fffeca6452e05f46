#include "engine/storage/log.h"

#include "engine/storage/file_util.h"
#include "engine/storage/log_segment.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>

namespace faultline::storage {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

constexpr const char* kLogStartFile = "log-start-offset";
constexpr const char* kEpochFile = "leader-epoch-checkpoint";

std::int64_t wallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "00000000000000000042.log" -> 42
std::optional<std::int64_t> parseSegmentName(const std::string& stem) {
    if (stem.size() != 20) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), value);
    if (ec != std::errc{} || ptr != stem.data() + stem.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

} // namespace

Log::Log(std::filesystem::path dir, LogConfig config, FilePool& pool)
    : m_dir(std::move(dir)), m_config(config), m_pool(&pool), m_epochs(m_dir / kEpochFile),
      m_lastFlushMs(wallClockMs()) {}

Log::~Log() {
    close();
}

std::expected<std::unique_ptr<Log>, Error> Log::open(std::filesystem::path dir, LogConfig config,
                                                     LogOpenOptions options) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "create " + dir.string() + ": " + ec.message()));
    }
    FilePool& pool = options.pool != nullptr ? *options.pool : FilePool::fallback();
    std::unique_ptr<Log> log(new Log(std::move(dir), config, pool));
    if (auto r = log->load(options.cleanShutdown); !r) {
        log->m_closed = true;
        return std::unexpected(r.error());
    }
    return log;
}

std::expected<void, Error> Log::load(bool cleanShutdown) {
    std::vector<std::int64_t> bases;
    std::vector<std::filesystem::path> indexFiles;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(m_dir, ec)) {
        const auto& path = entry.path();
        const std::string ext = path.extension().string();
        if (ext == ".tmp" || ext == ".deleted" || ext == ".cleaned" || ext == ".swap") {
            std::filesystem::remove(path, ec);
            continue;
        }
        auto base = parseSegmentName(path.stem().string());
        if (!base) {
            continue;
        }
        if (ext == ".log") {
            bases.push_back(*base);
        } else if (ext == ".index" || ext == ".timeindex") {
            indexFiles.push_back(path);
        }
    }
    if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "list " + m_dir.string() + ": " + ec.message()));
    }
    std::sort(bases.begin(), bases.end());
    for (const auto& path : indexFiles) { // orphans without a .log
        auto base = parseSegmentName(path.stem().string());
        if (!std::binary_search(bases.begin(), bases.end(), *base)) {
            std::filesystem::remove(path, ec);
        }
    }

    std::int64_t storedStart = -1;
    if (std::filesystem::exists(m_dir / kLogStartFile)) {
        auto text = detail::readWholeFile(m_dir / kLogStartFile);
        std::istringstream in(text ? *text : std::string());
        long long version = -1;
        long long offset = -1;
        if (in >> version >> offset && version == 0 && offset >= 0) {
            storedStart = offset;
        } else {
            spdlog::warn("log {}: ignoring malformed {}", m_dir.string(), kLogStartFile);
        }
    }

    for (std::size_t i = 0; i < bases.size(); ++i) {
        const bool last = i + 1 == bases.size();
        auto seg = LogSegment::open(m_dir, bases[i], m_config.indexIntervalBytes, *m_pool, last,
                                    last && !cleanShutdown);
        if (!seg) {
            return std::unexpected(seg.error());
        }
        m_recoveredBytes += (*seg)->recoveredBytes();
        m_segments.emplace(bases[i], std::move(*seg));
    }
    // A previous segment whose offsets do not reach the next one is a hole: keep what is dense.
    for (auto it = m_segments.begin(); it != m_segments.end(); ++it) {
        auto next = std::next(it);
        if (next != m_segments.end() && it->second->nextOffset() != next->first) {
            spdlog::warn("log {}: segment {} ends at {} but the next starts at {}; dropping the rest",
                         m_dir.string(), it->first, it->second->nextOffset(), next->first);
            while (std::next(it) != m_segments.end()) {
                deleteSegment(std::next(it));
            }
            break;
        }
    }
    if (m_segments.empty()) {
        const std::int64_t base = std::max<std::int64_t>(storedStart, 0);
        auto seg = LogSegment::create(m_dir, base, m_config.indexIntervalBytes, *m_pool);
        if (!seg) {
            return std::unexpected(seg.error());
        }
        m_segments.emplace(base, std::move(*seg));
    }
    m_logStartOffset = std::max(storedStart, m_segments.begin()->first);

    if (auto loaded = m_epochs.load(); !loaded) {
        spdlog::warn("log {}: {}; starting with an empty epoch cache", m_dir.string(),
                     loaded.error().message);
    }
    if (m_logStartOffset > logEndOffset()) {
        spdlog::warn("log {}: log start offset {} is past the end {}", m_dir.string(),
                     m_logStartOffset, logEndOffset());
        truncateFullyAndStartAt(m_logStartOffset);
    } else {
        // Entries past the end belong to data this log no longer has. One starting exactly at
        // the end is kept: a leader's epoch begun before anything was appended in it (dropping it
        // rewrote and fsynced the checkpoint of every idle leader at every start).
        m_epochs.truncateFromEnd(logEndOffset() + 1);
        m_epochs.truncateFromStart(m_logStartOffset);
        // A missing file means the first segment's base: a new log needs no file (and no fsync).
        if (storedStart != m_logStartOffset &&
            !(storedStart < 0 && m_logStartOffset == m_segments.begin()->first)) {
            persistLogStartOffset();
        }
    }
    return {};
}

LogSegment& Log::activeSegment() const {
    return *m_segments.rbegin()->second;
}

LogSegment* Log::segmentFor(std::int64_t offset) const {
    auto it = m_segments.upper_bound(offset);
    if (it == m_segments.begin()) {
        return nullptr;
    }
    return std::prev(it)->second.get();
}

std::int64_t Log::logEndOffset() const {
    return activeSegment().nextOffset();
}

std::int64_t Log::sizeBytes() const {
    std::int64_t total = 0;
    for (const auto& [base, seg] : m_segments) {
        total += seg->size();
    }
    return total;
}

std::vector<std::int64_t> Log::segmentBaseOffsets() const {
    std::vector<std::int64_t> out;
    out.reserve(m_segments.size());
    for (const auto& [base, seg] : m_segments) {
        out.push_back(base);
    }
    return out;
}

std::expected<void, Error> Log::roll() {
    LogSegment& old = activeSegment();
    const std::int64_t base = old.nextOffset();
    auto seg = LogSegment::create(m_dir, base, m_config.indexIntervalBytes, *m_pool);
    if (!seg) {
        return std::unexpected(seg.error());
    }
    old.appendFinalTimeEntry();
    old.seal(); // its indexes are complete on file; its .log is opened through the pool
    m_segments.emplace(base, std::move(*seg));
    return {};
}

std::expected<void, Error> Log::maybeRollForAppend(std::int64_t bytes, std::int64_t lastOffset,
                                                   std::int64_t nowMs) {
    LogSegment& seg = activeSegment();
    if (seg.empty()) {
        return {};
    }
    const bool full = seg.size() + bytes > m_config.segmentBytes;
    const bool old = seg.rollBaseMs() >= 0 && nowMs - seg.rollBaseMs() > m_config.segmentMs;
    const bool overflow = lastOffset - seg.baseOffset() > INT32_MAX;
    if (full || old || overflow) {
        return roll();
    }
    return {};
}

std::expected<void, Error> Log::rollNow() {
    if (activeSegment().empty()) {
        return {};
    }
    return roll();
}

void Log::maybeRoll(std::int64_t nowMs) {
    LogSegment& seg = activeSegment();
    if (!seg.empty() && seg.rollBaseMs() >= 0 && nowMs - seg.rollBaseMs() > m_config.segmentMs) {
        if (auto r = roll(); !r) {
            spdlog::error("log {}: roll failed: {}", m_dir.string(), r.error().message);
        }
    }
}

std::expected<std::vector<protocol::BatchSpan>, Error>
Log::splitAndValidate(std::span<const std::uint8_t> batches, protocol::BatchTrust trust) const {
    if (batches.empty()) {
        return std::unexpected(makeError(ErrorCode::InvalidRecord, "append without record batches"));
    }
    bool complete = false;
    auto spans = protocol::splitBatches(batches, &complete);
    if (!complete) {
        std::size_t used = 0;
        for (const auto& s : spans) {
            used += s.size;
        }
        return std::unexpected(makeError(ErrorCode::CorruptMessage,
                                         "record batch at byte " + std::to_string(used) +
                                             " is truncated or has a bad Length"));
    }
    if (trust == protocol::BatchTrust::Validated) {
        return spans;
    }
    for (const auto& s : spans) {
        auto valid = protocol::validateBatch(batches.subspan(s.position, s.size));
        if (!valid) {
            return std::unexpected(valid.error());
        }
    }
    return spans;
}

void Log::afterAppend(std::span<const protocol::BatchSpan> batches, std::int32_t records,
                      std::int64_t nowMs) {
    for (const auto& b : batches) {
        if (b.header.partitionLeaderEpoch >= 0 &&
            b.header.partitionLeaderEpoch > m_epochs.latestEpoch()) {
            m_epochs.assign(b.header.partitionLeaderEpoch, b.header.baseOffset);
        }
    }
    m_unflushedMessages += records;
    if (m_unflushedMessages >= m_config.flushMessages ||
        (m_config.flushMs != INT64_MAX && nowMs - m_lastFlushMs >= m_config.flushMs)) {
        m_lastFlushMs = nowMs;
        flush();
    }
}

std::expected<AppendInfo, Error> Log::appendAsLeader(std::span<std::uint8_t> batches,
                                                     std::int32_t leaderEpoch, std::int64_t nowMs,
                                                     protocol::BatchTrust trust) {
    settleWrites(); // a follower that has just become the leader
    auto spans = splitAndValidate(batches, trust);
    if (!spans) {
        return std::unexpected(spans.error());
    }
    std::int64_t totalRecords = 0;
    for (const auto& s : *spans) {
        if (static_cast<std::int64_t>(s.size) > m_config.maxMessageBytes) {
            return std::unexpected(makeError(
                ErrorCode::MessageTooLarge,
                "record batch of " + std::to_string(s.size) + " bytes exceeds max.message.bytes " +
                    std::to_string(m_config.maxMessageBytes)));
        }
        if (s.header.recordCount == 0) {
            return std::unexpected(
                makeError(ErrorCode::InvalidRecord, "record batch: RecordCount 0 from a producer"));
        }
        totalRecords += s.header.recordCount;
    }
    const std::int64_t first = logEndOffset();
    const std::int64_t last = first + totalRecords - 1;
    if (auto r = maybeRollForAppend(static_cast<std::int64_t>(batches.size()), last, nowMs); !r) {
        return std::unexpected(r.error());
    }
    AppendInfo info;
    info.firstOffset = first;
    info.lastOffset = last;
    info.recordCount = static_cast<std::int32_t>(totalRecords);
    info.bytes = batches.size();
    std::int64_t next = first;
    for (auto& s : *spans) {
        auto bytes = batches.subspan(s.position, s.size);
        protocol::setBaseOffset(bytes, next);
        protocol::setPartitionLeaderEpoch(bytes, leaderEpoch);
        s.header.baseOffset = next;
        s.header.partitionLeaderEpoch = leaderEpoch;
        if (m_config.logAppendTime) {
            protocol::setLogAppendTime(bytes, nowMs);
            s.header.maxTimestamp = nowMs;
            s.header.attributes |= protocol::batch_attributes::kLogAppendTime;
        }
        info.maxTimestamp = std::max(info.maxTimestamp, s.header.maxTimestamp);
        next = s.header.nextOffset();
    }
    info.logAppendTime = m_config.logAppendTime ? nowMs : -1;
    LogSegment& seg = activeSegment();
    if (seg.empty()) {
        seg.setRollBaseMs(nowMs);
    }
    if (auto r = seg.append(batches, *spans); !r) {
        return std::unexpected(r.error());
    }
    afterAppend(*spans, info.recordCount, nowMs);
    return info;
}

void Log::setWriter(LogWriter* writer) {
    waitForWrites();
    m_writer = writer;
}

void Log::settleWrites() {
    m_pending->wait();
    auto failure = m_pending->takeFailure();
    if (!failure || failure->firstOffset >= logEndOffset()) {
        return;
    }
    spdlog::error("log {}: a deferred write failed ({}); truncating to offset {}", m_dir.string(),
                  failure->error.message, failure->firstOffset);
    // By position: the failed bytes may be missing from the file, so no header can be read there.
    clearReadHints();
    while (m_segments.size() > 1 && m_segments.rbegin()->first > failure->firstOffset) {
        deleteSegment(std::prev(m_segments.end()));
    }
    if (auto r = activeSegment().truncateAt(failure->position, failure->firstOffset); !r) {
        spdlog::error("log {}: truncate failed: {}", m_dir.string(), r.error().message);
    }
    m_epochs.truncateFromEnd(logEndOffset());
}

std::expected<AppendInfo, Error> Log::appendAsFollower(std::span<const std::uint8_t> batches,
                                                       protocol::BatchTrust trust,
                                                       std::shared_ptr<const void> owner) {
    if (m_pending->failed()) {
        settleWrites();
    }
    auto spans = splitAndValidate(batches, trust);
    if (!spans) {
        return std::unexpected(spans.error());
    }
    std::int64_t expected = logEndOffset();
    AppendInfo info;
    info.firstOffset = expected;
    for (const auto& s : *spans) {
        if (s.header.baseOffset != expected) {
            return std::unexpected(makeError(
                ErrorCode::OffsetOutOfRange,
                "follower append: batch at offset " + std::to_string(s.header.baseOffset) +
                    " where " + std::to_string(expected) + " was expected"));
        }
        expected = s.header.nextOffset();
        info.recordCount += s.header.recordCount;
        info.maxTimestamp = std::max(info.maxTimestamp, s.header.maxTimestamp);
        if (s.header.logAppendTime()) {
            info.logAppendTime = s.header.maxTimestamp;
        }
    }
    info.lastOffset = expected - 1;
    info.bytes = batches.size();
    const std::int64_t nowMs = wallClockMs();
    if (auto r = maybeRollForAppend(static_cast<std::int64_t>(batches.size()), info.lastOffset,
                                    nowMs);
        !r) {
        return std::unexpected(r.error());
    }
    LogSegment& seg = activeSegment();
    if (seg.empty()) {
        seg.setRollBaseMs(nowMs);
    }
    if (m_writer != nullptr && owner) {
        auto file = seg.logFile();
        if (!file) {
            return std::unexpected(file.error());
        }
        auto position = seg.appendDeferred(batches, *spans);
        if (!position) {
            return std::unexpected(position.error());
        }
        m_writer->submit(LogWriter::Write{std::move(*file), *position, batches, std::move(owner),
                                          m_pending, info.firstOffset});
    } else if (auto r = seg.append(batches, *spans); !r) {
        return std::unexpected(r.error());
    }
    afterAppend(*spans, info.recordCount, nowMs);
    return info;
}

std::expected<Log::ReadStart, Error> Log::locateRead(std::int64_t offset,
                                                     std::int64_t maxOffset) const {
    waitForWrites();
    const std::int64_t leo = logEndOffset();
    if (offset < m_logStartOffset || offset > leo) {
        return std::unexpected(makeError(ErrorCode::OffsetOutOfRange,
                                         "offset " + std::to_string(offset) + " outside [" +
                                             std::to_string(m_logStartOffset) + ", " +
                                             std::to_string(leo) + "]"));
    }
    ReadStart start;
    if (offset == leo || offset >= maxOffset) {
        return start;
    }
    const LogSegment* seg = segmentFor(offset);
    if (seg == nullptr) {
        return start;
    }
    for (const auto& hint : m_readHints) {
        if (hint.offset == offset && hint.segmentBase == seg->baseOffset()) {
            start.segment = seg;
            start.position = hint.position;
            return start;
        }
    }
    auto located = seg->locate(offset);
    if (!located) {
        return std::unexpected(located.error());
    }
    if (*located) {
        start.segment = seg;
        start.position = (*located)->position;
    }
    return start;
}

void Log::rememberRead(std::int64_t nextOffset, const LogSegment& seg, std::int64_t position) const {
    m_readHints[m_nextHint] = ReadHint{nextOffset, seg.baseOffset(), position};
    m_nextHint = (m_nextHint + 1) % m_readHints.size();
}

std::expected<RecordsReadResult, Error> Log::readRecords(std::int64_t offset, std::int32_t maxBytes,
                                                         std::int64_t maxOffset,
                                                         bool minOneBatch) const {
    auto start = locateRead(offset, maxOffset);
    if (!start) {
        return std::unexpected(start.error());
    }
    RecordsReadResult result{protocol::Records::share(std::shared_ptr<const void>(), {}), offset};
    const LogSegment* seg = start->segment;
    if (seg == nullptr) {
        return result;
    }
    const std::int64_t position = start->position;
    const std::int64_t limit = position + std::max<std::int32_t>(maxBytes, 0);
    std::int64_t end = position;
    std::int64_t next = offset;
    // Only the batch headers are read (a small window each), to cut the range at batch boundaries.
    auto scanned = seg->scan(
        position,
        [&](const protocol::RecordBatchHeader& h, std::int64_t at) {
            const std::int64_t batchEnd = at + static_cast<std::int64_t>(h.totalSize());
            if (h.lastOffset() >= maxOffset || (batchEnd > limit && !(minOneBatch && end == position))) {
                return false;
            }
            end = batchEnd;
            next = h.nextOffset();
            return batchEnd < limit;
        },
        kHeaderScanWindow);
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (end == position) {
        return result;
    }
    auto file = seg->logFile();
    if (!file) {
        return std::unexpected(file.error());
    }
    rememberRead(next, *seg, end);
    result.records = protocol::Records::fromExternal(std::make_shared<const FileSlice>(
        std::move(*file), position, static_cast<std::size_t>(end - position)));
    result.nextOffset = next;
    return result;
}

std::expected<ReadResult, Error> Log::read(std::int64_t offset, std::int32_t maxBytes,
                                           std::int64_t maxOffset, bool minOneBatch) const {
    static const auto kEmpty = std::make_shared<const std::vector<std::uint8_t>>();
    ReadResult result{kEmpty, offset};
    auto start = locateRead(offset, maxOffset);
    if (!start) {
        return std::unexpected(start.error());
    }
    const LogSegment* seg = start->segment;
    if (seg == nullptr) {
        return result;
    }
    const std::int64_t position = start->position;
    const std::int64_t available = seg->size() - position;
    std::int64_t want = std::min<std::int64_t>(available, std::max<std::int32_t>(maxBytes, 0));
    auto buffer = std::make_shared<std::vector<std::uint8_t>>();
    std::size_t used = 0;
    std::int64_t next = offset;
    auto walk = [&]() {
        while (buffer->size() - used >= protocol::kBatchHeaderSize) {
            auto h = protocol::parseBatchHeader(std::span(*buffer).subspan(used));
            if (!h || h->totalSize() > buffer->size() - used || h->lastOffset() >= maxOffset) {
                break;
            }
            used += h->totalSize();
            next = h->nextOffset();
        }
    };
    if (want >= static_cast<std::int64_t>(protocol::kBatchHeaderSize)) {
        buffer->resize(static_cast<std::size_t>(want));
        if (auto r = seg->readAt(position, *buffer); !r) {
            return std::unexpected(r.error());
        }
        walk();
    }
    if (used == 0 && minOneBatch && available >= static_cast<std::int64_t>(protocol::kBatchHeaderSize)) {
        std::vector<std::uint8_t> headerBytes(protocol::kBatchHeaderSize);
        if (auto r = seg->readAt(position, headerBytes); !r) {
            return std::unexpected(r.error());
        }
        auto h = protocol::parseBatchHeader(headerBytes);
        if (h && h->lastOffset() < maxOffset &&
            static_cast<std::int64_t>(h->totalSize()) <= available) {
            buffer->resize(h->totalSize());
            if (auto r = seg->readAt(position, *buffer); !r) {
                return std::unexpected(r.error());
            }
            used = h->totalSize();
            next = h->nextOffset();
        }
    }
    if (used == 0) {
        return result;
    }
    buffer->resize(used);
    rememberRead(next, *seg, position + static_cast<std::int64_t>(used));
    result.bytes = std::move(buffer);
    result.nextOffset = next;
    return result;
}

std::optional<std::pair<std::int64_t, std::int64_t>>
Log::offsetForTimestamp(std::int64_t timestampMs) const {
    waitForWrites();
    for (const auto& [base, seg] : m_segments) {
        if (seg->maxTimestamp() < timestampMs || seg->nextOffset() <= m_logStartOffset) {
            continue;
        }
        std::optional<std::pair<std::int64_t, std::int64_t>> found;
        (void)seg->scan(seg->timestampSearchStart(timestampMs),
                        [&](const protocol::RecordBatchHeader& h, std::int64_t) {
                            if (h.lastOffset() >= m_logStartOffset &&
                                h.maxTimestamp >= timestampMs) {
                                found = std::pair{std::max(h.baseOffset, m_logStartOffset),
                                                  h.maxTimestamp};
                                return false;
                            }
                            return true;
                        });
        if (found) {
            return found;
        }
    }
    return std::nullopt;
}

std::optional<std::pair<std::int64_t, std::int64_t>> Log::maxTimestampAndOffset() const {
    std::optional<std::pair<std::int64_t, std::int64_t>> best;
    for (const auto& [base, seg] : m_segments) {
        if (seg->maxTimestamp() >= 0 && (!best || seg->maxTimestamp() > best->first)) {
            best = std::pair{seg->maxTimestamp(),
                             std::max(seg->offsetOfMaxTimestamp(), m_logStartOffset)};
        }
    }
    return best;
}

void Log::deleteSegment(std::map<std::int64_t, std::unique_ptr<LogSegment>>::iterator it) {
    const bool wasLast = std::next(it) == m_segments.end();
    it->second->remove();
    m_segments.erase(it);
    if (wasLast && !m_segments.empty()) {
        // The segment before it is the active one again and is written to.
        if (auto r = activeSegment().activate(); !r) {
            spdlog::error("log {}: {}", m_dir.string(), r.error().message);
        }
    }
}

void Log::clearReadHints() const {
    m_readHints.fill(ReadHint{});
}

void Log::truncateTo(std::int64_t offset) {
    waitForWrites();
    if (offset >= logEndOffset()) {
        return;
    }
    if (offset < m_logStartOffset) {
        truncateFullyAndStartAt(offset);
        return;
    }
    clearReadHints();
    while (m_segments.size() > 1 && m_segments.rbegin()->first > offset) {
        deleteSegment(std::prev(m_segments.end()));
    }
    if (auto r = activeSegment().truncateTo(offset); !r) {
        spdlog::error("log {}: truncate failed: {}", m_dir.string(), r.error().message);
    }
    // The segment may now end before its base's neighbour below; a now-empty active segment at a
    // base above LEO cannot happen because segments are dense.
    if (logEndOffset() < m_logStartOffset) {
        truncateFullyAndStartAt(offset);
        return;
    }
    m_epochs.truncateFromEnd(logEndOffset());
}

void Log::truncateFullyAndStartAt(std::int64_t offset) {
    waitForWrites();
    clearReadHints();
    while (!m_segments.empty()) {
        deleteSegment(m_segments.begin());
    }
    auto seg = LogSegment::create(m_dir, offset, m_config.indexIntervalBytes, *m_pool);
    if (!seg) {
        spdlog::error("log {}: cannot create segment at {}: {}", m_dir.string(), offset,
                      seg.error().message);
        std::abort(); // a log without a segment cannot go on
    }
    m_segments.emplace(offset, std::move(*seg));
    m_logStartOffset = offset;
    persistLogStartOffset();
    m_epochs.clear();
}

void Log::persistLogStartOffset() {
    const std::string text = "0\n" + std::to_string(m_logStartOffset) + "\n";
    if (auto r = detail::writeFileAtomic(m_dir / kLogStartFile, text); !r) {
        spdlog::error("log {}: {}", m_dir.string(), r.error().message);
    }
}

void Log::setLogStartOffset(std::int64_t offset) {
    if (offset <= m_logStartOffset) {
        return;
    }
    m_logStartOffset = offset;
    persistLogStartOffset();
    m_epochs.truncateFromStart(offset);
}

std::expected<void, Error> Log::deleteRecordsBefore(std::int64_t offset) {
    waitForWrites();
    if (offset > logEndOffset() || offset < 0) {
        return std::unexpected(makeError(ErrorCode::OffsetOutOfRange,
                                         "delete records before " + std::to_string(offset) +
                                             ": log ends at " + std::to_string(logEndOffset())));
    }
    if (offset <= m_logStartOffset) {
        return {};
    }
    clearReadHints();
    setLogStartOffset(offset);
    while (m_segments.size() > 1 && std::next(m_segments.begin())->first <= offset) {
        deleteSegment(m_segments.begin());
    }
    return {};
}

std::int64_t Log::deleteOldestWhile(std::int64_t highWatermark, const SegmentPredicate& due) {
    // Kafka's deletableSegments: from the oldest (the active one included) while `due` holds, the
    // segment ends at or below the high watermark (only committed data goes, so the log start
    // never passes it) and it is not the last segment while that one is empty.
    std::size_t count = 0;
    for (auto it = m_segments.begin(); it != m_segments.end(); ++it, ++count) {
        const auto next = std::next(it);
        const bool last = next == m_segments.end();
        const std::int64_t upperBound = last ? logEndOffset() : next->first;
        if (!due(*it->second, last ? nullptr : next->second.get()) ||
            (last && it->second->empty()) || upperBound > highWatermark) {
            break;
        }
    }
    if (count == 0) {
        return 0;
    }
    // A log always has a segment: when every one goes, a new empty active segment at the log end
    // is started first (Kafka's deleteSegments), and the log start moves to it.
    if (count == m_segments.size()) {
        if (auto r = roll(); !r) {
            spdlog::error("log {}: retention cannot roll the active segment: {}", m_dir.string(),
                          r.error().message);
            --count;
        }
    }
    clearReadHints();
    std::int64_t freed = 0;
    for (std::size_t i = 0; i < count; ++i) {
        freed += m_segments.begin()->second->size();
        deleteSegment(m_segments.begin());
    }
    setLogStartOffset(m_segments.begin()->first);
    return freed;
}

std::int64_t Log::applyRetention(std::int64_t nowMs, std::int64_t highWatermark) {
    settleWrites();
    std::int64_t freed =
        deleteOldestWhile(highWatermark, [&](const LogSegment&, const LogSegment* next) {
            return next != nullptr && next->baseOffset() <= m_logStartOffset;
        });
    if (m_config.retentionMs >= 0) {
        // A segment without timestamps (none >= 0) is kept, and so is everything after it.
        freed += deleteOldestWhile(highWatermark, [&](const LogSegment& seg, const LogSegment*) {
            return seg.maxTimestamp() >= 0 && nowMs - seg.maxTimestamp() > m_config.retentionMs;
        });
    }
    if (m_config.retentionBytes >= 0 && sizeBytes() >= m_config.retentionBytes) {
        // Whole segments while what remains still holds retention.bytes.
        std::int64_t excess = sizeBytes() - m_config.retentionBytes;
        freed += deleteOldestWhile(highWatermark, [&](const LogSegment& seg, const LogSegment*) {
            if (excess - seg.size() < 0) {
                return false;
            }
            excess -= seg.size();
            return true;
        });
    }
    return freed;
}

void Log::flush() {
    waitForWrites();
    for (const auto& [base, seg] : m_segments) {
        if (auto r = seg->flush(); !r) {
            spdlog::error("log {}: {}", m_dir.string(), r.error().message);
        }
    }
    m_unflushedMessages = 0;
}

void Log::maybeFlush(std::int64_t nowMs) {
    if (m_pending->failed()) {
        settleWrites();
    }
    if (m_unflushedMessages > 0 && m_config.flushMs != INT64_MAX &&
        nowMs - m_lastFlushMs >= m_config.flushMs) {
        m_lastFlushMs = nowMs;
        flush();
    }
}

void Log::setConfig(const LogConfig& config) {
    m_config = config;
    activeSegment().setIndexInterval(config.indexIntervalBytes);
}

void Log::assignEpoch(std::int32_t epoch, std::int64_t startOffset) {
    m_epochs.assign(epoch, startOffset);
}

std::pair<std::int32_t, std::int64_t> Log::endOffsetForEpoch(std::int32_t epoch) const {
    return m_epochs.endOffsetFor(epoch, logEndOffset());
}

std::int32_t Log::latestEpoch() const {
    return m_epochs.latestEpoch();
}

const std::vector<EpochEntry>& Log::epochEntries() const {
    return m_epochs.entries();
}

void Log::forEachBatch(std::int64_t fromOffset,
                       const std::function<void(const protocol::RecordBatchHeader&)>& fn) const {
    waitForWrites();
    for (const auto& [base, seg] : m_segments) {
        if (seg->nextOffset() <= fromOffset) {
            continue;
        }
        std::int64_t start = 0;
        if (fromOffset > base) {
            auto located = seg->locate(fromOffset);
            if (!located || !*located) {
                continue;
            }
            start = (*located)->position;
        }
        (void)seg->scan(start, [&](const protocol::RecordBatchHeader& h, std::int64_t) {
            fn(h);
            return true;
        });
    }
}

void Log::close() {
    if (m_closed) {
        return;
    }
    m_closed = true;
    if (!m_segments.empty()) {
        activeSegment().appendFinalTimeEntry();
    }
    flush();
    m_segments.clear();
}

std::expected<void, Error> Log::removeDir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "remove " + dir.string() + ": " + ec.message()));
    }
    return {};
}

} // namespace faultline::storage
