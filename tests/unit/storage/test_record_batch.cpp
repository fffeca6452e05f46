// crc32c and record batch v2 checks (engine/protocol/crc32c, engine/protocol/record_batch).
#include "batch_builder.h"

#include <QTest>
#include <random>

using namespace faultline;
using protocol::ErrorCode;

Q_DECLARE_METATYPE(std::vector<std::uint8_t>)
Q_DECLARE_METATYPE(protocol::ErrorCode)

namespace {

using CrcFn = std::uint32_t (*)(std::span<const std::uint8_t>, std::uint32_t);

struct CrcPath {
    const char* name;
    CrcFn fn;
};

// The accelerated implementations this CPU can run; each must agree with the table.
std::vector<CrcPath> acceleratedCrcPaths() {
    std::vector<CrcPath> paths;
    if (protocol::detail::crc32cHardwareAvailable()) {
        paths.push_back({"crc32 lanes", &protocol::detail::crc32cHardware});
    }
    if (protocol::detail::crc32cFoldingAvailable()) {
        paths.push_back({"vpclmulqdq folding", &protocol::detail::crc32cFolding});
    } else {
        qInfo("this CPU has no VPCLMULQDQ + AVX2: crc32c uses the crc32 lanes");
    }
    return paths;
}

} // namespace

class TestRecordBatch : public QObject {
    Q_OBJECT

private slots:
    void crcCheckValue_data();
    void crcCheckValue();
    void crcPathsAgreeOnRandomData();
    void crcPathsAgreeAcrossLaneBoundaries();
    void crcChains();
    void parseHeaderFields();
    void validateAcceptsBuiltBatches_data();
    void validateAcceptsBuiltBatches();
    void validateRejects_data();
    void validateRejects();
    void splitBatchesWalksAndStopsAtTruncation();
    void patchesKeepCrcValid();
    void logAppendTimeRecomputesCrc();
};

void TestRecordBatch::crcCheckValue_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<uint>("expected");
    QTest::newRow("check string") << QByteArray("123456789") << 0xE3069283u;
    QTest::newRow("empty") << QByteArray() << 0x00000000u;
    QTest::newRow("32 zero bytes") << QByteArray(32, '\0') << 0x8A9136AAu;      // RFC 3720 B.4
    QTest::newRow("32 0xff bytes") << QByteArray(32, '\xff') << 0x62A8AB43u;    // RFC 3720 B.4
}

void TestRecordBatch::crcCheckValue() {
    QFETCH(QByteArray, input);
    QFETCH(uint, expected);
    auto data = std::span(reinterpret_cast<const std::uint8_t*>(input.constData()),
                          static_cast<std::size_t>(input.size()));
    QCOMPARE(protocol::crc32c(data), expected);
    QCOMPARE(protocol::detail::crc32cSoftware(data, 0), expected);
    for (const CrcPath& path : acceleratedCrcPaths()) {
        QVERIFY2(path.fn(data, 0) == expected, path.name);
    }
}

void TestRecordBatch::crcPathsAgreeOnRandomData() {
    QVERIFY2(protocol::detail::crc32cHardwareAvailable(),
             "this x86-64 machine is expected to have SSE 4.2");
    std::mt19937 rng(12345);
    for (int round = 0; round < 500; ++round) {
        std::vector<std::uint8_t> data(rng() % 4099);
        for (auto& b : data) {
            b = static_cast<std::uint8_t>(rng());
        }
        // Unaligned starts too.
        const std::size_t skip = data.empty() ? 0 : rng() % std::min<std::size_t>(data.size(), 8);
        auto span = std::span<const std::uint8_t>(data).subspan(skip);
        const std::uint32_t seed = rng();
        const std::uint32_t expected = protocol::detail::crc32cSoftware(span, seed);
        for (const CrcPath& path : acceleratedCrcPaths()) {
            QVERIFY2(path.fn(span, seed) == expected,
                     qPrintable(QString("%1, %2 bytes").arg(path.name).arg(span.size())));
        }
    }
}

