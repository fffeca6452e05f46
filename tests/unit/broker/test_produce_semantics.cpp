// Produce and fetch semantics of the in-process engine, spoken to with the project's own codec:
// idempotent producer sequences and epochs, max.message.bytes, LogAppendTime,
// message.timestamp.difference.max.ms, compression.type, min.insync.replicas, acks=0, pipelining
// behind a long-polling fetch, fetch errors, compressed and rejected batches, topic auto-creation,
// DeleteRecords, ListOffsets -3 (max timestamp) and OffsetForLeaderEpoch. Every check names the
// exact Kafka error code.
#include "engine/broker/cluster.h"
#include "engine/broker/engine.h"
#include "engine/broker/partition.h"
#include "engine/protocol/crc32c.h"
#include "engine/protocol/messages/api_versions.h"
#include "engine/protocol/messages/create_topics.h"
#include "engine/protocol/messages/delete_records.h"
#include "engine/protocol/messages/fetch.h"
#include "engine/protocol/messages/init_producer_id.h"
#include "engine/protocol/messages/list_offsets.h"
#include "engine/protocol/messages/metadata.h"
#include "engine/protocol/messages/offset_for_leader_epoch.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/record_batch.h"
#include "engine/protocol/records.h"
#include "tests/unit/broker/kafka_test_client.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

using namespace faultline;
using Client = testing::KafkaTestClient;

Q_DECLARE_METATYPE(protocol::Compression)
Q_DECLARE_METATYPE(std::vector<std::vector<int>>)

namespace {

// Kafka's error codes, as the tests expect them on the wire.
constexpr std::int16_t kNone = 0;
constexpr std::int16_t kOffsetOutOfRange = 1;
constexpr std::int16_t kCorruptMessage = 2;
constexpr std::int16_t kUnknownTopicOrPartition = 3;
constexpr std::int16_t kLeaderNotAvailable = 5;
constexpr std::int16_t kNotLeaderOrFollower = 6;
constexpr std::int16_t kMessageTooLarge = 10;
constexpr std::int16_t kInvalidTimestamp = 32;
constexpr std::int16_t kNotEnoughReplicas = 19;
constexpr std::int16_t kOutOfOrderSequenceNumber = 45;
constexpr std::int16_t kInvalidProducerEpoch = 47;
constexpr std::int16_t kFencedLeaderEpoch = 74;
constexpr std::int16_t kUnknownLeaderEpoch = 75;
constexpr std::int16_t kInvalidRecord = 87;

std::vector<std::uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<protocol::Record> makeRecords(int count, std::int64_t timestamp, std::size_t valueSize = 8,
                                          const std::string& prefix = "v") {
    std::vector<protocol::Record> records(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        auto& r = records[static_cast<std::size_t>(i)];
        r.offset = i;
        r.timestamp = timestamp + i;
        r.key = bytesOf("key-" + std::to_string(i));
        std::string value = prefix + std::to_string(i);
        value.resize(std::max(value.size(), valueSize), 'x');
        r.value = bytesOf(value);
        if (i % 2 == 0) {
            r.headers.push_back(protocol::RecordHeader{"h", bytesOf("hv" + std::to_string(i))});
        }
    }
    return records;
}

std::vector<std::uint8_t> batchOf(const std::vector<protocol::Record>& records,
                                  const protocol::BatchBuildOptions& options = {}) {
    auto batch = protocol::buildBatch(records, options);
    if (!batch) {
        qWarning("buildBatch failed: %s", batch.error().message.c_str());
        return {};
    }
    return std::move(*batch);
}

// Recomputes the CRC-32C over [21, end) after a deliberate header change.
void fixCrc(std::vector<std::uint8_t>& batch) {
    const std::uint32_t crc = protocol::crc32c(
        std::span<const std::uint8_t>(batch).subspan(protocol::kBatchCrcStart));
    qToBigEndian<quint32>(crc, batch.data() + 17);
}

// A 3-record batch damaged as rejectedBatches_data names it ("" = intact).
std::vector<std::uint8_t> damagedBatch(const QString& damage) {
    auto batch = batchOf(makeRecords(3, QDateTime::currentMSecsSinceEpoch()));
    if (damage == QLatin1String("crc")) {
        batch[batch.size() - 2] ^= 0x5a; // in the records, CRC left as it was
    } else if (damage == QLatin1String("control")) {
        batch[22] |= protocol::batch_attributes::kControl | protocol::batch_attributes::kTransactional;
        fixCrc(batch);
    } else if (damage == QLatin1String("two")) {
        const auto copy = batch;
        batch.insert(batch.end(), copy.begin(), copy.end());
    } else if (damage == QLatin1String("magic")) {
        batch[16] = 1;
    }
    return batch;
}

protocol::ProduceRequest produceRequest(const std::string& topic, std::int32_t partition,
                                        const std::vector<std::uint8_t>& batch, std::int16_t acks) {
    return testing::produceRequest(topic, partition, batch, acks, 5000);
}

using testing::fetchRequest;

QString uniqueName(const char* prefix) {
    static int counter = 0;
    return QStringLiteral("%1-%2").arg(QLatin1String(prefix)).arg(++counter);
}

} // namespace

