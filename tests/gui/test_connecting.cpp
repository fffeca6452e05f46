// How the app connects and comes back, offscreen and without a cluster: the SASL password flow
// with and without a system keychain (a stand-in SecretStore), the connection dialog's fields and
// its validation, and the window state and last profile restored from QSettings. Every setting
// lives in a temporary QSettings scope, so the settings file can be checked for secrets.
#include "models/cluster_session.h"
#include "models/profile_store.h"
#include "models/secret_store.h"
#include "ui/connection_dialog.h"
#include "ui/main_window.h"
#include "ui/password_dialog.h"
#include "ui/sandbox_panel.h"
#include "ui/session_passwords.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDirIterator>
#include <QFile>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace faultline;
using models::ConnectionProfile;
using models::SecretStore;
using models::SecurityProtocol;
using ui::MainWindow;
using ui::PasswordDialog;

namespace {

const QString kSecret = QStringLiteral("s3cr3t-Pa55word!");

// The system keychain as a test wants it: present or not (with the reason a real one gives), and
// what it holds. Answers asynchronously, like QtKeychain.
class FakeKeychain : public SecretStore {
public:
    FakeKeychain(bool present, QString reason = {})
        : m_present(present), m_reason(std::move(reason)) {}

    void probe(int /*probeTimeoutMs*/) override {
        setAvailability(m_present ? Availability::Available : Availability::Unavailable, m_reason);
    }
    void readPassword(const QString& profile) override {
        ++reads;
        later([this, profile] {
            if (!m_present)
                emit failed(profile, models::SecretOperation::Read, m_reason);
            else if (entries.contains(profile))
                emit passwordRead(profile, entries.value(profile));
            else
                emit passwordNotFound(profile);
        });
    }
    void writePassword(const QString& profile, const QString& password) override {
        ++writes;
        later([this, profile, password] {
            if (!m_present) {
                emit failed(profile, models::SecretOperation::Write, m_reason);
                return;
            }
            entries.insert(profile, password);
            emit passwordWritten(profile);
        });
    }
    void removePassword(const QString& profile) override {
        later([this, profile] {
            entries.remove(profile);
            emit passwordRemoved(profile);
        });
    }

    QHash<QString, QString> entries;
    int reads = 0;
    int writes = 0;

private:
    template <typename F> void later(F f) {
        QMetaObject::invokeMethod(this, f, Qt::QueuedConnection);
    }

    bool m_present;
    QString m_reason;
};

// A loopback port nobody listens on: sessions attached to it fail, which these tests don't mind.
quint16 closedPort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost))
        return 1;
    return probe.serverPort();
}

ConnectionProfile saslProfile(const QString& name) {
    ConnectionProfile p;
    p.name = name;
    p.bootstrapServers = QStringLiteral("127.0.0.1:%1").arg(closedPort());
    p.security = SecurityProtocol::SaslPlaintext;
    p.saslMechanism = QStringLiteral("SCRAM-SHA-256");
    p.username = QStringLiteral("operator");
    return p;
}

// The password dialogs of the window that are open now.
QList<PasswordDialog*> openPasswordDialogs(const MainWindow& window) {
    QList<PasswordDialog*> open;
    for (auto* dialog : window.findChildren<PasswordDialog*>())
        if (dialog->isVisible())
            open << dialog;
    return open;
}

template <typename T> T* field(QWidget* dialog, const char* name) {
    T* widget = dialog->findChild<T*>(QString::fromLatin1(name));
    if (!widget)
        qWarning("no field %s", name);
    return widget;
}

} // namespace

class TestConnecting : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void withoutKeychainThePasswordIsAskedOncePerSession();
    void keychainPasswordIsUsedWithoutAsking();
    void missingKeychainEntryIsAskedAndRemembered();
    void connectionDialogPasswordIsKeptForTheSession();
    void cancelledPasswordSaysSo();

    void connectionDialogRoundTrip_data();
    void connectionDialogRoundTrip();
    void connectionDialogTypedFields();
    void connectionDialogRejectsBadInput_data();
    void connectionDialogRejectsBadInput();

    void windowStateAndLastProfileAreRestored();

