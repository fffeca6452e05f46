// bench_engine: figures of faultline-engine against librdkafka's in-memory mock cluster, measured
// with the same client (librdkafka, C API) on the same machine in one run.
//
// Every figure is printed as one line:
//   <name>: engine=<value> <unit> mock=<value> <unit> ratio=<engine/mock> target=<text> <verdict>
// Lines starting with '#' are progress, details and errors. README.md says what each figure means.

#include "engine/protocol/error_code.h"
#include "tests/bench/line_reader.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace faultline::bench {
namespace {

namespace fs = std::filesystem;
using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

template <typename T>
using Result = std::expected<T, Error>;

constexpr std::size_t kRecordBytes = 1024;
constexpr int kBrokers = 3;
constexpr auto kRunLimit = 60s;
constexpr auto kStepTimeout = 30s;
constexpr std::size_t kWarmupRecords = 200;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;
constexpr int kLatencyRate = 10'000;
constexpr auto kLatencyDuration = 5s;
constexpr int kStartRepeats = 5;

// ---------------------------------------------------------------------------------------------
// Small helpers

Error benchError(std::string what) {
    return makeError(ErrorCode::UnknownServerError, std::move(what));
}

Error rdError(rd_kafka_resp_err_t err, const std::string& what) {
    // Kafka's own codes are positive and match ErrorCode; librdkafka's local ones are negative.
    const auto code = static_cast<int>(err) > 0 ? static_cast<ErrorCode>(err)
                                                : ErrorCode::UnknownServerError;
    return makeError(code, what + ": " + rd_kafka_err2str(err));
}

std::mutex g_outputMutex;

void note(const std::string& text) {
    std::lock_guard lock(g_outputMutex);
    std::printf("# %s\n", text.c_str());
    std::fflush(stdout);
}

std::string formatNumber(double value) {
    char buffer[64];
    const double magnitude = value < 0 ? -value : value;
    const int decimals = magnitude >= 1000 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

double secondsBetween(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

double millisBetween(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

const std::array<char, kRecordBytes>& payload() {
    static const std::array<char, kRecordBytes> bytes = [] {
        std::array<char, kRecordBytes> filled{};
        std::uint32_t state = 0x9e3779b9u;  // xorshift: incompressible, deterministic
        for (char& c : filled) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            c = static_cast<char>(state & 0xffu);
        }
        return filled;
    }();
    return bytes;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double q) {
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// ---------------------------------------------------------------------------------------------
// librdkafka handles

struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct TopicDeleter {
    void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};
struct QueueDeleter {
    void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

using Settings = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] Result<Handle> makeClient(rd_kafka_type_t type, const std::string& bootstrap,
                                        const Settings& settings,
                                        const std::function<void(rd_kafka_conf_t*)>& tweak = {}) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& key, const std::string& value) -> Result<void> {
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            return std::unexpected(benchError("config " + key + "=" + value + ": " + errstr));
        }
        return {};
    };
    Result<void> ok = bootstrap.empty() ? Result<void>{} : set("bootstrap.servers", bootstrap);
    for (const auto& [key, value] : settings) {
        if (ok) {
            ok = set(key, value);
        }
    }
    if (const char* debug = std::getenv("FAULTLINE_BENCH_RDKAFKA_DEBUG"); debug && ok) {
        ok = set("debug", debug);  // librdkafka debug contexts, e.g. "fetch,protocol"
    }
    if (!ok) {
        rd_kafka_conf_destroy(conf);
        return std::unexpected(ok.error());
    }
    if (tweak) {
        tweak(conf);
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        return std::unexpected(benchError(std::string("rd_kafka_new: ") + errstr));
    }
    return Handle(rk);
}

// ---------------------------------------------------------------------------------------------
// Spawned processes: a registry the watchdog can kill, and the watchdog itself.

class ProcessRegistry {
public:
    static ProcessRegistry& instance() {
        static ProcessRegistry registry;
        return registry;
    }

    void add(pid_t pid, const fs::path& root) {
        std::lock_guard lock(m_mutex);
        m_children[pid] = root;
    }

    void remove(pid_t pid) {
        std::lock_guard lock(m_mutex);
        m_children.erase(pid);
    }

    // Last resort (watchdog): kill every child and remove its directory.
    void killAll() {
        std::lock_guard lock(m_mutex);
        for (const auto& [pid, root] : m_children) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            std::error_code ignored;
            fs::remove_all(root, ignored);
        }
        m_children.clear();
    }

private:
    std::mutex m_mutex;
    std::map<pid_t, fs::path> m_children;
};

class Watchdog {
public:
    explicit Watchdog(std::chrono::seconds limit) : m_limit(limit), m_thread([this] { loop(); }) {}

    ~Watchdog() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }

    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void arm(std::string run) {
        {
            std::lock_guard lock(m_mutex);
            m_run = std::move(run);
            m_deadline = Clock::now() + m_limit;
        }
        m_cv.notify_all();
    }

    void disarm() {
        {
            std::lock_guard lock(m_mutex);
            m_deadline.reset();
        }
        m_cv.notify_all();
    }

private:
    void loop() {
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            if (!m_deadline) {
                m_cv.wait(lock);
                continue;
            }
            if (Clock::now() < *m_deadline) {
                m_cv.wait_until(lock, *m_deadline);
                continue;
            }
            {
                std::lock_guard out(g_outputMutex);
                std::printf("# ABORT: run '%s' exceeded %lld s; killing spawned processes\n",
                            m_run.c_str(), static_cast<long long>(m_limit.count()));
                std::fflush(stdout);
                std::fprintf(stderr, "bench_engine: run '%s' exceeded %lld s, aborting\n",
                             m_run.c_str(), static_cast<long long>(m_limit.count()));
            }
            ProcessRegistry::instance().killAll();
            std::_Exit(3);
        }
    }

    std::chrono::seconds m_limit;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::string m_run;
    std::optional<Clock::time_point> m_deadline;
    bool m_stop = false;
    std::thread m_thread;
};

class ArmedRun {
public:
    ArmedRun(Watchdog& watchdog, std::string run) : m_watchdog(watchdog) {
        m_watchdog.arm(std::move(run));
    }
    ~ArmedRun() { m_watchdog.disarm(); }
    ArmedRun(const ArmedRun&) = delete;
    ArmedRun& operator=(const ArmedRun&) = delete;

    void rearm(std::string run) { m_watchdog.arm(std::move(run)); }

private:
    Watchdog& m_watchdog;
};

// --pin: the CPU every spawned cluster process runs on (the bench itself stays on CPU 0). Set once
// in main() before any other thread starts.
std::optional<int> g_clusterCpu;

// While alive, the calling thread runs on `cpu` (when there is one); a process spawned meanwhile
// inherits that mask, and every thread it starts inherits it from there.
class ScopedThreadCpu {
public:
    explicit ScopedThreadCpu(std::optional<int> cpu) : m_active(cpu.has_value()) {
        if (!m_active) {
            return;
        }
        m_active = ::sched_getaffinity(0, sizeof m_saved, &m_saved) == 0;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(*cpu, &one);
        m_active = m_active && ::sched_setaffinity(0, sizeof one, &one) == 0;
    }
    ~ScopedThreadCpu() {
        if (m_active) {
            (void)::sched_setaffinity(0, sizeof m_saved, &m_saved);
        }
    }
    ScopedThreadCpu(const ScopedThreadCpu&) = delete;
    ScopedThreadCpu& operator=(const ScopedThreadCpu&) = delete;

private:
    bool m_active;
    cpu_set_t m_saved{};
};

// A child process with stdin and stdout on pipes and stderr in <root>/stderr.log. The root
// directory (mkdtemp) is removed when the child is stopped.
class ChildProcess {
public:
    [[nodiscard]] static Result<std::unique_ptr<ChildProcess>> spawn(
        const std::vector<std::string>& argv, const fs::path& root) {
        auto child = std::unique_ptr<ChildProcess>(new ChildProcess(root));
        int inPipe[2];
        int outPipe[2];
        if (::pipe2(inPipe, O_CLOEXEC) != 0 || ::pipe2(outPipe, O_CLOEXEC) != 0) {
            return std::unexpected(benchError(std::string("pipe2: ") + std::strerror(errno)));
        }
        const std::string logPath = (root / "stderr.log").string();
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, logPath.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        sigset_t defaults;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);  // the bench ignores SIGPIPE; the child must not inherit it
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        sigset_t unblocked;  // the bench blocks SIGINT/SIGTERM for its signal thread
        sigemptyset(&unblocked);
        posix_spawnattr_setsigmask(&attributes, &unblocked);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

