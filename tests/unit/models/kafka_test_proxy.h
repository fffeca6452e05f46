// Test helper: a Kafka proxy on 127.0.0.1 in front of one engine broker, standing in for a secured
// cluster. It terminates TLS (OpenSSL, optionally requiring a client certificate), answers
// SaslHandshake and SaslAuthenticate itself (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 with one known
// user) and forwards every other request to the broker. Metadata, DescribeCluster and
// FindCoordinator answers are decoded and re-encoded with the proxy's own address, so a client
// only ever talks to the proxy. Threads of its own (one per connection, blocking I/O), so a
// synchronous client can call it from the test's thread.
#pragma once

#include <QString>
#include <QStringList>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

struct ssl_ctx_st;

namespace faultline::testing {

struct ProxyOptions {
    std::uint16_t upstreamPort = 0;                       // the engine broker's port
    QString advertisedHost = QStringLiteral("127.0.0.1"); // what Metadata and friends name
    QString certFile;       // TLS: server certificate chain (PEM); empty = plaintext
    QString keyFile;        // TLS: its key
    QString clientCaFile;   // TLS: clients must present a certificate signed by this CA
    QStringList mechanisms; // SASL mechanisms offered; empty = no SASL
    QByteArray user;
    QByteArray password;
    bool forgeServerSignature = false; // SCRAM: send a server-final signature that is wrong
    // API keys taken out of ApiVersions answers: the broker seems not to support them.
    std::vector<std::int16_t> hiddenApis;
    // A request with this API key is never answered, nor is anything after it on that
    // connection (a broker that hangs); -1: none.
    std::int16_t unansweredApi = -1;
    // Called (on the proxy's connection threads) with every request it forwards: API key,
    // version and the body after the request header.
    std::function<void(std::int16_t, std::int16_t, std::span<const std::uint8_t>)> onRequest;
};

class KafkaTestProxy {
public:
    explicit KafkaTestProxy(ProxyOptions options);
    ~KafkaTestProxy(); // stops listening, closes every connection, joins every thread
    KafkaTestProxy(const KafkaTestProxy&) = delete;
    KafkaTestProxy& operator=(const KafkaTestProxy&) = delete;

    // Listens on 127.0.0.1 (any free port). false with the reason in `error`.
    bool start(QString* error);
    [[nodiscard]] std::uint16_t port() const { return m_port; }
    [[nodiscard]] QString address() const;
    [[nodiscard]] int logins() const { return m_logins.load(); }         // successful SASL logins
    [[nodiscard]] int forwarded() const { return m_forwarded.load(); }   // requests sent upstream
    [[nodiscard]] int unanswered() const { return m_unanswered.load(); } // held (unansweredApi)
    // The server name (SNI) the last TLS client asked for; empty when it sent none.
    [[nodiscard]] QString lastServerName() const;

private:
    void acceptLoop();
    void serve(int fd);
    void track(int fd);
    void untrack(int fd);

    ProxyOptions m_options;
    ssl_ctx_st* m_ctx = nullptr;
    int m_listenFd = -1;
    std::uint16_t m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_logins{0};
    std::atomic<int> m_forwarded{0};
    std::atomic<int> m_unanswered{0};
    std::thread m_acceptor;
    mutable std::mutex m_mutex;
    std::vector<std::thread> m_threads; // guarded by m_mutex
    std::vector<int> m_open;            // sockets to shut down on stop; guarded by m_mutex
    QString m_serverName;               // guarded by m_mutex
};

} // namespace faultline::testing
