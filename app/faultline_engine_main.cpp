// faultline-engine: the headless sandbox. Prints the bootstrap servers and the control URL once
// every broker accepts connections, serves until SIGINT/SIGTERM, then shuts down cleanly.
#include "app/allocator_tuning.h"
#include "engine/broker/control_server.h"
#include "engine/broker/engine.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: faultline-engine [options]\n"
                 "  --brokers N          brokers to run (3)\n"
                 "  --fault-domains F    fault domains (3)\n"
                 "  --update-domains U   update domains (3)\n"
                 "  --data-dir DIR       data directory (default: a temporary dir removed at exit)\n"
                 "  --port P             first broker port; broker i listens on P+i (9092; 0 = any free)\n"
                 "  --control-port C     control HTTP port (9644; 0 = any free)\n"
                 "  --listen ADDR        listen address (127.0.0.1)\n"
                 "  --io-threads T       I/O threads (2)\n"
                 "  --segment-files N    open files kept for older log segments (256)\n"
                 "  --config K=V         broker config override (repeatable), e.g. num.partitions=6\n"
                 "  --log-level L        trace|debug|info|warn|error (info)\n");
}

bool parseInt(std::string_view text, long min, long max, long& out) {
    try {
        std::size_t used = 0;
        const long v = std::stol(std::string(text), &used);
        if (used != text.size() || v < min || v > max) {
            return false;
        }
        out = v;
        return true;
    } catch (...) {
        return false;
    }
}

} // namespace

int main(int argc, char** argv) {
    using faultline::broker::ControlServer;
    using faultline::broker::Engine;
    using faultline::broker::EngineOptions;

    faultline::app::tuneAllocatorForEngine();

    auto logger = spdlog::stderr_color_mt("faultline");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

    EngineOptions options;
    long controlPort = 9644;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](long min, long max, long& out) {
            if (i + 1 >= argc || !parseInt(argv[i + 1], min, max, out)) {
                std::fprintf(stderr, "faultline-engine: %s needs a number in [%ld, %ld]\n", argv[i], min, max);
                std::exit(2);
            }
            ++i;
        };
        auto text = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "faultline-engine: %s needs a value\n", argv[i]);
                std::exit(2);
            }
            return argv[++i];
        };
        long n = 0;
        if (arg == "--brokers") {
            value(1, 64, n);
            options.brokers = static_cast<int>(n);
        } else if (arg == "--fault-domains") {
            value(1, 64, n);
            options.faultDomains = static_cast<int>(n);
        } else if (arg == "--update-domains") {
            value(1, 64, n);
            options.updateDomains = static_cast<int>(n);
        } else if (arg == "--data-dir") {
            options.dataDir = text();
        } else if (arg == "--port") {
            value(0, 65535, n);
            options.basePort = static_cast<std::uint16_t>(n);
        } else if (arg == "--control-port") {
            value(0, 65535, controlPort);
        } else if (arg == "--listen") {
            options.listenAddress = text();
        } else if (arg == "--io-threads") {
            value(1, 64, n);
            options.ioThreads = static_cast<int>(n);
        } else if (arg == "--segment-files") {
            value(1, 1000000, n);
            options.segmentFiles = static_cast<std::size_t>(n);
        } else if (arg == "--config") {
            const std::string kv = text();
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) {
                std::fprintf(stderr, "faultline-engine: --config wants KEY=VALUE, got '%s'\n", kv.c_str());
                return 2;
            }
            options.brokerConfigs[kv.substr(0, eq)] = kv.substr(eq + 1);
        } else if (arg == "--log-level") {
            const std::string level = text();
            const auto parsed = spdlog::level::from_str(level);
            if (parsed == spdlog::level::off && level != "off") {
                std::fprintf(stderr, "faultline-engine: unknown log level '%s'\n", level.c_str());
                return 2;
            }
            spdlog::set_level(parsed);
        } else if (arg == "--help" || arg == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "faultline-engine: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (options.basePort != 0 && options.basePort + options.brokers - 1 > 65535) {
        std::fprintf(stderr, "faultline-engine: ports %u..%u do not fit\n", options.basePort,
                     options.basePort + options.brokers - 1);
        return 2;
    }

    // Block the stop signals before any thread starts, then wait for them synchronously.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const std::string listen = options.listenAddress;
    auto engine = Engine::start(std::move(options));
    if (!engine) {
        std::fprintf(stderr, "faultline-engine: %s\n", engine.error().c_str());
        return 1;
    }
    ControlServer control(**engine);
    auto controlBound = control.start(listen, static_cast<std::uint16_t>(controlPort));
    if (!controlBound) {
        std::fprintf(stderr, "faultline-engine: %s\n", controlBound.error().c_str());
        (*engine)->stop();
        return 1;
    }
    std::cout << "bootstrap.servers=" << (*engine)->bootstrapServers() << "\n"
              << "control=http://" << listen << ":" << *controlBound << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {}: shutting down", received);
    control.stop();
    (*engine)->stop();
    return 0;
}
