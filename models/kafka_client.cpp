#include "models/kafka_client.h"

#include "engine/protocol/error_code.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace faultline::models {

namespace {

using Clock = std::chrono::steady_clock;

// Caps: the highest version of each API whose shape this client uses knowingly.
std::int16_t clientCap(std::int16_t apiKey) {
    switch (apiKey) {
    case 3: return 12;  // Metadata
    case 2: return 7;   // ListOffsets
    case 9: return 7;   // OffsetFetch (v8+ batches groups)
    case 10: return 3;  // FindCoordinator (v4 batches keys)
    case 20: return 5;  // DeleteTopics (v6 uses topic ids)
    case 8: return 8;   // OffsetCommit
    default: return INT16_MAX;
    }
}

constexpr std::int32_t kMaxFrame = 256 * 1024 * 1024;

ClientError unsupportedSecurity(const ConnectionProfile& profile) {
    static const char* names[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
    return ClientError{QStringLiteral("UNSUPPORTED_SECURITY_PROTOCOL"),
                       QStringLiteral("the built-in client speaks PLAINTEXT only, not %1")
                           .arg(QString::fromLatin1(names[static_cast<int>(profile.security)]))};
}

} // namespace

QString kafkaErrorName(std::int16_t code) {
    return QString::fromStdString(protocol::errorName(static_cast<protocol::ErrorCode>(code)));
}

struct KafkaClient::Connection {
    KafkaClient* owner = nullptr;
    int fd = -1;
    QString label; // "host:port"
    std::map<std::int16_t, std::pair<std::int16_t, std::int16_t>> versions;
    ~Connection() {
        if (fd >= 0)
            owner->closeSocket(fd);
    }
};

namespace {

// Waits for `events` on fd until the deadline. false on timeout or error.
bool waitFor(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc > 0)
            return true;
        if (rc < 0 && errno != EINTR)
            return false;
    }
}

enum class IoResult { Ok, Timeout, Closed, Error };

IoResult sendAll(int fd, const std::uint8_t* data, std::size_t size, Clock::time_point deadline) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!waitFor(fd, POLLOUT, deadline))
                return IoResult::Timeout;
            continue;
        }
        return IoResult::Error;
    }
    return IoResult::Ok;
}

IoResult recvAll(int fd, std::uint8_t* data, std::size_t size, Clock::time_point deadline) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::recv(fd, data + done, size - done, 0);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0)
            return IoResult::Closed;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (!waitFor(fd, POLLIN, deadline))
                return IoResult::Timeout;
            continue;
        }
        return IoResult::Error;
    }
    return IoResult::Ok;
}

} // namespace

KafkaClient::KafkaClient(ConnectionProfile profile) : KafkaClient(std::move(profile), Options{}) {}

KafkaClient::KafkaClient(ConnectionProfile profile, Options options)
    : m_profile(std::move(profile)), m_options(std::move(options)) {}

KafkaClient::~KafkaClient() = default;

void KafkaClient::disconnectAll() { m_connections.clear(); }

void KafkaClient::abort() {
    const std::lock_guard lock(m_socketsMutex);
    m_aborted.store(true);
    for (const int fd : m_sockets)
        ::shutdown(fd, SHUT_RDWR); // wakes a poll()/recv() blocked on the client's thread
}

ClientError KafkaClient::abortedError() {
    return ClientError{QStringLiteral("ABORTED"),
                       QStringLiteral("the request was abandoned: the connection is closing")};
}

bool KafkaClient::trackSocket(int fd) {
    const std::lock_guard lock(m_socketsMutex);
    if (m_aborted.load()) {
        ::close(fd);
        return false;
    }
    m_sockets.insert(fd);
    return true;
}

void KafkaClient::closeSocket(int fd) {
    // Under the lock: abort() never shuts down a descriptor number that was closed and reused.
    const std::lock_guard lock(m_socketsMutex);
    m_sockets.erase(fd);
    ::close(fd);
}

QString KafkaClient::brokerLabel(std::int32_t broker) const {
    if (broker >= 0)
        return QStringLiteral("broker %1").arg(broker);
    if (broker == kController)
        return QStringLiteral("the controller");
    return QStringLiteral("the cluster");
}

