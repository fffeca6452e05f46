// Kafka wire primitives: byte layouts, varint edge cases, nullability, hostile input.
#include "engine/protocol/wire.h"

#include <QTest>

#include <cstdint>
#include <limits>
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
