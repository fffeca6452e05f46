// Partition log behaviour (engine/storage): append, read, segments, indexes, retention,
// truncation, epoch cache and crash recovery; zero-copy reads (readRecords, FileSlice) and
// deferred follower writes (LogWriter).
#include "batch_builder.h"

#include "engine/storage/file_pool.h"
#include "engine/storage/file_slice.h"
#include "engine/storage/log.h"
#include "engine/storage/log_writer.h"

#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <memory>

using namespace faultline;
using protocol::ErrorCode;
using storage::Log;
using storage::LogConfig;
using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(protocol::ErrorCode)

#define OPEN_LOG(var, dir, cfg)                                                                    \
    auto var##Opened = Log::open((dir), (cfg));                                                    \
    QVERIFY2(var##Opened.has_value(), var##Opened ? "" : var##Opened.error().message.c_str());    \
    auto var = std::move(*var##Opened)

#define APPEND(log, bytes, epoch, now)                                                             \
    do {                                                                                           \
        auto appended_ = (log)->appendAsLeader((bytes), (epoch), (now));                           \
        QVERIFY2(appended_.has_value(), appended_ ? "" : appended_.error().message.c_str());       \
    } while (false)

namespace {

// The batch as the log must store it: offset and epoch patched, nothing else.
Bytes stored(Bytes batch, std::int64_t baseOffset, std::int32_t epoch) {
    protocol::setBaseOffset(batch, baseOffset);
    protocol::setPartitionLeaderEpoch(batch, epoch);
    return batch;
}

Bytes readAll(const Log& log, std::int64_t from = -1) {
    Bytes out;
    std::int64_t offset = from < 0 ? log.logStartOffset() : from;
    while (offset < log.logEndOffset()) {
        auto r = log.read(offset, 1 << 20, log.logEndOffset(), true);
        if (!r || r->nextOffset == offset) {
            break;
        }
        out.insert(out.end(), r->bytes->begin(), r->bytes->end());
        offset = r->nextOffset;
    }
    return out;
}

Bytes fileBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Bytes the filesystem has allocated to `path` (its blocks, whatever its size says).
std::int64_t allocatedBytes(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_blocks) * 512 : -1;
}

// Reserves `bytes` past the end of `path` as a crashed engine would have left them; false when
// the filesystem has no fallocate.
bool reservePastEnd(const fs::path& path, std::int64_t bytes) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool ok = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(fs::file_size(path)),
                                bytes) == 0;
    ::close(fd);
    return ok;
}

std::uint32_t be32(const Bytes& b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
           (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

std::string stem(std::int64_t base) {
    char name[32];
    std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(base));
    return name;
}

std::vector<std::string> logFiles(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".log") {
            names.push_back(e.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

Bytes batchOf(int records, std::int64_t ts = 1000, std::size_t valueSize = 10, char fill = 'v') {
    return test::buildBatch(test::BatchSpec{.records = records,
                                            .baseTimestamp = ts,
                                            .valueSize = valueSize,
                                            .fill = fill});
}

// The bytes of a readRecords() result (pread of its FileSlice); empty when it cannot be read.
Bytes materialize(const protocol::Records& records) {
    const protocol::Records m = records.materialized();
    return Bytes(m.bytes.begin(), m.bytes.end());
}

// What a follower append with a writer needs: the bytes and an owner keeping them alive.
std::shared_ptr<const Bytes> shared(Bytes bytes) {
    return std::make_shared<const Bytes>(std::move(bytes));
}

// Follower-appends `batch` with its owner (deferred when the log has a writer).
std::expected<storage::AppendInfo, protocol::Error>
appendDeferred(Log& log, Bytes batch,
               protocol::BatchTrust trust = protocol::BatchTrust::Untrusted) {
    auto owner = shared(std::move(batch));
    const std::span<const std::uint8_t> bytes(*owner);
    return log.appendAsFollower(bytes, trust, owner);
}

#define APPEND_DEFERRED(log, bytes)                                                                \
    do {                                                                                           \
        auto appended_ = appendDeferred(*(log), (bytes));                                          \
        QVERIFY2(appended_.has_value(), appended_ ? "" : appended_.error().message.c_str());       \
    } while (false)

// Every batch from the log start, read with readRecords() and materialized.
Bytes readAllRecords(const Log& log, std::int32_t maxBytes = 1 << 20) {
    Bytes out;
    std::int64_t offset = log.logStartOffset();
    while (offset < log.logEndOffset()) {
        auto r = log.readRecords(offset, maxBytes, log.logEndOffset(), true);
        if (!r || r->nextOffset == offset) {
            break;
        }
        const Bytes bytes = materialize(r->records);
        out.insert(out.end(), bytes.begin(), bytes.end());
        offset = r->nextOffset;
    }
    return out;
}

// RLIMIT_FSIZE lowered and SIGXFSZ ignored for its lifetime, so that a write past `limit` fails
// with EFBIG instead of killing the process; restore() (or the destructor) puts both back.
class FileSizeLimit {
public:
    explicit FileSizeLimit(std::uintmax_t limit) {
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        m_ok = ::getrlimit(RLIMIT_FSIZE, &m_old) == 0;
        rlimit lowered = m_old;
        lowered.rlim_cur = static_cast<rlim_t>(limit);
        m_ok = m_ok && ::setrlimit(RLIMIT_FSIZE, &lowered) == 0;
    }
    ~FileSizeLimit() { restore(); }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    [[nodiscard]] bool ok() const { return m_ok; }
    void restore() {
        if (m_restored) {
            return;
        }
        m_restored = true;
        (void)::setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_oldHandler);
    }

private:
    rlimit m_old{};
    void (*m_oldHandler)(int) = SIG_DFL;
    bool m_ok = false;
    bool m_restored = false;
};

} // namespace

class TestLog : public QObject {
    Q_OBJECT

private slots:
    void appendAssignsOffsetsAndStoresBytes();
    void readFromMiddleOfBatchReturnsWholeBatch();
    void minOneBatchWithTinyMaxBytes();
    void maxOffsetBoundsRead();
    void offsetOutOfRange();
    void rollBySegmentBytes();
    void rollBySegmentMs();
    void indexAndTimeIndexContent();
    void offsetForTimestamp();
    void retentionByTime();
    void retentionByBytes();
    void retentionRollsAndDeletesTheActiveSegment();
    void deleteRecordsBefore();
    void truncateTo();
    void truncateFullyAndStartAt();
    void epochCache();
    void followerAppend();
    void logAppendTime();
    void forEachBatch();
    void reopenAfterCleanClose();
    void recoveryRebuildsDeletedIndexes();
    void recoveryOfLogCutInLastBatch_data();
    void recoveryOfLogCutInLastBatch();
    void recoveryTruncatesGarbageTail();
    void recoveryTruncatesAtFlippedByte_data();
    void recoveryTruncatesAtFlippedByte();
    void badLeaderAppendWritesNothing_data();
    void badLeaderAppendWritesNothing();

    // readRecords(): the same batches as read(), as a slice of the segment file.
    void readRecordsMatchesRead_data();
    void readRecordsMatchesRead();
    void readRecordsWalksTheLogLikeRead();
    void readRecordsSliceOutlivesItsSegment_data();
    void readRecordsSliceOutlivesItsSegment();
    void readRecordsSliceOfTruncatedDataReadsEmpty();

    // LogWriter: deferred follower writes.
    void deferredFollowerAppendsAreReadable();
    void readWaitsForDeferredWrites();
    void manyDeferredAppendsAcrossSegments();
    void flushAndCloseWithWritesPending();
    void failedDeferredWriteTruncatesTheLog_data();
    void failedDeferredWriteTruncatesTheLog();
    void writerBackPressureKeepsEverything();
    void writerDestructorFinishesQueuedWrites();
    // File descriptors: the active segment's .log only; older segments through the FilePool.
    void descriptorsPerLogWithPool();
    void sliceOutlivesPoolEviction();
    void truncationReopensSealedSegmentForWriting();
    // Index files written without a held descriptor: complete after a clean close, rebuilt after
    // a crash (files as they were on disk while the log was open).
    void crashWithoutIndexFilesRecovers();
    // Clean-shutdown marker: a clean log is not rescanned, an unclean one is CRC-checked.
    void cleanShutdownSkipsRecoveryScan();
    void reopenKeepsAnEpochStartingAtTheEnd();
    void spaceReservedAheadIsGivenBack();
};

void TestLog::appendAssignsOffsetsAndStoresBytes() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString() + "/orders-0";
    OPEN_LOG(log, dir, LogConfig{});
    QCOMPARE(log->logEndOffset(), 0);
    QCOMPARE(log->logStartOffset(), 0);
    QCOMPARE(log->latestEpoch(), -1);

    const Bytes a = batchOf(2), b = batchOf(3), c = batchOf(1);
    Bytes work = a;
    auto first = log->appendAsLeader(work, 5, 2000);
    QVERIFY(first.has_value());
    QCOMPARE(first->firstOffset, 0);
    QCOMPARE(first->lastOffset, 1);
    QCOMPARE(first->recordCount, 2);
    QCOMPARE(first->maxTimestamp, 1001);
    QCOMPARE(first->logAppendTime, -1);
    QCOMPARE(first->bytes, a.size());
    // Two batches in one append.
    Bytes two = test::concat({b, c});
    auto second = log->appendAsLeader(two, 5, 2000);
    QVERIFY(second.has_value());
    QCOMPARE(second->firstOffset, 2);
    QCOMPARE(second->lastOffset, 5);
    QCOMPARE(second->recordCount, 4);
    QCOMPARE(log->logEndOffset(), 6);
    QCOMPARE(log->sizeBytes(), static_cast<std::int64_t>(a.size() + b.size() + c.size()));

    const Bytes expected = test::concat({stored(a, 0, 5), stored(b, 2, 5), stored(c, 5, 5)});
    auto r = log->read(0, 1 << 20, log->logEndOffset(), false);
    QVERIFY(r.has_value());
    QCOMPARE(r->nextOffset, 6);
    QCOMPARE(*r->bytes, expected);
    QCOMPARE(fileBytes(dir / (stem(0) + ".log")), expected);
    // The caller's buffer was patched in place, as documented.
    QCOMPARE(work, stored(a, 0, 5));
    auto empty = log->read(6, 1 << 20, 6, false);
    QVERIFY(empty.has_value());
    QVERIFY(empty->bytes->empty());
    QCOMPARE(empty->nextOffset, 6);
}

void TestLog::readFromMiddleOfBatchReturnsWholeBatch() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    const Bytes a = batchOf(3), b = batchOf(4);
    Bytes wa = a, wb = b;
    APPEND(log, wa, 0, 1);
    APPEND(log, wb, 0, 1);
    for (std::int64_t offset = 3; offset <= 6; ++offset) {
        auto r = log->read(offset, 1 << 20, 7, false);
        QVERIFY(r.has_value());
        QCOMPARE(*r->bytes, stored(b, 3, 0));
        QCOMPARE(r->nextOffset, 7);
    }
    auto r = log->read(1, 1 << 20, 7, false);
    QVERIFY(r.has_value());
    QCOMPARE(*r->bytes, test::concat({stored(a, 0, 0), stored(b, 3, 0)}));
}

