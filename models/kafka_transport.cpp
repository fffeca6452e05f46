#include "models/kafka_transport.h"

#include <QFile>
#include <QFileInfo>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace faultline::models {

namespace {

// Waits for `events` on fd until the deadline. false on timeout or error.
bool waitFor(int fd, short events, TransportClock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - TransportClock::now());
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

QString errnoText(int error) {
    return QString::fromLocal8Bit(std::strerror(error));
}

IoResult socketFailure(int error) {
    if (error == EPIPE || error == ECONNRESET)
        return IoResult{IoStatus::Closed, errnoText(error)};
    return IoResult{IoStatus::Error, errnoText(error)};
}

IoResult sendAll(int fd, std::span<const std::uint8_t> data, TransportClock::time_point deadline) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!waitFor(fd, POLLOUT, deadline))
                return IoResult{IoStatus::Timeout, {}};
            continue;
        }
        return socketFailure(errno);
    }
    return {};
}

// Reads at least one byte (at most data.size()) before the deadline; `got` says how many.
IoResult recvSome(int fd, std::span<std::uint8_t> data, std::size_t& got,
                  TransportClock::time_point deadline) {
    for (;;) {
        const ssize_t n = ::recv(fd, data.data(), data.size(), 0);
        if (n > 0) {
            got = static_cast<std::size_t>(n);
            return {};
        }
        if (n == 0)
            return IoResult{IoStatus::Closed, QStringLiteral("end of stream")};
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (!waitFor(fd, POLLIN, deadline))
                return IoResult{IoStatus::Timeout, {}};
            continue;
        }
        return socketFailure(errno);
    }
}

class PlainTransport final : public Transport {
public:
    explicit PlainTransport(SocketFd socket) : m_socket(std::move(socket)) {}
    IoResult write(std::span<const std::uint8_t> data,
                   TransportClock::time_point deadline) override {
        return sendAll(m_socket.get(), data, deadline);
    }
    IoResult read(std::span<std::uint8_t> data, TransportClock::time_point deadline) override {
        std::size_t done = 0;
        while (done < data.size()) {
            std::size_t got = 0;
            IoResult r = recvSome(m_socket.get(), data.subspan(done), got, deadline);
            if (!r.ok())
                return r;
            done += got;
        }
        return {};
    }
    bool encrypted() const override { return false; }

private:
    SocketFd m_socket;
};

// OpenSSL's reason for the oldest error on this thread's queue (the most specific one), with the
// certificate verification detail when verification failed.
QString tlsReason(SSL* ssl, unsigned long error) {
    if (error == 0)
        return QStringLiteral("TLS error without a reason");
    const char* reason = ERR_reason_error_string(error);
    QString text;
    if (reason) {
        text = QString::fromLatin1(reason);
    } else {
        std::array<char, 256> buffer{};
        ERR_error_string_n(error, buffer.data(), buffer.size());
        text = QString::fromLatin1(buffer.data());
    }
    if (ERR_GET_LIB(error) == ERR_LIB_SSL &&
        ERR_GET_REASON(error) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        const long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
            text +=
                QStringLiteral(": ") + QString::fromLatin1(X509_verify_cert_error_string(verify));
    }
    return text;
}

// Errors that mean "the peer does not speak TLS at all".
bool peerIsNotTls(unsigned long error) {
    if (ERR_GET_LIB(error) != ERR_LIB_SSL)
        return false;
    switch (ERR_GET_REASON(error)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return true;
    default:
        return false;
    }
}

// TLS over memory BIOs: OpenSSL never touches the socket, this class moves the bytes (with
// MSG_NOSIGNAL, non-blocking, bounded by the caller's deadline).
class TlsTransport final : public Transport {
public:
    TlsTransport(SocketFd socket, SSL* ssl) : m_socket(std::move(socket)), m_ssl(ssl) {
        m_in = BIO_new(BIO_s_mem());
        m_out = BIO_new(BIO_s_mem());
        SSL_set_bio(m_ssl, m_in, m_out); // the SSL owns both BIOs from here
    }
    ~TlsTransport() override { SSL_free(m_ssl); }
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;

    IoResult handshake(TransportClock::time_point deadline) {
        SSL_set_connect_state(m_ssl);
        return drive([this] { return SSL_do_handshake(m_ssl); }, deadline);
    }

    IoResult write(std::span<const std::uint8_t> data,
                   TransportClock::time_point deadline) override {
        std::size_t done = 0;
        while (done < data.size()) {
            std::size_t written = 0;
            IoResult r = drive(
                [&] {
                    return SSL_write_ex(m_ssl, data.data() + done, data.size() - done, &written);
                },
                deadline);
            if (!r.ok())
                return r;
            done += written;
        }
        return {};
    }

