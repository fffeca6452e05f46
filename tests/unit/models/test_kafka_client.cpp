// KafkaClient against an in-process Engine and against servers that are not Kafka.
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"
#include "models/kafka_client.h"
#include "tests/support/black_hole.h"
#include "tests/support/test_engine.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <future>

using namespace faultline;
using models::ClientError;
using models::KafkaClient;

class TestKafkaClient : public QObject {
    Q_OBJECT
private:
    testsupport::TestEngine m_engine;
    QString m_bootstrap;

    void produce(KafkaClient& client, const QString& topic, std::int32_t partition, int count) {
        std::vector<protocol::Record> records;
        for (int i = 0; i < count; ++i) {
            protocol::Record r;
            r.timestamp = 1700000000000 + i;
            const std::string value = "value-" + std::to_string(i);
            r.value = std::vector<std::uint8_t>(value.begin(), value.end());
            records.push_back(r);
        }
        const QString failed = testsupport::produceRecords(client, topic, partition, records);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }

    void createTopic(KafkaClient& client, const QString& name, int partitions, int rf) {
        const QString failed = testsupport::createTopic(client, name, partitions, rf);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }

private slots:
    void initTestCase() {
        const auto started = m_engine.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        m_bootstrap = m_engine.bootstrap();
    }

    void cleanupTestCase() {
        m_engine.stop();
    }

