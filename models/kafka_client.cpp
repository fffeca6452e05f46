#include "models/kafka_client.h"

#include "engine/protocol/error_code.h"
#include "engine/protocol/messages/sasl_authenticate.h"
#include "engine/protocol/messages/sasl_handshake.h"
#include "models/kafka_transport.h"
#include "models/sasl_scram.h"

#include <algorithm>

#include <sys/socket.h>

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

bool usesTls(SecurityProtocol p) {
    return p == SecurityProtocol::Ssl || p == SecurityProtocol::SaslSsl;
}

bool usesSasl(SecurityProtocol p) {
    return p == SecurityProtocol::SaslPlaintext || p == SecurityProtocol::SaslSsl;
}

// The SASL mechanism, user and password: the profile's, or its librdkafka-style extras (which win,
// as in librdkafka).
struct SaslLogin {
    QString mechanism;
    QString username;
    QString password;
};

SaslLogin saslLogin(const ConnectionProfile& profile, const QString& password) {
    const auto& extras = profile.extraProperties;
    SaslLogin login;
    login.mechanism = profile.saslMechanism;
    for (const char* key : {"sasl.mechanisms", "sasl.mechanism"})
        if (extras.contains(QLatin1String(key)))
            login.mechanism = extras.value(QLatin1String(key));
    login.mechanism = login.mechanism.trimmed().toUpper();
    login.username = extras.value(QStringLiteral("sasl.username"), profile.username);
    login.password = extras.value(QStringLiteral("sasl.password"), password);
    return login;
}

// A TLS record's first bytes (handshake 22 or alert 21, major version 3) where a Kafka frame's
// size should be: the server speaks TLS.
bool looksLikeTls(const std::uint8_t* bytes) {
    return (bytes[0] == 0x15 || bytes[0] == 0x16) && bytes[1] == 0x03 && bytes[2] <= 0x04;
}

} // namespace

QString kafkaErrorName(std::int16_t code) {
    return QString::fromStdString(protocol::errorName(static_cast<protocol::ErrorCode>(code)));
}

struct KafkaClient::Connection {
    KafkaClient* owner = nullptr; // set once abort() can reach the socket (tracked)
    int fd = -1;
    std::unique_ptr<Transport> transport;
    QString label; // "host:port"
    std::map<std::int16_t, std::pair<std::int16_t, std::int16_t>> versions;
    bool established = false; // ApiVersions (and the SASL login) done
    bool closedEarly = false; // the server hung up on the first request
    ~Connection() {
        // Forgotten before `transport` closes the descriptor: abort() never shuts down a number
        // that was closed and reused.
        if (owner != nullptr)
            owner->untrackSocket(fd);
    }
};

KafkaClient::KafkaClient(ConnectionProfile profile)
    : KafkaClient(std::move(profile), QString(), Options{}) {}

KafkaClient::KafkaClient(ConnectionProfile profile, Options options)
    : KafkaClient(std::move(profile), QString(), std::move(options)) {}

KafkaClient::KafkaClient(ConnectionProfile profile, QString password)
    : KafkaClient(std::move(profile), std::move(password), Options{}) {}

KafkaClient::KafkaClient(ConnectionProfile profile, QString password, Options options)
    : m_profile(std::move(profile)), m_password(std::move(password)),
      m_options(std::move(options)) {}

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
    if (m_aborted.load())
        return false;
    m_sockets.insert(fd);
    return true;
}