ClientResult<KafkaClient::Connection*> KafkaClient::open(std::int32_t broker, const QString& host,
                                                         int port) {
    if (m_aborted.load())
        return std::unexpected(abortedError());
    const QString label = QStringLiteral("%1:%2").arg(host).arg(port);
    const auto deadline = Clock::now() + m_options.connectTimeout;

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const QByteArray hostBytes = host.toUtf8();
    const QByteArray portBytes = QByteArray::number(port);
    const int gai = ::getaddrinfo(hostBytes.constData(), portBytes.constData(), &hints, &found);
    if (gai != 0 || !found)
        return std::unexpected(ClientError{QStringLiteral("CONNECTION_FAILED"),
                                           QStringLiteral("cannot resolve %1: %2")
                                               .arg(host, QString::fromUtf8(gai_strerror(gai)))});
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);

    QString lastError = QStringLiteral("no address");
    bool timedOut = false;
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
        if (fd < 0)
            continue;
        if (!trackSocket(fd))
            return std::unexpected(abortedError());
        auto connection = std::make_unique<Connection>();
        connection->owner = this;
        connection->fd = fd;
        connection->label = label;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) {
            lastError = QString::fromLocal8Bit(std::strerror(errno));
            continue;
        }
        if (rc < 0) {
            if (!waitFor(fd, POLLOUT, deadline)) {
                timedOut = true;
                lastError = QStringLiteral("no answer within %1 ms")
                                .arg(m_options.connectTimeout.count());
                continue;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                lastError = QString::fromLocal8Bit(std::strerror(err));
                continue;
            }
        }
        // ApiVersions handshake: v3 first, v0 when the broker says UNSUPPORTED_VERSION.
        auto* raw = connection.get();
        m_connections[broker] = std::move(connection);
        // The handshake gets the connect timeout: a non-Kafka server must fail fast.
        const auto savedTimeout = m_options.requestTimeout;
        m_options.requestTimeout = std::min(m_options.requestTimeout, m_options.connectTimeout);
        struct Restore {
            std::chrono::milliseconds& target;
            std::chrono::milliseconds value;
            ~Restore() { target = value; }
        } restore{m_options.requestTimeout, savedTimeout};
        for (std::int16_t version : {std::int16_t(3), std::int16_t(0)}) {
            protocol::ApiVersionsRequest request;
            request.clientSoftwareName = "faultline";
            request.clientSoftwareVersion = "0.1.0";
            auto body = roundTrip(broker, protocol::ApiVersionsRequest::apiKey, version,
                                  request.encode(version));
            if (!body) {
                m_connections.erase(broker);
                if (body.error().errorName == QLatin1String("TIMEOUT"))
                    return std::unexpected(ClientError{
                        QStringLiteral("NOT_KAFKA"),
                        QStringLiteral("%1 did not answer like a Kafka broker (no ApiVersions "
                                       "answer within %2 ms)")
                            .arg(label)
                            .arg(m_options.requestTimeout.count())});
                return std::unexpected(body.error());
            }
            protocol::Reader reader(std::span<const std::uint8_t>(body->data(), body->size()));
            protocol::ApiVersionsResponse response;
            // An UNSUPPORTED_VERSION answer always has the v0 body.
            response.read(reader, version);
            if (!reader.ok() && version != 0) {
                protocol::Reader again(std::span<const std::uint8_t>(body->data(), body->size()));
                response = {};
                response.read(again, 0);
                if (!again.ok() || response.errorCode != toInt(protocol::ErrorCode::UnsupportedVersion)) {
                    m_connections.erase(broker);
                    return std::unexpected(ClientError{
                        QStringLiteral("NOT_KAFKA"),
                        QStringLiteral("%1 did not answer like a Kafka broker").arg(label)});
                }
            } else if (!reader.ok()) {
                m_connections.erase(broker);
                return std::unexpected(ClientError{
                    QStringLiteral("NOT_KAFKA"),
                    QStringLiteral("%1 did not answer like a Kafka broker").arg(label)});
            }
            if (response.errorCode == toInt(protocol::ErrorCode::UnsupportedVersion) && version != 0)
                continue;
            if (response.errorCode != 0) {
                m_connections.erase(broker);
                return std::unexpected(ClientError{kafkaErrorName(response.errorCode),
                                                   QStringLiteral("%1 refused ApiVersions").arg(label)});
            }
            for (const auto& api : response.apiKeys)
                raw->versions[api.apiKey] = {api.minVersion, api.maxVersion};
            if (raw->versions.empty()) {
                m_connections.erase(broker);
                return std::unexpected(ClientError{
                    QStringLiteral("NOT_KAFKA"),
                    QStringLiteral("%1 did not answer like a Kafka broker (no APIs)").arg(label)});
            }
            return raw;
        }
        m_connections.erase(broker);
        return std::unexpected(ClientError{QStringLiteral("UNSUPPORTED_VERSION"),
                                           QStringLiteral("%1 accepts no ApiVersions version").arg(label)});
    }
    if (m_aborted.load())
        return std::unexpected(abortedError());
    return std::unexpected(ClientError{timedOut ? QStringLiteral("TIMEOUT")
                                                : QStringLiteral("CONNECTION_FAILED"),
                                       QStringLiteral("cannot connect to %1: %2").arg(label, lastError)});
}

