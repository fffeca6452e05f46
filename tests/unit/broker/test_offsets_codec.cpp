// __consumer_offsets key and value formats against byte vectors written by hand from Kafka's
// schemas (OffsetCommitKey/Value, GroupMetadataKey/Value).
#include "engine/broker/offsets_codec.h"

#include <QtTest/QtTest>

#include <initializer_list>

using namespace faultline::broker;
using Bytes = std::vector<std::uint8_t>;

Q_DECLARE_METATYPE(Bytes)

namespace {

// Concatenates pieces: numbers given as explicit big-endian bytes, strings as text.
struct B {
    Bytes bytes;
    B& raw(std::initializer_list<int> v) {
        for (int x : v) {
            bytes.push_back(static_cast<std::uint8_t>(x));
        }
        return *this;
    }
    B& text(std::string_view s) {
        bytes.insert(bytes.end(), s.begin(), s.end());
        return *this;
    }
};

Bytes offsetKeyBytes(int version) {
    return B{}
        .raw({0x00, version})        // key version
        .raw({0x00, 0x02}).text("g1")  // group
        .raw({0x00, 0x03}).text("top") // topic
        .raw({0x00, 0x00, 0x00, 0x07}) // partition
        .bytes;
}

} // namespace

class TestOffsetsCodec : public QObject {
    Q_OBJECT

private slots:
    void offsetCommitKey() {
        const OffsetCommitKey key{"g1", "top", 7};
        QCOMPARE(encodeOffsetCommitKey(key), offsetKeyBytes(1));
        for (int version : {0, 1}) {
            auto decoded = decodeOffsetsKey(offsetKeyBytes(version));
            QVERIFY(decoded.has_value());
            QVERIFY(std::holds_alternative<OffsetCommitKey>(*decoded));
            QVERIFY(std::get<OffsetCommitKey>(*decoded) == key);
        }
    }

    void groupMetadataKey() {
        const Bytes expected = B{}.raw({0x00, 0x02}).raw({0x00, 0x05}).text("group").bytes;
        QCOMPARE(encodeGroupMetadataKey(GroupMetadataKey{"group"}), expected);
        auto decoded = decodeOffsetsKey(expected);
        QVERIFY(decoded.has_value());
        QVERIFY(std::holds_alternative<GroupMetadataKey>(*decoded));
        QCOMPARE(std::get<GroupMetadataKey>(*decoded).group, std::string("group"));
    }

    void unknownKeyVersion() {
        const Bytes newer = B{}.raw({0x00, 0x03}).raw({0x00, 0x01}).text("g").bytes;
        auto decoded = decodeOffsetsKey(newer);
        QVERIFY(!decoded.has_value());
        QCOMPARE(decoded.error().code, faultline::protocol::ErrorCode::UnsupportedVersion);
    }

    void offsetCommitValueV3() {
        OffsetCommitValue value;
        value.offset = 0x0102030405060708;
        value.leaderEpoch = 5;
        value.metadata = "meta";
        value.commitTimestamp = 1700000000000; // 0x18BCFE56800
        const Bytes expected = B{}
                                   .raw({0x00, 0x03})
                                   .raw({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08})
                                   .raw({0x00, 0x00, 0x00, 0x05})
                                   .raw({0x00, 0x04}).text("meta")
                                   .raw({0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00})
                                   .bytes;
        QCOMPARE(encodeOffsetCommitValue(value), expected);
        auto decoded = decodeOffsetCommitValue(expected);
        QVERIFY(decoded.has_value());
        QVERIFY(*decoded == value);
    }