        std::vector<char*> args;
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        child->m_spawnedAt = Clock::now();
        int rc = 0;
        {
            const ScopedThreadCpu onClusterCpu(g_clusterCpu);
            rc = ::posix_spawn(&child->m_pid, argv.front().c_str(), &actions, &attributes,
                               args.data(), environ);
        }
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
        ::close(inPipe[0]);
        ::close(outPipe[1]);
        child->m_stdin = inPipe[1];
        child->m_stdout = outPipe[0];
        if (rc != 0) {
            child->m_pid = -1;
            return std::unexpected(
                benchError("cannot start " + argv.front() + ": " + std::strerror(rc)));
        }
        ProcessRegistry::instance().add(child->m_pid, root);
        child->m_reader.start(child->m_stdout);
        return child;
    }

    ~ChildProcess() { stop(); }

    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return m_pid; }
    [[nodiscard]] Clock::time_point spawnedAt() const { return m_spawnedAt; }

    // Waits for the next stdout line starting with prefix (earlier lines are skipped) and
    // returns the rest of it.
    [[nodiscard]] Result<std::string> waitForLine(std::string_view prefix,
                                                  Clock::time_point deadline) {
        std::string rest;
        switch (m_reader.waitFor(prefix, deadline, rest)) {
        case LineReader::Outcome::Found:
            return rest;
        case LineReader::Outcome::Closed:
            return std::unexpected(benchError("process " + std::to_string(m_pid) +
                                              " closed its stdout before printing '" +
                                              std::string(prefix) + "'" + logTail()));
        case LineReader::Outcome::TimedOut:
            break;
        }
        return std::unexpected(benchError("timed out waiting for '" + std::string(prefix) +
                                          "' from process " + std::to_string(m_pid) + logTail()));
    }

    [[nodiscard]] Result<void> writeLine(const std::string& line) {
        const std::string text = line + "\n";
        std::size_t written = 0;
        while (written < text.size()) {
            const ssize_t n = ::write(m_stdin, text.data() + written, text.size() - written);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return std::unexpected(benchError(std::string("write to child: ") +
                                                  std::strerror(errno)));
            }
            written += static_cast<std::size_t>(n);
        }
        return {};
    }

    // The last lines of the child's stderr, for error messages.
    [[nodiscard]] std::string logTail() const {
        std::ifstream in(m_root / "stderr.log");
        std::deque<std::string> tail;
        for (std::string line; std::getline(in, line);) {
            tail.push_back(std::move(line));
            if (tail.size() > 15) {
                tail.pop_front();
            }
        }
        if (tail.empty()) {
            return {};
        }
        std::string text = "; its stderr ends with:";
        for (const std::string& line : tail) {
            text += "\n#   " + line;
        }
        return text;
    }

    // SIGTERM, then SIGKILL after 10 s; removes the root directory.
    void stop() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            const auto deadline = Clock::now() + 10s;
            pid_t done = 0;
            while ((done = ::waitpid(m_pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
                std::this_thread::sleep_for(5ms);
            }
            if (done == 0) {
                note("process " + std::to_string(m_pid) + " ignored SIGTERM for 10 s; killed");
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, &status, 0);
            } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
                note("process " + std::to_string(m_pid) + " died of signal " +
                     std::to_string(WTERMSIG(status)) + logTail());
            } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                note("process " + std::to_string(m_pid) + " exited with status " +
                     std::to_string(WEXITSTATUS(status)) + logTail());
            }
            ProcessRegistry::instance().remove(m_pid);
            m_pid = -1;
        }
        if (m_stdin >= 0) {
            ::close(m_stdin);
            m_stdin = -1;
        }
        m_reader.join();
        if (m_stdout >= 0) {
            ::close(m_stdout);
            m_stdout = -1;
        }
        std::error_code ignored;
        fs::remove_all(m_root, ignored);
    }

private:
    explicit ChildProcess(fs::path root) : m_root(std::move(root)) {}

    fs::path m_root;
    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    Clock::time_point m_spawnedAt;
    LineReader m_reader; // joined by stop() before the pipe it reads is closed
};

// ---------------------------------------------------------------------------------------------
// Clusters: the in-process mock (baseline), a spawned faultline-engine, or a spawned mock process
// that follows the engine's start contract (dry run of the engine side).

struct TopicSpec {
    std::string name;
    int partitions = 1;
    int replicationFactor = 1;
};

class Cluster {
public:
    virtual ~Cluster() = default;
    [[nodiscard]] virtual const std::string& bootstrap() const = 0;
    [[nodiscard]] virtual Result<void> createTopics(const std::vector<TopicSpec>& topics) = 0;
    [[nodiscard]] virtual std::optional<pid_t> pid() const { return std::nullopt; }
    // librdkafka 2.0.2's mock lists every broker as a replica whatever the replication factor.
    [[nodiscard]] virtual bool reportsReplicationFactor() const { return false; }
};

// A mock topic with its leaders spread like the engine's: partition i led by broker i % brokers + 1.
// librdkafka 2.0.2's mock picks every partition's leader at random (three partitions often all on
// one broker, which is one connection instead of three), so the shape is set here by hand.
[[nodiscard]] rd_kafka_resp_err_t createMockTopic(rd_kafka_mock_cluster_t* cluster,
                                                  const std::string& topic, int partitions,
                                                  int replicationFactor, int brokers) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, replicationFactor);
    for (int p = 0; p < partitions && err == RD_KAFKA_RESP_ERR_NO_ERROR; ++p) {
        err = rd_kafka_mock_partition_set_leader(cluster, topic.c_str(), p, p % brokers + 1);
    }
    return err;
}

class InProcessMock final : public Cluster {
public:
    [[nodiscard]] static Result<std::unique_ptr<InProcessMock>> create(int brokers) {
        // The handle only hosts the mock cluster; it never connects anywhere.
        auto handle = makeClient(RD_KAFKA_PRODUCER, {}, {{"log_level", "4"}});
        if (!handle) {
            return std::unexpected(handle.error());
        }
        rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle->get(), brokers);
        if (cluster == nullptr) {
            return std::unexpected(benchError("rd_kafka_mock_cluster_new failed"));
        }
        return std::unique_ptr<InProcessMock>(
            new InProcessMock(std::move(*handle), cluster, brokers));
    }

    ~InProcessMock() override { rd_kafka_mock_cluster_destroy(m_cluster); }

    InProcessMock(const InProcessMock&) = delete;
    InProcessMock& operator=(const InProcessMock&) = delete;

    [[nodiscard]] const std::string& bootstrap() const override { return m_bootstrap; }

    [[nodiscard]] Result<void> createTopics(const std::vector<TopicSpec>& topics) override {
        for (const TopicSpec& topic : topics) {
            const rd_kafka_resp_err_t err = createMockTopic(
                m_cluster, topic.name, topic.partitions, topic.replicationFactor, m_brokers);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return std::unexpected(rdError(err, "mock topic " + topic.name));
            }
        }
        return {};
    }

private:
    InProcessMock(Handle handle, rd_kafka_mock_cluster_t* cluster, int brokers)
        : m_handle(std::move(handle)), m_cluster(cluster), m_brokers(brokers),
          m_bootstrap(rd_kafka_mock_cluster_bootstraps(cluster)) {}

    Handle m_handle;
    rd_kafka_mock_cluster_t* m_cluster;
    int m_brokers;
    std::string m_bootstrap;
};

[[nodiscard]] Result<void> adminCreateTopics(const std::string& bootstrap,
                                             const std::vector<TopicSpec>& topics) {
    auto rk = makeClient(RD_KAFKA_PRODUCER, bootstrap, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    char errstr[512];
    std::vector<rd_kafka_NewTopic_t*> newTopics;
    for (const TopicSpec& topic : topics) {
        rd_kafka_NewTopic_t* newTopic =
            rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, topic.replicationFactor,
                                  errstr, sizeof errstr);
        if (newTopic == nullptr) {
            rd_kafka_NewTopic_destroy_array(newTopics.data(), newTopics.size());
            return std::unexpected(benchError("NewTopic " + topic.name + ": " + errstr));
        }
        newTopics.push_back(newTopic);
    }
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(options, 20000, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(options, 15000, errstr, sizeof errstr);
    QueueHandle queue(rd_kafka_queue_new(rk->get()));
    rd_kafka_CreateTopics(rk->get(), newTopics.data(), newTopics.size(), options, queue.get());
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), 25000);
    rd_kafka_NewTopic_destroy_array(newTopics.data(), newTopics.size());
    rd_kafka_AdminOptions_destroy(options);
    if (event == nullptr) {
        return std::unexpected(benchError("CreateTopics: no answer within 25 s"));
    }
    Result<void> outcome;
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outcome = std::unexpected(rdError(rd_kafka_event_error(event),
                                          std::string("CreateTopics: ") +
                                              rd_kafka_event_error_string(event)));
    } else {
        std::size_t count = 0;
        const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
            rd_kafka_event_CreateTopics_result(event), &count);
        for (std::size_t i = 0; i < count && outcome; ++i) {
            const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
                err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                const char* message = rd_kafka_topic_result_error_string(results[i]);
                outcome = std::unexpected(
                    rdError(err, std::string("CreateTopics ") +
                                     rd_kafka_topic_result_name(results[i]) + " (" +
                                     (message != nullptr ? message : "") + ")"));
            }
        }
    }
    rd_kafka_event_destroy(event);
    return outcome;
}