void TestLog::minOneBatchWithTinyMaxBytes() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    const Bytes a = batchOf(2, 1000, 300), b = batchOf(2);
    Bytes wa = a, wb = b;
    APPEND(log, wa, 0, 1);
    APPEND(log, wb, 0, 1);
    auto one = log->read(0, 10, 100, true);
    QVERIFY(one.has_value());
    QCOMPARE(*one->bytes, stored(a, 0, 0));
    QCOMPARE(one->nextOffset, 2);
    auto none = log->read(0, 10, 100, false);
    QVERIFY(none.has_value());
    QVERIFY(none->bytes->empty());
    QCOMPARE(none->nextOffset, 0);
    // Room for the first batch and part of the second: only whole batches come back.
    auto partial = log->read(0, static_cast<std::int32_t>(a.size() + b.size() - 1), 100, false);
    QVERIFY(partial.has_value());
    QCOMPARE(*partial->bytes, stored(a, 0, 0));
    auto zero = log->read(2, 0, 100, true);
    QVERIFY(zero.has_value());
    QCOMPARE(*zero->bytes, stored(b, 2, 0));
}

void TestLog::maxOffsetBoundsRead() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    const Bytes a = batchOf(2), b = batchOf(3), c = batchOf(1);
    for (Bytes w : {a, b, c}) {
        APPEND(log, w, 0, 1);
    }
    struct Case {
        std::int64_t maxOffset;
        Bytes expected;
        std::int64_t next;
    };
    const std::vector<Case> cases = {
        {0, {}, 0},
        {1, {}, 0}, // the batch 0-1 is not wholly below the bound
        {2, stored(a, 0, 0), 2},
        {4, stored(a, 0, 0), 2},
        {5, test::concat({stored(a, 0, 0), stored(b, 2, 0)}), 5},
        {6, test::concat({stored(a, 0, 0), stored(b, 2, 0), stored(c, 5, 0)}), 6},
    };
    for (const auto& c2 : cases) {
        for (bool minOne : {false, true}) {
            auto r = log->read(0, 1 << 20, c2.maxOffset, minOne);
            QVERIFY(r.has_value());
            QCOMPARE(*r->bytes, c2.expected);
            QCOMPARE(r->nextOffset, c2.next);
        }
    }
}

void TestLog::offsetOutOfRange() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    for (int i = 0; i < 3; ++i) {
        Bytes w = batchOf(2);
        APPEND(log, w, 0, 1);
    }
    for (std::int64_t bad : {std::int64_t{-1}, std::int64_t{7}, std::int64_t{1000}}) {
        auto r = log->read(bad, 1000, 100, true);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, ErrorCode::OffsetOutOfRange);
    }
    QVERIFY(log->deleteRecordsBefore(3).has_value());
    auto below = log->read(2, 1000, 100, true);
    QVERIFY(!below.has_value());
    QCOMPARE(below.error().code, ErrorCode::OffsetOutOfRange);
    QVERIFY(log->read(3, 1000, 100, true).has_value());
    QVERIFY(log->read(6, 1000, 100, true).has_value());
}

void TestLog::rollBySegmentBytes() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes batch = batchOf(3);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(batch.size() * 3 + batch.size() / 2);
    OPEN_LOG(log, dir, cfg);
    Bytes all;
    for (int i = 0; i < 10; ++i) {
        Bytes w = batch;
        APPEND(log, w, 0, 1);
        all.insert(all.end(), w.begin(), w.end());
    }
    // Three batches (nine offsets) per segment.
    const std::vector<std::string> expected = {stem(0) + ".log", stem(9) + ".log",
                                               stem(18) + ".log", stem(27) + ".log"};
    QCOMPARE(logFiles(dir), expected);
    QCOMPARE(log->segmentCount(), 4u);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{0, 9, 18, 27}));
    for (const auto& name : expected) {
        QVERIFY(fs::file_size(dir / name) <= static_cast<std::uint64_t>(cfg.segmentBytes));
        fs::path base = dir / name;
        QVERIFY(fs::exists(base.replace_extension(".index")));
        QVERIFY(fs::exists(base.replace_extension(".timeindex")));
    }
    QCOMPARE(readAll(*log), all);
    // A read never spans segments.
    auto r = log->read(7, 1 << 20, 30, false);
    QVERIFY(r.has_value());
    QCOMPARE(r->nextOffset, 9);
}

void TestLog::rollBySegmentMs() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    LogConfig cfg;
    cfg.segmentMs = 1000;
    OPEN_LOG(log, dir, cfg);
    Bytes w = batchOf(1);
    APPEND(log, w, 0, 10000);
    w = batchOf(1);
    APPEND(log, w, 0, 11000); // exactly segment.ms: no roll
    QCOMPARE(log->segmentCount(), 1u);
    w = batchOf(1);
    APPEND(log, w, 0, 11001);
    QCOMPARE(log->segmentCount(), 2u);
    QCOMPARE(logFiles(dir), (std::vector<std::string>{stem(0) + ".log", stem(2) + ".log"}));
    log->maybeRoll(11500);
    QCOMPARE(log->segmentCount(), 2u);
    log->maybeRoll(12002);
    QCOMPARE(log->segmentCount(), 3u);
    QCOMPARE(log->segmentBaseOffsets().back(), 3);
    log->maybeRoll(50000); // empty active segment: never rolled
    QCOMPARE(log->segmentCount(), 3u);
    w = batchOf(2);
    APPEND(log, w, 0, 50000);
    QCOMPARE(log->logEndOffset(), 5);
    QCOMPARE(log->segmentCount(), 3u);
}

void TestLog::indexAndTimeIndexContent() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    LogConfig cfg;
    cfg.indexIntervalBytes = 150;
    OPEN_LOG(log, dir, cfg);
    // Timestamps go up and down; the time index only records new maxima.
    const std::vector<std::int64_t> stamps = {100, 300, 200, 400, 400, 350, 900, 800, 1000, 50};
    struct Expected {
        std::int32_t rel, pos;
    };
    std::vector<Expected> index;
    std::vector<std::pair<std::int64_t, std::int32_t>> timeIndex;
    std::int64_t bytesSince = 0, pos = 0, maxTs = -1, maxOffset = -1, next = 0;
    for (std::int64_t ts : stamps) {
        Bytes w = batchOf(2, ts, 40);
        APPEND(log, w, 0, 1);
        const std::int64_t last = next + 1;
        if (ts + 1 > maxTs) {
            maxTs = ts + 1;
            maxOffset = last;
        }
        if (bytesSince > cfg.indexIntervalBytes) {
            index.push_back({static_cast<std::int32_t>(last), static_cast<std::int32_t>(pos)});
            if (timeIndex.empty() || maxTs > timeIndex.back().first) {
                timeIndex.emplace_back(maxTs, static_cast<std::int32_t>(maxOffset));
            }
            bytesSince = 0;
        }
        bytesSince += static_cast<std::int64_t>(w.size());
        pos += static_cast<std::int64_t>(w.size());
        next += 2;
    }
    QVERIFY(index.size() >= 4);
    log->flush();
    auto checkFiles = [&](std::size_t extraTimeEntries) {
        const Bytes idx = fileBytes(dir / (stem(0) + ".index"));
        QCOMPARE(idx.size(), index.size() * 8);
        for (std::size_t i = 0; i < index.size(); ++i) {
            QCOMPARE(static_cast<std::int32_t>(be32(idx, i * 8)), index[i].rel);
            QCOMPARE(static_cast<std::int32_t>(be32(idx, i * 8 + 4)), index[i].pos);
        }
        const Bytes tidx = fileBytes(dir / (stem(0) + ".timeindex"));
        QCOMPARE(tidx.size(), (timeIndex.size() + extraTimeEntries) * 12);
        for (std::size_t i = 0; i < timeIndex.size(); ++i) {
            const std::int64_t ts = (std::int64_t{be32(tidx, i * 12)} << 32) | be32(tidx, i * 12 + 4);
            QCOMPARE(ts, timeIndex[i].first);
            QCOMPARE(static_cast<std::int32_t>(be32(tidx, i * 12 + 8)), timeIndex[i].second);
        }
    };
    checkFiles(0);
    // Closing (like rolling) adds the segment's max timestamp as the last time index entry.
    log->close();
    if (timeIndex.back().first < maxTs) {
        timeIndex.emplace_back(maxTs, static_cast<std::int32_t>(maxOffset));
    }
    checkFiles(0);
    QCOMPARE(timeIndex.back().first, 1001);
}

void TestLog::offsetForTimestamp() {
    QTemporaryDir tmp;
    LogConfig cfg;
    cfg.indexIntervalBytes = 64;
    const Bytes probe = batchOf(2);
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 4);
    OPEN_LOG(log, tmp.path().toStdString(), cfg);
    // Batch i holds offsets 2i, 2i+1 and timestamps ts, ts+1.
    const std::vector<std::int64_t> stamps = {100, 200, 300, 250, 400, 400, 600, 500, 700, 800};
    for (std::int64_t ts : stamps) {
        Bytes w = batchOf(2, ts);
        APPEND(log, w, 0, 1);
    }
    QVERIFY(log->segmentCount() >= 3);
    struct Case {
        std::int64_t ts;
        std::optional<std::pair<std::int64_t, std::int64_t>> expected;
    };
    const std::vector<Case> cases = {
        {0, std::pair{0, 101}},     {101, std::pair{0, 101}},  {102, std::pair{2, 201}},
        {260, std::pair{4, 301}},   {302, std::pair{8, 401}},  {401, std::pair{8, 401}},
        {402, std::pair{12, 601}},  {550, std::pair{12, 601}}, {602, std::pair{16, 701}},
        {801, std::pair{18, 801}},  {802, std::nullopt},
    };
    for (const auto& c : cases) {
        QCOMPARE(log->offsetForTimestamp(c.ts), c.expected);
    }
    QCOMPARE(log->maxTimestampAndOffset(), (std::optional<std::pair<std::int64_t, std::int64_t>>(
                                               std::pair{801, 18})));
    // Below the log start offset nothing is answered.
    QVERIFY(log->deleteRecordsBefore(5).has_value());
    QCOMPARE(log->offsetForTimestamp(0), (std::optional<std::pair<std::int64_t, std::int64_t>>(
                                             std::pair{5, 301})));
}

