// The one way the app's tests (tests/unit/models, tests/gui, tests/cli) get a cluster: a
// faultline engine in the test's own process, brokers on loopback ports (ephemeral unless a base
// port is given), its data in a temporary dir removed with the fixture.
//
//   faultline::testsupport::TestEngine engine;
//   auto started = engine.start({.brokers = 3});
//   QVERIFY2(started, qPrintable(started.error()));
//   profile.bootstrapServers = engine.bootstrap();
//
// (The conformance tests run the engine as a separate process instead: tests/conformance/
// engine_process.h, for clients that are not linked into the test.)
#pragma once

#include "engine/broker/engine.h"
#include "models/connection_profile.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"
#include "models/kafka_client.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QTemporaryDir>
#include <QThread>
#include <cstdint>
#include <librdkafka/rdkafka.h>
#include <expected>
#include <memory>
#include <vector>
#include <utility>

namespace faultline::testsupport {

class TestEngine {
public:
    struct Options {
        int brokers = 3;
        int faultDomains = 3;
        int updateDomains = 3;
        std::uint16_t basePort = 0; // broker i listens on basePort + i; 0: ephemeral ports
    };

    TestEngine() = default;
    ~TestEngine() { stop(); }
    TestEngine(const TestEngine&) = delete;
    TestEngine& operator=(const TestEngine&) = delete;

    // Starts the brokers; when it returns successfully every broker accepts connections.
    [[nodiscard]] std::expected<void, QString> start(Options options) {
        if (m_engine) {
            return std::unexpected(QStringLiteral("the test engine is already running"));
        }
        if (!m_dir.isValid()) {
            return std::unexpected(
                QStringLiteral("no temporary data dir: %1").arg(m_dir.errorString()));
        }
        broker::EngineOptions engineOptions;
        engineOptions.brokers = options.brokers;
        engineOptions.faultDomains = options.faultDomains;
        engineOptions.updateDomains = options.updateDomains;
        engineOptions.basePort = options.basePort;
        engineOptions.dataDir = m_dir.path().toStdString();
        auto started = broker::Engine::start(std::move(engineOptions));
        if (!started) {
            return std::unexpected(
                QStringLiteral("the engine did not start (%1 brokers, base port %2): %3")
                    .arg(options.brokers)
                    .arg(options.basePort)
                    .arg(QString::fromStdString(started.error())));
        }
        m_engine = std::move(*started);
        m_bootstrap = QString::fromStdString(m_engine->bootstrapServers());
        return {};
    }
    [[nodiscard]] std::expected<void, QString> start() { return start(Options{}); }

    // Stops the brokers (flushes logs, joins threads); harmless when not running.
    void stop() {
        if (m_engine) {
            m_engine->stop();
        }
        m_engine.reset();
        m_bootstrap.clear();
    }

