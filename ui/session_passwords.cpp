#include "ui/session_passwords.h"

#include "models/secret_store.h"
#include "ui/password_dialog.h"

namespace faultline::ui {

using models::SecretStore;

SessionPasswords::SessionPasswords(SecretStore* secrets, QWidget* dialogParent)
    : QObject(dialogParent), m_secrets(secrets), m_dialogParent(dialogParent) {
    connect(m_secrets, &SecretStore::availabilityKnown, this, [this] {
        if (m_stage == Stage::WaitingForKeychain)
            continueWithKeychain();
    });
    connect(m_secrets, &SecretStore::passwordRead, this, &SessionPasswords::onPasswordRead);
    connect(m_secrets, &SecretStore::passwordNotFound, this, &SessionPasswords::onPasswordNotFound);
    connect(m_secrets, &SecretStore::failed, this, &SessionPasswords::onFailed);
    connect(m_secrets, &SecretStore::passwordWritten, this, [this](const QString& profile) {
        emit notice(tr("The password of %1 is saved in the system keychain.").arg(profile));
    });
}

void SessionPasswords::request(const models::ConnectionProfile& profile) {
    if (m_dialog) {
        m_dialog->disconnect(this); // its answer belongs to the request being replaced
        m_dialog->close();
    }
    m_profile = profile;
    if (const auto known = m_known.constFind(profile.name); known != m_known.constEnd()) {
        m_stage = Stage::Idle;
        emit passwordReady(profile, *known);
        return;
    }
    continueWithKeychain();
}

void SessionPasswords::continueWithKeychain() {
    switch (m_secrets->availability()) {
    case SecretStore::Availability::Unknown:
        m_stage = Stage::WaitingForKeychain; // availabilityKnown resumes
        return;
    case SecretStore::Availability::Unavailable:
        ask(noKeychainReason(), false);
        return;
    case SecretStore::Availability::Available:
        m_stage = Stage::ReadingKeychain;
        m_secrets->readPassword(m_profile.name);
        return;
    }
}

QString SessionPasswords::noKeychainReason() const {
    return tr("No system keychain: %1. The password is kept for this session only.")
        .arg(m_secrets->unavailableReason());
}

void SessionPasswords::onPasswordRead(const QString& profile, const QString& password) {
    if (m_stage != Stage::ReadingKeychain || profile != m_profile.name)
        return;
    finish(password);
}

void SessionPasswords::onPasswordNotFound(const QString& profile) {
    if (m_stage != Stage::ReadingKeychain || profile != m_profile.name)
        return;
    ask(tr("The system keychain holds no password for %1 yet.").arg(profile), true);
}

void SessionPasswords::onFailed(const QString& profile, models::SecretOperation operation,
                                const QString& reason) {
    if (operation == models::SecretOperation::Write) {
        emit notice(tr("The password of %1 was not saved in the system keychain: %2. It is kept "
                       "for this session only.")
                        .arg(profile, reason));
        return;
    }
    if (operation != models::SecretOperation::Read || m_stage != Stage::ReadingKeychain ||
        profile != m_profile.name)
        return;
    if (!m_secrets->available()) {
        ask(noKeychainReason(), false);
        return;
    }
    ask(tr("The system keychain did not give the password: %1. The password is kept for this "
           "session only.")
            .arg(reason),
        false);
}

void SessionPasswords::ask(const QString& reason, bool offerRemember) {
    m_stage = Stage::Asking;
    auto* dialog = new PasswordDialog(m_profile, reason, offerRemember, m_dialogParent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialog = dialog;
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (dialog->remember() && m_secrets->available())
            m_secrets->writePassword(m_profile.name, dialog->password());
        finish(dialog->password());
    });
    connect(dialog, &QDialog::rejected, this, [this] {
        m_stage = Stage::Idle;
        emit cancelled(m_profile.name);
    });
    dialog->open();
}

void SessionPasswords::finish(const QString& password) {
    m_stage = Stage::Idle;
    m_known.insert(m_profile.name, password);
    emit passwordReady(m_profile, password);
}

void SessionPasswords::remember(const QString& profile, const QString& password) {
    m_known.insert(profile, password);
}

void SessionPasswords::forget(const QString& profile) {
    m_known.remove(profile);
}

} // namespace faultline::ui
