// Generated messages: round trips for every API and version, hand-checked byte vectors written from
// Kafka's JSON definitions, headers, and truncated / mangled input.
#include "engine/protocol/header.h"
#include "engine/protocol/messages/all.h"
#include "engine/protocol/messages/samples.h"

#include <QTest>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace faultline::protocol;
using Bytes = std::vector<std::uint8_t>;

namespace {
Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
template <typename M> M decode(const Bytes& b, std::int16_t version, bool* ok = nullptr) {
    Reader r(b);
    M m;
    m.read(r, version);
    if (ok) *ok = r.ok() && r.remaining() == 0;
    return m;
}
template <typename M> void checkRoundTrip(const M& m, std::int16_t version, const char* what) {
    const Bytes b = m.encode(version);
    bool ok = false;
    const M back = decode<M>(b, version, &ok);
    QVERIFY2(ok, what);
    QVERIFY2(back == m, what);
    QVERIFY2(back.encode(version) == b, what);
}
} // namespace

class TestMessages : public QObject {
    Q_OBJECT
private slots:
    void apiTable() {
        QVERIFY(apiInfo(18) != nullptr);
        QCOMPARE(std::string(apiInfo(18)->name), std::string("ApiVersions"));
        QCOMPARE(apiInfo(0)->firstFlexibleVersion, std::int16_t{9});
        QCOMPARE(apiInfo(3)->minVersion, std::int16_t{0});
        QVERIFY(apiInfo(3)->maxVersion >= 12);
        QCOMPARE(apiInfo(999), nullptr);
        std::int16_t last = -1;
        for (const auto& api : allApis()) {
            QVERIFY(api.key > last);
            QVERIFY(api.minVersion <= api.maxVersion);
            last = api.key;
        }
        QCOMPARE(ProduceRequest::apiKey, std::int16_t{0});
        QCOMPARE(FetchRequest::firstFlexibleVersion, std::int16_t{12});
    }

    void roundTripEveryMessageAndVersion() {
        int checked = 0;
        forEachMessage([&]<typename M>() {
            for (std::int16_t v = M::minVersion; v <= M::maxVersion; ++v) {
                const std::string what = std::to_string(M::apiKey) + " v" + std::to_string(v);
                checkRoundTrip(M{}, v, what.c_str());
                for (int seedStart : {0, 2, 4}) {
                    M m;
                    int seed = seedStart;
                    samples::fill(m, v, seed);
                    checkRoundTrip(m, v, what.c_str());
                    if (QTest::currentTestFailed()) return;
                }
                ++checked;
            }
        });
        QVERIFY(checked > 100);
    }

    void truncatedRequestsFail() {
        forEachMessage([&]<typename M>() {
            for (std::int16_t v = M::minVersion; v <= M::maxVersion; ++v) {
                M m;
                int seed = 1;
                samples::fill(m, v, seed);
                const Bytes full = m.encode(v);
                for (std::size_t len = 0; len < full.size(); ++len) {
                    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
                    Reader r(cut);
                    M back;
                    back.read(r, v);
                    if (r.ok()) {
                        const std::string what = std::to_string(M::apiKey) + " v" +
                                                 std::to_string(v) + " len " + std::to_string(len);
                        QFAIL(what.c_str());
                    }
                }
            }
        });
    }

