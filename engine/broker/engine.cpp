#include "engine/broker/engine.h"

#include "engine/broker/network/frame_pool.h"
#include "engine/broker/network/listener.h"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdlib>
#include <future>

namespace faultline::broker {

namespace fs = std::filesystem;

namespace {
// Every replica keeps its active segment's .log open (older segments share a bounded pool, see
// EngineOptions::segmentFiles): a sandbox with a thousand partitions at RF 3 passes the common
// soft limit of 1024. Raise the soft limit to the hard one, as Kafka's packaging does.
void raiseFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            spdlog::warn("cannot raise the open file limit to {}", limit.rlim_max);
        }
    }
}
} // namespace

std::expected<std::unique_ptr<Engine>, std::string> Engine::start(EngineOptions options) {
    if (options.brokers < 1) {
        return std::unexpected("at least one broker is needed");
    }
    raiseFileLimit();
    std::unique_ptr<Engine> engine(new Engine());
    if (options.dataDir.empty()) {
        std::string pattern = (fs::temp_directory_path() / "faultline-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            return std::unexpected("cannot create a temporary data dir");
        }
        options.dataDir = pattern;
        engine->m_temporaryDataDir = true;
    }
    engine->m_dataDir = options.dataDir;
    // Before anything reads or writes it: a second engine on the same dir would recover,
    // retain and mark as cleanly shut down the first one's live logs.
    auto locked = storage::DirectoryLock::acquire(engine->m_dataDir);
    if (!locked) {
        return std::unexpected(locked.error());
    }
    engine->m_dataDirLock = std::move(*locked);
    const std::string address = options.listenAddress;
    const std::uint16_t basePort = options.basePort;
    const int threads = std::max(1, options.ioThreads);
    engine->m_io = std::make_unique<asio::io_context>(threads);
    engine->m_work = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        engine->m_io->get_executor());
    engine->m_cluster = std::make_unique<Cluster>(*engine->m_io, std::move(options));
    if (auto opened = engine->m_cluster->open(); !opened) {
        return std::unexpected(opened.error().message);
    }
    engine->m_framePool = FramePool::create();
    std::string bootstrap;
    for (const auto& b : engine->m_cluster->brokers()) {
        auto listener = std::make_shared<Listener>(*engine->m_io, *engine->m_cluster, b.id,
                                                   engine->m_framePool);
        const std::uint16_t port =
            basePort == 0 ? 0 : static_cast<std::uint16_t>(basePort + (b.id - 1));
        auto bound = listener->start(address, port);
        if (!bound) {
            for (auto& l : engine->m_listeners) {
                l->stop();
            }
            engine->m_cluster->close();
            return std::unexpected(bound.error());
        }
        engine->m_cluster->setBrokerPort(b.id, *bound);
        engine->m_listeners.push_back(listener);
        if (!bootstrap.empty()) {
            bootstrap += ",";
        }
        bootstrap += address + ":" + std::to_string(*bound);
        spdlog::info("broker {} ({}) listening on {}:{}", b.id, b.rack, address, *bound);
    }
    engine->m_bootstrap = bootstrap;
    for (int i = 0; i < threads; ++i) {
        engine->m_threads.emplace_back([io = engine->m_io.get()] { io->run(); });
    }
    return engine;
}

Engine::~Engine() { stop(); }

void Engine::stop() {
    if (m_stopped || !m_io) {
        return;
    }
    m_stopped = true;
    for (auto& l : m_listeners) {
        l->stop();
    }
    if (m_framePool) {
        const auto pool = m_framePool->stats();
        spdlog::debug("request buffers: {} reused, {} allocated, {} KiB cached", pool.reused,
                     pool.allocated, pool.cachedBytes / 1024);
    }
    if (!m_threads.empty()) {
        std::promise<void> closed;
        asio::post(m_cluster->strand(), [this, &closed] {
            m_cluster->close();
            closed.set_value();
        });
        closed.get_future().wait();
    } else {
        m_cluster->close();
    }
    m_work.reset();
    m_io->stop();
    for (auto& t : m_threads) {
        t.join();
    }
    m_threads.clear();
    m_listeners.clear();
    m_cluster.reset();
    m_io.reset();
    m_dataDirLock.reset();
    if (m_temporaryDataDir) {
        std::error_code ec;
        fs::remove_all(m_dataDir, ec);
    }
    spdlog::info("engine stopped");
}

std::string Engine::bootstrapServers() const { return m_bootstrap; }

void Engine::inspect(const std::function<void(Cluster&)>& fn) const {
    std::promise<void> done;
    asio::post(m_cluster->strand(), [this, &fn, &done] {
        fn(*m_cluster);
        done.set_value();
    });
    done.get_future().wait();
}

ClusterView Engine::view() const {
    ClusterView v;
    inspect([&v](Cluster& cluster) {
        v.clusterId = cluster.clusterId();
        v.controllerId = cluster.controllerId();
        v.brokers = cluster.brokers();
        v.topics = cluster.topics().size();
        for (const auto& [name, t] : cluster.topics()) {
            v.partitions += t.partitions.size();
        }
    });
    return v;
}

} // namespace faultline::broker
