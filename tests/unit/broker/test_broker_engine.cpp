// The engine in-process, spoken to with the project's own codec over loopback: the request path
// (framing, header versions, dispatch, ordering), topic creation with placement, produce/fetch
// with replication, list offsets, restart on the same data dir; zero-copy fetch responses
// (sendfile) and deferred follower writes (LogWriter) checked byte for byte.
#include "engine/broker/engine.h"
#include "engine/broker/partition.h"
#include "engine/protocol/header.h"
#include "engine/protocol/record_batch.h"
#include "engine/storage/log.h"
#include "engine/protocol/messages/api_versions.h"
#include "engine/protocol/messages/create_partitions.h"
#include "engine/protocol/messages/create_topics.h"
#include "engine/protocol/messages/describe_configs.h"
#include "engine/protocol/messages/fetch.h"
#include "engine/protocol/messages/incremental_alter_configs.h"
#include "engine/protocol/messages/list_offsets.h"
#include "engine/protocol/messages/metadata.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"
#include "tests/unit/broker/kafka_test_client.h"

#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <future>
#include <thread>
#include <tuple>

using namespace faultline;

using Client = testing::KafkaTestClient;
using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

namespace {

Bytes fileBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The .log files of a partition directory, oldest segment first, concatenated.
Bytes logFileBytes(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".log") {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    Bytes out;
    for (const auto& f : files) {
        const Bytes b = fileBytes(f);
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

// Every batch of a log, read through the log itself.
Bytes readWholeLog(const storage::Log& log) {
    Bytes out;
    std::int64_t offset = log.logStartOffset();
    while (offset < log.logEndOffset()) {
        auto r = log.read(offset, 1 << 20, log.logEndOffset(), true);
        if (!r || r->nextOffset == offset) {
            break;
        }
        out.insert(out.end(), r->bytes->begin(), r->bytes->end());
        offset = r->nextOffset;
    }
    return out;
}

// True when `bytes` is a run of whole batches, each passing the broker's own CRC/record check,
// with dense offsets from `firstOffset`.
bool wholeValidBatches(std::span<const std::uint8_t> bytes, std::int64_t firstOffset) {
    bool complete = false;
    std::int64_t next = firstOffset;
    for (const auto& b : protocol::splitBatches(bytes, &complete)) {
        if (b.header.baseOffset != next) {
            qWarning("batch at offset %lld where %lld was expected",
                     static_cast<long long>(b.header.baseOffset), static_cast<long long>(next));
            return false;
        }
        if (auto v = protocol::validateBatch(bytes.subspan(b.position, b.size)); !v) {
            qWarning("batch at %lld: %s", static_cast<long long>(next), v.error().message.c_str());
            return false;
        }
        next = b.header.nextOffset();
    }
    return complete;
}

// A batch of `count` records whose values (valueSize bytes each) depend on `seed`.
Bytes makeBatch(int count, std::size_t valueSize, int seed) {
    std::vector<protocol::Record> records(static_cast<std::size_t>(count));
    const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < count; ++i) {
        auto& r = records[static_cast<std::size_t>(i)];
        r.timestamp = now + i;
        const std::string key = "key-" + std::to_string(seed) + "-" + std::to_string(i);
        r.key = Bytes(key.begin(), key.end());
        Bytes value(valueSize);
        for (std::size_t j = 0; j < valueSize; ++j) {
            value[j] = static_cast<std::uint8_t>(
                (j * 131 + static_cast<std::size_t>(seed) * 7 + static_cast<std::size_t>(i)) ^
                (j >> 9));
        }
        r.value = std::move(value);
    }
    auto batch = protocol::buildBatch(records, {});
    return batch ? *batch : Bytes{};
}

// The batch as a leader stores it: base offset and leader epoch set, CRC unchanged.
Bytes storedAs(Bytes batch, std::int64_t baseOffset, std::int32_t epoch) {
    protocol::setBaseOffset(batch, baseOffset);
    protocol::setPartitionLeaderEpoch(batch, epoch);
    return batch;
}

protocol::ProduceRequest produceRequest(const std::string& topic, std::int32_t partition,
                                        const std::vector<std::uint8_t>& batch, std::int16_t acks) {
    return testing::produceRequest(topic, partition, batch, acks, 10000);
}

Bytes concatBytes(const std::vector<Bytes>& parts) {
    Bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

protocol::MetadataRequest metadataRequest(const std::string& topic) {
    protocol::MetadataRequest request;
    request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
    (*request.topics)[0].name = topic;
    return request;
}

// Creates `name` (1 partition, RF 3) through the controller and returns Metadata's answer for
// its partition 0 (leader, epoch, replicas, ISR); nullopt when either call fails.
std::optional<protocol::MetadataResponse::MetadataResponsePartition>
createOnePartitionTopic(const broker::ClusterView& view, const std::string& name) {
    Client admin;
    if (!admin.connect("127.0.0.1",
                       view.brokers.at(static_cast<std::size_t>(view.controllerId - 1)).port)) {
        return std::nullopt;
    }
    protocol::CreateTopicsRequest create;
    auto& topic = create.topics.emplace_back();
    topic.name = name;
    topic.numPartitions = 1;
    topic.replicationFactor = 3;
    create.timeoutMs = 5000;
    auto created = admin.decode<protocol::CreateTopicsResponse>(admin.call(19, 5, create), 5);
    if (created.topics.size() != 1 || created.topics[0].errorCode != 0) {
        return std::nullopt;
    }
    auto meta = admin.decode<protocol::MetadataResponse>(admin.call(3, 9, metadataRequest(name)), 9);
    if (meta.topics.size() != 1 || meta.topics[0].partitions.empty()) {
        return std::nullopt;
    }
    return meta.topics[0].partitions[0];
}

// The listener port of broker `id` (ids start at 1).
quint16 brokerPort(const broker::ClusterView& view, std::int32_t id) {
    return view.brokers.at(static_cast<std::size_t>(id - 1)).port;
}

} // namespace

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
    // A started engine with `topic` (1 partition, RF 3) created and `client` connected to the
    // topic's leader, whose partition 0 goes to `p0`; nullptr (with a warning) when a step fails.
    std::unique_ptr<broker::Engine>
    startWithLeaderClient(const QString& dir, const std::string& topic, Client& client,
                          protocol::MetadataResponse::MetadataResponsePartition& p0) {
        auto engine = start(dir);
        if (!engine) {
            return nullptr;
        }
        const auto view = engine->view();
        auto created = createOnePartitionTopic(view, topic);
        if (!created || !client.connect("127.0.0.1", brokerPort(view, created->leaderId))) {
            qWarning("could not create %s or connect to its leader", topic.c_str());
            return nullptr;
        }
        p0 = *created;
        return engine;
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

    // A replica whose log cannot be created (here: a file sits where broker 2's partition
    // directory must go) fails CreateTopics and CreatePartitions with KAFKA_STORAGE_ERROR, and
    // nothing of the failed request is left: no topic in metadata, no directories on any broker.
    void storageFailureCreatesNothing() {
        QTemporaryDir dir;
        auto engine = start(dir.path(), {{"auto.create.topics.enable", "false"}});
        QVERIFY(engine);
        const auto view = engine->view();
        const fs::path root(dir.path().toStdString());
        {
            fs::create_directories(root / "broker-2");
            std::ofstream blocker(root / "broker-2" / "blocked-0");
            blocker << "not a directory";
        }
        QVERIFY(fs::is_regular_file(root / "broker-2" / "blocked-0"));
        Client controller;
        QVERIFY(controller.connect(
            "127.0.0.1", view.brokers.at(static_cast<std::size_t>(view.controllerId - 1)).port));
        protocol::CreateTopicsRequest create;
        auto& topic = create.topics.emplace_back();
        topic.name = "blocked";
        topic.numPartitions = 2;
        topic.replicationFactor = 3;
        create.timeoutMs = 5000;
        auto created =
            controller.decode<protocol::CreateTopicsResponse>(controller.call(19, 5, create), 5);
        QCOMPARE(created.topics.size(), std::size_t{1});
        QCOMPARE(created.topics[0].errorCode, 56); // KAFKA_STORAGE_ERROR
        QVERIFY(created.topics[0].errorMessage.value_or("").find("broker 2") != std::string::npos);
        for (int b = 1; b <= 3; ++b) {
            for (int p = 0; p < 2; ++p) {
                const fs::path replica = root / ("broker-" + std::to_string(b)) /
                                         ("blocked-" + std::to_string(p));
                QVERIFY2(!fs::is_directory(replica), replica.c_str());
            }
        }
        protocol::MetadataRequest mreq;
        mreq.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>(1);
        (*mreq.topics)[0].name = "blocked";
        auto meta = controller.decode<protocol::MetadataResponse>(controller.call(3, 9, mreq), 9);
        QCOMPARE(meta.topics.size(), std::size_t{1});
        QCOMPARE(meta.topics[0].errorCode, 3); // UNKNOWN_TOPIC_OR_PARTITION

        // CreatePartitions: the topic keeps its partitions when a new one cannot be created.
        fs::remove(root / "broker-2" / "blocked-0");
        created = controller.decode<protocol::CreateTopicsResponse>(controller.call(19, 5, create), 5);
        QCOMPARE(created.topics[0].errorCode, 0);
        for (int b = 1; b <= 3; ++b) {
            std::ofstream blocker(root / ("broker-" + std::to_string(b)) / "blocked-2");
            blocker << "not a directory";
        }
        protocol::CreatePartitionsRequest more;
        auto& grow = more.topics.emplace_back();
        grow.name = "blocked";
        grow.count = 4;
        grow.assignments = std::nullopt;
        more.timeoutMs = 5000;
        auto grown = controller.decode<protocol::CreatePartitionsResponse>(
            controller.call(37, 1, more), 1);
        QCOMPARE(grown.results.size(), std::size_t{1});
        QCOMPARE(grown.results[0].errorCode, 56);
        meta = controller.decode<protocol::MetadataResponse>(controller.call(3, 9, mreq), 9);
        QCOMPARE(meta.topics[0].errorCode, 0);
        QCOMPARE(meta.topics[0].partitions.size(), std::size_t{2});
        for (int b = 1; b <= 3; ++b) {
            QVERIFY(!fs::is_directory(root / ("broker-" + std::to_string(b)) / "blocked-3"));
        }
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
        const auto fetch = testing::fetchRequest("orders", 0, 0, 100, 1);
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

    // A partition holding > 1 MiB in batches of about 100 KiB, fetched by several Fetch requests
    // pipelined on one connection between Metadata requests: the answers come in request order
    // with their own correlation ids, and the batches (sent from the segment file) are the
    // stored bytes exactly.
    void pipelinedFetchOfLargeBatches_data() {
        QTest::addColumn<int>("fetchVersion");
        QTest::addColumn<int>("metadataVersion");
        QTest::newRow("fetch v4, metadata v1") << 4 << 1;
        QTest::newRow("fetch v11, metadata v9") << 11 << 9;
        QTest::newRow("fetch v12 (flexible), metadata v12") << 12 << 12;
    }
    void pipelinedFetchOfLargeBatches() {
        QFETCH(int, fetchVersion);
        QFETCH(int, metadataVersion);
        const auto fv = static_cast<std::int16_t>(fetchVersion);
        const auto mv = static_cast<std::int16_t>(metadataVersion);
        QTemporaryDir dir;
        Client client;
        protocol::MetadataResponse::MetadataResponsePartition p0;
        auto engine = startWithLeaderClient(dir.path(), "bulk", client, p0);
        QVERIFY(engine);
        const auto view = engine->view();
        const std::int32_t leader = p0.leaderId;
        const std::int32_t epoch = p0.leaderEpoch;
        // 14 batches of 10 records of 10 KiB: about 1.4 MiB.
        constexpr int kBatches = 14;
        constexpr int kRecords = 10;
        std::vector<Bytes> stored;
        for (int i = 0; i < kBatches; ++i) {
            const Bytes batch = makeBatch(kRecords, 10 * 1024 + static_cast<std::size_t>(i), i);
            QVERIFY(!batch.empty());
            auto r = client.decode<protocol::ProduceResponse>(
                client.call(0, 7, produceRequest("bulk", 0, batch, -1)), 7);
            QCOMPARE(r.responses.at(0).partitionResponses.at(0).errorCode, 0);
            QCOMPARE(r.responses.at(0).partitionResponses.at(0).baseOffset,
                     static_cast<std::int64_t>(i) * kRecords);
            stored.push_back(storedAs(batch, static_cast<std::int64_t>(i) * kRecords, epoch));
        }
        std::size_t totalBytes = 0;
        for (const auto& b : stored) {
            totalBytes += b.size();
        }
        QVERIFY(totalBytes > (1u << 20));
        const std::int64_t leo = static_cast<std::int64_t>(kBatches) * kRecords;

        struct FetchCase {
            std::int64_t offset;
            std::int32_t partitionMaxBytes;
            std::int32_t maxBytes;
            std::int16_t error = 0;
        };
        const std::int32_t batchBytes = static_cast<std::int32_t>(stored[0].size());
        const std::vector<FetchCase> cases = {
            {0, 4 << 20, 4 << 20},               // everything, one response (> 1 MiB)
            {25, 5 * batchBytes / 2, 4 << 20},   // middle of batch 2: batches 2 and 3
            {130, 1, 4 << 20},                   // first batch even above the limit
            {leo, 1 << 20, 4 << 20},             // at the end: nothing
            {70, 1 << 20, 3 * batchBytes - 100}, // the request's maxBytes bounds it
            {leo + 10, 1 << 20, 4 << 20, 1},     // OFFSET_OUT_OF_RANGE
            {10, 1 << 20, 1 << 20},              // a 1 MiB window
        };
        // Expected: whole batches from the one holding `offset`, within min(limits), at least one.
        auto expectedFor = [&](const FetchCase& c) {
            Bytes out;
            if (c.error != 0 || c.offset >= leo) {
                return out;
            }
            const std::size_t limit =
                static_cast<std::size_t>(std::min(c.partitionMaxBytes, c.maxBytes));
            for (std::size_t i = static_cast<std::size_t>(c.offset / kRecords); i < stored.size();
                 ++i) {
                if (!out.empty() && out.size() + stored[i].size() > limit) {
                    break;
                }
                out.insert(out.end(), stored[i].begin(), stored[i].end());
            }
            return out;
        };

        std::vector<std::pair<std::int32_t, std::int16_t>> sent; // correlation id, api key
        for (const auto& c : cases) {
            protocol::FetchRequest fetch;
            fetch.replicaId = -1;
            fetch.maxWaitMs = 0;
            fetch.minBytes = 0;
            fetch.maxBytes = c.maxBytes;
            auto& ft = fetch.topics.emplace_back();
            ft.topic = "bulk";
            auto& fp = ft.partitions.emplace_back();
            fp.partition = 0;
            fp.fetchOffset = c.offset;
            fp.partitionMaxBytes = c.partitionMaxBytes;
            sent.emplace_back(client.send(1, fv, fetch), std::int16_t{1});
            sent.emplace_back(client.send(3, mv, metadataRequest("bulk")), std::int16_t{3});
        }
        std::size_t fetchIndex = 0;
        for (const auto& [correlation, key] : sent) {
            auto frame = client.receive(20000);
            QVERIFY2(frame.has_value(), "a pipelined response did not come");
            QCOMPARE(frame->correlationId, correlation);
            QCOMPARE(frame->apiKey, key);
            if (key == 3) {
                auto m = client.decode<protocol::MetadataResponse>(frame->body, mv);
                QCOMPARE(m.topics.size(), std::size_t{1});
                QCOMPARE(m.topics[0].partitions.at(0).leaderId, leader);
                continue;
            }
            const FetchCase& c = cases.at(fetchIndex++);
            protocol::FetchResponse response;
            protocol::Reader reader(frame->body);
            response.read(reader, fv);
            QVERIFY(reader.ok());
            QCOMPARE(reader.remaining(), std::size_t{0});
            const auto& part = response.responses.at(0).partitionResponses.at(0);
            QCOMPARE(part.errorCode, c.error);
            if (c.error != 0) {
                continue;
            }
            QCOMPARE(part.highWatermark, leo);
            const Bytes got(part.recordSet.bytes.begin(), part.recordSet.bytes.end());
            const Bytes expected = expectedFor(c);
            QCOMPARE(got.size(), expected.size());
            QVERIFY2(got == expected,
                     qPrintable(QString("fetch at %1: bytes differ").arg(c.offset)));
            if (!got.empty()) {
                QVERIFY(wholeValidBatches(got, (c.offset / kRecords) * kRecords));
            }
        }
        QCOMPARE(fetchIndex, cases.size());
        QCOMPARE(client.pendingCount(), std::size_t{0});

        // A consumer walking the log with 300 KiB fetches sees every stored byte once.
        Bytes consumed;
        std::int64_t offset = 0;
        for (int round = 0; round < 100 && offset < leo; ++round) {
            const auto fetch = testing::fetchRequest("bulk", 0, offset, 100, 1, 300 * 1024);
            auto r = client.decode<protocol::FetchResponse>(client.call(1, fv, fetch), fv);
            const auto& part = r.responses.at(0).partitionResponses.at(0);
            QCOMPARE(part.errorCode, 0);
            const auto batches = protocol::splitBatches(part.recordSet.bytes);
            QVERIFY(!batches.empty());
            consumed.insert(consumed.end(), part.recordSet.bytes.begin(),
                            part.recordSet.bytes.end());
            offset = batches.back().header.nextOffset();
        }
        QCOMPARE(offset, leo);
        QVERIFY(consumed == concatBytes(stored));
    }

    // More produce bytes pipelined on one connection than the broker reads ahead (it pauses
    // reading at 4 MiB of unanswered requests): 16 requests of almost 1 MiB with acks=all,
    // interleaved with Metadata, all sent before any answer is read. Every answer comes, in
    // request order, and the log holds every batch at consecutive offsets.
    void pipelinedProducesBeyondTheReadAheadLimit() {
        QTemporaryDir dir;
        Client client;
        protocol::MetadataResponse::MetadataResponsePartition p0;
        auto engine = startWithLeaderClient(dir.path(), "piped", client, p0);
        QVERIFY(engine);
        constexpr int kRequests = 16;
        constexpr int kRecords = 15; // 15 x 64 KiB: under max.message.bytes (1 MiB + 12)
        std::vector<std::pair<std::int32_t, std::int16_t>> sent; // correlation id, api key
        std::size_t bytesSent = 0;
        for (int i = 0; i < kRequests; ++i) {
            const Bytes batch = makeBatch(kRecords, 64 * 1024, i);
            QVERIFY(!batch.empty());
            bytesSent += batch.size();
            sent.emplace_back(client.send(0, 7, produceRequest("piped", 0, batch, -1)), std::int16_t{0});
            sent.emplace_back(client.send(3, 9, metadataRequest("piped")), std::int16_t{3});
        }
        QVERIFY(bytesSent > 3 * std::size_t{4} * 1024 * 1024);
        int produceIndex = 0;
        for (const auto& [correlation, key] : sent) {
            auto frame = client.receive(30000);
            QVERIFY2(frame.has_value(), "a pipelined response did not come");
            QCOMPARE(frame->correlationId, correlation);
            QCOMPARE(frame->apiKey, key);
            if (key == 3) {
                continue;
            }
            auto r = client.decode<protocol::ProduceResponse>(frame->body, 7);
            const auto& part = r.responses.at(0).partitionResponses.at(0);
            QCOMPARE(part.errorCode, 0);
            QCOMPARE(part.baseOffset, static_cast<std::int64_t>(produceIndex) * kRecords);
            ++produceIndex;
        }
        QCOMPARE(produceIndex, kRequests);
        QCOMPARE(client.pendingCount(), std::size_t{0});
    }

    // A large request read in chunks (the receive low-water mark) is still read whole when it
    // arrives in odd pieces with pauses: the size split, chunks above and below the low-water
    // mark, and the last bytes one at a time. The next small request is answered at once.
    void largeFrameArrivingInPiecesIsRead() {
        QTemporaryDir dir;
        Client client;
        protocol::MetadataResponse::MetadataResponsePartition p0;
        auto engine = startWithLeaderClient(dir.path(), "pieces", client, p0);
        QVERIFY(engine);
        const Bytes batch = makeBatch(15, 64 * 1024, 0); // ~960 KiB
        QVERIFY(batch.size() > 900 * 1024);
        const std::vector<std::size_t> pieces = {2,           2,          300 * 1024, 200 * 1024,
                                                 5,           130 * 1024, 1,          330 * 1024,
                                                 1,           1};
        std::size_t inPieces = 0;
        for (std::size_t p : pieces) {
            inPieces += p;
        }
        const auto produceId = client.send(0, 7, produceRequest("pieces", 0, batch, -1), pieces, 40);
        auto frame = client.receive(10000);
        QVERIFY2(frame.has_value(), "the produce sent in pieces was not answered");
        QCOMPARE(frame->correlationId, produceId);
        auto r = client.decode<protocol::ProduceResponse>(frame->body, 7);
        QCOMPARE(r.responses.at(0).partitionResponses.at(0).errorCode, 0);
        QCOMPARE(r.responses.at(0).partitionResponses.at(0).baseOffset, 0);
        QVERIFY(inPieces < batch.size()); // the last write carried the rest
        // A small request right after: no low-water mark left waiting for bytes that never come.
        const auto metadataId = client.send(3, 9, metadataRequest("pieces"));
        frame = client.receive(2000);
        QVERIFY2(frame.has_value(), "a small request after a large one was not answered");
        QCOMPARE(frame->correlationId, metadataId);
        // A frame that ends exactly at a read chunk: the last piece is the final byte.
        const Bytes second = makeBatch(10, 64 * 1024, 1);
        const auto againId =
            client.send(0, 7, produceRequest("pieces", 0, second, -1), {512 * 1024}, 100);
        frame = client.receive(10000);
        QVERIFY2(frame.has_value(), "the second produce was not answered");
        QCOMPARE(frame->correlationId, againId);
        r = client.decode<protocol::ProduceResponse>(frame->body, 7);
        QCOMPARE(r.responses.at(0).partitionResponses.at(0).baseOffset, 15);
    }

    // RF 3 with acks=all: after many produces (pipelined, segments rolling), every replica's log
    // on the three brokers holds the leader's batches byte for byte, through the log and on disk,
    // before and after a restart.
    void replicasHoldIdenticalBatches() {
        QTemporaryDir dir;
        auto sandbox = start(dir.path());
        QVERIFY(sandbox);
        const auto view = sandbox->view();
        Client admin;
        QVERIFY(admin.connect("127.0.0.1", brokerPort(view, view.controllerId)));
        protocol::CreateTopicsRequest create;
        auto& topic = create.topics.emplace_back();
        topic.name = "mirrored";
        topic.numPartitions = 2;
        topic.replicationFactor = 3;
        auto& segment = topic.configs.emplace_back();
        segment.name = "segment.bytes";
        segment.value = "300000";
        create.timeoutMs = 5000;
        auto created = admin.decode<protocol::CreateTopicsResponse>(admin.call(19, 5, create), 5);
        QCOMPARE(created.topics.at(0).errorCode, 0);
        auto meta = admin.decode<protocol::MetadataResponse>(
            admin.call(3, 9, metadataRequest("mirrored")), 9);
        QCOMPARE(meta.topics.at(0).partitions.size(), std::size_t{2});
        std::map<std::int32_t, std::int32_t> leaders, epochs;
        for (const auto& p : meta.topics[0].partitions) {
            QCOMPARE(p.replicaNodes.size(), std::size_t{3});
            QCOMPARE(p.isrNodes.size(), std::size_t{3});
            leaders[p.partitionIndex] = p.leaderId;
            epochs[p.partitionIndex] = p.leaderEpoch;
        }
        std::map<std::int32_t, std::unique_ptr<Client>> clients; // by partition
        for (const auto& [partition, leader] : leaders) {
            clients[partition] = std::make_unique<Client>();
            QVERIFY(clients[partition]->connect("127.0.0.1", brokerPort(view, leader)));
        }

        constexpr int kRounds = 12;
        constexpr int kPipelined = 8;
        std::map<std::int32_t, std::vector<Bytes>> stored;
        std::map<std::int32_t, std::int64_t> next;
        int seed = 0;
        for (int round = 0; round < kRounds; ++round) {
            std::map<std::int32_t, std::vector<std::pair<std::int32_t, std::int64_t>>> inFlight;
            for (int k = 0; k < kPipelined; ++k) {
                for (const auto& [partition, leader] : leaders) {
                    ++seed;
                    const int records = 1 + seed % 9;
                    const std::size_t valueSize =
                        static_cast<std::size_t>((seed * 977) % 6000 + 10);
                    const Bytes batch = makeBatch(records, valueSize, seed);
                    QVERIFY(!batch.empty());
                    const std::int32_t id = clients[partition]->send(
                        0, 9, produceRequest("mirrored", partition, batch, -1));
                    inFlight[partition].emplace_back(id, next[partition]);
                    stored[partition].push_back(
                        storedAs(batch, next[partition], epochs[partition]));
                    next[partition] += records;
                }
            }
            for (auto& [partition, ids] : inFlight) {
                for (const auto& [id, base] : ids) {
                    auto frame = clients[partition]->receive(20000);
                    QVERIFY(frame.has_value());
                    QCOMPARE(frame->correlationId, id);
                    auto r = clients[partition]->decode<protocol::ProduceResponse>(frame->body, 9);
                    QCOMPARE(r.responses.at(0).partitionResponses.at(0).errorCode, 0);
                    QCOMPARE(r.responses.at(0).partitionResponses.at(0).baseOffset, base);
                }
            }
        }

        struct Replica {
            bool present = false;
            bool leader = false;
            std::int64_t logEndOffset = -1;
            std::int64_t highWatermark = -1;
            std::vector<std::int64_t> segments;
            Bytes read;
            Bytes files;
            fs::path dir;
        };
        std::map<std::int32_t, std::map<std::int32_t, Replica>> replicas; // partition -> broker
        sandbox->inspect([&](broker::Cluster& c) {
            for (const auto& [partition, leader] : leaders) {
                for (std::int32_t b = 1; b <= 3; ++b) {
                    Replica& r = replicas[partition][b];
                    broker::Partition* p = c.partition(b, "mirrored", partition);
                    if (p == nullptr) {
                        continue;
                    }
                    r.present = true;
                    r.leader = p->isLeader();
                    p->log().waitForWrites();
                    r.logEndOffset = p->logEndOffset();
                    r.highWatermark = p->highWatermark();
                    r.segments = p->log().segmentBaseOffsets();
                    r.read = readWholeLog(p->log());
                    r.files = logFileBytes(p->log().dir());
                    r.dir = p->log().dir();
                }
            }
        });
        std::map<std::int32_t, std::map<std::int32_t, fs::path>> dirs;
        for (const auto& [partition, leader] : leaders) {
            const Bytes expected = concatBytes(stored[partition]);
            QVERIFY(wholeValidBatches(expected, 0));
            const Replica& lead = replicas[partition][leader];
            QVERIFY(lead.present);
            QVERIFY(lead.leader);
            QVERIFY(lead.segments.size() > 1); // segments rolled on every replica
            for (std::int32_t b = 1; b <= 3; ++b) {
                const Replica& r = replicas[partition][b];
                const QByteArray where =
                    QString("partition %1, broker %2").arg(partition).arg(b).toUtf8();
                QVERIFY2(r.present, where.constData());
                QCOMPARE(r.logEndOffset, next[partition]);
                QCOMPARE(r.highWatermark, next[partition]);
                QCOMPARE(r.segments, lead.segments);
                QCOMPARE(r.read.size(), expected.size());
                QVERIFY2(r.read == expected, where.constData());
                QVERIFY2(r.files == expected, where.constData());
                // Each broker keeps its own copy.
                QVERIFY2(r.dir != lead.dir || b == leader, where.constData());
                dirs[partition][b] = r.dir;
            }
        }
        sandbox->stop();
        // After a clean stop: the same files, and each replica's log reopens with every batch.
        for (const auto& [partition, leader] : leaders) {
            const Bytes expected = concatBytes(stored[partition]);
            for (std::int32_t b = 1; b <= 3; ++b) {
                QVERIFY(logFileBytes(dirs[partition][b]) == expected);
                auto log = storage::Log::open(dirs[partition][b], storage::LogConfig{});
                QVERIFY(log.has_value());
                QCOMPARE((*log)->logEndOffset(), next[partition]);
                QVERIFY(readWholeLog(**log) == expected);
            }
        }
    }

    // retention.ms with a short segment.ms: whole old segments go, the log start offset moves;
    // a compacted topic keeps its segments.
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
            records[0].key = std::vector<std::uint8_t>{'k'}; // a compacted topic needs keys
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

    // Kafka's sources: startup properties (`--config`) are STATIC_BROKER_CONFIG (4), values set
    // with (Incremental)AlterConfigs on the default broker resource ("") DYNAMIC_DEFAULT (3) and
    // win over the startup ones, across a restart too; synonyms list the dynamic ones, then the
    // static ones, then the default. The default resource lists only the dynamic ones.
    void startupConfigsAreStatic() {
        constexpr std::int8_t kDynamicDefault = 3;
        constexpr std::int8_t kStatic = 4;
        constexpr std::int8_t kDefault = 5;
        using Entry = protocol::DescribeConfigsResponse::DescribeConfigsResourceResult;
        using Synonyms = std::vector<std::tuple<std::string, std::string, int>>;
        QTemporaryDir dir;
        std::unique_ptr<broker::Engine> engine =
            start(dir.path(), {{"log.retention.hours", "48"}, {"num.partitions", "2"}});
        QVERIFY(engine);
        auto client = std::make_unique<Client>();
        QVERIFY(client->connect("127.0.0.1", portOf(*engine, 0)));
        auto describe = [&](std::int8_t type, const std::string& name) {
            protocol::DescribeConfigsRequest request;
            auto& resource = request.resources.emplace_back();
            resource.resourceType = type;
            resource.resourceName = name;
            resource.configurationKeys = std::nullopt;
            request.includeSynonyms = true;
            auto r = client->request<protocol::DescribeConfigsResponse>(4, request);
            std::map<std::string, Entry> entries;
            if (r.results.size() == 1 && r.results[0].errorCode == 0) {
                for (auto& entry : r.results[0].configs) {
                    entries.emplace(entry.name, std::move(entry));
                }
            }
            return entries;
        };
        auto synonymsOf = [](const Entry& entry) {
            Synonyms out;
            for (const auto& s : entry.synonyms) {
                out.emplace_back(s.name, s.value.value_or("<null>"), s.source);
            }
            return out;
        };
        auto alterDefault = [&](std::int8_t op, std::optional<std::string> value) {
            protocol::IncrementalAlterConfigsRequest request;
            auto& resource = request.resources.emplace_back();
            resource.resourceType = 4;
            resource.resourceName = "";
            auto& config = resource.configs.emplace_back();
            config.name = "log.retention.hours";
            config.configOperation = op;
            config.value = std::move(value);
            auto r = client->request<protocol::IncrementalAlterConfigsResponse>(1, request);
            return r.responses.size() == 1 ? r.responses[0].errorCode : std::int16_t{-100};
        };
        constexpr std::int8_t kTopic = 2;
        constexpr std::int8_t kBroker = 4;

        protocol::CreateTopicsRequest create;
        auto& topic = create.topics.emplace_back();
        topic.name = "inherits";
        topic.numPartitions = -1;
        topic.replicationFactor = -1;
        create.timeoutMs = 5000;
        auto created = client->request<protocol::CreateTopicsResponse>(5, create);
        QCOMPARE(created.topics.at(0).errorCode, 0);
        QCOMPARE(created.topics.at(0).numPartitions, 2);
        QVERIFY(created.topics.at(0).configs.has_value());
        const auto& createdConfigs = *created.topics.at(0).configs;
        const auto retention =
            std::ranges::find(createdConfigs, std::string("retention.ms"),
                              &protocol::CreateTopicsResponse::CreatableTopicConfigs::name);
        QVERIFY(retention != createdConfigs.end());
        QCOMPARE(retention->value, std::optional<std::string>("172800000"));
        QCOMPARE(retention->configSource, kStatic);

        auto brokerOne = describe(kBroker, "1");
        QCOMPARE(brokerOne.at("log.retention.hours").value, std::optional<std::string>("48"));
        QCOMPARE(brokerOne.at("log.retention.hours").configSource, kStatic);
        QVERIFY(!brokerOne.at("log.retention.hours").isDefault);
        QCOMPARE(synonymsOf(brokerOne.at("log.retention.hours")),
                 (Synonyms{{"log.retention.hours", "48", kStatic},
                           {"log.retention.hours", "168", kDefault}}));
        QCOMPARE(brokerOne.at("log.retention.ms").value, std::optional<std::string>("172800000"));
        QCOMPARE(brokerOne.at("log.retention.ms").configSource, kStatic);
        QCOMPARE(brokerOne.at("num.partitions").configSource, kStatic);
        QCOMPARE(brokerOne.at("log.retention.bytes").configSource, kDefault);
        QVERIFY(describe(kBroker, "").empty()); // nothing was set dynamically
        auto topicConfigs = describe(kTopic, "inherits");
        QCOMPARE(topicConfigs.at("retention.ms").configSource, kStatic);
        QCOMPARE(synonymsOf(topicConfigs.at("retention.ms")),
                 (Synonyms{{"log.retention.hours", "48", kStatic},
                           {"log.retention.hours", "168", kDefault}}));

        // A dynamic value over the startup one.
        QCOMPARE(alterDefault(0 /* SET */, "12"), 0);
        brokerOne = describe(kBroker, "1");
        QCOMPARE(brokerOne.at("log.retention.hours").value, std::optional<std::string>("12"));
        QCOMPARE(brokerOne.at("log.retention.hours").configSource, kDynamicDefault);
        QCOMPARE(synonymsOf(brokerOne.at("log.retention.hours")),
                 (Synonyms{{"log.retention.hours", "12", kDynamicDefault},
                           {"log.retention.hours", "48", kStatic},
                           {"log.retention.hours", "168", kDefault}}));
        QCOMPARE(brokerOne.at("num.partitions").configSource, kStatic);
        const auto defaults = describe(kBroker, "");
        QVERIFY(defaults.contains("log.retention.hours"));
        QVERIFY(!defaults.contains("num.partitions"));
        topicConfigs = describe(kTopic, "inherits");
        QCOMPARE(topicConfigs.at("retention.ms").value, std::optional<std::string>("43200000"));
        QCOMPARE(topicConfigs.at("retention.ms").configSource, kDynamicDefault);
        engine->stop();

        // The dynamic value is kept apart from the startup ones: after a restart with another
        // startup value it still wins, and deleting it uncovers the new startup value.
        engine = start(dir.path(), {{"log.retention.hours", "72"}});
        QVERIFY(engine);
        client = std::make_unique<Client>();
        QVERIFY(client->connect("127.0.0.1", portOf(*engine, 0)));
        brokerOne = describe(kBroker, "1");
        QCOMPARE(brokerOne.at("log.retention.hours").value, std::optional<std::string>("12"));
        QCOMPARE(brokerOne.at("log.retention.hours").configSource, kDynamicDefault);
        QCOMPARE(brokerOne.at("num.partitions").configSource, kDefault);
        QCOMPARE(alterDefault(1 /* DELETE */, std::nullopt), 0);
        brokerOne = describe(kBroker, "1");
        QCOMPARE(brokerOne.at("log.retention.hours").value, std::optional<std::string>("72"));
        QCOMPARE(brokerOne.at("log.retention.hours").configSource, kStatic);
        QVERIFY(describe(kBroker, "").empty());
        engine->stop();
    }

    // The operator's purge: retention.ms below the records' age deletes every segment, the
    // active one included (rolled first, as Kafka does), on every replica of an RF 3 topic: the
    // log start becomes the old log end on all three brokers, Fetch below it gets
    // OFFSET_OUT_OF_RANGE, ListOffsets earliest answers it, and produce continues there. Before
    // that, a log start moved on the leader alone reaches the followers.
    void retentionRemovesTheActiveSegmentOnEveryReplica() {
        QTemporaryDir dir;
        auto engine = start(dir.path(), {{"log.retention.check.interval.ms", "100"}});
        QVERIFY(engine);
        const auto view = engine->view();
        auto p0 = createOnePartitionTopic(view, "purged");
        QVERIFY(p0.has_value());
        QCOMPARE(p0->isrNodes.size(), std::size_t{3});
        const std::int32_t leaderId = p0->leaderId;
        Client client;
        QVERIFY(client.connect("127.0.0.1", brokerPort(view, leaderId)));
        // Records of an hour ago: kept by the default retention.ms (7 days).
        const std::int64_t hourAgo = QDateTime::currentMSecsSinceEpoch() - 3'600'000;
        auto produceTen = [&]() {
            std::vector<protocol::Record> records(10);
            for (std::size_t i = 0; i < records.size(); ++i) {
                records[i].timestamp = hourAgo + static_cast<std::int64_t>(i);
                records[i].value = Bytes{'v', static_cast<std::uint8_t>('0' + i)};
            }
            auto batch = protocol::buildBatch(records, {});
            auto r = client.decode<protocol::ProduceResponse>(
                client.call(0, 9, produceRequest("purged", 0, batch.value_or(Bytes{}), -1)), 9);
            const auto& part = r.responses.at(0).partitionResponses.at(0);
            return part.errorCode == 0 ? part.baseOffset : std::int64_t{-1};
        };
        QCOMPARE(produceTen(), 0);
        QCOMPARE(produceTen(), 10);
        struct Replica {
            std::int64_t logStart = -1;
            std::int64_t logEnd = -1;
            std::int64_t size = -1;
            std::vector<std::int64_t> segments;
        };
        auto replicas = [&]() {
            std::map<std::int32_t, Replica> out;
            engine->inspect([&](broker::Cluster& c) {
                for (std::int32_t b = 1; b <= 3; ++b) {
                    if (broker::Partition* p = c.partition(b, "purged", 0)) {
                        p->log().waitForWrites();
                        out[b] = Replica{p->logStartOffset(), p->logEndOffset(),
                                         p->log().sizeBytes(), p->log().segmentBaseOffsets()};
                    }
                }
            });
            return out;
        };
        auto everyLogStartIs = [&](std::int64_t offset) {
            const auto all = replicas();
            return all.size() == 3 && std::all_of(all.begin(), all.end(), [&](const auto& r) {
                       return r.second.logStart == offset && r.second.logEnd == 20;
                   });
        };
        QVERIFY(everyLogStartIs(0));
        // The leader's log start alone moves; the followers take it at the next check.
        bool moved = false;
        engine->inspect([&](broker::Cluster& c) {
            moved = c.partition(leaderId, "purged", 0)->log().deleteRecordsBefore(5).has_value();
        });
        QVERIFY(moved);
        QTRY_VERIFY_WITH_TIMEOUT(everyLogStartIs(5), 5000);

        bool altered = false;
        engine->inspect([&](broker::Cluster& c) {
            altered = c.alterTopicConfigs("purged", {{"retention.ms", "60000"}}, false).has_value();
        });
        QVERIFY(altered);
        QTRY_VERIFY_WITH_TIMEOUT(everyLogStartIs(20), 5000);
        for (const auto& [b, r] : replicas()) {
            QCOMPARE(r.segments, (std::vector<std::int64_t>{20}));
            QCOMPARE(r.size, 0);
        }

        const auto fetch = testing::fetchRequest("purged", 0, 0, 0, 1);
        auto fetched = client.decode<protocol::FetchResponse>(client.call(1, 11, fetch), 11);
        const auto& fpart = fetched.responses.at(0).partitionResponses.at(0);
        QCOMPARE(fpart.errorCode, 1); // OFFSET_OUT_OF_RANGE
        QVERIFY(!fpart.recordSet.isNull); // empty: librdkafka fails the whole response on null
        QCOMPARE(fpart.logStartOffset, 20);
        QCOMPARE(fpart.highWatermark, 20);

        protocol::ListOffsetsRequest lo;
        lo.replicaId = -1;
        auto& lt = lo.topics.emplace_back();
        lt.name = "purged";
        lt.partitions.emplace_back().timestamp = -2;
        auto listed = client.decode<protocol::ListOffsetsResponse>(client.call(2, 5, lo), 5);
        QCOMPARE(listed.topics.at(0).partitions.at(0).errorCode, 0);
        QCOMPARE(listed.topics.at(0).partitions.at(0).offset, 20);

        // Fresh records (within retention.ms) continue at the old log end.
        std::vector<protocol::Record> fresh(1);
        fresh[0].timestamp = QDateTime::currentMSecsSinceEpoch();
        fresh[0].value = Bytes{'n'};
        auto batch = protocol::buildBatch(fresh, {});
        QVERIFY(batch.has_value());
        auto produced = client.decode<protocol::ProduceResponse>(
            client.call(0, 9, produceRequest("purged", 0, *batch, -1)), 9);
        QCOMPARE(produced.responses.at(0).partitionResponses.at(0).errorCode, 0);
        QCOMPARE(produced.responses.at(0).partitionResponses.at(0).baseOffset, 20);
    }
};

QTEST_GUILESS_MAIN(TestBrokerEngine)
#include "test_broker_engine.moc"