    IoResult read(std::span<std::uint8_t> data, TransportClock::time_point deadline) override {
        std::size_t done = 0;
        while (done < data.size()) {
            std::size_t got = 0;
            IoResult r = drive(
                [&] { return SSL_read_ex(m_ssl, data.data() + done, data.size() - done, &got); },
                deadline);
            if (!r.ok())
                return r;
            done += got;
        }
        return {};
    }

    bool encrypted() const override { return true; }

private:
    // Runs `op` until it succeeds: sends what OpenSSL produced, feeds it what the socket holds.
    template <typename Op> IoResult drive(Op op, TransportClock::time_point deadline) {
        for (;;) {
            ERR_clear_error();
            const int rc = op();
            const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(m_ssl, rc);
            const unsigned long queued = ERR_peek_error();
            IoResult flushed = flush(deadline); // handshake records, or an alert before failing
            if (error == SSL_ERROR_NONE)
                return flushed;
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (!flushed.ok())
                    return flushed;
                if (error == SSL_ERROR_WANT_READ) {
                    IoResult filled = fill(deadline);
                    if (!filled.ok())
                        return filled;
                }
                continue;
            }
            IoResult failed{IoStatus::Error, {}};
            failed.tls = true;
            if (error == SSL_ERROR_ZERO_RETURN) {
                failed.status = IoStatus::Closed;
                failed.detail = QStringLiteral("the peer ended the TLS session");
            } else {
                failed.detail = tlsReason(m_ssl, queued);
                failed.notTls = peerIsNotTls(queued);
            }
            ERR_clear_error();
            return failed;
        }
    }

    IoResult flush(TransportClock::time_point deadline) {
        std::array<std::uint8_t, 16 * 1024> buffer{};
        while (BIO_ctrl_pending(m_out) > 0) {
            const int n = BIO_read(m_out, buffer.data(), static_cast<int>(buffer.size()));
            if (n <= 0)
                break;
            IoResult r =
                sendAll(m_socket.get(),
                        std::span<const std::uint8_t>(buffer.data(), std::size_t(n)), deadline);
            if (!r.ok())
                return r;
        }
        return {};
    }

    IoResult fill(TransportClock::time_point deadline) {
        std::array<std::uint8_t, 16 * 1024> buffer{};
        std::size_t got = 0;
        IoResult r = recvSome(m_socket.get(), buffer, got, deadline);
        if (!r.ok())
            return r;
        BIO_write(m_in, buffer.data(), static_cast<int>(got));
        return {};
    }

    SocketFd m_socket;
    SSL* m_ssl = nullptr;
    BIO* m_in = nullptr;
    BIO* m_out = nullptr;
};

bool isIpAddress(const QByteArray& host) {
    std::array<unsigned char, sizeof(in6_addr)> buffer{};
    return ::inet_pton(AF_INET, host.constData(), buffer.data()) == 1 ||
           ::inet_pton(AF_INET6, host.constData(), buffer.data()) == 1;
}

QString oldestTlsError() {
    const unsigned long error = ERR_peek_error();
    QString text;
    if (error != 0) {
        const char* reason = ERR_reason_error_string(error);
        text = reason ? QString::fromLatin1(reason) : QStringLiteral("error %1").arg(error);
    } else {
        text = QStringLiteral("unknown reason");
    }
    ERR_clear_error();
    return text;
}

ClientError configError(QString message) {
    return ClientError{QStringLiteral("SSL_CONFIG_INVALID"), std::move(message)};
}

int keyPasswordCallback(char* buffer, int size, int, void* userdata) {
    const auto* password = static_cast<const QByteArray*>(userdata);
    if (!password || password->isEmpty() || password->size() > size)
        return 0;
    std::memcpy(buffer, password->constData(), static_cast<std::size_t>(password->size()));
    return static_cast<int>(password->size());
}

std::expected<bool, ClientError> booleanProperty(const QMap<QString, QString>& extras,
                                                 const QString& key, bool fallback) {
    if (!extras.contains(key))
        return fallback;
    const QString value = extras.value(key).trimmed().toLower();
    if (value == QLatin1String("true"))
        return true;
    if (value == QLatin1String("false"))
        return false;
    return std::unexpected(configError(
        QStringLiteral("%1 must be true or false, not '%2'").arg(key, extras.value(key))));
}

} // namespace

