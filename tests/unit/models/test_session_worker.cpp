// SessionWorker::buildSnapshot against an in-process Engine (3 brokers): the refresh records its
// steps (names, order, requests sent) in ClusterSnapshot::phases, and every watermark, replica
// size and committed offset lands on the partition it belongs to; ListOffsets answers unknown
// partitions one by one.
#include "engine/broker/engine.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"
#include "models/kafka_client.h"
#include "models/session_worker.h"
#include "tests/support/test_engine.h"

#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <map>

using namespace faultline;
using models::KafkaClient;
using models::SessionWorker;

class TestSessionWorker : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<broker::Engine> m_engine;
    QString m_bootstrap;

    // `count` records of `valueBytes` bytes each into one partition, through its leader.
    void produce(KafkaClient& client, const QString& topic, std::int32_t partition, int count,
                 int valueBytes) {
        auto metadata = client.metadata(QStringList{topic});
        QVERIFY(metadata.has_value());
        std::int32_t leader = -1;
        for (const auto& p : metadata->topics.at(0).partitions)
            if (p.partitionIndex == partition)
                leader = p.leaderId;
        QVERIFY(leader >= 0);
        std::vector<protocol::Record> records;
        for (int i = 0; i < count; ++i) {
            protocol::Record r;
            r.timestamp = 1700000000000 + i;
            r.value = std::vector<std::uint8_t>(static_cast<std::size_t>(valueBytes), 'x');
            records.push_back(r);
        }
        auto batch = protocol::buildBatch(records, {});
        QVERIFY(batch.has_value());
        protocol::ProduceRequest request;
        request.acks = -1;
        request.timeoutMs = 5000;
        protocol::ProduceRequest::TopicProduceData data;
        data.name = topic.toStdString();
        protocol::ProduceRequest::PartitionProduceData pd;
        pd.index = partition;
        pd.records = protocol::Records::copyOf(*batch);
        data.partitionData.push_back(pd);
        request.topicData.push_back(data);
        auto response =
            client.send<protocol::ProduceRequest, protocol::ProduceResponse>(leader, request);
        QVERIFY2(response.has_value(), qPrintable(response ? QString() : response.error().message));
        QCOMPARE(response->responses.at(0).partitionResponses.at(0).errorCode, 0);
    }

    void createTopic(KafkaClient& client, const QString& name, int partitions, int rf) {
        protocol::CreateTopicsRequest request;
        protocol::CreateTopicsRequest::CreatableTopic topic;
        topic.name = name.toStdString();
        topic.numPartitions = partitions;
        topic.replicationFactor = static_cast<std::int16_t>(rf);
        request.topics.push_back(topic);
        request.timeoutMs = 10000;
        auto created = client.createTopics(request);
        QVERIFY2(created.has_value(), qPrintable(created ? QString() : created.error().message));
    }

    void commit(KafkaClient& client, const QString& group,
                const QVector<models::TopicPartitionOffset>& offsets) {
        auto coordinator = client.findCoordinator(group);
        for (int attempt = 0; attempt < 50 && !coordinator;
             ++attempt) { // __consumer_offsets loading
            QTest::qWait(100);
            coordinator = client.findCoordinator(group);
        }
        QVERIFY2(coordinator.has_value(),
                 qPrintable(coordinator ? QString() : coordinator.error().message));
        auto done = client.offsetCommit(*coordinator, group, offsets);
        QVERIFY2(done.has_value(), qPrintable(done ? QString() : done.error().message));
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        broker::EngineOptions options;
        options.brokers = 3;
        options.basePort = 0;
        options.dataDir = m_dir.path().toStdString();
        auto engine = broker::Engine::start(options);
        QVERIFY2(engine.has_value(), engine ? "" : engine.error().c_str());
        m_engine = std::move(*engine);
        m_bootstrap = QString::fromStdString(m_engine->bootstrapServers());

        // "spread": 6 partitions at RF 3, partition i holds i + 1 records of (i + 1) * 100 bytes;
        // "single": 1 partition at RF 1, empty. Two groups commit on "spread".
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("spread"), 6, 3);
        createTopic(client, QStringLiteral("single"), 1, 1);
        for (int p = 0; p < 6; ++p)
            produce(client, QStringLiteral("spread"), p, p + 1, (p + 1) * 100);
        commit(client, QStringLiteral("readers-a"),
               {{QStringLiteral("spread"), 0, 1, QString()},
                {QStringLiteral("spread"), 5, 2, QString()}});
        commit(client, QStringLiteral("readers-b"), {{QStringLiteral("spread"), 3, 0, QString()}});
    }

    void cleanupTestCase() {
        if (m_engine)
            m_engine->stop();
        m_engine.reset();
    }

    void phasesNameEveryStepWithItsRequests() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto built = SessionWorker::buildSnapshot(client, testsupport::plainProfile(m_bootstrap));
        QVERIFY2(built.has_value(), qPrintable(built ? QString() : built.error().message));
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));

        QStringList names;
        qint64 cpuUs = 0;
        for (const auto& p : s.phases) {
            names << p.name;
            QVERIFY2(p.elapsedUs >= 0 && p.cpuUs >= 0, qPrintable(p.name));
            cpuUs += p.cpuUs;
        }
        QVERIFY(cpuUs > 0); // decoding 3 brokers' answers costs the worker some CPU
        const QStringList expected{QStringLiteral("metadata"), QStringLiteral("list_offsets"),
                                   QStringLiteral("log_dirs"), QStringLiteral("configs"),
                                   QStringLiteral("groups"),   QStringLiteral("offset_fetch")};
        QCOMPARE(names, expected);

        // Requests: one Metadata; earliest + latest ListOffsets per leader; DescribeLogDirs per
        // broker; one DescribeConfigs; ListGroups per broker plus DescribeGroups per coordinator
        // that has groups; OffsetFetch per group.
        QSet<std::int32_t> leaders;
        for (const auto& t : s.topics)
            for (const auto& p : t.partitions)
                leaders.insert(p.leader);
        QSet<std::int32_t> coordinators;
        for (const auto& g : s.groups)
            coordinators.insert(g.coordinator);
        QCOMPARE(s.brokers.size(), 3);
        QCOMPARE(s.groups.size(), 2);
        QCOMPARE(s.phase(QStringLiteral("metadata"))->requests, 1);
        QCOMPARE(s.phase(QStringLiteral("list_offsets"))->requests,
                 2 * static_cast<int>(leaders.size()));
        QCOMPARE(s.phase(QStringLiteral("log_dirs"))->requests, 3);
        QCOMPARE(s.phase(QStringLiteral("configs"))->requests, 1);
        QCOMPARE(s.phase(QStringLiteral("groups"))->requests,
                 3 + static_cast<int>(coordinators.size()));
        QCOMPARE(s.phase(QStringLiteral("offset_fetch"))->requests, 2);
        QCOMPARE(s.phase(QStringLiteral("describe_cluster")), nullptr);
    }

    void factsLandOnTheirPartitions() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto built = SessionWorker::buildSnapshot(client, testsupport::plainProfile(m_bootstrap));
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        const models::TopicRow* spread = s.topic(QStringLiteral("spread"));
        QVERIFY(spread);
        QCOMPARE(spread->partitions.size(), 6);
        qint64 previousSize = 0;
        for (int p = 0; p < 6; ++p) {
            const models::PartitionRow& row = spread->partitions[p];
            QCOMPARE(row.partition, p);
            QCOMPARE(row.logStartOffset, 0);
            QCOMPARE(row.logEndOffset, p + 1);
            QCOMPARE(row.replicaSizeBytes.size(), 3);
            // Every replica of a partition holds the same bytes; more records, more bytes.
            const qint64 size = row.replicaSizeBytes.value(row.leader);
            QVERIFY2(size > previousSize,
                     qPrintable(QStringLiteral("partition %1: %2 bytes").arg(p).arg(size)));
            for (auto it = row.replicaSizeBytes.begin(); it != row.replicaSizeBytes.end(); ++it)
                QCOMPARE(it.value(), size);
            previousSize = size;
        }
        QCOMPARE(spread->messageCount(), 21);

        const models::TopicRow* single = s.topic(QStringLiteral("single"));
        QVERIFY(single);
        QCOMPARE(single->partitions.size(), 1);
        QCOMPARE(single->partitions[0].logEndOffset, 0);
        QCOMPARE(single->partitions[0].replicaSizeBytes.size(), 1);
        QCOMPARE(single->partitions[0].replicaSizeBytes.value(single->partitions[0].leader), 0);

        const models::GroupRow* a = s.group(QStringLiteral("readers-a"));
        QVERIFY(a);
        QCOMPARE(a->offsets.size(), 2);
        QCOMPARE(a->offsets[0].partition, 0);
        QCOMPARE(a->offsets[0].endOffset, 1);
        QCOMPARE(a->offsets[0].lag(), 0);
        QCOMPARE(a->offsets[1].partition, 5);
        QCOMPARE(a->offsets[1].endOffset, 6);
        QCOMPARE(a->offsets[1].lag(), 4);
        const models::GroupRow* b = s.group(QStringLiteral("readers-b"));
        QVERIFY(b);
        QCOMPARE(b->offsets.size(), 1);
        QCOMPARE(b->offsets[0].endOffset, 4);
        QCOMPARE(b->totalLag(), 4);
    }

    void listOffsetsNamesUnknownPartitionsOneByOne() {
        // One request mixes real partitions with an unknown topic, a negative partition and one
        // past the topic's end: each gets its own answer (the handler looks a topic up once).
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto metadata = client.metadata(QStringList{QStringLiteral("single")});
        QVERIFY(metadata.has_value());
        const std::int32_t leader = metadata->topics.at(0).partitions.at(0).leaderId;
        QVERIFY(leader >= 0);
        auto answer = client.listOffsets(leader,
                                         {{QStringLiteral("single"), 0},
                                          {QStringLiteral("single"), -1},
                                          {QStringLiteral("single"), 1},
                                          {QStringLiteral("absent"), 0}},
                                         -1);
        QVERIFY2(answer.has_value(), qPrintable(answer ? QString() : answer.error().message));
        std::map<std::pair<std::string, std::int32_t>, std::int16_t> errors;
        std::int64_t end = -2;
        for (const auto& t : answer->topics)
            for (const auto& p : t.partitions) {
                errors[{t.name, p.partitionIndex}] = p.errorCode;
                if (t.name == "single" && p.partitionIndex == 0)
                    end = p.offset;
            }
        const auto errorOf = [&](const std::string& topic, std::int32_t partition) {
            auto it = errors.find({topic, partition});
            return it == errors.end() ? std::int16_t(-1) : it->second;
        };
        constexpr std::int16_t unknown = 3; // UNKNOWN_TOPIC_OR_PARTITION
        QCOMPARE(errors.size(), std::size_t(4));
        QCOMPARE(errorOf("single", 0), std::int16_t(0));
        QCOMPARE(end, std::int64_t(0));
        QCOMPARE(errorOf("single", -1), unknown);
        QCOMPARE(errorOf("single", 1), unknown);
        QCOMPARE(errorOf("absent", 0), unknown);
    }
};

QTEST_GUILESS_MAIN(TestSessionWorker)
#include "test_session_worker.moc"
