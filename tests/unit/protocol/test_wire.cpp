// Kafka wire primitives: byte layouts, varint edge cases, nullability, hostile input.
#include "engine/protocol/messages/fetch.h"
#include "engine/protocol/wire.h"

#include <QTest>

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

using namespace faultline::protocol;
using Bytes = std::vector<std::uint8_t>;
Q_DECLARE_METATYPE(Bytes)

namespace {
template <typename F> Bytes written(F&& f) {
    Bytes out;
    Writer w(out);
    f(w);
    return out;
}

// Bytes outside the writer's buffer, as a log segment slice is: counts its copies, can fail.
class TestExternal final : public ExternalBytes {
public:
    explicit TestExternal(Bytes data, bool readable = true)
        : m_data(std::move(data)), m_readable(readable) {}
    std::size_t size() const override { return m_data.size(); }
    bool copyTo(std::uint8_t* out) const override {
        ++m_copies;
        if (!m_readable) {
            return false;
        }
        std::copy(m_data.begin(), m_data.end(), out);
        return true;
    }
    const Bytes& data() const { return m_data; }
    int copies() const { return m_copies; }

private:
    Bytes m_data;
    bool m_readable;
    mutable int m_copies = 0;
};

Bytes pattern(std::size_t n, std::uint8_t seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) {
        b[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 8));
    }
    return b;
}

// What a transport puts on the wire: the body with every splice's bytes inserted at its offset.
Bytes assemble(const Bytes& body, const std::vector<Splice>& splices) {
    Bytes out;
    std::size_t at = 0;
    for (const auto& s : splices) {
        if (s.offset < at || s.offset > body.size()) {
            qWarning("splice at %zu out of order (previous end %zu, body %zu)", s.offset, at,
                     body.size());
            return {};
        }
        out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(at),
                   body.begin() + static_cast<std::ptrdiff_t>(s.offset));
        const Records bytes = s.records.materialized();
        out.insert(out.end(), bytes.bytes.begin(), bytes.bytes.end());
        at = s.offset;
    }
    out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(at), body.end());
    return out;
}

// The length prefix writeRecords puts before n bytes.
Bytes recordsPrefix(std::int64_t n, bool compact) {
    return written([&](Writer& w) {
        if (compact) {
            w.writeUnsignedVarint(static_cast<std::uint32_t>(n + 1));
        } else {
            w.writeInt32(static_cast<std::int32_t>(n));
        }
    });
}
} // namespace