void KafkaClient::untrackSocket(int fd) {
    const std::lock_guard lock(m_socketsMutex);
    m_sockets.erase(fd);
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
    const bool tls = usesTls(m_profile.security);
    if (usesSasl(m_profile.security)) {
        // Refuse what cannot work before touching the network.
        const SaslLogin login = saslLogin(m_profile, m_password);
        if (login.mechanism != QLatin1String("PLAIN") && !scramHashFor(login.mechanism))
            return std::unexpected(ClientError{
                QStringLiteral("UNSUPPORTED_SASL_MECHANISM"),
                QStringLiteral("the built-in client logs in with PLAIN, SCRAM-SHA-256 or "
                               "SCRAM-SHA-512, not %1")
                    .arg(login.mechanism)});
        if (login.username.isEmpty())
            return std::unexpected(ClientError{
                QStringLiteral("SASL_AUTHENTICATION_FAILED"),
                QStringLiteral("%1 needs a user name (sasl.username)").arg(login.mechanism)});
    }
    if (tls && !m_tls) {
        auto settings = TlsSettings::fromProfile(m_profile);
        if (!settings)
            return std::unexpected(settings.error());
        auto context = TlsContext::create(*settings);
        if (!context)
            return std::unexpected(context.error());
        m_tls = std::move(*context);
    }

    // Connecting and the TLS handshake share the connect timeout.
    const auto deadline = Clock::now() + m_options.connectTimeout;
    auto socket = connectTcp(host, port, deadline, m_options.connectTimeout);
    if (!socket)
        return std::unexpected(socket.error());
    auto connection = std::make_unique<Connection>();
    connection->label = QStringLiteral("%1:%2").arg(host).arg(port);
    const int fd = socket->get();
    if (tls) {
        auto transport =
            m_tls->handshake(std::move(*socket), host, port, deadline, m_options.connectTimeout);
        if (!transport)
            return std::unexpected(transport.error());
        connection->transport = std::move(*transport);
    } else {
        connection->transport = plainTransport(std::move(*socket));
    }
    if (!trackSocket(fd))
        return std::unexpected(abortedError());
    connection->owner = this;
    connection->fd = fd;

    // ApiVersions and the login get the connect timeout too: a non-Kafka server must fail fast.
    const auto setupTimeout = std::min(m_options.requestTimeout, m_options.connectTimeout);
    if (auto negotiated = negotiateVersions(*connection, setupTimeout); !negotiated) {
        if (m_aborted.load()) // the socket was shut down under us: say why
            return std::unexpected(abortedError());
        // A TLS listener may hang up on plaintext without a word (OpenSSL's does): ask it.
        if (!tls && connection->closedEarly &&
            speaksTls(host, port, Clock::now() + m_options.connectTimeout,
                      m_options.connectTimeout))
            return std::unexpected(tlsListener(connection->label));
        return std::unexpected(negotiated.error());
    }
    if (usesSasl(m_profile.security))
        if (auto login = authenticate(*connection, setupTimeout); !login)
            return std::unexpected(login.error());
    connection->established = true;
    auto* raw = connection.get();
    m_connections[broker] = std::move(connection);
    return raw;
}

ClientResult<void> KafkaClient::negotiateVersions(Connection& c,
                                                  std::chrono::milliseconds timeout) {
    const QString& label = c.label;
    const auto notKafka = [&](const QString& why) {
        return std::unexpected(
            ClientError{QStringLiteral("NOT_KAFKA"),
                        QStringLiteral("%1 did not answer like a Kafka broker%2").arg(label, why)});
    };
    // v3 first, v0 when the broker says UNSUPPORTED_VERSION.
    for (std::int16_t version : {std::int16_t(3), std::int16_t(0)}) {
        protocol::ApiVersionsRequest request;
        request.clientSoftwareName = "faultline";
        request.clientSoftwareVersion = "0.1.0";
        auto body = exchange(c, protocol::ApiVersionsRequest::apiKey, version,
                             request.encode(version), timeout);
        if (!body) {
            if (body.error().errorName == QLatin1String("TIMEOUT"))
                return notKafka(
                    QStringLiteral(" (no ApiVersions answer within %1 ms)").arg(timeout.count()));
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
            if (!again.ok() || response.errorCode != toInt(protocol::ErrorCode::UnsupportedVersion))
                return notKafka({});
        } else if (!reader.ok()) {
            return notKafka({});
        }
        if (response.errorCode == toInt(protocol::ErrorCode::UnsupportedVersion) && version != 0)
            continue;
        if (response.errorCode != 0)
            return std::unexpected(
                ClientError{kafkaErrorName(response.errorCode),
                            QStringLiteral("%1 refused ApiVersions").arg(label)});
        for (const auto& api : response.apiKeys)
            c.versions[api.apiKey] = {api.minVersion, api.maxVersion};
        if (c.versions.empty())
            return notKafka(QStringLiteral(" (no APIs)"));
        return {};
    }
    return std::unexpected(
        ClientError{QStringLiteral("UNSUPPORTED_VERSION"),
                    QStringLiteral("%1 accepts no ApiVersions version").arg(label)});
}