    void offsetCommitValueOldVersions_data() {
        QTest::addColumn<Bytes>("bytes");
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<int>("leaderEpoch");
        QTest::addColumn<QString>("metadata");
        QTest::addColumn<qint64>("commitTimestamp");
        QTest::addColumn<qint64>("expireTimestamp");
        QTest::newRow("v0") << B{}
                                   .raw({0x00, 0x00})
                                   .raw({0, 0, 0, 0, 0, 0, 0, 42})
                                   .raw({0x00, 0x01}).text("m")
                                   .raw({0, 0, 0, 0, 0, 0, 0x03, 0xE8})
                                   .bytes
                            << qint64(42) << -1 << "m" << qint64(1000) << qint64(-1);
        QTest::newRow("v1") << B{}
                                   .raw({0x00, 0x01})
                                   .raw({0, 0, 0, 0, 0, 0, 0, 43})
                                   .raw({0x00, 0x00})
                                   .raw({0, 0, 0, 0, 0, 0, 0x03, 0xE8})
                                   .raw({0, 0, 0, 0, 0, 0, 0x07, 0xD0})
                                   .bytes
                            << qint64(43) << -1 << "" << qint64(1000) << qint64(2000);
        QTest::newRow("v2") << B{}
                                   .raw({0x00, 0x02})
                                   .raw({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
                                   .raw({0x00, 0x02}).text("xy")
                                   .raw({0, 0, 0, 0, 0, 0, 0, 1})
                                   .bytes
                            << qint64(-1) << -1 << "xy" << qint64(1) << qint64(-1);
        QTest::newRow("v3") << B{}
                                   .raw({0x00, 0x03})
                                   .raw({0, 0, 0, 0, 0, 0, 0x01, 0x00})
                                   .raw({0xFF, 0xFF, 0xFF, 0xFF})
                                   .raw({0x00, 0x00})
                                   .raw({0, 0, 0, 0, 0, 0, 0, 2})
                                   .bytes
                            << qint64(256) << -1 << "" << qint64(2) << qint64(-1);
    }

    void offsetCommitValueOldVersions() {
        QFETCH(Bytes, bytes);
        QFETCH(qint64, offset);
        QFETCH(int, leaderEpoch);
        QFETCH(QString, metadata);
        QFETCH(qint64, commitTimestamp);
        QFETCH(qint64, expireTimestamp);
        auto decoded = decodeOffsetCommitValue(bytes);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->offset, offset);
        QCOMPARE(decoded->leaderEpoch, leaderEpoch);
        QCOMPARE(QString::fromStdString(decoded->metadata), metadata);
        QCOMPARE(decoded->commitTimestamp, commitTimestamp);
        QCOMPARE(decoded->expireTimestamp, expireTimestamp);
        // Truncated at any point: an error, never a partial value.
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            QVERIFY(!decodeOffsetCommitValue(std::span(bytes).first(cut)).has_value());
        }
    }

    void groupMetadataValueV3() {
        GroupMetadataValue value;
        value.protocolType = "consumer";
        value.generation = 3;
        value.protocol = "range";
        value.leader = "m1";
        value.currentStateTimestamp = 0x10;
        GroupMemberMetadata m;
        m.memberId = "m1";
        m.groupInstanceId = std::nullopt;
        m.clientId = "c";
        m.clientHost = "/h";
        m.rebalanceTimeout = 300000; // 0x000493E0
        m.sessionTimeout = 10000;    // 0x00002710
        m.subscription = {0xAA, 0xBB};
        m.assignment = {0xCC};
        value.members.push_back(m);
        m.memberId = "m2";
        m.groupInstanceId = "i";
        m.subscription = {};
        m.assignment = {};
        value.members.push_back(m);
        const Bytes expected = B{}
                                   .raw({0x00, 0x03})
                                   .raw({0x00, 0x08}).text("consumer")
                                   .raw({0, 0, 0, 3})
                                   .raw({0x00, 0x05}).text("range")
                                   .raw({0x00, 0x02}).text("m1")
                                   .raw({0, 0, 0, 0, 0, 0, 0, 0x10})
                                   .raw({0, 0, 0, 2})
                                   // member 1
                                   .raw({0x00, 0x02}).text("m1")
                                   .raw({0xFF, 0xFF})
                                   .raw({0x00, 0x01}).text("c")
                                   .raw({0x00, 0x02}).text("/h")
                                   .raw({0x00, 0x04, 0x93, 0xE0})
                                   .raw({0x00, 0x00, 0x27, 0x10})
                                   .raw({0, 0, 0, 2, 0xAA, 0xBB})
                                   .raw({0, 0, 0, 1, 0xCC})
                                   // member 2
                                   .raw({0x00, 0x02}).text("m2")
                                   .raw({0x00, 0x01}).text("i")
                                   .raw({0x00, 0x01}).text("c")
                                   .raw({0x00, 0x02}).text("/h")
                                   .raw({0x00, 0x04, 0x93, 0xE0})
                                   .raw({0x00, 0x00, 0x27, 0x10})
                                   .raw({0, 0, 0, 0})
                                   .raw({0, 0, 0, 0})
                                   .bytes;
        QCOMPARE(encodeGroupMetadataValue(value), expected);
        auto decoded = decodeGroupMetadataValue(expected);
        QVERIFY(decoded.has_value());
        QVERIFY(*decoded == value);
    }

    void groupMetadataValueEmptyGroup() {
        // An Empty group: null protocol and leader, no members.
        GroupMetadataValue value;
        value.protocolType = "consumer";
        value.generation = 4;
        value.currentStateTimestamp = 1;
        const Bytes expected = B{}
                                   .raw({0x00, 0x03})
                                   .raw({0x00, 0x08}).text("consumer")
                                   .raw({0, 0, 0, 4})
                                   .raw({0xFF, 0xFF})
                                   .raw({0xFF, 0xFF})
                                   .raw({0, 0, 0, 0, 0, 0, 0, 1})
                                   .raw({0, 0, 0, 0})
                                   .bytes;
        QCOMPARE(encodeGroupMetadataValue(value), expected);
        auto decoded = decodeGroupMetadataValue(expected);
        QVERIFY(decoded.has_value());
        QVERIFY(!decoded->protocol.has_value());
        QVERIFY(!decoded->leader.has_value());
        QVERIFY(decoded->members.empty());
    }