class TestWire : public QObject {
    Q_OBJECT
private slots:
    void fixedWidth() {
        const Bytes b = written([](Writer& w) {
            w.writeInt8(-2);
            w.writeInt16(0x0102);
            w.writeInt32(-1);
            w.writeInt64(0x0102030405060708LL);
            w.writeUint16(0xfffe);
            w.writeUint32(0x80000000U);
            w.writeBool(true);
            w.writeFloat64(1.5);
        });
        const Bytes expected{0xfe, 0x01, 0x02, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04,
                             0x05, 0x06, 0x07, 0x08, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x01,
                             0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
        QCOMPARE(b, expected);
        Reader r(b);
        QCOMPARE(r.readInt8(), std::int8_t{-2});
        QCOMPARE(r.readInt16(), std::int16_t{0x0102});
        QCOMPARE(r.readInt32(), -1);
        QCOMPARE(r.readInt64(), std::int64_t{0x0102030405060708LL});
        QCOMPARE(r.readUint16(), std::uint16_t{0xfffe});
        QCOMPARE(r.readUint32(), 0x80000000U);
        QCOMPARE(r.readBool(), true);
        QCOMPARE(r.readFloat64(), 1.5);
        QVERIFY(r.ok());
        QCOMPARE(r.remaining(), std::size_t{0});
    }

    void varint_data() {
        QTest::addColumn<int>("value");
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("0") << 0 << Bytes{0x00};
        QTest::newRow("-1") << -1 << Bytes{0x01};
        QTest::newRow("1") << 1 << Bytes{0x02};
        QTest::newRow("-64") << -64 << Bytes{0x7f};
        QTest::newRow("64") << 64 << Bytes{0x80, 0x01};
        QTest::newRow("INT32_MAX") << std::numeric_limits<std::int32_t>::max()
                                   << Bytes{0xfe, 0xff, 0xff, 0xff, 0x0f};
        QTest::newRow("INT32_MIN") << std::numeric_limits<std::int32_t>::min()
                                   << Bytes{0xff, 0xff, 0xff, 0xff, 0x0f};
    }
    void varint() {
        QFETCH(int, value);
        QFETCH(Bytes, bytes);
        QCOMPARE(written([&](Writer& w) { w.writeVarint(value); }), bytes);
        QCOMPARE(varintSize(value), bytes.size());
        Reader r(bytes);
        QCOMPARE(r.readVarint(), value);
        QVERIFY(r.ok());
        QCOMPARE(r.remaining(), std::size_t{0});
    }

    void varlong_data() {
        QTest::addColumn<qint64>("value");
        QTest::addColumn<int>("size");
        QTest::newRow("0") << qint64{0} << 1;
        QTest::newRow("-1") << qint64{-1} << 1;
        QTest::newRow("INT64_MAX") << std::numeric_limits<qint64>::max() << 10;
        QTest::newRow("INT64_MIN") << std::numeric_limits<qint64>::min() << 10;
        QTest::newRow("300") << qint64{300} << 2;
    }
    void varlong() {
        QFETCH(qint64, value);
        QFETCH(int, size);
        const Bytes b = written([&](Writer& w) { w.writeVarlong(value); });
        QCOMPARE(b.size(), std::size_t(size));
        QCOMPARE(varlongSize(value), std::size_t(size));
        Reader r(b);
        QCOMPARE(r.readVarlong(), std::int64_t{value});
        QVERIFY(r.ok());
    }

    void unsignedVarint_data() {
        QTest::addColumn<uint>("value");
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("0") << 0U << Bytes{0x00};
        QTest::newRow("127") << 127U << Bytes{0x7f};
        QTest::newRow("128") << 128U << Bytes{0x80, 0x01};
        QTest::newRow("16384") << 16384U << Bytes{0x80, 0x80, 0x01};
        QTest::newRow("UINT32_MAX (5 bytes)") << 0xffffffffU << Bytes{0xff, 0xff, 0xff, 0xff, 0x0f};
        QTest::newRow("2^28 (5 bytes)") << (1U << 28) << Bytes{0x80, 0x80, 0x80, 0x80, 0x01};
    }
    void unsignedVarint() {
        QFETCH(uint, value);
        QFETCH(Bytes, bytes);
        QCOMPARE(written([&](Writer& w) { w.writeUnsignedVarint(value); }), bytes);
        QCOMPARE(unsignedVarintSize(value), bytes.size());
        Reader r(bytes);
        QCOMPARE(r.readUnsignedVarint(), value);
        QVERIFY(r.ok());
    }

    void malformedVarint_data() {
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("truncated") << Bytes{0x80, 0x80};
        QTest::newRow("six bytes") << Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
        QTest::newRow("overflow in 5th byte") << Bytes{0xff, 0xff, 0xff, 0xff, 0x1f};
        QTest::newRow("empty") << Bytes{};
    }
    void malformedVarint() {
        QFETCH(Bytes, bytes);
        Reader r(bytes);
        (void)r.readUnsignedVarint();
        QVERIFY(!r.ok());
        // Sticky: later reads return defaults and keep failing.
        QCOMPARE(r.readInt32(), 0);
        QVERIFY(!r.ok());
        QCOMPARE(r.remaining(), std::size_t{0});
    }

    void strings_data() {
        QTest::addColumn<bool>("compact");
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("classic") << false << Bytes{0x00, 0x02, 'h', 'i'};
        QTest::newRow("compact") << true << Bytes{0x03, 'h', 'i'};
    }
    void strings() {
        QFETCH(bool, compact);
        QFETCH(Bytes, bytes);
        QCOMPARE(written([&](Writer& w) { w.writeString("hi", compact); }), bytes);
        Reader r(bytes);
        QCOMPARE(r.readString(compact), std::string("hi"));
        QVERIFY(r.ok());
        Reader r2(bytes);
        QCOMPARE(r2.readNullableString(compact), std::optional<std::string>("hi"));
    }

    void nulls_data() {
        QTest::addColumn<bool>("compact");
        QTest::addColumn<Bytes>("nullString");
        QTest::addColumn<Bytes>("nullBytes");
        QTest::addColumn<Bytes>("nullArray");
        QTest::newRow("classic") << false << Bytes{0xff, 0xff} << Bytes{0xff, 0xff, 0xff, 0xff}
                                 << Bytes{0xff, 0xff, 0xff, 0xff};
        QTest::newRow("compact") << true << Bytes{0x00} << Bytes{0x00} << Bytes{0x00};
    }
    void nulls() {
        QFETCH(bool, compact);
        QFETCH(Bytes, nullString);
        QFETCH(Bytes, nullBytes);
        QFETCH(Bytes, nullArray);
        QCOMPARE(written([&](Writer& w) { w.writeNullableString(std::nullopt, compact); }), nullString);
        QCOMPARE(written([&](Writer& w) { w.writeNullableBytes(std::nullopt, compact); }), nullBytes);
        QCOMPARE(written([&](Writer& w) { w.writeRecords(Records{}, compact); }), nullBytes);
        QCOMPARE(written([&](Writer& w) { w.writeArrayLength(-1, compact); }), nullArray);
        {
            Reader r(nullString);
            QCOMPARE(r.readNullableString(compact), std::nullopt);
            QVERIFY(r.ok());
        }
        {
            Reader r(nullString); // null where a string is required
            (void)r.readString(compact);
            QVERIFY(!r.ok());
        }
        {
            Reader r(nullBytes);
            QCOMPARE(r.readNullableBytes(compact), std::nullopt);
            QVERIFY(r.ok());
            Reader r2(nullBytes);
            QVERIFY(r2.readRecords(compact).isNull);
            QVERIFY(r2.ok());
            Reader r3(nullBytes);
            (void)r3.readBytes(compact);
            QVERIFY(!r3.ok());
        }
        {
            Reader r(nullArray);
            QCOMPARE(r.readArrayLength(compact), -1);
            QVERIFY(r.ok());
        }
    }

    void bytesAndRecords() {
        const Bytes payload{1, 2, 3};
        const Bytes classic = written([&](Writer& w) { w.writeBytes(payload, false); });
        QCOMPARE(classic, (Bytes{0, 0, 0, 3, 1, 2, 3}));
        const Bytes compact = written([&](Writer& w) { w.writeBytes(payload, true); });
        QCOMPARE(compact, (Bytes{4, 1, 2, 3}));
        // Zero copy: records read through an owning reader point into the owner's buffer.
        auto owner = std::make_shared<const Bytes>(classic);
        Reader r(owner, *owner);
        const Records rec = r.readRecords(false);
        QVERIFY(r.ok());
        QVERIFY(!rec.isNull);
        QCOMPARE(rec.size(), std::size_t{3});
        QCOMPARE(rec.bytes.data(), owner->data() + 4);
        QCOMPARE(rec.owner.get(), owner.get());
        QVERIFY(rec == Records::copyOf(payload));
        QVERIFY(!(rec == Records{}));
        QCOMPARE(written([&](Writer& w) { w.writeRecords(rec, false); }), classic);
    }

    void uuid() {
        Uuid id{};
        for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i);
        const Bytes b = written([&](Writer& w) { w.writeUuid(id); });
        QCOMPARE(b.size(), std::size_t{16});
        Reader r(b);
        QCOMPARE(r.readUuid(), id);
    }

