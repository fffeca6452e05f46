// The project's own synchronous Kafka admin client, built on engine/protocol. One instance lives on
// ONE worker thread (a ClusterSession's). One connection per broker, opened lazily: a non-blocking
// POSIX socket, TLS for SSL and SASL_SSL (OpenSSL: the profile's CA or the system's trust store,
// hostname check, optional client certificate; models/kafka_transport.h), then ApiVersions, then
// for SASL_PLAINTEXT and SASL_SSL a SaslHandshake v1 + SaslAuthenticate login (PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512; models/sasl_scram.h). Connecting, the TLS handshake and the
// login are bounded by the connect timeout, every request by the request timeout. Failures name
// what broke: SSL_HANDSHAKE_FAILED with OpenSSL's reason, SASL_AUTHENTICATION_FAILED with the
// broker's message, SECURITY_PROTOCOL_MISMATCH when a PLAINTEXT profile meets a TLS listener.
#pragma once

#include "engine/protocol/header.h"
#include "engine/protocol/messages/api_info.h"
#include "engine/protocol/messages/api_versions.h"
#include "engine/protocol/messages/create_partitions.h"
#include "engine/protocol/messages/create_topics.h"
#include "engine/protocol/messages/delete_topics.h"
#include "engine/protocol/messages/describe_cluster.h"
#include "engine/protocol/messages/describe_configs.h"
#include "engine/protocol/messages/describe_groups.h"
#include "engine/protocol/messages/describe_log_dirs.h"
#include "engine/protocol/messages/find_coordinator.h"
#include "engine/protocol/messages/incremental_alter_configs.h"
#include "engine/protocol/messages/list_groups.h"
#include "engine/protocol/messages/list_offsets.h"
#include "engine/protocol/messages/metadata.h"
#include "engine/protocol/messages/offset_commit.h"
#include "engine/protocol/messages/offset_fetch.h"
#include "engine/protocol/wire.h"
#include "models/client_error.h"
#include "models/connection_profile.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace faultline::models {

class TlsContext;

struct ClientBroker {
    std::int32_t id = -1;
    QString host;
    int port = 0;
    QString rack;
};

// DescribeCluster's answer (or the same facts from Metadata when DescribeCluster is unsupported).
struct ClusterDescription {
    QString clusterId;
    std::int32_t controllerId = -1;
    QVector<ClientBroker> brokers;
    bool fromMetadata = false; // true when the broker lacks DescribeCluster
};

struct TopicPartitionOffset {
    QString topic;
    std::int32_t partition = 0;
    qint64 offset = -1;
    QString metadata;
};

class KafkaClient {
public:
    struct Options {
        std::chrono::milliseconds requestTimeout{10000};
        std::chrono::milliseconds connectTimeout{5000};
        QString clientId = QStringLiteral("faultline");
    };

    explicit KafkaClient(ConnectionProfile profile);
    KafkaClient(ConnectionProfile profile, Options options);
    // password: for SASL_PLAINTEXT / SASL_SSL (the profile holds the user name, never secrets).
    KafkaClient(ConnectionProfile profile, QString password);
    KafkaClient(ConnectionProfile profile, QString password, Options options);
    ~KafkaClient();
    KafkaClient(const KafkaClient&) = delete;
    KafkaClient& operator=(const KafkaClient&) = delete;

    [[nodiscard]] const ConnectionProfile& profile() const { return m_profile; }
    [[nodiscard]] const Options& options() const { return m_options; }
    void setRequestTimeout(std::chrono::milliseconds timeout) { m_options.requestTimeout = timeout; }

    // Closes every connection; the next call reconnects (bootstrap first).
    void disconnectAll();

    // The one call that is safe from ANY thread: shuts every socket of this client down
    // (::shutdown), so a call blocked on the client's own thread returns at once, and makes this
    // and every later call fail with ABORTED. Irreversible: for tearing a session down without
    // waiting for its worker.
    void abort();
    [[nodiscard]] bool aborted() const { return m_aborted.load(); }

    // Brokers and controller as the last Metadata / DescribeCluster answer gave them.
    [[nodiscard]] const std::map<std::int32_t, ClientBroker>& knownBrokers() const { return m_brokers; }
    [[nodiscard]] std::int32_t controllerId() const { return m_controllerId; }