SocketFd& SocketFd::operator=(SocketFd&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

SocketFd::~SocketFd() {
    if (m_fd >= 0)
        ::close(m_fd);
}

ClientResult<SocketFd> connectTcp(const QString& host, int port,
                                  TransportClock::time_point deadline,
                                  std::chrono::milliseconds budget) {
    const QString label = QStringLiteral("%1:%2").arg(host).arg(port);
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
        SocketFd socket(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                 ai->ai_protocol));
        if (socket.get() < 0)
            continue;
        int one = 1;
        ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const int rc = ::connect(socket.get(), ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) {
            lastError = errnoText(errno);
            continue;
        }
        if (rc < 0) {
            if (!waitFor(socket.get(), POLLOUT, deadline)) {
                timedOut = true;
                lastError = QStringLiteral("no answer within %1 ms").arg(budget.count());
                continue;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                lastError = errnoText(err);
                continue;
            }
        }
        return socket;
    }
    return std::unexpected(
        ClientError{timedOut ? QStringLiteral("TIMEOUT") : QStringLiteral("CONNECTION_FAILED"),
                    QStringLiteral("cannot connect to %1: %2").arg(label, lastError)});
}

bool speaksTls(const QString& host, int port, TransportClock::time_point deadline,
               std::chrono::milliseconds budget) {
    auto socket = connectTcp(host, port, deadline, budget);
    if (!socket)
        return false;
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          &SSL_CTX_free);
    SSL* ssl = ctx ? SSL_new(ctx.get()) : nullptr;
    if (!ssl)
        return false;
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr); // any certificate: only the protocol matters
    TlsTransport probe(std::move(*socket), ssl);
    const IoResult r = probe.handshake(deadline);
    ERR_clear_error();
    return r.ok() || (r.status == IoStatus::Error && r.tls && !r.notTls);
}

std::unique_ptr<Transport> plainTransport(SocketFd socket) {
    return std::make_unique<PlainTransport>(std::move(socket));
}

ClientResult<TlsSettings> TlsSettings::fromProfile(const ConnectionProfile& profile) {
    const auto& extras = profile.extraProperties;
    TlsSettings settings;
    settings.caLocation = extras.value(QStringLiteral("ssl.ca.location"), profile.caFile).trimmed();
    settings.certFile =
        extras.value(QStringLiteral("ssl.certificate.location"), profile.certFile).trimmed();
    settings.keyFile = extras.value(QStringLiteral("ssl.key.location"), profile.keyFile).trimmed();
    settings.keyPassword = extras.value(QStringLiteral("ssl.key.password"));
    const QString algorithmKey = QStringLiteral("ssl.endpoint.identification.algorithm");
    if (extras.contains(algorithmKey)) {
        const QString algorithm = extras.value(algorithmKey).trimmed().toLower();
        if (algorithm == QLatin1String("none") || algorithm.isEmpty())
            settings.verifyHostname = false;
        else if (algorithm != QLatin1String("https"))
            return std::unexpected(configError(QStringLiteral("%1 must be https or none, not '%2'")
                                                   .arg(algorithmKey, extras.value(algorithmKey))));
    }
    auto verify =
        booleanProperty(extras, QStringLiteral("enable.ssl.certificate.verification"), true);
    if (!verify)
        return std::unexpected(verify.error());
    settings.verifyCertificate = *verify;
    if (settings.certFile.isEmpty() != settings.keyFile.isEmpty())
        return std::unexpected(configError(
            settings.certFile.isEmpty()
                ? QStringLiteral("ssl.key.location is set but ssl.certificate.location is not")
                : QStringLiteral("ssl.certificate.location is set but ssl.key.location is not")));
    return settings;
}

