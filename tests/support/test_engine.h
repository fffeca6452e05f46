// The one way the app's tests (tests/unit/models, tests/gui, tests/cli) get a cluster: a
// faultline engine in the test's own process, brokers on loopback ports (ephemeral unless a base
// port is given), its data in a temporary dir removed with the fixture.
//
//   faultline::testsupport::TestEngine engine;
//   auto started = engine.start({.brokers = 3});
//   QVERIFY2(started, qPrintable(started.error()));
//   profile.bootstrapServers = engine.bootstrap();
//
// (The conformance tests run the engine as a separate process instead: tests/conformance/
// engine_process.h, for clients that are not linked into the test.)
#pragma once

#include "engine/broker/engine.h"
#include "models/connection_profile.h"

#include <QString>
#include <QTemporaryDir>
#include <cstdint>
#include <expected>
#include <memory>
#include <utility>

namespace faultline::testsupport {

class TestEngine {
public:
    struct Options {
        int brokers = 3;
        int faultDomains = 3;
        int updateDomains = 3;
        std::uint16_t basePort = 0; // broker i listens on basePort + i; 0: ephemeral ports
    };

    TestEngine() = default;
    ~TestEngine() { stop(); }
    TestEngine(const TestEngine&) = delete;
    TestEngine& operator=(const TestEngine&) = delete;

    // Starts the brokers; when it returns successfully every broker accepts connections.
    [[nodiscard]] std::expected<void, QString> start(Options options) {
        if (m_engine) {
            return std::unexpected(QStringLiteral("the test engine is already running"));
        }
        if (!m_dir.isValid()) {
            return std::unexpected(
                QStringLiteral("no temporary data dir: %1").arg(m_dir.errorString()));
        }
        broker::EngineOptions engineOptions;
        engineOptions.brokers = options.brokers;
        engineOptions.faultDomains = options.faultDomains;
        engineOptions.updateDomains = options.updateDomains;
        engineOptions.basePort = options.basePort;
        engineOptions.dataDir = m_dir.path().toStdString();
        auto started = broker::Engine::start(std::move(engineOptions));
        if (!started) {
            return std::unexpected(
                QStringLiteral("the engine did not start (%1 brokers, base port %2): %3")
                    .arg(options.brokers)
                    .arg(options.basePort)
                    .arg(QString::fromStdString(started.error())));
        }
        m_engine = std::move(*started);
        m_bootstrap = QString::fromStdString(m_engine->bootstrapServers());
        return {};
    }
    [[nodiscard]] std::expected<void, QString> start() { return start(Options{}); }

    // Stops the brokers (flushes logs, joins threads); harmless when not running.
    void stop() {
        if (m_engine) {
            m_engine->stop();
        }
        m_engine.reset();
        m_bootstrap.clear();
    }

    [[nodiscard]] bool running() const { return m_engine != nullptr; }
    [[nodiscard]] QString bootstrap() const { return m_bootstrap; } // "127.0.0.1:P1,127.0.0.1:P2"
    [[nodiscard]] broker::Engine& engine() { return *m_engine; }    // only while running()
    [[nodiscard]] QString dataDir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<broker::Engine> m_engine;
    QString m_bootstrap;
};

// A PLAINTEXT profile named "test" for `bootstrap` (the tests that link the models use it).
inline models::ConnectionProfile plainProfile(const QString& bootstrap, int refreshIntervalMs = 5000) {
    models::ConnectionProfile profile;
    profile.name = QStringLiteral("test");
    profile.bootstrapServers = bootstrap;
    profile.refreshIntervalMs = refreshIntervalMs;
    return profile;
}

} // namespace faultline::testsupport
