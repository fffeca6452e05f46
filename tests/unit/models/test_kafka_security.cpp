// KafkaClient over TLS and SASL, end to end: an in-process engine (one broker) behind a proxy
// (kafka_test_proxy.h) that terminates TLS with certificates made here at run time and answers the
// SASL login itself. Also a ClusterSession and faultline-ctl attached through SASL_SSL.
#include "engine/broker/engine.h"
#include "kafka_test_proxy.h"
#include "models/cluster_session.h"
#include "models/kafka_client.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <future>

using namespace faultline;
using models::ClusterSession;
using models::ConnectionState;
using models::KafkaClient;
using models::SecurityProtocol;
using models::SnapshotPtr;
using testing::KafkaTestProxy;
using testing::ProxyOptions;

namespace {

const QByteArray kUser = "alice";
const QByteArray kPassword = "alice-secret";
const QString kKeyPassword = QStringLiteral("keypass");

KafkaClient::Options generousTimeouts() {
    // Long enough that a failure which is really a timeout could never pass for a fast, named one.
    KafkaClient::Options options;
    options.connectTimeout = std::chrono::milliseconds(20000);
    options.requestTimeout = std::chrono::milliseconds(30000);
    return options;
}

QMap<QString, QString> extrasFrom(const QStringList& pairs) {
    QMap<QString, QString> extras;
    for (const auto& pair : pairs) {
        const auto cut = pair.indexOf(QLatin1Char('='));
        extras.insert(pair.left(cut), pair.mid(cut + 1));
    }
    return extras;
}

} // namespace

