// Records inside record batch v2: building, decoding and the broker-side record validation.
#include "engine/protocol/crc32c.h"
#include "engine/protocol/records.h"

#include <QByteArray>
#include <QTest>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace faultline::protocol;

Q_DECLARE_METATYPE(faultline::protocol::Compression)
Q_DECLARE_METATYPE(std::vector<faultline::protocol::Record>)
Q_DECLARE_METATYPE(std::vector<std::uint8_t>)
Q_DECLARE_METATYPE(std::vector<std::int64_t>)

namespace {

using Bytes = std::vector<std::uint8_t>;

const std::vector<Compression> kCodecs{Compression::None, Compression::Gzip, Compression::Snappy,
                                       Compression::Lz4, Compression::Zstd};

Bytes bytes(std::string_view s) { return {s.begin(), s.end()}; }

Bytes fromHex(const char* hex) {
    const QByteArray raw = QByteArray::fromHex(hex);
    return {raw.begin(), raw.end()};
}

Record rec(std::int64_t ts, std::optional<Bytes> key, std::optional<Bytes> value,
           std::vector<RecordHeader> headers = {}) {
    return Record{0, ts, std::move(key), std::move(value), std::move(headers)};
}

// The records as decodeRecords returns them from a batch built at `baseOffset`.
std::vector<Record> withOffsets(std::vector<Record> records, std::int64_t baseOffset) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i].offset = baseOffset + static_cast<std::int64_t>(i);
    }
    return records;
}

template <typename T>
T readBe(const Bytes& b, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        v = (v << 8) | b[at + i];
    }
    return static_cast<T>(v);
}

template <typename T>
void writeBe(Bytes& b, std::size_t at, T value) {
    auto v = static_cast<std::uint64_t>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        b[at + i] = static_cast<std::uint8_t>(v & 0xff);
        v >>= 8;
    }
}

void fixCrc(Bytes& batch) {
    writeBe<std::uint32_t>(batch, 17, crc32c(std::span(batch).subspan(21)));
}

// A v2 batch around a hand-written records section, Length and CRC filled in.
Bytes makeBatch(const Bytes& section, std::int32_t count, std::int32_t lastOffsetDelta,
                std::int16_t attributes = 0, std::int64_t baseOffset = 0) {
    Bytes batch(61, 0);
    writeBe<std::int64_t>(batch, 0, baseOffset);
    writeBe<std::int32_t>(batch, 8, static_cast<std::int32_t>(61 - 12 + section.size()));
    writeBe<std::int32_t>(batch, 12, -1);
    batch[16] = 2;
    writeBe<std::int16_t>(batch, 21, attributes);
    writeBe<std::int32_t>(batch, 23, lastOffsetDelta);
    writeBe<std::int64_t>(batch, 27, 1000);
    writeBe<std::int64_t>(batch, 35, 1000);
    writeBe<std::int64_t>(batch, 43, -1);
    writeBe<std::int16_t>(batch, 51, -1);
    writeBe<std::int32_t>(batch, 53, -1);
    writeBe<std::int32_t>(batch, 57, count);
    batch.insert(batch.end(), section.begin(), section.end());
    fixCrc(batch);
    return batch;
}

