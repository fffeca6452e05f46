// ClusterSession against an in-process Engine: snapshots, jobs, generations, failures.
#include "kafka_test_proxy.h"
#include "models/cluster_session.h"
#include "models/kafka_client.h"
#include "models/sandbox_controller.h"
#include "tests/support/black_hole.h"
#include "tests/support/test_engine.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <librdkafka/rdkafka.h>

using namespace faultline;
using models::ClusterSession;
using models::ConnectionState;
using models::SnapshotPtr;

namespace {

class CreateTopicJob final : public models::Job {
public:
    explicit CreateTopicJob(QString name) : m_name(std::move(name)) {}
    QString title() const override { return QStringLiteral("Create topic %1").arg(m_name); }
    models::JobResult run(models::JobContext& context) override {
        context.progress(10, QStringLiteral("sending CreateTopics"));
        protocol::CreateTopicsRequest request;
        protocol::CreateTopicsRequest::CreatableTopic topic;
        topic.name = m_name.toStdString();
        topic.numPartitions = 4;
        topic.replicationFactor = 3;
        topic.configs.push_back({"min.insync.replicas", std::string("2")});
        request.topics.push_back(topic);
        request.timeoutMs = 10000;
        models::JobResult result;
        auto created = context.client().createTopics(request);
        if (!created) {
            result.errorName = created.error().errorName;
            result.detail = created.error().message;
            result.summary = QStringLiteral("Could not create topic %1").arg(m_name);
            return result;
        }
        context.progress(100, QStringLiteral("done"));
        result.ok = true;
        result.summary = QStringLiteral("Created topic %1").arg(m_name);
        return result;
    }

private:
    QString m_name;
};

class WaitForCancelJob final : public models::Job {
public:
    QString title() const override { return QStringLiteral("wait"); }
    models::JobResult run(models::JobContext& context) override {
        for (int i = 0; i < 500 && !context.cancelled(); ++i)
            QThread::msleep(10);
        models::JobResult result;
        result.ok = !context.cancelled();
        result.errorName = context.cancelled() ? QStringLiteral("CANCELLED") : QString();
        return result;
    }
};

// The last snapshot signalled by the spy.
SnapshotPtr lastSnapshot(const QSignalSpy& spy) {
    return spy.isEmpty() ? SnapshotPtr() : spy.last().at(0).value<SnapshotPtr>();
}

// Destroys `session` and returns how long its destructor took, in ms.
qint64 destroyTimed(std::unique_ptr<ClusterSession>& session) {
    QElapsedTimer clock;
    clock.start();
    session.reset();
    return clock.elapsed();
}

} // namespace

class TestClusterSession : public QObject {
    Q_OBJECT
private:
    testsupport::TestEngine m_engine;
    QString m_bootstrap;

private slots:
    void initTestCase() {
        const auto started = m_engine.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        m_bootstrap = m_engine.bootstrap();
    }

    void cleanupTestCase() { m_engine.stop(); }

    void firstSnapshot() {
        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        QSignalSpy states(&session, &ClusterSession::stateChanged);
        session.start();
        QVERIFY(snapshots.wait(15000));
        const SnapshotPtr snapshot = lastSnapshot(snapshots);
        QVERIFY(snapshot);
        QCOMPARE(session.latest(), snapshot);
        QCOMPARE(snapshot->generation, session.generation());
        QCOMPARE(snapshot->brokers.size(), 3);
        QVERIFY2(snapshot->warnings.isEmpty(),
                 qPrintable(snapshot->warnings.join(QLatin1String("; "))));
        QVERIFY(!snapshot->clusterId.isEmpty());
        QVERIFY(snapshot->controllerId >= 0);
        for (int i = 0; i < 3; ++i) {
            const auto& b = snapshot->brokers[i];
            if (i > 0)
                QVERIFY(snapshot->brokers[i - 1].id < b.id);
            QCOMPARE(b.rack, QStringLiteral("FD%1UD%2").arg(b.faultDomain).arg(b.updateDomain));
            QVERIFY(b.faultDomain >= 0 && b.faultDomain < 3);
            QCOMPARE(b.status, models::BrokerStatus::Up);
            QCOMPARE(b.controller, b.id == snapshot->controllerId);
            QVERIFY(b.diskBytes >= 0);
        }
        QTRY_VERIFY(!states.isEmpty());
        QCOMPARE(states.first().at(0).value<ConnectionState>(), ConnectionState::Connecting);
        QCOMPARE(states.last().at(0).value<ConnectionState>(), ConnectionState::Connected);
    }