    void metadataWithRacks() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto md = client.metadata();
        QVERIFY2(md.has_value(), qPrintable(md ? QString() : md.error().message));
        QCOMPARE(md->brokers.size(), 3u);
        QStringList racks;
        for (const auto& b : md->brokers) {
            QVERIFY(b.rack.has_value());
            racks << QString::fromStdString(*b.rack);
        }
        racks.sort();
        QCOMPARE(racks, (QStringList{"FD0UD0", "FD1UD1", "FD2UD2"}));
        QVERIFY(md->controllerId >= 0);
        QCOMPARE(client.knownBrokers().size(), 3u);
        QCOMPARE(client.controllerId(), md->controllerId);
    }

    void describeCluster() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto cluster = client.describeCluster();
        QVERIFY2(cluster.has_value(), qPrintable(cluster ? QString() : cluster.error().message));
        QVERIFY(!cluster->clusterId.isEmpty());
        QCOMPARE(cluster->brokers.size(), 3);
        QVERIFY(cluster->controllerId >= 0);
    }

    void createTopicThenListOffsets() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("orders"), 3, 2);
        produce(client, QStringLiteral("orders"), 0, 5);
        const std::int32_t leader = testsupport::leaderOf(client, QStringLiteral("orders"), 0);
        for (const auto& [timestamp, expected] : {std::pair<qint64, qint64>{-1, 5}, {-2, 0}}) {
            auto offsets = client.listOffsets(leader, {{QStringLiteral("orders"), 0}}, timestamp);
            QVERIFY2(offsets.has_value(), qPrintable(offsets ? QString() : offsets.error().message));
            QCOMPARE(offsets->topics.size(), 1u);
            QCOMPARE(offsets->topics[0].partitions[0].errorCode, 0);
            QCOMPARE(offsets->topics[0].partitions[0].offset, expected);
        }
        // Duplicate creation fails with Kafka's error name.
        protocol::CreateTopicsRequest again;
        protocol::CreateTopicsRequest::CreatableTopic topic;
        topic.name = "orders";
        topic.numPartitions = 1;
        topic.replicationFactor = 1;
        again.topics.push_back(topic);
        auto duplicate = client.createTopics(again);
        QVERIFY(!duplicate.has_value());
        QCOMPARE(duplicate.error().errorName, QStringLiteral("TOPIC_ALREADY_EXISTS"));
    }

    void describeLogDirsSizes() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("sized"), 1, 1);
        produce(client, QStringLiteral("sized"), 0, 10);
        const std::int32_t leader = testsupport::leaderOf(client, QStringLiteral("sized"), 0);
        auto dirs = client.describeLogDirs(leader);
        QVERIFY2(dirs.has_value(), qPrintable(dirs ? QString() : dirs.error().message));
        qint64 size = -1;
        for (const auto& d : dirs->results)
            for (const auto& t : d.topics)
                if (t.name == "sized")
                    for (const auto& p : t.partitions)
                        size = p.partitionSize;
        QVERIFY(size > 0);
    }

    void groupsAfterCommit() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("lagging"), 2, 1);
        auto coordinator = client.findCoordinator(QStringLiteral("g1"));
        QVERIFY2(coordinator.has_value(), qPrintable(coordinator ? QString() : coordinator.error().message));
        auto committed = client.offsetCommit(*coordinator, QStringLiteral("g1"),
                                             {{QStringLiteral("lagging"), 1, 3, QStringLiteral("meta")}});
        QVERIFY2(committed.has_value(), qPrintable(committed ? QString() : committed.error().message));
        auto listed = client.listGroups(*coordinator);
        QVERIFY(listed.has_value());
        bool found = false;
        for (const auto& g : listed->groups)
            found = found || g.groupId == "g1";
        QVERIFY(found);
        auto described = client.describeGroups(*coordinator, {QStringLiteral("g1")});
        QVERIFY(described.has_value());
        QCOMPARE(described->groups.size(), 1u);
        QCOMPARE(described->groups[0].errorCode, 0);
        QCOMPARE(QString::fromStdString(described->groups[0].groupState), QStringLiteral("Empty"));
        auto fetched = client.offsetFetch(*coordinator, QStringLiteral("g1"));
        QVERIFY2(fetched.has_value(), qPrintable(fetched ? QString() : fetched.error().message));
        qint64 offset = -1;
        QString metadata;
        for (const auto& t : fetched->topics)
            for (const auto& p : t.partitions)
                if (t.name == "lagging" && p.partitionIndex == 1) {
                    offset = p.committedOffset;
                    metadata = QString::fromStdString(p.metadata.value_or(""));
                }
        QCOMPARE(offset, 3);
        QCOMPARE(metadata, QStringLiteral("meta"));
    }

    void unreachablePort() {
        // Find a port nobody listens on.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        KafkaClient::Options options;
        options.connectTimeout = std::chrono::milliseconds(2000);
        KafkaClient client(testsupport::plainProfile(QStringLiteral("127.0.0.1:%1").arg(port)), options);
        QElapsedTimer timer;
        timer.start();
        auto md = client.metadata();
        QVERIFY(!md.has_value());
        QVERIFY(timer.elapsed() < 10000);
        QVERIFY(md.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(port)));
        QVERIFY(!md.error().errorName.isEmpty());
    }

    void notKafka_data() {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<bool>("closeAfter");
        QTest::newRow("http") << QByteArray("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                              << false;
        QTest::newRow("tiny frame") << QByteArray("\x00\x00\x00\x01\x07", 5) << false;
        QTest::newRow("wrong correlation")
            << QByteArray("\x00\x00\x00\x08\x7f\x7f\x7f\x7f\x00\x00\x00\x00", 12) << false;
        QTest::newRow("silent") << QByteArray() << false;
        QTest::newRow("closes") << QByteArray() << true;
    }
    void notKafka() {
        QFETCH(QByteArray, answer);
        QFETCH(bool, closeAfter);
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QTcpSocket*> sockets;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            while (auto* socket = server.nextPendingConnection()) {
                sockets << socket;
                connect(socket, &QTcpSocket::readyRead, socket, [socket, answer, closeAfter] {
                    socket->readAll();
                    if (!answer.isEmpty())
                        socket->write(answer);
                    if (closeAfter)
                        socket->close();
                });
            }
        });
        const QString address = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        KafkaClient::Options options;
        options.connectTimeout = std::chrono::milliseconds(1500);
        options.requestTimeout = std::chrono::milliseconds(3000);
        auto future = std::async(std::launch::async, [address, options] {
            KafkaClient client(testsupport::plainProfile(address), options);
            return client.metadata();
        });
        QTRY_VERIFY_WITH_TIMEOUT(future.wait_for(std::chrono::seconds(0)) == std::future_status::ready,
                                 15000);
        const auto result = future.get();
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().errorName, QStringLiteral("NOT_KAFKA"));
        QVERIFY2(result.error().message.startsWith(address + QStringLiteral(" did not answer like a Kafka broker")),
                 qPrintable(result.error().message));
        qDeleteAll(sockets);
    }

    void missingApiIsNamed() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto md = client.metadata(QStringList{});
        QVERIFY(md.has_value());
        // An api key this engine does not serve (ControlledShutdown, 7).
        auto version = client.negotiatedVersion(md->brokers[0].nodeId, 7);
        QVERIFY(!version.has_value());
        QCOMPARE(version.error().errorName, QStringLiteral("UNSUPPORTED_VERSION"));
        QCOMPARE(version.error().message,
                 QStringLiteral("broker %1 does not support API 7").arg(md->brokers[0].nodeId));
    }

    // abort() from another thread ends a call blocked on a server that never answers: at once,
    // not after the (here one minute) timeout; and every later call fails the same way.
    void abortInterruptsABlockedCall() {
        testsupport::BlackHole blackHole;
        QVERIFY(blackHole.listen());
        KafkaClient::Options slow;
        slow.requestTimeout = std::chrono::minutes(1);
        slow.connectTimeout = std::chrono::minutes(1);
        KafkaClient client(testsupport::plainProfile(blackHole.address()), slow);
        auto call = std::async(std::launch::async, [&client] { return client.metadata(); });
        QTRY_VERIFY_WITH_TIMEOUT(blackHole.received() > 0, 10000); // the request is out; the call waits
        QVERIFY(call.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

        client.abort();
        const auto done = [&call] {
            return call.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        };
        QTRY_VERIFY_WITH_TIMEOUT(done(), 10000);
        const auto result = call.get();
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().errorName, QStringLiteral("ABORTED"));
        QVERIFY(client.aborted());
        QTRY_VERIFY_WITH_TIMEOUT(blackHole.peerClosed(), 10000); // the socket was shut down, not left open

        const auto later = client.describeCluster();
        QVERIFY(!later.has_value());
        QCOMPARE(later.error().errorName, QStringLiteral("ABORTED"));
        QCOMPARE(blackHole.connections(), 1); // no new connection was tried after the abort
    }
};

QTEST_GUILESS_MAIN(TestKafkaClient)
#include "test_kafka_client.moc"