    // ---- typed calls
    // nullopt = all topics. Sent to any reachable broker; updates knownBrokers()/controllerId().
    [[nodiscard]] ClientResult<protocol::MetadataResponse>
    metadata(const std::optional<QStringList>& topics = std::nullopt, bool allowAutoCreate = false);
    [[nodiscard]] ClientResult<ClusterDescription> describeCluster();
    [[nodiscard]] ClientResult<protocol::DescribeLogDirsResponse> describeLogDirs(std::int32_t broker);
    // timestamp: -1 latest, -2 earliest, else a time in ms. All partitions must be led by `leader`.
    [[nodiscard]] ClientResult<protocol::ListOffsetsResponse>
    listOffsets(std::int32_t leader, const QVector<QPair<QString, std::int32_t>>& partitions,
                qint64 timestamp);
    [[nodiscard]] ClientResult<protocol::ListGroupsResponse> listGroups(std::int32_t broker);
    [[nodiscard]] ClientResult<protocol::DescribeGroupsResponse>
    describeGroups(std::int32_t coordinator, const QStringList& groupIds);
    // The coordinator's broker id (its address is recorded in knownBrokers()).
    [[nodiscard]] ClientResult<std::int32_t> findCoordinator(const QString& groupId);
    // All committed offsets of the group (topics null; needs OffsetFetch v2+).
    [[nodiscard]] ClientResult<protocol::OffsetFetchResponse> offsetFetch(std::int32_t coordinator,
                                                                          const QString& groupId);
    // Admin commit: generation -1, member "". Fails with the first partition error.
    [[nodiscard]] ClientResult<protocol::OffsetCommitResponse>
    offsetCommit(std::int32_t coordinator, const QString& groupId,
                 const QVector<TopicPartitionOffset>& offsets);
    // Sent to the controller. Each fails with the first per-topic / per-resource error.
    [[nodiscard]] ClientResult<protocol::CreateTopicsResponse>
    createTopics(const protocol::CreateTopicsRequest& request);
    [[nodiscard]] ClientResult<protocol::DeleteTopicsResponse> deleteTopics(const QStringList& topics,
                                                                            int timeoutMs = 30000);
    [[nodiscard]] ClientResult<protocol::CreatePartitionsResponse>
    createPartitions(const protocol::CreatePartitionsRequest& request);
    // broker < 0: the controller. Fails with the first per-resource error.
    [[nodiscard]] ClientResult<protocol::IncrementalAlterConfigsResponse>
    incrementalAlterConfigs(const protocol::IncrementalAlterConfigsRequest& request,
                            std::int32_t broker = -1);

    // ---- generic: any generated message pair, at the highest version both sides know
    // (capped by maxVersionCap). broker: an id from knownBrokers(), or kAnyBroker.
    static constexpr std::int32_t kAnyBroker = -1000;
    static constexpr std::int32_t kController = -1001;
    template <typename Request, typename Response = void>
    [[nodiscard]] auto send(std::int32_t broker, const Request& request,
                            std::int16_t maxVersionCap = INT16_MAX);

    // The version a call to `apiKey` on `broker` would use (connects if needed).
    [[nodiscard]] ClientResult<std::int16_t> negotiatedVersion(std::int32_t broker,
                                                               std::int16_t apiKey,
                                                               std::int16_t maxVersionCap = INT16_MAX);

    // Low level: one request/response exchange; returns the response body (after the header).
    [[nodiscard]] ClientResult<std::vector<std::uint8_t>>
    roundTrip(std::int32_t broker, std::int16_t apiKey, std::int16_t version,
              const std::vector<std::uint8_t>& body);

private:
    struct Connection;
    [[nodiscard]] ClientResult<Connection*> connection(std::int32_t broker);
    [[nodiscard]] ClientResult<Connection*> open(std::int32_t broker, const QString& host, int port);
    // One request/response on a connection (no lookup, no reconnect); the caller drops the
    // connection when it fails.
    [[nodiscard]] ClientResult<std::vector<std::uint8_t>>
    exchange(Connection& c, std::int16_t apiKey, std::int16_t version,
             const std::vector<std::uint8_t>& body, std::chrono::milliseconds timeout);
    [[nodiscard]] ClientResult<void> negotiateVersions(Connection& c,
                                                       std::chrono::milliseconds timeout);
    [[nodiscard]] ClientResult<void> authenticate(Connection& c, std::chrono::milliseconds timeout);
    // SECURITY_PROTOCOL_MISMATCH: a plaintext profile met a TLS listener.
    [[nodiscard]] ClientError tlsListener(const QString& label) const;
    [[nodiscard]] ClientResult<std::int32_t> resolveController();
    [[nodiscard]] QString brokerLabel(std::int32_t broker) const;
    void rememberMetadata(const protocol::MetadataResponse& response);
    [[nodiscard]] static ClientError abortedError();
    // Registers a connected socket so abort() can reach it; false once aborted.
    [[nodiscard]] bool trackSocket(int fd);
    void untrackSocket(int fd); // before the descriptor is closed