    void jobCreatesTopic() {
        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        QSignalSpy started(&session, &ClusterSession::jobStarted);
        QSignalSpy progress(&session, &ClusterSession::jobProgress);
        QSignalSpy finished(&session, &ClusterSession::jobFinished);
        session.start();
        QVERIFY(snapshots.wait(15000));
        QVERIFY(!lastSnapshot(snapshots)->topic(QStringLiteral("payments")));

        const auto id =
            session.submit(std::make_shared<CreateTopicJob>(QStringLiteral("payments")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QCOMPARE(finished.first().at(0).value<models::JobId>(), id);
        const auto result = finished.first().at(1).value<models::JobResult>();
        QVERIFY2(result.ok, qPrintable(result.detail));
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().at(1).toString(), QStringLiteral("Create topic payments"));
        QCOMPARE(progress.size(), 2);
        QCOMPARE(progress.last().at(1).toInt(), 100);

        // The refresh after the job shows the topic with its partitions and offsets.
        QTRY_VERIFY_WITH_TIMEOUT(lastSnapshot(snapshots)->topic(QStringLiteral("payments")), 15000);
        const auto snapshot = lastSnapshot(snapshots);
        const auto* topic = snapshot->topic(QStringLiteral("payments"));
        QCOMPARE(topic->partitions.size(), 4);
        QCOMPARE(topic->replicationFactor(), 3);
        QVERIFY2(snapshot->warnings.isEmpty(),
                 qPrintable(snapshot->warnings.join(QLatin1String("; "))));
        QCOMPARE(topic->minInsyncReplicas, 2);
        QCOMPARE(topic->underReplicatedCount(), 0);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(topic->partitions[i].partition, i);
            QVERIFY(topic->partitions[i].leader >= 0);
            QCOMPARE(topic->partitions[i].logEndOffset, 0);
            QCOMPARE(topic->partitions[i].logStartOffset, 0);
        }
        int leaders = 0, replicas = 0;
        for (const auto& b : snapshot->brokers) {
            leaders += b.leaderCount;
            replicas += b.replicaCount;
        }
        QCOMPARE(leaders, snapshot->partitionCount() - snapshot->offlineCount());
        QVERIFY(replicas >= 12);

        // A second identical job fails with Kafka's error name.
        session.submit(std::make_shared<CreateTopicJob>(QStringLiteral("payments")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 15000);
        const auto second = finished.last().at(1).value<models::JobResult>();
        QVERIFY(!second.ok);
        QCOMPARE(second.errorName, QStringLiteral("TOPIC_ALREADY_EXISTS"));
    }

    void groupWithCommittedOffsets() {
        // Commit offsets through the client, then the session shows the group and its lag.
        const QString failed = testsupport::commitOnNewTopic(m_bootstrap, QStringLiteral("audit"),
                                                             QStringLiteral("auditors"));
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        session.start();
        QVERIFY(snapshots.wait(15000));
        const auto* group = lastSnapshot(snapshots)->group(QStringLiteral("auditors"));
        QVERIFY(group);
        QCOMPARE(group->state, QStringLiteral("Empty"));
        QVERIFY(group->coordinator >= 0);
        QCOMPARE(group->offsets.size(), 1);
        QCOMPARE(group->offsets[0].topic, QStringLiteral("audit"));
        QCOMPARE(group->offsets[0].committedOffset, 0);
        QCOMPARE(group->offsets[0].endOffset, 0);
        QCOMPARE(group->totalLag(), 0);
    }

    void liveConsumerAssignment() {
        // A librdkafka consumer joins a group; the snapshot decodes its assignment.
        {
            models::KafkaClient client(testsupport::plainProfile(m_bootstrap, 60000));
            protocol::CreateTopicsRequest request;
            protocol::CreateTopicsRequest::CreatableTopic topic;
            topic.name = "clicks";
            topic.numPartitions = 2;
            topic.replicationFactor = 1;
            request.topics.push_back(topic);
            QVERIFY(client.createTopics(request).has_value());
        }
        QString error;
        rd_kafka_t* consumer = testsupport::assignedConsumer(m_bootstrap, "clickers", "clicks", 2,
                                                             &error, {{"client.id", "click-reader"}});
        QVERIFY2(consumer, qPrintable(error));

        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        session.start();
        QVERIFY(snapshots.wait(15000));
        const auto* group = lastSnapshot(snapshots)->group(QStringLiteral("clickers"));
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        QVERIFY(group);
        QCOMPARE(group->state, QStringLiteral("Stable"));
        QCOMPARE(group->protocolType, QStringLiteral("consumer"));
        QVERIFY(!group->protocol.isEmpty());
        QCOMPARE(group->members.size(), 1);
        QCOMPARE(group->members[0].clientId, QStringLiteral("click-reader"));
        const QVector<QPair<QString, std::int32_t>> expected{{QStringLiteral("clicks"), 0},
                                                             {QStringLiteral("clicks"), 1}};
        QCOMPARE(group->members[0].assignment, expected);
        // Nothing committed yet: assigned partitions show with committed -1 and the member.
        QCOMPARE(group->offsets.size(), 2);
        QCOMPARE(group->offsets[0].committedOffset, -1);
        QCOMPARE(group->offsets[0].memberId, group->members[0].memberId);
    }

    void staleGenerationDropped() {
        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        session.start();
        QVERIFY(snapshots.wait(15000));
        const quint64 before = session.generation();
        const auto old = lastSnapshot(snapshots);

        session.reconnect();
        QCOMPARE(session.generation(), before + 1);
        // A snapshot of the previous generation is dropped...
        auto stale = std::make_shared<models::ClusterSnapshot>(*old);
        stale->sequence += 100;
        const int count = snapshots.size();
        QVERIFY(!session.acceptSnapshot(stale));
        QCOMPARE(snapshots.size(), count);
        QCOMPARE(session.latest(), old);
        // ... and the reconnect publishes one of the new generation.
        QTRY_VERIFY_WITH_TIMEOUT(lastSnapshot(snapshots)->generation == before + 1, 15000);
        QCOMPARE(session.latest()->generation, before + 1);
    }

    void cancelJob() {
        ClusterSession session(testsupport::plainProfile(m_bootstrap, 60000));
        QSignalSpy started(&session, &ClusterSession::jobStarted);
        QSignalSpy finished(&session, &ClusterSession::jobFinished);
        const auto id = session.submit(std::make_shared<WaitForCancelJob>());
        QVERIFY(started.wait(5000));
        session.cancel(id);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        const auto result = finished.first().at(1).value<models::JobResult>();
        QVERIFY(!result.ok);
        QCOMPARE(result.errorName, QStringLiteral("CANCELLED"));
    }

    void unreachableFails() {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        ClusterSession session(
            testsupport::plainProfile(QStringLiteral("127.0.0.1:%1").arg(port), 500));
        QSignalSpy states(&session, &ClusterSession::stateChanged);
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        session.start();
        // The event loop keeps running while the worker fails.
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty() &&
                                     states.last().at(0).value<ConnectionState>() ==
                                         ConnectionState::Failed,
                                 10000);
        QVERIFY(states.last().at(1).toString().contains(QString::number(port)));
        QVERIFY(snapshots.isEmpty());
        QVERIFY(!session.latest());
    }