void TestLog::retentionByTime() {
    QTemporaryDir tmp;
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2);
    cfg.retentionMs = 10000;
    OPEN_LOG(log, tmp.path().toStdString(), cfg);
    // Segments of two batches: [1000, 2000], [3000, 50000], [60000, 61000], [70000]
    for (std::int64_t ts : {1000, 2000, 3000, 50000, 60000, 61000, 70000}) {
        Bytes w = batchOf(2, ts);
        APPEND(log, w, 0, ts);
    }
    QCOMPARE(log->segmentCount(), 4u);
    const std::int64_t hw = log->logEndOffset();
    QCOMPARE(log->applyRetention(20000, hw), static_cast<std::int64_t>(probe.size() * 2));
    QCOMPARE(log->segmentCount(), 3u);
    QCOMPARE(log->logStartOffset(), 4);
    QCOMPARE(log->read(0, 100, 100, true).error().code, ErrorCode::OffsetOutOfRange);
    QCOMPARE(log->applyRetention(60001, hw), 0); // segment 2's max is 50001, within 10 s
    QCOMPARE(log->applyRetention(60002, hw), static_cast<std::int64_t>(probe.size() * 2));
    QCOMPARE(log->logStartOffset(), 8);
    // Everything is due, but only segments that end at or below the high watermark go: the
    // active segment [12, 14) holds uncommitted records.
    QCOMPARE(log->applyRetention(10'000'000, 13), static_cast<std::int64_t>(probe.size() * 2));
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{12}));
    QCOMPARE(log->logStartOffset(), 12);
    QCOMPARE(log->logEndOffset(), 14);
    // Once committed, the active segment goes too (after a roll: a log always has a segment).
    QCOMPARE(log->applyRetention(10'000'000, hw), static_cast<std::int64_t>(probe.size()));
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{14}));
    QCOMPARE(log->logStartOffset(), 14);
    QCOMPARE(log->logEndOffset(), 14);
    // The new active segment is empty: nothing more to delete and no further roll.
    QCOMPARE(log->applyRetention(20'000'000, hw), 0);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{14}));
    Bytes w = batchOf(2, 80000);
    APPEND(log, w, 0, 80000);
    cfg.retentionMs = -1;
    log->setConfig(cfg);
    QCOMPARE(log->applyRetention(INT64_MAX / 2, log->logEndOffset()), 0);
    QCOMPARE(log->logStartOffset(), 14);
    QCOMPARE(log->logEndOffset(), 16);
}

void TestLog::retentionByBytes() {
    QTemporaryDir tmp;
    const Bytes probe = batchOf(1);
    const auto n = static_cast<std::int64_t>(probe.size());
    LogConfig cfg;
    cfg.segmentBytes = n * 2;
    cfg.retentionMs = -1;
    cfg.retentionBytes = n * 3;
    OPEN_LOG(log, tmp.path().toStdString(), cfg);
    for (int i = 0; i < 9; ++i) {
        Bytes w = batchOf(1);
        APPEND(log, w, 0, 1);
    }
    QCOMPARE(log->segmentCount(), 5u);
    QCOMPARE(log->sizeBytes(), 9 * n);
    // Deletes whole segments while what remains is still >= retention.bytes.
    QCOMPARE(log->applyRetention(1, 9), 6 * n);
    QCOMPARE(log->sizeBytes(), 3 * n);
    QCOMPARE(log->logStartOffset(), 6);
    QCOMPARE(log->applyRetention(1, 9), 0);
    // Smaller than one segment: removing the active [8, 9) would leave less than 1 byte, so it
    // stays (Kafka's rule: the rest must still hold retention.bytes).
    cfg.retentionBytes = 1;
    log->setConfig(cfg);
    QCOMPARE(log->applyRetention(1, 9), 2 * n);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{8}));
    QCOMPARE(log->logStartOffset(), 8);
    // 0: the active segment is due too, but not above the high watermark.
    cfg.retentionBytes = 0;
    log->setConfig(cfg);
    QCOMPARE(log->applyRetention(1, 8), 0);
    QCOMPARE(log->applyRetention(1, 9), n);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{9}));
    QCOMPARE(log->sizeBytes(), 0);
    QCOMPARE(log->logStartOffset(), 9);
    QCOMPARE(log->applyRetention(1, 9), 0);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{9}));
    cfg.retentionBytes = -1;
    log->setConfig(cfg);
    Bytes w = batchOf(1);
    APPEND(log, w, 0, 1);
    QCOMPARE(log->applyRetention(1, 10), 0);
    QCOMPARE(log->logStartOffset(), 9);
}

// The operator's "purge a topic with retention.ms=1000": everything is due, the active segment
// included. The log rolls a new empty segment at the log end, deletes the rest and starts there;
// appends continue at that offset, the epoch cache keeps its latest epoch; a reopen keeps it.
void TestLog::retentionRollsAndDeletesTheActiveSegment() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(5);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 3);
    cfg.retentionMs = 1000;
    {
        OPEN_LOG(log, dir, cfg);
        for (int i = 0; i < 4; ++i) {
            Bytes w = batchOf(5, 10'000 + i);
            APPEND(log, w, i < 2 ? 1 : 2, 10'000 + i);
        }
        QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{0, 15}));
        QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{1, 0}, {2, 10}}));
        // Max timestamps (a batch's last record): 10006 in segment 0, 10007 in the active one.
        QCOMPARE(log->applyRetention(11'006, 20), 0);
        QCOMPARE(log->applyRetention(11'007, 20), static_cast<std::int64_t>(probe.size() * 3));
        QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{15}));
        QCOMPARE(log->logStartOffset(), 15);
        QCOMPARE(log->applyRetention(11'008, 20), static_cast<std::int64_t>(probe.size()));
        QCOMPARE(log->logStartOffset(), 20);
        QCOMPARE(log->logEndOffset(), 20);
        QCOMPARE(log->sizeBytes(), 0);
        QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{20}));
        QCOMPARE(logFiles(dir), (std::vector<std::string>{stem(20) + ".log"}));
        QVERIFY(fs::exists(dir / (stem(20) + ".index")));
        QVERIFY(fs::exists(dir / (stem(20) + ".timeindex")));
        QVERIFY(!fs::exists(dir / (stem(0) + ".index")));
        QVERIFY(!fs::exists(dir / (stem(15) + ".timeindex")));
        QCOMPARE(log->read(0, 1 << 20, 20, true).error().code, ErrorCode::OffsetOutOfRange);
        QCOMPARE(log->read(19, 1 << 20, 20, true).error().code, ErrorCode::OffsetOutOfRange);
        QVERIFY(log->read(20, 1 << 20, 20, true).has_value());
        QCOMPARE(log->latestEpoch(), 2);
        QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{2, 20}}));
        QCOMPARE(fileBytes(dir / "log-start-offset"), (Bytes{'0', '\n', '2', '0', '\n'}));
        Bytes w = batchOf(3, 50'000);
        auto appended = log->appendAsLeader(w, 2, 50'000);
        QVERIFY(appended.has_value());
        QCOMPARE(appended->firstOffset, 20);
        QCOMPARE(readAll(*log), stored(batchOf(3, 50'000), 20, 2));
    }
    OPEN_LOG(log, dir, cfg);
    QCOMPARE(log->logStartOffset(), 20);
    QCOMPARE(log->logEndOffset(), 23);
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{20}));
    QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{2, 20}}));
    QCOMPARE(log->read(0, 1 << 20, 23, true).error().code, ErrorCode::OffsetOutOfRange);
}

void TestLog::deleteRecordsBefore() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2);
    {
        OPEN_LOG(log, dir, cfg);
        Bytes all;
        for (int i = 0; i < 6; ++i) {
            Bytes w = batchOf(2);
            APPEND(log, w, 0, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
        QCOMPARE(log->segmentCount(), 3u);
        QVERIFY(log->deleteRecordsBefore(3).has_value());
        QCOMPARE(log->logStartOffset(), 3);
        QCOMPARE(log->segmentCount(), 3u); // segment 0 still holds offset 3
        auto r = log->read(3, 1 << 20, 100, false);
        QVERIFY(r.has_value());
        QCOMPARE(protocol::parseBatchHeader(*r->bytes)->baseOffset, 2); // the whole batch
        QVERIFY(log->deleteRecordsBefore(2).has_value()); // backwards: no-op
        QCOMPARE(log->logStartOffset(), 3);
        QVERIFY(log->deleteRecordsBefore(8).has_value());
        QCOMPARE(log->segmentCount(), 1u);
        QCOMPARE(log->logStartOffset(), 8);
        QCOMPARE(logFiles(dir), (std::vector<std::string>{stem(8) + ".log"}));
        QCOMPARE(log->read(8, 1 << 20, 100, false)->bytes->size(), 2 * probe.size());
        auto beyond = log->deleteRecordsBefore(13);
        QVERIFY(!beyond.has_value());
        QCOMPARE(beyond.error().code, ErrorCode::OffsetOutOfRange);
        QVERIFY(log->deleteRecordsBefore(12).has_value()); // up to LEO: active segment stays
        QCOMPARE(log->segmentCount(), 1u);
        QCOMPARE(log->logStartOffset(), 12);
        QCOMPARE(log->logEndOffset(), 12);
    }
    OPEN_LOG(reopened, dir, cfg);
    QCOMPARE(reopened->logStartOffset(), 12);
    QCOMPARE(reopened->logEndOffset(), 12);
    Bytes w = batchOf(1);
    APPEND(reopened, w, 0, 1);
    QCOMPARE(reopened->logEndOffset(), 13);
}

void TestLog::truncateTo() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2);
    cfg.indexIntervalBytes = 10;
    std::vector<Bytes> kept;
    {
        OPEN_LOG(log, dir, cfg);
        for (int i = 0; i < 6; ++i) {
            Bytes w = batchOf(2, 1000 + i);
            APPEND(log, w, 0, 1);
            kept.push_back(w);
        }
        log->truncateTo(20); // beyond LEO: nothing
        QCOMPARE(log->logEndOffset(), 12);
        log->truncateTo(7); // inside batch 6-7: the whole batch goes
        QCOMPARE(log->logEndOffset(), 6);
        QCOMPARE(log->segmentCount(), 2u);
        kept.resize(3);
        QCOMPARE(readAll(*log), test::concat(kept));
        QCOMPARE(log->maxTimestampAndOffset()->first, 1003);
        log->truncateTo(4); // a segment boundary: the segment starting there empties
        QCOMPARE(log->logEndOffset(), 4);
        kept.resize(2);
        QCOMPARE(readAll(*log), test::concat(kept));
        Bytes w = batchOf(3, 5000);
        auto info = log->appendAsLeader(w, 0, 1);
        QVERIFY(info.has_value());
        QCOMPARE(info->firstOffset, 4);
        kept.push_back(w);
        QCOMPARE(readAll(*log), test::concat(kept));
    }
    OPEN_LOG(reopened, dir, cfg);
    QCOMPARE(reopened->logEndOffset(), 7);
    QCOMPARE(readAll(*reopened), test::concat(kept));
}

void TestLog::truncateFullyAndStartAt() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    {
        OPEN_LOG(log, dir, LogConfig{});
        Bytes w = batchOf(5);
        APPEND(log, w, 2, 1);
        log->truncateFullyAndStartAt(100);
        QCOMPARE(log->logStartOffset(), 100);
        QCOMPARE(log->logEndOffset(), 100);
        QCOMPARE(log->latestEpoch(), -1);
        QCOMPARE(logFiles(dir), (std::vector<std::string>{stem(100) + ".log"}));
        w = batchOf(1);
        auto info = log->appendAsLeader(w, 3, 1);
        QVERIFY(info.has_value());
        QCOMPARE(info->firstOffset, 100);
    }
    OPEN_LOG(reopened, dir, LogConfig{});
    QCOMPARE(reopened->logStartOffset(), 100);
    QCOMPARE(reopened->logEndOffset(), 101);
}

