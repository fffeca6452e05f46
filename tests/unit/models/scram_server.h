// Test helper: the server side of SCRAM (RFC 5802 / RFC 7677), computed here with OpenSSL calls of
// its own so the client in models/sasl_scram.* is checked against an independent implementation.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <array>
#include <expected>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace faultline::testing {

class ScramServer {
public:
    // md: EVP_sha256() or EVP_sha512(); mechanism: its name, for the error messages.
    ScramServer(const EVP_MD* md, QString mechanism, QByteArray user, QByteArray password,
                QByteArray serverNonce = {}, QByteArray salt = {}, int iterations = 4096)
        : m_md(md), m_mechanism(std::move(mechanism)), m_user(std::move(user)),
          m_serverNonce(std::move(serverNonce)), m_salt(std::move(salt)), m_iterations(iterations) {
        if (m_serverNonce.isEmpty())
            m_serverNonce = random(18).toBase64();
        if (m_salt.isEmpty())
            m_salt = random(16);
        const QByteArray salted = pbkdf2(password);
        const QByteArray clientKey = hmac(salted, "Client Key");
        m_storedKey = hash(clientKey);
        m_serverKey = hmac(salted, "Server Key");
    }

    // client-first -> server-first.
    std::expected<QByteArray, QString> answerFirst(const QByteArray& clientFirst) {
        if (!clientFirst.startsWith("n,,"))
            return std::unexpected(QStringLiteral("bad GS2 header"));
        m_clientFirstBare = clientFirst.mid(3);
        const QList<QByteArray> parts = m_clientFirstBare.split(',');
        if (parts.size() < 2 || !parts[0].startsWith("n=") || !parts[1].startsWith("r="))
            return std::unexpected(QStringLiteral("bad client-first message"));
        QByteArray user = parts[0].mid(2);
        user.replace("=2C", ",").replace("=3D", "=");
        if (user != m_user)
            return std::unexpected(
                QStringLiteral("Authentication failed: Invalid user credentials"));
        m_nonce = parts[1].mid(2) + m_serverNonce;
        m_serverFirst =
            "r=" + m_nonce + ",s=" + m_salt.toBase64() + ",i=" + QByteArray::number(m_iterations);
        return m_serverFirst;
    }

    // client-final -> server-final, when the proof shows the password.
    std::expected<QByteArray, QString> answerFinal(const QByteArray& clientFinal) {
        const qsizetype cut = clientFinal.indexOf(",p=");
        if (cut < 0)
            return std::unexpected(QStringLiteral("no proof"));
        const QByteArray withoutProof = clientFinal.left(cut);
        // As Kafka's ScramSaslServer checks: the nonce must END with the server-first one.
        // librdkafka 2.0.2 sends the client nonce twice ("r=" + client nonce + that nonce),
        // which Kafka accepts.
        if (!withoutProof.startsWith("c=biws,r=") || !withoutProof.mid(9).endsWith(m_nonce))
            return std::unexpected(QStringLiteral("bad channel binding or nonce"));
        const QByteArray proof = QByteArray::fromBase64(clientFinal.mid(cut + 3));
        const QByteArray authMessage = m_clientFirstBare + ',' + m_serverFirst + ',' + withoutProof;
        const QByteArray signature = hmac(m_storedKey, authMessage);
        if (proof.size() != signature.size())
            return std::unexpected(invalidCredentials());
        QByteArray clientKey = proof;
        for (qsizetype i = 0; i < clientKey.size(); ++i)
            clientKey[i] = static_cast<char>(clientKey[i] ^ signature[i]);
        const QByteArray stored = hash(clientKey);
        if (CRYPTO_memcmp(stored.constData(), m_storedKey.constData(),
                          static_cast<std::size_t>(stored.size())) != 0)
            return std::unexpected(invalidCredentials());
        return "v=" + hmac(m_serverKey, authMessage).toBase64();
    }

private:
    QString invalidCredentials() const {
        return QStringLiteral("Authentication failed during authentication due to invalid "
                              "credentials with SASL mechanism %1")
            .arg(m_mechanism);
    }
    static QByteArray random(int size) {
        QByteArray out(size, '\0');
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), size);
        return out;
    }
    QByteArray pbkdf2(const QByteArray& password) const {
        QByteArray out(EVP_MD_get_size(m_md), '\0');
        PKCS5_PBKDF2_HMAC(password.constData(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(m_salt.constData()),
                          static_cast<int>(m_salt.size()), m_iterations, m_md,
                          static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data()));
        return out;
    }
    QByteArray hmac(const QByteArray& key, const QByteArray& data) const {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
        unsigned int length = 0;
        HMAC(m_md, key.constData(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.constData()),
             static_cast<std::size_t>(data.size()), out.data(), &length);
        return QByteArray(reinterpret_cast<const char*>(out.data()),
                          static_cast<qsizetype>(length));
    }
    QByteArray hash(const QByteArray& data) const {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
        unsigned int length = 0;
        EVP_Digest(data.constData(), static_cast<std::size_t>(data.size()), out.data(), &length,
                   m_md, nullptr);
        return QByteArray(reinterpret_cast<const char*>(out.data()),
                          static_cast<qsizetype>(length));
    }

    const EVP_MD* m_md;
    QString m_mechanism;
    QByteArray m_user;
    QByteArray m_serverNonce;
    QByteArray m_salt;
    int m_iterations;
    QByteArray m_storedKey;
    QByteArray m_serverKey;
    QByteArray m_clientFirstBare;
    QByteArray m_serverFirst;
    QByteArray m_nonce;
};

} // namespace faultline::testing
