#include "models/secret_store.h"

#include <QMetaObject>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace faultline::models {

namespace {

const QString kProbeKey = QStringLiteral("faultline-keychain-probe");

bool meansNoBackend(QKeychain::Error error) {
    return error == QKeychain::NoBackendAvailable || error == QKeychain::NotImplemented ||
           error == QKeychain::OtherError;
}

} // namespace

SecretStore::SecretStore(QObject* parent) : SecretStore(QStringLiteral("faultline"), parent) {}

SecretStore::SecretStore(QString service, QObject* parent)
    : QObject(parent), m_service(std::move(service)) {
    qRegisterMetaType<SecretOperation>();
}

SecretStore::~SecretStore() = default;

QString SecretStore::keyFor(const QString& profile) {
    return QStringLiteral("profile/") + profile;
}

QString SecretStore::describe(QKeychain::Job* job) {
    QString text = job->errorString();
    if (text.isEmpty() || text == QLatin1String("Unknown error")) {
        switch (job->error()) {
        case QKeychain::NoBackendAvailable: text = QStringLiteral("no keychain backend"); break;
        case QKeychain::NotImplemented:
            text = QStringLiteral("the keychain is not supported on this platform");
            break;
        case QKeychain::AccessDenied: text = QStringLiteral("access to the keychain denied"); break;
        case QKeychain::AccessDeniedByUser:
            text = QStringLiteral("access to the keychain denied by the user");
            break;
        default: text = QStringLiteral("the keychain failed without saying why"); break;
        }
    }
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS) && !defined(Q_OS_ANDROID)
    if (meansNoBackend(job->error()) && qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        text += QStringLiteral(" (no D-Bus session bus: no Secret Service or KWallet to store "
                               "passwords in)");
    }
#endif
    return text;
}

void SecretStore::setAvailability(Availability availability, const QString& reason) {
    const bool changed = availability != m_availability || reason != m_reason;
    m_availability = availability;
    m_reason = availability == Availability::Unavailable ? reason : QString();
    if (changed && availability != Availability::Unknown) {
        emit availabilityKnown(availability == Availability::Available, m_reason);
    }
}

void SecretStore::failLater(const QString& profile, SecretOperation operation,
                            const QString& reason) {
    QMetaObject::invokeMethod(
        this, [this, profile, operation, reason] { emit failed(profile, operation, reason); },
        Qt::QueuedConnection);
}

void SecretStore::probe(int probeTimeoutMs) {
    const quint64 token = ++m_probeToken;
    m_probePending = true;
    auto* job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(kProbeKey);
    connect(job, &QKeychain::Job::finished, this, [this, token](QKeychain::Job* finished) {
        if (token != m_probeToken || !m_probePending) return; // superseded or timed out
        m_probePending = false;
        const QKeychain::Error error = finished->error();
        if (error == QKeychain::NoError || error == QKeychain::EntryNotFound) {
            setAvailability(Availability::Available, {});
        } else {
            setAvailability(Availability::Unavailable,
                            QStringLiteral("the system keychain is unavailable: ") +
                                describe(finished));
        }
    });
    QTimer::singleShot(probeTimeoutMs, this, [this, token, probeTimeoutMs] {
        if (token != m_probeToken || !m_probePending) return;
        m_probePending = false;
        setAvailability(Availability::Unavailable,
                        QStringLiteral("the system keychain did not answer within %1 ms")
                            .arg(probeTimeoutMs));
    });
    job->start();
}

void SecretStore::finishJob(QKeychain::Job* job, const QString& profile,
                            SecretOperation operation) {
    const QKeychain::Error error = job->error();
    if (error == QKeychain::NoError) {
        if (m_availability != Availability::Available) setAvailability(Availability::Available, {});
        switch (operation) {
        case SecretOperation::Read:
            emit passwordRead(profile, static_cast<QKeychain::ReadPasswordJob*>(job)->textData());
            break;
        case SecretOperation::Write: emit passwordWritten(profile); break;
        case SecretOperation::Remove: emit passwordRemoved(profile); break;
        case SecretOperation::Probe: break;
        }
        return;
    }
    if (error == QKeychain::EntryNotFound) {
        if (m_availability != Availability::Available) setAvailability(Availability::Available, {});
        if (operation == SecretOperation::Remove) {
            emit passwordRemoved(profile);
        } else {
            emit passwordNotFound(profile);
        }
        return;
    }
    const QString reason = describe(job);
    if (meansNoBackend(error) && m_availability != Availability::Available) {
        setAvailability(Availability::Unavailable,
                        QStringLiteral("the system keychain is unavailable: ") + reason);
    }
    emit failed(profile, operation, reason);
}

void SecretStore::readPassword(const QString& profile) {
    if (m_availability == Availability::Unavailable) {
        failLater(profile, SecretOperation::Read, m_reason);
        return;
    }
    auto* job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(keyFor(profile));
    connect(job, &QKeychain::Job::finished, this, [this, profile](QKeychain::Job* finished) {
        finishJob(finished, profile, SecretOperation::Read);
    });
    job->start();
}

void SecretStore::writePassword(const QString& profile, const QString& password) {
    if (m_availability == Availability::Unavailable) {
        failLater(profile, SecretOperation::Write, m_reason);
        return;
    }
    auto* job = new QKeychain::WritePasswordJob(m_service, this);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(keyFor(profile));
    job->setTextData(password);
    connect(job, &QKeychain::Job::finished, this, [this, profile](QKeychain::Job* finished) {
        finishJob(finished, profile, SecretOperation::Write);
    });
    job->start();
}

void SecretStore::removePassword(const QString& profile) {
    if (m_availability == Availability::Unavailable) {
        failLater(profile, SecretOperation::Remove, m_reason);
        return;
    }
    auto* job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(keyFor(profile));
    connect(job, &QKeychain::Job::finished, this, [this, profile](QKeychain::Job* finished) {
        finishJob(finished, profile, SecretOperation::Remove);
    });
    job->start();
}

} // namespace faultline::models