void TestLog::epochCache() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    {
        OPEN_LOG(log, dir, LogConfig{});
        Bytes w = batchOf(3);
        APPEND(log, w, 1, 1);
        w = batchOf(3);
        APPEND(log, w, 3, 1);
        w = batchOf(2);
        APPEND(log, w, 3, 1);
        QCOMPARE(log->latestEpoch(), 3);
        QCOMPARE(log->epochEntries(),
                 (std::vector<storage::EpochEntry>{{1, 0}, {3, 3}}));
        using P = std::pair<std::int32_t, std::int64_t>;
        QCOMPARE(log->endOffsetForEpoch(0), (P{0, 0}));
        QCOMPARE(log->endOffsetForEpoch(1), (P{1, 3}));
        QCOMPARE(log->endOffsetForEpoch(2), (P{1, 3}));
        QCOMPARE(log->endOffsetForEpoch(3), (P{3, 8}));
        QCOMPARE(log->endOffsetForEpoch(4), (P{-1, -1}));
        QCOMPARE(log->endOffsetForEpoch(-1), (P{-1, -1}));
        QCOMPARE(fileBytes(dir / "leader-epoch-checkpoint"),
                 (Bytes{'0', '\n', '2', '\n', '1', ' ', '0', '\n', '3', ' ', '3', '\n'}));
        // Becoming leader in epoch 5 at LEO.
        log->assignEpoch(5, log->logEndOffset());
        QCOMPARE(log->endOffsetForEpoch(3), (P{3, 8}));
        QCOMPARE(log->endOffsetForEpoch(5), (P{5, 8}));
        // A stale assignment (same epoch, later offset) is ignored.
        log->assignEpoch(5, 9);
        QCOMPARE(log->epochEntries().back(), (storage::EpochEntry{5, 8}));
        log->truncateTo(4);
        QCOMPARE(log->logEndOffset(), 3);
        QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{1, 0}}));
        QCOMPARE(log->endOffsetForEpoch(1), (P{1, 3}));
    }
    OPEN_LOG(reopened, dir, LogConfig{});
    QCOMPARE(reopened->epochEntries(), (std::vector<storage::EpochEntry>{{1, 0}}));
    QVERIFY(reopened->deleteRecordsBefore(2).has_value());
    QCOMPARE(reopened->epochEntries(), (std::vector<storage::EpochEntry>{{1, 2}}));
}

void TestLog::followerAppend() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    const Bytes a = test::buildBatch(test::BatchSpec{.records = 2, .baseOffset = 0, .leaderEpoch = 4});
    const Bytes b = test::buildBatch(test::BatchSpec{.records = 3, .baseOffset = 2, .leaderEpoch = 6});
    auto info = log->appendAsFollower(test::concat({a, b}));
    QVERIFY2(info.has_value(), info ? "" : info.error().message.c_str());
    QCOMPARE(info->firstOffset, 0);
    QCOMPARE(info->lastOffset, 4);
    QCOMPARE(log->logEndOffset(), 5);
    QCOMPARE(readAll(*log), test::concat({a, b}));
    QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{4, 0}, {6, 2}}));
    const Bytes gap = test::buildBatch(test::BatchSpec{.records = 1, .baseOffset = 6});
    auto bad = log->appendAsFollower(gap);
    QVERIFY(!bad.has_value());
    QCOMPARE(bad.error().code, ErrorCode::OffsetOutOfRange);
    Bytes corrupt = test::buildBatch(test::BatchSpec{.records = 1, .baseOffset = 5});
    corrupt.back() ^= 0xFF;
    auto badCrc = log->appendAsFollower(corrupt);
    QVERIFY(!badCrc.has_value());
    QCOMPARE(badCrc.error().code, ErrorCode::CorruptMessage);
    QCOMPARE(log->logEndOffset(), 5);
}

void TestLog::logAppendTime() {
    QTemporaryDir tmp;
    LogConfig cfg;
    cfg.logAppendTime = true;
    OPEN_LOG(log, tmp.path().toStdString(), cfg);
    Bytes w = batchOf(3, 5);
    auto info = log->appendAsLeader(w, 0, 1700000000000);
    QVERIFY(info.has_value());
    QCOMPARE(info->logAppendTime, 1700000000000);
    QCOMPARE(info->maxTimestamp, 1700000000000);
    auto r = log->read(0, 1 << 20, 10, true);
    QVERIFY(r.has_value());
    auto h = protocol::validateBatch(*r->bytes);
    QVERIFY2(h.has_value(), h ? "" : h.error().message.c_str());
    QVERIFY(h->logAppendTime());
    QCOMPARE(h->maxTimestamp, 1700000000000);
    QCOMPARE(log->offsetForTimestamp(1700000000000)->first, 0);
}

void TestLog::forEachBatch() {
    QTemporaryDir tmp;
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2);
    OPEN_LOG(log, tmp.path().toStdString(), cfg);
    for (int i = 0; i < 5; ++i) {
        Bytes w = test::buildBatch(test::BatchSpec{.records = 2, .producerId = 7, .baseSequence = 2 * i});
        APPEND(log, w, 0, 1);
    }
    std::vector<std::int64_t> bases;
    log->forEachBatch(3, [&](const protocol::RecordBatchHeader& h) {
        bases.push_back(h.baseOffset);
        QCOMPARE(h.producerId, 7);
        QCOMPARE(h.baseSequence, static_cast<std::int32_t>(h.baseOffset));
    });
    QCOMPARE(bases, (std::vector<std::int64_t>{2, 4, 6, 8}));
    bases.clear();
    log->forEachBatch(0, [&](const protocol::RecordBatchHeader& h) { bases.push_back(h.baseOffset); });
    QCOMPARE(bases.size(), 5u);
}

void TestLog::reopenAfterCleanClose() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 3);
    cfg.indexIntervalBytes = 50;
    Bytes all;
    std::map<std::string, Bytes> indexFiles;
    {
        OPEN_LOG(log, dir, cfg);
        for (int i = 0; i < 10; ++i) {
            Bytes w = batchOf(2, 1000 * i);
            APPEND(log, w, 1, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
        log->close();
        for (const auto& e : fs::directory_iterator(dir)) {
            indexFiles[e.path().filename().string()] = fileBytes(e.path());
        }
    }
    OPEN_LOG(log, dir, cfg);
    QCOMPARE(log->logEndOffset(), 20);
    QCOMPARE(log->segmentCount(), 4u);
    QCOMPARE(readAll(*log), all);
    QCOMPARE(log->latestEpoch(), 1);
    QCOMPARE(log->maxTimestampAndOffset()->first, 9001);
    QCOMPARE(log->offsetForTimestamp(4500)->first, 10);
    log->close();
    for (const auto& [name, bytes] : indexFiles) {
        QCOMPARE(fileBytes(dir / name), bytes);
    }
}

void TestLog::recoveryRebuildsDeletedIndexes() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 4);
    cfg.indexIntervalBytes = 40;
    Bytes all;
    std::map<std::string, Bytes> originals;
    {
        OPEN_LOG(log, dir, cfg);
        for (int i = 0; i < 10; ++i) {
            Bytes w = batchOf(2, 100 * i);
            APPEND(log, w, 0, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto ext = e.path().extension();
        if (ext == ".index" || ext == ".timeindex") {
            originals[e.path().filename().string()] = fileBytes(e.path());
        }
    }
    QCOMPARE(originals.size(), 6u);
    for (const auto& [name, bytes] : originals) {
        QVERIFY(!bytes.empty());
        fs::remove(dir / name);
    }
    {
        OPEN_LOG(log, dir, cfg);
        QCOMPARE(log->logEndOffset(), 20);
        QCOMPARE(readAll(*log), all);
        QCOMPARE(log->offsetForTimestamp(650)->first, 14);
    }
    for (const auto& [name, bytes] : originals) {
        QCOMPARE(fileBytes(dir / name), bytes);
    }
    // An inconsistent index (garbage) is rebuilt too.
    {
        std::ofstream(dir / (stem(0) + ".index"), std::ios::binary | std::ios::trunc) << "garbage!";
    }
    {
        OPEN_LOG(log, dir, cfg);
        QCOMPARE(readAll(*log), all);
    }
    QCOMPARE(fileBytes(dir / (stem(0) + ".index")), originals[stem(0) + ".index"]);
}

void TestLog::recoveryOfLogCutInLastBatch_data() {
    QTest::addColumn<int>("cut");
    const int lastSize = static_cast<int>(batchOf(3, 5000, 20).size());
    for (int cut = 1; cut <= lastSize; ++cut) {
        QTest::addRow("cut %d of %d", cut, lastSize) << cut;
    }
}

void TestLog::recoveryOfLogCutInLastBatch() {
    QFETCH(int, cut);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes a = batchOf(2, 1000, 20), b = batchOf(4, 2000, 20), c = batchOf(3, 5000, 20);
    Bytes kept;
    {
        OPEN_LOG(log, dir, LogConfig{});
        for (Bytes w : {a, b, c}) {
            APPEND(log, w, 2, 1);
            if (kept.size() < a.size() + b.size()) {
                kept.insert(kept.end(), w.begin(), w.end());
            }
        }
    }
    const fs::path logFile = dir / (stem(0) + ".log");
    fs::resize_file(logFile, fs::file_size(logFile) - static_cast<std::uintmax_t>(cut));
    {
        OPEN_LOG(log, dir, LogConfig{});
        QCOMPARE(log->logEndOffset(), 6);
        QCOMPARE(log->sizeBytes(), static_cast<std::int64_t>(kept.size()));
        QCOMPARE(readAll(*log), kept);
        QCOMPARE(log->maxTimestampAndOffset()->first, 2003);
        Bytes w = batchOf(1, 9000);
        auto info = log->appendAsLeader(w, 2, 1);
        QVERIFY(info.has_value());
        QCOMPARE(info->firstOffset, 6);
        kept.insert(kept.end(), w.begin(), w.end());
    }
    OPEN_LOG(log, dir, LogConfig{});
    QCOMPARE(log->logEndOffset(), 7);
    QCOMPARE(readAll(*log), kept);
}

void TestLog::recoveryTruncatesGarbageTail() {
    for (const bool zeros : {false, true}) {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        Bytes kept;
        {
            OPEN_LOG(log, dir, LogConfig{});
            for (int i = 0; i < 3; ++i) {
                Bytes w = batchOf(2);
                APPEND(log, w, 0, 1);
                kept.insert(kept.end(), w.begin(), w.end());
            }
        }
        {
            std::ofstream out(dir / (stem(0) + ".log"), std::ios::binary | std::ios::app);
            for (int i = 0; i < 300; ++i) {
                out.put(zeros ? '\0' : static_cast<char>((i * 37) ^ 0x5A));
            }
        }
        OPEN_LOG(log, dir, LogConfig{});
        QCOMPARE(log->logEndOffset(), 6);
        QCOMPARE(fs::file_size(dir / (stem(0) + ".log")), kept.size());
        QCOMPARE(readAll(*log), kept);
        Bytes w = batchOf(1);
        APPEND(log, w, 0, 1);
        QCOMPARE(log->logEndOffset(), 7);
    }
}

void TestLog::recoveryTruncatesAtFlippedByte_data() {
    QTest::addColumn<int>("batch");    // which of the three batches is damaged
    QTest::addColumn<int>("position"); // byte within that batch (>= 21: CRC-covered)
    const int size = static_cast<int>(batchOf(2).size());
    for (int pos : {17, 21, 22, 30, 45, 57, 61, size / 2, size - 1}) {
        QTest::addRow("last batch byte %d", pos) << 2 << pos;
    }
    QTest::newRow("middle batch byte 40") << 1 << 40;
}

void TestLog::recoveryTruncatesAtFlippedByte() {
    QFETCH(int, batch);
    QFETCH(int, position);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    std::vector<Bytes> written;
    {
        OPEN_LOG(log, dir, LogConfig{});
        for (int i = 0; i < 3; ++i) {
            Bytes w = batchOf(2, 1000 + i);
            APPEND(log, w, 0, 1);
            written.push_back(w);
        }
    }
    const fs::path logFile = dir / (stem(0) + ".log");
    Bytes content = fileBytes(logFile);
    std::size_t at = static_cast<std::size_t>(position);
    for (int i = 0; i < batch; ++i) {
        at += written[static_cast<std::size_t>(i)].size();
    }
    content[at] ^= 0x40;
    {
        std::ofstream(logFile, std::ios::binary | std::ios::trunc)
            .write(reinterpret_cast<const char*>(content.data()),
                   static_cast<std::streamsize>(content.size()));
    }
    OPEN_LOG(log, dir, LogConfig{});
    written.resize(static_cast<std::size_t>(batch));
    QCOMPARE(log->logEndOffset(), 2 * batch);
    QCOMPARE(readAll(*log), test::concat(written));
}

void TestLog::badLeaderAppendWritesNothing_data() {
    QTest::addColumn<std::vector<Bytes>>("batches");
    QTest::addColumn<ErrorCode>("code");
    const Bytes good = batchOf(2);
    Bytes badCrc = good;
    badCrc[50] ^= 1;
    Bytes badMagic = good;
    badMagic[16] = 1;
    Bytes zeroRecords = test::buildBatch(test::BatchSpec{.records = 0});
    zeroRecords.resize(61);
    test::patchBe<std::int32_t>(zeroRecords, 8, 49);
    test::patchBe<std::int32_t>(zeroRecords, 23, 0);
    test::recomputeCrc(zeroRecords);
    QTest::newRow("bad crc") << std::vector<Bytes>{badCrc} << ErrorCode::CorruptMessage;
    QTest::newRow("bad magic") << std::vector<Bytes>{badMagic} << ErrorCode::CorruptMessage;
    QTest::newRow("too large") << std::vector<Bytes>{batchOf(2, 1000, 600)}
                               << ErrorCode::MessageTooLarge;
    QTest::newRow("truncated") << std::vector<Bytes>{Bytes(good.begin(), good.end() - 5)}
                               << ErrorCode::CorruptMessage;
    QTest::newRow("good then bad crc") << std::vector<Bytes>{good, badCrc}
                                       << ErrorCode::CorruptMessage;
    QTest::newRow("good then too large") << std::vector<Bytes>{good, batchOf(1, 1000, 900)}
                                         << ErrorCode::MessageTooLarge;
    QTest::newRow("no records") << std::vector<Bytes>{zeroRecords} << ErrorCode::InvalidRecord;
    QTest::newRow("empty") << std::vector<Bytes>{} << ErrorCode::InvalidRecord;
}

void TestLog::badLeaderAppendWritesNothing() {
    QFETCH(std::vector<Bytes>, batches);
    QFETCH(ErrorCode, code);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    LogConfig cfg;
    cfg.maxMessageBytes = 500;
    OPEN_LOG(log, dir, cfg);
    Bytes first = batchOf(1);
    APPEND(log, first, 0, 1);
    const auto sizeBefore = log->sizeBytes();
    Bytes input = test::concat(batches);
    auto result = log->appendAsLeader(input, 0, 1);
    QVERIFY(!result.has_value());
    QCOMPARE(result.error().code, code);
    QCOMPARE(log->logEndOffset(), 1);
    QCOMPARE(log->sizeBytes(), sizeBefore);
    QCOMPARE(fs::file_size(dir / (stem(0) + ".log")), static_cast<std::uintmax_t>(sizeBefore));
    Bytes next = batchOf(1);
    auto ok = log->appendAsLeader(next, 0, 1);
    QVERIFY(ok.has_value());
    QCOMPARE(ok->firstOffset, 1);
}

// ---- readRecords ------------------------------------------------------------------------------

namespace {
// Two segments: batches 0-2 (offsets 0-7) in the first, 3-5 (offsets 8-15) in the second.
struct SliceLayout {
    std::vector<Bytes> batches;
    std::vector<std::int64_t> bases;
    LogConfig config;
};

SliceLayout sliceLayout() {
    SliceLayout l;
    const std::vector<std::pair<int, std::size_t>> shapes = {{3, 300}, {4, 10}, {1, 1000},
                                                             {2, 50},  {5, 20}, {1, 400}};
    std::int64_t base = 0;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        l.batches.push_back(batchOf(shapes[i].first, 1000 + static_cast<std::int64_t>(i),
                                    shapes[i].second, static_cast<char>('a' + i)));
        l.bases.push_back(base);
        base += shapes[i].first;
    }
    l.config.segmentBytes =
        static_cast<std::int64_t>(l.batches[0].size() + l.batches[1].size() + l.batches[2].size());
    l.config.indexIntervalBytes = 100;
    return l;
}
} // namespace