ClientResult<void> KafkaClient::authenticate(Connection& c, std::chrono::milliseconds timeout) {
    const SaslLogin login = saslLogin(m_profile, m_password);
    const QString& label = c.label;
    const QString protocolName = securityProtocolName(m_profile.security);
    const auto handshakeVersions = c.versions.find(protocol::SaslHandshakeRequest::apiKey);
    const auto authenticateVersions = c.versions.find(protocol::SaslAuthenticateRequest::apiKey);
    if (handshakeVersions == c.versions.end())
        return std::unexpected(ClientError{
            QStringLiteral("UNSUPPORTED_VERSION"),
            QStringLiteral("%1 offers no SASL login (no SaslHandshake in its ApiVersions): is it a "
                           "PLAINTEXT or SSL listener? The profile uses %2")
                .arg(label, protocolName)});
    if (handshakeVersions->second.second < 1 || authenticateVersions == c.versions.end())
        return std::unexpected(ClientError{
            QStringLiteral("UNSUPPORTED_VERSION"),
            QStringLiteral("%1 lacks SaslHandshake v1 and SaslAuthenticate (Kafka 1.0+), which "
                           "the built-in client logs in with")
                .arg(label)});

    // ---- SaslHandshake v1: the mechanism, and the broker's list when it refuses it
    protocol::SaslHandshakeRequest handshake;
    handshake.mechanism = login.mechanism.toStdString();
    auto handshakeBody =
        exchange(c, protocol::SaslHandshakeRequest::apiKey, 1, handshake.encode(1), timeout);
    if (!handshakeBody)
        return std::unexpected(handshakeBody.error());
    protocol::SaslHandshakeResponse handshakeResponse;
    {
        protocol::Reader reader(
            std::span<const std::uint8_t>(handshakeBody->data(), handshakeBody->size()));
        handshakeResponse.read(reader, 1);
        if (!reader.ok())
            return std::unexpected(
                ClientError{QStringLiteral("CORRUPT_RESPONSE"),
                            QStringLiteral("%1 sent a SaslHandshake response that does not decode")
                                .arg(label)});
    }
    if (handshakeResponse.errorCode != 0) {
        QStringList offered;
        for (const auto& m : handshakeResponse.mechanisms)
            offered << QString::fromStdString(m);
        return std::unexpected(
            ClientError{kafkaErrorName(handshakeResponse.errorCode),
                        QStringLiteral("%1 offers %2, the profile asks %3")
                            .arg(label,
                                 offered.isEmpty() ? QStringLiteral("no SASL mechanism")
                                                   : offered.join(QStringLiteral(", ")),
                                 login.mechanism)});
    }

    // ---- SaslAuthenticate rounds
    const std::int16_t authVersion = std::min<std::int16_t>(
        protocol::SaslAuthenticateRequest::maxVersion, authenticateVersions->second.second);
    if (authVersion < authenticateVersions->second.first)
        return std::unexpected(
            ClientError{QStringLiteral("UNSUPPORTED_VERSION"),
                        QStringLiteral("%1 supports SaslAuthenticate v%2-v%3 only")
                            .arg(label)
                            .arg(authenticateVersions->second.first)
                            .arg(authenticateVersions->second.second)});
    const auto refused = [&](const QString& why) {
        return ClientError{QStringLiteral("SASL_AUTHENTICATION_FAILED"),
                           QStringLiteral("%1 refused the %2 login of user %3: %4")
                               .arg(label, login.mechanism, login.username, why)};
    };
    const auto round = [&](const QByteArray& token) -> ClientResult<QByteArray> {
        protocol::SaslAuthenticateRequest request;
        request.authBytes.assign(token.begin(), token.end());
        auto body = exchange(c, protocol::SaslAuthenticateRequest::apiKey, authVersion,
                             request.encode(authVersion), timeout);
        if (!body)
            return std::unexpected(body.error());
        protocol::Reader reader(std::span<const std::uint8_t>(body->data(), body->size()));
        protocol::SaslAuthenticateResponse response;
        response.read(reader, authVersion);
        if (!reader.ok())
            return std::unexpected(ClientError{
                QStringLiteral("CORRUPT_RESPONSE"),
                QStringLiteral("%1 sent a SaslAuthenticate response that does not decode")
                    .arg(label)});
        if (response.errorCode != 0) {
            const QString brokerMessage =
                QString::fromStdString(response.errorMessage.value_or(std::string()));
            ClientError error = refused(brokerMessage.isEmpty() ? kafkaErrorName(response.errorCode)
                                                                : brokerMessage);
            if (response.errorCode != toInt(protocol::ErrorCode::SaslAuthenticationFailed))
                error.errorName = kafkaErrorName(response.errorCode);
            return std::unexpected(error);
        }
        return QByteArray(reinterpret_cast<const char*>(response.authBytes.data()),
                          static_cast<qsizetype>(response.authBytes.size()));
    };

    if (login.mechanism == QLatin1String("PLAIN")) {
        // RFC 4616: authzid NUL authcid NUL password, no authorization identity.
        const QByteArray token = '\0' + login.username.toUtf8() + '\0' + login.password.toUtf8();
        auto answer = round(token);
        if (!answer)
            return std::unexpected(answer.error());
        return {};
    }
    ScramClient scram(*scramHashFor(login.mechanism), login.username, login.password);
    auto serverFirst = round(scram.clientFirst());
    if (!serverFirst)
        return std::unexpected(serverFirst.error());
    auto clientFinal = scram.clientFinal(*serverFirst);
    if (!clientFinal)
        return std::unexpected(refused(clientFinal.error()));
    auto serverFinal = round(*clientFinal);
    if (!serverFinal)
        return std::unexpected(serverFinal.error());
    if (auto verified = scram.verifyServerFinal(*serverFinal); !verified)
        return std::unexpected(
            ClientError{QStringLiteral("SASL_AUTHENTICATION_FAILED"),
                        QStringLiteral("%1 accepted the %2 login of user %3 but %4")
                            .arg(label, login.mechanism, login.username, verified.error())});
    return {};
}

