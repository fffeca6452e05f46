// The embeddable sandbox: N brokers in this process on one I/O thread pool. Thread-safe facade;
// the cluster itself lives on its core strand.
#pragma once

#include "engine/broker/cluster.h"
#include "engine/storage/dir_lock.h"

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace faultline::broker {

class FramePool;
class Listener;

struct ClusterView {
    std::string clusterId;
    std::int32_t controllerId = -1;
    std::vector<BrokerInfo> brokers;
    std::size_t topics = 0;
    std::size_t partitions = 0;
};

class Engine {
public:
    // Opens the data dir, binds every broker's listener and starts the I/O threads. When it
    // returns, every broker accepts connections.
    [[nodiscard]] static std::expected<std::unique_ptr<Engine>, std::string> start(EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Stops listeners, answers nothing more, flushes logs, joins threads; removes a temporary data dir.
    void stop();

    [[nodiscard]] std::string bootstrapServers() const;
    [[nodiscard]] const std::filesystem::path& dataDir() const { return m_dataDir; }
    // A consistent snapshot taken on the core strand (do not call from it).
    [[nodiscard]] ClusterView view() const;
    // Runs fn on the core strand with the cluster (every broker's replicas and logs) and waits
    // for it; never call it from the strand. For in-process tools and tests that look deeper
    // than view().
    void inspect(const std::function<void(Cluster&)>& fn) const;

private:
    Engine() = default;
    std::unique_ptr<asio::io_context> m_io;
    std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
    std::unique_ptr<Cluster> m_cluster;
    std::vector<std::shared_ptr<Listener>> m_listeners;
    std::shared_ptr<FramePool> m_framePool; // request buffers of every connection
    std::vector<std::thread> m_threads;
    std::filesystem::path m_dataDir;
    std::optional<storage::DirectoryLock> m_dataDirLock; // held from open to the end of stop()
    bool m_temporaryDataDir = false;
    bool m_stopped = false;
    std::string m_bootstrap;
};

} // namespace faultline::broker
