#include "ui/connection_dialog.h"

#include "models/profile_store.h"
#include "ui/display_format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace faultline::ui {

using models::SecurityProtocol;

ConnectionDialog::ConnectionDialog(QVector<models::ConnectionProfile> profiles, QWidget* parent)
    : QDialog(parent)
    , m_profiles(std::move(profiles))
{
    setWindowTitle(tr("Connect to a cluster"));
    setObjectName(QStringLiteral("connectionDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_existing = new QComboBox(this);
    m_existing->addItem(tr("(new profile)"));
    for (const auto& p : std::as_const(m_profiles))
        m_existing->addItem(p.name);
    form->addRow(tr("Profile:"), m_existing);

    m_sandbox = new QCheckBox(tr("Local sandbox (start the engine in this process)"), this);
    m_sandbox->setObjectName(QStringLiteral("sandbox"));
    form->addRow(QString(), m_sandbox);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("production-eu"));
    form->addRow(tr("Name:"), m_name);
    m_bootstrap = new QLineEdit(this);
    m_bootstrap->setObjectName(QStringLiteral("bootstrap"));
    m_bootstrap->setPlaceholderText(QStringLiteral("kafka-1:9092,kafka-2:9092"));
    m_bootstrap->setFont(monospaceFont());
    form->addRow(tr("Bootstrap servers:"), m_bootstrap);
    m_security = new QComboBox(this);
    m_security->setObjectName(QStringLiteral("security"));
    for (auto p : {SecurityProtocol::Plaintext, SecurityProtocol::Ssl, SecurityProtocol::SaslPlaintext,
             SecurityProtocol::SaslSsl})
        m_security->addItem(models::securityProtocolName(p), static_cast<int>(p));
    form->addRow(tr("Security protocol:"), m_security);
    m_mechanism = new QComboBox(this);
    m_mechanism->setObjectName(QStringLiteral("saslMechanism"));
    m_mechanism->addItems({QStringLiteral("PLAIN"), QStringLiteral("SCRAM-SHA-256"), QStringLiteral("SCRAM-SHA-512")});
    form->addRow(tr("SASL mechanism:"), m_mechanism);
    m_username = new QLineEdit(this);
    m_username->setObjectName(QStringLiteral("username"));
    form->addRow(tr("Username:"), m_username);
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("Password:"), m_password);
    m_passwordHint = new QLabel(this);
    m_passwordHint->setObjectName(QStringLiteral("passwordHint"));
    m_passwordHint->setWordWrap(true);
    m_passwordHint->setVisible(false);
    form->addRow(QString(), m_passwordHint);
    m_caFile = new QLineEdit(this);
    m_caFile->setObjectName(QStringLiteral("caFile"));
    form->addRow(tr("CA file:"), m_caFile);
    m_certFile = new QLineEdit(this);
    m_certFile->setObjectName(QStringLiteral("certFile"));
    form->addRow(tr("Client certificate:"), m_certFile);
    m_keyFile = new QLineEdit(this);
    m_keyFile->setObjectName(QStringLiteral("keyFile"));
    form->addRow(tr("Client key:"), m_keyFile);
    m_extra = new QPlainTextEdit(this);
    m_extra->setObjectName(QStringLiteral("extraProperties"));
    m_extra->setPlaceholderText(tr("one librdkafka property per line: key=value"));
    m_extra->setFont(monospaceFont());
    m_extra->setFixedHeight(70);
    form->addRow(tr("Extra properties:"), m_extra);
    m_rackPattern = new QLineEdit(this);
    m_rackPattern->setObjectName(QStringLiteral("rackPattern"));
    m_rackPattern->setPlaceholderText(tr("default: FD0UD1, fd0-ud1, FD0/UD1 or a bare rack"));
    form->addRow(tr("Rack pattern:"), m_rackPattern);
    m_refresh = new QSpinBox(this);
    m_refresh->setObjectName(QStringLiteral("refreshInterval"));
    m_refresh->setRange(1000, 600000);
    m_refresh->setSingleStep(1000);
    m_refresh->setSuffix(tr(" ms"));
    m_refresh->setValue(5000);
    form->addRow(tr("Refresh interval:"), m_refresh);
    m_save = new QCheckBox(tr("Save this profile (the password goes to the system keychain)"), this);
    m_save->setObjectName(QStringLiteral("saveProfile"));
    m_save->setChecked(true);
    form->addRow(QString(), m_save);
    layout->addLayout(form);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("connectionError"));
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("connectButton"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_sandbox, &QCheckBox::toggled, this, &ConnectionDialog::updateEnabled);
    connect(m_security, &QComboBox::currentIndexChanged, this, &ConnectionDialog::updateEnabled);
    connect(m_existing, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index > 0 && index - 1 < m_profiles.size())
            setProfile(m_profiles[index - 1]);
    });
    updateEnabled();
    resize(560, sizeHint().height());
}