// A record as Kafka lays it out, each field already zigzag-encoded by hand by the caller.
Bytes record(const Bytes& body) {
    Bytes out{static_cast<std::uint8_t>(body.size() * 2)}; // zigzag length, bodies < 64 bytes
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

Bytes mustBuild(const std::vector<Record>& records, const BatchBuildOptions& options) {
    auto batch = buildBatch(records, options);
    if (!batch) {
        qFatal("buildBatch failed: %s", batch.error().message.c_str());
    }
    return std::move(*batch);
}

// The three records of the kafka-python batch below.
std::vector<Record> kafkaPythonRecords() {
    return {
        Record{0, 1700000000000, bytes("k1"), bytes("v1"), {}},
        Record{1, 1700000000005, std::nullopt, bytes("hello"), {{"h", bytes("x")}}},
        Record{2, 1699999999990, bytes("k3"), std::nullopt, {{"n", std::nullopt}}},
    };
}

// Written by kafka-python 2.0.2's DefaultRecordBatchBuilder (not by this project), uncompressed.
const char* const kKafkaPythonBatch =
    "0000000000000000" // BaseOffset 0
    "00000058"         // Length 88 (100 bytes in all)
    "00000000"         // PartitionLeaderEpoch 0
    "02"               // Magic 2
    "8f1be360"         // CRC-32C of bytes [21, 100)
    "0000"             // Attributes: no codec, CreateTime
    "00000002"         // LastOffsetDelta 2
    "0000018bcfe56800" // BaseTimestamp 1700000000000
    "0000018bcfe56805" // MaxTimestamp 1700000000005
    "ffffffffffffffff" // ProducerId -1
    "ffff"             // ProducerEpoch -1
    "ffffffff"         // BaseSequence -1
    "00000003"         // RecordCount 3
    // record 0: length 10, attributes 0, timestampDelta 0, offsetDelta 0,
    //           key "k1", value "v1", 0 headers
    "14" "00" "00" "00" "04" "6b31" "04" "7631" "00"
    // record 1: length 15, attributes 0, timestampDelta 5, offsetDelta 1, key null (-1),
    //           value "hello", 1 header: "h" = "x"
    "1e" "00" "0a" "02" "01" "0a" "68656c6c6f" "02" "02" "68" "02" "78"
    // record 2: length 11, attributes 0, timestampDelta -10, offsetDelta 2, key "k3",
    //           value null, 1 header: "n" = null
    "16" "00" "13" "04" "04" "6b33" "01" "02" "02" "6e" "01";

// kafka-python, gzip (Python's zlib): 4 records key-<i> / "value-<i> " x 8, timestamps
// 1700000000000 + i.
const char* const kKafkaPythonGzipBatch =
    "0000000000000000000000870000000002fa76df440001000000030000018bcf"
    "e568000000018bcfe56803ffffffffffffffffffffffffffff000000041f8b08"
    "00edee066b02ff9bc1c8c0c0c0959d5aa96bd0c0589698539aaa6ba0402ecd30"
    "83918189096c9a21cc344305726990692c2c60d38c60a61929904b834c636303"
    "9b660c33cd58815c9a01007d5da87438010000";

std::vector<Record> mixedRecords() {
    return {
        rec(1000, bytes("key-a"), bytes("value-a")),
        rec(1001, std::nullopt, bytes("no key")),
        rec(1002, bytes("no value"), std::nullopt),
        rec(999, std::nullopt, std::nullopt),
        rec(1500, Bytes{}, Bytes{}, {{"empty", Bytes{}}, {"", bytes("empty key")}}),
        rec(1003, bytes("h"), bytes("headers"),
            {{"trace-id", bytes("abc123")}, {"null-header", std::nullopt}, {"bin", Bytes{0, 255}}}),
    };
}

std::vector<Record> manyRecords(int n) {
    std::vector<Record> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(rec(1700000000000 + i * 3, bytes("key-" + std::to_string(i % 50)),
                          bytes("{\"seq\":" + std::to_string(i) + ",\"payload\":\"xxxxxxxxxx\"}")));
    }
    return out;
}

} // namespace

