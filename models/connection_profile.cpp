#include "models/connection_profile.h"

namespace faultline::models {

QString securityProtocolName(SecurityProtocol p) {
    switch (p) {
    case SecurityProtocol::Plaintext:
        return QStringLiteral("PLAINTEXT");
    case SecurityProtocol::Ssl:
        return QStringLiteral("SSL");
    case SecurityProtocol::SaslPlaintext:
        return QStringLiteral("SASL_PLAINTEXT");
    case SecurityProtocol::SaslSsl:
        return QStringLiteral("SASL_SSL");
    }
    return QStringLiteral("PLAINTEXT");
}

QMap<QString, QString> ConnectionProfile::librdkafkaConfig(const QString& password) const {
    QMap<QString, QString> config;
    config.insert(QStringLiteral("bootstrap.servers"), bootstrapServers.trimmed());
    config.insert(QStringLiteral("security.protocol"), securityProtocolName(security).toLower());
    const bool tls = security == SecurityProtocol::Ssl || security == SecurityProtocol::SaslSsl;
    if (needsPassword()) {
        config.insert(QStringLiteral("sasl.mechanisms"), saslMechanism);
        config.insert(QStringLiteral("sasl.username"), username);
        config.insert(QStringLiteral("sasl.password"), password);
    }
    if (tls) {
        if (!caFile.isEmpty())
            config.insert(QStringLiteral("ssl.ca.location"), caFile);
        if (!certFile.isEmpty())
            config.insert(QStringLiteral("ssl.certificate.location"), certFile);
        if (!keyFile.isEmpty())
            config.insert(QStringLiteral("ssl.key.location"), keyFile);
    }
    for (auto it = extraProperties.cbegin(); it != extraProperties.cend(); ++it)
        config.insert(it.key().trimmed(), it.value());
    return config;
}

} // namespace faultline::models