// The crc32 lanes cut long inputs into blocks of three lanes (128 and 4096 bytes per lane) and join
// the lanes' CRCs; folding takes 128-byte strides from 256 bytes on and leaves a tail under 128
// bytes to the lanes. Every length around a block or stride boundary, blocks of both sizes followed
// by a tail, and megabyte inputs must give the table implementation's result for any seed.
void TestRecordBatch::crcPathsAgreeAcrossLaneBoundaries() {
    QVERIFY2(protocol::detail::crc32cHardwareAvailable(),
             "this x86-64 machine is expected to have SSE 4.2");
    std::mt19937 rng(777);
    std::vector<std::uint8_t> data(3 * 1024 * 1024 + 13);
    for (auto& b : data) {
        b = static_cast<std::uint8_t>(rng());
    }
    std::vector<std::size_t> lengths;
    for (const std::size_t block : {std::size_t{3 * 128}, std::size_t{3 * 4096}}) {
        for (const std::size_t blocks : {1, 2, 3}) {
            for (std::size_t delta = 0; delta <= 17; ++delta) {
                lengths.push_back(block * blocks + delta);
                lengths.push_back(block * blocks - 1 - delta);
            }
        }
    }
    for (const std::size_t strides : {2, 3, 4, 8, 33}) { // folding: 256 bytes is where it starts
        for (std::size_t delta = 0; delta <= 17; ++delta) {
            lengths.push_back(128 * strides + delta);
            lengths.push_back(128 * strides - 1 - delta);
        }
    }
    lengths.push_back(3 * 4096 + 3 * 128 + 7); // one block of each size and a tail
    lengths.push_back(data.size() - 8); // the largest that leaves room for any skip
    for (int i = 0; i < 40; ++i) {
        lengths.push_back(rng() % 200000);
    }
    for (const std::size_t length : lengths) {
        const std::size_t skip = rng() % 8; // unaligned starts too
        QVERIFY(skip + length <= data.size());
        const auto span = std::span<const std::uint8_t>(data).subspan(skip, length);
        const std::uint32_t seed = (length % 3 == 0) ? 0 : static_cast<std::uint32_t>(rng());
        const std::uint32_t expected = protocol::detail::crc32cSoftware(span, seed);
        for (const CrcPath& path : acceleratedCrcPaths()) {
            QVERIFY2(path.fn(span, seed) == expected,
                     qPrintable(QString("%1, %2 bytes from +%3").arg(path.name).arg(length).arg(skip)));
        }
    }
    // Chaining across a block boundary: the second call starts mid-stream from the first's result.
    const auto all = std::span<const std::uint8_t>(data).first(5 * 4096);
    const std::uint32_t whole = protocol::detail::crc32cSoftware(all, 0);
    for (const CrcPath& path : acceleratedCrcPaths()) {
        for (const std::size_t cut : {std::size_t{1}, std::size_t{383}, std::size_t{384},
                                      std::size_t{640}, std::size_t{12289}}) {
            QVERIFY2(path.fn(all.subspan(cut), path.fn(all.first(cut), 0)) == whole,
                     qPrintable(QString("%1, cut at %2").arg(path.name).arg(cut)));
        }
    }
}

void TestRecordBatch::crcChains() {
    const std::string text = "The quick brown fox jumps over the lazy dog";
    auto all = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
        QCOMPARE(protocol::crc32c(all.subspan(cut), protocol::crc32c(all.first(cut))),
                 protocol::crc32c(all));
    }
    QCOMPARE(protocol::crc32c(all), 0x22620404u);
}