ClientResult<KafkaClient::Connection*> KafkaClient::connection(std::int32_t broker) {
    if (m_profile.security != SecurityProtocol::Plaintext)
        return std::unexpected(unsupportedSecurity(m_profile));
    if (broker == kController) {
        auto controller = resolveController();
        if (!controller)
            return std::unexpected(controller.error());
        broker = *controller;
    }
    if (broker == kAnyBroker) {
        // An open connection to anyone will do; else a known broker; else the bootstrap list.
        if (!m_connections.empty())
            return m_connections.begin()->second.get();
        ClientError last{QStringLiteral("CONNECTION_FAILED"), QStringLiteral("no bootstrap servers")};
        for (const auto& [id, info] : m_brokers) {
            auto c = open(id, info.host, info.port);
            if (c)
                return c;
            last = c.error();
        }
        const QStringList servers =
            m_profile.bootstrapServers.split(QLatin1Char(','), Qt::SkipEmptyParts);
        std::int32_t slot = -1;
        for (QString server : servers) {
            server = server.trimmed();
            const int colon = server.lastIndexOf(QLatin1Char(':'));
            QString host = colon > 0 ? server.left(colon) : server;
            const int port = colon > 0 ? server.mid(colon + 1).toInt() : 9092;
            if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
                host = host.mid(1, host.size() - 2);
            auto c = open(slot--, host, port);
            if (c)
                return c;
            last = c.error();
        }
        return std::unexpected(last);
    }
    if (auto it = m_connections.find(broker); it != m_connections.end())
        return it->second.get();
    auto known = m_brokers.find(broker);
    if (known == m_brokers.end()) {
        auto refreshed = metadata(QStringList{});
        if (!refreshed)
            return std::unexpected(refreshed.error());
        known = m_brokers.find(broker);
        if (known == m_brokers.end())
            return std::unexpected(ClientError{QStringLiteral("BROKER_NOT_AVAILABLE"),
                                               QStringLiteral("broker %1 is not in the cluster's metadata")
                                                   .arg(broker)});
    }
    return open(broker, known->second.host, known->second.port);
}

ClientResult<std::int32_t> KafkaClient::resolveController() {
    if (m_controllerId < 0 || !m_brokers.contains(m_controllerId)) {
        auto refreshed = metadata(QStringList{});
        if (!refreshed)
            return std::unexpected(refreshed.error());
    }
    if (m_controllerId < 0)
        return std::unexpected(ClientError{QStringLiteral("NOT_CONTROLLER"),
                                           QStringLiteral("the cluster names no controller")});
    return m_controllerId;
}

