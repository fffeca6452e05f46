// A faultline-engine child process for the conformance tests: start with arguments, wait for the
// "bootstrap.servers=" and "control=" lines, stop with SIGTERM (clean exit 0 expected) or kill.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <expected>

namespace faultline::conformance {

class EngineProcess {
public:
    // Brokers / fault domains / update domains and the data dir become the engine's arguments;
    // ports are always 0 (the engine picks free ones and reports them).
    explicit EngineProcess(QString dataDir, int brokers = 3, int faultDomains = 3,
                           int updateDomains = 3);
    ~EngineProcess(); // kills the engine if it still runs
    EngineProcess(const EngineProcess&) = delete;
    EngineProcess& operator=(const EngineProcess&) = delete;

    // Engine binary: $FAULTLINE_ENGINE if set, else $FAULTLINE_BUILD_DIR/app/faultline-engine if
    // that exists, else the path CMake compiled in (FAULTLINE_ENGINE_PATH).
    [[nodiscard]] static QString enginePath();

    // Starts the engine and waits (up to timeoutMs) until it printed both lines.
    [[nodiscard]] std::expected<void, QString> start(int timeoutMs = 20000);
    // SIGTERM, then waits up to timeoutMs; an error unless the engine exits normally with 0.
    [[nodiscard]] std::expected<void, QString> stop(int timeoutMs = 30000);
    // SIGKILL (crash tests); waits until the process is gone.
    void kill();

    [[nodiscard]] bool isRunning() const;
    [[nodiscard]] QString bootstrap() const { return m_bootstrap; }       // "127.0.0.1:P1,..."
    [[nodiscard]] QString controlUrl() const { return m_controlUrl; }     // "http://127.0.0.1:C"
    [[nodiscard]] QStringList brokerAddresses() const; // bootstrap split on ','
    [[nodiscard]] QStringList arguments() const { return m_arguments; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }

    // Everything the engine wrote to stderr so far (it goes to a file, so the pipe never fills),
    // at most the last maxBytes; and what it printed on stdout.
    [[nodiscard]] QString stderrTail(qsizetype maxBytes = 16384) const;
    [[nodiscard]] QString stdoutText();

    // qInfo()s the command line, stdout and the stderr tail, for a failing test's log.
    void dumpToTestLog(const char* why);

private:
    QString m_dataDir;
    QStringList m_arguments;
    QTemporaryDir m_logDir;
    QString m_stderrPath;
    QProcess m_process;
    QByteArray m_stdout;
    QString m_bootstrap;
    QString m_controlUrl;
};

} // namespace faultline::conformance
