// bench_engine_scale: faultline-engine with thousands of partitions. Creates T topics of P
// partitions at RF R one CreateTopics at a time (librdkafka admin API), then prints the open file
// descriptors and RSS of the engine process, the CreateTopics latencies, and the start-up time of
// the engine on that data dir: warm (page cache kept), cold (after drop_caches, when permitted)
// and after a kill -9 (no clean shutdown). A program that prints figures, not a test.
//
// Every figure is one line "<name>: <value> <unit> (<details>)"; lines starting with '#' are notes.
// README.md says what each figure means.

#include "tests/bench/line_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <librdkafka/rdkafka.h>
#include <map>
#include <memory>
#include <optional>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double millisBetween(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

void note(const std::string& text) {
    std::printf("# %s\n", text.c_str());
    std::fflush(stdout);
}

double percentile(std::vector<double> values, double q) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

struct Options {
    fs::path engine;
    int topics = 2000;
    int partitions = 3;
    int replicationFactor = 3;
    int warmStarts = 3;
    bool cold = true;
    fs::path dataDir; // empty: a temporary dir, removed at the end
    std::vector<std::string> engineConfigs;
};

// A spawned faultline-engine: stdout is read line by line on a thread, stderr goes to a file.
class Engine {
public:
    static std::unique_ptr<Engine> spawn(const Options& options, const fs::path& dataDir,
                                         const fs::path& logFile) {
        std::unique_ptr<Engine> e(new Engine());
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            return nullptr;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, logFile.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        std::vector<std::string> argv{options.engine.string(),
                                      "--brokers",
                                      "3",
                                      "--port",
                                      "0",
                                      "--control-port",
                                      "0",
                                      "--data-dir",
                                      dataDir.string(),
                                      "--log-level",
                                      "warn"};
        for (const auto& c : options.engineConfigs) {
            argv.push_back("--config");
            argv.push_back(c);
        }
        std::vector<char*> args;
        for (auto& a : argv) {
            args.push_back(a.data());
        }
        args.push_back(nullptr);
        e->m_spawnedAt = Clock::now();
        const int rc = ::posix_spawn(&e->m_pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            std::fprintf(stderr, "cannot start %s: %s\n", args[0], std::strerror(rc));
            return nullptr;
        }
        e->m_stdout = out[0];
        e->m_reader.start(e->m_stdout);
        return e;
    }

    ~Engine() { stop(SIGTERM); }

    // The bootstrap servers once the engine prints them; nullopt after `limit`.
    std::optional<std::string> waitForBootstrap(std::chrono::seconds limit) {
        std::string servers;
        if (m_reader.waitFor("bootstrap.servers=", Clock::now() + limit, servers) !=
            faultline::bench::LineReader::Outcome::Found) {
            return std::nullopt;
        }
        m_bootstrapAt = Clock::now();
        return servers;
    }

    // SIGTERM (clean shutdown: waits for the exit, returns its duration) or SIGKILL.
    double stop(int signal) {
        if (m_pid <= 0) {
            return 0;
        }
        const auto from = Clock::now();
        ::kill(m_pid, signal);
        int status = 0;
        const auto deadline = from + 300s;
        while (::waitpid(m_pid, &status, WNOHANG) == 0) {
            if (Clock::now() > deadline) {
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, &status, 0);
                note("engine ignored SIGTERM for 300 s; killed");
                break;
            }
            std::this_thread::sleep_for(2ms);
        }
        const double ms = millisBetween(from, Clock::now());
        m_pid = -1;
        m_reader.join();
        ::close(m_stdout);
        return ms;
    }

    [[nodiscard]] pid_t pid() const { return m_pid; }
    [[nodiscard]] Clock::time_point spawnedAt() const { return m_spawnedAt; }
    [[nodiscard]] Clock::time_point bootstrapAt() const { return m_bootstrapAt; }

private:
    Engine() = default;

    pid_t m_pid = -1;
    int m_stdout = -1;
    Clock::time_point m_spawnedAt;
    Clock::time_point m_bootstrapAt;
    faultline::bench::LineReader m_reader; // joined by stop() before the pipe it reads is closed
};

struct Client {
    rd_kafka_t* rk = nullptr;
    explicit Client(const std::string& bootstrap) {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char err[256];
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    }
    ~Client() {
        if (rk != nullptr) {
            rd_kafka_destroy(rk);
        }
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
};

// One CreateTopics of one topic; empty string on success, else the error.
std::string createTopic(rd_kafka_t* rk, const std::string& name, int partitions, int rf) {
    char err[256];
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), partitions, rf, err, sizeof err);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &topic, 1, options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
    rd_kafka_NewTopic_destroy(topic);
    rd_kafka_AdminOptions_destroy(options);
    std::string outcome;
    if (event == nullptr) {
        outcome = "no answer within 60 s";
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outcome = rd_kafka_event_error_string(event);
    } else {
        std::size_t count = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        for (std::size_t i = 0; i < count; ++i) {
            const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                const char* message = rd_kafka_topic_result_error_string(results[i]);
                outcome = std::string(rd_kafka_err2name(e)) + ": " + (message ? message : "");
            }
        }
    }
    if (event != nullptr) {
        rd_kafka_event_destroy(event);
    }
    rd_kafka_queue_destroy(queue);
    return outcome;
}