    void groupMetadataValueOldVersions_data() {
        QTest::addColumn<Bytes>("bytes");
        QTest::addColumn<int>("rebalanceTimeout");
        QTest::addColumn<qint64>("currentStateTimestamp");
        const auto header = [](int version) {
            return B{}
                .raw({0x00, version})
                .raw({0x00, 0x01}).text("c")
                .raw({0, 0, 0, 1})
                .raw({0x00, 0x01}).text("r")
                .raw({0x00, 0x01}).text("m");
        };
        QTest::newRow("v0") << header(0)
                                   .raw({0, 0, 0, 1})
                                   .raw({0x00, 0x01}).text("m")
                                   .raw({0x00, 0x01}).text("c")
                                   .raw({0x00, 0x01}).text("h")
                                   .raw({0, 0, 0x17, 0x70}) // session 6000
                                   .raw({0, 0, 0, 1, 0x01})
                                   .raw({0, 0, 0, 1, 0x02})
                                   .bytes
                            << 6000 << qint64(-1);
        QTest::newRow("v1") << header(1)
                                   .raw({0, 0, 0, 1})
                                   .raw({0x00, 0x01}).text("m")
                                   .raw({0x00, 0x01}).text("c")
                                   .raw({0x00, 0x01}).text("h")
                                   .raw({0, 0, 0x27, 0x10}) // rebalance 10000
                                   .raw({0, 0, 0x17, 0x70})
                                   .raw({0, 0, 0, 1, 0x01})
                                   .raw({0, 0, 0, 1, 0x02})
                                   .bytes
                            << 10000 << qint64(-1);
        QTest::newRow("v2") << header(2)
                                   .raw({0, 0, 0, 0, 0, 0, 0, 9})
                                   .raw({0, 0, 0, 1})
                                   .raw({0x00, 0x01}).text("m")
                                   .raw({0x00, 0x01}).text("c")
                                   .raw({0x00, 0x01}).text("h")
                                   .raw({0, 0, 0x27, 0x10})
                                   .raw({0, 0, 0x17, 0x70})
                                   .raw({0, 0, 0, 1, 0x01})
                                   .raw({0, 0, 0, 1, 0x02})
                                   .bytes
                            << 10000 << qint64(9);
    }

    void groupMetadataValueOldVersions() {
        QFETCH(Bytes, bytes);
        QFETCH(int, rebalanceTimeout);
        QFETCH(qint64, currentStateTimestamp);
        auto decoded = decodeGroupMetadataValue(bytes);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->protocolType, std::string("c"));
        QCOMPARE(decoded->generation, 1);
        QCOMPARE(decoded->protocol.value_or(""), std::string("r"));
        QCOMPARE(decoded->leader.value_or(""), std::string("m"));
        QCOMPARE(decoded->currentStateTimestamp, currentStateTimestamp);
        QCOMPARE(decoded->members.size(), std::size_t(1));
        const auto& m = decoded->members[0];
        QCOMPARE(m.memberId, std::string("m"));
        QVERIFY(!m.groupInstanceId.has_value());
        QCOMPARE(m.clientHost, std::string("h"));
        QCOMPARE(m.sessionTimeout, 6000);
        QCOMPARE(m.rebalanceTimeout, rebalanceTimeout);
        QCOMPARE(m.subscription, Bytes{0x01});
        QCOMPARE(m.assignment, Bytes{0x02});
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            QVERIFY(!decodeGroupMetadataValue(std::span(bytes).first(cut)).has_value());
        }
    }

    void rejectsGarbage() {
        const Bytes hugeCount = B{}
                                    .raw({0x00, 0x03})
                                    .raw({0x00, 0x00})
                                    .raw({0, 0, 0, 0})
                                    .raw({0xFF, 0xFF, 0xFF, 0xFF})
                                    .raw({0, 0, 0, 0, 0, 0, 0, 0})
                                    .raw({0x7F, 0xFF, 0xFF, 0xFF})
                                    .bytes;
        QVERIFY(!decodeGroupMetadataValue(hugeCount).has_value());
        const Bytes negativeString = B{}.raw({0x00, 0x01}).raw({0xFF, 0xFE}).bytes;
        QVERIFY(!decodeOffsetsKey(negativeString).has_value());
        const Bytes nullGroup = B{}.raw({0x00, 0x02}).raw({0xFF, 0xFF}).bytes;
        QVERIFY(!decodeOffsetsKey(nullGroup).has_value());
        const Bytes futureValue = B{}.raw({0x00, 0x09}).bytes;
        QVERIFY(!decodeOffsetCommitValue(futureValue).has_value());
    }
};

QTEST_GUILESS_MAIN(TestOffsetsCodec)
#include "test_offsets_codec.moc"
