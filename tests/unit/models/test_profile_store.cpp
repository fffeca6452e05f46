// ProfileStore: every profile field round-trips through QSettings (a temp ini file), secrets never
// reach the file; list / remove / rename / lastUsed. SecretStore: a keychain that cannot be reached
// reports available() == false with a reason, and nothing lands in the settings file.
#include "models/profile_store.h"
#include "models/secret_store.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using faultline::models::ConnectionProfile;
using faultline::models::ProfileStore;
using faultline::models::SecretOperation;
using faultline::models::SecretStore;
using faultline::models::SecurityProtocol;

Q_DECLARE_METATYPE(faultline::models::SecurityProtocol)

namespace {

ConnectionProfile fullProfile(const QString& name, SecurityProtocol security) {
    ConnectionProfile p;
    p.name = name;
    p.bootstrapServers = QStringLiteral("kafka-0.example:9093,kafka-1.example:9093");
    p.security = security;
    p.saslMechanism = QStringLiteral("SCRAM-SHA-512");
    p.username = QStringLiteral("operator");
    p.caFile = QStringLiteral("/etc/ssl/ca with space.pem");
    p.certFile = QStringLiteral("/home/op/client.crt");
    p.keyFile = QStringLiteral("/home/op/client.key");
    p.extraProperties.insert(QStringLiteral("socket.timeout.ms"), QStringLiteral("7000"));
    p.extraProperties.insert(QStringLiteral("client.id"), QStringLiteral("faultline/ops=1"));
    p.rackPattern = QStringLiteral("^(?<fd>\\d+)-(?<ud>\\d+)$");
    p.brokerPlacement.insert(1, qMakePair(0, 2));
    p.brokerPlacement.insert(12, qMakePair(1, 0));
    p.refreshIntervalMs = 12500;
    p.sandbox = false;
    return p;
}

void compareProfiles(const ConnectionProfile& a, const ConnectionProfile& b) {
    QCOMPARE(a.name, b.name);
    QCOMPARE(a.bootstrapServers, b.bootstrapServers);
    QCOMPARE(a.security, b.security);
    QCOMPARE(a.saslMechanism, b.saslMechanism);
    QCOMPARE(a.username, b.username);
    QCOMPARE(a.caFile, b.caFile);
    QCOMPARE(a.certFile, b.certFile);
    QCOMPARE(a.keyFile, b.keyFile);
    QCOMPARE(a.extraProperties, b.extraProperties);
    QCOMPARE(a.rackPattern, b.rackPattern);
    QCOMPARE(a.brokerPlacement, b.brokerPlacement);
    QCOMPARE(a.refreshIntervalMs, b.refreshIntervalMs);
    QCOMPARE(a.sandbox, b.sandbox);
}

QByteArray fileContents(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

} // namespace

class TestProfileStore : public QObject {
    Q_OBJECT
private slots:
    void init() {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_ini = m_dir->filePath(QStringLiteral("faultline.ini"));
    }

    void roundTrip_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<SecurityProtocol>("security");
        QTest::newRow("plaintext") << QStringLiteral("dev") << SecurityProtocol::Plaintext;
        QTest::newRow("ssl") << QStringLiteral("prod eu/west") << SecurityProtocol::Ssl;
        QTest::newRow("sasl_plaintext") << QStringLiteral("staging%1") << SecurityProtocol::SaslPlaintext;
        QTest::newRow("sasl_ssl") << QStringLiteral("HDInsight: ünïcödé") << SecurityProtocol::SaslSsl;
    }

    void roundTrip() {
        QFETCH(QString, name);
        QFETCH(SecurityProtocol, security);
        const ConnectionProfile original = fullProfile(name, security);
        {
            ProfileStore store(m_ini);
            const auto saved = store.save(original);
            QVERIFY2(saved.has_value(), saved ? "" : saved.error().message.c_str());
        }
        ProfileStore reopened(m_ini); // a fresh QSettings reads the file from disk
        QCOMPARE(reopened.names(), QStringList{name});
        const auto loaded = reopened.load(name);
        QVERIFY(loaded.has_value());
        compareProfiles(*loaded, original);
    }