private:
    // Every settings file the app wrote, as text.
    [[nodiscard]] QString settingsText() const;
    static void saveProfile(const ConnectionProfile& profile, bool lastUsed);

    QTemporaryDir m_settingsDir;
};

void TestConnecting::initTestCase() {
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("FaultlineTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_connecting"));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QVERIFY2(QSettings().fileName().startsWith(m_settingsDir.path()),
             qPrintable(QSettings().fileName()));
}

void TestConnecting::init() {
    QSettings settings;
    settings.clear();
    settings.sync();
}

QString TestConnecting::settingsText() const {
    QSettings().sync();
    QString text;
    QDirIterator it(m_settingsDir.path(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (file.open(QIODevice::ReadOnly))
            text += QString::fromUtf8(file.readAll());
    }
    return text;
}

void TestConnecting::saveProfile(const ConnectionProfile& profile, bool lastUsed) {
    models::ProfileStore store;
    const auto saved = store.save(profile);
    QVERIFY2(saved, saved ? "" : saved.error().message.c_str());
    if (lastUsed)
        store.setLastUsed(profile.name);
}

void TestConnecting::withoutKeychainThePasswordIsAskedOncePerSession() {
    const ConnectionProfile profile = saslProfile(QStringLiteral("secure-eu"));
    saveProfile(profile, true);
    auto* keychain = new FakeKeychain(false, QStringLiteral("no D-Bus session bus"));
    MainWindow window(keychain, nullptr);
    window.show();

    window.restoreLastSession();
    PasswordDialog* dialog = window.passwords()->dialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QCOMPARE(dialog->windowModality(), Qt::WindowModal); // open(), not exec()
    QVERIFY(!window.session()); // nothing is attached before the password is there
    QVERIFY2(
        dialog->reasonText().contains(QStringLiteral("No system keychain: no D-Bus session bus")),
        qPrintable(dialog->reasonText()));
    QVERIFY(dialog->reasonText().contains(QStringLiteral("kept for this session only")));
    QVERIFY(dialog->rememberCheck()->isHidden()); // nowhere to remember it
    QCOMPARE(dialog->profile().name, profile.name);

    dialog->accept(); // empty: refused with a message
    QVERIFY(dialog->isVisible());
    QVERIFY(!dialog->errorText().isEmpty());
    QVERIFY(!window.session());

    dialog->setPassword(kSecret);
    dialog->accept();
    QVERIFY(window.session());
    QCOMPARE(window.session()->profile().name, profile.name);
    QCOMPARE(window.session()->password(), kSecret);
    QCOMPARE(keychain->writes, 0);

    // Refresh, retry and attaching the profile again use the session's password: no new dialog.
    window.refresh();
    window.session()->reconnect();
    window.connectProfile(profile);
    QVERIFY(openPasswordDialogs(window).isEmpty());
    QVERIFY(!window.passwords()->pending());
    QCOMPARE(window.session()->password(), kSecret);
    window.restoreLastSession();
    QVERIFY(openPasswordDialogs(window).isEmpty());
    QCOMPARE(window.session()->password(), kSecret);

    window.close(); // saves the window state too
    const QString settings = settingsText();
    QVERIFY2(settings.contains(QStringLiteral("secure-eu")),
             qPrintable(settings)); // the right file
    QVERIFY2(!settings.contains(kSecret), qPrintable(settings));
}

void TestConnecting::keychainPasswordIsUsedWithoutAsking() {
    const ConnectionProfile profile = saslProfile(QStringLiteral("keychained"));
    saveProfile(profile, true);
    auto* keychain = new FakeKeychain(true);
    keychain->entries.insert(profile.name, kSecret);
    MainWindow window(keychain, nullptr);
    window.show();
    window.restoreLastSession();
    QTRY_VERIFY_WITH_TIMEOUT(window.session(), 5000);
    QCOMPARE(window.session()->password(), kSecret);
    QCOMPARE(keychain->reads, 1);
    QVERIFY(window.findChildren<PasswordDialog*>().isEmpty()); // never asked
    window.connectProfile(profile); // known this session now: not even the keychain is asked
    QCOMPARE(keychain->reads, 1);
    QVERIFY(!settingsText().contains(kSecret));
}

void TestConnecting::missingKeychainEntryIsAskedAndRemembered() {
    const ConnectionProfile profile = saslProfile(QStringLiteral("new-in-keychain"));
    saveProfile(profile, true);
    auto* keychain = new FakeKeychain(true);
    {
        MainWindow window(keychain, nullptr);
        keychain->setParent(nullptr); // outlives this window: the next one uses it too
        window.show();
        window.restoreLastSession();
        QTRY_VERIFY_WITH_TIMEOUT(window.passwords()->dialog(), 5000);
        PasswordDialog* dialog = window.passwords()->dialog();
        QVERIFY2(
            dialog->reasonText().contains(QStringLiteral("holds no password for new-in-keychain")),
            qPrintable(dialog->reasonText()));
        QVERIFY(!dialog->rememberCheck()->isHidden());
        QVERIFY(dialog->rememberCheck()->isChecked());
        dialog->setPassword(kSecret);
        dialog->accept();
        QVERIFY(window.session());
        QCOMPARE(window.session()->password(), kSecret);
        QTRY_COMPARE_WITH_TIMEOUT(keychain->entries.value(profile.name), kSecret, 5000);
    }
    { // The next run finds it in the keychain.
        MainWindow window(keychain, nullptr);
        window.show();
        window.restoreLastSession();
        QTRY_VERIFY_WITH_TIMEOUT(window.session(), 5000);
        QCOMPARE(window.session()->password(), kSecret);
        QVERIFY(window.findChildren<PasswordDialog*>().isEmpty());
    }
    QVERIFY(!settingsText().contains(kSecret));
}

void TestConnecting::connectionDialogPasswordIsKeptForTheSession() {
    auto* keychain = new FakeKeychain(false, QStringLiteral("no D-Bus session bus"));
    MainWindow window(keychain, nullptr);
    window.show();
    window.openConnectionDialog();
    auto* dialog = window.findChild<ui::ConnectionDialog*>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY2(
        dialog->passwordHint().contains(QStringLiteral("No system keychain: no D-Bus session bus")),
        qPrintable(dialog->passwordHint()));
    const ConnectionProfile profile = saslProfile(QStringLiteral("typed-in"));
    dialog->setProfile(profile);
    field<QLineEdit>(dialog, "password")->setText(kSecret);
    dialog->accept();
    QVERIFY(window.session());
    QCOMPARE(window.session()->profile().name, profile.name);
    QCOMPARE(window.session()->password(), kSecret);

    window.connectProfile(profile);
    window.restoreLastSession(); // the profile was saved and is the last one
    QVERIFY(openPasswordDialogs(window).isEmpty());
    QCOMPARE(window.session()->password(), kSecret);
    QCOMPARE(keychain->writes, 0);

    const QString settings = settingsText();
    QVERIFY2(settings.contains(QStringLiteral("typed-in")), qPrintable(settings));
    QVERIFY2(!settings.contains(kSecret), qPrintable(settings));
}

void TestConnecting::cancelledPasswordSaysSo() {
    auto* keychain = new FakeKeychain(false, QStringLiteral("no D-Bus session bus"));
    MainWindow window(keychain, nullptr);
    window.show();
    window.openConnectionDialog();
    auto* dialog = window.findChild<ui::ConnectionDialog*>();
    QVERIFY(dialog);
    dialog->setProfile(saslProfile(QStringLiteral("no-password")));
    dialog->accept(); // no password typed: asked for with the reason
    PasswordDialog* ask = window.passwords()->dialog();
    QVERIFY(ask);
    QVERIFY(ask->reasonText().contains(QStringLiteral("No system keychain")));
    ask->reject();
    QVERIFY(!window.session());
    QVERIFY(window.bannerVisible());
    QVERIFY2(window.bannerText().contains(QStringLiteral("no password given")),
             qPrintable(window.bannerText()));
}

void TestConnecting::connectionDialogRoundTrip_data() {
    QTest::addColumn<ConnectionProfile>("profile");
    ConnectionProfile plain;
    plain.name = QStringLiteral("plain");
    plain.bootstrapServers = QStringLiteral("kafka-1:9092,kafka-2:9092");
    plain.rackPattern = QStringLiteral("^(?<fd>\\d+)-(?<ud>\\d+)$");
    plain.refreshIntervalMs = 15000;
    QTest::newRow("PLAINTEXT, rack pattern, refresh") << plain;

    ConnectionProfile tls;
    tls.name = QStringLiteral("mtls");
    tls.bootstrapServers = QStringLiteral("broker.example.com:9093");
    tls.security = SecurityProtocol::Ssl;
    tls.caFile = QStringLiteral("/etc/kafka/ca.pem");
    tls.certFile = QStringLiteral("/etc/kafka/client.pem");
    tls.keyFile = QStringLiteral("/etc/kafka/client.key");
    tls.extraProperties.insert(QStringLiteral("ssl.endpoint.identification.algorithm"),
                               QStringLiteral("none"));
    QTest::newRow("SSL with client certificate") << tls;

    ConnectionProfile scram;
    scram.name = QStringLiteral("hdinsight-prod");
    scram.bootstrapServers = QStringLiteral("[::1]:9094,wn0-kafka:9094");
    scram.security = SecurityProtocol::SaslSsl;
    scram.saslMechanism = QStringLiteral("SCRAM-SHA-512");
    scram.username = QStringLiteral("operator");
    scram.caFile = QStringLiteral("/etc/ssl/certs/ca-certificates.crt");
    scram.extraProperties.insert(QStringLiteral("client.id"), QStringLiteral("faultline-ops"));
    scram.extraProperties.insert(QStringLiteral("socket.timeout.ms"), QStringLiteral("30000"));
    scram.refreshIntervalMs = 10000;
    QTest::newRow("SASL_SSL SCRAM-SHA-512 with extras") << scram;

    ConnectionProfile plainSasl;
    plainSasl.name = QStringLiteral("event-hubs");
    plainSasl.bootstrapServers = QStringLiteral("ns.servicebus.windows.net:9093");
    plainSasl.security = SecurityProtocol::SaslPlaintext;
    plainSasl.saslMechanism = QStringLiteral("PLAIN");
    plainSasl.username = QStringLiteral("$ConnectionString");
    QTest::newRow("SASL_PLAINTEXT PLAIN") << plainSasl;
}

void TestConnecting::connectionDialogRoundTrip() {
    QFETCH(ConnectionProfile, profile);
    ui::ConnectionDialog dialog({});
    dialog.setProfile(profile);
    const ConnectionProfile back = dialog.profile();
    QCOMPARE(back.name, profile.name);
    QCOMPARE(back.bootstrapServers, profile.bootstrapServers);
    QCOMPARE(back.security, profile.security);
    QCOMPARE(back.saslMechanism, profile.saslMechanism);
    QCOMPARE(back.username, profile.username);
    QCOMPARE(back.caFile, profile.caFile);
    QCOMPARE(back.certFile, profile.certFile);
    QCOMPARE(back.keyFile, profile.keyFile);
    QCOMPARE(back.extraProperties, profile.extraProperties);
    QCOMPARE(back.rackPattern, profile.rackPattern);
    QCOMPARE(back.refreshIntervalMs, profile.refreshIntervalMs);
    QCOMPARE(back.sandbox, false);
    QCOMPARE(dialog.password(), QString()); // the profile never carries one
    QSignalSpy accepted(&dialog, &QDialog::accepted);
    dialog.accept(); // and the form is valid as filled
    QCOMPARE(accepted.count(), 1);
    QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
}

void TestConnecting::connectionDialogTypedFields() {
    // The same fields typed into the form's widgets, as a user fills it in.
    ui::ConnectionDialog dialog({});
    dialog.show();
    QTest::keyClicks(field<QLineEdit>(&dialog, "name"), QStringLiteral("typed"));
    QTest::keyClicks(field<QLineEdit>(&dialog, "bootstrap"), QStringLiteral("k1:9093, k2:9093"));
    auto* security = field<QComboBox>(&dialog, "security");
    security->setCurrentIndex(security->findText(QStringLiteral("SASL_SSL")));
    auto* mechanism = field<QComboBox>(&dialog, "saslMechanism");
    QVERIFY(mechanism->isEnabled()); // SASL fields open up with a SASL protocol
    mechanism->setCurrentIndex(mechanism->findText(QStringLiteral("SCRAM-SHA-256")));
    QTest::keyClicks(field<QLineEdit>(&dialog, "username"), QStringLiteral("alice"));
    QTest::keyClicks(field<QLineEdit>(&dialog, "password"), kSecret);
    QVERIFY(field<QLineEdit>(&dialog, "caFile")->isEnabled()); // and TLS ones with SSL
    QTest::keyClicks(field<QLineEdit>(&dialog, "caFile"), QStringLiteral("/ca.pem"));
    QTest::keyClicks(field<QLineEdit>(&dialog, "certFile"), QStringLiteral("/cert.pem"));
    QTest::keyClicks(field<QLineEdit>(&dialog, "keyFile"), QStringLiteral("/key.pem"));
    field<QPlainTextEdit>(&dialog, "extraProperties")
        ->setPlainText(QStringLiteral("client.id = ops\n\nmetadata.max.age.ms=60000\n"));
    field<QSpinBox>(&dialog, "refreshInterval")->setValue(20000);

    const ConnectionProfile p = dialog.profile();
    QCOMPARE(p.name, QStringLiteral("typed"));
    QCOMPARE(p.bootstrapServers, QStringLiteral("k1:9093, k2:9093"));
    QCOMPARE(p.security, SecurityProtocol::SaslSsl);
    QCOMPARE(p.saslMechanism, QStringLiteral("SCRAM-SHA-256"));
    QCOMPARE(p.username, QStringLiteral("alice"));
    QCOMPARE(p.caFile, QStringLiteral("/ca.pem"));
    QCOMPARE(p.certFile, QStringLiteral("/cert.pem"));
    QCOMPARE(p.keyFile, QStringLiteral("/key.pem"));
    QCOMPARE(
        p.extraProperties,
        (QMap<QString, QString>{{QStringLiteral("client.id"), QStringLiteral("ops")},
                                {QStringLiteral("metadata.max.age.ms"), QStringLiteral("60000")}}));
    QCOMPARE(p.refreshIntervalMs, 20000);
    QCOMPARE(dialog.password(), kSecret);
    QSignalSpy accepted(&dialog, &QDialog::accepted);
    dialog.accept();
    QCOMPARE(accepted.count(), 1);
    QVERIFY(dialog.errorText().isEmpty());

    // PLAINTEXT closes the SASL and TLS fields again.
    security->setCurrentIndex(security->findText(QStringLiteral("PLAINTEXT")));
    QVERIFY(!mechanism->isEnabled());
    QVERIFY(!field<QLineEdit>(&dialog, "caFile")->isEnabled());
}

void TestConnecting::connectionDialogRejectsBadInput_data() {
    QTest::addColumn<QString>("bootstrap");
    QTest::addColumn<QString>("extras");
    QTest::addColumn<QString>("message");
    QTest::newRow("no bootstrap") << QString() << QString()
                                  << QStringLiteral("Enter at least one bootstrap server");
    QTest::newRow("no port") << QStringLiteral("kafka-1") << QString()
                             << QStringLiteral("\"kafka-1\" is not host:port.");
    QTest::newRow("port 0") << QStringLiteral("kafka-1:0") << QString()
                            << QStringLiteral("\"kafka-1:0\" is not host:port.");
    QTest::newRow("port too big") << QStringLiteral("kafka-1:99999") << QString()
                                  << QStringLiteral("\"kafka-1:99999\" is not host:port.");
    QTest::newRow("second server bad") << QStringLiteral("a:9092, b:x") << QString()
                                       << QStringLiteral("\"b:x\" is not host:port.");
    QTest::newRow("extra without =")
        << QStringLiteral("a:9092") << QStringLiteral("client.id=x\nacks")
        << QStringLiteral("line 2: \"acks\" is not key=value");
    QTest::newRow("secret in extras")
        << QStringLiteral("a:9092") << QStringLiteral("sasl.password=hunter2")
        << QStringLiteral("sasl.password holds a secret");
}

void TestConnecting::connectionDialogRejectsBadInput() {
    QFETCH(QString, bootstrap);
    QFETCH(QString, extras);
    QFETCH(QString, message);
    ui::ConnectionDialog dialog({});
    dialog.show();
    dialog.nameEdit()->setText(QStringLiteral("bad"));
    dialog.bootstrapEdit()->setText(bootstrap);
    field<QPlainTextEdit>(&dialog, "extraProperties")->setPlainText(extras);
    QSignalSpy accepted(&dialog, &QDialog::accepted);
    // Through the Connect button, as a user would.
    field<QPushButton>(&dialog, "connectButton")->click();
    QCOMPARE(accepted.count(), 0);
    QVERIFY(dialog.isVisible());
    QVERIFY2(dialog.errorText().contains(message), qPrintable(dialog.errorText()));

    dialog.bootstrapEdit()->setText(QStringLiteral("kafka-1:9092"));
    field<QPlainTextEdit>(&dialog, "extraProperties")->setPlainText(QString());
    field<QPushButton>(&dialog, "connectButton")->click();
    QCOMPARE(accepted.count(), 1);
    QVERIFY(dialog.errorText().isEmpty());
}

void TestConnecting::windowStateAndLastProfileAreRestored() {
    ConnectionProfile profile;
    profile.name = QStringLiteral("restored");
    profile.bootstrapServers = QStringLiteral("127.0.0.1:%1").arg(closedPort());
    saveProfile(profile, false);
    {
        MainWindow window(new FakeKeychain(false, QStringLiteral("none")), nullptr);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resize(1280, 820);
        QCOMPARE(window.size(), QSize(1280, 820));
        window.sandboxPanel()->hide();
        window.showView(MainWindow::GroupsPage);
        window.attach(profile); // becomes the last profile
        QVERIFY(window.close());
    }
    QCOMPARE(models::ProfileStore().lastUsed(), QStringLiteral("restored"));
    MainWindow window(new FakeKeychain(false, QStringLiteral("none")), nullptr);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), QSize(1280, 820));
    QVERIFY(window.sandboxPanel()->isHidden());
    QCOMPARE(window.currentView(), MainWindow::GroupsPage);
    QVERIFY(!window.session());
    window.restoreLastSession();
    QVERIFY(window.session());
    QCOMPARE(window.session()->profile().name, QStringLiteral("restored"));
    QCOMPARE(window.session()->profile().bootstrapServers, profile.bootstrapServers);
}

QTEST_MAIN(TestConnecting)
#include "test_connecting.moc"
