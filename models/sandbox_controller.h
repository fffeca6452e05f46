// Owns the in-process sandbox (broker::Engine). Starting and stopping run on a helper thread;
// the results arrive as queued signals, so the UI thread never waits.
#pragma once

#include <QObject>
#include <QString>

#include <memory>
#include <thread>

namespace faultline::broker {
class Engine;
}

namespace faultline::models {

struct SandboxOptions {
    int brokers = 3;
    int faultDomains = 3;
    int updateDomains = 3;
    QString dataDir;   // empty: QStandardPaths::AppDataLocation + "/sandbox"
    int basePort = 9092; // broker i listens on basePort + i; 0 = any free port
};

class SandboxController : public QObject {
    Q_OBJECT
public:
    explicit SandboxController(QObject* parent = nullptr);
    ~SandboxController() override; // stops a running engine (waits for it)

    [[nodiscard]] static QString defaultDataDir();

    // Emits started(bootstrap) or failed(message). Ignored while starting/stopping or running.
    void start(const SandboxOptions& options);
    // Emits stopped(). Ignored unless running.
    void stop();

    [[nodiscard]] bool isRunning() const { return m_engine != nullptr; }
    [[nodiscard]] bool isBusy() const { return m_busy; }
    [[nodiscard]] QString bootstrapServers() const { return m_bootstrap; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }
    // The engine itself (in-process control and metrics); null unless running.
    [[nodiscard]] broker::Engine* engine() const { return m_engine.get(); }

signals:
    void started(const QString& bootstrapServers);
    void failed(const QString& message);
    void stopped();

private:
    void joinHelper();

    std::shared_ptr<broker::Engine> m_engine;
    std::thread m_helper;
    bool m_busy = false;
    QString m_bootstrap;
    QString m_dataDir;
};

} // namespace faultline::models