fs::path makeRunDirectory() {
    std::string pattern = (fs::temp_directory_path() / "faultline-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return {};
    }
    return pattern;
}

class SpawnedCluster final : public Cluster {
public:
    // faultline-engine --brokers 3 --port 0 --control-port 0 --data-dir <fresh dir>
    [[nodiscard]] static Result<std::unique_ptr<SpawnedCluster>> spawnEngine(
        const fs::path& enginePath) {
        const fs::path root = makeRunDirectory();
        if (root.empty()) {
            return std::unexpected(benchError(std::string("mkdtemp: ") + std::strerror(errno)));
        }
        const fs::path dataDir = root / "data";
        std::error_code ec;
        fs::create_directory(dataDir, ec);
        return start({enginePath.string(), "--brokers", std::to_string(kBrokers), "--port", "0",
                      "--control-port", "0", "--data-dir", dataDir.string()},
                     root, false);
    }

    // This very program in --serve-mock mode: a mock cluster in its own process, printing the
    // same bootstrap line as the engine and creating topics on stdin commands.
    [[nodiscard]] static Result<std::unique_ptr<SpawnedCluster>> spawnMock() {
        const fs::path root = makeRunDirectory();
        if (root.empty()) {
            return std::unexpected(benchError(std::string("mkdtemp: ") + std::strerror(errno)));
        }
        return start({fs::read_symlink("/proc/self/exe").string(), "--serve-mock",
                      std::to_string(kBrokers)},
                     root, true);
    }

    [[nodiscard]] const std::string& bootstrap() const override { return m_bootstrap; }
    [[nodiscard]] std::optional<pid_t> pid() const override { return m_child->pid(); }
    [[nodiscard]] Clock::time_point spawnedAt() const { return m_child->spawnedAt(); }
    [[nodiscard]] Clock::time_point bootstrapAt() const { return m_bootstrapAt; }
    [[nodiscard]] bool reportsReplicationFactor() const override { return !m_isMock; }

    [[nodiscard]] Result<void> createTopics(const std::vector<TopicSpec>& topics) override {
        if (!m_isMock) {
            return adminCreateTopics(m_bootstrap, topics);
        }
        for (const TopicSpec& topic : topics) {
            auto written = m_child->writeLine("create " + topic.name + " " +
                                              std::to_string(topic.partitions) + " " +
                                              std::to_string(topic.replicationFactor));
            if (!written) {
                return std::unexpected(written.error());
            }
            auto answer = m_child->waitForLine("topic-", Clock::now() + kStepTimeout);
            if (!answer) {
                return std::unexpected(answer.error());
            }
            if (*answer != "ok " + topic.name) {
                return std::unexpected(benchError("mock process: topic-" + *answer));
            }
        }
        return {};
    }

private:
    SpawnedCluster(std::unique_ptr<ChildProcess> child, std::string bootstrap,
                   Clock::time_point bootstrapAt, bool isMock)
        : m_child(std::move(child)), m_bootstrap(std::move(bootstrap)),
          m_bootstrapAt(bootstrapAt), m_isMock(isMock) {}

    [[nodiscard]] static Result<std::unique_ptr<SpawnedCluster>> start(
        const std::vector<std::string>& argv, const fs::path& root, bool isMock) {
        auto child = ChildProcess::spawn(argv, root);
        if (!child) {
            std::error_code ignored;
            fs::remove_all(root, ignored);
            return std::unexpected(child.error());
        }
        auto bootstrap = (*child)->waitForLine("bootstrap.servers=", Clock::now() + kStepTimeout);
        if (!bootstrap) {
            return std::unexpected(bootstrap.error());
        }
        const Clock::time_point bootstrapAt = Clock::now();
        return std::unique_ptr<SpawnedCluster>(
            new SpawnedCluster(std::move(*child), std::move(*bootstrap), bootstrapAt, isMock));
    }

    std::unique_ptr<ChildProcess> m_child;
    std::string m_bootstrap;
    Clock::time_point m_bootstrapAt;
    bool m_isMock;
};

// Waits until metadata lists every topic with all its partitions led (and, when checkReplicas,
// with replicationFactor replicas).
[[nodiscard]] Result<void> waitForTopics(const std::string& bootstrap,
                                         const std::vector<TopicSpec>& topics,
                                         bool checkReplicas) {
    auto rk = makeClient(RD_KAFKA_PRODUCER, bootstrap, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    const auto deadline = Clock::now() + kStepTimeout;
    std::string problem = "no metadata answer";
    while (Clock::now() < deadline) {
        const rd_kafka_metadata_t* metadata = nullptr;
        const rd_kafka_resp_err_t err = rd_kafka_metadata(rk->get(), 1, nullptr, &metadata, 2000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            problem = std::string("Metadata: ") + rd_kafka_err2str(err);
            std::this_thread::sleep_for(50ms);
            continue;
        }
        problem.clear();
        for (const TopicSpec& spec : topics) {
            const rd_kafka_metadata_topic_t* found = nullptr;
            for (int i = 0; i < metadata->topic_cnt; ++i) {
                if (spec.name == metadata->topics[i].topic) {
                    found = &metadata->topics[i];
                }
            }
            if (found == nullptr) {
                problem = spec.name + " not listed";
            } else if (found->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                problem = spec.name + ": " + rd_kafka_err2str(found->err);
            } else if (found->partition_cnt != spec.partitions) {
                problem = spec.name + " has " + std::to_string(found->partition_cnt) +
                          " partitions, want " + std::to_string(spec.partitions);
            } else {
                for (int p = 0; p < found->partition_cnt && problem.empty(); ++p) {
                    const rd_kafka_metadata_partition_t& partition = found->partitions[p];
                    if (partition.err != RD_KAFKA_RESP_ERR_NO_ERROR || partition.leader < 0) {
                        problem = spec.name + "/" + std::to_string(partition.id) +
                                  " has no leader yet";
                    } else if (checkReplicas &&
                               partition.replica_cnt != spec.replicationFactor) {
                        problem = spec.name + "/" + std::to_string(partition.id) + " has " +
                                  std::to_string(partition.replica_cnt) + " replicas, want " +
                                  std::to_string(spec.replicationFactor);
                    }
                }
            }
            if (!problem.empty()) {
                break;
            }
        }
        rd_kafka_metadata_destroy(metadata);
        if (problem.empty()) {
            return {};
        }
        std::this_thread::sleep_for(50ms);
    }
    return std::unexpected(benchError("topics not ready after 30 s: " + problem));
}

[[nodiscard]] Result<void> prepareTopics(Cluster& cluster, const std::vector<TopicSpec>& topics) {
    if (auto created = cluster.createTopics(topics); !created) {
        return created;
    }
    return waitForTopics(cluster.bootstrap(), topics, cluster.reportsReplicationFactor());
}

// ---------------------------------------------------------------------------------------------
// Produce throughput

struct DeliveryStats {
    std::atomic<std::size_t> delivered{0};
    std::atomic<std::size_t> failed{0};
    std::mutex mutex;
    std::string firstError;
};

void onDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
    auto* stats = static_cast<DeliveryStats*>(opaque);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (stats->failed.fetch_add(1) == 0) {
            std::lock_guard lock(stats->mutex);
            stats->firstError = rd_kafka_err2str(message->err);
        }
        return;
    }
    stats->delivered.fetch_add(1);
}

// CPU time (on-CPU nanoseconds from /proc/<pid>/task/<tid>/schedstat) of the cluster's side
// and of the client's side. The engine side is the engine process; the mock side is this
// process's `rdk:mock` threads, and the client is every other thread of this process.
struct CpuSample {
    double serverSeconds = 0;
    double clientSeconds = 0;
};

[[nodiscard]] double taskSeconds(const fs::path& task) {
    std::ifstream in(task / "schedstat");
    double ns = 0;
    in >> ns;
    return ns / 1e9;
}

[[nodiscard]] bool isMockThread(const fs::path& task) {
    std::ifstream in(task / "comm");
    std::string comm;
    std::getline(in, comm);
    return comm.starts_with("rdk:mock");
}

// `server`: the engine's pid, or nullopt for the in-process mock.
[[nodiscard]] CpuSample sampleCpu(std::optional<pid_t> server) {
    CpuSample sample;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
        const double seconds = taskSeconds(task.path());
        (!server && isMockThread(task.path()) ? sample.serverSeconds : sample.clientSeconds) +=
            seconds;
    }
    if (server) {
        for (const auto& task :
             fs::directory_iterator("/proc/" + std::to_string(*server) + "/task", ec)) {
            sample.serverSeconds += taskSeconds(task.path());
        }
    }
    return sample;
}

struct ProduceFigures {
    double recordsPerSecond = 0;  // median over the rounds
    double mibPerSecond = 0;
    std::vector<double> rounds;   // records/s of every round
    std::vector<CpuSample> cpu;   // CPU seconds of every round
};