void TestLog::readRecordsMatchesRead_data() {
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<int>("maxBytes");
    QTest::addColumn<qint64>("maxOffset");
    QTest::addColumn<bool>("minOneBatch");
    const SliceLayout l = sliceLayout();
    auto size = [&](std::size_t i) { return static_cast<int>(l.batches[i].size()); };
    const int big = 1 << 20;
    QTest::newRow("from the start: stops at the segment end")
        << qint64{0} << big << qint64{16} << false;
    QTest::newRow("middle of a batch") << qint64{5} << big << qint64{16} << false;
    QTest::newRow("last batch of the first segment") << qint64{7} << big << qint64{16} << false;
    QTest::newRow("second segment") << qint64{8} << big << qint64{16} << false;
    QTest::newRow("middle of a batch, second segment") << qint64{12} << big << qint64{16} << true;
    QTest::newRow("last offset") << qint64{15} << big << qint64{16} << false;
    QTest::newRow("minOneBatch, tiny maxBytes") << qint64{0} << 10 << qint64{16} << true;
    QTest::newRow("tiny maxBytes without minOneBatch") << qint64{0} << 10 << qint64{16} << false;
    QTest::newRow("minOneBatch, maxBytes 0") << qint64{3} << 0 << qint64{16} << true;
    QTest::newRow("minOneBatch, maxBytes negative") << qint64{3} << -1 << qint64{16} << true;
    QTest::newRow("minOneBatch, tiny maxBytes, mid batch") << qint64{4} << 1 << qint64{16} << true;
    QTest::newRow("maxBytes = two batches")
        << qint64{0} << size(0) + size(1) << qint64{16} << false;
    QTest::newRow("maxBytes = two batches - 1")
        << qint64{0} << size(0) + size(1) - 1 << qint64{16} << false;
    QTest::newRow("maxBytes = two batches + 1")
        << qint64{0} << size(0) + size(1) + 1 << qint64{16} << true;
    QTest::newRow("maxBytes = one batch, second segment")
        << qint64{8} << size(3) << qint64{16} << false;
    QTest::newRow("maxOffset inside the first batch") << qint64{0} << big << qint64{2} << false;
    QTest::newRow("maxOffset inside the first batch, minOne")
        << qint64{0} << big << qint64{2} << true;
    QTest::newRow("maxOffset at a batch end") << qint64{0} << big << qint64{3} << false;
    QTest::newRow("maxOffset inside the second batch") << qint64{0} << big << qint64{5} << true;
    QTest::newRow("maxOffset = offset") << qint64{3} << big << qint64{3} << true;
    QTest::newRow("maxOffset below offset") << qint64{9} << big << qint64{4} << true;
    QTest::newRow("maxOffset and maxBytes, second segment")
        << qint64{9} << size(3) + size(4) << qint64{15} << false;
    QTest::newRow("at LEO") << qint64{16} << big << qint64{16} << true;
    QTest::newRow("at LEO, maxOffset beyond") << qint64{16} << big << qint64{100} << true;
    QTest::newRow("above LEO") << qint64{17} << big << qint64{100} << true;
    QTest::newRow("far above LEO") << qint64{1000} << big << qint64{2000} << false;
    QTest::newRow("negative") << qint64{-1} << big << qint64{16} << true;
}

void TestLog::readRecordsMatchesRead() {
    QFETCH(qint64, offset);
    QFETCH(int, maxBytes);
    QFETCH(qint64, maxOffset);
    QFETCH(bool, minOneBatch);
    QTemporaryDir tmp;
    const SliceLayout l = sliceLayout();
    OPEN_LOG(log, tmp.path().toStdString(), l.config);
    for (Bytes w : l.batches) {
        APPEND(log, w, 3, 1);
    }
    QCOMPARE(log->segmentBaseOffsets(), (std::vector<std::int64_t>{0, 8}));
    QCOMPARE(log->logEndOffset(), 16);
    // Twice: the second pass goes through the read hints the first one left.
    for (int pass = 0; pass < 2; ++pass) {
        auto expected = log->read(offset, maxBytes, maxOffset, minOneBatch);
        auto slice = log->readRecords(offset, maxBytes, maxOffset, minOneBatch);
        QCOMPARE(slice.has_value(), expected.has_value());
        if (!expected) {
            QCOMPARE(slice.error().code, expected.error().code);
            QCOMPARE(slice.error().code, ErrorCode::OffsetOutOfRange);
            return;
        }
        QCOMPARE(slice->nextOffset, expected->nextOffset);
        QVERIFY(!slice->records.isNull);
        QCOMPARE(slice->records.size(), expected->bytes->size());
        QCOMPARE(materialize(slice->records), *expected->bytes);
        if (!expected->bytes->empty()) {
            // Zero copy: a slice of the segment file, not bytes in memory.
            const auto* file =
                dynamic_cast<const storage::FileSlice*>(slice->records.external.get());
            QVERIFY(file != nullptr);
            QVERIFY(file->fd() >= 0);
            QCOMPARE(file->size(), expected->bytes->size());
            const std::int64_t segBase = offset >= 8 ? 8 : 0;
            QCOMPARE(file->path().filename().string(), stem(segBase) + ".log");
            const auto& bytes = *expected->bytes;
            for (const auto& b : protocol::splitBatches(bytes)) {
                QVERIFY(protocol::validateBatch(std::span(bytes).subspan(b.position, b.size)));
            }
        }
    }
}

void TestLog::readRecordsWalksTheLogLikeRead() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const Bytes probe = batchOf(3, 1000, 40);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 5);
    cfg.indexIntervalBytes = 64;
    OPEN_LOG(log, dir, cfg);
    Bytes all;
    for (int i = 0; i < 23; ++i) {
        Bytes w = batchOf(1 + i % 4, 1000 + i, 10 + 7 * static_cast<std::size_t>(i),
                          static_cast<char>('A' + i));
        APPEND(log, w, 1, 1);
        all.insert(all.end(), w.begin(), w.end());
    }
    QVERIFY(log->segmentCount() >= 3);
    QCOMPARE(readAll(*log), all);
    QCOMPARE(readAllRecords(*log), all);
    QCOMPARE(readAllRecords(*log, 1), all); // one batch at a time (minOneBatch)
    QCOMPARE(readAllRecords(*log, 150), all);
    // Alternating the two readers from every offset gives the same batches.
    for (std::int64_t from = 0; from < log->logEndOffset(); ++from) {
        auto a = log->read(from, 300, log->logEndOffset(), true);
        auto b = log->readRecords(from, 300, log->logEndOffset(), true);
        QVERIFY(a && b);
        QCOMPARE(b->nextOffset, a->nextOffset);
        QCOMPARE(materialize(b->records), *a->bytes);
    }
}