    [[nodiscard]] bool running() const { return m_engine != nullptr; }
    [[nodiscard]] QString bootstrap() const { return m_bootstrap; } // "127.0.0.1:P1,127.0.0.1:P2"
    [[nodiscard]] broker::Engine& engine() { return *m_engine; }    // only while running()
    [[nodiscard]] QString dataDir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<broker::Engine> m_engine;
    QString m_bootstrap;
};

// A PLAINTEXT profile named "test" for `bootstrap` (the tests that link the models use it).
inline models::ConnectionProfile plainProfile(const QString& bootstrap, int refreshIntervalMs = 5000) {
    models::ConnectionProfile profile;
    profile.name = QStringLiteral("test");
    profile.bootstrapServers = bootstrap;
    profile.refreshIntervalMs = refreshIntervalMs;
    return profile;
}

// The project's client doing a test's setup. Each returns an empty string on success, else what
// failed (for QVERIFY2).

// Creates `name` with `partitions` partitions at replication factor `rf`.
inline QString createTopic(models::KafkaClient& client, const QString& name, int partitions, int rf) {
    protocol::CreateTopicsRequest request;
    protocol::CreateTopicsRequest::CreatableTopic topic;
    topic.name = name.toStdString();
    topic.numPartitions = partitions;
    topic.replicationFactor = static_cast<std::int16_t>(rf);
    request.topics.push_back(topic);
    request.timeoutMs = 10000;
    if (auto created = client.createTopics(request); !created)
        return QStringLiteral("CreateTopics: %1").arg(created.error().message);
    return {};
}

// The leader of `topic`[partition] as Metadata gives it; -1 when unknown.
inline std::int32_t leaderOf(models::KafkaClient& client, const QString& topic, std::int32_t partition) {
    auto md = client.metadata(QStringList{topic});
    if (!md)
        return -1;
    for (const auto& t : md->topics)
        for (const auto& p : t.partitions)
            if (p.partitionIndex == partition)
                return p.leaderId;
    return -1;
}

// `records` as one batch into `topic`[partition] through its leader, acks=all.
inline QString produceRecords(models::KafkaClient& client, const QString& topic, std::int32_t partition,
                              const std::vector<protocol::Record>& records) {
    auto batch = protocol::buildBatch(records, {});
    if (!batch)
        return QStringLiteral("buildBatch: %1").arg(QString::fromStdString(batch.error().message));
    const std::int32_t leader = leaderOf(client, topic, partition);
    if (leader < 0)
        return QStringLiteral("no leader for %1[%2]").arg(topic).arg(partition);
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
    auto response = client.send<protocol::ProduceRequest, protocol::ProduceResponse>(leader, request);
    if (!response)
        return QStringLiteral("Produce: %1").arg(response.error().message);
    if (response->responses.size() != 1 || response->responses[0].partitionResponses.size() != 1)
        return QStringLiteral("Produce: unexpected answer shape");
    if (const auto code = response->responses[0].partitionResponses[0].errorCode; code != 0)
        return QStringLiteral("Produce: error %1").arg(code);
    return {};
}

// Creates `topic` (1 partition, RF 1) and commits `offset` on its partition 0 for `group` (which
// never joins, so it stays Empty), through the project's client. Empty on success, else what failed.
inline QString commitOnNewTopic(const QString& bootstrap, const QString& topic, const QString& group,
                                qint64 offset = 0) {
    models::KafkaClient client(plainProfile(bootstrap));
    if (QString failed = createTopic(client, topic, 1, 1); !failed.isEmpty())
        return failed;
    auto coordinator = client.findCoordinator(group);
    for (int attempt = 0; attempt < 50 && !coordinator; ++attempt) { // __consumer_offsets loading
        QThread::msleep(100);
        coordinator = client.findCoordinator(group);
    }
    if (!coordinator)
        return QStringLiteral("FindCoordinator: %1").arg(coordinator.error().message);
    if (auto done = client.offsetCommit(*coordinator, group, {{topic, 0, offset, QString()}}); !done)
        return QStringLiteral("OffsetCommit: %1").arg(done.error().message);
    return {};
}

// A librdkafka consumer in `group` subscribed to `topic`, returned once the group has assigned it
// `partitions` partitions (polling for up to 15 s); `extra` are more librdkafka properties. The
// caller closes and destroys it. On failure: nullptr, and *error says why.
inline rd_kafka_t* assignedConsumer(const QString& bootstrap, const QByteArray& group,
                                    const QByteArray& topic, int partitions, QString* error,
                                    const QMap<QByteArray, QByteArray>& extra = {}) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    QMap<QByteArray, QByteArray> properties = extra;
    properties.insert("bootstrap.servers", bootstrap.toUtf8());
    properties.insert("group.id", group);
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        if (rd_kafka_conf_set(conf, it.key().constData(), it.value().constData(), err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            *error = QString::fromUtf8(err);
            return nullptr;
        }
    }
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!consumer) {
        *error = QString::fromUtf8(err);
        return nullptr;
    }
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.constData(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t subscribed = rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    bool assigned = false;
    for (int i = 0; i < 150 && !assigned && subscribed == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100))
            rd_kafka_message_destroy(m);
        rd_kafka_topic_partition_list_t* current = nullptr;
        if (rd_kafka_assignment(consumer, &current) == RD_KAFKA_RESP_ERR_NO_ERROR && current) {
            assigned = current->cnt == partitions;
            rd_kafka_topic_partition_list_destroy(current);
        }
    }
    if (!assigned) {
        *error = subscribed != RD_KAFKA_RESP_ERR_NO_ERROR
                     ? QString::fromUtf8(rd_kafka_err2name(subscribed))
                     : QStringLiteral("no assignment of %1 partitions of %2 within 15 s")
                           .arg(partitions)
                           .arg(QString::fromUtf8(topic));
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        return nullptr;
    }
    return consumer;
}

} // namespace faultline::testsupport