    void taggedFieldsSkipped() {
        // 2 tagged fields: tag 0 with 3 bytes, tag 5 with 1 byte; then an int8 that must be read.
        const Bytes b{0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x05, 0x01, 0xdd, 0x7f};
        Reader r(b);
        r.skipTaggedFields();
        QVERIFY(r.ok());
        QCOMPARE(r.readInt8(), std::int8_t{0x7f});
        QCOMPARE(r.remaining(), std::size_t{0});
        const Bytes truncated{0x01, 0x00, 0x05, 0xaa};
        Reader t(truncated);
        t.skipTaggedFields();
        QVERIFY(!t.ok());
        QCOMPARE(written([](Writer& w) { w.writeEmptyTaggedFields(); }), Bytes{0x00});
    }

    void truncated_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("int32") << 0 << Bytes{0, 0, 1};
        QTest::newRow("int64") << 1 << Bytes{0, 0, 0, 0, 0, 0, 1};
        QTest::newRow("string body") << 2 << Bytes{0, 5, 'a', 'b'};
        QTest::newRow("compact string body") << 3 << Bytes{6, 'a', 'b'};
        QTest::newRow("bytes body") << 4 << Bytes{0, 0, 0, 9, 1};
        QTest::newRow("uuid") << 5 << Bytes{1, 2, 3};
        QTest::newRow("negative string length") << 2 << Bytes{0xff, 0xfe};
    }
    void truncated() {
        QFETCH(int, kind);
        QFETCH(Bytes, bytes);
        Reader r(bytes);
        switch (kind) {
        case 0: (void)r.readInt32(); break;
        case 1: (void)r.readInt64(); break;
        case 2: (void)r.readNullableString(false); break;
        case 3: (void)r.readString(true); break;
        case 4: (void)r.readNullableBytes(false); break;
        default: (void)r.readUuid(); break;
        }
        QVERIFY(!r.ok());
    }

    void hugeLengthsFailWithoutAllocating_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<Bytes>("bytes");
        QTest::newRow("array 2^31-1") << 0 << Bytes{0x7f, 0xff, 0xff, 0xff, 0, 0};
        QTest::newRow("compact array 2^32-2") << 1 << Bytes{0xff, 0xff, 0xff, 0xff, 0x0f, 0};
        QTest::newRow("bytes 2^31-1") << 2 << Bytes{0x7f, 0xff, 0xff, 0xff, 1, 2};
        QTest::newRow("records 2^31-1") << 3 << Bytes{0x7f, 0xff, 0xff, 0xff, 1, 2};
        QTest::newRow("string 32767") << 4 << Bytes{0x7f, 0xff, 'a'};
        QTest::newRow("array -2") << 0 << Bytes{0xff, 0xff, 0xff, 0xfe};
    }
    void hugeLengthsFailWithoutAllocating() {
        QFETCH(int, kind);
        QFETCH(Bytes, bytes);
        Reader r(bytes);
        switch (kind) {
        case 0: QCOMPARE(r.readArrayLength(false), 0); break;
        case 1: QCOMPARE(r.readArrayLength(true), 0); break;
        case 2: QVERIFY(r.readBytes(false).empty()); break;
        case 3: QVERIFY(r.readRecords(false).isNull); break;
        default: QVERIFY(r.readString(false).empty()); break;
        }
        QVERIFY(!r.ok());
    }

    void arrayLengthWithinRemaining() {
        const Bytes b{0, 0, 0, 2, 1, 2};
        Reader r(b);
        QCOMPARE(r.readArrayLength(false), 2);
        QVERIFY(r.ok());
        QCOMPARE(r.position(), std::size_t{4});
        QCOMPARE(r.rest().size(), std::size_t{2});
        r.skip(3);
        QVERIFY(!r.ok());
    }

    // ---- Writer with splices (zero-copy records) ----------------------------------------------

    void spliceThreshold_data() {
        QTest::addColumn<bool>("compact");
        QTest::addColumn<int>("size");
        QTest::addColumn<bool>("spliced");
        for (bool compact : {false, true}) {
            const char* enc = compact ? "compact" : "classic";
            const int min = static_cast<int>(Writer::kSpliceMinBytes);
            QTest::addRow("%s empty", enc) << compact << 0 << false;
            QTest::addRow("%s 100 bytes", enc) << compact << 100 << false;
            QTest::addRow("%s one below the threshold", enc) << compact << min - 1 << false;
            QTest::addRow("%s at the threshold", enc) << compact << min << true;
            QTest::addRow("%s 300 KiB", enc) << compact << 300 * 1024 << true;
        }
    }
    void spliceThreshold() {
        QFETCH(bool, compact);
        QFETCH(int, size);
        QFETCH(bool, spliced);
        const Bytes payload = pattern(static_cast<std::size_t>(size), 7);
        auto owner = std::make_shared<const Bytes>(payload);
        const Records records = Records::share(owner);
        Bytes body;
        std::vector<Splice> splices;
        Writer w(body, &splices);
        w.writeInt16(0x0102); // something before, so the offset is not trivially 0
        w.writeRecords(records, compact);
        const std::size_t afterRecords = body.size();
        w.writeInt8(0x7f); // and something after
        const Bytes prefix = recordsPrefix(size, compact);
        Bytes expectedHead{0x01, 0x02};
        expectedHead.insert(expectedHead.end(), prefix.begin(), prefix.end());
        if (spliced) {
            // Only the length prefix is in the body; the splice points right after it.
            QCOMPARE(splices.size(), std::size_t{1});
            QCOMPARE(splices[0].offset, 2 + prefix.size());
            QCOMPARE(afterRecords, 2 + prefix.size());
            QVERIFY(!splices[0].records.isNull);
            QCOMPARE(splices[0].records.size(), payload.size());
            // Zero copy: the splice shares the caller's buffer.
            QCOMPARE(splices[0].records.bytes.data(), owner->data());
            QCOMPARE(splices[0].records.owner.get(), static_cast<const void*>(owner.get()));
            Bytes expectedBody = expectedHead;
            expectedBody.push_back(0x7f);
            QCOMPARE(body, expectedBody);
        } else {
            QVERIFY(splices.empty());
            Bytes expectedBody = expectedHead;
            expectedBody.insert(expectedBody.end(), payload.begin(), payload.end());
            expectedBody.push_back(0x7f);
            QCOMPARE(body, expectedBody);
        }
        // Either way the assembled bytes are the plain Writer's.
        const Bytes plain = written([&](Writer& pw) {
            pw.writeInt16(0x0102);
            pw.writeRecords(records, compact);
            pw.writeInt8(0x7f);
        });
        QCOMPARE(assemble(body, splices), plain);
        // And they decode back to the same records.
        Reader r(plain);
        QCOMPARE(r.readInt16(), std::int16_t{0x0102});
        QVERIFY(r.readRecords(compact) == records);
        QCOMPARE(r.readInt8(), std::int8_t{0x7f});
        QVERIFY(r.ok());
        QCOMPARE(r.remaining(), std::size_t{0});
    }

    void spliceNullRecords_data() {
        QTest::addColumn<bool>("compact");
        QTest::newRow("classic") << false;
        QTest::newRow("compact") << true;
    }
    void spliceNullRecords() {
        QFETCH(bool, compact);
        Bytes body;
        std::vector<Splice> splices;
        Writer w(body, &splices);
        w.writeRecords(Records{}, compact);
        QVERIFY(splices.empty());
        QCOMPARE(body, (compact ? Bytes{0x00} : Bytes{0xff, 0xff, 0xff, 0xff}));
        // Non-null but empty is a zero length, not null.
        body.clear();
        w.writeRecords(Records::copyOf({}), compact);
        QVERIFY(splices.empty());
        QCOMPARE(body, (compact ? Bytes{0x01} : Bytes{0, 0, 0, 0}));
    }

    void spliceExternalIsNotCopied_data() {
        QTest::addColumn<bool>("compact");
        QTest::newRow("classic") << false;
        QTest::newRow("compact") << true;
    }
    void spliceExternalIsNotCopied() {
        QFETCH(bool, compact);
        auto large = std::make_shared<const TestExternal>(pattern(Writer::kSpliceMinBytes * 2, 3));
        auto small = std::make_shared<const TestExternal>(pattern(500, 9));
        Bytes body;
        std::vector<Splice> splices;
        Writer w(body, &splices);
        w.writeRecords(Records::fromExternal(large), compact);
        w.writeRecords(Records::fromExternal(small), compact);
        // The large one is left to the transport, never read by the encoder.
        QCOMPARE(large->copies(), 0);
        QCOMPARE(splices.size(), std::size_t{1});
        QCOMPARE(splices[0].records.external.get(), static_cast<const ExternalBytes*>(large.get()));
        const Bytes largePrefix = recordsPrefix(static_cast<std::int64_t>(large->size()), compact);
        QCOMPARE(splices[0].offset, largePrefix.size());
        // The small one is materialized in place.
        QCOMPARE(small->copies(), 1);
        Bytes expected = largePrefix;
        const Bytes smallPrefix = recordsPrefix(500, compact);
        expected.insert(expected.end(), smallPrefix.begin(), smallPrefix.end());
        expected.insert(expected.end(), small->data().begin(), small->data().end());
        QCOMPARE(body, expected);
    }

    // A FetchResponse with several partitions of every kind: the body and its splices, written in
    // order, are exactly what the plain Writer produces, and decode to the same response.
    void fetchResponseSplicedEqualsPlain_data() {
        QTest::addColumn<int>("version");
        QTest::newRow("v7 (classic)") << 7;
        QTest::newRow("v11 (classic)") << 11;
        QTest::newRow("v12 (flexible)") << 12;
    }
    void fetchResponseSplicedEqualsPlain() {
        QFETCH(int, version);
        const auto v = static_cast<std::int16_t>(version);
        const std::size_t min = Writer::kSpliceMinBytes;
        struct Part {
            const char* topic;
            std::int32_t index;
            Records records;
            bool spliced;
            const void* data; // where a spliced record's bytes must come from
        };
        auto inMemory = [](std::size_t n, std::uint8_t seed) {
            return Records::share(std::make_shared<const Bytes>(pattern(n, seed)));
        };
        auto external = [](std::size_t n, std::uint8_t seed) {
            return Records::fromExternal(std::make_shared<const TestExternal>(pattern(n, seed)));
        };
        std::vector<Part> parts = {
            {"alpha", 0, inMemory(100 * 1024, 1), true, nullptr},
            {"alpha", 1, Records{}, false, nullptr},
            {"alpha", 2, inMemory(200, 2), false, nullptr},
            {"alpha", 3, external(min, 3), true, nullptr},
            {"beta", 0, Records::copyOf({}), false, nullptr},
            {"beta", 1, external(min - 1, 4), false, nullptr},
            {"beta", 2, inMemory(min + 1, 5), true, nullptr},
            {"beta", 3, external(64 * 1024 + 3, 6), true, nullptr},
        };
        FetchResponse response;
        response.throttleTimeMs = 7;
        response.sessionId = 42;
        for (auto& p : parts) {
            if (response.responses.empty() || response.responses.back().topic != p.topic) {
                response.responses.emplace_back().topic = p.topic;
            }
            auto& pr = response.responses.back().partitionResponses.emplace_back();
            pr.partition = p.index;
            pr.highWatermark = 1000 + p.index;
            pr.lastStableOffset = 900 + p.index;
            pr.logStartOffset = p.index;
            pr.recordSet = p.records;
            p.data = p.records.external ? static_cast<const void*>(p.records.external.get())
                                        : static_cast<const void*>(p.records.bytes.data());
        }
        Bytes plain;
        {
            Writer w(plain);
            response.write(w, v);
        }
        Bytes body;
        std::vector<Splice> splices;
        {
            Writer w(body, &splices);
            response.write(w, v);
        }
        // One splice per large record set, in encoding order, each the caller's bytes (no copy).
        std::vector<const Part*> expectedSplices;
        std::size_t splicedBytes = 0;
        for (const auto& p : parts) {
            if (p.spliced) {
                expectedSplices.push_back(&p);
                splicedBytes += p.records.size();
            }
        }
        QCOMPARE(splices.size(), expectedSplices.size());
        for (std::size_t i = 0; i < splices.size(); ++i) {
            const Records& r = splices[i].records;
            const void* data = r.external ? static_cast<const void*>(r.external.get())
                                          : static_cast<const void*>(r.bytes.data());
            QCOMPARE(data, expectedSplices[i]->data);
            if (i > 0) {
                QVERIFY(splices[i].offset > splices[i - 1].offset);
            }
            QVERIFY(splices[i].offset <= body.size());
        }
        QCOMPARE(body.size() + splicedBytes, plain.size());
        QCOMPARE(assemble(body, splices), plain);
        // Decoded (in memory) it equals the original (partly external) response.
        FetchResponse decoded;
        Reader r(plain);
        decoded.read(r, v);
        QVERIFY(r.ok());
        QCOMPARE(r.remaining(), std::size_t{0});
        QVERIFY(decoded == response);
        QVERIFY(decoded.responses.at(1).partitionResponses.at(3).recordSet.external == nullptr);
    }

    // ---- external records ---------------------------------------------------------------------

    void externalMaterializedWithoutSplices_data() {
        QTest::addColumn<bool>("compact");
        QTest::addColumn<int>("size");
        QTest::newRow("classic small") << false << 300;
        QTest::newRow("classic large") << false << 100 * 1024;
        QTest::newRow("compact small") << true << 300;
        QTest::newRow("compact large") << true << 100 * 1024;
    }
    void externalMaterializedWithoutSplices() {
        QFETCH(bool, compact);
        QFETCH(int, size);
        auto ext =
            std::make_shared<const TestExternal>(pattern(static_cast<std::size_t>(size), 11));
        const Records records = Records::fromExternal(ext);
        QVERIFY(!records.isNull);
        QCOMPARE(records.size(), ext->data().size());
        const Bytes out = written([&](Writer& w) { w.writeRecords(records, compact); });
        Bytes expected = recordsPrefix(size, compact);
        expected.insert(expected.end(), ext->data().begin(), ext->data().end());
        QCOMPARE(out, expected);
        QCOMPARE(ext->copies(), 1);
        // materialized(): an in-memory copy; an in-memory Records is returned as it is.
        const Records m = records.materialized();
        QVERIFY(!m.isNull);
        QVERIFY(m.external == nullptr);
        QCOMPARE(Bytes(m.bytes.begin(), m.bytes.end()), ext->data());
        const Records mem = Records::copyOf(ext->data());
        QCOMPARE(mem.materialized().bytes.data(), mem.bytes.data());
    }

    void unreadableExternalBecomesEmpty_data() {
        QTest::addColumn<bool>("compact");
        QTest::addColumn<bool>("withSplices");
        QTest::addColumn<int>("size");
        QTest::newRow("classic, plain writer, large") << false << false << 100 * 1024;
        QTest::newRow("compact, plain writer, large") << true << false << 100 * 1024;
        QTest::newRow("classic, splicing writer, small") << false << true << 1000;
        QTest::newRow("compact, splicing writer, small") << true << true << 1000;
    }
    void unreadableExternalBecomesEmpty() {
        QFETCH(bool, compact);
        QFETCH(bool, withSplices);
        QFETCH(int, size);
        auto ext = std::make_shared<const TestExternal>(pattern(static_cast<std::size_t>(size), 1),
                                                        /*readable=*/false);
        Bytes body;
        std::vector<Splice> splices;
        Writer w(body, withSplices ? &splices : nullptr);
        w.writeInt8(5);
        w.writeRecords(Records::fromExternal(ext), compact);
        w.writeInt8(6);
        QVERIFY(splices.empty());
        // An empty (not null) record set, and the rest of the message is intact.
        Bytes expected{5};
        const Bytes prefix = recordsPrefix(0, compact);
        expected.insert(expected.end(), prefix.begin(), prefix.end());
        expected.push_back(6);
        QCOMPARE(body, expected);
        Reader r(body);
        QCOMPARE(r.readInt8(), std::int8_t{5});
        const Records back = r.readRecords(compact);
        QVERIFY(!back.isNull);
        QCOMPARE(back.size(), std::size_t{0});
        QCOMPARE(r.readInt8(), std::int8_t{6});
        QVERIFY(r.ok());
        const Records m = Records::fromExternal(ext).materialized();
        QVERIFY(!m.isNull);
        QVERIFY(m.bytes.empty());
    }

    void recordsEqualityAcrossExternal() {
        const Bytes data = pattern(4000, 21);
        Bytes other = data;
        other[2500] ^= 1;
        const Records ext = Records::fromExternal(std::make_shared<const TestExternal>(data));
        const Records ext2 = Records::fromExternal(std::make_shared<const TestExternal>(data));
        const Records extOther = Records::fromExternal(std::make_shared<const TestExternal>(other));
        const Records mem = Records::copyOf(data);
        const Records memOther = Records::copyOf(other);
        const Records shorter = Records::copyOf(std::span(data).first(3999));
        QVERIFY(ext == mem);
        QVERIFY(mem == ext);
        QVERIFY(ext == ext2);
        QVERIFY(!(ext == extOther));
        QVERIFY(!(extOther == ext));
        QVERIFY(!(ext == memOther));
        QVERIFY(!(memOther == ext));
        QVERIFY(!(ext == shorter));
        QVERIFY(!(ext == Records{}));
        QVERIFY(!(Records{} == ext));
        const Records emptyExt =
            Records::fromExternal(std::make_shared<const TestExternal>(Bytes{}));
        QVERIFY(emptyExt == Records::copyOf({}));
        QVERIFY(!(emptyExt == Records{}));
    }

    void patchInt32() {
        Bytes out;
        Writer w(out);
        w.writeInt32(0);
        w.writeInt8(1);
        w.patchInt32(0, 0x01020304);
        QCOMPARE(out, (Bytes{1, 2, 3, 4, 1}));
        QCOMPARE(w.size(), std::size_t{5});
        QCOMPARE(&w.buffer(), &out);
    }
};

QTEST_GUILESS_MAIN(TestWire)
#include "test_wire.moc"