void TestRecordBatch::parseHeaderFields() {
    test::BatchSpec spec;
    spec.records = 3;
    spec.baseTimestamp = 1700000000000;
    spec.baseOffset = 42;
    spec.leaderEpoch = 7;
    spec.producerId = 99;
    spec.producerEpoch = 2;
    spec.baseSequence = 5;
    spec.attributes = protocol::batch_attributes::kTransactional;
    auto bytes = test::buildBatch(spec);
    auto h = protocol::parseBatchHeader(bytes);
    QVERIFY(h.has_value());
    QCOMPARE(h->baseOffset, 42);
    QCOMPARE(static_cast<std::size_t>(h->batchLength), bytes.size() - 12);
    QCOMPARE(h->totalSize(), bytes.size());
    QCOMPARE(h->partitionLeaderEpoch, 7);
    QCOMPARE(h->magic, 2);
    QCOMPARE(h->lastOffsetDelta, 2);
    QCOMPARE(h->lastOffset(), 44);
    QCOMPARE(h->baseTimestamp, 1700000000000);
    QCOMPARE(h->maxTimestamp, 1700000000002);
    QCOMPARE(h->producerId, 99);
    QCOMPARE(h->producerEpoch, 2);
    QCOMPARE(h->baseSequence, 5);
    QCOMPARE(h->recordCount, 3);
    QVERIFY(h->isTransactional());
    QVERIFY(!h->isControl());
    QVERIFY(!h->logAppendTime());
    QCOMPARE(h->compression(), protocol::Compression::None);

    auto shortRead = protocol::parseBatchHeader(std::span(bytes).first(60));
    QVERIFY(!shortRead.has_value());
    QCOMPARE(shortRead.error().code, ErrorCode::CorruptMessage);
}

void TestRecordBatch::validateAcceptsBuiltBatches_data() {
    QTest::addColumn<int>("records");
    QTest::addColumn<int>("valueSize");
    QTest::newRow("one record") << 1 << 10;
    QTest::newRow("many records") << 100 << 3;
    QTest::newRow("large values") << 4 << 5000;
    QTest::newRow("empty values") << 5 << 0;
}

void TestRecordBatch::validateAcceptsBuiltBatches() {
    QFETCH(int, records);
    QFETCH(int, valueSize);
    test::BatchSpec spec;
    spec.records = records;
    spec.valueSize = static_cast<std::size_t>(valueSize);
    auto bytes = test::buildBatch(spec);
    auto h = protocol::validateBatch(bytes);
    QVERIFY2(h.has_value(), h ? "" : h.error().message.c_str());
    QCOMPARE(h->recordCount, records);
}

void TestRecordBatch::validateRejects_data() {
    QTest::addColumn<std::vector<std::uint8_t>>("bytes");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");

    const auto good = test::buildBatch(test::BatchSpec{.records = 3});
    {
        auto b = good;
        b[16] = 1;
        QTest::newRow("magic 1") << b << ErrorCode::CorruptMessage << "magic";
    }
    {
        auto b = good;
        b[40] ^= 0x01; // maxTimestamp, CRC-covered
        QTest::newRow("flipped covered byte") << b << ErrorCode::CorruptMessage << "CRC";
    }
    {
        auto b = good;
        b[18] ^= 0x10;
        QTest::newRow("flipped crc") << b << ErrorCode::CorruptMessage << "CRC";
    }
    {
        auto b = good;
        b.push_back(0);
        QTest::newRow("length shorter than span") << b << ErrorCode::CorruptMessage << "Length";
    }
    {
        auto b = good;
        b.pop_back();
        QTest::newRow("truncated") << b << ErrorCode::CorruptMessage << "Length";
    }
    {
        auto b = good;
        test::patchBe<std::int32_t>(b, 23, 5);
        test::recomputeCrc(b);
        QTest::newRow("lastOffsetDelta") << b << ErrorCode::InvalidRecord << "LastOffsetDelta";
    }
    {
        auto b = good;
        test::patchBe<std::int32_t>(b, 57, -1);
        test::recomputeCrc(b);
        QTest::newRow("negative count") << b << ErrorCode::InvalidRecord << "RecordCount";
    }
    {
        auto b = good;
        test::patchBe<std::int32_t>(b, 57, 4);
        test::patchBe<std::int32_t>(b, 23, 3);
        test::recomputeCrc(b);
        QTest::newRow("count above records") << b << ErrorCode::InvalidRecord << "RecordCount";
    }
    {
        auto b = good;
        b[61] = 0x7E; // first record's length varint: 63, runs past the batch
        test::recomputeCrc(b);
        QTest::newRow("record runs past batch") << b << ErrorCode::CorruptMessage << "record 0";
    }
    {
        auto b = good;
        test::patchBe<std::int16_t>(b, 21, 6);
        test::recomputeCrc(b);
        QTest::newRow("unknown codec") << b << ErrorCode::CorruptMessage << "compression";
    }
    QTest::newRow("too short")
        << std::vector<std::uint8_t>(good.begin(), good.begin() + 30) << ErrorCode::CorruptMessage
        << "header";
}

