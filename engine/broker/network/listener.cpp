#include "engine/broker/network/listener.h"

#include "engine/broker/network/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace faultline::broker {

Listener::Listener(asio::io_context& io, Cluster& cluster, std::int32_t brokerId,
                   std::shared_ptr<FramePool> framePool)
    : m_io(io), m_cluster(cluster), m_brokerId(brokerId), m_framePool(std::move(framePool)),
      m_acceptor(asio::make_strand(io)) {}

Listener::~Listener() = default;

std::expected<std::uint16_t, std::string> Listener::start(const std::string& address,
                                                          std::uint16_t port) {
    std::error_code ec;
    auto ip = asio::ip::make_address(address, ec);
    if (ec) {
        return std::unexpected("invalid listen address '" + address + "': " + ec.message());
    }
    asio::ip::tcp::endpoint endpoint(ip, port);
    m_acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        m_acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        m_acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return std::unexpected("broker " + std::to_string(m_brokerId) + " cannot listen on " +
                               address + ":" + std::to_string(port) + ": " + ec.message());
    }
    m_port = m_acceptor.local_endpoint().port();
    {
        std::lock_guard lock(m_mutex);
        m_stopped = false;
    }
    accept();
    return m_port;
}

void Listener::accept() {
    m_acceptor.async_accept(m_io, [self = shared_from_this()](std::error_code ec,
                                                        asio::ip::tcp::socket socket) {
        if (ec) {
            {
                std::lock_guard lock(self->m_mutex);
                if (self->m_stopped || !self->m_acceptor.is_open() ||
                    ec == asio::error::operation_aborted) {
                    return;
                }
            }
            // Out of file descriptors (EMFILE) and the like: the pending connection stays in the
            // backlog, so accepting again at once would fail again in a tight loop. Back off (100
            // ms doubling to 2 s) and log once per backoff, not once per attempt.
            self->m_acceptBackoffMs = std::min(self->m_acceptBackoffMs == 0 ? 100 : self->m_acceptBackoffMs * 2, 2000);
            spdlog::warn("broker {}: accept failed: {}; retrying in {} ms", self->m_brokerId,
                         ec.message(), self->m_acceptBackoffMs);
            auto timer = std::make_shared<asio::steady_timer>(
                self->m_io, std::chrono::milliseconds(self->m_acceptBackoffMs));
            timer->async_wait([self, timer](std::error_code) { self->accept(); });
            return;
        } else {
            self->m_acceptBackoffMs = 0;
            auto connection = std::make_shared<Connection>(std::move(socket), self->m_cluster,
                                                           self->m_brokerId, self, self->m_framePool);
            {
                std::lock_guard lock(self->m_mutex);
                if (self->m_stopped) {
                    return;
                }
                self->m_connections.insert(connection);
            }
            connection->start();
        }
        self->accept();
    });
}

void Listener::stop() {
    std::set<std::shared_ptr<Connection>> connections;
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        connections.swap(m_connections);
    }
    asio::post(m_acceptor.get_executor(), [self = shared_from_this()] {
        std::error_code ec;
        self->m_acceptor.close(ec);
    });
    for (const auto& connection : connections) {
        connection->close();
    }
}

void Listener::forget(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(m_mutex);
    m_connections.erase(connection);
}

} // namespace faultline::broker
