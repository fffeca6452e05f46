#include "engine/broker/control_server.h"

#include "engine/broker/engine.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace faultline::broker {

std::string clusterJson(const Engine& engine) {
    const ClusterView view = engine.view();
    nlohmann::json brokers = nlohmann::json::array();
    for (const auto& b : view.brokers) {
        brokers.push_back({{"id", b.id},
                           {"host", b.host},
                           {"port", b.port},
                           {"rack", b.rack},
                           {"fd", b.faultDomain},
                           {"ud", b.updateDomain},
                           {"state", brokerStateName(b.state)}});
    }
    nlohmann::json doc{{"clusterId", view.clusterId},
                       {"controller", view.controllerId},
                       {"topics", view.topics},
                       {"partitions", view.partitions},
                       {"brokers", brokers}};
    return doc.dump();
}

ControlServer::ControlServer(Engine& engine) : m_engine(engine) {}

ControlServer::~ControlServer() { stop(); }

std::expected<std::uint16_t, std::string> ControlServer::start(const std::string& address,
                                                               std::uint16_t port) {
    m_server = std::make_unique<httplib::Server>();
    m_server->Get("/v1/cluster", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(clusterJson(m_engine), "application/json");
    });
    m_server->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        nlohmann::json doc{{"error", "not found"}, {"path", req.path}};
        res.set_content(doc.dump(), "application/json");
    });
    int bound = port;
    if (port == 0) {
        bound = m_server->bind_to_any_port(address);
    } else if (!m_server->bind_to_port(address, port)) {
        bound = -1;
    }
    if (bound <= 0) {
        return std::unexpected("control endpoint cannot listen on " + address + ":" + std::to_string(port));
    }
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    // httplib's stop() does nothing until the listen loop has marked itself running; a stop()
    // before that (SIGTERM right after start) would leave the loop serving and join() hanging.
    // listen_after_bind sets the flag first thing, so this wait is short.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!m_server->is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return static_cast<std::uint16_t>(bound);
}

void ControlServer::stop() {
    if (m_server) {
        m_server->stop();
    }
    if (m_thread.joinable()) {
        m_thread.join();
    }
    m_server.reset();
}

} // namespace faultline::broker