    void defaultsRoundTrip() {
        ConnectionProfile sandbox;
        sandbox.name = QStringLiteral("Local sandbox");
        sandbox.sandbox = true; // a sandbox learns its bootstrap when it starts
        ProfileStore store(m_ini);
        QVERIFY(store.save(sandbox).has_value());
        ProfileStore reopened(m_ini);
        const auto loaded = reopened.load(sandbox.name);
        QVERIFY(loaded.has_value());
        compareProfiles(*loaded, sandbox);
    }

    void saveReplacesAllFields() {
        ProfileStore store(m_ini);
        ConnectionProfile p = fullProfile(QStringLiteral("a"), SecurityProtocol::SaslSsl);
        QVERIFY(store.save(p).has_value());
        p.extraProperties.clear();
        p.brokerPlacement.clear();
        p.bootstrapServers = QStringLiteral("localhost:9092");
        QVERIFY(store.save(p).has_value());
        ProfileStore reopened(m_ini);
        const auto loaded = reopened.load(QStringLiteral("a"));
        QVERIFY(loaded.has_value());
        compareProfiles(*loaded, p);
        QVERIFY(loaded->extraProperties.isEmpty());
        QVERIFY(loaded->brokerPlacement.isEmpty());
    }

    void noSecretInFile() {
        ProfileStore store(m_ini);
        ConnectionProfile p = fullProfile(QStringLiteral("sasl"), SecurityProtocol::SaslSsl);
        QVERIFY(store.save(p).has_value());
        const QByteArray text = fileContents(m_ini);
        QVERIFY(text.contains("operator"));       // the user name is in the file ...
        QVERIFY(!text.toLower().contains("password")); // ... no password key of any kind
    }

    void secretExtrasRefused_data() {
        QTest::addColumn<QString>("key");
        QTest::newRow("sasl.password") << QStringLiteral("sasl.password");
        QTest::newRow("ssl.key.password") << QStringLiteral("ssl.key.password");
        QTest::newRow("ssl.keystore.password") << QStringLiteral("ssl.keystore.password");
        QTest::newRow("oauth secret") << QStringLiteral("sasl.oauthbearer.client.secret");
        QTest::newRow("jaas") << QStringLiteral("sasl.jaas.config");
        QTest::newRow("key pem") << QStringLiteral("ssl.key.pem");
        QTest::newRow("upper case") << QStringLiteral("SASL.PASSWORD");
    }

    void secretExtrasRefused() {
        QFETCH(QString, key);
        ProfileStore store(m_ini);
        ConnectionProfile p = fullProfile(QStringLiteral("leaky"), SecurityProtocol::SaslSsl);
        p.extraProperties.insert(key, QStringLiteral("hunter2-secret-value"));
        const auto saved = store.save(p);
        QVERIFY(!saved.has_value());
        QCOMPARE(saved.error().code, faultline::protocol::ErrorCode::InvalidConfig);
        QVERIFY(QString::fromStdString(saved.error().message).contains(key));
        QVERIFY(!store.contains(QStringLiteral("leaky")));
        QVERIFY(!fileContents(m_ini).contains("hunter2"));
        QVERIFY(ProfileStore::isSecretProperty(key));
    }

    void nonSecretExtrasAccepted_data() {
        QTest::addColumn<QString>("key");
        QTest::newRow("client.id") << QStringLiteral("client.id");
        QTest::newRow("oauth token endpoint") << QStringLiteral("sasl.oauthbearer.token.endpoint.url");
        QTest::newRow("ssl.key.location") << QStringLiteral("ssl.key.location");
    }

