// Compression codecs: round trips, other clients' framings, corrupt input and the zip-bomb guard.
#include "engine/protocol/compression.h"

#include <QByteArray>
#include <QTest>

#include <lz4frame.h>
#include <zstd.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

using namespace faultline::protocol;

Q_DECLARE_METATYPE(faultline::protocol::Compression)

namespace {

using Bytes = std::vector<std::uint8_t>;

const std::vector<Compression> kCodecs{Compression::None, Compression::Gzip, Compression::Snappy,
                                       Compression::Lz4, Compression::Zstd};
const std::vector<Compression> kRealCodecs{Compression::Gzip, Compression::Snappy,
                                           Compression::Lz4, Compression::Zstd};

std::span<const std::uint8_t> spanOf(const QByteArray& a) {
    return {reinterpret_cast<const std::uint8_t*>(a.constData()),
            static_cast<std::size_t>(a.size())};
}

QByteArray toQba(const Bytes& b) {
    return QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<qsizetype>(b.size()));
}

Bytes fromHex(const char* hex) {
    const QByteArray raw = QByteArray::fromHex(hex);
    return {raw.begin(), raw.end()};
}

QByteArray randomBytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    QByteArray out(static_cast<qsizetype>(n), Qt::Uninitialized);
    for (auto& c : out) {
        c = static_cast<char>(rng() & 0xff);
    }
    return out;
}

QByteArray compressibleBytes(std::size_t n) {
    QByteArray out;
    out.reserve(static_cast<qsizetype>(n));
    int i = 0;
    while (static_cast<std::size_t>(out.size()) < n) {
        out += QByteArray("{\"event\":\"click\",\"user\":") + QByteArray::number(i++ % 16) + "}\n";
    }
    out.truncate(static_cast<qsizetype>(n));
    return out;
}

Bytes mustCompress(Compression codec, std::span<const std::uint8_t> data) {
    auto packed = compress(codec, data);
    if (!packed) {
        qFatal("compress failed: %s", packed.error().message.c_str());
    }
    return std::move(*packed);
}

