// Connect to a cluster: pick or edit a profile (every field of ConnectionProfile), a password
// for SASL, or the "Local sandbox". Shown with open(), never exec(): the caller reacts to accepted().
#pragma once

#include "models/connection_profile.h"

#include <QDialog>
#include <QVector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace faultline::ui {

class ConnectionDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConnectionDialog(QVector<models::ConnectionProfile> profiles, QWidget* parent = nullptr);

    void setProfile(const models::ConnectionProfile& profile);
    [[nodiscard]] models::ConnectionProfile profile() const;
    [[nodiscard]] QString password() const;
    [[nodiscard]] bool saveProfile() const;
    [[nodiscard]] bool sandboxChosen() const;
    void setPasswordHint(const QString& hint); // e.g. why the password is asked every session
    [[nodiscard]] QString passwordHint() const;
    // Why the last Connect was refused (empty when it was not).
    [[nodiscard]] QString errorText() const;

    // For tests and callers that fill the form programmatically (every field also has an
    // objectName: name, bootstrap, security, saslMechanism, username, password, caFile, certFile,
    // keyFile, extraProperties, rackPattern, refreshInterval, saveProfile, sandbox).
    QLineEdit* nameEdit() const { return m_name; }
    QLineEdit* bootstrapEdit() const { return m_bootstrap; }
    QCheckBox* sandboxCheck() const { return m_sandbox; }

    void accept() override; // validates first: bad input keeps the dialog open with a message

private:
    void updateEnabled();
    [[nodiscard]] QString validationError() const; // empty when the form is acceptable

    QVector<models::ConnectionProfile> m_profiles;
    QComboBox* m_existing = nullptr;
    QCheckBox* m_sandbox = nullptr;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_bootstrap = nullptr;
    QComboBox* m_security = nullptr;
    QComboBox* m_mechanism = nullptr;
    QLineEdit* m_username = nullptr;
    QLineEdit* m_password = nullptr;
    QLabel* m_passwordHint = nullptr;
    QLineEdit* m_caFile = nullptr;
    QLineEdit* m_certFile = nullptr;
    QLineEdit* m_keyFile = nullptr;
    QPlainTextEdit* m_extra = nullptr;
    QLineEdit* m_rackPattern = nullptr;
    QSpinBox* m_refresh = nullptr;
    QCheckBox* m_save = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace faultline::ui