[[nodiscard]] Result<void> produceRecords(rd_kafka_t* rk, rd_kafka_topic_t* rkt, std::size_t count,
                                          Clock::time_point deadline) {
    auto* bytes = const_cast<char*>(payload().data());  // msgflags 0: never written nor freed
    for (std::size_t i = 0; i < count; ++i) {
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, bytes, kRecordBytes, nullptr, 0,
                                nullptr) != 0) {
            const rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                return std::unexpected(rdError(err, "produce"));
            }
            if (Clock::now() > deadline) {
                return std::unexpected(benchError("produce: queue stayed full until deadline"));
            }
            rd_kafka_poll(rk, 1);
        }
        if ((i & 1023u) == 0) {
            rd_kafka_poll(rk, 0);
        }
    }
    return {};
}

[[nodiscard]] Result<void> flushAll(rd_kafka_t* rk, Clock::time_point deadline) {
    while (rd_kafka_flush(rk, 100) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (Clock::now() > deadline) {
            return std::unexpected(benchError("flush: " + std::to_string(rd_kafka_outq_len(rk)) +
                                              " records still in flight at deadline"));
        }
    }
    return {};
}

// A 200-record warm-up, then `rounds` timed rounds of `records` records on one producer;
// onRound(i) is called before round i.
// One producer on one cluster: connections and a warm-up when it starts, then timed rounds on
// demand, so that the rounds of two clusters can be interleaved.
class ProduceSession {
public:
    [[nodiscard]] static Result<std::unique_ptr<ProduceSession>>
    start(const std::string& bootstrap, const std::string& topic, const std::string& acks,
          std::optional<pid_t> server) {
        std::unique_ptr<ProduceSession> session(new ProduceSession(server));
        DeliveryStats* stats = &session->m_stats;
        auto rk = makeClient(RD_KAFKA_PRODUCER, bootstrap,
                             {{"acks", acks},
                              {"linger.ms", "5"},
                              {"queue.buffering.max.messages", "1000000"},
                              {"queue.buffering.max.kbytes", "2097151"}},
                             [stats](rd_kafka_conf_t* conf) {
                                 rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
                                 rd_kafka_conf_set_opaque(conf, stats);
                             });
        if (!rk) {
            return std::unexpected(rk.error());
        }
        session->m_rk = std::move(*rk);
        session->m_rkt.reset(rd_kafka_topic_new(session->m_rk.get(), topic.c_str(), nullptr));
        // Warm-up: metadata, connections to every leader, first batches.
        if (auto sent = session->send(kWarmupRecords); !sent) {
            return std::unexpected(sent.error());
        }
        return session;
    }

    ProduceSession(const ProduceSession&) = delete;
    ProduceSession& operator=(const ProduceSession&) = delete;

    // One timed round: `records` records from the first produce() to the end of flush().
    [[nodiscard]] Result<void> round(std::size_t records) {
        const CpuSample cpuBefore = sampleCpu(m_server);
        const auto start = Clock::now();
        if (auto sent = send(records); !sent) {
            return sent;
        }
        const double seconds = secondsBetween(start, Clock::now());
        const CpuSample cpuAfter = sampleCpu(m_server);
        m_figures.cpu.push_back({cpuAfter.serverSeconds - cpuBefore.serverSeconds,
                                 cpuAfter.clientSeconds - cpuBefore.clientSeconds});
        m_figures.rounds.push_back(static_cast<double>(records) / seconds);
        m_figures.recordsPerSecond = median(m_figures.rounds);
        m_figures.mibPerSecond =
            m_figures.recordsPerSecond * static_cast<double>(kRecordBytes) / kMiB;
        return {};
    }

    [[nodiscard]] const ProduceFigures& figures() const { return m_figures; }

private:
    explicit ProduceSession(std::optional<pid_t> server) : m_server(server) {}

    // Produces and flushes `records` records; every delivery report must be a success.
    [[nodiscard]] Result<void> send(std::size_t records) {
        const auto deadline = Clock::now() + kRunLimit;
        if (auto sent = produceRecords(m_rk.get(), m_rkt.get(), records, deadline); !sent) {
            return sent;
        }
        if (auto flushed = flushAll(m_rk.get(), deadline); !flushed) {
            return flushed;
        }
        m_expected += records;
        if (m_stats.failed.load() != 0) {
            std::lock_guard lock(m_stats.mutex);
            return std::unexpected(benchError(std::to_string(m_stats.failed.load()) +
                                              " delivery failures, first: " + m_stats.firstError));
        }
        if (m_stats.delivered.load() != m_expected) {
            return std::unexpected(benchError("delivered " +
                                              std::to_string(m_stats.delivered.load()) +
                                              " records, want " + std::to_string(m_expected)));
        }
        return {};
    }

    // Destroyed bottom-up: the topic before the handle, the handle (whose destruction may still
    // deliver reports) before the stats that are the callback's opaque.
    DeliveryStats m_stats;
    Handle m_rk;
    TopicHandle m_rkt;
    std::optional<pid_t> m_server;
    std::size_t m_expected = 0;
    ProduceFigures m_figures;
};

// ---------------------------------------------------------------------------------------------
// Consume throughput: the legacy (group-less) consumer reads every partition from offset 0.

struct ConsumeFigures {
    std::size_t records = 0;
    double mibPerSecond = 0;        // from consume_start to the last record
    double steadyMibPerSecond = 0;  // from the first record to the last one
    double firstRecordMillis = 0;   // consume_start to the first record
};

[[nodiscard]] Result<ConsumeFigures> runConsume(const std::string& bootstrap,
                                                const std::string& topic, int partitions) {
    auto rk = makeClient(RD_KAFKA_CONSUMER, bootstrap,
                         {{"enable.auto.commit", "false"},
                          {"enable.partition.eof", "false"},
                          {"queued.max.messages.kbytes", "262144"},
                          {"queued.min.messages", "1000000"},
                          {"fetch.wait.max.ms", "100"},
                          {"fetch.error.backoff.ms", "10"}});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    // The topic handle first: its partitions join their leaders while the watermarks are read.
    TopicHandle rkt(rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr));
    std::size_t expected = 0;
    std::vector<int64_t> logStart;
    for (int p = 0; p < partitions; ++p) {
        int64_t low = 0;
        int64_t high = 0;
        const rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk->get(), topic.c_str(), p, &low, &high, 10000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(rdError(err, "watermarks of " + topic));
        }
        expected += static_cast<std::size_t>(high - low);
        logStart.push_back(low);
    }
    if (expected == 0) {
        return std::unexpected(benchError("topic " + topic + " is empty"));
    }

    QueueHandle queue(rd_kafka_queue_new(rk->get()));
    const auto deadline = Clock::now() + kRunLimit;
    const auto start = Clock::now();
    for (int p = 0; p < partitions; ++p) {
        // An absolute offset (the log start) rather than OFFSET_BEGINNING: librdkafka 2.0.2 retries
        // a logical-offset query only after 500 ms when the partition has not yet joined its
        // leader's broker thread, which would be measured here.
        if (rd_kafka_consume_start_queue(rkt.get(), p, logStart[static_cast<std::size_t>(p)],
                                         queue.get()) != 0) {
            return std::unexpected(rdError(rd_kafka_last_error(), "consume_start"));
        }
    }
    std::size_t records = 0;
    std::size_t bytes = 0;
    std::optional<Error> failure;
    std::vector<rd_kafka_message_t*> batch(4096);
    std::optional<Clock::time_point> firstAt;
    while (records < expected && !failure) {
        if (Clock::now() > deadline) {
            failure = benchError("consumed " + std::to_string(records) + " of " +
                                 std::to_string(expected) + " records before the deadline");
            break;
        }
        // A batch call with a timeout waits for a full batch, so take what is there (timeout 0)
        // and block only when the queue is empty, for a single record.
        ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, batch.data(), batch.size());
        if (n == 0) {
            rd_kafka_message_t* message = rd_kafka_consume_queue(queue.get(), 100);
            if (message != nullptr) {
                batch[0] = message;
                n = 1;
            }
        }
        if (n > 0 && !firstAt) {
            firstAt = Clock::now();
        }
        for (ssize_t i = 0; i < n; ++i) {
            rd_kafka_message_t* message = batch[static_cast<std::size_t>(i)];
            if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                ++records;
                bytes += message->len;
            } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !failure) {
                failure = rdError(message->err, "consume");
            }
            rd_kafka_message_destroy(message);
        }
    }
    const auto end = Clock::now();
    const double seconds = secondsBetween(start, end);
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_consume_stop(rkt.get(), p);
    }
    if (failure) {
        return std::unexpected(*failure);
    }
    if (bytes != records * kRecordBytes) {
        return std::unexpected(benchError("consumed " + std::to_string(bytes) + " bytes in " +
                                          std::to_string(records) + " records of 1 KiB"));
    }
    const double mib = static_cast<double>(bytes) / kMiB;
    const double steadySeconds = secondsBetween(*firstAt, end);
    return ConsumeFigures{records, mib / seconds, steadySeconds > 0 ? mib / steadySeconds : 0,
                          millisBetween(start, *firstAt)};
}

