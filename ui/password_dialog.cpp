#include "ui/password_dialog.h"

#include "ui/display_format.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace faultline::ui {

PasswordDialog::PasswordDialog(const models::ConnectionProfile& profile, const QString& reason,
                               bool offerRemember, QWidget* parent)
    : QDialog(parent), m_profile(profile) {
    setWindowTitle(tr("Password for %1").arg(profile.name));
    setObjectName(QStringLiteral("passwordDialog"));
    auto* layout = new QVBoxLayout(this);

    auto* who =
        new QLabel(tr("<b>%1</b> (%2, SASL %3)")
                       .arg(profile.name.toHtmlEscaped(), profile.bootstrapServers.toHtmlEscaped(),
                            profile.saslMechanism.toHtmlEscaped()),
                   this);
    who->setWordWrap(true);
    layout->addWidget(who);

    m_reason = new QLabel(reason, this);
    m_reason->setObjectName(QStringLiteral("passwordReason"));
    m_reason->setWordWrap(true);
    m_reason->setTextFormat(Qt::PlainText);
    layout->addWidget(m_reason);

    auto* form = new QFormLayout;
    auto* user = new QLabel(profile.username.isEmpty() ? tr("(none)") : profile.username, this);
    user->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Username:"), user);
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("Password:"), m_password);
    layout->addLayout(form);

    m_remember = new QCheckBox(tr("Remember in the system keychain"), this);
    m_remember->setObjectName(QStringLiteral("rememberPassword"));
    m_remember->setChecked(offerRemember);
    m_remember->setVisible(offerRemember);
    layout->addWidget(m_remember);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("passwordError"));
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    layout->addWidget(m_error);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &PasswordDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_password->setFocus();
    resize(460, sizeHint().height());
}

QString PasswordDialog::password() const {
    return m_password->text();
}

bool PasswordDialog::remember() const {
    return !m_remember->isHidden() && m_remember->isChecked();
}

QString PasswordDialog::reasonText() const {
    return m_reason->text();
}

QString PasswordDialog::errorText() const {
    return m_error->text();
}

void PasswordDialog::setPassword(const QString& password) {
    m_password->setText(password);
}

void PasswordDialog::accept() {
    if (m_password->text().isEmpty()) {
        m_error->setText(
            tr("Type the password of %1 (SASL %2).")
                .arg(m_profile.username.isEmpty() ? tr("the user") : m_profile.username,
                     m_profile.saslMechanism));
        return;
    }
    m_error->clear();
    QDialog::accept();
}

} // namespace faultline::ui