ClientResult<KafkaClient::Connection*> KafkaClient::connection(std::int32_t broker) {
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

ClientError KafkaClient::tlsListener(const QString& label) const {
    return ClientError{QStringLiteral("SECURITY_PROTOCOL_MISMATCH"),
                       QStringLiteral("%1 speaks TLS: it is an SSL or SASL_SSL listener, the "
                                      "profile uses %2")
                           .arg(label, securityProtocolName(m_profile.security))};
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
    auto found = connection(broker);
    if (!found)
        return std::unexpected(found.error());
    Connection* c = *found;
    if (broker == kAnyBroker) {
        for (auto& [id, conn] : m_connections)
            if (conn.get() == c)
                broker = id;
    }
    auto result = exchange(*c, apiKey, version, body, m_options.requestTimeout);
    if (!result) {
        m_connections.erase(broker); // drop the connection: the stream is out of step
        if (m_aborted.load())        // the socket was shut down under us: say why
            return std::unexpected(abortedError());
    }
    return result;
}

ClientResult<std::vector<std::uint8_t>> KafkaClient::exchange(Connection& c, std::int16_t apiKey,
                                                              std::int16_t version,
                                                              const std::vector<std::uint8_t>& body,
                                                              std::chrono::milliseconds timeout) {
    const QString label = c.label;
    const bool firstExchange = !c.established && apiKey == protocol::ApiVersionsRequest::apiKey;
    const auto fail = [](QString name, QString message) {
        return std::unexpected(ClientError{std::move(name), std::move(message)});
    };
    // A transport failure in words; TLS alerts (a refused client certificate arrives as one after
    // a TLS 1.3 handshake) keep OpenSSL's reason.
    const auto ioFailure = [&](const IoResult& r, const QString& when) {
        if (r.status == IoStatus::Timeout)
            return fail(
                QStringLiteral("TIMEOUT"),
                QStringLiteral("%1 did not answer within %2 ms").arg(label).arg(timeout.count()));
        if (r.tls) {
            QString message = QStringLiteral("%1 ended the TLS session: %2").arg(label, r.detail);
            if (r.detail.contains(QLatin1String("certificate")) &&
                TlsSettings::fromProfile(m_profile).value_or(TlsSettings{}).certFile.isEmpty())
                message += QStringLiteral(" (does it require a client certificate? set "
                                          "ssl.certificate.location and ssl.key.location)");
            return fail(c.established ? QStringLiteral("NETWORK_EXCEPTION")
                                      : QStringLiteral("SSL_HANDSHAKE_FAILED"),
                        message);
        }
        if (firstExchange) {
            c.closedEarly = true;
            return fail(QStringLiteral("NOT_KAFKA"),
                        QStringLiteral("%1 did not answer like a Kafka broker (closed the "
                                       "connection)")
                            .arg(label));
        }
        if (r.status == IoStatus::Error)
            return fail(QStringLiteral("NETWORK_EXCEPTION"),
                        QStringLiteral("connection to %1 failed%2: %3").arg(label, when, r.detail));
        return fail(QStringLiteral("NETWORK_EXCEPTION"),
                    QStringLiteral("%1 closed the connection%2").arg(label, when));
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

    const auto deadline = Clock::now() + timeout;
    if (IoResult r = c.transport->write(frame, deadline); !r.ok())
        return ioFailure(r, {});
    std::uint8_t sizeBytes[4];
    if (IoResult r = c.transport->read(sizeBytes, deadline); !r.ok())
        return ioFailure(r, {});
    if (firstExchange && !c.transport->encrypted() && looksLikeTls(sizeBytes))
        return std::unexpected(tlsListener(label));
    const std::int32_t size = static_cast<std::int32_t>(
        (std::uint32_t(sizeBytes[0]) << 24) | (std::uint32_t(sizeBytes[1]) << 16) |
        (std::uint32_t(sizeBytes[2]) << 8) | std::uint32_t(sizeBytes[3]));
    if (size < 4 || size > kMaxFrame)
        return fail(QStringLiteral("NOT_KAFKA"),
                    QStringLiteral("%1 did not answer like a Kafka broker").arg(label));
    std::vector<std::uint8_t> response(static_cast<std::size_t>(size));
    if (IoResult r = c.transport->read(response, deadline); !r.ok())
        return ioFailure(r, QStringLiteral(" mid-response"));
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