// ---------------------------------------------------------------------------------------------
// Paced produce latency: produce() to delivery report, send time carried in the msg opaque.

struct LatencyStats {
    std::vector<double> millis;  // written only by the poller thread while it runs
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> failed{0};
    std::atomic<bool> recording{false};
    std::mutex mutex;
    std::string firstError;
};

void onTimedDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
    const auto now = Clock::now();
    auto* stats = static_cast<LatencyStats*>(opaque);
    if (!stats->recording.load()) {
        return;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (stats->failed.fetch_add(1) == 0) {
            std::lock_guard lock(stats->mutex);
            stats->firstError = rd_kafka_err2str(message->err);
        }
    } else {
        const auto sentTicks = reinterpret_cast<std::intptr_t>(message->_private);
        const Clock::time_point sent{Clock::duration{static_cast<Clock::rep>(sentTicks)}};
        stats->millis.push_back(millisBetween(sent, now));
    }
    stats->done.fetch_add(1);
}

struct LatencyFigures {
    double p50 = 0;
    double p99 = 0;
    double max = 0;
    std::size_t samples = 0;
    double achievedRate = 0;
};

[[nodiscard]] Result<LatencyFigures> runLatency(const std::string& bootstrap,
                                                const std::string& topic) {
    LatencyStats stats;
    auto rk = makeClient(RD_KAFKA_PRODUCER, bootstrap,
                         {{"acks", "all"}, {"linger.ms", "0"}},
                         [&stats](rd_kafka_conf_t* conf) {
                             rd_kafka_conf_set_dr_msg_cb(conf, onTimedDelivery);
                             rd_kafka_conf_set_opaque(conf, &stats);
                         });
    if (!rk) {
        return std::unexpected(rk.error());
    }
    TopicHandle rkt(rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr));
    const auto deadline = Clock::now() + kRunLimit;
    if (auto sent = produceRecords(rk->get(), rkt.get(), kWarmupRecords, deadline); !sent) {
        return std::unexpected(sent.error());
    }
    if (auto flushed = flushAll(rk->get(), deadline); !flushed) {
        return std::unexpected(flushed.error());
    }

    const std::size_t total =
        static_cast<std::size_t>(kLatencyRate) * static_cast<std::size_t>(kLatencyDuration.count());
    stats.millis.reserve(total);
    stats.recording = true;
    std::atomic<bool> stopPolling{false};
    std::thread poller([&] {
        while (!stopPolling.load()) {
            rd_kafka_poll(rk->get(), 5);
        }
    });

    auto* bytes = const_cast<char*>(payload().data());
    const auto interval = std::chrono::duration_cast<Clock::duration>(1s) / kLatencyRate;
    const auto start = Clock::now();
    auto next = start;
    std::optional<Error> failure;
    std::size_t sent = 0;
    for (; sent < total; ++sent) {
        std::this_thread::sleep_until(next);
        next += interval;
        const auto sentAt = Clock::now().time_since_epoch().count();
        if (rd_kafka_produce(rkt.get(), RD_KAFKA_PARTITION_UA, 0, bytes, kRecordBytes, nullptr, 0,
                             reinterpret_cast<void*>(static_cast<std::intptr_t>(sentAt))) != 0) {
            failure = rdError(rd_kafka_last_error(), "paced produce");
            break;
        }
    }
    const double sendSeconds = secondsBetween(start, Clock::now());
    while (!failure && stats.done.load() < sent && Clock::now() < deadline) {
        std::this_thread::sleep_for(2ms);
    }
    stopPolling = true;
    poller.join();

    if (failure) {
        return std::unexpected(*failure);
    }
    if (stats.failed.load() != 0) {
        std::lock_guard lock(stats.mutex);
        return std::unexpected(benchError(std::to_string(stats.failed.load()) +
                                          " delivery failures, first: " + stats.firstError));
    }
    if (stats.done.load() < sent) {
        return std::unexpected(benchError(std::to_string(sent - stats.done.load()) +
                                          " records not acknowledged before the deadline"));
    }
    std::vector<double> sorted = std::move(stats.millis);
    std::sort(sorted.begin(), sorted.end());
    return LatencyFigures{percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.back(),
                          sorted.size(), static_cast<double>(sent) / sendSeconds};
}

// ---------------------------------------------------------------------------------------------
// Start to ready, idle RSS

struct StartFigures {
    double readyMillis = 0;
    double bootstrapLineMillis = 0;
};

using Spawner = std::function<Result<std::unique_ptr<SpawnedCluster>>()>;

// Spawn -> bootstrap line -> first Metadata answer listing every broker.
[[nodiscard]] Result<StartFigures> runStartOnce(const Spawner& spawner) {
    // The client exists before the spawn so that its own start-up is not counted.
    auto rk = makeClient(RD_KAFKA_PRODUCER, {}, {{"log_level", "4"}});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    auto cluster = spawner();
    if (!cluster) {
        return std::unexpected(cluster.error());
    }
    if (rd_kafka_brokers_add(rk->get(), (*cluster)->bootstrap().c_str()) == 0) {
        return std::unexpected(benchError("bad bootstrap line: " + (*cluster)->bootstrap()));
    }
    const auto deadline = Clock::now() + kStepTimeout;
    std::string problem = "no answer";
    while (Clock::now() < deadline) {
        const rd_kafka_metadata_t* metadata = nullptr;
        const rd_kafka_resp_err_t err = rd_kafka_metadata(rk->get(), 0, nullptr, &metadata, 100);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const int brokers = metadata->broker_cnt;
            rd_kafka_metadata_destroy(metadata);
            if (brokers >= kBrokers) {
                const auto ready = Clock::now();
                return StartFigures{millisBetween((*cluster)->spawnedAt(), ready),
                                    millisBetween((*cluster)->spawnedAt(),
                                                  (*cluster)->bootstrapAt())};
            }
            problem = "Metadata lists " + std::to_string(brokers) + " brokers";
        } else {
            problem = rd_kafka_err2str(err);
        }
    }
    return std::unexpected(benchError("not ready after 30 s: " + problem));
}

[[nodiscard]] Result<StartFigures> runStart(const Spawner& spawner) {
    std::vector<double> ready;
    std::vector<double> line;
    for (int i = 0; i < kStartRepeats; ++i) {
        auto once = runStartOnce(spawner);
        if (!once) {
            return std::unexpected(once.error());
        }
        ready.push_back(once->readyMillis);
        line.push_back(once->bootstrapLineMillis);
    }
    return StartFigures{median(ready), median(line)};
}

[[nodiscard]] Result<double> readRssMiB(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) {
            std::istringstream fields(line.substr(6));
            double kib = 0;
            fields >> kib;
            return kib / 1024.0;
        }
    }
    return std::unexpected(benchError("no VmRSS for pid " + std::to_string(pid)));
}

// 10 topics x 10 partitions, RF 1, then 2 s idle.
[[nodiscard]] Result<double> runIdleRss(const Spawner& spawner) {
    auto cluster = spawner();
    if (!cluster) {
        return std::unexpected(cluster.error());
    }
    std::vector<TopicSpec> topics;
    for (int i = 0; i < 10; ++i) {
        topics.push_back({"bench-idle-" + std::to_string(i), 10, 1});
    }
    if (auto prepared = prepareTopics(**cluster, topics); !prepared) {
        return std::unexpected(prepared.error());
    }
    std::this_thread::sleep_for(2s);
    return readRssMiB(*(*cluster)->pid());
}

// ---------------------------------------------------------------------------------------------
// Figures and the scenario driver

enum class Side { Mock, Engine };

const char* sideName(Side side) {
    return side == Side::Mock ? "mock" : "engine";
}

enum class Better { Higher, Lower };

struct Figure {
    std::string name;
    std::string unit;
    std::optional<double> engine;
    std::optional<double> mock;
    std::string target;
    std::function<bool(double engine, std::optional<double> mock)> meets;
};

struct Options {
    std::size_t records = 200'000;
    std::vector<std::string> only;
    fs::path enginePath;
    bool skipEngine = false;
    bool engineFromMock = false;
    bool pin = false; // the bench on CPU 0, every cluster (the mock too, as a child) on CPU 1
    std::chrono::seconds runLimit = kRunLimit;
    int repeat = 5;
};

class Bench {
public:
    explicit Bench(Options options)
        : m_options(std::move(options)), m_watchdog(m_options.runLimit) {}