class TestKafkaSecurity : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QTemporaryDir m_certs;
    std::unique_ptr<broker::Engine> m_engine;
    QString m_engineAddress;
    std::uint16_t m_enginePort = 0;
    int m_topics = 0;
    QByteArray m_savedCertFile;
    bool m_hadCertFile = false;

    QString cert(const QString& name) const { return m_certs.filePath(name); }

    bool openssl(const QStringList& arguments, QString* error) const {
        QProcess process;
        process.setWorkingDirectory(m_certs.path());
        process.start(QStringLiteral("openssl"), arguments);
        if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit ||
            process.exitCode() != 0) {
            *error = QStringLiteral("openssl %1: %2")
                         .arg(arguments.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(process.readAllStandardError()));
            return false;
        }
        return true;
    }

    // A self-signed certificate (a CA, or a server that vouches for itself).
    bool selfSigned(const QString& name, const QString& subject, const QString& extension,
                    QString* error) const {
        return openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
                        "-subj", subject, "-addext", extension},
                       error);
    }

    // A certificate signed by `issuer`, with the given extensions.
    bool issued(const QString& name, const QString& subject, const QString& extensions,
                const QString& issuer, QString* error) const {
        QFile ext(cert(name + ".ext"));
        if (!ext.open(QIODevice::WriteOnly) || ext.write(extensions.toUtf8()) < 0) {
            *error = QStringLiteral("cannot write %1").arg(ext.fileName());
            return false;
        }
        ext.close();
        return openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj",
                        subject},
                       error) &&
               openssl({"x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
                        issuer + ".key", "-CAcreateserial", "-days", "2", "-out", name + ".pem",
                        "-extfile", name + ".ext"},
                       error);
    }

    std::unique_ptr<KafkaTestProxy> startProxy(ProxyOptions options) {
        options.upstreamPort = m_enginePort;
        auto proxy = std::make_unique<KafkaTestProxy>(std::move(options));
        QString error;
        if (!proxy->start(&error))
            qFatal("%s", qPrintable(error));
        return proxy;
    }

    ProxyOptions tlsProxy(const QString& serverCert) const {
        ProxyOptions options;
        options.certFile = cert(serverCert + ".pem");
        options.keyFile = cert(serverCert + ".key");
        return options;
    }

    static void offerSasl(ProxyOptions& options, QStringList mechanisms) {
        options.mechanisms = std::move(mechanisms);
        options.user = kUser;
        options.password = kPassword;
    }

    models::ConnectionProfile profileFor(const QString& bootstrap,
                                         SecurityProtocol security) const {
        models::ConnectionProfile profile;
        profile.name = QStringLiteral("secured");
        profile.bootstrapServers = bootstrap;
        profile.security = security;
        profile.username = QString::fromUtf8(kUser);
        if (security == SecurityProtocol::Ssl || security == SecurityProtocol::SaslSsl)
            profile.caFile = cert(QStringLiteral("ca.pem"));
        return profile;
    }

    void setSystemTrustStore(const QString& file) {
        if (file.isEmpty())
            qunsetenv("SSL_CERT_FILE");
        else
            qputenv("SSL_CERT_FILE", QFile::encodeName(file));
    }

    // Metadata, DescribeCluster, CreateTopics and ListOffsets through the proxy, and nothing
    // around it: every broker address the client learns is the proxy's.
    void exercise(KafkaClient& client, const KafkaTestProxy& proxy) {
        auto md = client.metadata();
        QVERIFY2(md.has_value(),
                 qPrintable(md ? QString() : md.error().errorName + ": " + md.error().message));
        QCOMPARE(md->brokers.size(), 1u);
        QCOMPARE(md->brokers[0].port, std::int32_t(proxy.port()));
        auto cluster = client.describeCluster();
        QVERIFY2(cluster.has_value(), qPrintable(cluster ? QString() : cluster.error().message));
        QVERIFY(!cluster->fromMetadata);
        QVERIFY(!cluster->clusterId.isEmpty());
        QCOMPARE(cluster->brokers.size(), 1);
        QCOMPARE(cluster->brokers[0].port, int(proxy.port()));

        const QString topic = QStringLiteral("secured-%1").arg(++m_topics);
        protocol::CreateTopicsRequest request;
        protocol::CreateTopicsRequest::CreatableTopic creatable;
        creatable.name = topic.toStdString();
        creatable.numPartitions = 2;
        creatable.replicationFactor = 1;
        request.topics.push_back(creatable);
        request.timeoutMs = 10000;
        auto created = client.createTopics(request);
        QVERIFY2(created.has_value(), qPrintable(created ? QString() : created.error().message));

        auto described = client.metadata(QStringList{topic});
        QVERIFY2(described.has_value(),
                 qPrintable(described ? QString() : described.error().message));
        QCOMPARE(described->topics.size(), 1u);
        QCOMPARE(described->topics[0].partitions.size(), 2u);
        const std::int32_t leader = described->topics[0].partitions[0].leaderId;
        auto offsets = client.listOffsets(leader, {{topic, 0}, {topic, 1}}, -1);
        QVERIFY2(offsets.has_value(), qPrintable(offsets ? QString() : offsets.error().message));
        QCOMPARE(offsets->topics.size(), 1u);
        QCOMPARE(offsets->topics[0].partitions.size(), 2u);
        for (const auto& p : offsets->topics[0].partitions) {
            QCOMPARE(p.errorCode, std::int16_t(0));
            QCOMPARE(p.offset, std::int64_t(0));
        }
        for (const auto& [id, broker] : client.knownBrokers())
            QCOMPARE(broker.port, int(proxy.port()));
        QVERIFY(proxy.forwarded() >= 5);
    }

    void createTopicDirectly(const QString& name, int partitions) {
        KafkaClient direct(profileFor(m_engineAddress, SecurityProtocol::Plaintext));
        protocol::CreateTopicsRequest request;
        protocol::CreateTopicsRequest::CreatableTopic topic;
        topic.name = name.toStdString();
        topic.numPartitions = partitions;
        topic.replicationFactor = 1;
        request.topics.push_back(topic);
        request.timeoutMs = 10000;
        auto created = direct.createTopics(request);
        QVERIFY2(created.has_value() ||
                     created.error().errorName == QLatin1String("TOPIC_ALREADY_EXISTS"),
                 qPrintable(created ? QString() : created.error().message));
    }

    static void expectError(const models::ClientResult<protocol::MetadataResponse>& result,
                            const QString& name, const QString& text) {
        QVERIFY2(!result.has_value(), "the call succeeded");
        QVERIFY2(result.error().errorName == name,
                 qPrintable(result.error().errorName + ": " + result.error().message));
        QVERIFY2(result.error().message.contains(text), qPrintable(result.error().message));
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_certs.isValid());
        m_hadCertFile = qEnvironmentVariableIsSet("SSL_CERT_FILE");
        m_savedCertFile = qgetenv("SSL_CERT_FILE");

        QString error;
        const QString ca = QStringLiteral("basicConstraints=critical,CA:TRUE");
        const QString server =
            QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                           "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        QVERIFY2(selfSigned("ca", "/CN=Faultline Test CA", ca, &error), qPrintable(error));
        QVERIFY2(selfSigned("other-ca", "/CN=Someone Else's CA", ca, &error), qPrintable(error));
        QVERIFY2(issued("server", "/CN=localhost", server, "ca", &error), qPrintable(error));
        QVERIFY2(issued("other", "/CN=localhost", server, "other-ca", &error), qPrintable(error));
        QVERIFY2(issued("wrongname", "/CN=wrong.example",
                        "subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n", "ca",
                        &error),
                 qPrintable(error));
        QVERIFY2(selfSigned("self", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            &error),
                 qPrintable(error));
        QVERIFY2(issued("client", "/CN=alice", "extendedKeyUsage=clientAuth\n", "ca", &error),
                 qPrintable(error));
        QVERIFY2(openssl({"pkey", "-in", "client.key", "-out", "client-enc.key", "-aes256",
                          "-passout", "pass:" + kKeyPassword},
                         &error),
                 qPrintable(error));

        broker::EngineOptions options;
        options.brokers = 1;
        options.basePort = 0;
        options.dataDir = m_dir.path().toStdString();
        auto engine = broker::Engine::start(options);
        QVERIFY2(engine.has_value(), engine ? "" : engine.error().c_str());
        m_engine = std::move(*engine);
        m_engineAddress = QString::fromStdString(m_engine->bootstrapServers());
        m_enginePort =
            static_cast<std::uint16_t>(m_engineAddress.section(QLatin1Char(':'), -1).toUInt());
        QVERIFY(m_enginePort != 0);
    }

    void cleanup() {
        if (m_hadCertFile)
            qputenv("SSL_CERT_FILE", m_savedCertFile);
        else
            qunsetenv("SSL_CERT_FILE");
    }

    void cleanupTestCase() {
        if (m_engine)
            m_engine->stop();
        m_engine.reset();
    }

    // ---- TLS ---------------------------------------------------------------------------------

    void tlsWorks_data() {
        QTest::addColumn<QString>("host");        // what the client dials and the proxy advertises
        QTest::addColumn<QString>("serverCert");  // the proxy's certificate
        QTest::addColumn<bool>("profileCa");      // caFile = our CA, else the system's store
        QTest::addColumn<QString>("systemStore"); // SSL_CERT_FILE for the system's store
        QTest::addColumn<QStringList>("extras");
        QTest::newRow("IP address in the certificate") << "127.0.0.1"
                                                       << "server" << true << "" << QStringList{};
        QTest::newRow("host name in the certificate") << "localhost"
                                                      << "server" << true << "" << QStringList{};
        QTest::newRow("system trust store") << "127.0.0.1"
                                            << "server" << false << "ca.pem" << QStringList{};
        QTest::newRow("verification off, self-signed")
            << "127.0.0.1"
            << "self" << true << "" << QStringList{"enable.ssl.certificate.verification=false"};
        QTest::newRow("hostname check off, wrong name")
            << "127.0.0.1"
            << "wrongname" << true << ""
            << QStringList{"ssl.endpoint.identification.algorithm=none"};
    }
    void tlsWorks() {
        QFETCH(QString, host);
        QFETCH(QString, serverCert);
        QFETCH(bool, profileCa);
        QFETCH(QString, systemStore);
        QFETCH(QStringList, extras);
        setSystemTrustStore(systemStore.isEmpty() ? QString() : cert(systemStore));
        ProxyOptions options = tlsProxy(serverCert);
        options.advertisedHost = host;
        auto proxy = startProxy(options);
        auto profile =
            profileFor(QStringLiteral("%1:%2").arg(host).arg(proxy->port()), SecurityProtocol::Ssl);
        if (!profileCa)
            profile.caFile.clear();
        profile.extraProperties = extrasFrom(extras);
        KafkaClient client(profile, generousTimeouts());
        exercise(client, *proxy);
        // SNI carries host names, never IP addresses (RFC 6066).
        QCOMPARE(proxy->lastServerName(), host == QLatin1String("localhost") ? host : QString());
    }

    void tlsRefused_data() {
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("serverCert");
        QTest::addColumn<bool>("profileCa");
        QTest::addColumn<QString>("reason");
        QTest::newRow("server certificate from an unknown CA")
            << "127.0.0.1"
            << "other" << true
            << "certificate verify failed: unable to get local issuer certificate";
        QTest::newRow("self-signed server certificate")
            << "127.0.0.1"
            << "self" << true << "certificate verify failed: self-signed certificate";
        QTest::newRow("system trust store lacks the CA")
            << "127.0.0.1"
            << "server" << false
            << "certificate verify failed: unable to get local issuer certificate";
        QTest::newRow("IP address not in the certificate")
            << "127.0.0.1"
            << "wrongname" << true << "certificate verify failed: IP address mismatch";
        QTest::newRow("host name not in the certificate")
            << "localhost"
            << "wrongname" << true << "certificate verify failed: hostname mismatch";
    }
    void tlsRefused() {
        QFETCH(QString, host);
        QFETCH(QString, serverCert);
        QFETCH(bool, profileCa);
        QFETCH(QString, reason);
        setSystemTrustStore({});
        auto proxy = startProxy(tlsProxy(serverCert));
        const QString address = QStringLiteral("%1:%2").arg(host).arg(proxy->port());
        auto profile = profileFor(address, SecurityProtocol::Ssl);
        if (!profileCa)
            profile.caFile.clear();
        KafkaClient client(profile, generousTimeouts());
        const auto result = client.metadata();
        expectError(result, QStringLiteral("SSL_HANDSHAKE_FAILED"), reason);
        QVERIFY(result.error().message.contains(address));
        QCOMPARE(proxy->forwarded(), 0);
    }

    void mutualTls_data() {
        QTest::addColumn<QString>("certFile");
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QStringList>("extras");
        QTest::addColumn<QString>("errorName"); // empty: works
        QTest::addColumn<QString>("reason");
        QTest::newRow("client certificate") << "client.pem"
                                            << "client.key" << QStringList{} << ""
                                            << "";
        QTest::newRow("encrypted key with ssl.key.password")
            << "client.pem"
            << "client-enc.key" << QStringList{"ssl.key.password=" + kKeyPassword} << ""
            << "";
        QTest::newRow("no client certificate")
            << ""
            << "" << QStringList{} << "SSL_HANDSHAKE_FAILED"
            << "certificate required (does it require a client certificate?";
        QTest::newRow("certificate from an unknown CA")
            << "other.pem"
            << "other.key" << QStringList{} << "SSL_HANDSHAKE_FAILED"
            << "alert";
        QTest::newRow("encrypted key without ssl.key.password")
            << "client.pem"
            << "client-enc.key" << QStringList{} << "SSL_CONFIG_INVALID"
            << "the key is encrypted: set ssl.key.password";
        QTest::newRow("encrypted key with a wrong ssl.key.password")
            << "client.pem"
            << "client-enc.key" << QStringList{"ssl.key.password=nope"} << "SSL_CONFIG_INVALID"
            << "is ssl.key.password right?";
        QTest::newRow("key of another certificate")
            << "client.pem"
            << "server.key" << QStringList{} << "SSL_CONFIG_INVALID"
            << "does not belong to ssl.certificate.location";
    }
    void mutualTls() {
        QFETCH(QString, certFile);
        QFETCH(QString, keyFile);
        QFETCH(QStringList, extras);
        QFETCH(QString, errorName);
        QFETCH(QString, reason);
        ProxyOptions options = tlsProxy(QStringLiteral("server"));
        options.clientCaFile = cert(QStringLiteral("ca.pem"));
        auto proxy = startProxy(options);
        auto profile = profileFor(proxy->address(), SecurityProtocol::Ssl);
        profile.certFile = certFile.isEmpty() ? QString() : cert(certFile);
        profile.keyFile = keyFile.isEmpty() ? QString() : cert(keyFile);
        profile.extraProperties = extrasFrom(extras);
        KafkaClient client(profile, generousTimeouts());
        if (errorName.isEmpty()) {
            exercise(client, *proxy);
            return;
        }
        expectError(client.metadata(), errorName, reason);
        QCOMPARE(proxy->forwarded(), 0);
    }

    void badTlsSettings_data() {
        QTest::addColumn<QString>("caFile");
        QTest::addColumn<QString>("certFile");
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QStringList>("extras");
        QTest::addColumn<QString>("reason");
        QTest::newRow("missing CA file") << "missing.pem"
                                         << ""
                                         << "" << QStringList{} << "does not exist";
        QTest::newRow("CA file without certificates")
            << "server.ext"
            << ""
            << "" << QStringList{} << "cannot load ssl.ca.location";
        QTest::newRow("certificate without key")
            << "ca.pem"
            << "client.pem"
            << "" << QStringList{} << "ssl.key.location is not";
        QTest::newRow("missing key file") << "ca.pem"
                                          << "client.pem"
                                          << "missing.key" << QStringList{} << "no such file";
        QTest::newRow("unknown identification algorithm")
            << "ca.pem"
            << ""
            << "" << QStringList{"ssl.endpoint.identification.algorithm=sha"}
            << "must be https or none";
        QTest::newRow("verification neither true nor false")
            << "ca.pem"
            << ""
            << "" << QStringList{"enable.ssl.certificate.verification=maybe"}
            << "must be true or false";
    }
    void badTlsSettings() {
        QFETCH(QString, caFile);
        QFETCH(QString, certFile);
        QFETCH(QString, keyFile);
        QFETCH(QStringList, extras);
        QFETCH(QString, reason);
        auto proxy = startProxy(tlsProxy(QStringLiteral("server")));
        auto profile = profileFor(proxy->address(), SecurityProtocol::SaslSsl);
        profile.caFile = cert(caFile);
        profile.certFile = certFile.isEmpty() ? QString() : cert(certFile);
        profile.keyFile = keyFile.isEmpty() ? QString() : cert(keyFile);
        profile.extraProperties = extrasFrom(extras);
        KafkaClient client(profile, QString::fromUtf8(kPassword), generousTimeouts());
        expectError(client.metadata(), QStringLiteral("SSL_CONFIG_INVALID"), reason);
    }

    // ---- SASL --------------------------------------------------------------------------------

    void saslWorks_data() {
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QString>("mechanism");
        for (bool tls : {false, true})
            for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
                QTest::addRow("%s %s", tls ? "SASL_SSL" : "SASL_PLAINTEXT", mechanism)
                    << tls << QString::fromLatin1(mechanism);
    }
    void saslWorks() {
        QFETCH(bool, tls);
        QFETCH(QString, mechanism);
        ProxyOptions options = tls ? tlsProxy(QStringLiteral("server")) : ProxyOptions{};
        offerSasl(options, {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"});
        auto proxy = startProxy(options);
        auto profile = profileFor(proxy->address(), tls ? SecurityProtocol::SaslSsl
                                                        : SecurityProtocol::SaslPlaintext);
        profile.saslMechanism = mechanism;
        KafkaClient client(profile, QString::fromUtf8(kPassword), generousTimeouts());
        exercise(client, *proxy);
        QVERIFY(proxy->logins() >= 1);
    }

    void saslRefused_data() {
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QStringList>("offered");
        QTest::addColumn<QString>("mechanism");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("forge");
        QTest::addColumn<QString>("errorName");
        QTest::addColumn<QString>("reason");
        const QStringList all{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
        const QString failed = QStringLiteral("SASL_AUTHENTICATION_FAILED");
        QTest::newRow("PLAIN, wrong password")
            << false << all << "PLAIN"
            << "alice"
            << "wrong" << false << failed
            << "refused the PLAIN login of user alice: Authentication failed: Invalid username or "
               "password";
        QTest::newRow("SCRAM-SHA-256, wrong password")
            << false << all << "SCRAM-SHA-256"
            << "alice"
            << "wrong" << false << failed
            << "invalid credentials with SASL mechanism SCRAM-SHA-256";
        QTest::newRow("SCRAM-SHA-512 over TLS, wrong password")
            << true << all << "SCRAM-SHA-512"
            << "alice"
            << "wrong" << false << failed
            << "invalid credentials with SASL mechanism SCRAM-SHA-512";
        QTest::newRow("SCRAM, unknown user")
            << false << all << "SCRAM-SHA-256"
            << "mallory"
            << "alice-secret" << false << failed << "Invalid user credentials";
        QTest::newRow("SCRAM, server signature forged")
            << false << all << "SCRAM-SHA-512"
            << "alice"
            << "alice-secret" << true << failed << "signature is wrong";
        QTest::newRow("mechanism not offered")
            << false << QStringList{"SCRAM-SHA-512"} << "PLAIN"
            << "alice"
            << "alice-secret" << false << "UNSUPPORTED_SASL_MECHANISM"
            << "offers SCRAM-SHA-512, the profile asks PLAIN";
        QTest::newRow("mechanism the client lacks")
            << false << all << "GSSAPI"
            << "alice"
            << "alice-secret" << false << "UNSUPPORTED_SASL_MECHANISM"
            << "not GSSAPI";
        QTest::newRow("no user name")
            << false << all << "PLAIN"
            << ""
            << "alice-secret" << false << failed << "needs a user name (sasl.username)";
    }
    void saslRefused() {
        QFETCH(bool, tls);
        QFETCH(QStringList, offered);
        QFETCH(QString, mechanism);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(bool, forge);
        QFETCH(QString, errorName);
        QFETCH(QString, reason);
        ProxyOptions options = tls ? tlsProxy(QStringLiteral("server")) : ProxyOptions{};
        offerSasl(options, offered);
        options.forgeServerSignature = forge;
        auto proxy = startProxy(options);
        auto profile = profileFor(proxy->address(), tls ? SecurityProtocol::SaslSsl
                                                        : SecurityProtocol::SaslPlaintext);
        profile.saslMechanism = mechanism;
        profile.username = user;
        KafkaClient client(profile, password, generousTimeouts());
        expectError(client.metadata(), errorName, reason);
        // Nothing but ApiVersions went past the proxy (nothing at all when the client refused
        // before connecting).
        const bool refusedLocally = mechanism == QLatin1String("GSSAPI") || user.isEmpty();
        QCOMPARE(proxy->forwarded(), refusedLocally ? 0 : 1);
    }

    // ---- the wrong security protocol fails fast, with a message that says so ---------------

    void plaintextClientAgainstTlsListener_data() {
        QTest::addColumn<int>("security");
        QTest::newRow("PLAINTEXT") << int(SecurityProtocol::Plaintext);
        QTest::newRow("SASL_PLAINTEXT") << int(SecurityProtocol::SaslPlaintext);
    }
    void plaintextClientAgainstTlsListener() {
        QFETCH(int, security);
        auto proxy = startProxy(tlsProxy(QStringLiteral("server")));
        const auto protocol = static_cast<SecurityProtocol>(security);
        KafkaClient client(profileFor(proxy->address(), protocol), QString::fromUtf8(kPassword),
                           generousTimeouts());
        expectError(client.metadata(), QStringLiteral("SECURITY_PROTOCOL_MISMATCH"),
                    QStringLiteral("%1 speaks TLS: it is an SSL or SASL_SSL listener, the "
                                   "profile uses %2")
                        .arg(proxy->address(), models::securityProtocolName(protocol)));
    }

    void plaintextClientGetsTlsAlert() {
        // Some TLS servers answer a plaintext request with an alert record instead of hanging up.
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QTcpSocket*> sockets;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            while (auto* socket = server.nextPendingConnection()) {
                sockets << socket;
                connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                    socket->readAll();
                    // TLS 1.2 record: alert, fatal, protocol_version
                    socket->write(QByteArray("\x15\x03\x03\x00\x02\x02\x46", 7));
                });
            }
        });
        const QString address = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        const auto profile = profileFor(address, SecurityProtocol::Plaintext);
        auto future = std::async(std::launch::async, [profile] {
            KafkaClient client(profile, generousTimeouts());
            return client.metadata();
        });
        QTRY_VERIFY_WITH_TIMEOUT(
            future.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 60000);
        expectError(future.get(), QStringLiteral("SECURITY_PROTOCOL_MISMATCH"),
                    address + QStringLiteral(" speaks TLS: it is an SSL or SASL_SSL listener"));
        qDeleteAll(sockets);
    }

    void tlsClientAgainstPlaintextListener_data() {
        QTest::addColumn<int>("security");
        QTest::addColumn<bool>("saslProxy");
        QTest::newRow("SSL to the engine") << int(SecurityProtocol::Ssl) << false;
        QTest::newRow("SASL_SSL to the engine") << int(SecurityProtocol::SaslSsl) << false;
        QTest::newRow("SASL_SSL to a SASL_PLAINTEXT listener")
            << int(SecurityProtocol::SaslSsl) << true;
    }
    void tlsClientAgainstPlaintextListener() {
        QFETCH(int, security);
        QFETCH(bool, saslProxy);
        std::unique_ptr<KafkaTestProxy> proxy;
        QString address = m_engineAddress;
        if (saslProxy) {
            ProxyOptions options;
            offerSasl(options, {"PLAIN"});
            proxy = startProxy(options);
            address = proxy->address();
        }
        KafkaClient client(profileFor(address, static_cast<SecurityProtocol>(security)),
                           QString::fromUtf8(kPassword), generousTimeouts());
        const auto result = client.metadata();
        expectError(result, QStringLiteral("SSL_HANDSHAKE_FAILED"),
                    QStringLiteral("TLS handshake with %1 failed").arg(address));
        QVERIFY2(result.error().message.contains(
                     QLatin1String("is it a PLAINTEXT or SASL_PLAINTEXT listener?")),
                 qPrintable(result.error().message));
    }

    void saslClientAgainstListenerWithoutSasl() {
        KafkaClient client(profileFor(m_engineAddress, SecurityProtocol::SaslPlaintext),
                           QString::fromUtf8(kPassword), generousTimeouts());
        expectError(client.metadata(), QStringLiteral("UNSUPPORTED_VERSION"),
                    QStringLiteral("%1 offers no SASL login").arg(m_engineAddress));
    }

    // ---- the password reaches the session's client, and faultline-ctl's ---------------------

    void sessionOverSaslSsl_data() {
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("works");
        QTest::newRow("right password") << QString::fromUtf8(kPassword) << true;
        QTest::newRow("wrong password") << QStringLiteral("wrong") << false;
    }
    void sessionOverSaslSsl() {
        QFETCH(QString, password);
        QFETCH(bool, works);
        createTopicDirectly(QStringLiteral("session-topic"), 3);
        if (QTest::currentTestFailed())
            return;
        ProxyOptions options = tlsProxy(QStringLiteral("server"));
        options.clientCaFile = cert(QStringLiteral("ca.pem"));
        offerSasl(options, {"SCRAM-SHA-512"});
        auto proxy = startProxy(options);
        auto profile = profileFor(proxy->address(), SecurityProtocol::SaslSsl);
        profile.saslMechanism = QStringLiteral("SCRAM-SHA-512");
        profile.certFile = cert(QStringLiteral("client.pem"));
        profile.keyFile = cert(QStringLiteral("client.key"));
        profile.refreshIntervalMs = 60000;
        ClusterSession session(profile, password);
        QSignalSpy snapshots(&session, &ClusterSession::snapshotReady);
        QSignalSpy states(&session, &ClusterSession::stateChanged);
        session.start();
        if (!works) {
            QTRY_VERIFY_WITH_TIMEOUT(std::any_of(states.cbegin(), states.cend(),
                                                 [](const QList<QVariant>& s) {
                                                     return s.at(0).value<ConnectionState>() ==
                                                            ConnectionState::Failed;
                                                 }),
                                     60000);
            const auto failed =
                std::find_if(states.cbegin(), states.cend(), [](const QList<QVariant>& s) {
                    return s.at(0).value<ConnectionState>() == ConnectionState::Failed;
                });
            const QString message = failed->at(1).toString();
            QVERIFY2(message.contains(QLatin1String("SASL_AUTHENTICATION_FAILED")),
                     qPrintable(message));
            QVERIFY(snapshots.isEmpty());
            return;
        }
        QVERIFY(snapshots.wait(60000));
        const SnapshotPtr snapshot = snapshots.last().at(0).value<SnapshotPtr>();
        QVERIFY(snapshot);
        // Complete: the session's librdkafka handle (watermarks, configs, groups) logged in too.
        QVERIFY2(snapshot->warnings.isEmpty(),
                 qPrintable(snapshot->warnings.join(QLatin1String("; "))));
        const auto* topic = snapshot->topic(QStringLiteral("session-topic"));
        QVERIFY(topic);
        QCOMPARE(topic->partitions.size(), 3);
        QCOMPARE(snapshot->brokers.size(), 1);
        QCOMPARE(snapshot->brokers[0].port, int(proxy->port()));
        QVERIFY(proxy->logins() >= 1);
    }

    void ctlWithCommandConfig_data() {
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("works");
        QTest::newRow("right password") << QString::fromUtf8(kPassword) << true;
        QTest::newRow("wrong password") << QStringLiteral("wrong") << false;
    }
    void ctlWithCommandConfig() {
        QFETCH(QString, password);
        QFETCH(bool, works);
        createTopicDirectly(QStringLiteral("ctl-topic"), 1);
        if (QTest::currentTestFailed())
            return;
        ProxyOptions options = tlsProxy(QStringLiteral("server"));
        options.clientCaFile = cert(QStringLiteral("ca.pem"));
        offerSasl(options, {"SCRAM-SHA-256"});
        auto proxy = startProxy(options);
        const QString config = m_certs.filePath(QStringLiteral("client.properties"));
        QFile file(config);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        const QString text = QStringLiteral("security.protocol=SASL_SSL\n"
                                            "sasl.mechanism=SCRAM-SHA-256\n"
                                            "sasl.username=%1\n"
                                            "sasl.password=%2\n"
                                            "ssl.ca.location=%3\n"
                                            "ssl.certificate.location=%4\n"
                                            "ssl.key.location=%5\n"
                                            "ssl.key.password=%6\n")
                                 .arg(QString::fromUtf8(kUser), password, cert("ca.pem"),
                                      cert("client.pem"), cert("client-enc.key"), kKeyPassword);
        file.write(text.toUtf8());
        file.close();
        QProcess ctl;
        ctl.start(QStringLiteral(FAULTLINE_CTL_PATH),
                  {"--bootstrap", proxy->address(), "--command-config", config, "--timeout", "60",
                   "--json", "topics", "list"});
        QVERIFY(ctl.waitForFinished(90000));
        const QString out = QString::fromUtf8(ctl.readAllStandardOutput());
        const QString err = QString::fromUtf8(ctl.readAllStandardError());
        if (works) {
            QVERIFY2(ctl.exitCode() == 0, qPrintable(err));
            QVERIFY2(out.contains(QLatin1String("\"ctl-topic\"")), qPrintable(out));
            QVERIFY(proxy->logins() >= 1);
        } else {
            QVERIFY(ctl.exitCode() != 0);
            QVERIFY2(err.contains(QLatin1String("SASL_AUTHENTICATION_FAILED")), qPrintable(err));
        }
    }
};

QTEST_GUILESS_MAIN(TestKafkaSecurity)
#include "test_kafka_security.moc"