void TestLog::readRecordsSliceOutlivesItsSegment_data() {
    QTest::addColumn<int>("how");
    QTest::newRow("deleteRecordsBefore") << 0;
    QTest::newRow("retention.ms") << 1;
    QTest::newRow("retention.bytes") << 2;
    QTest::newRow("log closed and destroyed") << 3;
    QTest::newRow("truncateFullyAndStartAt") << 4;
}

void TestLog::readRecordsSliceOutlivesItsSegment() {
    QFETCH(int, how);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const SliceLayout l = sliceLayout();
    LogConfig cfg = l.config;
    OPEN_LOG(log, dir, cfg);
    for (std::size_t i = 0; i < l.batches.size(); ++i) {
        Bytes w = l.batches[i];
        APPEND(log, w, 0, 1000 + static_cast<std::int64_t>(i));
    }
    auto first = log->readRecords(3, 1 << 20, 16, true); // batches 1 and 2 of segment 0
    auto second = log->readRecords(8, 1 << 20, 16, true);
    QVERIFY(first && second);
    const Bytes expectedFirst =
        test::concat({stored(l.batches[1], 3, 0), stored(l.batches[2], 7, 0)});
    QCOMPARE(materialize(first->records), expectedFirst);
    const fs::path firstFile = dir / (stem(0) + ".log");
    QVERIFY(fs::exists(firstFile));
    switch (how) {
    case 0:
        QVERIFY(log->deleteRecordsBefore(9).has_value());
        break;
    case 1:
        cfg.retentionMs = 1;
        log->setConfig(cfg);
        // Bounded by a high watermark at segment 1's base: only segment 0 goes.
        QCOMPARE(log->applyRetention(1'000'000, log->segmentBaseOffsets().at(1)),
                 static_cast<std::int64_t>(expectedFirst.size() + l.batches[0].size()));
        break;
    case 2:
        cfg.retentionBytes = 1;
        log->setConfig(cfg);
        QVERIFY(log->applyRetention(1, log->segmentBaseOffsets().at(1)) > 0);
        break;
    case 3:
        log->close();
        log.reset();
        break;
    default:
        log->truncateFullyAndStartAt(100);
        break;
    }
    if (how != 3) {
        QVERIFY(!fs::exists(firstFile)); // unlinked, but still open for the slice
        QCOMPARE(log->read(3, 1 << 20, 16, true).error().code, ErrorCode::OffsetOutOfRange);
    }
    QCOMPARE(materialize(first->records), expectedFirst);
    const Bytes expectedSecond = test::concat(
        {stored(l.batches[3], 8, 0), stored(l.batches[4], 10, 0), stored(l.batches[5], 15, 0)});
    QCOMPARE(materialize(second->records), expectedSecond);
}

void TestLog::readRecordsSliceOfTruncatedDataReadsEmpty() {
    QTemporaryDir tmp;
    OPEN_LOG(log, tmp.path().toStdString(), LogConfig{});
    for (int i = 0; i < 4; ++i) {
        Bytes w = batchOf(2, 1000, 100);
        APPEND(log, w, 0, 1);
    }
    auto tail = log->readRecords(4, 1 << 20, 8, true);
    QVERIFY(tail.has_value());
    QCOMPARE(tail->records.size(), 2 * batchOf(2, 1000, 100).size());
    log->truncateTo(4);
    // The file is shorter than the slice now: it reads as nothing rather than as garbage.
    QVERIFY(
        !tail->records.external->copyTo(std::vector<std::uint8_t>(tail->records.size()).data()));
    const protocol::Records m = tail->records.materialized();
    QVERIFY(!m.isNull);
    QVERIFY(m.bytes.empty());
}

// ---- LogWriter --------------------------------------------------------------------------------

void TestLog::deferredFollowerAppendsAreReadable() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::LogWriter writer("test-writer");
    OPEN_LOG(log, dir, LogConfig{});
    log->setWriter(&writer);
    const auto batches = test::buildBatchRun(
        0, 20, test::BatchSpec{.records = 3, .valueSize = 200, .leaderEpoch = 2});
    std::vector<std::weak_ptr<const Bytes>> owners;
    for (const auto& b : batches) {
        auto owner = shared(b);
        owners.push_back(owner);
        auto info = log->appendAsFollower(*owner, protocol::BatchTrust::Untrusted, owner);
        QVERIFY2(info.has_value(), info ? "" : info.error().message.c_str());
        // Offsets and LEO move at once.
        QCOMPARE(info->firstOffset, protocol::parseBatchHeader(b)->baseOffset);
        QCOMPARE(log->logEndOffset(), info->lastOffset + 1);
    }
    QCOMPARE(log->logEndOffset(), 60);
    log->waitForWrites();
    // Written, and the request buffers they came from are released.
    for (const auto& o : owners) {
        QVERIFY(o.expired());
    }
    const Bytes all = test::concat(batches);
    QCOMPARE(fileBytes(dir / (stem(0) + ".log")), all);
    QCOMPARE(readAll(*log), all);
    QCOMPARE(readAllRecords(*log), all);
    QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{2, 0}}));
    // The deferred path keeps the follower's checks.
    auto gap = appendDeferred(*log, test::buildBatch(test::BatchSpec{.baseOffset = 61}));
    QVERIFY(!gap.has_value());
    QCOMPARE(gap.error().code, ErrorCode::OffsetOutOfRange);
    Bytes corrupt = test::buildBatch(test::BatchSpec{.baseOffset = 60});
    corrupt.back() ^= 0xFF;
    auto badCrc = appendDeferred(*log, corrupt);
    QVERIFY(!badCrc.has_value());
    QCOMPARE(badCrc.error().code, ErrorCode::CorruptMessage);
    QCOMPARE(log->logEndOffset(), 60);
    // Without an owner the append is synchronous even with a writer.
    const Bytes sync = test::buildBatch(test::BatchSpec{.records = 2, .baseOffset = 60});
    QVERIFY(log->appendAsFollower(sync).has_value());
    QCOMPARE(fileBytes(dir / (stem(0) + ".log")), test::concat({all, sync}));
    log->close();
}

void TestLog::readWaitsForDeferredWrites() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::LogWriter writer("test-writer");
    LogConfig cfg;
    cfg.maxMessageBytes = 8 << 20;
    OPEN_LOG(log, dir, cfg);
    log->setWriter(&writer);
    // 24 MiB queued as fast as the log takes them, then read back at once: every read must wait
    // for the writes it covers instead of finding a short (or sparse) file.
    const auto batches =
        test::buildBatchRun(0, 24, test::BatchSpec{.records = 4, .valueSize = 256 * 1024});
    for (const auto& b : batches) {
        auto info = appendDeferred(*log, b, protocol::BatchTrust::Validated);
        QVERIFY(info.has_value());
    }
    const std::int64_t lastBase = protocol::parseBatchHeader(batches.back())->baseOffset;
    auto last = log->read(lastBase, 8 << 20, log->logEndOffset(), true);
    QVERIFY2(last.has_value(), last ? "" : last.error().message.c_str());
    QCOMPARE(*last->bytes, batches.back());
    QCOMPARE(readAll(*log), test::concat(batches));
    // readRecords, offsetForTimestamp and forEachBatch wait as well.
    for (int i = 0; i < 24; ++i) {
        (void)appendDeferred(*log,
                             test::buildBatch(test::BatchSpec{.records = 4,
                                                              .baseTimestamp = 5000,
                                                              .valueSize = 256 * 1024,
                                                              .baseOffset = log->logEndOffset()}),
                             protocol::BatchTrust::Validated);
    }
    auto slice = log->readRecords(96, 1, log->logEndOffset(), true);
    QVERIFY(slice.has_value());
    QCOMPARE(slice->nextOffset, 100);
    QVERIFY(protocol::validateBatch(materialize(slice->records)).has_value());
    for (int i = 0; i < 4; ++i) {
        (void)appendDeferred(*log,
                             test::buildBatch(test::BatchSpec{.records = 4,
                                                              .baseTimestamp = 9000,
                                                              .valueSize = 256 * 1024,
                                                              .baseOffset = log->logEndOffset()}),
                             protocol::BatchTrust::Validated);
    }
    QCOMPARE(log->offsetForTimestamp(9000),
             (std::optional<std::pair<std::int64_t, std::int64_t>>(std::pair{192, 9003})));
    for (int i = 0; i < 4; ++i) {
        (void)appendDeferred(*log,
                             test::buildBatch(test::BatchSpec{.records = 4,
                                                              .baseTimestamp = 9500,
                                                              .valueSize = 256 * 1024,
                                                              .baseOffset = log->logEndOffset()}),
                             protocol::BatchTrust::Validated);
    }
    int visited = 0;
    log->forEachBatch(0, [&](const protocol::RecordBatchHeader&) { ++visited; });
    QCOMPARE(visited, 56);
}

void TestLog::manyDeferredAppendsAcrossSegments() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::LogWriter writer("test-writer");
    LogConfig cfg;
    cfg.segmentBytes = 64 * 1024;
    cfg.indexIntervalBytes = 512;
    OPEN_LOG(log, dir, cfg);
    log->setWriter(&writer);
    Bytes all;
    std::int64_t next = 0;
    for (int i = 0; i < 2000; ++i) {
        const int records = 1 + i % 5;
        Bytes b = test::buildBatch(test::BatchSpec{.records = records,
                                                   .baseTimestamp = 1000 + i,
                                                   .valueSize = static_cast<std::size_t>(i % 97),
                                                   .baseOffset = next,
                                                   .leaderEpoch = 1 + i / 500,
                                                   .fill = static_cast<char>('a' + i % 26)});
        all.insert(all.end(), b.begin(), b.end());
        APPEND_DEFERRED(log, b);
        next += records;
        if (i % 250 == 249) {
            // A read in between sees everything appended so far.
            auto r = log->read(next - records, 1 << 20, next, true);
            QVERIFY(r.has_value());
            QCOMPARE(*r->bytes, b);
        }
    }
    QCOMPARE(log->logEndOffset(), next);
    QVERIFY(log->segmentCount() > 5);
    QCOMPARE(readAll(*log), all);
    QCOMPARE(readAllRecords(*log), all);
    Bytes files;
    for (const auto& name : logFiles(dir)) {
        const Bytes f = fileBytes(dir / name);
        files.insert(files.end(), f.begin(), f.end());
    }
    QCOMPARE(files, all);
    QCOMPARE(log->epochEntries().size(), 4u);
    QCOMPARE(log->offsetForTimestamp(3003), (std::optional<std::pair<std::int64_t, std::int64_t>>(
                                                std::pair{next - 5, std::int64_t{3003}})));
}