ClientResult<std::int16_t> KafkaClient::negotiatedVersion(std::int32_t broker, std::int16_t apiKey,
                                                          std::int16_t maxVersionCap) {
    if (broker == kController) {
        auto controller = resolveController();
        if (!controller)
            return std::unexpected(controller.error());
        broker = *controller;
    }
    auto c = connection(broker);
    if (!c)
        return std::unexpected(c.error());
    const auto* info = protocol::apiInfo(apiKey);
    const QString apiName = info ? QString::fromLatin1(info->name) : QStringLiteral("API %1").arg(apiKey);
    const QString who = broker >= 0 ? QStringLiteral("broker %1").arg(broker) : (*c)->label;
    auto it = (*c)->versions.find(apiKey);
    if (!info || it == (*c)->versions.end())
        return std::unexpected(ClientError{QStringLiteral("UNSUPPORTED_VERSION"),
                                           QStringLiteral("%1 does not support %2").arg(who, apiName)});
    const std::int16_t ours =
        std::min({info->maxVersion, clientCap(apiKey), maxVersionCap});
    const std::int16_t version = std::min(ours, it->second.second);
    if (version < it->second.first || version < info->minVersion)
        return std::unexpected(ClientError{
            QStringLiteral("UNSUPPORTED_VERSION"),
            QStringLiteral("%1 supports %2 v%3-v%4 only; this client knows up to v%5")
                .arg(who, apiName)
                .arg(it->second.first)
                .arg(it->second.second)
                .arg(ours)});
    return version;
}

ClientResult<std::vector<std::uint8_t>> KafkaClient::roundTrip(std::int32_t broker,
                                                               std::int16_t apiKey,
                                                               std::int16_t version,
                                                               const std::vector<std::uint8_t>& body) {
    if (m_aborted.load())
        return std::unexpected(abortedError());
    if (broker == kController) {
        auto controller = resolveController();
        if (!controller)
            return std::unexpected(controller.error());
        broker = *controller;
    }
    Connection* c = nullptr;
    if (apiKey == protocol::ApiVersionsRequest::apiKey && m_connections.contains(broker)) {
        c = m_connections[broker].get();
    } else {
        auto found = connection(broker);
        if (!found)
            return std::unexpected(found.error());
        c = *found;
        if (broker == kAnyBroker) {
            for (auto& [id, conn] : m_connections)
                if (conn.get() == c)
                    broker = id;
        }
    }
    const QString label = c->label;
    const auto fail = [&](QString name, QString message) {
        m_connections.erase(broker); // drop the connection: the stream is out of step
        if (m_aborted.load())        // the socket was shut down under us: say why
            return std::unexpected(abortedError());
        return std::unexpected(ClientError{std::move(name), std::move(message)});
    };

    const std::int32_t correlation = m_nextCorrelation++;
    std::vector<std::uint8_t> frame;
    protocol::Writer w(frame);
    w.writeInt32(0);
    protocol::RequestHeader header;
    header.apiKey = apiKey;
    header.apiVersion = version;
    header.correlationId = correlation;
    header.clientId = m_options.clientId.toStdString();
    protocol::writeRequestHeader(w, header, protocol::requestHeaderVersion(apiKey, version));
    w.writeRaw(body);
    w.patchInt32(0, static_cast<std::int32_t>(frame.size() - 4));

    const auto deadline = Clock::now() + m_options.requestTimeout;
    const auto timeoutText = [&] {
        return QStringLiteral("%1 did not answer within %2 ms").arg(label).arg(m_options.requestTimeout.count());
    };
    switch (sendAll(c->fd, frame.data(), frame.size(), deadline)) {
    case IoResult::Ok: break;
    case IoResult::Timeout: return fail(QStringLiteral("TIMEOUT"), timeoutText());
    default:
        return fail(QStringLiteral("NETWORK_EXCEPTION"),
                    QStringLiteral("%1 closed the connection").arg(label));
    }
    std::uint8_t sizeBytes[4];
    switch (recvAll(c->fd, sizeBytes, 4, deadline)) {
    case IoResult::Ok: break;
    case IoResult::Timeout: return fail(QStringLiteral("TIMEOUT"), timeoutText());
    default:
        return fail(apiKey == 18 ? QStringLiteral("NOT_KAFKA") : QStringLiteral("NETWORK_EXCEPTION"),
                    apiKey == 18 ? QStringLiteral("%1 did not answer like a Kafka broker (closed the "
                                                  "connection)").arg(label)
                                 : QStringLiteral("%1 closed the connection").arg(label));
    }
    const std::int32_t size = static_cast<std::int32_t>(
        (std::uint32_t(sizeBytes[0]) << 24) | (std::uint32_t(sizeBytes[1]) << 16) |
        (std::uint32_t(sizeBytes[2]) << 8) | std::uint32_t(sizeBytes[3]));
    if (size < 4 || size > kMaxFrame)
        return fail(QStringLiteral("NOT_KAFKA"),
                    QStringLiteral("%1 did not answer like a Kafka broker").arg(label));
    std::vector<std::uint8_t> response(static_cast<std::size_t>(size));
    switch (recvAll(c->fd, response.data(), response.size(), deadline)) {
    case IoResult::Ok: break;
    case IoResult::Timeout: return fail(QStringLiteral("TIMEOUT"), timeoutText());
    default:
        return fail(QStringLiteral("NETWORK_EXCEPTION"),
                    QStringLiteral("%1 closed the connection mid-response").arg(label));
    }
    protocol::Reader r(std::span<const std::uint8_t>(response.data(), response.size()));
    auto id = protocol::readResponseHeader(r, protocol::responseHeaderVersion(apiKey, version));
    if (!id || *id != correlation)
        return fail(QStringLiteral("NOT_KAFKA"),
                    QStringLiteral("%1 did not answer like a Kafka broker (correlation id mismatch)")
                        .arg(label));
    return std::vector<std::uint8_t>(response.begin() + static_cast<std::ptrdiff_t>(r.position()),
                                     response.end());
}

