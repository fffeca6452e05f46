#include "ui/sandbox_panel.h"

#include "models/sandbox_controller.h"
#include "ui/display_format.h"

#include <QApplication>
#include <QClipboard>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace faultline::ui {

SandboxPanel::SandboxPanel(QWidget* parent)
    : QDockWidget(tr("Local sandbox"), parent)
    , m_controller(new models::SandboxController(this))
{
    setObjectName(QStringLiteral("sandboxPanel"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(6, 6, 6, 6);
    auto* form = new QFormLayout;
    m_brokers = new QSpinBox(body);
    m_brokers->setRange(1, 32);
    m_brokers->setValue(3);
    form->addRow(tr("Brokers:"), m_brokers);
    m_faultDomains = new QSpinBox(body);
    m_faultDomains->setRange(1, 16);
    m_faultDomains->setValue(3);
    form->addRow(tr("Fault domains:"), m_faultDomains);
    m_updateDomains = new QSpinBox(body);
    m_updateDomains->setRange(1, 16);
    m_updateDomains->setValue(3);
    form->addRow(tr("Update domains:"), m_updateDomains);
    m_basePort = new QSpinBox(body);
    m_basePort->setRange(0, 65000);
    m_basePort->setValue(9092);
    m_basePort->setSpecialValueText(tr("any free port"));
    form->addRow(tr("Base port:"), m_basePort);
    m_dataDir = new QLineEdit(body);
    m_dataDir->setText(models::SandboxController::defaultDataDir());
    m_dataDir->setToolTip(m_dataDir->text());
    form->addRow(tr("Data dir:"), m_dataDir);
    layout->addLayout(form);

    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Start"), body);
    m_stop = new QPushButton(tr("Stop"), body);
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    layout->addLayout(buttons);

    auto* bootstrapRow = new QHBoxLayout;
    m_bootstrap = new QLineEdit(body);
    m_bootstrap->setReadOnly(true);
    m_bootstrap->setObjectName(QStringLiteral("sandboxBootstrap"));
    m_bootstrap->setFont(monospaceFont());
    m_bootstrap->setPlaceholderText(tr("not running"));
    m_copy = new QPushButton(tr("Copy"), body);
    m_copy->setToolTip(tr("Copy the bootstrap servers to the clipboard"));
    bootstrapRow->addWidget(m_bootstrap, 1);
    bootstrapRow->addWidget(m_copy);
    layout->addWidget(new QLabel(tr("Bootstrap servers:"), body));
    layout->addLayout(bootstrapRow);
    m_status = new QLabel(tr("Stopped"), body);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    layout->addStretch();
    setWidget(body);

    connect(m_start, &QPushButton::clicked, this, &SandboxPanel::startSandbox);
    connect(m_stop, &QPushButton::clicked, this, &SandboxPanel::stopSandbox);
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(m_bootstrapText);
        m_status->setText(tr("Copied %1").arg(m_bootstrapText));
    });
    connect(m_controller, &models::SandboxController::started, this, &SandboxPanel::onStarted);
    connect(m_controller, &models::SandboxController::stopped, this, &SandboxPanel::onStopped);
    connect(m_controller, &models::SandboxController::failed, this, &SandboxPanel::onFailed);
    setBusy(false);
    m_stop->setEnabled(false);
    m_copy->setEnabled(false);
}

SandboxPanel::~SandboxPanel() = default;

void SandboxPanel::setBrokerCount(int brokers)
{
    m_brokers->setValue(brokers);
}

void SandboxPanel::setDataDir(const QString& dir)
{
    m_dataDir->setText(dir);
    m_dataDir->setToolTip(dir);
}

void SandboxPanel::setBasePort(int port)
{
    m_basePort->setValue(port);
}

QString SandboxPanel::statusText() const
{
    return m_status->text();
}

void SandboxPanel::startSandbox()
{
    if (running())
        return;
    models::SandboxOptions options;
    options.brokers = m_brokers->value();
    options.faultDomains = m_faultDomains->value();
    options.updateDomains = m_updateDomains->value();
    options.basePort = m_basePort->value();
    options.dataDir = m_dataDir->text().trimmed();
    setBusy(true);
    m_status->setText(tr("Starting %1 brokers…").arg(options.brokers));
    m_controller->start(options);
}

void SandboxPanel::stopSandbox()
{
    if (!running())
        return;
    setBusy(true);
    m_status->setText(tr("Stopping…"));
    m_controller->stop();
}

void SandboxPanel::setBusy(bool busy)
{
    m_start->setEnabled(!busy && !running());
    m_stop->setEnabled(!busy && running());
    for (QWidget* w : {static_cast<QWidget*>(m_brokers), static_cast<QWidget*>(m_faultDomains),
             static_cast<QWidget*>(m_updateDomains), static_cast<QWidget*>(m_basePort),
             static_cast<QWidget*>(m_dataDir)})
        w->setEnabled(!busy && !running());
}

void SandboxPanel::onStarted(const QString& bootstrap)
{
    m_bootstrapText = bootstrap;
    m_bootstrap->setText(bootstrap);
    m_bootstrap->setCursorPosition(0);
    m_bootstrap->setToolTip(bootstrap);
    m_copy->setEnabled(true);
    m_status->setText(tr("Running: %1 brokers").arg(m_brokers->value()));
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::ok().name()));
    setBusy(false);
    emit started(bootstrap);
}

void SandboxPanel::onStopped()
{
    m_bootstrapText.clear();
    m_bootstrap->clear();
    m_copy->setEnabled(false);
    m_status->setText(tr("Stopped"));
    m_status->setStyleSheet(QString());
    setBusy(false);
    emit stopped();
}

void SandboxPanel::onFailed(const QString& message)
{
    m_bootstrapText.clear();
    m_bootstrap->clear();
    m_status->setText(tr("Failed: %1").arg(message));
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    setBusy(false);
    emit failed(message);
}

} // namespace faultline::ui