// Topics in Metadata whose every partition has a leader.
int ledTopics(rd_kafka_t* rk) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return -1;
    }
    int led = 0;
    for (int t = 0; t < md->topic_cnt; ++t) {
        const auto& topic = md->topics[t];
        bool ok = topic.err == RD_KAFKA_RESP_ERR_NO_ERROR && topic.partition_cnt > 0;
        for (int p = 0; p < topic.partition_cnt; ++p) {
            ok = ok && topic.partitions[p].leader >= 0;
        }
        led += ok ? 1 : 0;
    }
    rd_kafka_metadata_destroy(md);
    return led;
}

int countFds(pid_t pid) {
    int n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n;
}

double rssMiB(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) {
            return std::stod(line.substr(6)) / 1024.0;
        }
    }
    return -1;
}

std::string fileLimit(pid_t pid) {
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    for (std::string line; std::getline(limits, line);) {
        if (line.starts_with("Max open files")) {
            std::istringstream in(line.substr(14));
            std::string soft;
            std::string hard;
            in >> soft >> hard;
            return soft + "/" + hard;
        }
    }
    return "?";
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a;
    std::string b;
    std::string c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

struct StartFigures {
    double bootstrapMs = -1; // spawn -> bootstrap line (every log open, listeners bound)
    double readyMs = -1;     // spawn -> Metadata lists every created topic with leaders
    double rssMiB = -1;
    int fds = -1;
};

std::optional<StartFigures> startOnce(const Options& options, const fs::path& dataDir,
                                      const fs::path& logFile, int expectTopics, int stopSignal) {
    auto engine = Engine::spawn(options, dataDir, logFile);
    if (!engine) {
        return std::nullopt;
    }
    auto bootstrap = engine->waitForBootstrap(600s);
    if (!bootstrap) {
        note("the engine did not start; see " + logFile.string());
        return std::nullopt;
    }
    StartFigures f;
    f.bootstrapMs = millisBetween(engine->spawnedAt(), engine->bootstrapAt());
    Client client(*bootstrap);
    while (millisBetween(engine->spawnedAt(), Clock::now()) < 600'000) {
        if (ledTopics(client.rk) >= expectTopics) {
            f.readyMs = millisBetween(engine->spawnedAt(), Clock::now());
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    f.fds = countFds(engine->pid());
    f.rssMiB = rssMiB(engine->pid());
    engine->stop(stopSignal);
    return f;
}

bool dropCaches() {
    ::sync();
    std::ofstream out("/proc/sys/vm/drop_caches");
    out << "3\n";
    out.flush();
    return static_cast<bool>(out);
}

void usage() {
    std::fprintf(
        stderr, "usage: bench_engine_scale [--engine PATH] [--topics N] [--partitions N] [--rf N]\n"
                "                          [--warm-starts N] [--no-cold] [--data-dir DIR]\n"
                "                          [--config K=V]...\n");
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    options.engine = fs::path(argv[0]).parent_path() / ".." / ".." / "app" / "faultline-engine";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--engine") {
            options.engine = next();
        } else if (arg == "--topics") {
            options.topics = std::stoi(next());
        } else if (arg == "--partitions") {
            options.partitions = std::stoi(next());
        } else if (arg == "--rf") {
            options.replicationFactor = std::stoi(next());
        } else if (arg == "--warm-starts") {
            options.warmStarts = std::max(1, std::stoi(next()));
        } else if (arg == "--no-cold") {
            options.cold = false;
        } else if (arg == "--data-dir") {
            options.dataDir = next();
        } else if (arg == "--config") {
            options.engineConfigs.push_back(next());
        } else {
            usage();
            return 2;
        }
    }
    if (!fs::exists(options.engine)) {
        std::fprintf(stderr, "no engine at %s (--engine PATH)\n", options.engine.c_str());
        return 2;
    }
    const bool temporary = options.dataDir.empty();
    fs::path root;
    if (temporary) {
        std::string pattern = (fs::temp_directory_path() / "faultline-scale-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            return 1;
        }
        root = pattern;
        options.dataDir = root / "data";
    } else {
        root = options.dataDir.parent_path();
    }
    const fs::path logFile = root / "engine-stderr.log";
    note("engine " + options.engine.string() + ", data dir " + options.dataDir.string());
    note("load average before: " + loadAverage());
    const long replicas =
        static_cast<long>(options.topics) * options.partitions * options.replicationFactor;
    note(std::to_string(options.topics) + " topics x " + std::to_string(options.partitions) +
         " partitions x RF " + std::to_string(options.replicationFactor) + " = " +
         std::to_string(replicas) + " replicas");

    int created = 0;
    {
        auto engine = Engine::spawn(options, options.dataDir, logFile);
        if (!engine) {
            return 1;
        }
        auto bootstrap = engine->waitForBootstrap(600s);
        if (!bootstrap) {
            note("the engine did not start; see " + logFile.string());
            return 1;
        }
        note("engine open file limit (soft/hard): " + fileLimit(engine->pid()) +
             ", fds at start: " + std::to_string(countFds(engine->pid())));
        Client client(*bootstrap);
        std::vector<double> latencies;
        const auto from = Clock::now();
        std::string failure;
        for (int t = 0; t < options.topics; ++t) {
            char name[32];
            std::snprintf(name, sizeof name, "scale-%05d", t);
            const auto at = Clock::now();
            failure = createTopic(client.rk, name, options.partitions, options.replicationFactor);
            if (!failure.empty()) {
                failure = std::string(name) + ": " + failure;
                break;
            }
            latencies.push_back(millisBetween(at, Clock::now()));
            ++created;
            if (created % 500 == 0) {
                note(std::to_string(created) + " topics, " +
                     std::to_string(countFds(engine->pid())) + " fds");
            }
        }
        const double total = millisBetween(from, Clock::now()) / 1000.0;
        if (!failure.empty()) {
            note("CreateTopics FAILED after " + std::to_string(created) + " topics: " + failure);
        }
        // Wait until every created topic is led, then count.
        while (ledTopics(client.rk) < created) {
            std::this_thread::sleep_for(50ms);
        }
        const long createdReplicas =
            static_cast<long>(created) * options.partitions * options.replicationFactor;
        std::printf("scale_topics_created: %d of %d (%ld replicas)%s\n", created, options.topics,
                    createdReplicas, failure.empty() ? "" : " FAILED");
        std::printf("scale_create_topic_ms: median=%.1f p99=%.1f max=%.1f total=%.1f s\n",
                    percentile(latencies, 0.5), percentile(latencies, 0.99),
                    percentile(latencies, 1.0), total);
        std::printf("scale_fds: %d (after creating %ld replicas)\n", countFds(engine->pid()),
                    createdReplicas);
        std::printf("scale_rss_mib: %.1f (after creating)\n", rssMiB(engine->pid()));
        const double stopMs = engine->stop(SIGTERM);
        std::printf("scale_stop_ms: %.0f (SIGTERM to exit, clean shutdown)\n", stopMs);
        std::fflush(stdout);
    }

    std::vector<double> warmBoot;
    std::vector<double> warmReady;
    StartFigures last;
    for (int i = 0; i < options.warmStarts; ++i) {
        auto f = startOnce(options, options.dataDir, logFile, created, SIGTERM);
        if (!f) {
            return 1;
        }
        warmBoot.push_back(f->bootstrapMs);
        warmReady.push_back(f->readyMs);
        last = *f;
        note("warm start " + std::to_string(i + 1) + ": open " + std::to_string(f->bootstrapMs) +
             " ms, ready " + std::to_string(f->readyMs) + " ms");
    }
    std::printf("scale_start_warm_ms: open=%.0f ready=%.0f (median of %d; open = spawn to "
                "bootstrap line, ready = every topic led in Metadata)\n",
                percentile(warmBoot, 0.5), percentile(warmReady, 0.5), options.warmStarts);
    std::printf("scale_fds_after_start: %d\n", last.fds);
    std::printf("scale_rss_mib_after_start: %.1f\n", last.rssMiB);
    std::fflush(stdout);

    if (options.cold) {
        if (dropCaches()) {
            auto f = startOnce(options, options.dataDir, logFile, created, SIGTERM);
            if (!f) {
                return 1;
            }
            std::printf("scale_start_cold_ms: open=%.0f ready=%.0f (after drop_caches)\n",
                        f->bootstrapMs, f->readyMs);
        } else {
            std::printf("scale_start_cold_ms: n/a (writing /proc/sys/vm/drop_caches is not "
                        "permitted)\n");
        }
        std::fflush(stdout);
    }

    // After a kill -9: no clean shutdown, so the engine recovers what was not closed cleanly.
    {
        auto killed = startOnce(options, options.dataDir, logFile, created, SIGKILL);
        if (!killed) {
            return 1;
        }
        auto f = startOnce(options, options.dataDir, logFile, created, SIGTERM);
        if (!f) {
            return 1;
        }
        std::printf("scale_start_after_kill_ms: open=%.0f ready=%.0f (warm, after SIGKILL)\n",
                    f->bootstrapMs, f->readyMs);
    }
    note("load average after: " + loadAverage());
    if (temporary) {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    return 0;
}