void ConnectionDialog::setProfile(const models::ConnectionProfile& p)
{
    m_sandbox->setChecked(p.sandbox);
    m_name->setText(p.name);
    m_bootstrap->setText(p.bootstrapServers);
    m_security->setCurrentIndex(m_security->findData(static_cast<int>(p.security)));
    m_mechanism->setCurrentText(p.saslMechanism);
    m_username->setText(p.username);
    m_caFile->setText(p.caFile);
    m_certFile->setText(p.certFile);
    m_keyFile->setText(p.keyFile);
    QStringList lines;
    for (auto it = p.extraProperties.cbegin(); it != p.extraProperties.cend(); ++it)
        lines << it.key() + QLatin1Char('=') + it.value();
    m_extra->setPlainText(lines.join(QLatin1Char('\n')));
    m_rackPattern->setText(p.rackPattern);
    m_refresh->setValue(p.refreshIntervalMs);
    updateEnabled();
}

models::ConnectionProfile ConnectionDialog::profile() const
{
    models::ConnectionProfile p;
    p.sandbox = m_sandbox->isChecked();
    p.name = m_name->text().trimmed();
    if (p.name.isEmpty())
        p.name = p.sandbox ? tr("Local sandbox") : m_bootstrap->text().trimmed();
    p.bootstrapServers = m_bootstrap->text().trimmed();
    p.security = static_cast<SecurityProtocol>(m_security->currentData().toInt());
    p.saslMechanism = m_mechanism->currentText();
    p.username = m_username->text().trimmed();
    p.caFile = m_caFile->text().trimmed();
    p.certFile = m_certFile->text().trimmed();
    p.keyFile = m_keyFile->text().trimmed();
    const auto lines = m_extra->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const auto& line : lines) {
        const auto eq = line.indexOf(QLatin1Char('='));
        if (eq > 0)
            p.extraProperties.insert(line.left(eq).trimmed(), line.mid(eq + 1).trimmed());
    }
    p.rackPattern = m_rackPattern->text().trimmed();
    p.refreshIntervalMs = m_refresh->value();
    return p;
}

QString ConnectionDialog::password() const
{
    return m_password->text();
}

bool ConnectionDialog::saveProfile() const
{
    return m_save->isChecked() && !m_sandbox->isChecked();
}

bool ConnectionDialog::sandboxChosen() const
{
    return m_sandbox->isChecked();
}

void ConnectionDialog::setPasswordHint(const QString& hint)
{
    m_passwordHint->setText(hint);
    m_passwordHint->setVisible(!hint.isEmpty());
}

void ConnectionDialog::updateEnabled()
{
    const bool remote = !m_sandbox->isChecked();
    const auto security = static_cast<SecurityProtocol>(m_security->currentData().toInt());
    const bool sasl = security == SecurityProtocol::SaslPlaintext || security == SecurityProtocol::SaslSsl;
    const bool ssl = security == SecurityProtocol::Ssl || security == SecurityProtocol::SaslSsl;
    for (QWidget* w : {static_cast<QWidget*>(m_bootstrap), static_cast<QWidget*>(m_security),
             static_cast<QWidget*>(m_extra), static_cast<QWidget*>(m_rackPattern),
             static_cast<QWidget*>(m_save)})
        w->setEnabled(remote);
    for (QWidget* w : {static_cast<QWidget*>(m_mechanism), static_cast<QWidget*>(m_username),
             static_cast<QWidget*>(m_password)})
        w->setEnabled(remote && sasl);
    for (QWidget* w : {static_cast<QWidget*>(m_caFile), static_cast<QWidget*>(m_certFile),
             static_cast<QWidget*>(m_keyFile)})
        w->setEnabled(remote && ssl);
}

QString ConnectionDialog::passwordHint() const
{
    return m_passwordHint->text();
}

QString ConnectionDialog::errorText() const
{
    return m_error->text();
}

QString ConnectionDialog::validationError() const
{
    if (m_sandbox->isChecked())
        return {};
    const auto servers = m_bootstrap->text().trimmed();
    if (servers.isEmpty())
        return tr("Enter at least one bootstrap server (host:port).");
    for (const auto& entry : servers.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const auto server = entry.trimmed();
        const auto colon = server.lastIndexOf(QLatin1Char(':'));
        bool ok = false;
        const int port = colon > 0 ? server.mid(colon + 1).toInt(&ok) : 0;
        if (!ok || port <= 0 || port > 65535)
            return tr("\"%1\" is not host:port.").arg(server);
    }
    const auto lines = m_extra->toPlainText().split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const auto line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        const auto eq = line.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return tr("Extra properties, line %1: \"%2\" is not key=value.").arg(i + 1).arg(line);
        const auto key = line.left(eq).trimmed();
        if (models::ProfileStore::isSecretProperty(key))
            return tr("Extra properties, line %1: %2 holds a secret, and secrets never go to the "
                      "settings file. Type the SASL password in the Password field.")
                .arg(i + 1)
                .arg(key);
    }
    return {};
}

void ConnectionDialog::accept()
{
    const QString error = validationError();
    m_error->setText(error);
    if (error.isEmpty())
        QDialog::accept();
}

} // namespace faultline::ui
