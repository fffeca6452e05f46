// The engine in-process, spoken to with the project's own codec over loopback: the request path
// (framing, header versions, dispatch, ordering), topic creation with placement, produce/fetch
// with replication, list offsets, restart on the same data dir.
#include "engine/broker/engine.h"
#include "engine/protocol/header.h"
#include "engine/protocol/messages/api_versions.h"
#include "engine/protocol/messages/create_topics.h"
#include "engine/protocol/messages/fetch.h"
#include "engine/protocol/messages/list_offsets.h"
#include "engine/protocol/messages/metadata.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"
#include "tests/unit/broker/kafka_test_client.h"

#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

using namespace faultline;

using Client = testing::KafkaTestClient;

class TestBrokerEngine : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<broker::Engine> start(const QString& dir,
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
    static quint16 portOf(const broker::Engine& engine, int index) {
        return engine.view().brokers.at(static_cast<std::size_t>(index)).port;
    }

private slots:
    void apiVersionsAdvertisesTheTable() {
        QTemporaryDir dir;
        auto engine = start(dir.path());
        QVERIFY(engine);
        Client client;
        QVERIFY(client.connect("127.0.0.1", portOf(*engine, 0)));
        auto body = client.call(18, 3, protocol::ApiVersionsRequest{});
        auto response = client.decode<protocol::ApiVersionsResponse>(body, 3);
        QCOMPARE(response.errorCode, 0);
        bool produce = false;
        for (const auto& k : response.apiKeys) {
            if (k.apiKey == 0) {
                produce = k.minVersion == 3 && k.maxVersion == 9;
            }
        }
        QVERIFY(produce);
        // A version newer than served: v0 body, UNSUPPORTED_VERSION, ApiVersions' own range.
        auto newer = client.call(18, 99, protocol::ApiVersionsRequest{});
        auto fallback = client.decode<protocol::ApiVersionsResponse>(newer, 0);
        QCOMPARE(fallback.errorCode, 35);
        QCOMPARE(fallback.apiKeys.size(), std::size_t{1});
        QCOMPARE(fallback.apiKeys[0].maxVersion, 3);
    }

    void metadataShowsRacksAndController() {
        QTemporaryDir dir;
        auto engine = start(dir.path());
        QVERIFY(engine);
        Client client;
        QVERIFY(client.connect("127.0.0.1", portOf(*engine, 1)));
        protocol::MetadataRequest request;
        request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>{};
        auto response = client.decode<protocol::MetadataResponse>(client.call(3, 9, request), 9);
        QCOMPARE(response.brokers.size(), std::size_t{3});
        QStringList racks;
        for (const auto& b : response.brokers) {
            racks << QString::fromStdString(b.rack.value_or(""));
        }
        racks.sort();
        QCOMPARE(racks, (QStringList{"FD0UD0", "FD1UD1", "FD2UD2"}));
        QVERIFY(response.controllerId >= 1 && response.controllerId <= 3);
    }

    void produceFetchListOffsetsAndRestart() {
        QTemporaryDir dir;
        std::int32_t leader = -1;
        std::vector<std::uint8_t> produced;
        {
            auto engine = start(dir.path());
            QVERIFY(engine);
            const auto view = engine->view();
            Client controller;
            QVERIFY(controller.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(view.controllerId - 1)).port));
            protocol::CreateTopicsRequest create;
            auto& topic = create.topics.emplace_back();
            topic.name = "orders";
            topic.numPartitions = 1;
            topic.replicationFactor = 3;
            create.timeoutMs = 5000;
            auto created = controller.decode<protocol::CreateTopicsResponse>(controller.call(19, 5, create), 5);
            QCOMPARE(created.topics.size(), std::size_t{1});
            QCOMPARE(created.topics[0].errorCode, 0);

            protocol::MetadataRequest mreq;
            mreq.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
            (*mreq.topics)[0].name = "orders";
            auto meta = controller.decode<protocol::MetadataResponse>(controller.call(3, 9, mreq), 9);
            QCOMPARE(meta.topics.size(), std::size_t{1});
            const auto& p0 = meta.topics[0].partitions.at(0);
            QCOMPARE(p0.replicaNodes.size(), std::size_t{3});
            QCOMPARE(p0.isrNodes.size(), std::size_t{3});
            leader = p0.leaderId;

            Client client;
            QVERIFY(client.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(leader - 1)).port));
            // Timestamps of now: records from 1970 would be due for retention.ms (7 days).
            const std::int64_t base = QDateTime::currentMSecsSinceEpoch();
            std::vector<protocol::Record> records(10);
            for (int i = 0; i < 10; ++i) {
                records[static_cast<std::size_t>(i)].timestamp = base + i;
                std::string v = "value-" + std::to_string(i);
                records[static_cast<std::size_t>(i)].value = std::vector<std::uint8_t>(v.begin(), v.end());
            }
            auto batch = protocol::buildBatch(records, {});
            QVERIFY(batch.has_value());
            produced = *batch;
            protocol::ProduceRequest produce;
            produce.acks = -1;
            produce.timeoutMs = 5000;
            auto& td = produce.topicData.emplace_back();
            td.name = "orders";
            auto& pd = td.partitionData.emplace_back();
            pd.index = 0;
            pd.records = protocol::Records::copyOf(*batch);
            auto presp = client.decode<protocol::ProduceResponse>(client.call(0, 7, produce), 7);
            QCOMPARE(presp.responses.at(0).partitionResponses.at(0).errorCode, 0);
            QCOMPARE(presp.responses.at(0).partitionResponses.at(0).baseOffset, 0);

            // A second batch goes to offset 10.
            auto presp2 = client.decode<protocol::ProduceResponse>(client.call(0, 9, produce), 9);
            QCOMPARE(presp2.responses.at(0).partitionResponses.at(0).baseOffset, 10);

            // Not the leader: NOT_LEADER_OR_FOLLOWER.
            Client other;
            QVERIFY(other.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(leader % 3)).port));
            auto wrong = other.decode<protocol::ProduceResponse>(other.call(0, 7, produce), 7);
            QCOMPARE(wrong.responses.at(0).partitionResponses.at(0).errorCode, 6);

            protocol::ListOffsetsRequest lo;
            lo.replicaId = -1;
            auto& lt = lo.topics.emplace_back();
            lt.name = "orders";
            auto& lp = lt.partitions.emplace_back();
            lp.partitionIndex = 0;
            lp.timestamp = -1;
            auto latest = client.decode<protocol::ListOffsetsResponse>(client.call(2, 5, lo), 5);
            QCOMPARE(latest.topics.at(0).partitions.at(0).offset, 20);
            lp.timestamp = base + 5;
            auto byTime = client.decode<protocol::ListOffsetsResponse>(client.call(2, 5, lo), 5);
            // The first record at or after the timestamp, not the start of the batch holding it.
            QCOMPARE(byTime.topics.at(0).partitions.at(0).offset, 5);
            QCOMPARE(byTime.topics.at(0).partitions.at(0).timestamp, base + 5);
            engine->stop();
        }
        // Restart: the data, the leader and the offsets are back.
        auto engine = start(dir.path());
        QVERIFY(engine);
        const auto view = engine->view();
        Client client;
        QVERIFY(client.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(leader - 1)).port));
        protocol::FetchRequest fetch;
        fetch.replicaId = -1;
        fetch.maxWaitMs = 100;
        fetch.minBytes = 1;
        fetch.maxBytes = 1 << 20;
        auto& ft = fetch.topics.emplace_back();
        ft.topic = "orders";
        auto& fp = ft.partitions.emplace_back();
        fp.partition = 0;
        fp.fetchOffset = 0;
        fp.partitionMaxBytes = 1 << 20;
        auto fresp = client.decode<protocol::FetchResponse>(client.call(1, 11, fetch), 11);
        const auto& part = fresp.responses.at(0).partitionResponses.at(0);
        QCOMPARE(part.errorCode, 0);
        QCOMPARE(part.highWatermark, 20);
        auto decoded = protocol::decodeRecords(part.recordSet.bytes);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), std::size_t{20});
        QCOMPARE(decoded->at(15).offset, 15);
        QCOMPARE(std::string(decoded->at(15).value->begin(), decoded->at(15).value->end()),
                 std::string("value-5"));
        // Every replica holds the same bytes.
        for (int b = 1; b <= 3; ++b) {
            QVERIFY(QFileInfo::exists(QString("%1/broker-%2/orders-0/00000000000000000000.log").arg(dir.path()).arg(b)));
        }
    }

    // retention.ms with a short segment.ms: whole old segments go, the log start offset moves,
    // the active segment stays; a compacted topic keeps its segments.
    void retentionMovesLogStart() {
        QTemporaryDir dir;
        auto engine = start(dir.path(), {{"log.retention.check.interval.ms", "100"}});
        QVERIFY(engine);
        const auto view = engine->view();
        Client client;
        QVERIFY(client.connect("127.0.0.1", view.brokers.at(static_cast<std::size_t>(view.controllerId - 1)).port));
        protocol::CreateTopicsRequest create;
        for (const char* name : {"short-lived", "compacted"}) {
            auto& topic = create.topics.emplace_back();
            topic.name = name;
            topic.assignments.emplace_back().partitionIndex = 0;
            topic.assignments.back().brokerIds = {view.controllerId};
            topic.numPartitions = -1;
            topic.replicationFactor = -1;
            auto& c1 = topic.configs.emplace_back();
            c1.name = "segment.ms";
            c1.value = "50";
            auto& c2 = topic.configs.emplace_back();
            c2.name = "retention.ms";
            c2.value = "200";
            auto& c3 = topic.configs.emplace_back();
            c3.name = "cleanup.policy";
            c3.value = std::string(name) == "compacted" ? "compact" : "delete";
        }
        auto created = client.decode<protocol::CreateTopicsResponse>(client.call(19, 5, create), 5);
        QCOMPARE(created.topics.at(0).errorCode, 0);
        QCOMPARE(created.topics.at(1).errorCode, 0);
        auto produceOne = [&](const char* topicName) {
            std::vector<protocol::Record> records(1);
            records[0].timestamp = QDateTime::currentMSecsSinceEpoch();
            records[0].value = std::vector<std::uint8_t>{'x'};
            auto batch = protocol::buildBatch(records, {});
            protocol::ProduceRequest produce;
            produce.acks = 1;
            produce.timeoutMs = 5000;
            auto& td = produce.topicData.emplace_back();
            td.name = topicName;
            auto& pd = td.partitionData.emplace_back();
            pd.records = protocol::Records::copyOf(*batch);
            auto r = client.decode<protocol::ProduceResponse>(client.call(0, 7, produce), 7);
            return r.responses.at(0).partitionResponses.at(0).errorCode;
        };
        auto earliest = [&](const char* topicName) {
            protocol::ListOffsetsRequest lo;
            lo.replicaId = -1;
            auto& lt = lo.topics.emplace_back();
            lt.name = topicName;
            lt.partitions.emplace_back().timestamp = -2;
            auto r = client.decode<protocol::ListOffsetsResponse>(client.call(2, 5, lo), 5);
            return r.topics.at(0).partitions.at(0).offset;
        };
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(produceOne("short-lived"), 0);
            QCOMPARE(produceOne("compacted"), 0);
            QTest::qWait(120); // each batch lands in a segment of its own (segment.ms=50)
        }
        QTRY_VERIFY_WITH_TIMEOUT(earliest("short-lived") >= 2, 5000);
        QCOMPARE(earliest("compacted"), 0);
    }
};

QTEST_GUILESS_MAIN(TestBrokerEngine)
#include "test_broker_engine.moc"
