// SessionWorker::buildSnapshot against an in-process Engine (3 brokers): the refresh records its
// steps (names, order, requests sent) in ClusterSnapshot::phases, and every watermark, replica
// size and committed offset lands on the partition it belongs to; ListOffsets answers unknown
// partitions one by one. The reads that go through librdkafka (watermarks, min.insync.replicas,
// consumer groups, committed offsets) are checked on what they must get right: watermarks after
// produce and DeleteRecords, per-topic configs, Empty groups, a group of another protocol than
// "consumer", 50 groups fetched concurrently, a broker lacking an API, and an abandoned refresh.
#include "engine/broker/engine.h"
#include "engine/protocol/messages/delete_records.h"
#include "engine/protocol/messages/describe_configs.h"
#include "engine/protocol/messages/join_group.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/messages/sync_group.h"
#include "engine/protocol/records.h"
#include "kafka_test_proxy.h"
#include "models/kafka_client.h"
#include "models/rdkafka_handle.h"
#include "models/session_worker.h"
#include "tests/support/test_engine.h"

#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <atomic>
#include <librdkafka/rdkafka.h>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

using namespace faultline;
using models::KafkaClient;
using models::RdKafkaHandle;
using models::SessionWorker;

namespace {

// One refresh with a librdkafka handle of its own (created by the refresh).
models::ClientResult<std::shared_ptr<models::ClusterSnapshot>> build(KafkaClient& client) {
    std::unique_ptr<RdKafkaHandle> rdkafka;
    return SessionWorker::buildSnapshot(client, rdkafka, client.profile());
}

} // namespace

