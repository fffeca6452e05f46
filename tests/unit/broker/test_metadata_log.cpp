// The controller's metadata change log (engine/broker/metadata_log.h): records framed with length
// and CRC-32C, replayed in order; a torn or corrupt tail is cut at the last whole record; a
// snapshot empties the log.
#include "engine/broker/metadata_log.h"

#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>

using namespace faultline;
using broker::MetadataLog;
namespace fs = std::filesystem;

namespace {

std::string fileText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

const std::vector<std::string> kRecords = {
    R"({"op":"topic","n":1})", R"({"op":"partition","n":2,"isr":[1,2,3]})",
    R"({"op":"deleteTopic","n":3,"topic":"a-rather-longer-name-for-a-record"})"};

// A new change log in `dir` holding kRecords; false when opening or an append fails.
bool writeRecords(const fs::path& dir) {
    MetadataLog::Contents contents;
    auto log = MetadataLog::open(dir, contents);
    if (!log) {
        return false;
    }
    for (const auto& r : kRecords) {
        if (!(*log)->append(r)) {
            return false;
        }
    }
    return true;
}

} // namespace

class TestMetadataLog : public QObject {
    Q_OBJECT

private slots:
    void recordsComeBackInOrder() {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "cluster";
        {
            MetadataLog::Contents contents;
            auto log = MetadataLog::open(dir, contents);
            QVERIFY(log.has_value());
            QVERIFY(contents.snapshot.empty());
            QVERIFY(contents.records.empty());
            QVERIFY(!(*log)->hasSnapshot());
            for (const auto& r : kRecords) {
                QVERIFY((*log)->append(r).has_value());
            }
            QCOMPARE((*log)->records(), kRecords.size());
        }
        // Each record is its payload and 8 bytes of framing.
        std::size_t expected = 0;
        for (const auto& r : kRecords) {
            expected += r.size() + 8;
        }
        QCOMPARE(fs::file_size(MetadataLog::logPath(dir)), expected);
        MetadataLog::Contents contents;
        auto log = MetadataLog::open(dir, contents);
        QVERIFY(log.has_value());
        QCOMPARE(contents.records, kRecords);
        QCOMPARE(contents.truncatedBytes, 0);
        QCOMPARE((*log)->logBytes(), static_cast<std::int64_t>(expected));
    }

    void cutAtEveryByteOfTheLastRecord_data() {
        QTest::addColumn<int>("cut");
        const int last = static_cast<int>(kRecords.back().size() + 8);
        for (int cut = 1; cut <= last; ++cut) {
            QTest::addRow("cut %d of %d", cut, last) << cut;
        }
    }

    // A crash in the middle of the last append: the log reopens with the records before it, cut
    // back to the last whole record, and appends after it again.
    void cutAtEveryByteOfTheLastRecord() {
        QFETCH(int, cut);
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        QVERIFY(writeRecords(dir));
        const fs::path path = MetadataLog::logPath(dir);
        const auto full = fs::file_size(path);
        fs::resize_file(path, full - static_cast<std::uintmax_t>(cut));
        const std::vector<std::string> before(kRecords.begin(), kRecords.end() - 1);
        {
            MetadataLog::Contents contents;
            auto log = MetadataLog::open(dir, contents);
            QVERIFY(log.has_value());
            QCOMPARE(contents.records, before);
            QCOMPARE(contents.truncatedBytes,
                     static_cast<std::int64_t>(kRecords.back().size() + 8 -
                                               static_cast<std::size_t>(cut)));
            QCOMPARE(fs::file_size(path), full - kRecords.back().size() - 8);
            QVERIFY((*log)->append(R"({"op":"after"})").has_value());
        }
        MetadataLog::Contents contents;
        auto log = MetadataLog::open(dir, contents);
        QVERIFY(log.has_value());
        auto expected = before;
        expected.emplace_back(R"({"op":"after"})");
        QCOMPARE(contents.records, expected);
        QCOMPARE(contents.truncatedBytes, 0);
    }

    void corruptRecordEndsTheLog_data() {
        QTest::addColumn<int>("at"); // byte of the second record's frame that is flipped
        QTest::newRow("length") << 1;
        QTest::newRow("crc") << 5;
        QTest::newRow("payload") << 12;
    }

    void corruptRecordEndsTheLog() {
        QFETCH(int, at);
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        QVERIFY(writeRecords(dir));
        const fs::path path = MetadataLog::logPath(dir);
        std::string bytes = fileText(path);
        bytes[kRecords[0].size() + 8 + static_cast<std::size_t>(at)] ^= 0x10;
        writeText(path, bytes);
        MetadataLog::Contents contents;
        auto log = MetadataLog::open(dir, contents);
        QVERIFY(log.has_value());
        QCOMPARE(contents.records, std::vector<std::string>{kRecords[0]});
        QCOMPARE(fs::file_size(path), kRecords[0].size() + 8);
    }

    void snapshotEmptiesTheLog() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        {
            MetadataLog::Contents contents;
            auto log = MetadataLog::open(dir, contents);
            QVERIFY(log.has_value());
            QVERIFY((*log)->append(kRecords[0]).has_value());
            QVERIFY((*log)->writeSnapshot(R"({"version":1})").has_value());
            QCOMPARE((*log)->records(), 0u);
            QCOMPARE(fs::file_size(MetadataLog::logPath(dir)), 0u);
            QVERIFY((*log)->append(kRecords[1]).has_value());
        }
        QCOMPARE(fileText(MetadataLog::snapshotPath(dir)), std::string(R"({"version":1})"));
        MetadataLog::Contents contents;
        auto log = MetadataLog::open(dir, contents);
        QVERIFY(log.has_value());
        QVERIFY((*log)->hasSnapshot());
        QCOMPARE(contents.snapshot, std::string(R"({"version":1})"));
        QCOMPARE(contents.records, std::vector<std::string>{kRecords[1]});
    }

    // Compaction is due once the log outgrows both its floor and twice the snapshot.
    void compactionFollowsTheSnapshotSize() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        MetadataLog::Contents contents;
        auto log = MetadataLog::open(dir, contents);
        QVERIFY(log.has_value());
        const std::string snapshot(3 << 20, 's'); // 3 MiB: due past 6 MiB of records
        QVERIFY((*log)->writeSnapshot(snapshot).has_value());
        const std::string record(64 << 10, 'r');
        int appended = 0;
        while (!(*log)->compactionDue()) {
            QVERIFY((*log)->append(record).has_value());
            ++appended;
            QVERIFY(appended < 1000);
        }
        QVERIFY((*log)->logBytes() > 2 * static_cast<std::int64_t>(snapshot.size()));
        QVERIFY((*log)->logBytes() <= 2 * static_cast<std::int64_t>(snapshot.size()) +
                                          static_cast<std::int64_t>(record.size() + 8));
    }
};

QTEST_GUILESS_MAIN(TestMetadataLog)
#include "test_metadata_log.moc"
