// The sandbox's control endpoint: loopback HTTP on its own thread. GET /v1/cluster answers JSON
// {controller, clusterId, brokers: [{id, host, port, rack, fd, ud, state}]}.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace faultline::broker {

class Engine;

class ControlServer {
public:
    explicit ControlServer(Engine& engine);
    ~ControlServer();
    [[nodiscard]] std::expected<std::uint16_t, std::string> start(const std::string& address, std::uint16_t port);
    void stop();

private:
    Engine& m_engine;
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
};

// The JSON document of GET /v1/cluster.
[[nodiscard]] std::string clusterJson(const Engine& engine);

} // namespace faultline::broker