    void recoversAfterFailure() {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        ClusterSession session(
            testsupport::plainProfile(QStringLiteral("127.0.0.1:%1").arg(port), 300));
        QSignalSpy states(&session, &ClusterSession::stateChanged);
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        session.start();
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty() &&
                                     states.last().at(0).value<ConnectionState>() ==
                                         ConnectionState::Failed,
                                 10000);
        // A broker appears on that port: the session's retries find it.
        testsupport::TestEngine engine;
        const auto started =
            engine.start({.brokers = 1, .faultDomains = 1, .updateDomains = 1, .basePort = port});
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        QTRY_VERIFY_WITH_TIMEOUT(
            states.last().at(0).value<ConnectionState>() == ConnectionState::Connected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10000);
        QCOMPARE(lastSnapshot(snapshots)->brokers.size(), 1);
        engine.stop();
    }

    void sandboxControllerRoundTrip() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        models::SandboxController sandbox;
        QSignalSpy started(&sandbox, &models::SandboxController::started);
        QSignalSpy failed(&sandbox, &models::SandboxController::failed);
        QSignalSpy stopped(&sandbox, &models::SandboxController::stopped);
        models::SandboxOptions options;
        options.brokers = 2;
        options.faultDomains = 2;
        options.updateDomains = 1;
        options.basePort = 0;
        options.dataDir = dir.path() + QStringLiteral("/sandbox");
        sandbox.start(options);
        QVERIFY(sandbox.isBusy());
        QVERIFY(!sandbox.isRunning());
        QVERIFY(started.wait(15000));
        QVERIFY(failed.isEmpty());
        QVERIFY(sandbox.isRunning());
        QCOMPARE(started.first().at(0).toString(), sandbox.bootstrapServers());
        QCOMPARE(sandbox.bootstrapServers().split(QLatin1Char(',')).size(), 2);

        { // Attach a session to it like to any cluster.
            ClusterSession session(testsupport::plainProfile(sandbox.bootstrapServers(), 60000));
            QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
            session.start();
            QVERIFY(snapshots.wait(15000));
            const auto snapshot = lastSnapshot(snapshots);
            QCOMPARE(snapshot->brokers.size(), 2);
            QCOMPARE(snapshot->brokers[0].faultDomain, 0);
            QCOMPARE(snapshot->brokers[1].faultDomain, 1);
            QCOMPARE(snapshot->brokers[0].updateDomain, 0);
        }

        sandbox.stop();
        QVERIFY(stopped.wait(15000));
        QVERIFY(!sandbox.isRunning());
        QVERIFY(sandbox.bootstrapServers().isEmpty());

        // A port already taken makes start fail with a message.
        QTcpServer blocker;
        QVERIFY(blocker.listen(QHostAddress::LocalHost));
        options.basePort = blocker.serverPort();
        options.brokers = 1;
        sandbox.start(options);
        QVERIFY(failed.wait(15000));
        QVERIFY(!failed.first().at(0).toString().isEmpty());
        QVERIFY(!sandbox.isRunning());
    }

    void notKafkaFails() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QTcpSocket*> sockets;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            while (auto* socket = server.nextPendingConnection()) {
                sockets << socket;
                connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                    socket->readAll();
                    socket->write("HTTP/1.1 400 Bad Request\r\n\r\n");
                });
            }
        });
        ClusterSession session(testsupport::plainProfile(
            QStringLiteral("127.0.0.1:%1").arg(server.serverPort()), 60000));
        QSignalSpy states(&session, &ClusterSession::stateChanged);
        session.start();
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty() &&
                                     states.last().at(0).value<ConnectionState>() ==
                                         ConnectionState::Failed,
                                 10000);
        QVERIFY2(states.last().at(1).toString().contains(
                     QStringLiteral("did not answer like a Kafka broker")),
                 qPrintable(states.last().at(1).toString()));
        qDeleteAll(sockets);
    }

    // Destroying a session while its refresh waits on a server that never answers returns at
    // once: the request is abandoned (its socket shut down), not waited out (the client's
    // timeouts are one minute here), and the worker thread ends on its own soon after.
    void destroyingDuringARefreshDoesNotWait() {
        testsupport::BlackHole blackHole;
        QVERIFY(blackHole.listen());
        auto session = std::make_unique<ClusterSession>(testsupport::plainProfile(
            blackHole.address(), 60000));
        models::KafkaClient::Options slow;
        slow.requestTimeout = std::chrono::minutes(1);
        slow.connectTimeout = std::chrono::minutes(1);
        session->setClientOptions(slow);
        session->start();
        QTRY_VERIFY_WITH_TIMEOUT(blackHole.received() > 0, 10000); // the refresh's request is out and waits

        const int finishingBefore = ClusterSession::finishingThreadCount();
        const qint64 destroyMs = destroyTimed(session);
        // A hang check, not a benchmark: the old destructor waited for the request's timeout.
        QVERIFY2(destroyMs < 5000,
                 qPrintable(QStringLiteral("the destructor took %1 ms").arg(destroyMs)));
        QCOMPARE(ClusterSession::finishingThreadCount(), finishingBefore + 1);

        // The request was interrupted: the black hole sees the connection shut down and the
        // worker thread ends long before the one-minute timeout.
        QTRY_VERIFY_WITH_TIMEOUT(blackHole.peerClosed(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(ClusterSession::finishingThreadCount(), finishingBefore, 10000);
    }

    // Same while the refresh waits on librdkafka: a proxy holds the OffsetFetch of the session's
    // librdkafka handle (timeouts a minute). The destructor returns at once, and the worker
    // thread (which destroys the handle) ends long before the minute is out.
    void destroyingDuringALibrdkafkaWaitDoesNotWait() {
        testsupport::TestEngine engine;
        const auto started = engine.start({.brokers = 1, .faultDomains = 1, .updateDomains = 1});
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        const QString failed = testsupport::commitOnNewTopic(
            engine.bootstrap(), QStringLiteral("held"), QStringLiteral("held-readers"));
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        testing::ProxyOptions options;
        options.upstreamPort =
            static_cast<std::uint16_t>(engine.bootstrap().section(QLatin1Char(':'), -1).toUInt());
        options.unansweredApi = 9; // OffsetFetch, sent only by the session's librdkafka handle
        testing::KafkaTestProxy proxy(options);
        QString error;
        QVERIFY2(proxy.start(&error), qPrintable(error));

        auto session =
            std::make_unique<ClusterSession>(testsupport::plainProfile(proxy.address(), 60000));
        models::KafkaClient::Options slow;
        slow.requestTimeout = std::chrono::minutes(1);
        session->setClientOptions(slow);
        session->start();
        QTRY_VERIFY_WITH_TIMEOUT(proxy.unanswered() > 0, 20000); // the refresh waits for it

        const int finishingBefore = ClusterSession::finishingThreadCount();
        const qint64 destroyMs = destroyTimed(session);
        QVERIFY2(destroyMs < 5000,
                 qPrintable(QStringLiteral("the destructor took %1 ms").arg(destroyMs)));
        QTRY_COMPARE_WITH_TIMEOUT(ClusterSession::finishingThreadCount(), finishingBefore, 20000);
    }

    // Same while a job waits on the black hole: the job's call is abandoned as well.
    void destroyingDuringAJobDoesNotWait() {
        testsupport::BlackHole blackHole;
        QVERIFY(blackHole.listen());
        auto session = std::make_unique<ClusterSession>(testsupport::plainProfile(
            blackHole.address(), 60000));
        models::KafkaClient::Options slow;
        slow.requestTimeout = std::chrono::minutes(1);
        slow.connectTimeout = std::chrono::minutes(1);
        session->setClientOptions(slow);
        QSignalSpy started(session.get(), &ClusterSession::jobStarted);
        session->submit(std::make_shared<CreateTopicJob>(QStringLiteral("never")));
        QVERIFY(started.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(blackHole.received() > 0, 10000);
        const int finishingBefore = ClusterSession::finishingThreadCount();
        session.reset();
        QTRY_COMPARE_WITH_TIMEOUT(ClusterSession::finishingThreadCount(), finishingBefore, 10000);
    }
};

QTEST_GUILESS_MAIN(TestClusterSession)
#include "test_cluster_session.moc"