void TestRecordBatch::validateRejects() {
    QFETCH(std::vector<std::uint8_t>, bytes);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    auto result = protocol::validateBatch(bytes);
    QVERIFY(!result.has_value());
    QCOMPARE(result.error().code, code);
    QVERIFY2(QString::fromStdString(result.error().message).contains(field),
             result.error().message.c_str());
}

void TestRecordBatch::splitBatchesWalksAndStopsAtTruncation() {
    auto a = test::buildBatch(test::BatchSpec{.records = 2, .baseOffset = 0});
    auto b = test::buildBatch(test::BatchSpec{.records = 5, .baseOffset = 2});
    auto c = test::buildBatch(test::BatchSpec{.records = 1, .baseOffset = 7});
    auto all = test::concat({a, b, c});
    bool complete = false;
    auto spans = protocol::splitBatches(all, &complete);
    QVERIFY(complete);
    QCOMPARE(spans.size(), 3u);
    QCOMPARE(spans[0].position, 0u);
    QCOMPARE(spans[1].position, a.size());
    QCOMPARE(spans[2].position, a.size() + b.size());
    QCOMPARE(spans[2].size, c.size());
    QCOMPARE(spans[1].header.recordCount, 5);

    for (std::size_t cut = 1; cut < c.size(); ++cut) {
        auto part = std::span<const std::uint8_t>(all).first(all.size() - cut);
        auto walked = protocol::splitBatches(part, &complete);
        QVERIFY(!complete);
        QCOMPARE(walked.size(), 2u);
    }
    auto empty = protocol::splitBatches({}, &complete);
    QVERIFY(complete);
    QVERIFY(empty.empty());
}

void TestRecordBatch::patchesKeepCrcValid() {
    auto b = test::buildBatch(test::BatchSpec{.records = 4});
    protocol::setBaseOffset(b, 123456789012);
    protocol::setPartitionLeaderEpoch(b, 17);
    auto h = protocol::validateBatch(b);
    QVERIFY(h.has_value());
    QCOMPARE(h->baseOffset, 123456789012);
    QCOMPARE(h->partitionLeaderEpoch, 17);
    QCOMPARE(h->lastOffset(), 123456789015);
}

void TestRecordBatch::logAppendTimeRecomputesCrc() {
    auto b = test::buildBatch(test::BatchSpec{.records = 2, .baseTimestamp = 5});
    const auto before = protocol::parseBatchHeader(b)->crc;
    protocol::setLogAppendTime(b, 1700000000123);
    auto h = protocol::validateBatch(b);
    QVERIFY2(h.has_value(), h ? "" : h.error().message.c_str());
    QVERIFY(h->logAppendTime());
    QCOMPARE(h->maxTimestamp, 1700000000123);
    QCOMPARE(h->baseTimestamp, 5);
    QVERIFY(h->crc != before);
}

QTEST_GUILESS_MAIN(TestRecordBatch)
#include "test_record_batch.moc"
