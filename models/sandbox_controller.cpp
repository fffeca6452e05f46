#include "models/sandbox_controller.h"

#include "engine/broker/engine.h"

#include <QDir>
#include <QMetaObject>
#include <QStandardPaths>

namespace faultline::models {

SandboxController::SandboxController(QObject* parent) : QObject(parent) {}

SandboxController::~SandboxController() {
    joinHelper();
    if (m_engine)
        m_engine->stop();
}

QString SandboxController::defaultDataDir() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
           QStringLiteral("/sandbox");
}

void SandboxController::joinHelper() {
    if (m_helper.joinable())
        m_helper.join();
}

void SandboxController::start(const SandboxOptions& options) {
    if (m_busy || m_engine)
        return;
    joinHelper();
    m_busy = true;
    broker::EngineOptions engineOptions;
    engineOptions.brokers = options.brokers;
    engineOptions.faultDomains = options.faultDomains;
    engineOptions.updateDomains = options.updateDomains;
    m_dataDir = options.dataDir.isEmpty() ? defaultDataDir() : options.dataDir;
    engineOptions.dataDir = std::filesystem::path(m_dataDir.toStdString());
    engineOptions.basePort = static_cast<std::uint16_t>(options.basePort);
    m_helper = std::thread([this, engineOptions] {
        QDir().mkpath(QString::fromStdString(engineOptions.dataDir.string()));
        auto result = broker::Engine::start(engineOptions);
        if (!result) {
            const QString message = QString::fromStdString(result.error());
            QMetaObject::invokeMethod(
                this,
                [this, message] {
                    m_busy = false;
                    emit failed(message);
                },
                Qt::QueuedConnection);
            return;
        }
        std::shared_ptr<broker::Engine> engine(std::move(*result));
        QMetaObject::invokeMethod(
            this,
            [this, engine] {
                m_busy = false;
                m_engine = engine;
                m_bootstrap = QString::fromStdString(engine->bootstrapServers());
                emit started(m_bootstrap);
            },
            Qt::QueuedConnection);
    });
}

void SandboxController::stop() {
    if (m_busy || !m_engine)
        return;
    joinHelper();
    m_busy = true;
    std::shared_ptr<broker::Engine> engine = std::move(m_engine);
    m_engine.reset();
    m_helper = std::thread([this, engine] {
        engine->stop();
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_busy = false;
                m_bootstrap.clear();
                emit stopped();
            },
            Qt::QueuedConnection);
    });
}

} // namespace faultline::models