void KafkaClient::rememberMetadata(const protocol::MetadataResponse& response) {
    std::map<std::int32_t, ClientBroker> brokers;
    for (const auto& b : response.brokers) {
        ClientBroker info;
        info.id = b.nodeId;
        info.host = QString::fromStdString(b.host);
        info.port = b.port;
        info.rack = b.rack ? QString::fromStdString(*b.rack) : QString();
        brokers[b.nodeId] = info;
    }
    // A broker whose address changed loses its connection.
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        auto b = brokers.find(it->first);
        if (it->first >= 0 && (b == brokers.end() ||
                               it->second->label != QStringLiteral("%1:%2").arg(b->second.host).arg(b->second.port)))
            it = m_connections.erase(it);
        else
            ++it;
    }
    m_brokers = std::move(brokers);
    m_controllerId = response.controllerId;
}

ClientResult<protocol::MetadataResponse> KafkaClient::metadata(const std::optional<QStringList>& topics,
                                                               bool allowAutoCreate) {
    protocol::MetadataRequest request;
    if (topics) {
        request.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>{};
        for (const auto& t : *topics) {
            protocol::MetadataRequest::MetadataRequestTopic topic;
            topic.name = t.toStdString();
            request.topics->push_back(topic);
        }
    } else {
        request.topics = std::nullopt;
    }
    request.allowAutoTopicCreation = allowAutoCreate;
    // v0 cannot ask for "all" with null; an empty list means all there. Require v1+.
    auto result = send(kAnyBroker, request);
    if (result)
        rememberMetadata(*result);
    return result;
}

ClientResult<ClusterDescription> KafkaClient::describeCluster() {
    ClusterDescription description;
    auto version = negotiatedVersion(kAnyBroker, protocol::DescribeClusterRequest::apiKey);
    if (version) {
        auto response = send(kAnyBroker, protocol::DescribeClusterRequest{});
        if (!response)
            return std::unexpected(response.error());
        if (response->errorCode != 0)
            return std::unexpected(ClientError{
                kafkaErrorName(response->errorCode),
                QString::fromStdString(response->errorMessage.value_or("DescribeCluster failed"))});
        description.clusterId = QString::fromStdString(response->clusterId);
        description.controllerId = response->controllerId;
        for (const auto& b : response->brokers)
            description.brokers.push_back(ClientBroker{b.brokerId, QString::fromStdString(b.host), b.port,
                                                       b.rack ? QString::fromStdString(*b.rack) : QString()});
        return description;
    }
    if (version.error().errorName != QLatin1String("UNSUPPORTED_VERSION"))
        return std::unexpected(version.error());
    auto metadataResponse = metadata(QStringList{});
    if (!metadataResponse)
        return std::unexpected(metadataResponse.error());
    description.fromMetadata = true;
    description.clusterId = QString::fromStdString(metadataResponse->clusterId.value_or(""));
    description.controllerId = metadataResponse->controllerId;
    for (const auto& [id, b] : m_brokers)
        description.brokers.push_back(b);
    return description;
}

