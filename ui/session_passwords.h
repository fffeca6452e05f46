// Where a profile's password comes from each time the app connects, in this order:
//   1. a password already given this session (kept in memory only, never written anywhere), so
//      refreshes, jobs, retries and re-attaching never ask twice;
//   2. the system keychain (SecretStore), when there is one;
//   3. the user: a PasswordDialog (open(), never exec()) that says why it asks: there is no
//      keychain (with the keychain's reason; the password is then kept for this session only), or
//      the keychain holds no password for the profile (then it offers to remember the one typed).
// Answers by signal. One request at a time: a new request replaces the pending one (its dialog
// closes, late keychain answers for it are ignored).
#pragma once

#include "models/connection_profile.h"
#include "ui/password_dialog.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

namespace faultline::models {
class SecretStore;
enum class SecretOperation;
} // namespace faultline::models

namespace faultline::ui {

class SessionPasswords : public QObject {
    Q_OBJECT
public:
    // dialogParent: the window the password dialog belongs to (also this object's parent).
    SessionPasswords(models::SecretStore* secrets, QWidget* dialogParent);

    // Finds the password of `profile` (which needs one): passwordReady or cancelled follows.
    void request(const models::ConnectionProfile& profile);
    // A password the user gave some other way (the connection dialog): remembered for the session.
    void remember(const QString& profile, const QString& password);
    void forget(const QString& profile);
    [[nodiscard]] bool knows(const QString& profile) const { return m_known.contains(profile); }

    [[nodiscard]] PasswordDialog* dialog() const { return m_dialog; } // the open one, if any
    [[nodiscard]] bool pending() const { return m_stage != Stage::Idle; }

signals:
    void passwordReady(const faultline::models::ConnectionProfile& profile,
                       const QString& password);
    void cancelled(const QString& profile);
    void notice(const QString& message); // keychain writes: saved, or why not

private:
    enum class Stage { Idle, WaitingForKeychain, ReadingKeychain, Asking };

    void continueWithKeychain();
    void ask(const QString& reason, bool offerRemember);
    void finish(const QString& password);
    [[nodiscard]] QString noKeychainReason() const;
    void onPasswordRead(const QString& profile, const QString& password);
    void onPasswordNotFound(const QString& profile);
    void onFailed(const QString& profile, models::SecretOperation operation, const QString& reason);

    models::SecretStore* m_secrets = nullptr;
    QWidget* m_dialogParent = nullptr;
    QHash<QString, QString> m_known; // profile name -> password, this session only
    models::ConnectionProfile m_profile;
    Stage m_stage = Stage::Idle;
    QPointer<PasswordDialog> m_dialog;
};

} // namespace faultline::ui
