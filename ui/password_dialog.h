// Asks for a profile's SASL password when the system keychain cannot give it, and says why: there
// is no keychain (then the password is kept for this session only) or it holds no password for the
// profile (then it offers to remember the one typed). Shown with open(), never exec(): the caller
// reacts to accepted() / rejected().
#pragma once

#include "models/connection_profile.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace faultline::ui {

class PasswordDialog : public QDialog {
    Q_OBJECT
public:
    // offerRemember: show "Remember in the system keychain" (only when there is a keychain).
    PasswordDialog(const models::ConnectionProfile& profile, const QString& reason,
                   bool offerRemember, QWidget* parent = nullptr);

    [[nodiscard]] const models::ConnectionProfile& profile() const { return m_profile; }
    [[nodiscard]] QString password() const;
    [[nodiscard]] bool remember() const; // false unless offered and checked
    [[nodiscard]] QString reasonText() const;
    [[nodiscard]] QString errorText() const;

    void setPassword(const QString& password); // as if typed
    [[nodiscard]] QCheckBox* rememberCheck() const { return m_remember; }

    void accept() override; // refuses an empty password, with a message

private:
    models::ConnectionProfile m_profile;
    QLabel* m_reason = nullptr;
    QLineEdit* m_password = nullptr;
    QCheckBox* m_remember = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace faultline::ui