ClientResult<protocol::DescribeLogDirsResponse> KafkaClient::describeLogDirs(std::int32_t broker) {
    protocol::DescribeLogDirsRequest request;
    request.topics = std::nullopt; // all
    auto response = send(broker, request);
    if (response && response->errorCode != 0)
        return std::unexpected(ClientError{kafkaErrorName(response->errorCode),
                                           QStringLiteral("DescribeLogDirs failed on broker %1").arg(broker)});
    return response;
}

ClientResult<protocol::ListOffsetsResponse>
KafkaClient::listOffsets(std::int32_t leader, const QVector<QPair<QString, std::int32_t>>& partitions,
                         qint64 timestamp) {
    protocol::ListOffsetsRequest request;
    request.replicaId = -1;
    std::map<QString, std::vector<std::int32_t>> byTopic;
    for (const auto& [topic, partition] : partitions)
        byTopic[topic].push_back(partition);
    for (const auto& [topic, list] : byTopic) {
        protocol::ListOffsetsRequest::ListOffsetsTopic t;
        t.name = topic.toStdString();
        for (auto p : list) {
            protocol::ListOffsetsRequest::ListOffsetsPartition part;
            part.partitionIndex = p;
            part.timestamp = timestamp;
            part.maxNumOffsets = 1;
            t.partitions.push_back(part);
        }
        request.topics.push_back(std::move(t));
    }
    auto response = send(leader, request);
    if (response) {
        // v0 answers with old-style offsets: normalise into `offset`.
        for (auto& t : response->topics)
            for (auto& p : t.partitions)
                if (p.offset < 0 && !p.oldStyleOffsets.empty())
                    p.offset = p.oldStyleOffsets.front();
    }
    return response;
}

ClientResult<protocol::ListGroupsResponse> KafkaClient::listGroups(std::int32_t broker) {
    auto response = send(broker, protocol::ListGroupsRequest{});
    if (response && response->errorCode != 0)
        return std::unexpected(ClientError{kafkaErrorName(response->errorCode),
                                           QStringLiteral("ListGroups failed on broker %1").arg(broker)});
    return response;
}

ClientResult<protocol::DescribeGroupsResponse> KafkaClient::describeGroups(std::int32_t coordinator,
                                                                           const QStringList& groupIds) {
    protocol::DescribeGroupsRequest request;
    for (const auto& g : groupIds)
        request.groups.push_back(g.toStdString());
    return send(coordinator, request);
}

ClientResult<std::int32_t> KafkaClient::findCoordinator(const QString& groupId) {
    protocol::FindCoordinatorRequest request;
    request.key = groupId.toStdString();
    request.keyType = 0;
    auto response = send(kAnyBroker, request);
    if (!response)
        return std::unexpected(response.error());
    if (response->errorCode != 0)
        return std::unexpected(ClientError{
            kafkaErrorName(response->errorCode),
            QStringLiteral("no coordinator for group %1: %2")
                .arg(groupId, QString::fromStdString(response->errorMessage.value_or("")))});
    ClientBroker& b = m_brokers[response->nodeId];
    b.id = response->nodeId;
    b.host = QString::fromStdString(response->host);
    b.port = response->port;
    return response->nodeId;
}

ClientResult<protocol::OffsetFetchResponse> KafkaClient::offsetFetch(std::int32_t coordinator,
                                                                     const QString& groupId) {
    auto version = negotiatedVersion(coordinator, protocol::OffsetFetchRequest::apiKey);
    if (!version)
        return std::unexpected(version.error());
    if (*version < 2)
        return std::unexpected(ClientError{QStringLiteral("UNSUPPORTED_VERSION"),
                                           QStringLiteral("broker %1 does not support OffsetFetch for all "
                                                          "topics (v2+)").arg(coordinator)});
    protocol::OffsetFetchRequest request;
    request.groupId = groupId.toStdString();
    request.topics = std::nullopt;
    auto response = send(coordinator, request);
    if (response && response->errorCode != 0)
        return std::unexpected(ClientError{kafkaErrorName(response->errorCode),
                                           QStringLiteral("OffsetFetch failed for group %1").arg(groupId)});
    return response;
}

