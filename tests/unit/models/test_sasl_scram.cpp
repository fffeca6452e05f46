// ScramClient (models/sasl_scram.h) against RFC 7677's SCRAM-SHA-256 example and against an
// independent server-side computation (scram_server.h) for SCRAM-SHA-512 and SHA-256.
#include "models/sasl_scram.h"
#include "scram_server.h"

#include <QTest>

using faultline::models::ScramClient;
using faultline::models::ScramHash;
using faultline::models::scramHashFor;
using faultline::testing::ScramServer;

namespace {

// RFC 7677 section 3: user "user", password "pencil".
const QByteArray kNonce = "rOprNGfwEbeRWgbNEkqO";
const QByteArray kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const QByteArray kClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const QByteArray kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

} // namespace

class TestSaslScram : public QObject {
    Q_OBJECT
private slots:
    void rfc7677Example() {
        ScramClient client(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("pencil"),
                           kNonce);
        QCOMPARE(client.clientFirst(), QByteArray("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        auto final = client.clientFinal(kServerFirst);
        QVERIFY2(final.has_value(), final ? "" : qPrintable(final.error()));
        QCOMPARE(*final, kClientFinal);
        auto verified = client.verifyServerFinal(kServerFinal);
        QVERIFY2(verified.has_value(), verified ? "" : qPrintable(verified.error()));
    }

    void serverFinalRejected_data() {
        QTest::addColumn<QByteArray>("serverFinal");
        QTest::addColumn<QString>("reason");
        QByteArray flipped = kServerFinal;
        flipped[2] = '7'; // one character of the signature
        QTest::newRow("signature off by one character") << flipped << "signature is wrong";
        QTest::newRow("signature of the client proof")
            << QByteArray("v=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=") << "signature is wrong";
        QTest::newRow("truncated signature")
            << QByteArray("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5n") << "signature is wrong";
        QTest::newRow("server error") << QByteArray("e=invalid-proof") << "refused: invalid-proof";
        QTest::newRow("no signature") << QByteArray("x=1") << "no signature";
        QTest::newRow("not base64") << QByteArray("v=***") << "no signature";
    }
    void serverFinalRejected() {
        QFETCH(QByteArray, serverFinal);
        QFETCH(QString, reason);
        ScramClient client(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("pencil"),
                           kNonce);
        QVERIFY(client.clientFinal(kServerFirst).has_value());
        auto verified = client.verifyServerFinal(serverFinal);
        QVERIFY(!verified.has_value());
        QVERIFY2(verified.error().contains(reason), qPrintable(verified.error()));
    }

    void serverFinalBeforeProof() {
        ScramClient client(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("pencil"),
                           kNonce);
        QVERIFY(!client.verifyServerFinal(kServerFinal).has_value());
    }

    void serverFirstRejected_data() {
        QTest::addColumn<QByteArray>("serverFirst");
        QTest::addColumn<QString>("reason");
        QTest::newRow("nonce not ours")
            << QByteArray("r=someoneElse%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            << "does not extend";
        QTest::newRow("nonce not extended")
            << QByteArray("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            << "does not extend";
        QTest::newRow("too few iterations")
            << QByteArray("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095")
            << "at least 4096";
        QTest::newRow("iterations not a number")
            << QByteArray("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=many")
            << "at least 4096";
        QTest::newRow("no salt") << QByteArray("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096") << "lacks";
        QTest::newRow("salt not base64")
            << QByteArray("r=rOprNGfwEbeRWgbNEkqOxyz,s=**,i=4096") << "not base64";
        QTest::newRow("mandatory extension")
            << QByteArray("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            << "unknown SCRAM extension";
        QTest::newRow("server error") << QByteArray("e=unknown-user") << "refused: unknown-user";
    }
    void serverFirstRejected() {
        QFETCH(QByteArray, serverFirst);
        QFETCH(QString, reason);
        ScramClient client(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("pencil"),
                           kNonce);
        auto final = client.clientFinal(serverFirst);
        QVERIFY(!final.has_value());
        QVERIFY2(final.error().contains(reason), qPrintable(final.error()));
    }

    void roundTripWithServer_data() {
        QTest::addColumn<int>("hash");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::newRow("SCRAM-SHA-512") << int(ScramHash::Sha512) << "alice"
                                       << "s3cret-pässword";
        QTest::newRow("SCRAM-SHA-256") << int(ScramHash::Sha256) << "bob"
                                       << "hunter2";
        QTest::newRow("name with = and ,") << int(ScramHash::Sha512) << "a=b,c"
                                           << "x";
    }
    void roundTripWithServer() {
        QFETCH(int, hash);
        QFETCH(QString, user);
        QFETCH(QString, password);
        const bool sha512 = hash == int(ScramHash::Sha512);
        ScramServer server(sha512 ? EVP_sha512() : EVP_sha256(),
                           sha512 ? QStringLiteral("SCRAM-SHA-512")
                                  : QStringLiteral("SCRAM-SHA-256"),
                           user.toUtf8(), password.toUtf8());
        ScramClient client(static_cast<ScramHash>(hash), user, password); // random nonce
        QVERIFY(client.clientFirst().startsWith("n,,n="));
        auto serverFirst = server.answerFirst(client.clientFirst());
        QVERIFY2(serverFirst.has_value(), serverFirst ? "" : qPrintable(serverFirst.error()));
        auto clientFinal = client.clientFinal(*serverFirst);
        QVERIFY2(clientFinal.has_value(), clientFinal ? "" : qPrintable(clientFinal.error()));
        auto serverFinal = server.answerFinal(*clientFinal);
        QVERIFY2(serverFinal.has_value(), serverFinal ? "" : qPrintable(serverFinal.error()));
        auto verified = client.verifyServerFinal(*serverFinal);
        QVERIFY2(verified.has_value(), verified ? "" : qPrintable(verified.error()));
    }

    void wrongPasswordFailsAtServer() {
        ScramServer server(EVP_sha512(), QStringLiteral("SCRAM-SHA-512"), "alice", "right");
        ScramClient client(ScramHash::Sha512, QStringLiteral("alice"), QStringLiteral("wrong"));
        auto serverFirst = server.answerFirst(client.clientFirst());
        QVERIFY(serverFirst.has_value());
        auto clientFinal = client.clientFinal(*serverFirst);
        QVERIFY(clientFinal.has_value());
        auto serverFinal = server.answerFinal(*clientFinal);
        QVERIFY(!serverFinal.has_value());
        QVERIFY(serverFinal.error().contains(QLatin1String("invalid credentials")));
    }

    void serverWithOtherPasswordIsCaught() {
        // A server that does not know the password (it holds another one) may accept nothing,
        // but if it answers anyway its signature gives it away.
        ScramServer impostor(EVP_sha256(), QStringLiteral("SCRAM-SHA-256"), "user", "not-pencil");
        ScramClient client(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("pencil"));
        auto serverFirst = impostor.answerFirst(client.clientFirst());
        QVERIFY(serverFirst.has_value());
        QVERIFY(client.clientFinal(*serverFirst).has_value());
        ScramServer honest(EVP_sha256(), QStringLiteral("SCRAM-SHA-256"), "user", "not-pencil");
        ScramClient other(ScramHash::Sha256, QStringLiteral("user"), QStringLiteral("not-pencil"));
        auto otherFirst = honest.answerFirst(other.clientFirst());
        QVERIFY(otherFirst.has_value());
        auto otherFinal = other.clientFinal(*otherFirst);
        QVERIFY(otherFinal.has_value());
        auto signature = honest.answerFinal(*otherFinal); // valid for another exchange and password
        QVERIFY(signature.has_value());
        QVERIFY(!client.verifyServerFinal(*signature).has_value());
    }

    void randomNonces() {
        ScramClient a(ScramHash::Sha256, QStringLiteral("u"), QStringLiteral("p"));
        ScramClient b(ScramHash::Sha256, QStringLiteral("u"), QStringLiteral("p"));
        QVERIFY(a.clientFirst() != b.clientFirst());
        const QByteArray nonce = a.clientFirst().mid(a.clientFirst().indexOf(",r=") + 3);
        QVERIFY(nonce.size() >= 32);
        QVERIFY(!nonce.contains(','));
    }

    void mechanismNames() {
        QVERIFY(scramHashFor(QStringLiteral("SCRAM-SHA-256")) == ScramHash::Sha256);
        QVERIFY(scramHashFor(QStringLiteral(" scram-sha-512")) == ScramHash::Sha512);
        QVERIFY(!scramHashFor(QStringLiteral("PLAIN")).has_value());
        QVERIFY(!scramHashFor(QStringLiteral("SCRAM-SHA-1")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestSaslScram)
#include "test_sasl_scram.moc"
