// A broker's TCP listener and its connections. Socket I/O runs on the I/O pool (one strand per
// connection); requests are handed to the core strand in arrival order and answered in that order
// (pipelining: later requests may be handled while an earlier one waits, answers never overtake).
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace faultline::broker {

class Cluster;
class Connection;
class FramePool;

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // framePool: where connections get their request buffers (shared by every broker).
    Listener(asio::io_context& io, Cluster& cluster, std::int32_t brokerId,
             std::shared_ptr<FramePool> framePool);
    ~Listener();

    // Binds and starts accepting; returns the bound port.
    [[nodiscard]] std::expected<std::uint16_t, std::string> start(const std::string& address,
                                                                  std::uint16_t port);
    // Stops accepting and closes every connection (broker stop / engine shutdown).
    void stop();
    [[nodiscard]] std::uint16_t port() const { return m_port; }

    void forget(const std::shared_ptr<Connection>& connection);

private:
    void accept();

    asio::io_context& m_io;
    Cluster& m_cluster;
    std::int32_t m_brokerId;
    std::shared_ptr<FramePool> m_framePool;
    asio::ip::tcp::acceptor m_acceptor;
    std::uint16_t m_port = 0;
    std::mutex m_mutex;
    int m_acceptBackoffMs = 0; // touched only by the accept chain (one handler at a time)
    std::set<std::shared_ptr<Connection>> m_connections;
    bool m_stopped = false;
};

} // namespace faultline::broker