    int run() {
        note(std::string("bench_engine: librdkafka ") + rd_kafka_version_str() + ", " +
             std::to_string(m_options.records) + " records of " + std::to_string(kRecordBytes) +
             " B per produce round, " + std::to_string(m_options.repeat) +
             " rounds per produce/consume run (median), " + std::to_string(kBrokers) +
             " brokers per cluster");
        if (m_options.pin) {
            note("mock = librdkafka's in-memory mock cluster, always a child process (--pin)");
            note("--pin: this process (the clients) on CPU 0, every cluster process on CPU 1");
        } else {
            note("mock = librdkafka's in-memory mock cluster (in this process; spawned as a child "
                 "for start_to_ready and idle_rss)");
        }
        if (m_options.skipEngine) {
            note("engine = skipped (--skip-engine)");
        } else if (m_options.engineFromMock) {
            note("engine = DRY RUN: a mock cluster in a child process "
                 "(--engine-bootstrap-from-mock)");
        } else {
            note("engine = " + m_options.enginePath.string());
            if (!fs::exists(m_options.enginePath)) {
                note("engine binary not found; build target faultline-engine or pass --engine");
                return 2;
            }
        }
        note("MB = 2^20 bytes of record values; ratio = engine / mock");
        if (selected("machine")) {
            machineScenario();
        }

        if (selected("produce_rf1_p1")) {
            produceScenario("produce_rf1_p1", 1);
        }
        if (selected("produce_rf1_p3") || selected("consume")) {
            produceAndConsumeScenario();
        }
        if (selected("produce_rf3")) {
            produceRf3Scenario();
        }
        if (selected("latency")) {
            latencyScenario();
        }
        if (selected("start_to_ready")) {
            startScenario();
        }
        if (selected("idle_rss")) {
            idleRssScenario();
        }
        note(std::to_string(m_printed) + " figures, " + std::to_string(m_failures) +
             " failed runs");
        return m_failures == 0 ? 0 : 1;
    }

private:
    [[nodiscard]] bool selected(std::string_view name) const {
        return m_options.only.empty() ||
               std::find(m_options.only.begin(), m_options.only.end(), name) !=
                   m_options.only.end();
    }

    [[nodiscard]] std::vector<Side> sides() const {
        if (m_options.skipEngine) {
            return {Side::Mock};
        }
        return {Side::Mock, Side::Engine};
    }

    [[nodiscard]] Result<std::unique_ptr<SpawnedCluster>> spawnProcess(Side side) const {
        if (side == Side::Mock || m_options.engineFromMock) {
            return SpawnedCluster::spawnMock();
        }
        return SpawnedCluster::spawnEngine(m_options.enginePath);
    }

    [[nodiscard]] Result<std::unique_ptr<Cluster>> makeCluster(Side side) const {
        if (side == Side::Mock && !m_options.pin) {
            auto mock = InProcessMock::create(kBrokers);
            if (!mock) {
                return std::unexpected(mock.error());
            }
            return std::unique_ptr<Cluster>(std::move(*mock));
        }
        auto spawned = spawnProcess(side);
        if (!spawned) {
            return std::unexpected(spawned.error());
        }
        return std::unique_ptr<Cluster>(std::move(*spawned));
    }

    template <typename T>
    std::optional<T> report(const std::string& run, Result<T> result) {
        if (result) {
            return std::move(*result);
        }
        ++m_failures;
        note(run + " FAILED: " + result.error().message);
        return std::nullopt;
    }

    bool reportOk(const std::string& run, const Result<void>& result) {
        if (result) {
            return true;
        }
        ++m_failures;
        note(run + " FAILED: " + result.error().message);
        return false;
    }

    // One cluster's part of an interleaved produce run.
    struct ProduceLeg {
        std::string run; // e.g. "produce_rf1_p3/engine"
        const Cluster* cluster = nullptr;
        std::string topic;
        std::string acks;
        std::optional<Side> side; // the side whose figure this leg is (none: a baseline)
    };

    // Produces on every leg: each one connects and warms up, then round r of every leg runs
    // before round r + 1 of any, in an order that turns around each round (A B, B A, A B, ...).
    // The machine is shared and drifts during a run; interleaved, a drift weighs on every leg
    // alike instead of on whichever ran last. A failed leg is reported and left out, the others
    // go on. The watchdog is re-armed for every round.
    std::vector<std::optional<ProduceFigures>> produceInterleaved(ArmedRun& armed,
                                                                  const std::vector<ProduceLeg>& legs) {
        std::vector<std::unique_ptr<ProduceSession>> sessions(legs.size());
        for (std::size_t i = 0; i < legs.size(); ++i) {
            armed.rearm(legs[i].run + " warm-up");
            note("running " + legs[i].run);
            if (auto session = report(legs[i].run,
                                      ProduceSession::start(legs[i].cluster->bootstrap(),
                                                            legs[i].topic, legs[i].acks,
                                                            legs[i].cluster->pid()))) {
                sessions[i] = std::move(*session);
            }
        }
        for (int round = 0; round < m_options.repeat; ++round) {
            for (std::size_t k = 0; k < legs.size(); ++k) {
                const std::size_t i = round % 2 == 0 ? k : legs.size() - 1 - k;
                if (!sessions[i]) {
                    continue;
                }
                armed.rearm(legs[i].run + " round " + std::to_string(round + 1));
                if (!reportOk(legs[i].run, sessions[i]->round(m_options.records))) {
                    sessions[i].reset();
                }
            }
        }
        std::vector<std::optional<ProduceFigures>> figures(legs.size());
        const double gib = static_cast<double>(m_options.records * kRecordBytes) / kGiB;
        for (std::size_t i = 0; i < legs.size(); ++i) {
            if (!sessions[i]) {
                continue;
            }
            const ProduceFigures& f = sessions[i]->figures();
            std::string rounds;
            std::string cpu;
            for (std::size_t r = 0; r < f.rounds.size(); ++r) {
                rounds += (rounds.empty() ? "" : ", ") + formatNumber(f.rounds[r]);
                char buffer[64];
                std::snprintf(buffer, sizeof buffer, "%s%.2f / %.2f", cpu.empty() ? "" : ", ",
                              f.cpu[r].serverSeconds / gib, f.cpu[r].clientSeconds / gib);
                cpu += buffer;
            }
            note(legs[i].run + ": rounds " + rounds + " rec/s; median reported");
            note(legs[i].run + ": CPU seconds per GiB of values, cluster / client: " + cpu);
            figures[i] = f;
        }
        return figures;
    }

    // The legs of `sides` on their clusters (absent: that side's cluster failed, already reported).
    [[nodiscard]] static std::vector<ProduceLeg>
    legsOn(const std::string& name, const std::map<Side, std::unique_ptr<Cluster>>& clusters,
           const std::string& topic, const std::string& acks) {
        std::vector<ProduceLeg> legs;
        for (const auto& [side, cluster] : clusters) {
            legs.push_back({name + "/" + sideName(side), cluster.get(), topic, acks, side});
        }
        return legs;
    }

    // A cluster per side with `topic` created and led; a side that fails is reported and absent.
    [[nodiscard]] std::map<Side, std::unique_ptr<Cluster>> clustersWith(const std::string& name,
                                                                        const TopicSpec& topic) {
        std::map<Side, std::unique_ptr<Cluster>> clusters;
        for (Side side : sides()) {
            const std::string run = name + "/" + sideName(side);
            auto cluster = report(run, makeCluster(side));
            if (cluster && reportOk(run, prepareTopics(**cluster, {topic}))) {
                clusters[side] = std::move(*cluster);
            }
        }
        return clusters;
    }

    // Each side's figures from the legs that are a side's.
    [[nodiscard]] static std::map<Side, ProduceFigures>
    bySide(const std::vector<ProduceLeg>& legs,
           const std::vector<std::optional<ProduceFigures>>& figures) {
        std::map<Side, ProduceFigures> out;
        for (std::size_t i = 0; i < legs.size(); ++i) {
            if (legs[i].side && figures[i]) {
                out[*legs[i].side] = *figures[i];
            }
        }
        return out;
    }

    void produceScenario(const std::string& name, int partitions) {
        ArmedRun armed(m_watchdog, name);
        const TopicSpec topic{"bench-rf1-p" + std::to_string(partitions), partitions, 1};
        const auto clusters = clustersWith(name, topic);
        const auto legs = legsOn(name, clusters, topic.name, "1");
        const auto figures = bySide(legs, produceInterleaved(armed, legs));
        printProduce(name, figures, figures, "ratio>=1.0", 1.0);
    }