class TestRecords : public QObject {
    Q_OBJECT

private slots:
    void decodesKafkaPythonBatch() {
        const Bytes batch = fromHex(kKafkaPythonBatch);
        QCOMPARE(batch.size(), std::size_t{100});
        auto records = decodeRecords(batch);
        QVERIFY2(records.has_value(), records ? "" : records.error().message.c_str());
        QCOMPARE(records->size(), std::size_t{3});
        const auto expected = kafkaPythonRecords();
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE((*records)[i].offset, expected[i].offset);
            QCOMPARE((*records)[i].timestamp, expected[i].timestamp);
            QCOMPARE((*records)[i].key, expected[i].key);
            QCOMPARE((*records)[i].value, expected[i].value);
            QVERIFY((*records)[i].headers == expected[i].headers);
        }
        QVERIFY(validateRecords(batch).has_value());
    }

    void buildsKafkaPythonBatchByteForByte() {
        BatchBuildOptions options;
        options.partitionLeaderEpoch = 0;
        const Bytes built = mustBuild(kafkaPythonRecords(), options);
        QCOMPARE(QByteArray::fromRawData(reinterpret_cast<const char*>(built.data()),
                                         static_cast<qsizetype>(built.size()))
                     .toHex(),
                 QByteArray::fromHex(kKafkaPythonBatch).toHex());
    }

    void decodesKafkaPythonGzipBatch() {
        const Bytes batch = fromHex(kKafkaPythonGzipBatch);
        QCOMPARE(readBe<std::int16_t>(batch, 21), std::int16_t{1}); // gzip
        auto records = decodeRecords(batch);
        QVERIFY2(records.has_value(), records ? "" : records.error().message.c_str());
        QCOMPARE(records->size(), std::size_t{4});
        for (int i = 0; i < 4; ++i) {
            const Record& r = (*records)[static_cast<std::size_t>(i)];
            QCOMPARE(r.offset, std::int64_t{i});
            QCOMPARE(r.timestamp, std::int64_t{1700000000000} + i);
            QCOMPARE(r.key, std::optional(bytes("key-" + std::to_string(i))));
            std::string value;
            for (int k = 0; k < 8; ++k) {
                value += "value-" + std::to_string(i) + " ";
            }
            QCOMPARE(r.value, std::optional(bytes(value)));
            QVERIFY(r.headers.empty());
        }
        QVERIFY(validateRecords(batch).has_value());
    }

    void roundTrip_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<std::vector<Record>>("records");
        QTest::addColumn<qint64>("baseOffset");
        for (Compression codec : kCodecs) {
            const char* name = compressionName(codec);
            QTest::addRow("%s-mixed", name) << codec << mixedRecords() << qint64{0};
            QTest::addRow("%s-one", name)
                << codec << std::vector<Record>{rec(5, bytes("k"), bytes("v"))} << qint64{42};
            QTest::addRow("%s-1000-records", name) << codec << manyRecords(1000) << qint64{7000};
            QTest::addRow("%s-negative-timestamps", name)
                << codec
                << std::vector<Record>{rec(-1, bytes("a"), bytes("1")),
                                       rec(-1000000, bytes("b"), bytes("2")),
                                       rec(0, bytes("c"), bytes("3")),
                                       rec(1700000000000, bytes("d"), bytes("4"))}
                << qint64{1};
            QTest::addRow("%s-large-value", name)
                << codec
                << std::vector<Record>{rec(1, std::nullopt, Bytes(300000, 'z')),
                                       rec(2, bytes("after"), Bytes(70000, 0x5a))}
                << qint64{1LL << 40};
        }
    }

    void roundTrip() {
        QFETCH(Compression, codec);
        QFETCH(std::vector<Record>, records);
        QFETCH(qint64, baseOffset);
        BatchBuildOptions options;
        options.compression = codec;
        options.baseOffset = baseOffset;
        const Bytes batch = mustBuild(records, options);
        QCOMPARE(readBe<std::int16_t>(batch, 21) & 0x07, static_cast<int>(codec));
        QCOMPARE(readBe<std::int32_t>(batch, 57), static_cast<std::int32_t>(records.size()));
        QCOMPARE(readBe<std::int32_t>(batch, 23), static_cast<std::int32_t>(records.size()) - 1);

        auto decoded = decodeRecords(batch);
        QVERIFY2(decoded.has_value(), decoded ? "" : decoded.error().message.c_str());
        const auto expected = withOffsets(records, baseOffset);
        QCOMPARE(decoded->size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE((*decoded)[i].offset, expected[i].offset);
            QCOMPARE((*decoded)[i].timestamp, expected[i].timestamp);
            QVERIFY2((*decoded)[i] == expected[i], qPrintable(QString::number(i)));
        }
        QVERIFY(validateRecords(batch).has_value());
    }

    void headerFields() {
        BatchBuildOptions options;
        options.baseOffset = 123456789012;
        options.producerId = 4242;
        options.producerEpoch = 7;
        options.baseSequence = 99;
        options.transactional = true;
        options.partitionLeaderEpoch = 12;
        options.compression = Compression::Lz4;
        const std::vector<Record> records{rec(2000, bytes("a"), bytes("1")),
                                          rec(1990, bytes("b"), bytes("2")),
                                          rec(2500, bytes("c"), bytes("3"))};
        const Bytes batch = mustBuild(records, options);
        QCOMPARE(readBe<std::int64_t>(batch, 0), std::int64_t{123456789012});
        QCOMPARE(readBe<std::int32_t>(batch, 8), static_cast<std::int32_t>(batch.size() - 12));
        QCOMPARE(readBe<std::int32_t>(batch, 12), 12);
        QCOMPARE(batch[16], std::uint8_t{2});
        QCOMPARE(readBe<std::uint32_t>(batch, 17), crc32c(std::span(batch).subspan(21)));
        QCOMPARE(readBe<std::int16_t>(batch, 21), std::int16_t{0x10 | 3}); // transactional, lz4
        QCOMPARE(readBe<std::int32_t>(batch, 23), 2);
        QCOMPARE(readBe<std::int64_t>(batch, 27), std::int64_t{2000}); // first record's
        QCOMPARE(readBe<std::int64_t>(batch, 35), std::int64_t{2500}); // the maximum
        QCOMPARE(readBe<std::int64_t>(batch, 43), std::int64_t{4242});
        QCOMPARE(readBe<std::int16_t>(batch, 51), std::int16_t{7});
        QCOMPARE(readBe<std::int32_t>(batch, 53), 99);
        QCOMPARE(readBe<std::int32_t>(batch, 57), 3);
    }

    void baseTimestampOption() {
        BatchBuildOptions options;
        options.baseTimestamp = 5000;
        const std::vector<Record> records{rec(5100, bytes("a"), bytes("1")),
                                          rec(4900, bytes("b"), bytes("2"))};
        const Bytes batch = mustBuild(records, options);
        QCOMPARE(readBe<std::int64_t>(batch, 27), std::int64_t{5000});
        QCOMPARE(readBe<std::int64_t>(batch, 35), std::int64_t{5100});
        auto decoded = decodeRecords(batch);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{2});
        QCOMPARE((*decoded)[0].timestamp, std::int64_t{5100});
        QCOMPARE((*decoded)[1].timestamp, std::int64_t{4900});
    }

    void logAppendTime_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<qint64>("appendTime");
        QTest::addColumn<qint64>("expected");
        for (Compression codec : {Compression::None, Compression::Zstd}) {
            QTest::addRow("%s-given", compressionName(codec)) << codec << qint64{1800000000000}
                                                             << qint64{1800000000000};
            QTest::addRow("%s-records-max", compressionName(codec))
                << codec << qint64{0} << qint64{1300};
        }
    }

    void logAppendTime() {
        QFETCH(Compression, codec);
        QFETCH(qint64, appendTime);
        QFETCH(qint64, expected);
        BatchBuildOptions options;
        options.compression = codec;
        options.logAppendTime = true;
        options.baseTimestamp = appendTime;
        options.baseOffset = 10;
        const std::vector<Record> records{rec(1200, bytes("a"), bytes("1")),
                                          rec(1300, bytes("b"), bytes("2")),
                                          rec(1100, bytes("c"), bytes("3"))};
        Bytes batch = mustBuild(records, options);
        QCOMPARE(readBe<std::int16_t>(batch, 21) & 0x08, 0x08);
        QCOMPARE(readBe<std::int64_t>(batch, 35), std::int64_t{expected});
        auto decoded = decodeRecords(batch);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{3});
        for (const Record& r : *decoded) {
            QCOMPARE(r.timestamp, std::int64_t{expected});
        }

        // A broker stamping a CreateTime batch: only MaxTimestamp and the attribute bit change.
        Bytes created = mustBuild(records, BatchBuildOptions{.compression = codec});
        writeBe<std::int16_t>(created, 21, readBe<std::int16_t>(created, 21) | 0x08);
        writeBe<std::int64_t>(created, 35, 777);
        fixCrc(created);
        auto stamped = decodeRecords(created);
        QVERIFY(stamped.has_value());
        for (const Record& r : *stamped) {
            QCOMPARE(r.timestamp, std::int64_t{777});
        }
    }

    void concatenatedBatchesAndTruncatedTail_data() {
        QTest::addColumn<int>("cut");
        QTest::newRow("complete") << 0;
        QTest::newRow("tail-missing-1-byte") << 1;
        QTest::newRow("tail-inside-records") << 20;
        QTest::newRow("tail-inside-header") << 60;
        QTest::newRow("tail-only-5-bytes") << -5;
    }

    void concatenatedBatchesAndTruncatedTail() {
        QFETCH(int, cut);
        const std::vector<Record> first{rec(1, bytes("a"), bytes("1")),
                                        rec(2, bytes("b"), bytes("2"))};
        const std::vector<Record> second{rec(3, bytes("c"), bytes("3"))};
        const std::vector<Record> third{rec(4, bytes("d"), Bytes(50, 'd')),
                                        rec(5, bytes("e"), Bytes(50, 'e'))};
        Bytes all = mustBuild(first, {.compression = Compression::Gzip, .baseOffset = 100});
        const Bytes b2 = mustBuild(second, {.compression = Compression::None, .baseOffset = 102});
        Bytes b3 = mustBuild(third, {.compression = Compression::Snappy, .baseOffset = 103});
        all.insert(all.end(), b2.begin(), b2.end());
        if (cut < 0) {
            b3.resize(static_cast<std::size_t>(-cut));
        } else {
            b3.resize(b3.size() - static_cast<std::size_t>(cut));
        }
        all.insert(all.end(), b3.begin(), b3.end());

        auto decoded = decodeRecords(all);
        QVERIFY2(decoded.has_value(), decoded ? "" : decoded.error().message.c_str());
        std::vector<std::int64_t> offsets;
        for (const Record& r : *decoded) {
            offsets.push_back(r.offset);
        }
        const std::vector<std::int64_t> expected =
            cut == 0 ? std::vector<std::int64_t>{100, 101, 102, 103, 104}
                     : std::vector<std::int64_t>{100, 101, 102};
        QCOMPARE(offsets, expected);
        QCOMPARE(decoded->back().value, cut == 0 ? std::optional(Bytes(50, 'e'))
                                                 : std::optional(bytes("3")));
    }

    void emptyBufferDecodesToNothing() {
        auto decoded = decodeRecords({});
        QVERIFY(decoded.has_value());
        QVERIFY(decoded->empty());
    }

    void crcMismatchFails() {
        Bytes batch = mustBuild(mixedRecords(), {});
        batch[70] ^= 0x01; // inside the first record
        auto decoded = decodeRecords(batch);
        QVERIFY(!decoded.has_value());
        QCOMPARE(decoded.error().code, ErrorCode::CorruptMessage);
    }

    void badMagicFails() {
        Bytes batch = mustBuild(mixedRecords(), {});
        batch[16] = 1;
        auto decoded = decodeRecords(batch);
        QVERIFY(!decoded.has_value());
        QCOMPARE(decoded.error().code, ErrorCode::CorruptMessage);
        QVERIFY(!validateRecords(batch).has_value());
    }

    void lengthBelowHeaderFails() {
        Bytes batch = mustBuild(mixedRecords(), {});
        writeBe<std::int32_t>(batch, 8, 20);
        auto decoded = decodeRecords(batch);
        QVERIFY(!decoded.has_value());
        QCOMPARE(decoded.error().code, ErrorCode::CorruptMessage);
    }

    void controlBatchesAreSkipped() {
        // A transaction commit marker: key (version 0, type 1), value (version 0, epoch 0).
        const Bytes marker = record(concat({{0x00, 0x00, 0x00}, {0x08, 0, 0, 0, 1},
                                            {0x0c, 0, 0, 0, 0, 0, 0}, {0x00}}));
        Bytes all = mustBuild({rec(1, bytes("a"), bytes("1"))}, {.baseOffset = 5});
        const Bytes control = makeBatch(marker, 1, 0, 0x10 | 0x20, 6);
        QVERIFY(validateRecords(control).has_value());
        const Bytes after = mustBuild({rec(2, bytes("b"), bytes("2"))}, {.baseOffset = 7});
        all.insert(all.end(), control.begin(), control.end());
        all.insert(all.end(), after.begin(), after.end());
        auto decoded = decodeRecords(all);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{2});
        QCOMPARE((*decoded)[0].offset, std::int64_t{5});
        QCOMPARE((*decoded)[1].offset, std::int64_t{7});
    }

    void corruptRecordSection_data() {
        QTest::addColumn<Bytes>("batch");
        // A well-formed record: attributes 0, timestampDelta 0, offsetDelta <d>, key "k",
        // value "v", no headers.
        auto good = [](std::uint8_t zigzagDelta) {
            return record({0x00, 0x00, zigzagDelta, 0x02, 'k', 0x02, 'v', 0x00});
        };
        QTest::newRow("fewer-records-than-count") << makeBatch(concat({good(0), good(2)}), 3, 2);
        QTest::newRow("bytes-after-last-record")
            << makeBatch(concat({good(0), good(2), {0x00, 0x00}}), 2, 1);
        QTest::newRow("length-larger-than-fields")
            << makeBatch(record({0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00, 0x00}), 1, 0);
        QTest::newRow("length-smaller-than-fields")
            << makeBatch(concat({{0x0c}, {0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00}}), 1, 0);
        QTest::newRow("length-beyond-section")
            << makeBatch(concat({{0x7e}, {0x00, 0x00, 0x00, 0x01, 0x01, 0x00}}), 1, 0);
        QTest::newRow("zero-length-record") << makeBatch({0x00}, 1, 0);
        QTest::newRow("negative-length-record") << makeBatch({0x01, 0x00}, 1, 0);
        QTest::newRow("key-length-minus-2")
            << makeBatch(record({0x00, 0x00, 0x00, 0x03, 0x02, 'v', 0x00}), 1, 0);
        QTest::newRow("key-longer-than-record")
            << makeBatch(record({0x00, 0x00, 0x00, 0x20, 'k', 0x02, 'v', 0x00}), 1, 0);
        QTest::newRow("null-header-key")
            << makeBatch(record({0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01}), 1, 0);
        QTest::newRow("negative-header-count")
            << makeBatch(record({0x00, 0x00, 0x00, 0x01, 0x01, 0x01}), 1, 0);
        QTest::newRow("varint-too-long")
            << makeBatch(record({0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0x01, 0x00, 0x01, 0x01, 0x00}),
                         1, 0);
        QTest::newRow("truncated-offset-delta")
            << makeBatch(record({0x00, 0x00, 0x80}), 1, 0);
        QTest::newRow("negative-record-count") << makeBatch(good(0), -1, 0);

        Bytes gzipGarbage = mustBuild(mixedRecords(), {.compression = Compression::Gzip});
        for (std::size_t i = 75; i < gzipGarbage.size() - 8; ++i) {
            gzipGarbage[i] = static_cast<std::uint8_t>(i * 37);
        }
        fixCrc(gzipGarbage);
        QTest::newRow("gzip-section-garbage") << gzipGarbage;
        QTest::newRow("unknown-codec-7") << makeBatch(good(0), 1, 0, 0x07);

        // A compressed section whose records do not match the count.
        auto section = compress(Compression::Zstd, concat({good(0), good(2)}));
        QVERIFY(section.has_value());
        QTest::newRow("zstd-fewer-records-than-count")
            << makeBatch(*section, 3, 2, static_cast<std::int16_t>(Compression::Zstd));
    }

    void corruptRecordSection() {
        QFETCH(Bytes, batch);
        auto decoded = decodeRecords(batch);
        QVERIFY(!decoded.has_value());
        QCOMPARE(decoded.error().code, ErrorCode::CorruptMessage);
        QVERIFY(!decoded.error().message.empty());
        qInfo("decodeRecords: %s", decoded.error().message.c_str());
        auto valid = validateRecords(batch);
        QVERIFY(!valid.has_value());
        QCOMPARE(valid.error().code, ErrorCode::CorruptMessage);
    }

    void validateRecordsRejects_data() {
        QTest::addColumn<Bytes>("batch");
        auto good = [](std::uint8_t zigzagDelta) {
            return record({0x00, 0x00, zigzagDelta, 0x00, 0x02, 'v', 0x00});
        };
        QTest::newRow("offset-deltas-decrease")
            << makeBatch(concat({good(2), good(0)}), 2, 1);
        QTest::newRow("offset-deltas-repeat") << makeBatch(concat({good(0), good(0)}), 2, 1);
        QTest::newRow("offset-delta-beyond-last")
            << makeBatch(concat({good(0), good(4)}), 2, 1);
        QTest::newRow("negative-offset-delta") << makeBatch(good(1), 1, 0);
        QTest::newRow("count-vs-last-offset-delta")
            << makeBatch(concat({good(0), good(2)}), 2, 2);
        QTest::newRow("no-records") << makeBatch({}, 0, -1);

        const Bytes built = mustBuild(mixedRecords(), {.compression = Compression::Snappy});
        QTest::newRow("two-batches") << concat({built, built});
        QTest::newRow("truncated") << Bytes(built.begin(), built.end() - 1);
        QTest::newRow("shorter-than-header") << Bytes(built.begin(), built.begin() + 40);
        Bytes lz4Deltas = makeBatch(
            *compress(Compression::Lz4, concat({good(0), good(4), good(2)})), 3, 2,
            static_cast<std::int16_t>(Compression::Lz4));
        QTest::newRow("lz4-offset-deltas-out-of-order") << lz4Deltas;
    }

    void validateRecordsRejects() {
        QFETCH(Bytes, batch);
        auto valid = validateRecords(batch);
        QVERIFY(!valid.has_value());
        QCOMPARE(valid.error().code, ErrorCode::CorruptMessage);
        QVERIFY(!valid.error().message.empty());
        qInfo("validateRecords: %s", valid.error().message.c_str());
    }

    // validateRecords decides by a walk without a parse and parses only to say what is wrong; the
    // two must agree on every section. Valid sections from the builder and by hand (multi-byte
    // and overlong varints, null keys, values and header values, large values), then ~40,000
    // mutations of them: bytes changed, cut, added, and the declared count and last offset delta
    // moved by one.
    void fastWalkAgreesWithParse() {
        struct Section {
            Bytes bytes;
            std::int32_t count;
        };
        std::vector<Section> sources;
        auto built = [&](const std::vector<Record>& records) {
            const Bytes batch = mustBuild(records, {});
            sources.push_back(
                {Bytes(batch.begin() + 61, batch.end()), readBe<std::int32_t>(batch, 57)});
        };
        built(mixedRecords());
        built(manyRecords(40));
        built(kafkaPythonRecords());
        built({rec(1, std::nullopt, Bytes(300, 'a'), {{"h", Bytes(200, 'b')}}),
               rec(-5000000000, bytes("k"), Bytes(70000, 'c'))});
        // A record length, a timestamp delta and a null key length in 5-byte varints, a 10-byte
        // timestamp delta: well-formed, just long.
        const Bytes longRecord{0x00, 0x82, 0x80, 0x80, 0x80, 0x00, 0x02, 0x81,
                               0x80, 0x80, 0x80, 0x00, 0x02, 'v',  0x00};
        const Bytes longLength{0x9e, 0x80, 0x80, 0x80, 0x00}; // 15
        sources.push_back(
            {concat({record({0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00}), longLength, longRecord}),
             2});
        const Bytes tenByteTimestamp{0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x01, 0x00, 0x01, 0x00, 0x00};
        sources.push_back({record(tenByteTimestamp), 1});

        auto agree = [](const Bytes& section, std::int32_t count, std::int32_t lastOffsetDelta) {
            const bool fast = detail::recordsWellFormed(section, count, lastOffsetDelta);
            const auto parsed = detail::recordsErrorByParsing(section, count, lastOffsetDelta);
            if (fast != parsed.has_value()) {
                QByteArray hex = QByteArray(reinterpret_cast<const char*>(section.data()),
                                            static_cast<qsizetype>(section.size()))
                                     .toHex();
                qWarning("walk %d, parse %s; count %d, last delta %d, section %s", fast,
                         parsed ? "ok" : parsed.error().message.c_str(), count, lastOffsetDelta,
                         hex.left(400).constData());
                return false;
            }
            return fast;
        };
        for (const Section& source : sources) {
            QVERIFY(agree(source.bytes, source.count, source.count - 1));
        }
        // Malformed by hand, each refused by both walks.
        const Bytes sixByteLength{0x82, 0x80, 0x80, 0x80, 0x80, 0x00};
        const Bytes beyondInt32{0xfe, 0xff, 0xff, 0xff, 0x7f}; // zigzag 2^34 - 1
        const std::vector<Bytes> malformed{
            concat({sixByteLength, Bytes{0x00, 0x00}}),
            concat({beyondInt32, Bytes{0x00, 0x00}}),
            record(concat({Bytes{0x00, 0x00}, beyondInt32, Bytes{0x01, 0x01, 0x00}})), // delta
            record({0x00, 0x00, 0x00, 0x03, 0x01, 0x00}),             // key length -2
            record({0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01}), // null header key
            record({0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00}),       // a byte after the headers
        };
        for (const Bytes& section : malformed) {
            QVERIFY(!detail::recordsWellFormed(section, 1, 0));
            QVERIFY(!detail::recordsErrorByParsing(section, 1, 0).has_value());
        }

        std::mt19937 random(20261126);
        auto below = [&](std::size_t n) {
            return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
        };
        int accepted = 0;
        int rejected = 0;
        for (int i = 0; i < 40000; ++i) {
            const Section& source = sources[below(sources.size())];
            Bytes section = source.bytes;
            std::int32_t count = source.count;
            std::int32_t lastOffsetDelta = count - 1;
            switch (below(6)) {
            case 0: // change 1-3 bytes, near the start half the time (lengths, deltas, counts)
            case 1:
                for (std::size_t n = 1 + below(3); n-- > 0;) {
                    const std::size_t at = below(2) == 0
                                               ? below(std::min<std::size_t>(section.size(), 24))
                                               : below(section.size());
                    section[at] = static_cast<std::uint8_t>(below(256));
                }
                break;
            case 2: // one byte set to a value that breaks varints or flips a sign
                section[below(section.size())] =
                    std::array<std::uint8_t, 6>{0x00, 0x01, 0x7f, 0x80, 0xff, 0x81}[below(6)];
                break;
            case 3:
                section.resize(below(section.size()));
                break;
            case 4:
                for (std::size_t n = 1 + below(3); n-- > 0;) {
                    section.insert(section.begin() +
                                       static_cast<std::ptrdiff_t>(below(section.size() + 1)),
                                   static_cast<std::uint8_t>(below(256)));
                }
                break;
            default: // the header's claims off by one
                count += below(2) == 0 ? -1 : 1;
                lastOffsetDelta += static_cast<std::int32_t>(below(3)) - 1;
                break;
            }
            const bool fast = detail::recordsWellFormed(section, count, lastOffsetDelta);
            QVERIFY2(fast == detail::recordsErrorByParsing(section, count, lastOffsetDelta)
                                 .has_value() ||
                         (agree(section, count, lastOffsetDelta), false),
                     qPrintable(QString("mutation %1").arg(i)));
            (fast ? accepted : rejected) += 1;
        }
        qInfo("mutated sections: %d well-formed, %d not", accepted, rejected);
        QVERIFY(accepted > 1000); // changed value bytes stay well-formed
        QVERIFY(rejected > 10000);
    }

    void validateRecordsAcceptsHandWrittenBatch() {
        const Bytes section = concat({record({0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00}),
                                      record({0x00, 0x02, 0x02, 0x01, 0x02, 'b', 0x00}),
                                      record({0x00, 0x04, 0x04, 0x01, 0x02, 'c', 0x00})});
        const Bytes batch = makeBatch(section, 3, 2, 0, 50);
        QVERIFY(validateRecords(batch).has_value());
        auto decoded = decodeRecords(batch);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{3});
        QCOMPARE((*decoded)[2].offset, std::int64_t{52});
        QCOMPARE((*decoded)[2].timestamp, std::int64_t{1002});
        QCOMPARE((*decoded)[2].value, std::optional(bytes("c")));
        QVERIFY(!(*decoded)[2].key.has_value());
    }

    // recompressBatch (a topic's compression.type): every codec to every codec, the records
    // section the same once decompressed, every header field the same but Length, the codec
    // bits and the CRC.
    void recompressBatchKeepsEverything_data() {
        QTest::addColumn<Compression>("from");
        QTest::addColumn<Compression>("to");
        for (Compression from : kCodecs) {
            for (Compression to : kCodecs) {
                QTest::addRow("%s-to-%s", compressionName(from), compressionName(to)) << from << to;
            }
        }
    }

    void recompressBatchKeepsEverything() {
        QFETCH(Compression, from);
        QFETCH(Compression, to);
        BatchBuildOptions options;
        options.compression = from;
        options.baseOffset = 77;
        options.producerId = 4242;
        options.producerEpoch = 7;
        options.baseSequence = 99;
        options.transactional = true;
        options.partitionLeaderEpoch = 12;
        options.baseTimestamp = 900; // not the first record's timestamp: kept as it is
        const auto records = mixedRecords();
        const Bytes batch = mustBuild(records, options);
        auto rebuilt = recompressBatch(batch, to);
        QVERIFY2(rebuilt.has_value(), rebuilt ? "" : rebuilt.error().message.c_str());
        const Bytes& out = *rebuilt;
        QVERIFY(validateBatch(out).has_value());
        QVERIFY(validateRecords(out).has_value());
        QCOMPARE(readBe<std::int32_t>(out, 8), static_cast<std::int32_t>(out.size() - 12));
        QCOMPARE(readBe<std::uint32_t>(out, 17), crc32c(std::span(out).subspan(21)));
        QCOMPARE(readBe<std::int16_t>(out, 21), static_cast<std::int16_t>(0x10 | int(to)));
        // BaseOffset, PartitionLeaderEpoch, Magic; LastOffsetDelta .. RecordCount.
        QVERIFY(std::equal(out.begin(), out.begin() + 8, batch.begin()));
        QVERIFY(std::equal(out.begin() + 12, out.begin() + 17, batch.begin() + 12));
        QVERIFY(std::equal(out.begin() + 23, out.begin() + 61, batch.begin() + 23));
        const auto plain = [](const Bytes& b) {
            const auto codec = static_cast<Compression>(readBe<std::int16_t>(b, 21) & 0x07);
            const auto section = std::span(b).subspan(61);
            return codec == Compression::None ? Bytes(section.begin(), section.end())
                                              : decompress(codec, section).value_or(Bytes{});
        };
        QCOMPARE(plain(out), plain(batch));
        QVERIFY(!plain(out).empty());
        if (from == to) {
            QCOMPARE(out.size(), batch.size());
        }
        auto decoded = decodeRecords(out);
        QVERIFY(decoded.has_value());
        QCOMPARE(*decoded, *decodeRecords(batch));
    }

    // forEachRecordSummary: index, offset, timestamp and key presence of each record, compressed
    // or not; stops when asked to.
    void recordSummaries_data() {
        QTest::addColumn<Compression>("codec");
        for (Compression codec : kCodecs) {
            QTest::addRow("%s", compressionName(codec)) << codec;
        }
    }

    void recordSummaries() {
        QFETCH(Compression, codec);
        BatchBuildOptions options;
        options.compression = codec;
        options.baseOffset = 10;
        const std::vector<Record> records{
            rec(2000, bytes("a"), bytes("1")), rec(-1, std::nullopt, bytes("2")),
            rec(1990, Bytes{}, std::nullopt), rec(2500, std::nullopt, bytes("4"))};
        const Bytes batch = mustBuild(records, options);
        std::vector<RecordSummary> seen;
        forEachRecordSummary(batch, [&](const RecordSummary& r) {
            seen.push_back(r);
            return true;
        });
        QCOMPARE(seen.size(), records.size());
        for (std::size_t i = 0; i < records.size(); ++i) {
            QCOMPARE(seen[i].index, static_cast<std::int32_t>(i));
            QCOMPARE(seen[i].offset, 10 + static_cast<std::int64_t>(i));
            QCOMPARE(seen[i].timestamp, records[i].timestamp);
            QCOMPARE(seen[i].hasKey, records[i].key.has_value());
        }
        int visits = 0;
        forEachRecordSummary(batch, [&](const RecordSummary& r) {
            ++visits;
            return r.hasKey;
        });
        QCOMPARE(visits, 2);
    }

    // ListOffsets -3 (KAFKA-16310): the first record carrying the batch's MaxTimestamp, found
    // inside compressed batches too, not the batch's first or last offset.
    void offsetOfMaxTimestamp_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<bool>("logAppendTime");
        QTest::addColumn<std::vector<std::int64_t>>("timestamps");
        QTest::addColumn<qint64>("expected");
        const std::vector<std::int64_t> outOfOrder{1000, 2000, 9000, 3000, 4000};
        const std::vector<std::int64_t> ties{1000, 9000, 2000, 9000, 4000};
        for (Compression codec : kCodecs) {
            const char* name = compressionName(codec);
            QTest::addRow("%s-out-of-order", name) << codec << false << outOfOrder << qint64{42};
            QTest::addRow("%s-tie-first-wins", name) << codec << false << ties << qint64{41};
            QTest::addRow("%s-max-last", name)
                << codec << false << std::vector<std::int64_t>{1, 2, 3} << qint64{42};
            QTest::addRow("%s-one-record", name)
                << codec << false << std::vector<std::int64_t>{5} << qint64{40};
            QTest::addRow("%s-log-append-time", name) << codec << true << outOfOrder << qint64{40};
        }
    }

    void offsetOfMaxTimestamp() {
        QFETCH(Compression, codec);
        QFETCH(bool, logAppendTime);
        QFETCH(std::vector<std::int64_t>, timestamps);
        QFETCH(qint64, expected);
        std::vector<Record> records;
        for (std::int64_t ts : timestamps) {
            records.push_back(rec(1'700'000'000'000 + ts, bytes("k"), Bytes(30, 'v')));
        }
        Bytes batch = mustBuild(records, {.compression = codec,
                                          .baseOffset = 40,
                                          .baseTimestamp = logAppendTime ? 1'800'000'000'000 : 0,
                                          .logAppendTime = logAppendTime});
        QCOMPARE(faultline::protocol::offsetOfMaxTimestamp(batch),
                 std::optional<std::int64_t>(expected));
        // A read from the log may hand over more bytes than the batch: they are not its records.
        const Bytes next =
            mustBuild({rec(1'900'000'000'000, bytes("z"), bytes("z"))},
                      {.baseOffset = 40 + static_cast<std::int64_t>(records.size())});
        batch.insert(batch.end(), next.begin(), next.end());
        QCOMPARE(faultline::protocol::offsetOfMaxTimestamp(batch),
                 std::optional<std::int64_t>(expected));
    }

    void offsetOfMaxTimestampRefusesWhatItCannotRead() {
        Bytes batch = mustBuild({rec(1, bytes("a"), bytes("1")), rec(5, bytes("b"), bytes("2"))},
                                {.compression = Compression::Lz4});
        QCOMPARE(
            faultline::protocol::offsetOfMaxTimestamp(Bytes(batch.begin(), batch.begin() + 40)),
            std::nullopt);
        // A MaxTimestamp no record carries.
        writeBe<std::int64_t>(batch, 35, 99);
        fixCrc(batch);
        QCOMPARE(faultline::protocol::offsetOfMaxTimestamp(batch), std::nullopt);
        // A damaged compressed section.
        Bytes damaged =
            mustBuild({rec(1, bytes("a"), bytes("1"))}, {.compression = Compression::Zstd});
        damaged[kBatchHeaderSize + 2] ^= 0xff;
        QCOMPARE(faultline::protocol::offsetOfMaxTimestamp(damaged), std::nullopt);
    }

    void buildRejectsEmpty() {
        auto batch = buildBatch({}, {});
        QVERIFY(!batch.has_value());
        QCOMPARE(batch.error().code, ErrorCode::InvalidRecord);
    }
};

QTEST_APPLESS_MAIN(TestRecords)
#include "test_records.moc"
