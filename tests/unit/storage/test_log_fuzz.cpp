// Random operations on a Log checked against a simple in-memory reference model
// (append / read / truncateTo / truncateFullyAndStartAt / deleteRecordsBefore / reopen).
#include "batch_builder.h"

#include "engine/storage/log.h"

#include <QTemporaryDir>
#include <QTest>
#include <random>

using namespace faultline;
using storage::EpochEntry;
using storage::Log;
using storage::LogConfig;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct ModelBatch {
    std::int64_t base = 0;
    std::int64_t last = 0;
    Bytes bytes; // as stored
};

// What the log must contain: every batch ever appended and not truncated, plus the log start.
struct Model {
    std::vector<ModelBatch> batches;
    std::int64_t logStart = 0;
    std::int64_t leo = 0;
    std::vector<EpochEntry> epochs;

    // Index of the batch holding `offset`.
    std::size_t batchFor(std::int64_t offset) const {
        for (std::size_t i = 0; i < batches.size(); ++i) {
            if (batches[i].last >= offset) {
                return i;
            }
        }
        return batches.size();
    }

    void truncateFully(std::int64_t offset) {
        batches.clear();
        logStart = leo = offset;
        epochs.clear();
    }

    void truncateTo(std::int64_t offset) {
        if (offset >= leo) {
            return;
        }
        if (offset < logStart) {
            truncateFully(offset);
            return;
        }
        const std::size_t i = batchFor(offset);
        leo = batches[i].base;
        batches.resize(i);
        if (leo < logStart) {
            truncateFully(offset);
            return;
        }
        std::erase_if(epochs, [&](const EpochEntry& e) { return e.startOffset >= leo; });
    }

    void moveStart(std::int64_t offset) {
        if (offset <= logStart) {
            return;
        }
        logStart = offset;
        std::size_t keep = epochs.size();
        for (std::size_t i = 0; i < epochs.size(); ++i) {
            if (epochs[i].startOffset <= offset) {
                keep = i;
            }
        }
        if (keep != epochs.size()) {
            epochs.erase(epochs.begin(), epochs.begin() + static_cast<std::ptrdiff_t>(keep));
            epochs.front().startOffset = offset;
        }
    }

    Bytes readableBytes() const {
        Bytes out;
        for (std::size_t i = batchFor(logStart); i < batches.size(); ++i) {
            out.insert(out.end(), batches[i].bytes.begin(), batches[i].bytes.end());
        }
        return out;
    }
};

} // namespace

class TestLogFuzz : public QObject {
    Q_OBJECT

private slots:
    void randomOperationsMatchModel_data();
    void randomOperationsMatchModel();
};

void TestLogFuzz::randomOperationsMatchModel_data() {
    QTest::addColumn<unsigned>("seed");
    QTest::addColumn<int>("steps");
    QTest::newRow("seed 1") << 1u << 2500;
    QTest::newRow("seed 20240601") << 20240601u << 2500;
}