    // produce_rf1_p3 and consume share one cluster per side: consume reads back what was produced.
    void produceAndConsumeScenario() {
        ArmedRun armed(m_watchdog, "produce_rf1_p3");
        const TopicSpec topic{"bench-rf1-p3", 3, 1};
        const auto clusters = clustersWith("produce_rf1_p3", topic);
        const auto legs = legsOn("produce_rf1_p3", clusters, topic.name, "1");
        const auto produced = bySide(legs, produceInterleaved(armed, legs));
        std::map<Side, ConsumeFigures> consumed;
        for (const auto& [side, cluster] : clusters) {
            if (!selected("consume") || !produced.contains(side)) {
                continue;
            }
            const std::string consumeRun = std::string("consume/") + sideName(side);
            note("running " + consumeRun);
            std::vector<ConsumeFigures> rounds;
            for (int round = 0; round < m_options.repeat; ++round) {
                armed.rearm(consumeRun + " round " + std::to_string(round + 1));
                auto c = report(consumeRun,
                                runConsume(cluster->bootstrap(), topic.name, topic.partitions));
                if (!c) {
                    break;
                }
                const bool isMock = side == Side::Mock || m_options.engineFromMock;
                note(consumeRun + ": read " + std::to_string(c->records) + " records" +
                     (isMock ? " (the mock keeps only the last 5 MiB per partition)" : "") +
                     " at " + formatNumber(c->mibPerSecond) + " MB/s; first record after " +
                     formatNumber(c->firstRecordMillis) + " ms, first-to-last " +
                     formatNumber(c->steadyMibPerSecond) + " MB/s");
                rounds.push_back(*c);
            }
            if (rounds.size() == static_cast<std::size_t>(m_options.repeat)) {
                std::sort(rounds.begin(), rounds.end(), [](const auto& a, const auto& b) {
                    return a.mibPerSecond < b.mibPerSecond;
                });
                consumed[side] = rounds[rounds.size() / 2];
            }
        }
        if (selected("produce_rf1_p3")) {
            printProduce("produce_rf1_p3", produced, produced, "ratio>=1.0", 1.0);
        }
        if (selected("consume")) {
            Figure figure{"consume_rf1_p3_mbps", "MB/s", {}, {}, "engine>=1024MB/s",
                          [](double engine, std::optional<double>) { return engine >= 1024.0; }};
            if (consumed.contains(Side::Engine)) {
                figure.engine = consumed[Side::Engine].mibPerSecond;
            }
            if (consumed.contains(Side::Mock)) {
                figure.mock = consumed[Side::Mock].mibPerSecond;
            }
            print(figure);
        }
    }

    // Engine RF 3 acks=all against the mock's RF 1 acks=1 (3 partitions both), measured in this
    // scenario and interleaved with it; the mock's own RF 3 acks=all runs alongside as a reference.
    void produceRf3Scenario() {
        ArmedRun armed(m_watchdog, "produce_rf3");
        const TopicSpec rf1{"bench-rf1-p3", 3, 1};
        const TopicSpec rf3{"bench-rf3-p3", 3, 3};
        const std::string baselineRun = "produce_rf3/mock-baseline-rf1-acks1";
        auto baseline = report(baselineRun, makeCluster(Side::Mock));
        if (baseline && !reportOk(baselineRun, prepareTopics(**baseline, {rf1}))) {
            baseline.reset();
        }
        const auto clusters = clustersWith("produce_rf3", rf3);
        auto legs = legsOn("produce_rf3", clusters, rf3.name, "all");
        if (baseline) {
            legs.insert(legs.begin(), ProduceLeg{baselineRun, baseline->get(), rf1.name, "1", {}});
        }
        const auto figures = produceInterleaved(armed, legs);
        const auto rf3Figures = bySide(legs, figures);
        if (rf3Figures.contains(Side::Mock)) {
            note("reference: mock RF 3 acks=all " +
                 formatNumber(rf3Figures.at(Side::Mock).recordsPerSecond) + " rec/s, " +
                 formatNumber(rf3Figures.at(Side::Mock).mibPerSecond) + " MB/s");
        }
        std::map<Side, ProduceFigures> mockBaseline;
        if (baseline && figures.front()) {
            mockBaseline[Side::Mock] = *figures.front();
        }
        printProduce("produce_rf3_acks_all", rf3Figures, mockBaseline, "ratio>=0.6_vs_mock_rf1_acks1",
                     0.6);
    }

    void latencyScenario() {
        std::map<Side, LatencyFigures> figures;
        const TopicSpec topic{"bench-latency-rf3", 3, 3};
        for (Side side : sides()) {
            const std::string run = std::string("latency/") + sideName(side);
            ArmedRun armed(m_watchdog, run);
            note("running " + run + " (10k msg/s for 5 s, linger.ms=0, RF 3, acks=all)");
            auto cluster = report(run, makeCluster(side));
            if (!cluster || !reportOk(run, prepareTopics(**cluster, {topic}))) {
                continue;
            }
            if (auto f = report(run, runLatency((*cluster)->bootstrap(), topic.name))) {
                figures[side] = *f;
                note(run + ": p50=" + formatNumber(f->p50) + " ms p99=" + formatNumber(f->p99) +
                     " ms max=" + formatNumber(f->max) + " ms over " + std::to_string(f->samples) +
                     " records, sent at " + formatNumber(f->achievedRate) + " msg/s");
            }
        }
        Figure figure{"produce_latency_p99", "ms", {}, {}, "p99<2ms",
                      [](double engine, std::optional<double>) { return engine < 2.0; }};
        if (figures.contains(Side::Engine)) {
            figure.engine = figures[Side::Engine].p99;
        }
        if (figures.contains(Side::Mock)) {
            figure.mock = figures[Side::Mock].p99;
        }
        print(figure);
    }

    // What this machine charges for memory that is touched for the first time. The engine writes
    // each replica's copy of a record into new page-cache pages (a durable log grows), the mock
    // keeps a few MiB per partition in reused heap: on a VM whose host backs guest pages lazily,
    // the first rate below, divided by the replication factor, bounds the engine's produce rate.
    void machineScenario() {
        constexpr std::size_t kTotal = 256u << 20;
        constexpr std::size_t kChunk = 1u << 20;
        using Seconds = std::chrono::duration<double>;
        auto mbps = [](double seconds) { return formatNumber(static_cast<double>(kTotal >> 20) / seconds); };
        const fs::path path = fs::temp_directory_path() /
                              ("faultline-bench-pagecache-" + std::to_string(::getpid()));
        const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
            note("machine: cannot create " + path.string() + ": " + std::strerror(errno));
            return;
        }
        std::vector<std::uint8_t> chunk(kChunk, 0x5a);
        auto writeAll = [&]() -> std::optional<double> {
            const auto start = Clock::now();
            for (std::size_t at = 0; at < kTotal; at += kChunk) {
                if (::pwrite(fd, chunk.data(), kChunk, static_cast<off_t>(at)) != static_cast<ssize_t>(kChunk)) {
                    return std::nullopt;
                }
            }
            return Seconds(Clock::now() - start).count();
        };
        const auto fresh = writeAll();
        const auto cached = writeAll();
        ::close(fd);
        fs::remove(path);
        void* anon = ::mmap(nullptr, kTotal, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (!fresh || !cached || anon == MAP_FAILED) {
            note("machine: the page-cache / memory probe failed");
            return;
        }
        auto start = Clock::now();
        std::memset(anon, 1, kTotal);
        const double firstTouch = Seconds(Clock::now() - start).count();
        start = Clock::now();
        std::memset(anon, 2, kTotal);
        const double rewrite = Seconds(Clock::now() - start).count();
        ::munmap(anon, kTotal);
        note("machine: page-cache write to new pages " + mbps(*fresh) + " MB/s, overwrite of cached pages " +
             mbps(*cached) + " MB/s; anonymous memory first touch " + mbps(firstTouch) +
             " MB/s, rewrite " + mbps(rewrite) + " MB/s (256 MiB each, " +
             fs::temp_directory_path().string() + ")");
    }

    void startScenario() {
        std::map<Side, StartFigures> figures;
        for (Side side : sides()) {
            const std::string run = std::string("start_to_ready/") + sideName(side);
            ArmedRun armed(m_watchdog, run);
            note("running " + run + " (median of " + std::to_string(kStartRepeats) + " starts)");
            if (auto f = report(run, runStart([this, side] { return spawnProcess(side); }))) {
                figures[side] = *f;
                note(run + ": bootstrap line after " + formatNumber(f->bootstrapLineMillis) +
                     " ms, 3-broker Metadata after " + formatNumber(f->readyMillis) + " ms");
            }
        }
        Figure figure{"start_to_ready", "ms", {}, {}, "median<100ms",
                      [](double engine, std::optional<double>) { return engine < 100.0; }};
        if (figures.contains(Side::Engine)) {
            figure.engine = figures[Side::Engine].readyMillis;
        }
        if (figures.contains(Side::Mock)) {
            figure.mock = figures[Side::Mock].readyMillis;
        }
        print(figure);
    }

    void idleRssScenario() {
        Figure figure{"idle_rss_100_partitions", "MB", {}, {}, "rss<60MB",
                      [](double engine, std::optional<double>) { return engine < 60.0; }};
        for (Side side : sides()) {
            const std::string run = std::string("idle_rss/") + sideName(side);
            ArmedRun armed(m_watchdog, run);
            note("running " + run + " (10 topics x 10 partitions, RF 1, then 2 s idle)");
            if (auto rss = report(run, runIdleRss([this, side] { return spawnProcess(side); }))) {
                (side == Side::Engine ? figure.engine : figure.mock) = *rss;
            }
        }
        print(figure);
    }

