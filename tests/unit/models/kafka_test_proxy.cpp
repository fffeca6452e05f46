#include "kafka_test_proxy.h"

#include "engine/protocol/header.h"
#include "engine/protocol/messages/api_versions.h"
#include "engine/protocol/messages/describe_cluster.h"
#include "engine/protocol/messages/find_coordinator.h"
#include "engine/protocol/messages/metadata.h"
#include "engine/protocol/messages/sasl_authenticate.h"
#include "engine/protocol/messages/sasl_handshake.h"
#include "scram_server.h"

#include <QFile>
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <optional>
#include <span>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace faultline::testing {

namespace {

using Bytes = std::vector<std::uint8_t>;

// One side of a proxied connection: a blocking socket, maybe under TLS.
struct Stream {
    int fd = -1;
    SSL* ssl = nullptr;

    bool readExact(std::uint8_t* data, std::size_t size) const {
        std::size_t done = 0;
        while (done < size) {
            if (ssl) {
                std::size_t got = 0;
                if (SSL_read_ex(ssl, data + done, size - done, &got) != 1)
                    return false;
                done += got;
                continue;
            }
            const ssize_t n = ::recv(fd, data + done, size - done, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    bool writeAll(const std::uint8_t* data, std::size_t size) const {
        std::size_t done = 0;
        while (done < size) {
            if (ssl) {
                std::size_t written = 0;
                if (SSL_write_ex(ssl, data + done, size - done, &written) != 1)
                    return false;
                done += written;
                continue;
            }
            const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    bool readFrame(Bytes& frame) const {
        std::uint8_t size[4];
        if (!readExact(size, 4))
            return false;
        const std::uint32_t n = (std::uint32_t(size[0]) << 24) | (std::uint32_t(size[1]) << 16) |
                                (std::uint32_t(size[2]) << 8) | std::uint32_t(size[3]);
        if (n > 64u * 1024 * 1024)
            return false;
        frame.resize(n);
        return readExact(frame.data(), frame.size());
    }

    bool writeFrame(const Bytes& frame) const {
        const auto n = static_cast<std::uint32_t>(frame.size());
        const std::uint8_t size[4] = {std::uint8_t(n >> 24), std::uint8_t(n >> 16),
                                      std::uint8_t(n >> 8), std::uint8_t(n)};
        return writeAll(size, 4) && writeAll(frame.data(), frame.size());
    }
};

template <typename Response>
Bytes responseFrame(std::int16_t apiKey, std::int16_t version, std::int32_t correlation,
                    const Response& body) {
    Bytes out;
    protocol::Writer w(out);
    protocol::writeResponseHeader(w, correlation, protocol::responseHeaderVersion(apiKey, version));
    body.write(w, version);
    return out;
}

int connectUpstream(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

KafkaTestProxy::KafkaTestProxy(ProxyOptions options) : m_options(std::move(options)) {}

KafkaTestProxy::~KafkaTestProxy() {
    m_stopping = true;
    if (m_listenFd >= 0)
        ::shutdown(m_listenFd, SHUT_RDWR); // wakes accept()
    if (m_acceptor.joinable())
        m_acceptor.join();
    if (m_listenFd >= 0)
        ::close(m_listenFd);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_mutex);
        for (int fd : m_open)
            ::shutdown(fd, SHUT_RDWR); // wakes blocked reads
        threads = std::move(m_threads);
    }
    for (auto& t : threads)
        t.join();
    SSL_CTX_free(m_ctx);
}

QString KafkaTestProxy::address() const {
    return QStringLiteral("127.0.0.1:%1").arg(m_port);
}

QString KafkaTestProxy::lastServerName() const {
    std::lock_guard lock(m_mutex);
    return m_serverName;
}

bool KafkaTestProxy::start(QString* error) {
    // OpenSSL writes to its sockets with write(): a client that hung up must not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    if (!m_options.certFile.isEmpty()) {
        m_ctx = SSL_CTX_new(TLS_server_method());
        const QByteArray cert = QFile::encodeName(m_options.certFile);
        const QByteArray key = QFile::encodeName(m_options.keyFile);
        if (SSL_CTX_use_certificate_chain_file(m_ctx, cert.constData()) != 1 ||
            SSL_CTX_use_PrivateKey_file(m_ctx, key.constData(), SSL_FILETYPE_PEM) != 1) {
            *error = QStringLiteral("proxy: cannot load %1 / %2")
                         .arg(m_options.certFile, m_options.keyFile);
            return false;
        }
        if (!m_options.clientCaFile.isEmpty()) {
            const QByteArray ca = QFile::encodeName(m_options.clientCaFile);
            if (SSL_CTX_load_verify_locations(m_ctx, ca.constData(), nullptr) != 1) {
                *error = QStringLiteral("proxy: cannot load %1").arg(m_options.clientCaFile);
                return false;
            }
            SSL_CTX_set_client_CA_list(m_ctx, SSL_load_client_CA_file(ca.constData()));
            SSL_CTX_set_verify(m_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        }
    }
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (m_listenFd < 0 || ::bind(m_listenFd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listenFd, 64) != 0 ||
        ::getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        *error =
            QStringLiteral("proxy: cannot listen: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    m_port = ntohs(address.sin_port);
    m_acceptor = std::thread([this] { acceptLoop(); });
    return true;
}

void KafkaTestProxy::track(int fd) {
    std::lock_guard lock(m_mutex);
    m_open.push_back(fd);
}

void KafkaTestProxy::untrack(int fd) {
    std::lock_guard lock(m_mutex);
    m_open.erase(std::remove(m_open.begin(), m_open.end(), fd), m_open.end());
    ::close(fd);
}

void KafkaTestProxy::acceptLoop() {
    while (!m_stopping) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;
        }
        std::lock_guard lock(m_mutex);
        if (m_stopping) {
            ::close(fd);
            return;
        }
        m_open.push_back(fd);
        m_threads.emplace_back([this, fd] { serve(fd); });
    }
}

void KafkaTestProxy::serve(int fd) {
    Stream down{fd, nullptr};
    if (m_ctx) {
        down.ssl = SSL_new(m_ctx);
        SSL_set_fd(down.ssl, fd);
        if (SSL_accept(down.ssl) != 1) {
            // The alert is on its way; read what the client still sends so closing does not
            // reset the connection before the client has read it.
            ::shutdown(fd, SHUT_WR);
            timeval wait{2, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
            std::uint8_t sink[4096];
            while (::recv(fd, sink, sizeof sink, 0) > 0) {
            }
            SSL_free(down.ssl);
            untrack(fd);
            return;
        }
        const char* serverName = SSL_get_servername(down.ssl, TLSEXT_NAMETYPE_host_name);
        std::lock_guard lock(m_mutex);
        m_serverName = serverName ? QString::fromUtf8(serverName) : QString();
    }
    const int upFd = connectUpstream(m_options.upstreamPort);
    if (upFd >= 0)
        track(upFd);
    const Stream up{upFd, nullptr};

    const bool sasl = !m_options.mechanisms.isEmpty();
    bool authenticated = !sasl;
    QString mechanism;
    std::optional<ScramServer> scram;

    // Rewrites broker addresses to the proxy's, and adds the SASL APIs to ApiVersions.
    const auto rewrite = [&](std::int16_t apiKey, std::int16_t version, Bytes frame) -> Bytes {
        protocol::Reader r(std::span<const std::uint8_t>(frame.data(), frame.size()));
        auto correlation =
            protocol::readResponseHeader(r, protocol::responseHeaderVersion(apiKey, version));
        if (!correlation)
            return frame;
        const auto body =
            std::span<const std::uint8_t>(frame.data(), frame.size()).subspan(r.position());
        const std::string host = m_options.advertisedHost.toStdString();
        const auto redo = [&]<typename M>(M message, auto edit) -> Bytes {
            protocol::Reader br(body);
            message.read(br, version);
            if (!br.ok())
                return frame;
            edit(message);
            return responseFrame(apiKey, version, *correlation, message);
        };
        switch (apiKey) {
        case protocol::MetadataResponse::apiKey:
            return redo(protocol::MetadataResponse{}, [&](auto& m) {
                for (auto& b : m.brokers) {
                    b.host = host;
                    b.port = m_port;
                }
            });
        case protocol::DescribeClusterResponse::apiKey:
            return redo(protocol::DescribeClusterResponse{}, [&](auto& m) {
                for (auto& b : m.brokers) {
                    b.host = host;
                    b.port = m_port;
                }
            });
        case protocol::FindCoordinatorResponse::apiKey:
            return redo(protocol::FindCoordinatorResponse{}, [&](auto& m) {
                if (m.errorCode == 0) {
                    m.host = host;
                    m.port = m_port;
                }
            });
        case protocol::ApiVersionsResponse::apiKey:
            if (!sasl && m_options.hiddenApis.empty())
                return frame;
            return redo(protocol::ApiVersionsResponse{}, [&](auto& m) {
                if (m.errorCode != 0)
                    return;
                std::erase_if(m.apiKeys, [&](const auto& api) {
                    const auto& hidden = m_options.hiddenApis;
                    return std::find(hidden.begin(), hidden.end(), api.apiKey) != hidden.end();
                });
                if (sasl) {
                    m.apiKeys.push_back({protocol::SaslHandshakeRequest::apiKey, 0, 1});
                    m.apiKeys.push_back({protocol::SaslAuthenticateRequest::apiKey, 0, 2});
                }
            });
        default:
            return frame;
        }
    };

    Bytes frame;
    while (!m_stopping && down.readFrame(frame)) {
        protocol::Reader r(std::span<const std::uint8_t>(frame.data(), frame.size()));
        auto header = protocol::readRequestHeader(r);
        if (!header)
            break;
        const auto body =
            std::span<const std::uint8_t>(frame.data(), frame.size()).subspan(r.position());
        const std::int16_t apiKey = header->apiKey;
        const std::int16_t version = header->apiVersion;

        if (sasl && apiKey == protocol::SaslHandshakeRequest::apiKey) {
            protocol::Reader br(body);
            protocol::SaslHandshakeRequest request;
            request.read(br, version);
            protocol::SaslHandshakeResponse response;
            for (const auto& m : m_options.mechanisms)
                response.mechanisms.push_back(m.toStdString());
            const QString asked = QString::fromStdString(request.mechanism);
            if (m_options.mechanisms.contains(asked))
                mechanism = asked;
            else
                response.errorCode = toInt(protocol::ErrorCode::UnsupportedSaslMechanism);
            if (!down.writeFrame(responseFrame(apiKey, version, header->correlationId, response)))
                break;
            continue;
        }
        if (sasl && apiKey == protocol::SaslAuthenticateRequest::apiKey) {
            protocol::Reader br(body);
            protocol::SaslAuthenticateRequest request;
            request.read(br, version);
            const QByteArray token(reinterpret_cast<const char*>(request.authBytes.data()),
                                   static_cast<qsizetype>(request.authBytes.size()));
            protocol::SaslAuthenticateResponse response;
            response.errorMessage = std::nullopt;
            QString failure;
            if (mechanism.isEmpty() || authenticated) {
                response.errorCode = toInt(protocol::ErrorCode::IllegalSaslState);
                failure = QStringLiteral("SaslAuthenticate out of order");
            } else if (mechanism == QLatin1String("PLAIN")) {
                const QList<QByteArray> parts = token.split('\0');
                if (parts.size() == 3 && parts[1] == m_options.user &&
                    parts[2] == m_options.password)
                    authenticated = true;
                else
                    failure = QStringLiteral("Authentication failed: Invalid username or password");
            } else {
                if (!scram) {
                    scram.emplace(mechanism == QLatin1String("SCRAM-SHA-512") ? EVP_sha512()
                                                                              : EVP_sha256(),
                                  mechanism, m_options.user, m_options.password);
                    auto first = scram->answerFirst(token);
                    if (first)
                        response.authBytes.assign(first->begin(), first->end());
                    else
                        failure = first.error();
                } else {
                    auto final = scram->answerFinal(token);
                    if (final) {
                        QByteArray answer = *final;
                        if (m_options.forgeServerSignature)
                            answer = "v=" + QByteArray(64, 'A').toBase64();
                        response.authBytes.assign(answer.begin(), answer.end());
                        authenticated = true;
                    } else {
                        failure = final.error();
                    }
                }
            }
            if (!failure.isEmpty()) {
                if (response.errorCode == 0)
                    response.errorCode = toInt(protocol::ErrorCode::SaslAuthenticationFailed);
                response.errorMessage = failure.toStdString();
            } else if (authenticated) {
                ++m_logins;
            }
            if (!down.writeFrame(responseFrame(apiKey, version, header->correlationId, response)) ||
                !failure.isEmpty())
                break; // Kafka closes the connection after a failed login
            continue;
        }
        if (!authenticated && apiKey != protocol::ApiVersionsRequest::apiKey)
            break; // Kafka closes a connection that skips the login
        if (apiKey == m_options.unansweredApi) {
            ++m_unanswered;
            while (!m_stopping && down.readFrame(frame)) {
            } // hangs: reads on, answers nothing, until the client or stop() closes it
            break;
        }
        if (m_options.onRequest)
            m_options.onRequest(apiKey, version, body);
        Bytes answer;
        if (!up.writeFrame(frame) || !up.readFrame(answer))
            break;
        ++m_forwarded;
        if (!down.writeFrame(rewrite(apiKey, version, std::move(answer))))
            break;
    }
    if (down.ssl)
        SSL_free(down.ssl);
    if (upFd >= 0)
        untrack(upFd);
    untrack(fd);
}

} // namespace faultline::testing