    void nonSecretExtrasAccepted() {
        QFETCH(QString, key);
        QVERIFY(!ProfileStore::isSecretProperty(key));
    }

    void invalidProfilesRefused_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("bootstrap");
        QTest::newRow("empty name") << QString() << QStringLiteral("h:1");
        QTest::newRow("blank name") << QStringLiteral("   ") << QStringLiteral("h:1");
        QTest::newRow("no bootstrap") << QStringLiteral("x") << QString();
    }

    void invalidProfilesRefused() {
        QFETCH(QString, name);
        QFETCH(QString, bootstrap);
        ProfileStore store(m_ini);
        ConnectionProfile p;
        p.name = name;
        p.bootstrapServers = bootstrap;
        const auto saved = store.save(p);
        QVERIFY(!saved.has_value());
        QCOMPARE(saved.error().code, faultline::protocol::ErrorCode::InvalidRequest);
        QVERIFY(store.names().isEmpty());
    }

    void listAndRemove() {
        ProfileStore store(m_ini);
        for (const QString& name : {QStringLiteral("zeta"), QStringLiteral("Alpha"),
                                    QStringLiteral("beta/1")}) {
            QVERIFY(store.save(fullProfile(name, SecurityProtocol::Plaintext)).has_value());
        }
        const QStringList expected{QStringLiteral("Alpha"), QStringLiteral("beta/1"),
                                   QStringLiteral("zeta")};
        QCOMPARE(store.names(), expected);
        const auto all = store.list();
        QCOMPARE(all.size(), 3);
        for (int i = 0; i < all.size(); ++i) QCOMPARE(all[i].name, expected[i]);

        QVERIFY(store.remove(QStringLiteral("beta/1")));
        QVERIFY(!store.remove(QStringLiteral("beta/1")));
        QVERIFY(!store.remove(QStringLiteral("never")));
        ProfileStore reopened(m_ini);
        QCOMPARE(reopened.names(), (QStringList{QStringLiteral("Alpha"), QStringLiteral("zeta")}));
        QVERIFY(!reopened.load(QStringLiteral("beta/1")).has_value());
        QVERIFY(!reopened.contains(QStringLiteral("beta")));
    }

    void lastUsed() {
        ProfileStore store(m_ini);
        QVERIFY(store.lastUsed().isEmpty());
        QVERIFY(store.save(fullProfile(QStringLiteral("one"), SecurityProtocol::Ssl)).has_value());
        QVERIFY(store.save(fullProfile(QStringLiteral("two"), SecurityProtocol::Ssl)).has_value());
        store.setLastUsed(QStringLiteral("two"));
        QCOMPARE(ProfileStore(m_ini).lastUsed(), QStringLiteral("two"));

        store.setLastUsed(QStringLiteral("one"));
        QVERIFY(store.remove(QStringLiteral("two"))); // not the last used: stays
        QCOMPARE(ProfileStore(m_ini).lastUsed(), QStringLiteral("one"));
        QVERIFY(store.remove(QStringLiteral("one")));  // the last used: cleared
        QVERIFY(store.lastUsed().isEmpty());
        QVERIFY(ProfileStore(m_ini).lastUsed().isEmpty());
    }

    void rename() {
        ProfileStore store(m_ini);
        const ConnectionProfile p = fullProfile(QStringLiteral("old"), SecurityProtocol::SaslSsl);
        QVERIFY(store.save(p).has_value());
        QVERIFY(store.save(fullProfile(QStringLiteral("other"), SecurityProtocol::Ssl)).has_value());
        store.setLastUsed(QStringLiteral("old"));
        QVERIFY(!store.rename(QStringLiteral("old"), QStringLiteral("other")).has_value());
        QVERIFY(!store.rename(QStringLiteral("missing"), QStringLiteral("x")).has_value());
        QVERIFY(store.rename(QStringLiteral("old"), QStringLiteral("new")).has_value());
        ProfileStore reopened(m_ini);
        QCOMPARE(reopened.names(), (QStringList{QStringLiteral("new"), QStringLiteral("other")}));
        QCOMPARE(reopened.lastUsed(), QStringLiteral("new"));
        ConnectionProfile expected = p;
        expected.name = QStringLiteral("new");
        compareProfiles(*reopened.load(QStringLiteral("new")), expected);
    }

    void sharedSettings() {
        QSettings settings(m_ini, QSettings::IniFormat);
        settings.setValue(QStringLiteral("window/geometry"), QByteArray("keep me"));
        {
            ProfileStore store(settings);
            QVERIFY(store.save(fullProfile(QStringLiteral("p"), SecurityProtocol::Ssl)).has_value());
            QCOMPARE(store.fileName(), m_ini);
        }
        QCOMPARE(settings.value(QStringLiteral("window/geometry")).toByteArray(),
                 QByteArray("keep me"));
        QCOMPARE(ProfileStore(m_ini).names(), QStringList{QStringLiteral("p")});
    }

    // The keychain: with a backend, a password round-trips through it; without one (a headless
    // machine: no Secret Service on D-Bus), available() is false with a reason, every operation
    // fails with that reason, and nothing is written to the settings file either way.
    void secretStore() {
        ProfileStore profiles(m_ini);
        QVERIFY(profiles.save(fullProfile(QStringLiteral("kc"), SecurityProtocol::SaslSsl))
                    .has_value());

        SecretStore secrets(QStringLiteral("faultline-test-%1").arg(QCoreApplication::applicationPid()));
        QCOMPARE(secrets.availability(), SecretStore::Availability::Unknown);
        QVERIFY(!secrets.available());
        QSignalSpy known(&secrets, &SecretStore::availabilityKnown);
        secrets.probe(5000);
        QVERIFY(known.wait(8000));
        QCOMPARE(known.count(), 1);
        const bool available = known.at(0).at(0).toBool();
        QCOMPARE(secrets.available(), available);
        QVERIFY(secrets.availability() != SecretStore::Availability::Unknown);

        const QString password = QStringLiteral("s3cr3t-pw-%1").arg(QCoreApplication::applicationPid());
        QSignalSpy written(&secrets, &SecretStore::passwordWritten);
        QSignalSpy read(&secrets, &SecretStore::passwordRead);
        QSignalSpy removed(&secrets, &SecretStore::passwordRemoved);
        QSignalSpy failed(&secrets, &SecretStore::failed);

        secrets.writePassword(QStringLiteral("kc"), password);
        if (available) {
            QVERIFY(written.wait(8000));
            QCOMPARE(written.at(0).at(0).toString(), QStringLiteral("kc"));
            secrets.readPassword(QStringLiteral("kc"));
            QVERIFY(read.wait(8000));
            QCOMPARE(read.at(0).at(1).toString(), password);
            secrets.removePassword(QStringLiteral("kc"));
            QVERIFY(removed.wait(8000));
            QVERIFY(failed.isEmpty());
        } else {
            QVERIFY(!secrets.unavailableReason().isEmpty());
            QCOMPARE(known.at(0).at(1).toString(), secrets.unavailableReason());
            QVERIFY(failed.wait(2000));
            QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("kc"));
            QCOMPARE(failed.at(0).at(1).value<SecretOperation>(), SecretOperation::Write);
            QCOMPARE(failed.at(0).at(2).toString(), secrets.unavailableReason());
            secrets.readPassword(QStringLiteral("kc"));
            QVERIFY(failed.wait(2000));
            QCOMPARE(failed.at(1).at(1).value<SecretOperation>(), SecretOperation::Read);
            QVERIFY(written.isEmpty());
            QVERIFY(read.isEmpty());
        }
        QVERIFY(!fileContents(m_ini).contains(password.toUtf8()));
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_ini;
};

QTEST_GUILESS_MAIN(TestProfileStore)
#include "test_profile_store.moc"
