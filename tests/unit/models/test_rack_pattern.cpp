// RackPattern: broker.rack -> (fault domain, update domain).
#include "models/rack_pattern.h"

#include <QTest>

using faultline::models::RackPattern;
using faultline::models::RackPlacement;

class TestRackPattern : public QObject {
    Q_OBJECT
private slots:
    void parse_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("rack");
        QTest::addColumn<bool>("matches");
        QTest::addColumn<int>("fd");
        QTest::addColumn<int>("ud");
        QTest::newRow("FD0UD1") << QString() << "FD0UD1" << true << 0 << 1;
        QTest::newRow("lower dash") << QString() << "fd0-ud1" << true << 0 << 1;
        QTest::newRow("slash") << QString() << "FD2/UD3" << true << 2 << 3;
        QTest::newRow("mixed case") << QString() << "Fd12uD7" << true << 12 << 7;
        QTest::newRow("bare name") << QString() << "us-east-1a" << false << -1 << -1;
        QTest::newRow("empty") << QString() << "" << false << -1 << -1;
        QTest::newRow("fd only is bare") << QString() << "FD1" << false << -1 << -1;
        QTest::newRow("custom") << R"(^rack-(?<fd>\d+)\.(?<ud>\d+)$)" << "rack-4.2" << true << 4 << 2;
        QTest::newRow("custom fd only") << R"(^zone(?<fd>\d+)$)" << "zone3" << true << 3 << -1;
        QTest::newRow("custom miss falls back") << R"(^rack-(?<fd>\d+)\.(?<ud>\d+)$)" << "FD1UD0"
                                                << true << 1 << 0;
    }
    void parse() {
        QFETCH(QString, pattern);
        QFETCH(QString, rack);
        QFETCH(bool, matches);
        QFETCH(int, fd);
        QFETCH(int, ud);
        const RackPattern p(pattern);
        QVERIFY(p.isValid());
        const auto parsed = p.parse(rack);
        QCOMPARE(parsed.has_value(), matches);
        if (parsed) {
            QCOMPARE(parsed->faultDomain, fd);
            QCOMPARE(parsed->updateDomain, ud);
        }
    }

    void invalidPattern_data() {
        QTest::addColumn<QString>("pattern");
        QTest::newRow("syntax") << "(unclosed";
        QTest::newRow("no fd group") << R"(^r(?<ud>\d+)$)";
    }
    void invalidPattern() {
        QFETCH(QString, pattern);
        const RackPattern p(pattern);
        QVERIFY(!p.isValid());
        QVERIFY(!p.errorString().isEmpty());
        // Defaults still apply.
        QCOMPARE(p.parse(QStringLiteral("FD1UD2")), (std::optional<RackPlacement>(RackPlacement{1, 2})));
    }

    void assignBareNames() {
        const RackPattern p;
        const QHash<std::int32_t, QString> racks{{1, QStringLiteral("zone-b")},
                                                 {2, QStringLiteral("zone-a")},
                                                 {3, QStringLiteral("zone-b")},
                                                 {4, QStringLiteral("FD5UD1")},
                                                 {5, QString()}};
        const auto placed = p.assign(racks);
        QCOMPARE(placed.size(), 5);
        QCOMPARE(placed.value(2), (RackPlacement{0, -1})); // zone-a sorts first
        QCOMPARE(placed.value(1), (RackPlacement{1, -1}));
        QCOMPARE(placed.value(3), (RackPlacement{1, -1}));
        QCOMPARE(placed.value(4), (RackPlacement{5, 1}));
        QCOMPARE(placed.value(5), (RackPlacement{-1, -1}));
    }
};

QTEST_GUILESS_MAIN(TestRackPattern)
#include "test_rack_pattern.moc"