class TestProduceSemantics : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<broker::Engine> m_engine;
    std::map<std::int32_t, std::unique_ptr<Client>> m_clients;

    static std::unique_ptr<broker::Engine> startEngine(const QString& dir,
                                                       std::map<std::string, std::string> configs = {}) {
        broker::EngineOptions options;
        options.brokerConfigs = std::move(configs);
        options.brokers = 3;
        options.basePort = 0;
        options.dataDir = dir.toStdString();
        auto engine = broker::Engine::start(options);
        if (!engine) {
            qWarning("%s", engine.error().c_str());
            return nullptr;
        }
        return std::move(*engine);
    }

    // One connection per broker of the shared engine, opened on first use.
    Client& to(std::int32_t brokerId) {
        auto& slot = m_clients[brokerId];
        if (!slot) {
            slot = std::make_unique<Client>();
            const auto view = m_engine->view();
            const bool connected = slot->connect(
                "127.0.0.1", view.brokers.at(static_cast<std::size_t>(brokerId - 1)).port);
            if (!connected) {
                qWarning("could not connect to broker %d", brokerId);
            }
        }
        return *slot;
    }
    Client& controller() { return to(m_engine->view().controllerId); }

    std::int16_t createTopic(const std::string& name, std::int32_t partitions, std::int16_t rf,
                             const std::map<std::string, std::string>& configs = {}) {
        protocol::CreateTopicsRequest create;
        auto& topic = create.topics.emplace_back();
        topic.name = name;
        topic.numPartitions = partitions;
        topic.replicationFactor = rf;
        for (const auto& [k, v] : configs) {
            auto& c = topic.configs.emplace_back();
            c.name = k;
            c.value = v;
        }
        create.timeoutMs = 5000;
        auto created = controller().request<protocol::CreateTopicsResponse>(5, create);
        if (created.topics.size() != 1) {
            return -1;
        }
        if (created.topics[0].errorCode != 0) {
            qWarning("create %s: %s", name.c_str(), created.topics[0].errorMessage.value_or("").c_str());
        }
        return created.topics[0].errorCode;
    }

    protocol::MetadataResponse::MetadataResponsePartition partitionInfo(const std::string& topic,
                                                                        std::int32_t partition) {
        protocol::MetadataRequest request;
        request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
        (*request.topics)[0].name = topic;
        request.allowAutoTopicCreation = false;
        auto meta = controller().request<protocol::MetadataResponse>(9, request);
        if (meta.topics.size() == 1) {
            for (const auto& p : meta.topics[0].partitions) {
                if (p.partitionIndex == partition) {
                    return p;
                }
            }
        }
        return {};
    }
    std::int32_t leaderOf(const std::string& topic, std::int32_t partition = 0) {
        return partitionInfo(topic, partition).leaderId;
    }
    Client& leader(const std::string& topic, std::int32_t partition = 0) {
        return to(leaderOf(topic, partition));
    }

    protocol::ProduceResponse::PartitionProduceResponse
    produce(const std::string& topic, std::int32_t partition, const std::vector<std::uint8_t>& batch,
            std::int16_t acks = -1, std::int16_t version = 9) {
        auto response = leader(topic, partition).request<protocol::ProduceResponse>(
            version, produceRequest(topic, partition, batch, acks));
        if (response.responses.size() != 1 || response.responses[0].partitionResponses.size() != 1) {
            protocol::ProduceResponse::PartitionProduceResponse bad;
            bad.errorCode = -100; // no answer
            return bad;
        }
        return response.responses[0].partitionResponses[0];
    }

    protocol::FetchResponse::FetchablePartitionResponse
    fetch(Client& client, const std::string& topic, std::int32_t partition, std::int64_t offset) {
        auto response = client.request<protocol::FetchResponse>(11, fetchRequest(topic, partition, offset));
        if (response.responses.size() != 1 || response.responses[0].partitionResponses.size() != 1) {
            protocol::FetchResponse::FetchablePartitionResponse bad;
            bad.errorCode = -100;
            return bad;
        }
        return response.responses[0].partitionResponses[0];
    }

    // One partition's ListOffsets answer at `version` (errorCode -100: not one partition back).
    static protocol::ListOffsetsResponse::ListOffsetsPartitionResponse
    listOffsets(Client& client, std::int16_t version, const std::string& topic,
                std::int32_t partition, std::int64_t timestamp) {
        protocol::ListOffsetsRequest lo;
        lo.replicaId = -1;
        auto& lt = lo.topics.emplace_back();
        lt.name = topic;
        auto& lp = lt.partitions.emplace_back();
        lp.partitionIndex = partition;
        lp.timestamp = timestamp;
        auto r = client.request<protocol::ListOffsetsResponse>(version, lo);
        if (r.topics.size() != 1 || r.topics[0].partitions.size() != 1) {
            protocol::ListOffsetsResponse::ListOffsetsPartitionResponse bad;
            bad.errorCode = -100;
            return bad;
        }
        return r.topics[0].partitions[0];
    }

    // ListOffsets -1 (latest = high watermark) or -2 (earliest = log start).
    std::int64_t listOffset(const std::string& topic, std::int32_t partition, std::int64_t which) {
        const auto answer = listOffsets(leader(topic, partition), 5, topic, partition, which);
        return answer.errorCode != 0 ? -100 : answer.offset;
    }

    // ListOffsets v7 (the first version with -3, KIP-734) as the broker answers it.
    static protocol::ListOffsetsResponse::ListOffsetsPartitionResponse
    listOffsetsV7(Client& client, const std::string& topic, std::int32_t partition,
                  std::int64_t timestamp) {
        return listOffsets(client, 7, topic, partition, timestamp);
    }

    std::size_t recordCount(const std::string& topic, std::int32_t partition) {
        auto part = fetch(leader(topic, partition), topic, partition, 0);
        auto records = protocol::decodeRecords(part.recordSet.bytes);
        return records ? records->size() : 0;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_engine = startEngine(m_dir.path());
        QVERIFY(m_engine);
    }

    void cleanupTestCase() {
        m_clients.clear();
        if (m_engine) {
            m_engine->stop();
        }
    }

    // An idempotent producer: seq 0 and 1 go in; then the row's batch is checked against the
    // partition's producer state (duplicates answered with their offsets, gaps and old epochs
    // refused, a new epoch starting at 0).
    void idempotentProducer_data() {
        QTest::addColumn<bool>("bumpEpoch");      // InitProducerId again before the row's batch
        QTest::addColumn<bool>("writeNewEpoch");  // after the bump, a seq 0 batch of the new epoch
        QTest::addColumn<int>("epochDelta");      // the row's batch epoch relative to the first
        QTest::addColumn<int>("sequence");
        QTest::addColumn<int>("expectedError");
        QTest::addColumn<qint64>("expectedBaseOffset");
        QTest::addColumn<qint64>("expectedEnd");

        QTest::newRow("next in order") << false << false << 0 << 2 << int(kNone) << qint64(2) << qint64(3);
        QTest::newRow("duplicate of the last") << false << false << 0 << 1 << int(kNone) << qint64(1) << qint64(2);
        QTest::newRow("duplicate of the first") << false << false << 0 << 0 << int(kNone) << qint64(0) << qint64(2);
        QTest::newRow("gap") << false << false << 0 << 5 << int(kOutOfOrderSequenceNumber) << qint64(-1) << qint64(2);
        QTest::newRow("new epoch at 0") << true << false << 1 << 0 << int(kNone) << qint64(2) << qint64(3);
        QTest::newRow("new epoch not at 0") << true << false << 1 << 2 << int(kOutOfOrderSequenceNumber) << qint64(-1) << qint64(2);
        QTest::newRow("older epoch") << true << true << 0 << 2 << int(kInvalidProducerEpoch) << qint64(-1) << qint64(3);
    }

    void idempotentProducer() {
        QFETCH(bool, bumpEpoch);
        QFETCH(bool, writeNewEpoch);
        QFETCH(int, epochDelta);
        QFETCH(int, sequence);
        QFETCH(int, expectedError);
        QFETCH(qint64, expectedBaseOffset);
        QFETCH(qint64, expectedEnd);

        const std::string topic = uniqueName("idempotent").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);

        protocol::InitProducerIdRequest init;
        init.transactionalId = std::nullopt;
        init.transactionTimeoutMs = 60000;
        auto first = to(1).request<protocol::InitProducerIdResponse>(4, init);
        QCOMPARE(first.errorCode, kNone);
        QVERIFY(first.producerId >= 0);
        QVERIFY(first.producerEpoch >= 0);
        const std::int64_t pid = first.producerId;
        const std::int16_t epoch = first.producerEpoch;

        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        auto batchAt = [&](std::int16_t e, std::int32_t seq) {
            protocol::BatchBuildOptions options;
            options.producerId = pid;
            options.producerEpoch = e;
            options.baseSequence = seq;
            return batchOf(makeRecords(1, now, 8, "seq" + std::to_string(seq) + "-"), options);
        };
        for (std::int32_t seq : {0, 1}) {
            auto r = produce(topic, 0, batchAt(epoch, seq));
            QCOMPARE(r.errorCode, kNone);
            QCOMPARE(r.baseOffset, qint64(seq));
        }
        std::int16_t current = epoch;
        if (bumpEpoch) {
            init.producerId = pid;
            init.producerEpoch = epoch;
            auto bumped = to(2).request<protocol::InitProducerIdResponse>(4, init);
            QCOMPARE(bumped.errorCode, kNone);
            QCOMPARE(bumped.producerId, pid);
            QCOMPARE(bumped.producerEpoch, std::int16_t(epoch + 1));
            current = bumped.producerEpoch;
        }
        if (writeNewEpoch) {
            auto r = produce(topic, 0, batchAt(current, 0));
            QCOMPARE(r.errorCode, kNone);
            QCOMPARE(r.baseOffset, qint64(2));
        }
        auto r = produce(topic, 0, batchAt(static_cast<std::int16_t>(epoch + epochDelta), sequence));
        QCOMPARE(int(r.errorCode), expectedError);
        if (expectedError == kNone) {
            QCOMPARE(r.baseOffset, expectedBaseOffset);
        }
        QCOMPARE(listOffset(topic, 0, -1), expectedEnd);
        QCOMPARE(recordCount(topic, 0), std::size_t(expectedEnd));
    }

    void maxMessageBytes_data() {
        QTest::addColumn<int>("valueSize");
        QTest::addColumn<int>("expectedError");
        QTest::newRow("500-byte value fits") << 500 << int(kNone);
        QTest::newRow("2000-byte batch too large") << 2000 << int(kMessageTooLarge);
    }

    void maxMessageBytes() {
        QFETCH(int, valueSize);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("max-bytes").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"max.message.bytes", "1000"}}), kNone);
        auto batch = batchOf(makeRecords(1, QDateTime::currentMSecsSinceEpoch(),
                                         static_cast<std::size_t>(valueSize)));
        QVERIFY(batch.size() >= static_cast<std::size_t>(valueSize));
        for (std::int16_t acks : {std::int16_t(1), std::int16_t(-1)}) {
            auto r = produce(topic, 0, batch, acks);
            QCOMPARE(int(r.errorCode), expectedError);
        }
        const qint64 written = expectedError == kNone ? 2 : 0;
        QCOMPARE(listOffset(topic, 0, -1), written);
        QCOMPARE(recordCount(topic, 0), std::size_t(written));
    }

    void timestampType_data() {
        QTest::addColumn<QString>("type");
        QTest::newRow("CreateTime") << "CreateTime";
        QTest::newRow("LogAppendTime") << "LogAppendTime";
    }

    void timestampType() {
        QFETCH(QString, type);
        const bool appendTime = type == QLatin1String("LogAppendTime");
        const std::string topic = uniqueName("timestamps").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"message.timestamp.type", type.toStdString()}}), kNone);
        // An hour old: kept by retention (7 days), clearly not the append time.
        const std::int64_t created = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;
        const std::int64_t before = QDateTime::currentMSecsSinceEpoch();
        auto records = makeRecords(5, created);
        auto r = produce(topic, 0, batchOf(records));
        QCOMPARE(r.errorCode, kNone);
        auto part = fetch(leader(topic), topic, 0, 0);
        QCOMPARE(part.errorCode, kNone);
        auto header = protocol::parseBatchHeader(part.recordSet.bytes);
        QVERIFY(header.has_value());
        QCOMPARE(header->logAppendTime(), appendTime);
        auto decoded = protocol::decodeRecords(part.recordSet.bytes);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{5});
        if (appendTime) {
            QVERIFY(r.logAppendTimeMs != -1);
            QVERIFY(r.logAppendTimeMs >= before);
            QCOMPARE(header->maxTimestamp, r.logAppendTimeMs);
            for (const auto& record : *decoded) {
                QCOMPARE(record.timestamp, r.logAppendTimeMs);
            }
        } else {
            QCOMPARE(r.logAppendTimeMs, qint64(-1));
            for (std::size_t i = 0; i < decoded->size(); ++i) {
                QCOMPARE(decoded->at(i).timestamp, records[i].timestamp);
            }
        }
    }

    void minInsyncReplicas_data() {
        QTest::addColumn<QString>("minIsr");
        QTest::addColumn<int>("acks");
        QTest::addColumn<int>("expectedError");
        QTest::newRow("min.insync 4, acks=all") << "4" << -1 << int(kNotEnoughReplicas);
        QTest::newRow("min.insync 4, acks=1") << "4" << 1 << int(kNone);
        QTest::newRow("min.insync 3, acks=all") << "3" << -1 << int(kNone);
    }

    void minInsyncReplicas() {
        QFETCH(QString, minIsr);
        QFETCH(int, acks);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("min-isr").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"min.insync.replicas", minIsr.toStdString()}}), kNone);
        QCOMPARE(partitionInfo(topic, 0).isrNodes.size(), std::size_t{3});
        auto r = produce(topic, 0, batchOf(makeRecords(3, QDateTime::currentMSecsSinceEpoch())),
                         static_cast<std::int16_t>(acks));
        QCOMPARE(int(r.errorCode), expectedError);
        const qint64 end = expectedError == kNone ? 3 : 0;
        QTRY_COMPARE_WITH_TIMEOUT(listOffset(topic, 0, -1), end, 5000);
    }

    // acks=0: the broker answers nothing; the next request on the connection gets the next answer.
    void acksZeroSendsNoResponse() {
        const std::string topic = uniqueName("acks-zero").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        Client client;
        QVERIFY(client.connect("127.0.0.1",
                               m_engine->view().brokers.at(static_cast<std::size_t>(leaderOf(topic) - 1)).port));
        const auto batch = batchOf(makeRecords(4, QDateTime::currentMSecsSinceEpoch()));
        const std::int32_t produced = client.send(0, 7, produceRequest(topic, 0, batch, 0));
        protocol::MetadataRequest metadata;
        metadata.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
        (*metadata.topics)[0].name = topic;
        const std::int32_t asked = client.send(3, 9, metadata);
        QVERIFY(asked > produced);
        auto frame = client.receive();
        QVERIFY(frame.has_value());
        QCOMPARE(frame->correlationId, asked);
        auto answer = client.decode<protocol::MetadataResponse>(frame->body, 9);
        QCOMPARE(answer.topics.size(), std::size_t{1});
        QCOMPARE(answer.topics[0].errorCode, kNone);
        // Nothing else arrives for the acks=0 request, and the data is there.
        QVERIFY(!client.waitForData(300));
        QTRY_COMPARE_WITH_TIMEOUT(listOffset(topic, 0, -1), qint64(4), 5000);
    }

    // A long-polling fetch holds the answers behind it: the fetch returns early with the record
    // produced from another connection, then the pipelined ApiVersions answer follows.
    void pipelinedAnswersKeepOrder() {
        const std::string topic = uniqueName("pipeline").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const auto view = m_engine->view();
        const std::int32_t leaderId = leaderOf(topic);
        Client consumer;
        QVERIFY(consumer.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(leaderId - 1)).port));
        const std::int32_t fetchId = consumer.send(1, 11, fetchRequest(topic, 0, 0, 2000, 1));
        const std::int32_t versionsId = consumer.send(18, 3, protocol::ApiVersionsRequest{});
        // Nothing may come back yet: the fetch waits and ApiVersions must stay behind it.
        QVERIFY(!consumer.waitForData(200));

        auto r = produce(topic, 0, batchOf(makeRecords(1, QDateTime::currentMSecsSinceEpoch())), -1);
        QCOMPARE(r.errorCode, kNone);

        auto first = consumer.receive(5000);
        QVERIFY(first.has_value());
        QCOMPARE(first->correlationId, fetchId);
        auto fetched = consumer.decode<protocol::FetchResponse>(first->body, 11);
        const auto& part = fetched.responses.at(0).partitionResponses.at(0);
        QCOMPARE(part.errorCode, kNone);
        auto records = protocol::decodeRecords(part.recordSet.bytes);
        QVERIFY(records.has_value());
        QCOMPARE(records->size(), std::size_t{1});
        QCOMPARE(part.highWatermark, qint64(1));

        auto second = consumer.receive(5000);
        QVERIFY(second.has_value());
        QCOMPARE(second->correlationId, versionsId);
        auto versions = consumer.decode<protocol::ApiVersionsResponse>(second->body, 3);
        QCOMPARE(versions.errorCode, kNone);
        QVERIFY(!versions.apiKeys.empty());
    }

    void fetchErrors_data() {
        QTest::addColumn<bool>("onLeader");
        QTest::addColumn<int>("partition");
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<int>("expectedError");
        QTest::addColumn<int>("expectedRecords");
        QTest::newRow("from the start") << true << 0 << qint64(0) << int(kNone) << 3;
        QTest::newRow("at the log end") << true << 0 << qint64(3) << int(kNone) << 0;
        QTest::newRow("past the log end") << true << 0 << qint64(4) << int(kOffsetOutOfRange) << 0;
        QTest::newRow("far past the log end") << true << 0 << qint64(1000) << int(kOffsetOutOfRange) << 0;
        QTest::newRow("negative offset") << true << 0 << qint64(-5) << int(kOffsetOutOfRange) << 0;
        QTest::newRow("not the leader") << false << 0 << qint64(0) << int(kNotLeaderOrFollower) << 0;
        QTest::newRow("unknown partition") << true << 7 << qint64(0) << int(kUnknownTopicOrPartition) << 0;
    }

    void fetchErrors() {
        QFETCH(bool, onLeader);
        QFETCH(int, partition);
        QFETCH(qint64, offset);
        QFETCH(int, expectedError);
        QFETCH(int, expectedRecords);
        static const std::string topic = [this] {
            const std::string name = uniqueName("fetch-errors").toStdString();
            if (createTopic(name, 1, 3) == kNone) {
                (void)produce(name, 0, batchOf(makeRecords(3, QDateTime::currentMSecsSinceEpoch())));
            }
            return name;
        }();
        QCOMPARE(listOffset(topic, 0, -1), qint64(3));
        const std::int32_t leaderId = leaderOf(topic);
        Client& client = to(onLeader ? leaderId : leaderId % 3 + 1);
        auto part = fetch(client, topic, partition, offset);
        QCOMPARE(int(part.errorCode), expectedError);
        // Empty, never null, with an error too, as Kafka sends them: librdkafka cannot parse a
        // null record set ("invalid MessageSetSize -1") and never gets to the error, so a
        // consumer past the log end never resets.
        QVERIFY(!part.recordSet.isNull);
        auto records = protocol::decodeRecords(part.recordSet.bytes);
        QVERIFY(records.has_value());
        QCOMPARE(int(records->size()), expectedRecords);
    }

    void compressedRoundTrip_data() {
        QTest::addColumn<protocol::Compression>("compression");
        QTest::newRow("none") << protocol::Compression::None;
        QTest::newRow("gzip") << protocol::Compression::Gzip;
        QTest::newRow("snappy") << protocol::Compression::Snappy;
        QTest::newRow("lz4") << protocol::Compression::Lz4;
        QTest::newRow("zstd") << protocol::Compression::Zstd;
    }

    // The broker stores batches as received: fetched bytes equal produced bytes except the
    // fields it assigns (BaseOffset, PartitionLeaderEpoch), which the CRC does not cover.
    void compressedRoundTrip() {
        QFETCH(protocol::Compression, compression);
        const std::string topic = uniqueName("codec").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        // A first plain batch so the compressed one lands at a non-zero offset.
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(2, now))).errorCode, kNone);
        auto records = makeRecords(50, now, 64);
        protocol::BatchBuildOptions options;
        options.compression = compression;
        const auto batch = batchOf(records, options);
        QVERIFY(!batch.empty());
        auto r = produce(topic, 0, batch, -1, 9);
        QCOMPARE(r.errorCode, kNone);
        QCOMPARE(r.baseOffset, qint64(2));

        auto part = fetch(leader(topic), topic, 0, 2);
        QCOMPARE(part.errorCode, kNone);
        std::vector<std::uint8_t> fetched(part.recordSet.bytes.begin(), part.recordSet.bytes.end());
        QCOMPARE(fetched.size(), batch.size());
        auto header = protocol::parseBatchHeader(fetched);
        QVERIFY(header.has_value());
        QCOMPARE(header->baseOffset, qint64(2));
        QCOMPARE(header->compression(), compression);
        QVERIFY(header->partitionLeaderEpoch >= 0);
        QVERIFY(std::equal(fetched.begin() + 8, fetched.begin() + 12, batch.begin() + 8));
        QVERIFY(std::equal(fetched.begin() + 16, fetched.end(), batch.begin() + 16));
        QVERIFY(protocol::validateBatch(fetched).has_value());
        auto decoded = protocol::decodeRecords(fetched);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), records.size());
        for (std::size_t i = 0; i < records.size(); ++i) {
            auto expected = records[i];
            expected.offset = 2 + static_cast<std::int64_t>(i);
            QCOMPARE(decoded->at(i), expected);
        }
    }

    void rejectedBatches_data() {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<int>("expectedError");
        QTest::newRow("broken CRC") << "crc" << int(kCorruptMessage);
        QTest::newRow("control batch") << "control" << int(kInvalidRecord);
        QTest::newRow("two batches") << "two" << int(kInvalidRecord);
        QTest::newRow("bad magic") << "magic" << int(kCorruptMessage);
    }

    void rejectedBatches() {
        QFETCH(QString, damage);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("rejected").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const auto batch = damagedBatch(damage);
        auto r = produce(topic, 0, batch, 1);
        QCOMPARE(int(r.errorCode), expectedError);
        QCOMPARE(listOffset(topic, 0, -1), qint64(0));
        QCOMPARE(recordCount(topic, 0), std::size_t{0});
    }

    // The produce handler passes appendFromProducer the checks its preparer ran where the request
    // was read. Without them (nullptr) the same checks run in place: same answers, same order.
    void appendChecksInPlaceWithoutPreparedChecks_data() {
        rejectedBatches_data();
        QTest::newRow("intact") << "" << int(kNone);
    }

    void appendChecksInPlaceWithoutPreparedChecks() {
        QFETCH(QString, damage);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("unprepared").toStdString();
        QCOMPARE(createTopic(topic, 1, 1), kNone);
        const auto batch = damagedBatch(damage);
        int inPlace = -1;
        int prepared = -1;
        std::int64_t inPlaceOffset = -1;
        std::int64_t preparedOffset = -1;
        m_engine->inspect([&](broker::Cluster& c) {
            const auto* meta = c.partitionMeta(topic, 0);
            broker::Partition* leader = meta ? c.partition(meta->leader, topic, 0) : nullptr;
            if (leader == nullptr) {
                return;
            }
            const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
            auto first = batch; // appends patch the batch in place
            auto a = leader->appendFromProducer(first, now, {}, nullptr);
            inPlace = a ? int(kNone) : int(protocol::toInt(a.error().code));
            inPlaceOffset = a ? a->baseOffset : -1;
            auto second = batch;
            const broker::BatchCheck check = broker::checkProducerBatch(second);
            auto b = leader->appendFromProducer(second, now, {}, &check);
            prepared = b ? int(kNone) : int(protocol::toInt(b.error().code));
            preparedOffset = b ? b->baseOffset : -1;
        });
        QCOMPARE(inPlace, expectedError);
        QCOMPARE(prepared, expectedError);
        if (expectedError == kNone) {
            QCOMPARE(inPlaceOffset, qint64(0));
            QCOMPARE(preparedOffset, qint64(3));
            QCOMPARE(recordCount(topic, 0), std::size_t{6});
        } else {
            QCOMPARE(listOffset(topic, 0, -1), qint64(0));
        }
    }

    // Kafka refuses records without a key on a compacted topic: INVALID_RECORD naming the topic
    // partition, the first keyless record's index in record_errors, nothing appended. The batch's
    // own errors come first (a broken CRC stays CORRUPT_MESSAGE). Other policies take them.
    void compactedTopicRefusesRecordsWithoutKey_data() {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<protocol::Compression>("compression");
        QTest::addColumn<bool>("brokenCrc");
        QTest::addColumn<int>("expectedError");
        QTest::newRow("compact") << "compact" << protocol::Compression::None << false << int(kInvalidRecord);
        QTest::newRow("compact,delete") << "compact,delete" << protocol::Compression::None << false
                                        << int(kInvalidRecord);
        QTest::newRow("compact, lz4 batch") << "compact" << protocol::Compression::Lz4 << false
                                            << int(kInvalidRecord);
        QTest::newRow("compact, broken CRC") << "compact" << protocol::Compression::None << true
                                             << int(kCorruptMessage);
        QTest::newRow("delete") << "delete" << protocol::Compression::None << false << int(kNone);
    }

    void compactedTopicRefusesRecordsWithoutKey() {
        QFETCH(QString, policy);
        QFETCH(protocol::Compression, compression);
        QFETCH(bool, brokenCrc);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("keys").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"cleanup.policy", policy.toStdString()}}), kNone);
        auto records = makeRecords(4, QDateTime::currentMSecsSinceEpoch());
        records[2].key.reset();
        records[3].key.reset();
        protocol::BatchBuildOptions options;
        options.compression = compression;
        auto keyless = batchOf(records, options);
        if (brokenCrc) {
            keyless[keyless.size() - 2] ^= 0x5a;
        }
        const auto refused = produce(topic, 0, keyless, 1);
        QCOMPARE(int(refused.errorCode), expectedError);
        if (expectedError == kInvalidRecord) {
            QCOMPARE(refused.recordErrors.size(), std::size_t{1});
            QCOMPARE(refused.recordErrors[0].batchIndex, 2);
            const std::string message = "Compacted topic cannot accept message without key in "
                                        "topic partition " + topic + "-0.";
            QCOMPARE(refused.recordErrors[0].batchIndexErrorMessage.value_or(""), message);
            QCOMPARE(refused.errorMessage.value_or(""), message);
        }
        const std::int64_t appended = expectedError == kNone ? 4 : 0;
        QCOMPARE(listOffset(topic, 0, -1), qint64(appended));
        // Keyed records go in whatever the policy.
        records[2].key = bytesOf("k2");
        records[3].key = bytesOf("k3");
        const auto accepted = produce(topic, 0, batchOf(records, options), 1);
        QCOMPARE(int(accepted.errorCode), int(kNone));
        QCOMPARE(accepted.baseOffset, qint64(appended));
    }

    // message.timestamp.difference.max.ms (Kafka's LogValidator.validateTimestamp): on a
    // CreateTime topic a record timestamped further than that from now is refused with
    // INVALID_TIMESTAMP, every such record's index in record_errors, nothing appended, in
    // compressed batches too. The default checks nothing; LogAppendTime topics are not checked.
    void timestampDifference_data() {
        QTest::addColumn<QString>("window"); // the topic's config, "" = the default
        QTest::addColumn<QString>("type");
        QTest::addColumn<protocol::Compression>("compression");
        QTest::addColumn<int>("oldIndex");    // record timestamped an hour ago, -1 = none
        QTest::addColumn<int>("futureIndex"); // record timestamped in an hour, -1 = none
        QTest::addColumn<qint64>("nearMs");   // every other record: now + i + nearMs
        QTest::addColumn<int>("expectedError");
        const auto none = protocol::Compression::None;
        const auto lz4 = protocol::Compression::Lz4;
        QTest::newRow("within the window, 30 s old")
            << "60000"
            << "CreateTime" << none << -1 << -1 << qint64(-30000) << int(kNone);
        QTest::newRow("within the window, 30 s ahead")
            << "60000"
            << "CreateTime" << none << -1 << -1 << qint64(30000) << int(kNone);
        QTest::newRow("an hour old")
            << "60000"
            << "CreateTime" << none << 1 << -1 << qint64(0) << int(kInvalidTimestamp);
        QTest::newRow("an hour ahead")
            << "60000"
            << "CreateTime" << none << -1 << 3 << qint64(0) << int(kInvalidTimestamp);
        QTest::newRow("both, every one named")
            << "60000"
            << "CreateTime" << none << 0 << 2 << qint64(0) << int(kInvalidTimestamp);
        QTest::newRow("lz4 batch, one record old")
            << "60000"
            << "CreateTime" << lz4 << 2 << -1 << qint64(0) << int(kInvalidTimestamp);
        QTest::newRow("default: no check")
            << ""
            << "CreateTime" << none << 0 << 3 << qint64(0) << int(kNone);
        QTest::newRow("LogAppendTime: no check")
            << "60000"
            << "LogAppendTime" << none << 0 << 3 << qint64(0) << int(kNone);
    }

    void timestampDifference() {
        QFETCH(QString, window);
        QFETCH(QString, type);
        QFETCH(protocol::Compression, compression);
        QFETCH(int, oldIndex);
        QFETCH(int, futureIndex);
        QFETCH(qint64, nearMs);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("ts-window").toStdString();
        std::map<std::string, std::string> configs{{"message.timestamp.type", type.toStdString()}};
        if (!window.isEmpty()) {
            configs["message.timestamp.difference.max.ms"] = window.toStdString();
        }
        QCOMPARE(createTopic(topic, 1, 3, configs), kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        auto records = makeRecords(4, now + nearMs);
        constexpr std::int64_t kHour = 3600 * 1000;
        std::map<int, std::int64_t> bad; // index -> timestamp
        if (oldIndex >= 0) {
            bad[oldIndex] = now - kHour;
        }
        if (futureIndex >= 0) {
            bad[futureIndex] = now + kHour;
        }
        for (const auto& [index, timestamp] : bad) {
            records[static_cast<std::size_t>(index)].timestamp = timestamp;
        }
        protocol::BatchBuildOptions options;
        options.compression = compression;
        const auto r = produce(topic, 0, batchOf(records, options), 1);
        QCOMPARE(int(r.errorCode), expectedError);
        if (expectedError == kInvalidTimestamp) {
            QCOMPARE(
                r.errorMessage.value_or(""),
                std::string("One or more records have been rejected due to invalid timestamp"));
            QCOMPARE(r.recordErrors.size(), bad.size());
            auto it = bad.begin();
            for (const auto& error : r.recordErrors) {
                QCOMPARE(error.batchIndex, it->first);
                // "Timestamp <ts> of message with offset <o> is out of range. The timestamp
                // should be within [<now - max>, <now + max>]": the window is around the
                // broker's now, which the test only brackets.
                const std::string message = error.batchIndexErrorMessage.value_or("");
                const std::string head = "Timestamp " + std::to_string(it->second) +
                                         " of message with offset " + std::to_string(it->first) +
                                         " is out of range. The timestamp should be within [";
                QVERIFY2(message.starts_with(head), message.c_str());
                const std::string bounds = message.substr(head.size());
                const std::size_t comma = bounds.find(", ");
                QVERIFY(comma != std::string::npos && bounds.ends_with("]"));
                const std::int64_t earliest = std::stoll(bounds.substr(0, comma));
                const std::int64_t latest = std::stoll(bounds.substr(comma + 2));
                QCOMPARE(latest - earliest, qint64(2 * 60000));
                QVERIFY(earliest + 60000 >= now);
                QVERIFY(earliest + 60000 <= QDateTime::currentMSecsSinceEpoch());
                ++it;
            }
        } else {
            QVERIFY(r.recordErrors.empty());
        }
        const std::int64_t appended = expectedError == kNone ? 4 : 0;
        QCOMPARE(listOffset(topic, 0, -1), qint64(appended));
    }

    // The broker's log.message.timestamp.difference.max.ms is the topic config's default.
    void brokerTimestampDifferenceIsTheDefault() {
        QTemporaryDir dir;
        auto engine =
            startEngine(dir.path(), {{"log.message.timestamp.difference.max.ms", "60000"}});
        QVERIFY(engine);
        QCOMPARE(engine->view().brokers.size(), std::size_t{3});
        std::swap(engine, m_engine);
        m_clients.clear();
        const std::string topic = uniqueName("ts-broker").toStdString();
        const std::int16_t created = createTopic(topic, 1, 3);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        const auto refused = produce(topic, 0, batchOf(makeRecords(2, now - 3600 * 1000)), 1);
        const auto accepted = produce(topic, 0, batchOf(makeRecords(2, now)), 1);
        std::swap(engine, m_engine);
        m_clients.clear();
        engine->stop();
        QCOMPARE(created, kNone);
        QCOMPARE(int(refused.errorCode), int(kInvalidTimestamp));
        QCOMPARE(refused.recordErrors.size(), std::size_t{2});
        QCOMPARE(int(accepted.errorCode), int(kNone));
        QCOMPARE(accepted.baseOffset, qint64(0));
    }

    // On a compacted topic with a timestamp window, Kafka checks a record's key first (a keyless
    // record is not checked for its timestamp) and answers INVALID_TIMESTAMP when any timestamp
    // is bad, naming every bad record.
    void keylessAndOldRecordsOnCompactedTopic() {
        const std::string topic = uniqueName("ts-compact").toStdString();
        QCOMPARE(createTopic(topic, 1, 3,
                             {{"cleanup.policy", "compact"},
                              {"message.timestamp.difference.max.ms", "60000"}}),
                 kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        auto records = makeRecords(4, now);
        records[0].key.reset();
        records[0].timestamp = now - 3600 * 1000;
        records[2].timestamp = now - 3600 * 1000;
        const auto r = produce(topic, 0, batchOf(records), 1);
        QCOMPARE(int(r.errorCode), int(kInvalidTimestamp));
        QCOMPARE(r.recordErrors.size(), std::size_t{2});
        QCOMPARE(r.recordErrors[0].batchIndex, 0);
        QVERIFY(
            r.recordErrors[0].batchIndexErrorMessage.value_or("").starts_with("Compacted topic"));
        QCOMPARE(r.recordErrors[1].batchIndex, 2);
        QVERIFY(r.recordErrors[1].batchIndexErrorMessage.value_or("").starts_with("Timestamp "));
        // Only keyless: the keyless refusal as before.
        records[0].timestamp = now;
        records[2].timestamp = now;
        const auto keyless = produce(topic, 0, batchOf(records), 1);
        QCOMPARE(int(keyless.errorCode), int(kInvalidRecord));
        QCOMPARE(keyless.recordErrors.size(), std::size_t{1});
        QCOMPARE(keyless.recordErrors[0].batchIndex, 0);
        QCOMPARE(listOffset(topic, 0, -1), qint64(0));
    }

    // compression.type: 'producer' (the default) keeps the producer's codec; 'uncompressed' and
    // each codec name make the broker re-compress a batch of another codec (Kafka's
    // LogValidator). The stored batch has the topic's codec, a valid CRC, the producer's header
    // fields, and the same records (offsets, timestamps, keys, values, headers); the followers
    // store the leader's bytes.
    void topicCompressionType_data() {
        using C = protocol::Compression;
        QTest::addColumn<QString>("type");
        QTest::addColumn<protocol::Compression>("produced");
        QTest::addColumn<protocol::Compression>("stored");
        QTest::addColumn<bool>("appendTime");
        QTest::newRow("gzip <- none") << "gzip" << C::None << C::Gzip << false;
        QTest::newRow("gzip <- lz4") << "gzip" << C::Lz4 << C::Gzip << false;
        QTest::newRow("snappy <- none") << "snappy" << C::None << C::Snappy << false;
        QTest::newRow("lz4 <- gzip") << "lz4" << C::Gzip << C::Lz4 << false;
        QTest::newRow("zstd <- snappy") << "zstd" << C::Snappy << C::Zstd << false;
        QTest::newRow("uncompressed <- zstd") << "uncompressed" << C::Zstd << C::None << false;
        QTest::newRow("uncompressed <- gzip") << "uncompressed" << C::Gzip << C::None << false;
        QTest::newRow("gzip <- gzip") << "gzip" << C::Gzip << C::Gzip << false;
        QTest::newRow("producer <- lz4") << "producer" << C::Lz4 << C::Lz4 << false;
        QTest::newRow("producer <- none") << "producer" << C::None << C::None << false;
        QTest::newRow("gzip <- none, LogAppendTime") << "gzip" << C::None << C::Gzip << true;
    }

    void topicCompressionType() {
        QFETCH(QString, type);
        QFETCH(protocol::Compression, produced);
        QFETCH(protocol::Compression, stored);
        QFETCH(bool, appendTime);
        const std::string topic = uniqueName("compression-type").toStdString();
        QCOMPARE(
            createTopic(topic, 1, 3,
                        {{"compression.type", type.toStdString()},
                         {"message.timestamp.type", appendTime ? "LogAppendTime" : "CreateTime"}}),
            kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        // A first batch so the row's batch lands at a non-zero offset.
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(2, now))).errorCode, kNone);
        auto records = makeRecords(20, now - 5000, 64);
        records[3].value.reset();
        records[4].headers.push_back(protocol::RecordHeader{"null-header", std::nullopt});
        records[5].key.reset();
        protocol::BatchBuildOptions options;
        options.compression = produced;
        options.producerId = 4242;
        options.producerEpoch = 3;
        options.baseSequence = 0;
        const auto batch = batchOf(records, options);
        const auto sent = protocol::parseBatchHeader(batch);
        QVERIFY(sent.has_value());
        const auto r = produce(topic, 0, batch, -1);
        QCOMPARE(r.errorCode, kNone);
        QCOMPARE(r.baseOffset, qint64(2));

        auto part = fetch(leader(topic), topic, 0, 2);
        QCOMPARE(part.errorCode, kNone);
        std::vector<std::uint8_t> fetched(part.recordSet.bytes.begin(), part.recordSet.bytes.end());
        QVERIFY(protocol::validateBatch(fetched).has_value());
        QVERIFY(protocol::validateRecords(fetched).has_value());
        const auto header = protocol::parseBatchHeader(fetched);
        QVERIFY(header.has_value());
        QCOMPARE(header->totalSize(), fetched.size());
        QCOMPARE(header->compression(), stored);
        QCOMPARE(header->baseOffset, qint64(2));
        QVERIFY(header->partitionLeaderEpoch >= 0);
        QCOMPARE(header->producerId, sent->producerId);
        QCOMPARE(header->producerEpoch, sent->producerEpoch);
        QCOMPARE(header->baseSequence, sent->baseSequence);
        QCOMPARE(header->isTransactional(), sent->isTransactional());
        QCOMPARE(header->lastOffsetDelta, sent->lastOffsetDelta);
        QCOMPARE(header->recordCount, sent->recordCount);
        QCOMPARE(header->baseTimestamp, sent->baseTimestamp);
        QCOMPARE(header->logAppendTime(), appendTime);
        QCOMPARE(header->maxTimestamp, appendTime ? r.logAppendTimeMs : sent->maxTimestamp);
        if (produced == stored) {
            QCOMPARE(fetched.size(), batch.size()); // stored as received
            QVERIFY(std::equal(fetched.begin() + 61, fetched.end(), batch.begin() + 61));
        }
        auto decoded = protocol::decodeRecords(fetched);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), records.size());
        for (std::size_t i = 0; i < records.size(); ++i) {
            auto expected = records[i];
            expected.offset = 2 + static_cast<std::int64_t>(i);
            if (appendTime) {
                expected.timestamp = r.logAppendTimeMs;
            }
            QCOMPARE(decoded->at(i), expected);
        }
        // Every replica holds the leader's bytes (followers copy them after the produce handler
        // returned, from the re-compressed batch's own storage).
        std::vector<std::vector<std::uint8_t>> replicas;
        m_engine->inspect([&](broker::Cluster& c) {
            for (std::int32_t b = 1; b <= 3; ++b) {
                if (broker::Partition* p = c.partition(b, topic, 0)) {
                    auto read = p->log().read(2, 1 << 20, INT64_MAX, true);
                    replicas.push_back(read && read->bytes ? *read->bytes
                                                           : std::vector<std::uint8_t>{});
                }
            }
        });
        QCOMPARE(replicas.size(), std::size_t{3});
        for (const auto& bytes : replicas) {
            QCOMPARE(bytes, fetched);
        }
    }

    // An idempotent producer's batches re-compressed for a gzip topic: sequences are checked and
    // a re-sent batch is answered as a duplicate with its first offsets, as for stored-as-sent.
    void idempotenceOnRecompressedBatches() {
        const std::string topic = uniqueName("compression-idempotent").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"compression.type", "gzip"}}), kNone);
        protocol::InitProducerIdRequest init;
        init.transactionalId = std::nullopt;
        init.transactionTimeoutMs = 60000;
        const auto id = to(1).request<protocol::InitProducerIdResponse>(4, init);
        QCOMPARE(id.errorCode, kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        auto batchAt = [&](std::int32_t seq) {
            protocol::BatchBuildOptions options;
            options.producerId = id.producerId;
            options.producerEpoch = id.producerEpoch;
            options.baseSequence = seq;
            return batchOf(makeRecords(3, now, 8, "seq" + std::to_string(seq) + "-"), options);
        };
        const auto first = batchAt(0);
        const auto second = batchAt(3);
        QCOMPARE(produce(topic, 0, first).baseOffset, qint64(0));
        QCOMPARE(produce(topic, 0, second).baseOffset, qint64(3));
        for (const auto* again : {&first, &second}) {
            const auto duplicate = produce(topic, 0, *again);
            QCOMPARE(int(duplicate.errorCode), int(kNone));
            QCOMPARE(duplicate.baseOffset, again == &first ? qint64(0) : qint64(3));
        }
        QCOMPARE(int(produce(topic, 0, batchAt(9)).errorCode), int(kOutOfOrderSequenceNumber));
        QCOMPARE(listOffset(topic, 0, -1), qint64(6));
        auto part = fetch(leader(topic), topic, 0, 0);
        const auto header = protocol::parseBatchHeader(part.recordSet.bytes);
        QVERIFY(header.has_value());
        QCOMPARE(header->compression(), protocol::Compression::Gzip);
        QCOMPARE(protocol::decodeRecords(part.recordSet.bytes)->size(), std::size_t{6});
    }

    // max.message.bytes applies to the batch as produced and to the batch as stored: Kafka
    // refuses (MESSAGE_TOO_LARGE) a batch that is too large either before or after it
    // re-compressed it.
    void maxMessageBytesOnRecompressedBatches_data() {
        using C = protocol::Compression;
        QTest::addColumn<QString>("type");
        QTest::addColumn<protocol::Compression>("produced");
        QTest::addColumn<int>("expectedError");
        QTest::newRow("gzip batch fits, uncompressed it does not")
            << "uncompressed" << C::Gzip << int(kMessageTooLarge);
        QTest::newRow("too large as produced, would fit as gzip")
            << "gzip" << C::None << int(kMessageTooLarge);
        QTest::newRow("gzip batch kept as produced") << "producer" << C::Gzip << int(kNone);
        QTest::newRow("gzip batch, gzip topic") << "gzip" << C::Gzip << int(kNone);
    }

    void maxMessageBytesOnRecompressedBatches() {
        QFETCH(QString, type);
        QFETCH(protocol::Compression, produced);
        QFETCH(int, expectedError);
        const std::string topic = uniqueName("compression-max-bytes").toStdString();
        QCOMPARE(
            createTopic(topic, 1, 3,
                        {{"compression.type", type.toStdString()}, {"max.message.bytes", "1000"}}),
            kNone);
        // 2000 bytes of 'x': far below 1000 bytes compressed, far above uncompressed.
        const auto records = makeRecords(1, QDateTime::currentMSecsSinceEpoch(), 2000);
        protocol::BatchBuildOptions options;
        options.compression = produced;
        const auto batch = batchOf(records, options);
        QCOMPARE(batch.size() > 1000, produced == protocol::Compression::None);
        const auto r = produce(topic, 0, batch, 1);
        QCOMPARE(int(r.errorCode), expectedError);
        QCOMPARE(listOffset(topic, 0, -1), qint64(expectedError == kNone ? 1 : 0));
    }

    void autoCreation_data() {
        QTest::addColumn<bool>("brokerEnabled");
        QTest::addColumn<bool>("allowInRequest");
        QTest::addColumn<bool>("created");
        QTest::newRow("enabled, allowed") << true << true << true;
        QTest::newRow("enabled, not allowed by the request") << true << false << false;
        QTest::newRow("disabled on the broker") << false << true << false;
    }

    void autoCreation() {
        QFETCH(bool, brokerEnabled);
        QFETCH(bool, allowInRequest);
        QFETCH(bool, created);
        QTemporaryDir dir;
        auto engine = startEngine(dir.path(), {{"auto.create.topics.enable", brokerEnabled ? "true" : "false"}});
        QVERIFY(engine);
        Client client;
        QVERIFY(client.connect("127.0.0.1", engine->view().brokers.at(0).port));
        protocol::MetadataRequest request;
        request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
        (*request.topics)[0].name = "auto-created";
        request.allowAutoTopicCreation = allowInRequest;
        auto first = client.request<protocol::MetadataResponse>(9, request);
        QCOMPARE(first.topics.size(), std::size_t{1});
        if (!created) {
            QCOMPARE(first.topics[0].errorCode, kUnknownTopicOrPartition);
            QVERIFY(first.topics[0].partitions.empty());
            request.allowAutoTopicCreation = false;
            auto again = client.request<protocol::MetadataResponse>(9, request);
            QCOMPARE(again.topics.at(0).errorCode, kUnknownTopicOrPartition);
            QCOMPARE(engine->view().topics, std::size_t{0});
            engine->stop();
            return;
        }
        QVERIFY(first.topics[0].errorCode == kNone || first.topics[0].errorCode == kLeaderNotAvailable);
        auto ready = [&] {
            auto m = client.request<protocol::MetadataResponse>(9, request);
            if (m.topics.size() != 1 || m.topics[0].errorCode != kNone) {
                return std::size_t{0};
            }
            for (const auto& p : m.topics[0].partitions) {
                if (p.errorCode != kNone || p.leaderId < 1) {
                    return std::size_t{0};
                }
            }
            return m.topics[0].partitions.size();
        };
        QTRY_COMPARE_WITH_TIMEOUT(ready(), std::size_t{3}, 5000); // num.partitions = 3
        engine->stop();
    }

    void deleteRecordsMovesEarliest() {
        const std::string topic = uniqueName("delete-records").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(5, now))).errorCode, kNone);
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(5, now))).errorCode, kNone);
        QCOMPARE(listOffset(topic, 0, -2), qint64(0));

        auto deleteTo = [&](std::int64_t offset) {
            protocol::DeleteRecordsRequest request;
            auto& t = request.topics.emplace_back();
            t.name = topic;
            auto& p = t.partitions.emplace_back();
            p.partitionIndex = 0;
            p.offset = offset;
            request.timeoutMs = 5000;
            auto r = leader(topic).request<protocol::DeleteRecordsResponse>(2, request);
            return r.topics.at(0).partitions.at(0);
        };
        auto deleted = deleteTo(5);
        QCOMPARE(deleted.errorCode, kNone);
        QCOMPARE(deleted.lowWatermark, qint64(5));
        QCOMPARE(listOffset(topic, 0, -2), qint64(5));
        QCOMPARE(listOffset(topic, 0, -1), qint64(10));
        QCOMPARE(int(fetch(leader(topic), topic, 0, 0).errorCode), int(kOffsetOutOfRange));
        auto rest = fetch(leader(topic), topic, 0, 5);
        QCOMPARE(rest.errorCode, kNone);
        QCOMPARE(rest.logStartOffset, qint64(5));
        QCOMPARE(protocol::decodeRecords(rest.recordSet.bytes)->size(), std::size_t{5});

        // Past the high watermark: refused, nothing moves.
        QCOMPARE(int(deleteTo(11).errorCode), int(kOffsetOutOfRange));
        QCOMPARE(listOffset(topic, 0, -2), qint64(5));
        // -1 = up to the high watermark.
        auto all = deleteTo(-1);
        QCOMPARE(all.errorCode, kNone);
        QCOMPARE(all.lowWatermark, qint64(10));
        QCOMPARE(listOffset(topic, 0, -2), qint64(10));
    }

    // ListOffsets -3 answers with the record holding the largest timestamp (Kafka 3.7+,
    // KAFKA-16310), not the first offset of its batch: the earliest such record on ties, inside
    // compressed batches too, wherever the batch lies among the log's batches and segments.
    void maxTimestamp_data() {
        QTest::addColumn<protocol::Compression>("codec");
        QTest::addColumn<bool>("segmentPerBatch"); // segment.bytes=14: every batch rolls
        QTest::addColumn<std::vector<std::vector<int>>>("batches"); // timestamps, + a base
        QTest::addColumn<qint64>("expectedOffset");
        QTest::addColumn<int>("expectedTimestamp");
        using C = protocol::Compression;
        using Batches = std::vector<std::vector<int>>;
        const Batches oneBatch{{1000, 2000, 9000, 3000, 4000}};
        QTest::newRow("one batch, out of order")
            << C::None << false << oneBatch << qint64(2) << 9000;
        QTest::newRow("one lz4 batch") << C::Lz4 << false << oneBatch << qint64(2) << 9000;
        QTest::newRow("one zstd batch") << C::Zstd << false << oneBatch << qint64(2) << 9000;
        QTest::newRow("tie inside a batch")
            << C::Gzip << false << Batches{{1000, 9000, 2000, 9000}} << qint64(1) << 9000;
        const Batches spread{{1000, 2000}, {3000, 9000, 5000}, {4000, 6000}, {7000}};
        QTest::newRow("across batches") << C::None << false << spread << qint64(3) << 9000;
        QTest::newRow("across segments") << C::Snappy << true << spread << qint64(3) << 9000;
        const Batches ties{{1000, 2000}, {3000, 5000, 9000}, {9000, 6000}, {7000, 9000}};
        QTest::newRow("tie across batches") << C::None << false << ties << qint64(4) << 9000;
        QTest::newRow("tie across segments") << C::Lz4 << true << ties << qint64(4) << 9000;
    }

    void maxTimestamp() {
        QFETCH(protocol::Compression, codec);
        QFETCH(bool, segmentPerBatch);
        QFETCH(std::vector<std::vector<int>>, batches);
        QFETCH(qint64, expectedOffset);
        QFETCH(int, expectedTimestamp);
        const std::string topic = uniqueName("max-timestamp").toStdString();
        std::map<std::string, std::string> configs;
        if (segmentPerBatch) {
            configs["segment.bytes"] = "14";
        }
        QCOMPARE(createTopic(topic, 1, 3, configs), kNone);
        // A minute old: kept by retention, and the offsets say which record was chosen.
        const std::int64_t base = QDateTime::currentMSecsSinceEpoch() - 60 * 1000;
        std::int64_t next = 0;
        for (const auto& timestamps : batches) {
            std::vector<protocol::Record> records;
            for (int ts : timestamps) {
                auto& r = records.emplace_back();
                r.timestamp = base + ts;
                r.key = bytesOf("k");
                r.value = bytesOf("value-" + std::to_string(ts));
            }
            auto produced = produce(topic, 0, batchOf(records, {.compression = codec}));
            QCOMPARE(produced.errorCode, kNone);
            QCOMPARE(produced.baseOffset, next);
            next += static_cast<std::int64_t>(records.size());
        }
        const std::int32_t leaderId = leaderOf(topic);
        std::size_t segments = 0;
        m_engine->inspect([&](broker::Cluster& c) {
            segments = c.partition(leaderId, topic, 0)->log().segmentCount();
        });
        QCOMPARE(segments, segmentPerBatch ? batches.size() : std::size_t{1});
        const auto max = listOffsetsV7(to(leaderId), topic, 0, -3);
        QCOMPARE(max.errorCode, kNone);
        QCOMPARE(max.offset, expectedOffset);
        QCOMPARE(max.timestamp, base + expectedTimestamp);
        QCOMPARE(max.leaderEpoch, partitionInfo(topic, 0).leaderEpoch);
    }

    // LogAppendTime: every record of a batch has the batch's append time, so -3 names the first
    // record of the batch appended last (Kafka's ListOffsetsIntegrationTest expects the first).
    void maxTimestampLogAppendTime() {
        const std::string topic = uniqueName("max-timestamp-append").toStdString();
        QCOMPARE(createTopic(topic, 1, 3, {{"message.timestamp.type", "LogAppendTime"}}), kNone);
        // Created an hour ago and out of order: a CreateTime answer would be offset 4.
        const std::int64_t created = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;
        auto records = makeRecords(3, created);
        records[1].timestamp = created + 500;
        auto first = produce(topic, 0, batchOf(records));
        QCOMPARE(first.errorCode, kNone);
        // The second batch must be stamped in a later millisecond than the first.
        QTRY_VERIFY(QDateTime::currentMSecsSinceEpoch() > first.logAppendTimeMs);
        auto second = produce(topic, 0, batchOf(records));
        QCOMPARE(second.errorCode, kNone);
        QCOMPARE(second.baseOffset, qint64(3));
        QVERIFY(second.logAppendTimeMs > first.logAppendTimeMs);
        const auto max = listOffsetsV7(leader(topic), topic, 0, -3);
        QCOMPARE(max.errorCode, kNone);
        QCOMPARE(max.offset, qint64(3));
        QCOMPARE(max.timestamp, second.logAppendTimeMs);
    }

    // Kafka answers -3 on an empty log with no offset and no timestamp, not an error.
    void maxTimestampEmptyPartition() {
        const std::string topic = uniqueName("max-timestamp-empty").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const auto max = listOffsetsV7(leader(topic), topic, 0, -3);
        QCOMPARE(max.errorCode, kNone);
        QCOMPARE(max.offset, qint64(-1));
        QCOMPARE(max.timestamp, qint64(-1));
        QCOMPARE(max.leaderEpoch, -1);
    }

    // The leader epoch in a -3 answer is the epoch of the batch holding the record (Kafka 3.7+),
    // not the partition's current epoch: a batch written under the first epoch keeps it after the
    // leadership moved (broker 3, the leader, is gone after a restart with two brokers).
    void maxTimestampLeaderEpochOfItsBatch() {
        QTemporaryDir dir;
        const std::string topic = "max-timestamp-epoch";
        const std::int64_t base = QDateTime::currentMSecsSinceEpoch() - 60 * 1000;
        auto records = makeRecords(3, base);
        records[1].timestamp = base + 9000;
        std::int32_t firstEpoch = -1;
        {
            auto engine = startEngine(dir.path());
            QVERIFY(engine);
            bool created = false;
            engine->inspect([&](broker::Cluster& c) {
                created =
                    c.createTopic(broker::NewTopic{.name = topic, .assignments = {{0, {3, 1, 2}}}},
                                  false)
                        .has_value();
            });
            QVERIFY(created);
            Client client;
            QVERIFY(client.connect("127.0.0.1", engine->view().brokers.at(2).port));
            auto r = client.request<protocol::ProduceResponse>(
                9, produceRequest(topic, 0, batchOf(records), -1));
            QCOMPARE(r.responses.at(0).partitionResponses.at(0).errorCode, kNone);
            engine->inspect(
                [&](broker::Cluster& c) { firstEpoch = c.partitionMeta(topic, 0)->leaderEpoch; });
            QCOMPARE(listOffsetsV7(client, topic, 0, -3).leaderEpoch, firstEpoch);
            engine->stop();
        }
        broker::EngineOptions options;
        options.brokers = 2;
        options.basePort = 0;
        options.dataDir = dir.path().toStdString();
        auto restarted = broker::Engine::start(options);
        QVERIFY(restarted.has_value());
        auto& engine = *restarted;
        Client client;
        QVERIFY(client.connect("127.0.0.1", engine->view().brokers.at(0).port));
        std::int32_t epoch = -1;
        engine->inspect([&](broker::Cluster& c) {
            const auto* meta = c.partitionMeta(topic, 0);
            epoch = meta != nullptr && meta->leader == 1 ? meta->leaderEpoch : -1;
        });
        QCOMPARE(epoch, firstEpoch + 1);
        for (auto& record : records) {
            record.timestamp -= 30 * 1000; // older than the first batch's maximum
        }
        auto r = client.request<protocol::ProduceResponse>(
            9, produceRequest(topic, 0, batchOf(records), -1));
        QCOMPARE(r.responses.at(0).partitionResponses.at(0).errorCode, kNone);
        QCOMPARE(r.responses.at(0).partitionResponses.at(0).baseOffset, qint64(3));
        const auto max = listOffsetsV7(client, topic, 0, -3);
        QCOMPARE(max.errorCode, kNone);
        QCOMPARE(max.offset, qint64(1));
        QCOMPARE(max.timestamp, base + 9000);
        QCOMPARE(max.leaderEpoch, firstEpoch);
        QCOMPARE(listOffsetsV7(client, topic, 0, -1).leaderEpoch, firstEpoch + 1);
        engine->stop();
    }

    void offsetForLeaderEpoch() {
        const std::string topic = uniqueName("leader-epoch").toStdString();
        QCOMPARE(createTopic(topic, 1, 3), kNone);
        const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(4, now))).errorCode, kNone);
        QCOMPARE(produce(topic, 0, batchOf(makeRecords(3, now))).errorCode, kNone);
        const auto info = partitionInfo(topic, 0);
        QVERIFY(info.leaderEpoch >= 0);

        auto ask = [&](Client& client, std::int32_t currentEpoch, std::int32_t epoch) {
            protocol::OffsetForLeaderEpochRequest request;
            request.replicaId = -1;
            auto& t = request.topics.emplace_back();
            t.topic = topic;
            auto& p = t.partitions.emplace_back();
            p.partition = 0;
            p.currentLeaderEpoch = currentEpoch;
            p.leaderEpoch = epoch;
            auto r = client.request<protocol::OffsetForLeaderEpochResponse>(4, request);
            return r.topics.at(0).partitions.at(0);
        };
        Client& leaderClient = to(info.leaderId);
        auto current = ask(leaderClient, info.leaderEpoch, info.leaderEpoch);
        QCOMPARE(current.errorCode, kNone);
        QCOMPARE(current.leaderEpoch, info.leaderEpoch);
        QCOMPARE(current.endOffset, qint64(7));
        auto unfenced = ask(leaderClient, -1, info.leaderEpoch);
        QCOMPARE(unfenced.errorCode, kNone);
        QCOMPARE(unfenced.endOffset, qint64(7));
        // A current epoch from the future is unknown to this leader; an older one is fenced.
        QCOMPARE(int(ask(leaderClient, info.leaderEpoch + 5, info.leaderEpoch).errorCode),
                 int(kUnknownLeaderEpoch));
        if (info.leaderEpoch > 0) {
            QCOMPARE(int(ask(leaderClient, info.leaderEpoch - 1, info.leaderEpoch).errorCode),
                     int(kFencedLeaderEpoch));
        }
        QCOMPARE(int(ask(to(info.leaderId % 3 + 1), -1, info.leaderEpoch).errorCode),
                 int(kNotLeaderOrFollower));
    }
};

QTEST_GUILESS_MAIN(TestProduceSemantics)
#include "test_produce_semantics.moc"