void TestLog::flushAndCloseWithWritesPending() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::LogWriter writer("test-writer");
    LogConfig cfg;
    cfg.segmentBytes = 256 * 1024;
    const auto batches = test::buildBatchRun(
        0, 60, test::BatchSpec{.records = 5, .valueSize = 10 * 1024, .leaderEpoch = 7});
    const std::size_t half = batches.size() / 2;
    {
        OPEN_LOG(log, dir, cfg);
        log->setWriter(&writer);
        for (std::size_t i = 0; i < half; ++i) {
            APPEND_DEFERRED(log, batches[i]);
        }
        log->flush(); // must not return before the writes it should sync are done
        Bytes files;
        for (const auto& name : logFiles(dir)) {
            const Bytes f = fileBytes(dir / name);
            files.insert(files.end(), f.begin(), f.end());
        }
        QCOMPARE(files, test::concat(std::vector<Bytes>(
                            batches.begin(), batches.begin() + static_cast<std::ptrdiff_t>(half))));
        for (std::size_t i = half; i < batches.size(); ++i) {
            APPEND_DEFERRED(log, batches[i]);
        }
        log->close(); // with writes pending
        Bytes closed;
        for (const auto& name : logFiles(dir)) {
            const Bytes f = fileBytes(dir / name);
            closed.insert(closed.end(), f.begin(), f.end());
        }
        QCOMPARE(closed, test::concat(batches));
    }
    {
        // And the destructor alone (no close()) with writes pending.
        OPEN_LOG(log, dir, cfg);
        QCOMPARE(log->logEndOffset(), 300);
        log->setWriter(&writer);
        for (const auto& b : test::buildBatchRun(
                 300, 10,
                 test::BatchSpec{.records = 5, .valueSize = 10 * 1024, .leaderEpoch = 8})) {
            APPEND_DEFERRED(log, b);
        }
    }
    OPEN_LOG(log, dir, cfg);
    QCOMPARE(log->logStartOffset(), 0);
    QCOMPARE(log->logEndOffset(), 350);
    const Bytes all = test::concat(
        {test::concat(batches),
         test::concat(test::buildBatchRun(
             300, 10, test::BatchSpec{.records = 5, .valueSize = 10 * 1024, .leaderEpoch = 8}))});
    QCOMPARE(readAll(*log), all);
    QCOMPARE(log->epochEntries(), (std::vector<storage::EpochEntry>{{7, 0}, {8, 300}}));
    QVERIFY(log->segmentCount() > 1);
}

void TestLog::failedDeferredWriteTruncatesTheLog_data() {
    QTest::addColumn<int>("detector"); // what finds the failure
    QTest::addColumn<int>("room");     // bytes of the failed write that reach the file
    for (int room : {100, 0}) {
        QTest::addRow("next appendAsFollower, %d bytes landed", room) << 0 << room;
        QTest::addRow("next appendAsLeader, %d bytes landed", room) << 1 << room;
        QTest::addRow("maybeFlush, %d bytes landed", room) << 2 << room;
    }
}

void TestLog::failedDeferredWriteTruncatesTheLog() {
    QFETCH(int, detector);
    QFETCH(int, room);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::LogWriter writer("test-writer");
    LogConfig cfg;
    cfg.indexIntervalBytes = 1 << 20; // no index entries: nothing but the data write can fail
    OPEN_LOG(log, dir, cfg);
    log->setWriter(&writer);
    const test::BatchSpec spec{.records = 4, .valueSize = 500, .leaderEpoch = 3};
    const auto good = test::buildBatchRun(0, 5, spec);  // offsets 0-19
    const auto lost = test::buildBatchRun(20, 3, spec); // offsets 20-31: their write fails
    for (const auto& b : good) {
        APPEND_DEFERRED(log, b);
    }
    log->waitForWrites();
    const fs::path file = dir / (stem(0) + ".log");
    const std::uintmax_t goodSize = fs::file_size(file);
    QCOMPARE(goodSize, test::concat(good).size());
    {
        // The lost write (one append of three batches) lands `room` bytes, then fails (EFBIG).
        FileSizeLimit limit(goodSize + static_cast<std::uintmax_t>(room));
        QVERIFY(limit.ok());
        auto accepted = appendDeferred(*log, test::concat(lost));
        log->waitForWrites();
        limit.restore();
        QVERIFY(accepted.has_value()); // accepted at once: the failure is only known later
    }
    QVERIFY(fs::file_size(file) < goodSize + test::concat(lost).size());
    switch (detector) {
    case 0: {
        // The follower goes on at the LEO it knew; the failure is found, the log is truncated at
        // the first failed write, and this append no longer fits.
        const auto next = test::buildBatchRun(32, 1, spec);
        auto r = appendDeferred(*log, next.front());
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, ErrorCode::OffsetOutOfRange);
        break;
    }
    case 1: {
        Bytes w = batchOf(2);
        auto info = log->appendAsLeader(w, 3, 1);
        QVERIFY2(info.has_value(), info ? "" : info.error().message.c_str());
        QCOMPARE(info->firstOffset, 20);
        log->truncateTo(20); // back to the follower's view, to copy the lost batches again
        break;
    }
    default:
        log->maybeFlush(1);
        break;
    }
    QCOMPARE(log->logEndOffset(), 20);
    QCOMPARE(fs::file_size(file), goodSize);
    QCOMPARE(readAll(*log), test::concat(good));
    // Still usable: the leader's batches are copied again from offset 20.
    for (const auto& b : lost) {
        APPEND_DEFERRED(log, b);
    }
    log->waitForWrites();
    const Bytes all = test::concat({test::concat(good), test::concat(lost)});
    QCOMPARE(log->logEndOffset(), 32);
    QCOMPARE(readAll(*log), all);
    QCOMPARE(fileBytes(file), all);
    log->close();
    OPEN_LOG(reopened, dir, cfg);
    QCOMPARE(reopened->logEndOffset(), 32);
    QCOMPARE(readAll(*reopened), all);
}

void TestLog::writerBackPressureKeepsEverything() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    // A queue of 1 KiB: almost every submit waits for the writer; writes above the limit go
    // through one at a time.
    storage::LogWriter writer("test-tiny-queue", 1024);
    LogConfig cfg;
    cfg.segmentBytes = 100 * 1024;
    OPEN_LOG(a, root / "a-0", cfg);
    OPEN_LOG(b, root / "b-0", cfg);
    a->setWriter(&writer);
    b->setWriter(&writer);
    Bytes allA, allB;
    std::int64_t nextA = 0, nextB = 0;
    for (int i = 0; i < 400; ++i) {
        const std::size_t valueSize = (i % 3 == 0) ? 3000 : static_cast<std::size_t>(i % 50);
        Bytes ba = test::buildBatch(test::BatchSpec{
            .records = 2, .valueSize = valueSize, .baseOffset = nextA, .fill = 'a'});
        Bytes bb = test::buildBatch(test::BatchSpec{
            .records = 1, .valueSize = 400 - valueSize % 400, .baseOffset = nextB, .fill = 'b'});
        allA.insert(allA.end(), ba.begin(), ba.end());
        allB.insert(allB.end(), bb.begin(), bb.end());
        APPEND_DEFERRED(a, ba);
        APPEND_DEFERRED(b, bb);
        nextA += 2;
        nextB += 1;
    }
    QCOMPARE(a->logEndOffset(), 800);
    QCOMPARE(b->logEndOffset(), 400);
    QCOMPARE(readAll(*a), allA);
    QCOMPARE(readAll(*b), allB);
    for (auto* log : {a.get(), b.get()}) {
        Bytes files;
        for (const auto& name : logFiles(log->dir())) {
            const Bytes f = fileBytes(log->dir() / name);
            files.insert(files.end(), f.begin(), f.end());
        }
        QCOMPARE(files, log == a.get() ? allA : allB);
    }
}

void TestLog::writerDestructorFinishesQueuedWrites() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    OPEN_LOG(log, dir, LogConfig{});
    const auto batches =
        test::buildBatchRun(0, 200, test::BatchSpec{.records = 2, .valueSize = 4000});
    {
        storage::LogWriter writer("test-writer");
        log->setWriter(&writer);
        for (const auto& b : batches) {
            APPEND_DEFERRED(log, b);
        }
        // The writer goes away with writes queued: it writes them all before it stops.
    }
    QCOMPARE(fileBytes(dir / (stem(0) + ".log")), test::concat(batches));
    log->setWriter(nullptr);
    QCOMPARE(readAll(*log), test::concat(batches));
    const Bytes more = test::buildBatch(test::BatchSpec{.records = 1, .baseOffset = 400});
    auto owner = shared(more);
    QVERIFY(log->appendAsFollower(*owner, protocol::BatchTrust::Untrusted, owner).has_value());
    QCOMPARE(fileBytes(dir / (stem(0) + ".log")), test::concat({test::concat(batches), more}));
}

namespace {
int openDescriptors() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}
} // namespace

void TestLog::descriptorsPerLogWithPool() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    constexpr int kLogs = 20;
    constexpr std::size_t kPool = 6;
    storage::FilePool pool(kPool);
    const Bytes probe = batchOf(3, 1000, 40);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2); // two batches per segment
    cfg.indexIntervalBytes = 64;
    const int before = openDescriptors();
    std::vector<std::unique_ptr<Log>> logs;
    std::vector<Bytes> written(kLogs);
    for (int i = 0; i < kLogs; ++i) {
        auto opened = Log::open(root / ("p-" + std::to_string(i)), cfg, {.pool = &pool});
        QVERIFY(opened.has_value());
        logs.push_back(std::move(*opened));
        for (int b = 0; b < 9; ++b) {
            Bytes w = batchOf(3, 1000 + b, 40, static_cast<char>('a' + (i + b) % 26));
            APPEND(logs.back(), w, 0, 1);
            written[static_cast<std::size_t>(i)].insert(written[static_cast<std::size_t>(i)].end(),
                                                        w.begin(), w.end());
        }
        QCOMPARE(logs.back()->segmentCount(), 5u);
    }
    // 100 segments with 300 files: one descriptor per log (its active .log) and the pool's.
    QVERIFY2(openDescriptors() - before <= kLogs + static_cast<int>(kPool),
             std::to_string(openDescriptors() - before).c_str());
    // Reading every old segment of every log goes through the pool, which evicts as it goes.
    const std::uint64_t opensBefore = pool.opens();
    for (int i = 0; i < kLogs; ++i) {
        QCOMPARE(readAll(*logs[static_cast<std::size_t>(i)]), written[static_cast<std::size_t>(i)]);
        QCOMPARE(readAllRecords(*logs[static_cast<std::size_t>(i)]),
                 written[static_cast<std::size_t>(i)]);
        QVERIFY(pool.size() <= kPool);
        QVERIFY(openDescriptors() - before <= kLogs + static_cast<int>(kPool));
    }
    QVERIFY(pool.opens() - opensBefore >= static_cast<std::uint64_t>(kLogs) * 4);
    // Timestamp lookups and a second pass read old segments again (reopened after eviction).
    for (int i = 0; i < kLogs; ++i) {
        auto found = logs[static_cast<std::size_t>(i)]->offsetForTimestamp(1006);
        QVERIFY(found.has_value());
        QCOMPARE(found->first, 12); // batch 4 (max timestamp 1006), a sealed segment
        QCOMPARE(readAll(*logs[static_cast<std::size_t>(i)]), written[static_cast<std::size_t>(i)]);
    }
    logs.clear();
    QCOMPARE(pool.size(), 0u);
    QCOMPARE(openDescriptors(), before);
}

