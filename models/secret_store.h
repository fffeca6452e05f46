// Profile passwords in the system keychain (QtKeychain: Secret Service / KWallet, macOS Keychain,
// Windows Credential Store). Every call is asynchronous and answers by signal on the caller's thread.
// When no keychain backend can be reached (a headless machine has no Secret Service on D-Bus),
// available() is false and unavailableReason() says why: the app then asks for the password each
// session. Secrets are never written anywhere else (no insecure fallback to the settings file).
// The operations are virtual so a test can stand in for the system keychain (a machine without
// one, or one with known entries) and drive the app's password flow deterministically.
#pragma once

#include <QObject>
#include <QString>

namespace QKeychain {
class Job;
}

namespace faultline::models {

enum class SecretOperation { Probe, Read, Write, Remove };

class SecretStore : public QObject {
    Q_OBJECT
public:
    enum class Availability { Unknown, Available, Unavailable };

    explicit SecretStore(QObject* parent = nullptr);           // service "faultline"
    explicit SecretStore(QString service, QObject* parent = nullptr);
    ~SecretStore() override;

    // Asks the keychain whether it answers (reads a key that does not exist). Emits
    // availabilityKnown once the answer (or probeTimeoutMs of silence) is in.
    virtual void probe(int probeTimeoutMs = 5000);
    [[nodiscard]] Availability availability() const { return m_availability; }
    [[nodiscard]] bool available() const { return m_availability == Availability::Available; }
    [[nodiscard]] QString unavailableReason() const { return m_reason; } // empty unless Unavailable
    [[nodiscard]] QString service() const { return m_service; }

    virtual void readPassword(const QString& profile); // passwordRead | passwordNotFound | failed
    virtual void writePassword(const QString& profile,
                               const QString& password); // passwordWritten | failed
    // passwordRemoved (also when none was stored) | failed
    virtual void removePassword(const QString& profile);

    [[nodiscard]] static QString keyFor(const QString& profile); // "profile/<name>"

signals:
    void availabilityKnown(bool available, const QString& reason);
    void passwordRead(const QString& profile, const QString& password);
    void passwordNotFound(const QString& profile);
    void passwordWritten(const QString& profile);
    void passwordRemoved(const QString& profile);
    void failed(const QString& profile, faultline::models::SecretOperation operation,
                const QString& reason);

protected:
    // Records what is known about the keychain; emits availabilityKnown when that changed.
    void setAvailability(Availability availability, const QString& reason);

private:
    void finishJob(QKeychain::Job* job, const QString& profile, SecretOperation operation);
    void failLater(const QString& profile, SecretOperation operation, const QString& reason);
    [[nodiscard]] static QString describe(QKeychain::Job* job);

    QString m_service;
    Availability m_availability = Availability::Unknown;
    QString m_reason;
    quint64 m_probeToken = 0; // a probe that answers after a newer probe or its timeout is ignored
    bool m_probePending = false;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::SecretOperation)