ClientResult<std::shared_ptr<TlsContext>> TlsContext::create(const TlsSettings& settings) {
    std::shared_ptr<TlsContext> context(new TlsContext);
    context->m_settings = settings;
    ERR_clear_error();
    context->m_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX* ctx = context->m_ctx;
    if (!ctx)
        return std::unexpected(
            configError(QStringLiteral("cannot create a TLS context: %1").arg(oldestTlsError())));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, settings.verifyCertificate ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       nullptr);

    if (settings.caLocation.isEmpty()) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return std::unexpected(configError(
                QStringLiteral("cannot load the system's trust store: %1").arg(oldestTlsError())));
    } else {
        const QFileInfo info(settings.caLocation);
        if (!info.exists())
            return std::unexpected(configError(
                QStringLiteral("ssl.ca.location %1 does not exist").arg(settings.caLocation)));
        const QByteArray path = QFile::encodeName(settings.caLocation);
        const int loaded = info.isDir()
                               ? SSL_CTX_load_verify_locations(ctx, nullptr, path.constData())
                               : SSL_CTX_load_verify_locations(ctx, path.constData(), nullptr);
        if (loaded != 1)
            return std::unexpected(configError(QStringLiteral("cannot load ssl.ca.location %1: %2")
                                                   .arg(settings.caLocation, oldestTlsError())));
    }

    if (!settings.certFile.isEmpty()) {
        const QByteArray certPath = QFile::encodeName(settings.certFile);
        if (SSL_CTX_use_certificate_chain_file(ctx, certPath.constData()) != 1)
            return std::unexpected(
                configError(QStringLiteral("cannot load ssl.certificate.location %1: %2")
                                .arg(settings.certFile, oldestTlsError())));
        const QByteArray password = settings.keyPassword.toUtf8();
        SSL_CTX_set_default_passwd_cb(ctx, &keyPasswordCallback);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<QByteArray*>(&password));
        const QByteArray keyPath = QFile::encodeName(settings.keyFile);
        const int keyLoaded =
            SSL_CTX_use_PrivateKey_file(ctx, keyPath.constData(), SSL_FILETYPE_PEM);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr); // `password` dies here
        if (keyLoaded != 1) {
            const unsigned long error = ERR_peek_error();
            if (ERR_GET_LIB(error) == ERR_LIB_X509 &&
                ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH) {
                ERR_clear_error();
                return std::unexpected(
                    configError(QStringLiteral("ssl.key.location %1 does not belong to "
                                               "ssl.certificate.location %2")
                                    .arg(settings.keyFile, settings.certFile)));
            }
            QString reason = oldestTlsError();
            QFile keyFile(settings.keyFile);
            if (!keyFile.exists()) {
                reason = QStringLiteral("no such file");
            } else if (keyFile.open(QIODevice::ReadOnly) &&
                       keyFile.read(64 * 1024).contains("ENCRYPTED")) {
                reason +=
                    settings.keyPassword.isEmpty()
                        ? QStringLiteral(" (the key is encrypted: set ssl.key.password)")
                        : QStringLiteral(" (the key is encrypted: is ssl.key.password right?)");
            }
            return std::unexpected(configError(QStringLiteral("cannot load ssl.key.location %1: %2")
                                                   .arg(settings.keyFile, reason)));
        }
        if (SSL_CTX_check_private_key(ctx) != 1)
            return std::unexpected(configError(
                QStringLiteral("ssl.key.location %1 does not belong to ssl.certificate.location %2")
                    .arg(settings.keyFile, settings.certFile)));
    }
    ERR_clear_error();
    return context;
}

TlsContext::~TlsContext() {
    SSL_CTX_free(m_ctx);
}

ClientResult<std::unique_ptr<Transport>>
TlsContext::handshake(SocketFd socket, const QString& host, int port,
                      TransportClock::time_point deadline, std::chrono::milliseconds budget) const {
    const QString label = QStringLiteral("%1:%2").arg(host).arg(port);
    const auto failed = [&](QString reason) {
        return std::unexpected(ClientError{
            QStringLiteral("SSL_HANDSHAKE_FAILED"),
            QStringLiteral("TLS handshake with %1 failed: %2").arg(label, std::move(reason))});
    };
    ERR_clear_error();
    SSL* ssl = SSL_new(m_ctx);
    if (!ssl)
        return failed(oldestTlsError());
    auto transport = std::make_unique<TlsTransport>(std::move(socket), ssl);

    const QByteArray hostBytes = host.toUtf8();
    const bool ip = isIpAddress(hostBytes);
    if (!ip && !hostBytes.isEmpty()) // SNI carries names only (RFC 6066)
        SSL_set_tlsext_host_name(ssl, hostBytes.constData());
    if (m_settings.verifyCertificate && m_settings.verifyHostname) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (ip) {
            X509_VERIFY_PARAM_set1_ip_asc(param, hostBytes.constData());
        } else {
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            X509_VERIFY_PARAM_set1_host(param, hostBytes.constData(),
                                        static_cast<std::size_t>(hostBytes.size()));
        }
    }

    const IoResult r = transport->handshake(deadline);
    switch (r.status) {
    case IoStatus::Ok:
        return std::unique_ptr<Transport>(std::move(transport));
    case IoStatus::Timeout:
        return std::unexpected(
            ClientError{QStringLiteral("TIMEOUT"),
                        QStringLiteral("TLS handshake with %1 did not finish within %2 ms")
                            .arg(label)
                            .arg(budget.count())});
    case IoStatus::Closed:
        if (!r.tls)
            return failed(QStringLiteral("the server closed the connection during the handshake "
                                         "(is it a PLAINTEXT or SASL_PLAINTEXT listener?)"));
        return failed(r.detail);
    case IoStatus::Error:
        break;
    }
    if (r.notTls)
        return failed(r.detail +
                      QStringLiteral(" (the server does not speak TLS: is it a PLAINTEXT or "
                                     "SASL_PLAINTEXT listener?)"));
    return failed(r.detail);
}

} // namespace faultline::models