class TestSessionWorker : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<broker::Engine> m_engine;
    QString m_bootstrap;

    // `count` records of `valueBytes` bytes each into one partition, through its leader.
    void produce(KafkaClient& client, const QString& topic, std::int32_t partition, int count,
                 int valueBytes) {
        std::vector<protocol::Record> records;
        for (int i = 0; i < count; ++i) {
            protocol::Record r;
            r.timestamp = 1700000000000 + i;
            r.value = std::vector<std::uint8_t>(static_cast<std::size_t>(valueBytes), 'x');
            records.push_back(r);
        }
        const QString failed = testsupport::produceRecords(client, topic, partition, records);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }

    void createTopic(KafkaClient& client, const QString& name, int partitions, int rf) {
        const QString failed = testsupport::createTopic(client, name, partitions, rf);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
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

    // Deletes the records of `topic`[partition] before `offset` (-1: all), through its leader.
    void deleteRecords(KafkaClient& client, const QString& topic, std::int32_t partition,
                       qint64 offset) {
        const std::int32_t leader = testsupport::leaderOf(client, topic, partition);
        QVERIFY(leader >= 0);
        protocol::DeleteRecordsRequest request;
        request.timeoutMs = 5000;
        protocol::DeleteRecordsRequest::DeleteRecordsTopic t;
        t.name = topic.toStdString();
        t.partitions.push_back({partition, offset});
        request.topics.push_back(t);
        auto response =
            client.send<protocol::DeleteRecordsRequest, protocol::DeleteRecordsResponse>(leader,
                                                                                         request);
        QVERIFY2(response.has_value(), qPrintable(response ? QString() : response.error().message));
        QCOMPARE(response->topics.at(0).partitions.at(0).errorCode, 0);
    }

    // A one-broker engine with topic "plain" (1 partition) and a commit by `group` on it, for the
    // tests that put a proxy in front of it. Callers check QTest::currentTestFailed().
    void startEngineWithCommittedGroup(testsupport::TestEngine& engine, const QString& group) {
        const auto started = engine.start({.brokers = 1, .faultDomains = 1, .updateDomains = 1});
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        const QString failed = testsupport::commitOnNewTopic(engine.bootstrap(), QStringLiteral("plain"), group);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }

    // The coordinator of `group`, once __consumer_offsets is ready.
    std::int32_t coordinatorOf(KafkaClient& client, const QString& group) {
        auto coordinator = client.findCoordinator(group);
        for (int attempt = 0; attempt < 50 && !coordinator; ++attempt) {
            QTest::qWait(100);
            coordinator = client.findCoordinator(group);
        }
        return coordinator ? *coordinator : -1;
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
        auto built = build(client);
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

        // Requests: one Metadata; earliest + latest ListOffsets per leader (librdkafka's
        // offsets_for_times, one request per leader each); DescribeLogDirs per broker; one
        // DescribeConfigs (up to 1,000 topics each); ListGroups per broker plus one
        // DescribeConsumerGroups for up to 100 consumer groups; one ListConsumerGroupOffsets per
        // group.
        QSet<std::int32_t> leaders;
        for (const auto& t : s.topics)
            for (const auto& p : t.partitions)
                leaders.insert(p.leader);
        QCOMPARE(s.brokers.size(), 3);
        QCOMPARE(s.groups.size(), 2);
        QCOMPARE(s.phase(QStringLiteral("metadata"))->requests, 1);
        QCOMPARE(s.phase(QStringLiteral("list_offsets"))->requests,
                 2 * static_cast<int>(leaders.size()));
        QCOMPARE(s.phase(QStringLiteral("log_dirs"))->requests, 3);
        QCOMPARE(s.phase(QStringLiteral("configs"))->requests, 1);
        QCOMPARE(s.phase(QStringLiteral("groups"))->requests, 3 + 1);
        QCOMPARE(s.phase(QStringLiteral("offset_fetch"))->requests, 2);
        QCOMPARE(s.phase(QStringLiteral("describe_cluster")), nullptr);
    }

    void factsLandOnTheirPartitions() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto built = build(client);
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

        // Committed by hand, never joined: an Empty group of the empty protocol type with its
        // offsets and lag.
        const models::GroupRow* a = s.group(QStringLiteral("readers-a"));
        QVERIFY(a);
        QCOMPARE(a->state, QStringLiteral("Empty"));
        QCOMPARE(a->protocolType, QString());
        QVERIFY(a->members.isEmpty());
        QVERIFY(a->coordinator >= 0);
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

    void minInsyncReplicasPerTopic() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        protocol::CreateTopicsRequest request;
        protocol::CreateTopicsRequest::CreatableTopic topic;
        topic.name = "guarded";
        topic.numPartitions = 2;
        topic.replicationFactor = 3;
        topic.configs.push_back({"min.insync.replicas", std::string("2")});
        request.topics.push_back(topic);
        request.timeoutMs = 10000;
        auto created = client.createTopics(request);
        QVERIFY2(created.has_value(), qPrintable(created ? QString() : created.error().message));

        auto built = build(client);
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));
        QCOMPARE(s.topic(QStringLiteral("guarded"))->minInsyncReplicas, 2);
        QCOMPARE(s.topic(QStringLiteral("spread"))->minInsyncReplicas, 1);
    }

    // DescribeConfigs asks for min.insync.replicas alone, so the answer stays small however many
    // topics there are (seen on the wire by a proxy in front of a one-broker engine).
    void describeConfigsAsksOneKey() {
        testsupport::TestEngine engine;
        const auto started = engine.start({.brokers = 1, .faultDomains = 1, .updateDomains = 1});
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        {
            KafkaClient direct(testsupport::plainProfile(engine.bootstrap()));
            createTopic(direct, QStringLiteral("first"), 1, 1);
            createTopic(direct, QStringLiteral("second"), 1, 1);
        }
        std::mutex mutex;
        std::vector<protocol::DescribeConfigsRequest> seen;
        testing::ProxyOptions options;
        options.upstreamPort =
            static_cast<std::uint16_t>(engine.bootstrap().section(QLatin1Char(':'), -1).toUInt());
        options.onRequest = [&](std::int16_t apiKey, std::int16_t version,
                                std::span<const std::uint8_t> body) {
            if (apiKey != protocol::DescribeConfigsRequest::apiKey)
                return;
            protocol::Reader reader(body);
            protocol::DescribeConfigsRequest request;
            request.read(reader, version);
            const std::lock_guard lock(mutex);
            seen.push_back(request);
        };
        testing::KafkaTestProxy proxy(options);
        QString error;
        QVERIFY2(proxy.start(&error), qPrintable(error));

        KafkaClient client(testsupport::plainProfile(proxy.address()));
        auto built = build(client);
        QVERIFY(built.has_value());
        QVERIFY2((*built)->warnings.isEmpty(),
                 qPrintable((*built)->warnings.join(QLatin1String("; "))));
        const std::lock_guard lock(mutex);
        QCOMPARE(seen.size(), std::size_t(1));
        QStringList topics;
        for (const auto& resource : seen[0].resources) {
            topics << QString::fromStdString(resource.resourceName);
            QVERIFY(resource.configurationKeys.has_value());
            QCOMPARE(*resource.configurationKeys, std::vector<std::string>{"min.insync.replicas"});
        }
        topics.sort();
        QCOMPARE(topics, (QStringList{QStringLiteral("first"), QStringLiteral("second")}));
    }

    void watermarksFollowProduceAndDeleteRecords() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("trimmed"), 2, 3);
        produce(client, QStringLiteral("trimmed"), 0, 10, 50);
        produce(client, QStringLiteral("trimmed"), 1, 4, 50);
        deleteRecords(client, QStringLiteral("trimmed"), 0, 6);

        // One handle for both refreshes, as a session keeps it: the second sees fresh offsets.
        std::unique_ptr<RdKafkaHandle> rdkafka;
        const auto partitions = [&]() -> QVector<models::PartitionRow> {
            auto built = SessionWorker::buildSnapshot(client, rdkafka, client.profile());
            if (!built)
                return {};
            if (!(*built)->warnings.isEmpty())
                qWarning() << (*built)->warnings;
            return (*built)->topic(QStringLiteral("trimmed"))->partitions;
        };
        auto rows = partitions();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].logStartOffset, 6);
        QCOMPARE(rows[0].logEndOffset, 10);
        QCOMPARE(rows[1].logStartOffset, 0);
        QCOMPARE(rows[1].logEndOffset, 4);
        QVERIFY(rdkafka);

        produce(client, QStringLiteral("trimmed"), 0, 3, 50);
        deleteRecords(client, QStringLiteral("trimmed"), 1, -1); // everything: up to the end
        rows = partitions();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].logStartOffset, 6);
        QCOMPARE(rows[0].logEndOffset, 13);
        QCOMPARE(rows[1].logStartOffset, 4);
        QCOMPARE(rows[1].logEndOffset, 4);
        QCOMPARE(rows[0].messageCount() + rows[1].messageCount(), 7);
    }

    // More partitions than one offsets_for_times call takes (500): asked in chunks, several at
    // once; every answer still lands on its own partition.
    void watermarksOfManyPartitionsComeInChunks() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        createTopic(client, QStringLiteral("wide"), 1201, 1);
        for (const int p : {0, 499, 500, 777, 1000, 1200})
            produce(client, QStringLiteral("wide"), p, p % 7 + 1, 10);

        auto built = build(client);
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));
        const models::TopicRow* wide = s.topic(QStringLiteral("wide"));
        QVERIFY(wide);
        QCOMPARE(wide->partitions.size(), 1201);
        for (const auto& row : wide->partitions) {
            const bool filled = QList<int>{0, 499, 500, 777, 1000, 1200}.contains(row.partition);
            QCOMPARE(row.logStartOffset, 0);
            QCOMPARE(row.logEndOffset, filled ? row.partition % 7 + 1 : 0);
        }
        // Every call sends one ListOffsets per leader it has partitions of.
        int partitions = 0;
        QSet<std::int32_t> leaders;
        for (const auto& t : s.topics)
            for (const auto& p : t.partitions) {
                ++partitions;
                leaders.insert(p.leader);
            }
        const int chunks = (partitions + 499) / 500;
        QVERIFY(chunks >= 3);
        QCOMPARE(s.phase(QStringLiteral("list_offsets"))->requests,
                 2 * chunks * static_cast<int>(leaders.size()));
    }

    // A consumer commits and leaves: its group stays, Empty, of the consumer protocol, with no
    // members and the offsets and lag of what it committed.
    void groupLeftByItsConsumerKeepsOffsetsAndLag() {
        QString error;
        rd_kafka_t* consumer = testsupport::assignedConsumer(m_bootstrap, "departed", "spread", 6,
                                                             &error, {{"enable.auto.commit", "false"}});
        QVERIFY2(consumer, qPrintable(error));
        rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(2);
        rd_kafka_topic_partition_list_add(offsets, "spread", 2)->offset = 1;
        rd_kafka_topic_partition_list_add(offsets, "spread", 4)->offset = 3;
        const rd_kafka_resp_err_t committed = rd_kafka_commit(consumer, offsets, 0);
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        QCOMPARE(committed, RD_KAFKA_RESP_ERR_NO_ERROR);

        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto built = build(client);
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));
        const models::GroupRow* g = s.group(QStringLiteral("departed"));
        QVERIFY(g);
        QCOMPARE(g->state, QStringLiteral("Empty"));
        QCOMPARE(g->protocolType, QStringLiteral("consumer"));
        QVERIFY(g->members.isEmpty());
        QCOMPARE(g->offsets.size(), 2);
        QCOMPARE(g->offsets[0].partition, 2);
        QCOMPARE(g->offsets[0].committedOffset, 1);
        QCOMPARE(g->offsets[0].endOffset, 3);
        QCOMPARE(g->offsets[0].memberId, QString());
        QCOMPARE(g->offsets[1].partition, 4);
        QCOMPARE(g->offsets[1].committedOffset, 3);
        QCOMPARE(g->offsets[1].endOffset, 5);
        QCOMPARE(g->totalLag(), 4);
    }

    // A group of another protocol (a Kafka Connect cluster's, joined here with raw JoinGroup and
    // SyncGroup): librdkafka 2.0.2 neither lists nor describes it, yet the snapshot lists it with
    // its state, protocol and members, and every other group stays complete.
    void groupOfAnotherProtocolIsListedWithItsMembers() {
        KafkaClient::Options options;
        options.clientId = QStringLiteral("connect-worker-1");
        KafkaClient worker(testsupport::plainProfile(m_bootstrap), options);
        const QString group = QStringLiteral("connect-cluster");
        const std::int32_t coordinator = coordinatorOf(worker, group);
        QVERIFY(coordinator >= 0);

        // Connect's metadata and assignment are their own formats, not the consumer protocol's.
        const std::vector<std::uint8_t> connectBytes{
            0, 1, 0, 9, 'h', 't', 't', 'p', ':', '/', '/', 'w', '1', 0, 0, 0, 0, 0, 0, 0, 7};
        protocol::JoinGroupRequest join;
        join.groupId = group.toStdString();
        join.sessionTimeoutMs = 60000;
        join.rebalanceTimeoutMs = 60000;
        join.protocolType = "connect";
        join.protocols.push_back({"sessioned", connectBytes});
        auto joined =
            worker.send<protocol::JoinGroupRequest, protocol::JoinGroupResponse>(coordinator, join);
        QVERIFY2(joined.has_value(), qPrintable(joined ? QString() : joined.error().message));
        constexpr std::int16_t memberIdRequired = 79;
        if (joined->errorCode == memberIdRequired) {
            join.memberId = joined->memberId;
            joined = worker.send<protocol::JoinGroupRequest, protocol::JoinGroupResponse>(
                coordinator, join);
            QVERIFY2(joined.has_value(), qPrintable(joined ? QString() : joined.error().message));
        }
        QCOMPARE(joined->errorCode, 0);
        protocol::SyncGroupRequest sync;
        sync.groupId = join.groupId;
        sync.generationId = joined->generationId;
        sync.memberId = joined->memberId;
        sync.protocolType = "connect";
        sync.protocolName = "sessioned";
        sync.assignments.push_back({joined->memberId, connectBytes});
        auto synced =
            worker.send<protocol::SyncGroupRequest, protocol::SyncGroupResponse>(coordinator, sync);
        QVERIFY2(synced.has_value(), qPrintable(synced ? QString() : synced.error().message));
        QCOMPARE(synced->errorCode, 0);

        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        auto built = build(client);
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));
        const models::GroupRow* g = s.group(group);
        QVERIFY(g);
        QCOMPARE(g->state, QStringLiteral("Stable"));
        QCOMPARE(g->protocolType, QStringLiteral("connect"));
        QCOMPARE(g->protocol, QStringLiteral("sessioned"));
        QCOMPARE(g->coordinator, coordinator);
        QCOMPARE(g->members.size(), 1);
        QCOMPARE(g->members[0].memberId, QString::fromStdString(joined->memberId));
        QCOMPARE(g->members[0].clientId, QStringLiteral("connect-worker-1"));
        QVERIFY(!g->members[0].host.isEmpty());
        QVERIFY(g->members[0].assignment.isEmpty()); // not the consumer protocol: not decoded
        QVERIFY(g->offsets.isEmpty());
        // The consumer groups around it are complete.
        QCOMPARE(s.group(QStringLiteral("readers-b"))->totalLag(), 4);
    }

    // 50 groups: one ListConsumerGroupOffsets each, in flight together; every one answers.
    void manyGroupsAllGetTheirCommittedOffsets() {
        KafkaClient client(testsupport::plainProfile(m_bootstrap));
        for (int i = 0; i < 50; ++i)
            commit(client, QStringLiteral("many-%1").arg(i, 2, 10, QLatin1Char('0')),
                   {{QStringLiteral("spread"), i % 6, 0, QStringLiteral("m%1").arg(i)}});
        auto built = build(client);
        QVERIFY(built.has_value());
        const models::ClusterSnapshot& s = **built;
        QVERIFY2(s.warnings.isEmpty(), qPrintable(s.warnings.join(QLatin1String("; "))));
        QCOMPARE(s.phase(QStringLiteral("offset_fetch"))->requests,
                 static_cast<int>(s.groups.size()));
        for (int i = 0; i < 50; ++i) {
            const QString id = QStringLiteral("many-%1").arg(i, 2, 10, QLatin1Char('0'));
            const models::GroupRow* g = s.group(id);
            QVERIFY2(g, qPrintable(id));
            QCOMPARE(g->offsets.size(), 1);
            QCOMPARE(g->offsets[0].partition, i % 6);
            QCOMPARE(g->offsets[0].committedOffset, 0);
            QCOMPARE(g->offsets[0].metadata, QStringLiteral("m%1").arg(i));
            QCOMPARE(g->offsets[0].lag(), i % 6 + 1);
        }
    }

    // A broker without DescribeConfigs and OffsetFetch (hidden from ApiVersions by a proxy): the
    // snapshot still comes, and its warnings say what the broker does not support.
    void unsupportedApisAreNamed() {
        testsupport::TestEngine engine;
        startEngineWithCommittedGroup(engine, QStringLiteral("old-readers"));
        if (QTest::currentTestFailed())
            return;
        testing::ProxyOptions options;
        options.upstreamPort =
            static_cast<std::uint16_t>(engine.bootstrap().section(QLatin1Char(':'), -1).toUInt());
        options.hiddenApis = {32 /* DescribeConfigs */, 9 /* OffsetFetch */};
        testing::KafkaTestProxy proxy(options);
        QString error;
        QVERIFY2(proxy.start(&error), qPrintable(error));

        KafkaClient client(testsupport::plainProfile(proxy.address()));
        auto built = build(client);
        QVERIFY2(built.has_value(), qPrintable(built ? QString() : built.error().message));
        const models::ClusterSnapshot& s = **built;
        const QString warnings = s.warnings.join(QLatin1String("; "));
        QVERIFY2(warnings.contains(QStringLiteral(
                     "DescribeConfigs: the broker does not support DescribeConfigs")),
                 qPrintable(warnings));
        QVERIFY2(warnings.contains(QStringLiteral("OffsetFetch for group old-readers: the broker "
                                                  "does not support OffsetFetch")),
                 qPrintable(warnings));
        // The rest is there.
        QCOMPARE(s.topic(QStringLiteral("plain"))->partitions.size(), 1);
        QCOMPARE(s.topic(QStringLiteral("plain"))->partitions[0].logEndOffset, 0);
        QCOMPARE(s.group(QStringLiteral("old-readers"))->state, QStringLiteral("Empty"));
    }

    // A refresh waiting on librdkafka for an answer that never comes (the proxy holds the
    // OffsetFetch; the timeouts are a minute) stops when cancelled, with ABORTED, instead of
    // waiting the timeout out.
    void cancelledRefreshStopsWaitingOnLibrdkafka() {
        testsupport::TestEngine engine;
        startEngineWithCommittedGroup(engine, QStringLiteral("held"));
        if (QTest::currentTestFailed())
            return;
        testing::ProxyOptions options;
        options.upstreamPort =
            static_cast<std::uint16_t>(engine.bootstrap().section(QLatin1Char(':'), -1).toUInt());
        options.unansweredApi = 9; // OffsetFetch
        testing::KafkaTestProxy proxy(options);
        QString error;
        QVERIFY2(proxy.start(&error), qPrintable(error));

        KafkaClient::Options slow;
        slow.requestTimeout = std::chrono::minutes(1);
        KafkaClient client(testsupport::plainProfile(proxy.address()), slow);
        std::atomic<bool> cancelled{false};
        models::ClientResult<std::shared_ptr<models::ClusterSnapshot>> result =
            std::unexpected(models::ClientError{});
        std::unique_ptr<QThread> refresh(QThread::create([&] {
            std::unique_ptr<RdKafkaHandle> rdkafka;
            result = SessionWorker::buildSnapshot(client, rdkafka, client.profile(), QString(),
                                                  [&] { return cancelled.load(); });
        }));
        refresh->start();
        QTRY_VERIFY_WITH_TIMEOUT(proxy.unanswered() > 0, 20000);
        cancelled = true;
        QVERIFY(refresh->wait(30000)); // a hang check: the answer would take a minute
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().errorName, QStringLiteral("ABORTED"));
    }
};

QTEST_GUILESS_MAIN(TestSessionWorker)
#include "test_session_worker.moc"
