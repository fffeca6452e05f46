#include "tests/conformance/engine_process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtDebug>

#include <utility>

#ifndef FAULTLINE_ENGINE_PATH
#define FAULTLINE_ENGINE_PATH ""
#endif

namespace faultline::conformance {

namespace {

constexpr auto kBootstrapPrefix = "bootstrap.servers=";
constexpr auto kControlPrefix = "control=";

} // namespace

EngineProcess::EngineProcess(QString dataDir, int brokers, int faultDomains, int updateDomains)
    : m_dataDir(std::move(dataDir))
{
    m_arguments = {QStringLiteral("--brokers"), QString::number(brokers),
                   QStringLiteral("--fault-domains"), QString::number(faultDomains),
                   QStringLiteral("--update-domains"), QString::number(updateDomains),
                   QStringLiteral("--data-dir"), m_dataDir,
                   QStringLiteral("--port"), QStringLiteral("0"),
                   QStringLiteral("--control-port"), QStringLiteral("0"),
                   QStringLiteral("--log-level"), QStringLiteral("info")};
    m_stderrPath = m_logDir.filePath(QStringLiteral("engine.stderr"));
}

EngineProcess::~EngineProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        kill();
    }
}

QString EngineProcess::enginePath()
{
    const QString overridden = qEnvironmentVariable("FAULTLINE_ENGINE");
    if (!overridden.isEmpty()) {
        return overridden;
    }
    const QString buildDir = qEnvironmentVariable("FAULTLINE_BUILD_DIR");
    if (!buildDir.isEmpty()) {
        const QString candidate = QDir(buildDir).filePath(QStringLiteral("app/faultline-engine"));
        if (QFileInfo::exists(candidate)) {
            return candidate;
        }
    }
    return QStringLiteral(FAULTLINE_ENGINE_PATH);
}

std::expected<void, QString> EngineProcess::start(int timeoutMs)
{
    if (m_process.state() != QProcess::NotRunning) {
        return std::unexpected(QStringLiteral("engine already running"));
    }
    const QString program = enginePath();
    const QFileInfo info(program);
    if (program.isEmpty() || !info.exists() || !info.isExecutable()) {
        return std::unexpected(QStringLiteral("faultline-engine not found or not executable at "
                                              "'%1': build the faultline-engine target, or set "
                                              "FAULTLINE_BUILD_DIR / FAULTLINE_ENGINE")
                                   .arg(program));
    }
    m_bootstrap.clear();
    m_controlUrl.clear();
    m_stdout.clear();
    m_process.setProgram(program);
    m_process.setArguments(m_arguments);
    m_process.setStandardErrorFile(m_stderrPath, QIODevice::Append);
    m_process.start(QIODevice::ReadOnly);
    if (!m_process.waitForStarted(5000)) {
        return std::unexpected(QStringLiteral("could not start %1: %2")
                                   .arg(program, m_process.errorString()));
    }

    QDeadlineTimer deadline(timeoutMs);
    qsizetype parsed = 0;
    while (m_bootstrap.isEmpty() || m_controlUrl.isEmpty()) {
        m_stdout += m_process.readAllStandardOutput();
        qsizetype newline = -1;
        while ((newline = m_stdout.indexOf('\n', parsed)) >= 0) {
            const QString line =
                QString::fromUtf8(m_stdout.mid(parsed, newline - parsed)).trimmed();
            parsed = newline + 1;
            if (line.startsWith(QLatin1String(kBootstrapPrefix))) {
                m_bootstrap = line.mid(qsizetype(qstrlen(kBootstrapPrefix)));
            } else if (line.startsWith(QLatin1String(kControlPrefix))) {
                m_controlUrl = line.mid(qsizetype(qstrlen(kControlPrefix)));
            }
        }
        if (!m_bootstrap.isEmpty() && !m_controlUrl.isEmpty()) {
            break;
        }
        if (m_process.state() == QProcess::NotRunning) {
            return std::unexpected(
                QStringLiteral("engine exited before it was ready (exit code %1, %2)")
                    .arg(m_process.exitCode())
                    .arg(m_process.exitStatus() == QProcess::NormalExit ? "normal exit"
                                                                        : "crashed"));
        }
        if (deadline.hasExpired()) {
            return std::unexpected(
                QStringLiteral("engine printed no bootstrap.servers= and control= lines within "
                               "%1 ms (stdout so far: '%2')")
                    .arg(timeoutMs)
                    .arg(QString::fromUtf8(m_stdout)));
        }
        m_process.waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 500)));
    }
    if (brokerAddresses().isEmpty() || !m_controlUrl.startsWith(QLatin1String("http://"))) {
        return std::unexpected(QStringLiteral("malformed readiness lines: bootstrap '%1', "
                                              "control '%2'")
                                   .arg(m_bootstrap, m_controlUrl));
    }
    return {};
}

std::expected<void, QString> EngineProcess::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning) {
        if (m_process.exitStatus() == QProcess::CrashExit || m_process.exitCode() != 0) {
            return std::unexpected(
                QStringLiteral("engine had already stopped by itself (exit code %1, %2)")
                    .arg(m_process.exitCode())
                    .arg(m_process.exitStatus() == QProcess::NormalExit ? "normal exit"
                                                                        : "crashed"));
        }
        return std::unexpected(QStringLiteral("engine was not running"));
    }
    m_process.terminate(); // SIGTERM
    const bool finished = m_process.waitForFinished(timeoutMs);
    m_stdout += m_process.readAllStandardOutput();
    if (!finished) {
        kill();
        return std::unexpected(
            QStringLiteral("engine did not exit within %1 ms of SIGTERM; killed").arg(timeoutMs));
    }
    if (m_process.exitStatus() != QProcess::NormalExit) {
        return std::unexpected(QStringLiteral("engine crashed on SIGTERM"));
    }
    if (m_process.exitCode() != 0) {
        return std::unexpected(
            QStringLiteral("engine exited with code %1 after SIGTERM").arg(m_process.exitCode()));
    }
    return {};
}

void EngineProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning) {
        return;
    }
    m_process.kill();
    m_process.waitForFinished(10000);
    m_stdout += m_process.readAllStandardOutput();
}

bool EngineProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

QStringList EngineProcess::brokerAddresses() const
{
    return m_bootstrap.split(QLatin1Char(','), Qt::SkipEmptyParts);
}

QString EngineProcess::stderrTail(qsizetype maxBytes) const
{
    QFile file(m_stderrPath);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    if (file.size() > maxBytes) {
        file.seek(file.size() - maxBytes);
    }
    return QString::fromUtf8(file.readAll());
}

QString EngineProcess::stdoutText()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_stdout += m_process.readAllStandardOutput();
    }
    return QString::fromUtf8(m_stdout);
}

void EngineProcess::dumpToTestLog(const char* why)
{
    qInfo().noquote() << "=== faultline-engine (" << why << "):" << enginePath()
                      << m_arguments.join(QLatin1Char(' '));
    qInfo().noquote() << "--- engine stdout:\n" << stdoutText();
    qInfo().noquote() << "--- engine stderr (tail):\n" << stderrTail();
}

} // namespace faultline::conformance