    void printProduce(const std::string& name, const std::map<Side, ProduceFigures>& engineSide,
                      const std::map<Side, ProduceFigures>& mockSide, const std::string& target,
                      double minRatio) {
        // The rounds were interleaved: round r of both sides ran within seconds of each other.
        const auto engine = engineSide.find(Side::Engine);
        const auto mock = mockSide.find(Side::Mock);
        if (engine != engineSide.end() && mock != mockSide.end() &&
            engine->second.rounds.size() == mock->second.rounds.size()) {
            std::vector<double> ratios;
            std::string list;
            for (std::size_t r = 0; r < engine->second.rounds.size(); ++r) {
                ratios.push_back(engine->second.rounds[r] / mock->second.rounds[r]);
                char buffer[16];
                std::snprintf(buffer, sizeof buffer, "%s%.2f", list.empty() ? "" : ", ", ratios.back());
                list += buffer;
            }
            char middle[16];
            std::snprintf(middle, sizeof middle, "%.2f", median(ratios));
            note(name + ": engine/mock per round (same round on both sides): " + list +
                 "; median " + middle);
        }
        auto ratioAtLeast = [minRatio](double engine, std::optional<double> mock) {
            return mock && *mock > 0 && engine / *mock >= minRatio;
        };
        Figure rate{name + "_rate", "rec/s", {}, {}, target, ratioAtLeast};
        Figure volume{name + "_mbps", "MB/s", {}, {}, target, ratioAtLeast};
        if (auto it = engineSide.find(Side::Engine); it != engineSide.end()) {
            rate.engine = it->second.recordsPerSecond;
            volume.engine = it->second.mibPerSecond;
        }
        if (auto it = mockSide.find(Side::Mock); it != mockSide.end()) {
            rate.mock = it->second.recordsPerSecond;
            volume.mock = it->second.mibPerSecond;
        }
        print(rate);
        print(volume);
    }

    void print(const Figure& figure) {
        auto value = [&](const std::optional<double>& v, const char* missing) {
            return (v ? formatNumber(*v) : std::string(missing)) + " " + figure.unit;
        };
        const char* engineMissing = m_options.skipEngine ? "skipped" : "n/a";
        std::string ratio = "n/a";
        if (figure.engine && figure.mock && *figure.mock > 0) {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "%.2f", *figure.engine / *figure.mock);
            ratio = buffer;
        }
        std::string verdict;
        if (!figure.engine) {
            verdict = m_options.skipEngine ? "SKIP" : "MISS";
        } else {
            verdict = figure.meets(*figure.engine, figure.mock) ? "PASS" : "MISS";
        }
        std::lock_guard lock(g_outputMutex);
        std::printf("%s: engine=%s mock=%s ratio=%s target=%s %s\n", figure.name.c_str(),
                    value(figure.engine, engineMissing).c_str(),
                    value(figure.mock, "n/a").c_str(), ratio.c_str(), figure.target.c_str(),
                    verdict.c_str());
        std::fflush(stdout);
        ++m_printed;
    }

    Options m_options;
    Watchdog m_watchdog;
    int m_failures = 0;
    int m_printed = 0;
};

// ---------------------------------------------------------------------------------------------
// --serve-mock N: a mock cluster in this process, following the engine's start contract.
// stdin commands: "create <topic> <partitions> <rf>" -> "topic-ok <topic>" | "topic-error ...".

int serveMock(int brokers) {
    auto handle = makeClient(RD_KAFKA_PRODUCER, {}, {{"log_level", "4"}});
    if (!handle) {
        std::fprintf(stderr, "%s\n", handle.error().message.c_str());
        return 1;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle->get(), brokers);
    if (cluster == nullptr) {
        std::fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    std::printf("bootstrap.servers=%s\ncontrol=none\n", rd_kafka_mock_cluster_bootstraps(cluster));
    std::fflush(stdout);
    for (std::string line; std::getline(std::cin, line);) {
        std::istringstream words(line);
        std::string command;
        std::string topic;
        int partitions = 0;
        int replicationFactor = 0;
        words >> command >> topic >> partitions >> replicationFactor;
        if (command != "create" || !words) {
            std::printf("topic-error %s bad command '%s'\n", topic.c_str(), line.c_str());
        } else {
            const rd_kafka_resp_err_t err =
                createMockTopic(cluster, topic, partitions, replicationFactor, brokers);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                std::printf("topic-ok %s\n", topic.c_str());
            } else {
                std::printf("topic-error %s %s\n", topic.c_str(), rd_kafka_err2str(err));
            }
        }
        std::fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(cluster);
    return 0;
}

// SIGINT / SIGTERM / SIGHUP: stop spawned engines and remove their directories, then exit.
// The signals are blocked in every thread (set before any thread starts) and taken by this one.
void startSignalThread() {
    static sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread([] {
        int received = 0;
        if (sigwait(&signals, &received) != 0) {
            return;
        }
        std::fprintf(stderr, "bench_engine: signal %d, stopping spawned processes\n", received);
        ProcessRegistry::instance().killAll();
        std::_Exit(128 + received);
    }).detach();
}

void usage() {
    std::printf(
        "usage: bench_engine [--records N] [--repeat N] [--only NAME[,NAME...]] [--engine PATH]\n"
        "                    [--skip-engine] [--engine-bootstrap-from-mock] [--run-limit S]\n"
        "                    [--pin]\n"
        "NAME: machine produce_rf1_p1 produce_rf1_p3 produce_rf3 consume latency start_to_ready\n"
        "      idle_rss\n"
        "--engine defaults to ../../app/faultline-engine next to this executable\n"
        "--repeat: timed rounds per produce and consume run, median reported (default 5)\n"
        "--run-limit: abort when one run (scenario x side) exceeds S seconds (default 60)\n"
        "--pin: clients on CPU 0, cluster processes (the mock as a child too) on CPU 1\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    Options options;
    const fs::path self = fs::read_symlink("/proc/self/exe");
    options.enginePath = (self.parent_path() / "../../app/faultline-engine").lexically_normal();
    const std::vector<std::string> known{"machine",        "produce_rf1_p1", "produce_rf1_p3", "produce_rf3",
                                         "consume",        "latency",        "start_to_ready",
                                         "idle_rss"};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", arg.c_str());
                return std::nullopt;
            }
            return std::string(argv[++i]);
        };
        if (arg == "--records") {
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            options.records = std::strtoull(v->c_str(), nullptr, 10);
            if (options.records == 0) {
                std::fprintf(stderr, "--records must be a positive number\n");
                return std::nullopt;
            }
        } else if (arg == "--only") {
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            std::istringstream names(*v);
            for (std::string name; std::getline(names, name, ',');) {
                if (std::find(known.begin(), known.end(), name) == known.end()) {
                    std::fprintf(stderr, "unknown scenario '%s'\n", name.c_str());
                    usage();
                    return std::nullopt;
                }
                options.only.push_back(name);
            }
        } else if (arg == "--engine") {
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            options.enginePath = fs::absolute(*v);
        } else if (arg == "--run-limit") {
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            options.runLimit = std::chrono::seconds(std::strtoll(v->c_str(), nullptr, 10));
            if (options.runLimit.count() <= 0) {
                std::fprintf(stderr, "--run-limit must be a positive number of seconds\n");
                return std::nullopt;
            }
        } else if (arg == "--repeat") {
            auto v = value();
            if (!v) {
                return std::nullopt;
            }
            options.repeat = std::atoi(v->c_str());
            if (options.repeat <= 0) {
                std::fprintf(stderr, "--repeat must be a positive number\n");
                return std::nullopt;
            }
        } else if (arg == "--skip-engine") {
            options.skipEngine = true;
        } else if (arg == "--engine-bootstrap-from-mock") {
            options.engineFromMock = true;
        } else if (arg == "--pin") {
            if (std::thread::hardware_concurrency() < 2) {
                std::fprintf(stderr, "--pin needs at least 2 CPUs\n");
                return std::nullopt;
            }
            options.pin = true;
        } else {
            usage();
            return std::nullopt;
        }
    }
    return options;
}

} // namespace
} // namespace faultline::bench

int main(int argc, char** argv) {
    using namespace faultline::bench;
    if (argc == 3 && std::string_view(argv[1]) == "--serve-mock") {
        return serveMock(std::atoi(argv[2]));
    }
    ::signal(SIGPIPE, SIG_IGN);
    auto options = parseOptions(argc, argv);
    if (!options) {
        return 2;
    }
    if (options->pin) {
        // Before any thread starts, so that every client thread inherits CPU 0.
        cpu_set_t zero;
        CPU_ZERO(&zero);
        CPU_SET(0, &zero);
        if (::sched_setaffinity(0, sizeof zero, &zero) != 0) {
            std::fprintf(stderr, "--pin: sched_setaffinity: %s\n", std::strerror(errno));
            return 2;
        }
        g_clusterCpu = 1;
    }
    startSignalThread();
    Bench bench(std::move(*options));
    return bench.run();
}