    void mangledRequestsNeverCrash() {
        std::mt19937 rng(42);
        int decodedOk = 0;
        int failed = 0;
        forEachMessage([&]<typename M>() {
            for (std::int16_t v = M::minVersion; v <= M::maxVersion; ++v) {
                M m;
                int seed = 3;
                samples::fill(m, v, seed);
                const Bytes full = m.encode(v);
                for (int round = 0; round < 30 && !full.empty(); ++round) {
                    Bytes bad = full;
                    const int flips = 1 + static_cast<int>(rng() % 3);
                    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] = static_cast<std::uint8_t>(rng());
                    Reader r(bad);
                    M back;
                    back.read(r, v);
                    if (!r.ok()) {
                        ++failed;
                        continue;
                    }
                    // Whatever decoded must re-encode into something that decodes to the same value.
                    ++decodedOk;
                    bool ok = false;
                    const M again = decode<M>(back.encode(v), v, &ok);
                    QVERIFY(ok);
                    QVERIFY(again == back);
                }
            }
        });
        QVERIFY(failed > 0);
        QVERIFY(decodedOk + failed > 0);
    }

    // ---- hand-checked byte vectors (from the JSON definitions) ----------------------------

    void apiVersionsRequest() {
        ApiVersionsRequest req;
        QCOMPARE(req.encode(0), Bytes{}); // v0-v2 have no fields
        req.clientSoftwareName = "a";
        req.clientSoftwareVersion = "1";
        // v3 flexible: compact string "a" (len+1 = 2), compact string "1", no tagged fields.
        const Bytes v3{0x02, 'a', 0x02, '1', 0x00};
        QCOMPARE(req.encode(3), v3);
        bool ok = false;
        QCOMPARE(decode<ApiVersionsRequest>(v3, 3, &ok), req);
        QVERIFY(ok);
    }

    void apiVersionsResponse() {
        ApiVersionsResponse resp;
        resp.apiKeys.push_back({18, 0, 3});
        const Bytes v0{0x00, 0x00,             // ErrorCode 0
                       0x00, 0x00, 0x00, 0x01, // ApiKeys: int32 count 1
                       0x00, 0x12,             // ApiKey 18
                       0x00, 0x00,             // MinVersion 0
                       0x00, 0x03};            // MaxVersion 3 (no ThrottleTimeMs in v0)
        QCOMPARE(resp.encode(0), v0);
        const Bytes v3{0x00, 0x00,             // ErrorCode
                       0x02,                   // ApiKeys: compact count 1+1
                       0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
                       0x00,                   // ApiVersion tagged fields: none
                       0x00, 0x00, 0x00, 0x00, // ThrottleTimeMs
                       0x00};                  // tagged fields: none (all at defaults)
        QCOMPARE(resp.encode(3), v3);
        resp.finalizedFeaturesEpoch = 5;
        const Bytes v3Tagged{0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,
                             0x00, 0x00, 0x00, 0x00,
                             0x01,        // one tagged field
                             0x01, 0x08,  // tag 1 (FinalizedFeaturesEpoch), 8 bytes
                             0, 0, 0, 0, 0, 0, 0, 5};
        QCOMPARE(resp.encode(3), v3Tagged);
        bool ok = false;
        QCOMPARE(decode<ApiVersionsResponse>(v3Tagged, 3, &ok), resp);
        QVERIFY(ok);
    }

    void metadataRequest() {
        MetadataRequest req;
        req.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{}};
        req.topics->at(0).name = "t";
        const Bytes v1{0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't'};
        QCOMPARE(req.encode(1), v1);
        const Bytes v9{0x02,       // Topics: compact count 1
                       0x02, 't',  // Name (compact)
                       0x00,       // topic tagged fields
                       0x01,       // AllowAutoTopicCreation (default true, v4+)
                       0x00,       // IncludeClusterAuthorizedOperations (v8-10)
                       0x00,       // IncludeTopicAuthorizedOperations (v8+)
                       0x00};      // tagged fields
        QCOMPARE(req.encode(9), v9);
        req.topics.reset(); // null = all topics (v1+)
        QCOMPARE(req.encode(1), (Bytes{0xff, 0xff, 0xff, 0xff}));
        bool ok = false;
        QCOMPARE(decode<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xff}, 1, &ok).topics, std::nullopt);
        QVERIFY(ok);
    }

    void metadataResponse() {
        MetadataResponse resp;
        resp.brokers.push_back({1, "h", 9092, std::nullopt});
        resp.controllerId = 1;
        MetadataResponse::MetadataResponseTopic topic;
        topic.name = "t";
        MetadataResponse::MetadataResponsePartition p;
        p.leaderId = 1;
        p.leaderEpoch = 5;
        p.replicaNodes = {1};
        p.isrNodes = {1};
        topic.partitions.push_back(p);
        resp.topics.push_back(topic);
        const Bytes v1 = cat({{0, 0, 0, 1},                 // Brokers count
                              {0, 0, 0, 1},                 // NodeId
                              {0, 1, 'h'},                  // Host
                              {0, 0, 0x23, 0x84},           // Port 9092
                              {0xff, 0xff},                 // Rack null (v1+)
                              {0, 0, 0, 1},                 // ControllerId (v1+)
                              {0, 0, 0, 1},                 // Topics count
                              {0, 0},                       // ErrorCode
                              {0, 1, 't'},                  // Name
                              {0},                          // IsInternal (v1+)
                              {0, 0, 0, 1},                 // Partitions count
                              {0, 0},                       // ErrorCode
                              {0, 0, 0, 0},                 // PartitionIndex
                              {0, 0, 0, 1},                 // LeaderId
                              {0, 0, 0, 1, 0, 0, 0, 1},     // ReplicaNodes [1]
                              {0, 0, 0, 1, 0, 0, 0, 1}});   // IsrNodes [1]
        QCOMPARE(resp.encode(1), v1);
        const Bytes v9 = cat({{0, 0, 0, 0},                 // ThrottleTimeMs (v3+)
                              {0x02},                       // Brokers compact count
                              {0, 0, 0, 1}, {0x02, 'h'}, {0, 0, 0x23, 0x84},
                              {0x00},                       // Rack null (compact)
                              {0x00},                       // broker tagged fields
                              {0x00},                       // ClusterId null (v2+)
                              {0, 0, 0, 1},                 // ControllerId
                              {0x02},                       // Topics
                              {0, 0}, {0x02, 't'}, {0},     // ErrorCode, Name, IsInternal
                              {0x02},                       // Partitions
                              {0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1},
                              {0, 0, 0, 5},                 // LeaderEpoch (v7+)
                              {0x02, 0, 0, 0, 1},           // ReplicaNodes
                              {0x02, 0, 0, 0, 1},           // IsrNodes
                              {0x01},                       // OfflineReplicas [] (v5+)
                              {0x00},                       // partition tagged fields
                              {0x80, 0, 0, 0},              // TopicAuthorizedOperations INT32_MIN
                              {0x00},                       // topic tagged fields
                              {0x80, 0, 0, 0},              // ClusterAuthorizedOperations (v8-10)
                              {0x00}});                     // tagged fields
        QCOMPARE(resp.encode(9), v9);
        bool ok = false;
        QCOMPARE(decode<MetadataResponse>(v9, 9, &ok), resp);
        QVERIFY(ok);
    }

    void produceRequest() {
        ProduceRequest req;
        req.acks = -1;
        req.timeoutMs = 1000;
        ProduceRequest::TopicProduceData topic;
        topic.name = "t";
        ProduceRequest::PartitionProduceData part;
        part.records = Records::copyOf(Bytes{1, 2, 3});
        topic.partitionData.push_back(part);
        req.topicData.push_back(topic);
        const Bytes v3 = cat({{0xff, 0xff},        // TransactionalId null
                              {0xff, 0xff},        // Acks -1
                              {0, 0, 0x03, 0xe8},  // TimeoutMs 1000
                              {0, 0, 0, 1},        // TopicData count
                              {0, 1, 't'},         // Name
                              {0, 0, 0, 1},        // PartitionData count
                              {0, 0, 0, 0},        // Index
                              {0, 0, 0, 3, 1, 2, 3}}); // Records (int32 length)
        QCOMPARE(req.encode(3), v3);
        const Bytes v9 = cat({{0x00},              // TransactionalId null (compact)
                              {0xff, 0xff}, {0, 0, 0x03, 0xe8},
                              {0x02}, {0x02, 't'},
                              {0x02}, {0, 0, 0, 0},
                              {0x04, 1, 2, 3},     // Records: compact length 3+1
                              {0x00}, {0x00}, {0x00}}); // partition, topic, top-level tags
        QCOMPARE(req.encode(9), v9);
        bool ok = false;
        QCOMPARE(decode<ProduceRequest>(v9, 9, &ok), req);
        QVERIFY(ok);
    }

    void fetchRequest() {
        FetchRequest req;
        req.replicaId = -1;
        req.maxWaitMs = 500;
        req.minBytes = 1;
        FetchRequest::FetchTopic topic;
        topic.topic = "t";
        FetchRequest::FetchPartition p;
        p.fetchOffset = 5;
        p.partitionMaxBytes = 1048576;
        topic.partitions.push_back(p);
        req.topics.push_back(topic);
        const Bytes v4 = cat({{0xff, 0xff, 0xff, 0xff},  // ReplicaId -1
                              {0, 0, 0x01, 0xf4},        // MaxWaitMs 500
                              {0, 0, 0, 1},              // MinBytes
                              {0x7f, 0xff, 0xff, 0xff},  // MaxBytes default (v3+)
                              {0},                       // IsolationLevel (v4+)
                              {0, 0, 0, 1}, {0, 1, 't'}, {0, 0, 0, 1},
                              {0, 0, 0, 0},              // Partition
                              {0, 0, 0, 0, 0, 0, 0, 5},  // FetchOffset
                              {0, 0x10, 0, 0}});         // PartitionMaxBytes
        QCOMPARE(req.encode(4), v4);
        req.clusterId = "c";
        const Bytes v12 = cat({{0xff, 0xff, 0xff, 0xff}, {0, 0, 0x01, 0xf4}, {0, 0, 0, 1},
                               {0x7f, 0xff, 0xff, 0xff}, {0},
                               {0, 0, 0, 0},              // SessionId (v7+)
                               {0xff, 0xff, 0xff, 0xff},  // SessionEpoch -1
                               {0x02}, {0x02, 't'}, {0x02},
                               {0, 0, 0, 0},
                               {0xff, 0xff, 0xff, 0xff},  // CurrentLeaderEpoch (v9+)
                               {0, 0, 0, 0, 0, 0, 0, 5},
                               {0xff, 0xff, 0xff, 0xff},  // LastFetchedEpoch (v12+)
                               {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // LogStartOffset
                               {0, 0x10, 0, 0},
                               {0x00}, {0x00},            // partition, topic tags
                               {0x01},                    // ForgottenTopicsData [] (v7+)
                               {0x01},                    // RackId "" (v11+)
                               {0x01, 0x00, 0x02, 0x02, 'c'}}); // tag 0 ClusterId "c"
        QCOMPARE(req.encode(12), v12);
        bool ok = false;
        QCOMPARE(decode<FetchRequest>(v12, 12, &ok), req);
        QVERIFY(ok);
    }

    void joinGroupRequestV5() {
        JoinGroupRequest req;
        req.groupId = "g";
        req.sessionTimeoutMs = 10000;
        req.rebalanceTimeoutMs = 30000;
        req.protocolType = "consumer";
        req.protocols.push_back({"range", Bytes{0xaa}});
        const Bytes v5 = cat({{0, 1, 'g'}, {0, 0, 0x27, 0x10}, {0, 0, 0x75, 0x30},
                              {0, 0},                    // MemberId ""
                              {0xff, 0xff},              // GroupInstanceId null (v5+)
                              {0, 8}, str("consumer"),
                              {0, 0, 0, 1}, {0, 5}, str("range"),
                              {0, 0, 0, 1, 0xaa}});      // Metadata bytes
        QCOMPARE(req.encode(5), v5);
        bool ok = false;
        QCOMPARE(decode<JoinGroupRequest>(v5, 5, &ok), req);
        QVERIFY(ok);
    }

    void offsetCommitRequestV2() {
        OffsetCommitRequest req;
        req.groupId = "g";
        req.generationIdOrMemberEpoch = 1;
        req.memberId = "m";
        OffsetCommitRequest::OffsetCommitRequestTopic topic;
        topic.name = "t";
        OffsetCommitRequest::OffsetCommitRequestPartition p;
        p.committedOffset = 42;
        p.committedMetadata = "";
        topic.partitions.push_back(p);
        req.topics.push_back(topic);
        const Bytes v2 = cat({{0, 1, 'g'}, {0, 0, 0, 1}, {0, 1, 'm'},
                              {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // RetentionTimeMs (v2-4)
                              {0, 0, 0, 1}, {0, 1, 't'}, {0, 0, 0, 1},
                              {0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 42},
                              {0, 0}});                  // CommittedMetadata ""
        QCOMPARE(req.encode(2), v2);
        bool ok = false;
        QCOMPARE(decode<OffsetCommitRequest>(v2, 2, &ok), req);
        QVERIFY(ok);
    }

    void listOffsetsRequest() {
        ListOffsetsRequest req;
        req.replicaId = -1;
        ListOffsetsRequest::ListOffsetsTopic topic;
        topic.name = "t";
        ListOffsetsRequest::ListOffsetsPartition p;
        p.timestamp = -1;
        topic.partitions.push_back(p);
        req.topics.push_back(topic);
        const Bytes common = cat({{0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 1}, {0, 1, 't'},
                                  {0, 0, 0, 1}, {0, 0, 0, 0},
                                  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
        QCOMPARE(req.encode(0), cat({common, {0, 0, 0, 1}})); // MaxNumOffsets (v0 only, default 1)
        QCOMPARE(req.encode(1), common);
        bool ok = false;
        QCOMPARE(decode<ListOffsetsRequest>(cat({common, {0, 0, 0, 1}}), 0, &ok), req);
        QVERIFY(ok);
    }

    void listOffsetsResponseV0() {
        ListOffsetsResponse resp;
        ListOffsetsResponse::ListOffsetsTopicResponse topic;
        topic.name = "t";
        ListOffsetsResponse::ListOffsetsPartitionResponse p;
        p.oldStyleOffsets = {7};
        topic.partitions.push_back(p);
        resp.topics.push_back(topic);
        const Bytes v0 = cat({{0, 0, 0, 1}, {0, 1, 't'}, {0, 0, 0, 1}, {0, 0, 0, 0}, {0, 0},
                              {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7}}); // OldStyleOffsets [7]
        QCOMPARE(resp.encode(0), v0);
    }

    void createTopicsRequestV5() {
        CreateTopicsRequest req;
        CreateTopicsRequest::CreatableTopic topic;
        topic.name = "t";
        topic.numPartitions = 3;
        topic.replicationFactor = 1;
        topic.configs.push_back({"retention.ms", std::string("1000")});
        req.topics.push_back(topic);
        const Bytes v5 = cat({{0x02}, {0x02, 't'}, {0, 0, 0, 3}, {0, 1},
                              {0x01},                         // Assignments []
                              {0x02}, {0x0d}, str("retention.ms"), {0x05}, str("1000"),
                              {0x00},                         // config tagged fields
                              {0x00},                         // topic tagged fields
                              {0, 0, 0xea, 0x60},             // timeoutMs default 60000
                              {0},                            // validateOnly
                              {0x00}});                       // tagged fields
        QCOMPARE(req.encode(5), v5);
        // An unknown tagged field (tag 7, 2 bytes) at the top level is skipped on read.
        Bytes withTag(v5.begin(), v5.end() - 1);
        withTag.insert(withTag.end(), {0x01, 0x07, 0x02, 0xbe, 0xef});
        bool ok = false;
        QCOMPARE(decode<CreateTopicsRequest>(withTag, 5, &ok), req);
        QVERIFY(ok);
        // A tagged field claiming more bytes than remain fails.
        Bytes badTag(v5.begin(), v5.end() - 1);
        badTag.insert(badTag.end(), {0x01, 0x07, 0x09, 0xbe});
        decode<CreateTopicsRequest>(badTag, 5, &ok);
        QVERIFY(!ok);
    }

    void requestHeaders() {
        RequestHeader h{3, 1, 7, std::string("c")};
        Bytes v1;
        Writer w1(v1);
        writeRequestHeader(w1, h, 1);
        QCOMPARE(v1, (Bytes{0, 3, 0, 1, 0, 0, 0, 7, 0, 1, 'c'})); // client id: int16 length
        Reader r1(v1);
        auto back = readRequestHeader(r1);
        QVERIFY(back.has_value());
        QCOMPARE(*back, h);
        QCOMPARE(r1.remaining(), std::size_t{0});

        h.apiVersion = 9; // Metadata v9 is flexible -> header v2
        QCOMPARE(requestHeaderVersion(3, 9), std::int16_t{2});
        Bytes v2;
        Writer w2(v2);
        writeRequestHeader(w2, h, 2);
        QCOMPARE(v2, (Bytes{0, 3, 0, 9, 0, 0, 0, 7, 0, 1, 'c', 0x00})); // non-compact id + tags
        Reader r2(v2);
        back = readRequestHeader(r2);
        QVERIFY(back.has_value());
        QCOMPARE(*back, h);
        QCOMPARE(r2.remaining(), std::size_t{0});

        const Bytes nullId{0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff};
        Reader r3(nullId);
        back = readRequestHeader(r3);
        QVERIFY(back.has_value());
        QCOMPARE(back->clientId, std::nullopt);

        QCOMPARE(requestHeaderVersion(7, 0), std::int16_t{0}); // ControlledShutdown v0
        QCOMPARE(requestHeaderVersion(18, 3), std::int16_t{2});
        QCOMPARE(requestHeaderVersion(18, 2), std::int16_t{1});

        const Bytes truncated{0, 3, 0, 1, 0, 0};
        Reader r4(truncated);
        QVERIFY(!readRequestHeader(r4).has_value());
        const Bytes badId{0, 3, 0, 1, 0, 0, 0, 7, 0, 9, 'c'};
        Reader r5(badId);
        auto bad = readRequestHeader(r5);
        QVERIFY(!bad.has_value());
        QCOMPARE(bad.error().code, ErrorCode::InvalidRequest);
    }

    void responseHeaders() {
        Bytes v0;
        Writer w0(v0);
        writeResponseHeader(w0, 7, 0);
        QCOMPARE(v0, (Bytes{0, 0, 0, 7}));
        Bytes v1;
        Writer w1(v1);
        writeResponseHeader(w1, 7, 1);
        QCOMPARE(v1, (Bytes{0, 0, 0, 7, 0x00}));
        Reader r(v1);
        QCOMPARE(readResponseHeader(r, 1).value(), 7);
        Reader rt(Bytes{0, 0});
        QVERIFY(!readResponseHeader(rt, 0).has_value());
        QCOMPARE(responseHeaderVersion(18, 3), std::int16_t{0}); // ApiVersions: always v0
        QCOMPARE(responseHeaderVersion(3, 9), std::int16_t{1});
        QCOMPARE(responseHeaderVersion(3, 8), std::int16_t{0});
    }

    void errorNames() {
        QCOMPARE(errorName(ErrorCode::NotLeaderOrFollower), std::string("NOT_LEADER_OR_FOLLOWER"));
        QCOMPARE(errorName(ErrorCode::None), std::string("NONE"));
        QCOMPARE(errorName(ErrorCode::UnknownServerError), std::string("UNKNOWN_SERVER_ERROR"));
        QCOMPARE(errorName(static_cast<ErrorCode>(999)), std::string("UNKNOWN_ERROR_999"));
    }
};

QTEST_GUILESS_MAIN(TestMessages)
#include "test_messages.moc"
