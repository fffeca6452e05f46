// How KafkaClient's bytes reach a broker: a non-blocking TCP socket, used as is (PLAINTEXT,
// SASL_PLAINTEXT) or wrapped in TLS with OpenSSL (SSL, SASL_SSL). Every call is bounded by a
// deadline; nothing blocks past it. A transport belongs to one connection on one thread.
#pragma once

#include "models/client_error.h"
#include "models/connection_profile.h"

#include <QString>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

struct ssl_ctx_st; // OpenSSL's SSL_CTX, kept out of this header

namespace faultline::models {

using TransportClock = std::chrono::steady_clock;

enum class IoStatus { Ok, Timeout, Closed, Error };

struct IoResult {
    IoStatus status = IoStatus::Ok;
    QString detail;   // Error: the system's or TLS's reason ("tlsv13 alert certificate required")
    bool tls = false; // the failure came from the TLS layer (an alert, a bad record)
    bool notTls = false; // the peer answered a TLS handshake with something that is not TLS
    [[nodiscard]] bool ok() const { return status == IoStatus::Ok; }
};

class Transport {
public:
    virtual ~Transport() = default;
    // Sends every byte / fills the whole buffer before the deadline.
    [[nodiscard]] virtual IoResult write(std::span<const std::uint8_t> data,
                                         TransportClock::time_point deadline) = 0;
    [[nodiscard]] virtual IoResult read(std::span<std::uint8_t> data,
                                        TransportClock::time_point deadline) = 0;
    [[nodiscard]] virtual bool encrypted() const = 0;
};

// An owned socket descriptor (closed on destruction).
class SocketFd {
public:
    SocketFd() = default;
    explicit SocketFd(int fd) : m_fd(fd) {}
    SocketFd(SocketFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    SocketFd& operator=(SocketFd&& other) noexcept;
    SocketFd(const SocketFd&) = delete;
    SocketFd& operator=(const SocketFd&) = delete;
    ~SocketFd();
    [[nodiscard]] int get() const { return m_fd; }

private:
    int m_fd = -1;
};

// A TCP connection to host:port (each resolved address in turn) before the deadline; `budget` is
// the configured timeout, for the message. CONNECTION_FAILED or TIMEOUT.
[[nodiscard]] ClientResult<SocketFd> connectTcp(const QString& host, int port,
                                                TransportClock::time_point deadline,
                                                std::chrono::milliseconds budget);

[[nodiscard]] std::unique_ptr<Transport> plainTransport(SocketFd socket);

// Whether host:port answers a TLS handshake (a new connection; certificates are not checked and
// nothing follows the handshake). Tells a TLS listener that silently dropped a plaintext request
// from a server that is not Kafka at all.
[[nodiscard]] bool speaksTls(const QString& host, int port, TransportClock::time_point deadline,
                             std::chrono::milliseconds budget);

// What TLS checks and presents. From the profile's fields and its librdkafka-style extras, which
// win as they do in librdkafka: ssl.ca.location, ssl.certificate.location, ssl.key.location,
// ssl.key.password, ssl.endpoint.identification.algorithm (https | none) and
// enable.ssl.certificate.verification (true | false).
struct TlsSettings {
    QString caLocation;            // PEM file or directory; empty = the system's trust store
    QString certFile;              // client certificate chain (PEM), for mutual TLS
    QString keyFile;               // its private key (PEM)
    QString keyPassword;           // for an encrypted key
    bool verifyCertificate = true; // the server's chain against the trust store
    bool verifyHostname = true;    // the server's certificate names the host (or IP) we dialled

    [[nodiscard]] static ClientResult<TlsSettings> fromProfile(const ConnectionProfile& profile);
};

// One OpenSSL client context: the trust store, the client certificate and key, loaded once.
class TlsContext {
public:
    // SSL_CONFIG_INVALID naming the property, the file and OpenSSL's reason when one does not load.
    [[nodiscard]] static ClientResult<std::shared_ptr<TlsContext>>
    create(const TlsSettings& settings);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // The TLS handshake on a connected socket before the deadline: SNI for host names, the
    // certificate checked against `host` (a name or an IP address) unless disabled.
    // SSL_HANDSHAKE_FAILED with OpenSSL's reason ("certificate verify failed: self-signed
    // certificate"), TIMEOUT when the server stays silent.
    [[nodiscard]] ClientResult<std::unique_ptr<Transport>>
    handshake(SocketFd socket, const QString& host, int port, TransportClock::time_point deadline,
              std::chrono::milliseconds budget) const;

private:
    TlsContext() = default;
    ssl_ctx_st* m_ctx = nullptr;
    TlsSettings m_settings;
};

} // namespace faultline::models
