// How to reach one cluster. Secrets are not here: they live in the system keychain (SecretStore).
#pragma once

#include <QMap>
#include <QMetaType>
#include <QString>

namespace faultline::models {

enum class SecurityProtocol { Plaintext, Ssl, SaslPlaintext, SaslSsl };
[[nodiscard]] QString securityProtocolName(SecurityProtocol p); // "PLAINTEXT", "SASL_SSL", ...

struct ConnectionProfile {
    QString name;
    QString bootstrapServers;               // host:port[,host:port...]
    SecurityProtocol security = SecurityProtocol::Plaintext;
    QString saslMechanism = QStringLiteral("PLAIN"); // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    QString username;
    QString caFile;
    QString certFile;
    QString keyFile;
    QMap<QString, QString> extraProperties; // to librdkafka as is; our client reads ssl.*/sasl.*
    QString rackPattern;                    // regex with named groups fd and ud; empty = defaults
    QMap<int, QPair<int, int>> brokerPlacement; // broker id -> (fd, ud) set by hand; wins over racks
    int refreshIntervalMs = 5000;
    bool sandbox = false;                   // the in-process engine

    [[nodiscard]] bool needsPassword() const {
        return security == SecurityProtocol::SaslPlaintext || security == SecurityProtocol::SaslSsl;
    }
    // librdkafka properties for this profile (bootstrap.servers, security.protocol, sasl.*, ssl.*,
    // extras); the password is passed separately.
    [[nodiscard]] QMap<QString, QString> librdkafkaConfig(const QString& password) const;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::ConnectionProfile)
