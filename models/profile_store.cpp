#include "models/profile_store.h"

#include <QCollator>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>

namespace faultline::models {

namespace {

using protocol::ErrorCode;
using protocol::makeError;

constexpr auto kProfilesGroup = "profiles";
constexpr auto kLastUsedKey = "lastUsedProfile";
constexpr auto kExtraGroup = "extraProperties";
constexpr auto kPlacementGroup = "brokerPlacement";

std::optional<SecurityProtocol> parseSecurity(const QString& text) {
    const QString upper = text.trimmed().toUpper();
    if (upper == QLatin1String("PLAINTEXT")) return SecurityProtocol::Plaintext;
    if (upper == QLatin1String("SSL")) return SecurityProtocol::Ssl;
    if (upper == QLatin1String("SASL_PLAINTEXT")) return SecurityProtocol::SaslPlaintext;
    if (upper == QLatin1String("SASL_SSL")) return SecurityProtocol::SaslSsl;
    return std::nullopt;
}

QString securityText(SecurityProtocol p) {
    switch (p) {
    case SecurityProtocol::Plaintext: return QStringLiteral("PLAINTEXT");
    case SecurityProtocol::Ssl: return QStringLiteral("SSL");
    case SecurityProtocol::SaslPlaintext: return QStringLiteral("SASL_PLAINTEXT");
    case SecurityProtocol::SaslSsl: return QStringLiteral("SASL_SSL");
    }
    return QStringLiteral("PLAINTEXT");
}

// Keys of QSettings cannot hold '/' and ini files escape much else; percent-encoding keeps every
// character of a name or property key and still reads well in the file.
QString encodeKey(const QString& key) {
    return QString::fromLatin1(QUrl::toPercentEncoding(key));
}

QString decodeKey(const QString& key) {
    return QUrl::fromPercentEncoding(key.toLatin1());
}

} // namespace

ProfileStore::ProfileStore() : m_owned(std::make_unique<QSettings>()), m_settings(m_owned.get()) {}

ProfileStore::ProfileStore(const QString& iniFile)
    : m_owned(std::make_unique<QSettings>(iniFile, QSettings::IniFormat)), m_settings(m_owned.get()) {}

ProfileStore::ProfileStore(QSettings& settings) : m_settings(&settings) {}

ProfileStore::~ProfileStore() = default;

QString ProfileStore::groupFor(const QString& name) {
    return QLatin1String(kProfilesGroup) + QLatin1Char('/') + encodeKey(name);
}

bool ProfileStore::isSecretProperty(const QString& key) {
    static const QRegularExpression secret(
        QStringLiteral("(password|secret|^sasl\\.jaas\\.config$|^ssl\\.key\\.pem$)"),
        QRegularExpression::CaseInsensitiveOption);
    return secret.match(key.trimmed()).hasMatch();
}

QStringList ProfileStore::names() const {
    QStringList result;
    m_settings->beginGroup(QLatin1String(kProfilesGroup));
    const QStringList groups = m_settings->childGroups();
    for (const QString& group : groups) {
        const QString stored = m_settings->value(group + QLatin1String("/name")).toString();
        result.push_back(stored.isEmpty() ? decodeKey(group) : stored);
    }
    m_settings->endGroup();
    QCollator collator;
    collator.setCaseSensitivity(Qt::CaseInsensitive);
    std::sort(result.begin(), result.end(),
              [&](const QString& a, const QString& b) { return collator.compare(a, b) < 0; });
    return result;
}

QVector<ConnectionProfile> ProfileStore::list() const {
    QVector<ConnectionProfile> result;
    for (const QString& name : names()) {
        if (auto profile = load(name)) result.push_back(std::move(*profile));
    }
    return result;
}

bool ProfileStore::contains(const QString& name) const {
    if (name.isEmpty()) return false;
    m_settings->beginGroup(QLatin1String(kProfilesGroup));
    const bool found = m_settings->childGroups().contains(encodeKey(name));
    m_settings->endGroup();
    return found;
}

std::optional<ConnectionProfile> ProfileStore::load(const QString& name) const {
    if (!contains(name)) return std::nullopt;
    ConnectionProfile p;
    m_settings->beginGroup(groupFor(name));
    p.name = name;
    p.bootstrapServers = m_settings->value(QStringLiteral("bootstrapServers")).toString();
    p.security = parseSecurity(m_settings->value(QStringLiteral("securityProtocol")).toString())
                     .value_or(SecurityProtocol::Plaintext);
    p.saslMechanism =
        m_settings->value(QStringLiteral("saslMechanism"), p.saslMechanism).toString();
    p.username = m_settings->value(QStringLiteral("username")).toString();
    p.caFile = m_settings->value(QStringLiteral("caFile")).toString();
    p.certFile = m_settings->value(QStringLiteral("certFile")).toString();
    p.keyFile = m_settings->value(QStringLiteral("keyFile")).toString();
    p.rackPattern = m_settings->value(QStringLiteral("rackPattern")).toString();
    p.refreshIntervalMs =
        m_settings->value(QStringLiteral("refreshIntervalMs"), p.refreshIntervalMs).toInt();
    p.sandbox = m_settings->value(QStringLiteral("sandbox"), false).toBool();

    m_settings->beginGroup(QLatin1String(kExtraGroup));
    for (const QString& key : m_settings->childKeys()) {
        p.extraProperties.insert(decodeKey(key), m_settings->value(key).toString());
    }
    m_settings->endGroup();

    m_settings->beginGroup(QLatin1String(kPlacementGroup));
    for (const QString& key : m_settings->childKeys()) {
        bool idOk = false;
        const int brokerId = key.toInt(&idOk);
        const QStringList parts = m_settings->value(key).toString().split(QLatin1Char(','));
        if (!idOk || parts.size() != 2) continue;
        bool fdOk = false;
        bool udOk = false;
        const int fd = parts[0].trimmed().toInt(&fdOk);
        const int ud = parts[1].trimmed().toInt(&udOk);
        if (fdOk && udOk) p.brokerPlacement.insert(brokerId, qMakePair(fd, ud));
    }
    m_settings->endGroup();

    m_settings->endGroup();
    return p;
}

std::expected<void, protocol::Error> ProfileStore::save(const ConnectionProfile& profile) {
    if (profile.name.trimmed().isEmpty()) {
        return std::unexpected(makeError(ErrorCode::InvalidRequest, "a profile needs a name"));
    }
    if (profile.bootstrapServers.trimmed().isEmpty() && !profile.sandbox) {
        return std::unexpected(makeError(
            ErrorCode::InvalidRequest,
            "profile '" + profile.name.toStdString() + "' needs bootstrap servers"));
    }
    for (auto it = profile.extraProperties.cbegin(); it != profile.extraProperties.cend(); ++it) {
        if (isSecretProperty(it.key())) {
            return std::unexpected(makeError(
                ErrorCode::InvalidConfig,
                "extra property '" + it.key().toStdString() +
                    "' holds a secret; secrets go to the keychain, never to the settings file"));
        }
    }

    m_settings->remove(groupFor(profile.name)); // replace: no stale extras or placements
    m_settings->beginGroup(groupFor(profile.name));
    m_settings->setValue(QStringLiteral("name"), profile.name);
    m_settings->setValue(QStringLiteral("bootstrapServers"), profile.bootstrapServers);
    m_settings->setValue(QStringLiteral("securityProtocol"), securityText(profile.security));
    m_settings->setValue(QStringLiteral("saslMechanism"), profile.saslMechanism);
    m_settings->setValue(QStringLiteral("username"), profile.username);
    m_settings->setValue(QStringLiteral("caFile"), profile.caFile);
    m_settings->setValue(QStringLiteral("certFile"), profile.certFile);
    m_settings->setValue(QStringLiteral("keyFile"), profile.keyFile);
    m_settings->setValue(QStringLiteral("rackPattern"), profile.rackPattern);
    m_settings->setValue(QStringLiteral("refreshIntervalMs"), profile.refreshIntervalMs);
    m_settings->setValue(QStringLiteral("sandbox"), profile.sandbox);

    m_settings->beginGroup(QLatin1String(kExtraGroup));
    for (auto it = profile.extraProperties.cbegin(); it != profile.extraProperties.cend(); ++it) {
        m_settings->setValue(encodeKey(it.key()), it.value());
    }
    m_settings->endGroup();

    m_settings->beginGroup(QLatin1String(kPlacementGroup));
    for (auto it = profile.brokerPlacement.cbegin(); it != profile.brokerPlacement.cend(); ++it) {
        m_settings->setValue(QString::number(it.key()),
                             QStringLiteral("%1,%2").arg(it.value().first).arg(it.value().second));
    }
    m_settings->endGroup();

    m_settings->endGroup();
    return flush();
}

std::expected<void, protocol::Error> ProfileStore::rename(const QString& from, const QString& to) {
    auto profile = load(from);
    if (!profile) {
        return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                         "no profile named '" + from.toStdString() + "'"));
    }
    if (from == to) return {};
    if (contains(to)) {
        return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                         "a profile named '" + to.toStdString() + "' exists"));
    }
    const bool wasLastUsed = lastUsed() == from;
    profile->name = to;
    if (auto saved = save(*profile); !saved) return saved;
    remove(from);
    if (wasLastUsed) setLastUsed(to);
    return flush();
}

bool ProfileStore::remove(const QString& name) {
    if (!contains(name)) return false;
    m_settings->remove(groupFor(name));
    if (m_settings->value(QLatin1String(kLastUsedKey)).toString() == name) {
        m_settings->remove(QLatin1String(kLastUsedKey));
    }
    (void)flush();
    return true;
}

QString ProfileStore::lastUsed() const {
    const QString name = m_settings->value(QLatin1String(kLastUsedKey)).toString();
    return contains(name) ? name : QString();
}

void ProfileStore::setLastUsed(const QString& name) {
    if (name.isEmpty()) {
        m_settings->remove(QLatin1String(kLastUsedKey));
    } else {
        m_settings->setValue(QLatin1String(kLastUsedKey), name);
    }
    (void)flush();
}

std::expected<void, protocol::Error> ProfileStore::flush() {
    m_settings->sync();
    switch (m_settings->status()) {
    case QSettings::NoError: return {};
    case QSettings::AccessError:
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "cannot write the settings file " +
                                             m_settings->fileName().toStdString()));
    case QSettings::FormatError:
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "the settings file " + m_settings->fileName().toStdString() +
                                             " is malformed"));
    }
    return {};
}

} // namespace faultline::models