    std::atomic<bool> m_aborted{false};
    std::mutex m_socketsMutex; // abort() (any thread) against opening and closing sockets
    std::set<int> m_sockets;   // every open socket

    ConnectionProfile m_profile;
    QString m_password;
    Options m_options;
    std::shared_ptr<TlsContext> m_tls; // built on the first TLS connection
    std::map<std::int32_t, ClientBroker> m_brokers;
    std::int32_t m_controllerId = -1;
    std::map<std::int32_t, std::unique_ptr<Connection>> m_connections; // negative: bootstrap
    std::int32_t m_nextCorrelation = 1;
};

// Response type of a generated request type (FooRequest -> FooResponse).
template <typename Request> struct ResponseOf;
#define FAULTLINE_RESPONSE_OF(Name)                                                                \
    template <> struct ResponseOf<protocol::Name##Request> {                                      \
        using Type = protocol::Name##Response;                                                     \
    };
FAULTLINE_RESPONSE_OF(Metadata)
FAULTLINE_RESPONSE_OF(DescribeCluster)
FAULTLINE_RESPONSE_OF(DescribeLogDirs)
FAULTLINE_RESPONSE_OF(ListOffsets)
FAULTLINE_RESPONSE_OF(ListGroups)
FAULTLINE_RESPONSE_OF(DescribeGroups)
FAULTLINE_RESPONSE_OF(FindCoordinator)
FAULTLINE_RESPONSE_OF(OffsetFetch)
FAULTLINE_RESPONSE_OF(OffsetCommit)
FAULTLINE_RESPONSE_OF(CreateTopics)
FAULTLINE_RESPONSE_OF(DeleteTopics)
FAULTLINE_RESPONSE_OF(CreatePartitions)
FAULTLINE_RESPONSE_OF(DescribeConfigs)
FAULTLINE_RESPONSE_OF(IncrementalAlterConfigs)
FAULTLINE_RESPONSE_OF(ApiVersions)
#undef FAULTLINE_RESPONSE_OF

template <typename Request, typename Response> struct PickResponse {
    using Type = Response;
};
template <typename Request> struct PickResponse<Request, void> {
    using Type = typename ResponseOf<Request>::Type;
};

template <typename Request, typename Response>
auto KafkaClient::send(std::int32_t broker, const Request& request, std::int16_t maxVersionCap) {
    using R = typename PickResponse<Request, Response>::Type;
    using Result = ClientResult<R>;
    auto version = negotiatedVersion(broker, Request::apiKey, maxVersionCap);
    if (!version)
        return Result(std::unexpected(version.error()));
    auto body = roundTrip(broker, Request::apiKey, *version, request.encode(*version));
    if (!body)
        return Result(std::unexpected(body.error()));
    protocol::Reader reader(std::span<const std::uint8_t>(body->data(), body->size()));
    R response;
    response.read(reader, *version);
    if (!reader.ok()) {
        const auto* info = protocol::apiInfo(Request::apiKey);
        return Result(std::unexpected(ClientError{
            QStringLiteral("CORRUPT_RESPONSE"),
            QStringLiteral("%1 sent a %2 v%3 response that does not decode")
                .arg(brokerLabel(broker), QString::fromLatin1(info ? info->name : "?"))
                .arg(*version)}));
    }
    return Result(std::move(response));
}

// Kafka's error name for a code ("NONE" for 0).
[[nodiscard]] QString kafkaErrorName(std::int16_t code);

} // namespace faultline::models