void appendBe32(Bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

// Java's SnappyOutputStream framing around raw snappy blocks of `blockSize` input bytes.
Bytes xerialFrame(std::span<const std::uint8_t> data, std::size_t blockSize) {
    Bytes out{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    appendBe32(out, 1); // version
    appendBe32(out, 1); // minimum compatible version
    for (std::size_t pos = 0; pos < data.size(); pos += blockSize) {
        const Bytes block = mustCompress(Compression::Snappy,
                                         data.subspan(pos, std::min(blockSize, data.size() - pos)));
        appendBe32(out, static_cast<std::uint32_t>(block.size()));
        out.insert(out.end(), block.begin(), block.end());
    }
    return out;
}

} // namespace

class TestCompression : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<QByteArray>("data");
        const QByteArray random = randomBytes(1 << 20, 42);
        const QByteArray compressible = compressibleBytes(1 << 20);
        for (Compression codec : kCodecs) {
            const char* name = compressionName(codec);
            QTest::addRow("%s-empty", name) << codec << QByteArray();
            QTest::addRow("%s-one-byte", name) << codec << QByteArray("x");
            QTest::addRow("%s-small", name) << codec << QByteArray("hello, faultline");
            QTest::addRow("%s-random-1MiB", name) << codec << random;
            QTest::addRow("%s-compressible-1MiB", name) << codec << compressible;
        }
    }

    void roundTrip() {
        QFETCH(Compression, codec);
        QFETCH(QByteArray, data);
        auto packed = compress(codec, spanOf(data));
        QVERIFY2(packed.has_value(), packed ? "" : packed.error().message.c_str());
        auto plain = decompress(codec, *packed);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), data);
    }

    void compressibleDataShrinks_data() {
        QTest::addColumn<Compression>("codec");
        for (Compression codec : kRealCodecs) {
            QTest::newRow(compressionName(codec)) << codec;
        }
    }

    void compressibleDataShrinks() {
        QFETCH(Compression, codec);
        const QByteArray data = compressibleBytes(1 << 20);
        auto packed = compress(codec, spanOf(data));
        QVERIFY(packed.has_value());
        QVERIFY2(packed->size() * 10 < static_cast<std::size_t>(data.size()),
                 qPrintable(QString::number(packed->size())));
    }

    void writesTheExpectedFraming_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<QByteArray>("prefix");
        QTest::newRow("gzip member") << Compression::Gzip << QByteArray::fromHex("1f8b08");
        // LZ4 frame magic, FLG 0x60 (version 1, independent blocks), BD 0x40 (64 KiB blocks).
        QTest::newRow("lz4 frame") << Compression::Lz4 << QByteArray::fromHex("04224d186040");
        QTest::newRow("zstd frame") << Compression::Zstd << QByteArray::fromHex("28b52ffd");
        // Raw snappy (as librdkafka writes it): the uncompressed length varint, 16 bytes.
        QTest::newRow("raw snappy") << Compression::Snappy << QByteArray::fromHex("10");
    }

    void writesTheExpectedFraming() {
        QFETCH(Compression, codec);
        QFETCH(QByteArray, prefix);
        const QByteArray data("0123456789abcdef");
        auto packed = compress(codec, spanOf(data));
        QVERIFY(packed.has_value());
        QCOMPARE(toQba(*packed).left(prefix.size()), prefix);
    }

    void emptyInputIsNotAStream_data() {
        QTest::addColumn<Compression>("codec");
        for (Compression codec : kRealCodecs) {
            QTest::newRow(compressionName(codec)) << codec;
        }
    }

    void emptyInputIsNotAStream() {
        QFETCH(Compression, codec);
        auto plain = decompress(codec, {});
        QVERIFY(!plain.has_value());
        QCOMPARE(plain.error().code, ErrorCode::CorruptMessage);
    }

    void corruptInputFails_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<QByteArray>("input");
        const QByteArray data = compressibleBytes(100000);
        const QByteArray random = randomBytes(64, 7);
        auto packed = [&](Compression codec) { return toQba(mustCompress(codec, spanOf(data))); };

        QTest::newRow("gzip-garbage") << Compression::Gzip << random;
        QTest::newRow("gzip-truncated")
            << Compression::Gzip << packed(Compression::Gzip).chopped(9);
        QByteArray badCrc = packed(Compression::Gzip);
        badCrc[badCrc.size() - 6] = static_cast<char>(badCrc[badCrc.size() - 6] ^ 0x55);
        QTest::newRow("gzip-crc-mismatch") << Compression::Gzip << badCrc;
        QTest::newRow("gzip-trailing-garbage")
            << Compression::Gzip << packed(Compression::Gzip) + QByteArray("junk");

        QTest::newRow("snappy-garbage") << Compression::Snappy << random;
        QTest::newRow("snappy-truncated")
            << Compression::Snappy << packed(Compression::Snappy).chopped(20);
        QTest::newRow("snappy-header-only-varint")
            << Compression::Snappy << QByteArray::fromHex("ffffff");
        const Bytes xerial = xerialFrame(spanOf(data), 32 * 1024);
        QTest::newRow("snappy-xerial-truncated-block")
            << Compression::Snappy << toQba(xerial).chopped(5);
        QTest::newRow("snappy-xerial-truncated-header")
            << Compression::Snappy << toQba(xerial).left(12);
        QByteArray badLength = toQba(xerial);
        badLength[16] = static_cast<char>(0x7f); // first block length: ~2 GiB
        QTest::newRow("snappy-xerial-bad-block-length") << Compression::Snappy << badLength;

        QTest::newRow("lz4-garbage") << Compression::Lz4 << random;
        QTest::newRow("lz4-truncated") << Compression::Lz4 << packed(Compression::Lz4).chopped(7);
        QByteArray badHc = packed(Compression::Lz4);
        badHc[6] = static_cast<char>(badHc[6] ^ 0x01); // neither the right nor the old checksum
        QTest::newRow("lz4-bad-header-checksum") << Compression::Lz4 << badHc;
        QTest::newRow("lz4-trailing-garbage")
            << Compression::Lz4 << packed(Compression::Lz4) + QByteArray("junk");

        QTest::newRow("zstd-garbage") << Compression::Zstd << random;
        QTest::newRow("zstd-truncated")
            << Compression::Zstd << packed(Compression::Zstd).chopped(7);
        QTest::newRow("zstd-trailing-garbage")
            << Compression::Zstd << packed(Compression::Zstd) + QByteArray("junk");
    }

    void corruptInputFails() {
        QFETCH(Compression, codec);
        QFETCH(QByteArray, input);
        auto plain = decompress(codec, spanOf(input));
        QVERIFY(!plain.has_value());
        QCOMPARE(plain.error().code, ErrorCode::CorruptMessage);
        QVERIFY(!plain.error().message.empty());
    }

    void maxOutputGuard_data() {
        QTest::addColumn<Compression>("codec");
        QTest::addColumn<bool>("xerial");
        for (Compression codec : kCodecs) {
            QTest::newRow(compressionName(codec)) << codec << false;
        }
        QTest::newRow("snappy-xerial") << Compression::Snappy << true;
    }

    void maxOutputGuard() {
        QFETCH(Compression, codec);
        QFETCH(bool, xerial);
        // 4 MiB of zeros: a few KiB compressed, a small zip bomb.
        const Bytes zeros(std::size_t{4} << 20, 0);
        const Bytes packed = xerial ? xerialFrame(zeros, 32 * 1024) : mustCompress(codec, zeros);
        if (codec != Compression::None) {
            QVERIFY(packed.size() < zeros.size() / 10);
        }

        auto exact = decompress(codec, packed, zeros.size());
        QVERIFY2(exact.has_value(), exact ? "" : exact.error().message.c_str());
        QCOMPARE(exact->size(), zeros.size());

        auto over = decompress(codec, packed, zeros.size() - 1);
        QVERIFY(!over.has_value());
        QCOMPARE(over.error().code, ErrorCode::CorruptMessage);

        auto tiny = decompress(codec, packed, 1000);
        QVERIFY(!tiny.has_value());
        QCOMPARE(tiny.error().code, ErrorCode::CorruptMessage);
    }

    void gzipConcatenatedMembers() {
        const QByteArray a("first member, ");
        const QByteArray b = compressibleBytes(200000);
        Bytes joined = mustCompress(Compression::Gzip, spanOf(a));
        const Bytes second = mustCompress(Compression::Gzip, spanOf(b));
        joined.insert(joined.end(), second.begin(), second.end());
        auto plain = decompress(Compression::Gzip, joined);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), a + b);
    }

    void snappyXerialFraming_data() {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<int>("blockSize");
        QTest::newRow("header-only") << QByteArray() << 32768;
        QTest::newRow("one-block") << QByteArray("hello xerial") << 32768;
        QTest::newRow("many-blocks-compressible") << compressibleBytes(300000) << 32768;
        QTest::newRow("many-blocks-random") << randomBytes(100000, 3) << 8192;
    }

    void snappyXerialFraming() {
        QFETCH(QByteArray, data);
        QFETCH(int, blockSize);
        const Bytes framed = xerialFrame(spanOf(data), static_cast<std::size_t>(blockSize));
        auto plain = decompress(Compression::Snappy, framed);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), data);
    }

    void lz4HeaderChecksum_data() {
        // A hand-made LZ4 frame: magic 04 22 4d 18, FLG 0x60, BD 0x40, header checksum, one
        // uncompressed block (size 5 | 0x80000000, little-endian) "hello", end mark 0.
        // The right checksum is (XXH32(60 40) >> 8) & 0xff = 0x82; old Kafka and librdkafka
        // (message format v0/v1) hashed the magic too: (XXH32(04 22 4d 18 60 40) >> 8) = 0x1a.
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<bool>("valid");
        QTest::newRow("right checksum")
            << QByteArray::fromHex("04224d18604082050000806865 6c6c6f00000000") << true;
        QTest::newRow("old kafka checksum")
            << QByteArray::fromHex("04224d1860401a050000806865 6c6c6f00000000") << true;
        QTest::newRow("wrong checksum")
            << QByteArray::fromHex("04224d18604083050000806865 6c6c6f00000000") << false;
        QTest::newRow("two frames, old checksums")
            << QByteArray::fromHex("04224d1860401a0500008068656c6c6f00000000"
                                   "04224d1860401a0500008068656c6c6f00000000")
            << true;
    }

    void lz4HeaderChecksum() {
        QFETCH(QByteArray, frame);
        QFETCH(bool, valid);
        auto plain = decompress(Compression::Lz4, spanOf(frame));
        QCOMPARE(plain.has_value(), valid);
        if (valid) {
            const QByteArray expected = frame.size() > 20 ? QByteArray("hellohello") : "hello";
            QCOMPARE(toQba(*plain), expected);
        } else {
            QCOMPARE(plain.error().code, ErrorCode::CorruptMessage);
        }
    }

    void lz4ConcatenatedFramesWithContentChecksum() {
        const QByteArray a = compressibleBytes(150000);
        const QByteArray b = randomBytes(70000, 9);
        Bytes joined;
        for (const QByteArray* part : {&a, &b}) {
            LZ4F_preferences_t prefs{};
            prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
            prefs.frameInfo.contentSize = static_cast<unsigned long long>(part->size());
            Bytes frame(LZ4F_compressFrameBound(static_cast<std::size_t>(part->size()), &prefs));
            const std::size_t n =
                LZ4F_compressFrame(frame.data(), frame.size(), part->constData(),
                                   static_cast<std::size_t>(part->size()), &prefs);
            QVERIFY(!LZ4F_isError(n));
            joined.insert(joined.end(), frame.begin(), frame.begin() + static_cast<long>(n));
        }
        auto plain = decompress(Compression::Lz4, joined);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), a + b);

        // A flipped content checksum byte is detected.
        joined.back() ^= 0x01;
        QVERIFY(!decompress(Compression::Lz4, joined).has_value());
    }

    void zstdFramesWithoutContentSize() {
        // Streaming compression without a pledged size: the frame header has no content size.
        const QByteArray a = compressibleBytes(300000);
        const QByteArray b("second frame");
        Bytes joined;
        ZSTD_CCtx* cctx = ZSTD_createCCtx();
        QVERIFY(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
        for (const QByteArray* part : {&a, &b}) {
            Bytes frame(ZSTD_compressBound(static_cast<std::size_t>(part->size())) + 64);
            ZSTD_outBuffer out{frame.data(), frame.size(), 0};
            ZSTD_inBuffer in{part->constData(), static_cast<std::size_t>(part->size()), 0};
            std::size_t left = 0;
            do {
                left = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
                QVERIFY(!ZSTD_isError(left));
            } while (left != 0);
            QCOMPARE(ZSTD_getFrameContentSize(frame.data(), out.pos), ZSTD_CONTENTSIZE_UNKNOWN);
            joined.insert(joined.end(), frame.begin(), frame.begin() + static_cast<long>(out.pos));
        }
        ZSTD_freeCCtx(cctx);
        auto plain = decompress(Compression::Zstd, joined);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), a + b);

        auto guarded = decompress(Compression::Zstd, joined, 1000);
        QVERIFY(!guarded.has_value());
        QCOMPARE(guarded.error().code, ErrorCode::CorruptMessage);
    }

    void gzipFromAnotherWriter() {
        // "hello" gzipped by Python's gzip module (mtime 0): a member this code did not write.
        const Bytes member = fromHex("1f8b0800000000000203cb48cdc9c9070086a6103605000000");
        auto plain = decompress(Compression::Gzip, member);
        QVERIFY2(plain.has_value(), plain ? "" : plain.error().message.c_str());
        QCOMPARE(toQba(*plain), QByteArray("hello"));
    }

    void unknownCodecFails() {
        const QByteArray data("abc");
        auto packed = compress(static_cast<Compression>(6), spanOf(data));
        QVERIFY(!packed.has_value());
        auto plain = decompress(static_cast<Compression>(6), spanOf(data));
        QVERIFY(!plain.has_value());
        QCOMPARE(plain.error().code, ErrorCode::CorruptMessage);
    }
};

QTEST_APPLESS_MAIN(TestCompression)
#include "test_compression.moc"