void TestLog::sliceOutlivesPoolEviction() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::FilePool pool(1);
    const Bytes first = batchOf(2, 1000, 30, 'x');
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(first.size());
    auto opened = Log::open(dir, cfg, {.pool = &pool});
    QVERIFY(opened.has_value());
    auto log = std::move(*opened);
    std::vector<Bytes> batches;
    for (int i = 0; i < 4; ++i) {
        Bytes w = batchOf(2, 1000 + i, 30, static_cast<char>('k' + i));
        APPEND(log, w, 0, 1);
        batches.push_back(w);
    }
    QCOMPARE(log->segmentCount(), 4u);
    auto slice = log->readRecords(0, 1 << 20, log->logEndOffset(), true);
    QVERIFY(slice.has_value());
    const int withSlice = openDescriptors();
    // Reading the next sealed segment evicts the first one's file from the pool (capacity 1);
    // the slice still holds it open, so a send in progress is unaffected.
    auto other = log->readRecords(2, 1 << 20, log->logEndOffset(), true);
    QVERIFY(other.has_value());
    QCOMPARE(pool.size(), 1u);
    QCOMPARE(openDescriptors(), withSlice + 1);
    QCOMPARE(materialize(slice->records), batches[0]);
    QCOMPARE(materialize(other->records), batches[1]);
    slice->records = protocol::Records::share(std::shared_ptr<const void>(), {});
    QCOMPARE(openDescriptors(), withSlice); // the evicted file closed with its last reader
    // Eviction while deleted: retention removes the segment under a live slice.
    auto old = log->readRecords(2, 1 << 20, log->logEndOffset(), true);
    QVERIFY(old.has_value());
    QVERIFY(log->deleteRecordsBefore(6).has_value());
    QCOMPARE(log->segmentCount(), 1u);
    QCOMPARE(materialize(old->records), batches[1]);
}

void TestLog::truncationReopensSealedSegmentForWriting() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    storage::FilePool pool(2);
    const Bytes probe = batchOf(2);
    LogConfig cfg;
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 2);
    Bytes kept;
    {
        auto opened = Log::open(dir, cfg, {.pool = &pool});
        QVERIFY(opened.has_value());
        auto log = std::move(*opened);
        for (int i = 0; i < 6; ++i) {
            Bytes w = batchOf(2, 1000 + i);
            APPEND(log, w, 0, 1);
            if (i < 1) {
                kept.insert(kept.end(), w.begin(), w.end());
            }
        }
        QCOMPARE(log->segmentCount(), 3u);
        // Offset 2 is in the first (sealed) segment: it becomes the active one and is written.
        log->truncateTo(2);
        QCOMPARE(log->segmentCount(), 1u);
        QCOMPARE(log->logEndOffset(), 2);
        Bytes w = batchOf(2, 5000);
        APPEND(log, w, 0, 1);
        kept.insert(kept.end(), w.begin(), w.end());
        QCOMPARE(readAll(*log), kept);
    }
    OPEN_LOG(log, dir, cfg);
    QCOMPARE(log->logEndOffset(), 4);
    QCOMPARE(readAll(*log), kept);
}

void TestLog::crashWithoutIndexFilesRecovers() {
    QTemporaryDir tmp;
    const fs::path dir = fs::path(tmp.path().toStdString()) / "live";
    const fs::path crashed = fs::path(tmp.path().toStdString()) / "crashed";
    LogConfig cfg;
    cfg.indexIntervalBytes = 60;
    const Bytes probe = batchOf(2, 1000, 30);
    cfg.segmentBytes = static_cast<std::int64_t>(probe.size() * 6);
    Bytes all;
    {
        OPEN_LOG(log, dir, cfg);
        for (int i = 0; i < 15; ++i) {
            Bytes w = batchOf(2, 1000 + 10 * i, 30);
            APPEND(log, w, 0, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
        QCOMPARE(log->segmentCount(), 3u);
        // What a kill -9 leaves: the files as they are now. The active segment's index entries
        // are only in memory (its index files are still empty).
        QCOMPARE(fs::file_size(dir / (stem(24) + ".index")), 0u);
        QVERIFY(fs::file_size(dir / (stem(0) + ".index")) > 0); // sealed: written at roll
        fs::copy(dir, crashed);
    }
    // The clean close wrote the active segment's indexes.
    QVERIFY(fs::file_size(dir / (stem(24) + ".index")) > 0);
    {
        OPEN_LOG(log, crashed, cfg);
        QCOMPARE(log->logEndOffset(), 30);
        QCOMPARE(readAll(*log), all);
        QCOMPARE(log->offsetForTimestamp(1125)->first, 26);
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto ext = e.path().extension();
        if (ext == ".index" || ext == ".timeindex") {
            QCOMPARE(fileBytes(crashed / e.path().filename()), fileBytes(e.path()));
        }
    }
}

void TestLog::cleanShutdownSkipsRecoveryScan() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    std::vector<Bytes> written;
    {
        OPEN_LOG(log, dir, LogConfig{});
        for (int i = 0; i < 3; ++i) {
            Bytes w = batchOf(2, 1000 + i, 40);
            APPEND(log, w, 0, 1);
            written.push_back(w);
        }
    }
    {
        OPEN_LOG(log, dir, LogConfig{});
        QCOMPARE(log->recoveredBytes(), static_cast<std::int64_t>(test::concat(written).size()));
    }
    // A flipped byte in the middle batch's records (covered by its CRC).
    const fs::path logFile = dir / (stem(0) + ".log");
    Bytes content = fileBytes(logFile);
    content[written[0].size() + written[1].size() / 2] ^= 0x20;
    std::ofstream(logFile, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(content.data()),
               static_cast<std::streamsize>(content.size()));
    {
        // Stopped cleanly: the log is trusted, nothing is rescanned and the damage stays unseen.
        auto opened = Log::open(dir, LogConfig{}, {.cleanShutdown = true});
        QVERIFY(opened.has_value());
        QCOMPARE((*opened)->recoveredBytes(), 0);
        QCOMPARE((*opened)->logEndOffset(), 6);
        QCOMPARE(readAll(**opened), content);
    }
    // Without the marker (a crash) every batch of the active segment is CRC-checked and the log
    // is cut at the damaged batch.
    OPEN_LOG(log, dir, LogConfig{});
    QCOMPARE(log->recoveredBytes(), static_cast<std::int64_t>(written[0].size()));
    QCOMPARE(log->logEndOffset(), 2);
    QCOMPARE(readAll(*log), written[0]);
}

// A leader's epoch begun on an idle log starts at its end: reopening keeps it and does not
// rewrite (and fsync) the checkpoint, which every idle leader did at every start.
void TestLog::reopenKeepsAnEpochStartingAtTheEnd() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    {
        OPEN_LOG(log, dir, LogConfig{});
        Bytes w = batchOf(2);
        APPEND(log, w, 1, 1);
        log->assignEpoch(4, log->logEndOffset());
    }
    struct stat before {};
    QCOMPARE(::stat((dir / "leader-epoch-checkpoint").c_str(), &before), 0);
    OPEN_LOG(log, dir, LogConfig{});
    QCOMPARE(log->epochEntries().size(), 2u);
    QCOMPARE(log->epochEntries().back().epoch, 4);
    QCOMPARE(log->epochEntries().back().startOffset, 2);
    struct stat after {};
    QCOMPARE(::stat((dir / "leader-epoch-checkpoint").c_str(), &after), 0);
    QCOMPARE(after.st_ino, before.st_ino); // not replaced
}

void TestLog::spaceReservedAheadIsGivenBack() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    constexpr std::int64_t kMiB = 1 << 20;
    // Does this filesystem have fallocate? Without it the log writes without a reserve.
    {
        std::ofstream(dir / "probe") << "x";
    }
    const bool canReserve = reservePastEnd(dir / "probe", kMiB);
    fs::remove(dir / "probe");

    LogConfig cfg;
    cfg.segmentBytes = 6 * kMiB;
    const fs::path first = dir / (stem(0) + ".log");
    Bytes all;
    {
        OPEN_LOG(log, dir, cfg);
        // Below 1 MiB nothing is reserved: small partitions stay small on disk.
        Bytes w = batchOf(4, 1000, 4000);
        APPEND(log, w, 0, 1);
        all.insert(all.end(), w.begin(), w.end());
        QVERIFY(allocatedBytes(first) < static_cast<std::int64_t>(w.size()) + 64 * 1024);
        while (log->sizeBytes() < 3 * kMiB) {
            w = batchOf(64, 1000, 4000);
            APPEND(log, w, 0, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
        // The file's size is the log's end; the blocks reach past it.
        QCOMPARE(static_cast<std::int64_t>(fs::file_size(first)), log->sizeBytes());
        if (canReserve) {
            QVERIFY2(allocatedBytes(first) >= log->sizeBytes() + kMiB,
                     qPrintable(QString("allocated %1 for %2 bytes")
                                    .arg(allocatedBytes(first))
                                    .arg(log->sizeBytes())));
        }
        QCOMPARE(readAll(*log), all);
        // Rolling seals the segment and gives its reserve back.
        while (log->segmentCount() < 2) {
            w = batchOf(64, 1000, 4000);
            APPEND(log, w, 0, 1);
            all.insert(all.end(), w.begin(), w.end());
        }
        QVERIFY(allocatedBytes(first) <
                static_cast<std::int64_t>(fs::file_size(first)) + 64 * 1024);
        // A follower's deferred writes reserve too, and read back intact.
        storage::LogWriter writer("test-writer");
        log->setWriter(&writer);
        for (int i = 0; i < 20; ++i) {
            Bytes b = test::buildBatch(test::BatchSpec{
                .records = 64, .valueSize = 4000, .baseOffset = log->logEndOffset()});
            all.insert(all.end(), b.begin(), b.end());
            APPEND_DEFERRED(log, std::move(b));
        }
        log->waitForWrites();
        const fs::path second = dir / (stem(log->segmentBaseOffsets().back()) + ".log");
        if (canReserve) {
            QVERIFY(allocatedBytes(second) > static_cast<std::int64_t>(fs::file_size(second)));
        }
        QCOMPARE(readAll(*log), all);
        log->setWriter(nullptr);
        // Closing gives the active segment's reserve back.
        log->close();
        QVERIFY(allocatedBytes(second) <
                static_cast<std::int64_t>(fs::file_size(second)) + 64 * 1024);
    }
    if (!canReserve) {
        return; // no fallocate here: the reserve left by a crash cannot be made
    }
    // A crash leaves a reserve behind (sealed and active segment): opening gives it back.
    for (const auto& name : logFiles(dir)) {
        QVERIFY(reservePastEnd(dir / name, 4 * kMiB));
        QVERIFY(allocatedBytes(dir / name) > static_cast<std::int64_t>(fs::file_size(dir / name)) +
                                                 2 * kMiB);
    }
    OPEN_LOG(log, dir, cfg);
    for (const auto& name : logFiles(dir)) {
        QVERIFY2(allocatedBytes(dir / name) <
                     static_cast<std::int64_t>(fs::file_size(dir / name)) + 64 * 1024,
                 name.c_str());
    }
    QCOMPARE(readAll(*log), all);
}

QTEST_GUILESS_MAIN(TestLog)
#include "test_log.moc"
