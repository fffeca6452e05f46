// Connection profiles kept in QSettings: every field of ConnectionProfile except secrets (those live
// in the system keychain through SecretStore). Not thread-safe: use it from one thread (the UI's).
#pragma once

#include "engine/protocol/error_code.h"
#include "models/connection_profile.h"

#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVector>

#include <expected>
#include <memory>
#include <optional>

namespace faultline::models {

class ProfileStore {
public:
    ProfileStore();                                   // the application's QSettings
    explicit ProfileStore(const QString& iniFile);    // an ini file of its own (tests, portable use)
    explicit ProfileStore(QSettings& settings);       // someone else's QSettings, not owned
    ~ProfileStore();
    ProfileStore(const ProfileStore&) = delete;
    ProfileStore& operator=(const ProfileStore&) = delete;

    [[nodiscard]] QStringList names() const;               // sorted, case-insensitive
    [[nodiscard]] QVector<ConnectionProfile> list() const; // in names() order
    [[nodiscard]] bool contains(const QString& name) const;
    [[nodiscard]] std::optional<ConnectionProfile> load(const QString& name) const;

    // Creates or replaces the profile of that name. Refuses an empty name or bootstrap, and extra
    // properties that hold secrets (sasl.password, ssl.key.password, ...): secrets never go to the
    // settings file. Flushes to disk and reports a settings file that cannot be written.
    [[nodiscard]] std::expected<void, protocol::Error> save(const ConnectionProfile& profile);
    // Renames keep nothing behind: save(new) then remove(old).
    [[nodiscard]] std::expected<void, protocol::Error> rename(const QString& from, const QString& to);
    // Removes the profile (and clears lastUsed when it named it); false when there was none.
    bool remove(const QString& name);

    [[nodiscard]] QString lastUsed() const; // empty when none or when that profile is gone
    void setLastUsed(const QString& name);

    // True for librdkafka / Kafka property names that carry secrets.
    [[nodiscard]] static bool isSecretProperty(const QString& key);
    [[nodiscard]] QString fileName() const { return m_settings->fileName(); }

private:
    [[nodiscard]] static QString groupFor(const QString& name);
    [[nodiscard]] std::expected<void, protocol::Error> flush();

    std::unique_ptr<QSettings> m_owned;
    QSettings* m_settings = nullptr;
};

} // namespace faultline::models