void TestLogFuzz::randomOperationsMatchModel() {
    QFETCH(unsigned, seed);
    QFETCH(int, steps);
    QTemporaryDir tmp;
    const std::filesystem::path dir = tmp.path().toStdString() + "/fuzz-0";
    LogConfig cfg;
    cfg.segmentBytes = 700;
    cfg.indexIntervalBytes = 120;
    std::mt19937 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };

    auto opened = Log::open(dir, cfg);
    QVERIFY(opened.has_value());
    std::unique_ptr<Log> log = std::move(*opened);
    Model model;
    std::int32_t epoch = 0;
    std::int64_t now = 1'000'000;
    int appends = 0, truncations = 0, deletions = 0, reopens = 0, reads = 0;

    auto checkAll = [&]() {
        QCOMPARE(log->logEndOffset(), model.leo);
        QCOMPARE(log->logStartOffset(), model.logStart);
        QCOMPARE(log->epochEntries(), model.epochs);
        Bytes got;
        std::int64_t offset = log->logStartOffset();
        while (offset < log->logEndOffset()) {
            auto r = log->read(offset, 1 << 16, log->logEndOffset(), true);
            QVERIFY(r.has_value());
            QVERIFY(r->nextOffset > offset);
            got.insert(got.end(), r->bytes->begin(), r->bytes->end());
            offset = r->nextOffset;
        }
        QCOMPARE(got, model.readableBytes());
    };

    for (int step = 0; step < steps; ++step) {
        const auto op = pick(0, 99);
        now += pick(0, 50);
        if (op < 55) {
            if (pick(0, 19) == 0) {
                ++epoch;
            }
            const int count = static_cast<int>(pick(1, 3));
            std::vector<Bytes> parts;
            for (int i = 0; i < count; ++i) {
                parts.push_back(test::buildBatch(test::BatchSpec{
                    .records = static_cast<int>(pick(1, 5)),
                    .baseTimestamp = now,
                    .valueSize = static_cast<std::size_t>(pick(0, 60)),
                    .fill = static_cast<char>('a' + pick(0, 25))}));
            }
            Bytes input = test::concat(parts);
            auto info = log->appendAsLeader(input, epoch, now);
            QVERIFY2(info.has_value(), info ? "" : info.error().message.c_str());
            QCOMPARE(info->firstOffset, model.leo);
            if (model.epochs.empty() || epoch > model.epochs.back().epoch) {
                // Kafka's assign: an entry starting at the same offset is replaced.
                std::erase_if(model.epochs,
                              [&](const EpochEntry& e) { return e.startOffset >= model.leo; });
                model.epochs.push_back(EpochEntry{epoch, model.leo});
            }
            for (auto& part : parts) {
                const auto records = protocol::parseBatchHeader(part)->recordCount;
                protocol::setBaseOffset(part, model.leo);
                protocol::setPartitionLeaderEpoch(part, epoch);
                model.batches.push_back(ModelBatch{model.leo, model.leo + records - 1, part});
                model.leo += records;
            }
            QCOMPARE(info->lastOffset, model.leo - 1);
            ++appends;
        } else if (op < 63) {
            const std::int64_t target = pick(model.logStart, model.leo);
            log->truncateTo(target);
            model.truncateTo(target);
            ++truncations;
        } else if (op < 70) {
            const std::int64_t target = pick(model.logStart, model.leo);
            QVERIFY(log->deleteRecordsBefore(target).has_value());
            model.moveStart(target);
            ++deletions;
        } else if (op < 72) {
            log.reset();
            auto again = Log::open(dir, cfg);
            QVERIFY2(again.has_value(), again ? "" : again.error().message.c_str());
            log = std::move(*again);
            ++reopens;
            checkAll();
        } else if (op < 73) {
            const std::int64_t target = model.leo + pick(0, 10);
            log->truncateFullyAndStartAt(target);
            model.truncateFully(target);
        } else if (op < 75) {
            const auto bad = log->deleteRecordsBefore(model.leo + pick(1, 5));
            QVERIFY(!bad.has_value());
            QCOMPARE(bad.error().code, protocol::ErrorCode::OffsetOutOfRange);
        } else {
            // A random read, checked against the model's batches.
            const std::int64_t offset = pick(model.logStart, model.leo);
            const std::int64_t maxOffset = pick(offset, model.leo);
            const auto maxBytes = static_cast<std::int32_t>(pick(0, 800));
            const bool minOne = pick(0, 1) == 1;
            auto r = log->read(offset, maxBytes, maxOffset, minOne);
            QVERIFY(r.has_value());
            ++reads;
            std::size_t i = model.batchFor(offset);
            std::size_t pos = 0;
            std::int64_t next = offset;
            while (pos < r->bytes->size()) {
                QVERIFY(i < model.batches.size());
                const Bytes& expected = model.batches[i].bytes;
                QVERIFY(pos + expected.size() <= r->bytes->size());
                QVERIFY(std::equal(expected.begin(), expected.end(), r->bytes->begin() +
                                                                          static_cast<std::ptrdiff_t>(pos)));
                QVERIFY(model.batches[i].last < maxOffset);
                pos += expected.size();
                next = model.batches[i].last + 1;
                ++i;
            }
            QCOMPARE(r->nextOffset, next);
            const bool oneBatch = r->bytes->size() == (i > 0 && pos > 0 ? model.batches[i - 1].bytes.size() : 0);
            QVERIFY(r->bytes->size() <= static_cast<std::size_t>(maxBytes) || (minOne && oneBatch));
            const std::size_t first = model.batchFor(offset);
            if (first < model.batches.size() && model.batches[first].last < maxOffset &&
                (minOne || model.batches[first].bytes.size() <= static_cast<std::size_t>(maxBytes))) {
                QVERIFY2(!r->bytes->empty(), "the first batch fits but nothing was returned");
            }
        }
        QCOMPARE(log->logEndOffset(), model.leo);
        QCOMPARE(log->logStartOffset(), model.logStart);
        QCOMPARE(log->epochEntries(), model.epochs);
        if (step % 100 == 0) {
            checkAll();
        }
    }
    checkAll();
    QVERIFY(appends > 1000 && truncations > 50 && deletions > 50 && reopens > 10 && reads > 300);
    QVERIFY(log->segmentCount() >= 1);
}

QTEST_GUILESS_MAIN(TestLogFuzz)
#include "test_log_fuzz.moc"