ClientResult<protocol::OffsetCommitResponse>
KafkaClient::offsetCommit(std::int32_t coordinator, const QString& groupId,
                          const QVector<TopicPartitionOffset>& offsets) {
    protocol::OffsetCommitRequest request;
    request.groupId = groupId.toStdString();
    request.generationIdOrMemberEpoch = -1;
    request.memberId = "";
    std::map<QString, std::vector<protocol::OffsetCommitRequest::OffsetCommitRequestPartition>> byTopic;
    for (const auto& o : offsets) {
        protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
        p.partitionIndex = o.partition;
        p.committedOffset = o.offset;
        p.committedMetadata = o.metadata.toStdString();
        byTopic[o.topic].push_back(p);
    }
    for (auto& [topic, parts] : byTopic) {
        protocol::OffsetCommitRequest::OffsetCommitRequestTopic t;
        t.name = topic.toStdString();
        t.partitions = std::move(parts);
        request.topics.push_back(std::move(t));
    }
    auto response = send(coordinator, request);
    if (!response)
        return response;
    for (const auto& t : response->topics)
        for (const auto& p : t.partitions)
            if (p.errorCode != 0)
                return std::unexpected(ClientError{
                    kafkaErrorName(p.errorCode),
                    QStringLiteral("commit of %1-%2 for group %3 failed")
                        .arg(QString::fromStdString(t.name))
                        .arg(p.partitionIndex)
                        .arg(groupId)});
    return response;
}

namespace {
// A per-topic failure of an admin request: Kafka's error name, and the broker's message or the
// error's name when it sent none.
ClientError topicError(const std::string& topic, std::int16_t code,
                       const std::optional<std::string>& message) {
    return ClientError{kafkaErrorName(code),
                       QStringLiteral("topic %1: %2")
                           .arg(QString::fromStdString(topic),
                                QString::fromStdString(message.value_or(
                                    protocol::errorName(static_cast<protocol::ErrorCode>(code)))))};
}
} // namespace

ClientResult<protocol::CreateTopicsResponse>
KafkaClient::createTopics(const protocol::CreateTopicsRequest& request) {
    auto response = send(kController, request);
    if (!response)
        return response;
    for (const auto& t : response->topics)
        if (t.errorCode != 0)
            return std::unexpected(topicError(t.name, t.errorCode, t.errorMessage));
    return response;
}

ClientResult<protocol::DeleteTopicsResponse> KafkaClient::deleteTopics(const QStringList& topics,
                                                                       int timeoutMs) {
    protocol::DeleteTopicsRequest request;
    for (const auto& t : topics)
        request.topicNames.push_back(t.toStdString());
    request.timeoutMs = timeoutMs;
    auto response = send(kController, request);
    if (!response)
        return response;
    for (const auto& t : response->responses)
        if (t.errorCode != 0)
            return std::unexpected(topicError(t.name.value_or(""), t.errorCode, t.errorMessage));
    return response;
}

ClientResult<protocol::CreatePartitionsResponse>
KafkaClient::createPartitions(const protocol::CreatePartitionsRequest& request) {
    auto response = send(kController, request);
    if (!response)
        return response;
    for (const auto& t : response->results)
        if (t.errorCode != 0)
            return std::unexpected(topicError(t.name, t.errorCode, t.errorMessage));
    return response;
}

ClientResult<protocol::DescribeConfigsResponse>
KafkaClient::describeConfigs(const protocol::DescribeConfigsRequest& request, std::int32_t broker) {
    return send(broker < 0 ? kController : broker, request);
}

ClientResult<protocol::IncrementalAlterConfigsResponse>
KafkaClient::incrementalAlterConfigs(const protocol::IncrementalAlterConfigsRequest& request,
                                     std::int32_t broker) {
    auto response = send(broker < 0 ? kController : broker, request);
    if (!response)
        return response;
    for (const auto& r : response->responses)
        if (r.errorCode != 0)
            return std::unexpected(ClientError{
                kafkaErrorName(r.errorCode),
                QStringLiteral("%1: %2")
                    .arg(QString::fromStdString(r.resourceName),
                         QString::fromStdString(r.errorMessage.value_or(
                             protocol::errorName(static_cast<protocol::ErrorCode>(r.errorCode)))))});
    return response;
}

} // namespace faultline::models
