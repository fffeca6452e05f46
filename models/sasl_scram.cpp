#include "models/sasl_scram.h"

#include <QList>
#include <array>
#include <climits>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace faultline::models {

namespace {

const EVP_MD* digestOf(ScramHash hash) {
    return hash == ScramHash::Sha256 ? EVP_sha256() : EVP_sha512();
}

QByteArray hmac(ScramHash hash, const QByteArray& key, const QByteArray& data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    HMAC(digestOf(hash), key.constData(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.constData()),
         static_cast<std::size_t>(data.size()), out.data(), &length);
    return QByteArray(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(length));
}

QByteArray digest(ScramHash hash, const QByteArray& data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    EVP_Digest(data.constData(), static_cast<std::size_t>(data.size()), out.data(), &length,
               digestOf(hash), nullptr);
    return QByteArray(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(length));
}

// Hi() of RFC 5802: PBKDF2 with HMAC, one block of the hash's size.
QByteArray saltedPassword(ScramHash hash, const QByteArray& password, const QByteArray& salt,
                          int iterations) {
    QByteArray out(EVP_MD_get_size(digestOf(hash)), '\0');
    PKCS5_PBKDF2_HMAC(password.constData(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.constData()),
                      static_cast<int>(salt.size()), iterations, digestOf(hash),
                      static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

// saslname of RFC 5802: '=' -> "=3D", ',' -> "=2C".
QByteArray escapeName(const QString& name) {
    QByteArray escaped;
    for (const char c : name.toUtf8()) {
        if (c == '=')
            escaped += "=3D";
        else if (c == ',')
            escaped += "=2C";
        else
            escaped += c;
    }
    return escaped;
}

// The value of attribute `key` ("r" in "r=abc"), or nullopt.
std::optional<QByteArray> attribute(const QList<QByteArray>& parts, char key) {
    for (const auto& part : parts)
        if (part.size() >= 2 && part[0] == key && part[1] == '=')
            return part.mid(2);
    return std::nullopt;
}

std::optional<QByteArray> fromBase64(const QByteArray& text) {
    auto decoded = QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

} // namespace

std::optional<ScramHash> scramHashFor(const QString& mechanism) {
    const QString upper = mechanism.trimmed().toUpper();
    if (upper == QLatin1String("SCRAM-SHA-256"))
        return ScramHash::Sha256;
    if (upper == QLatin1String("SCRAM-SHA-512"))
        return ScramHash::Sha512;
    return std::nullopt;
}

ScramClient::ScramClient(ScramHash hash, const QString& username, const QString& password,
                         QByteArray nonce)
    : m_hash(hash), m_username(escapeName(username)), m_password(password.toUtf8()),
      m_nonce(std::move(nonce)) {
    if (m_nonce.isEmpty()) {
        std::array<unsigned char, 32> random{};
        RAND_bytes(random.data(), static_cast<int>(random.size()));
        m_nonce =
            QByteArray(reinterpret_cast<const char*>(random.data()), random.size()).toBase64();
    }
}

QByteArray ScramClient::clientFirst() const {
    return "n,,n=" + m_username + ",r=" + m_nonce;
}

std::expected<QByteArray, QString> ScramClient::clientFinal(const QByteArray& serverFirst) {
    const QList<QByteArray> parts = serverFirst.split(',');
    if (serverFirst.startsWith("m="))
        return std::unexpected(QStringLiteral("the server demands an unknown SCRAM extension"));
    if (serverFirst.startsWith("e="))
        return std::unexpected(
            QStringLiteral("the server refused: %1").arg(QString::fromUtf8(serverFirst.mid(2))));
    const auto nonce = attribute(parts, 'r');
    const auto saltText = attribute(parts, 's');
    const auto iterationText = attribute(parts, 'i');
    if (!nonce || !saltText || !iterationText)
        return std::unexpected(
            QStringLiteral("the server's first SCRAM message lacks r=, s= or i=: '%1'")
                .arg(QString::fromUtf8(serverFirst)));
    if (!nonce->startsWith(m_nonce) || nonce->size() <= m_nonce.size())
        return std::unexpected(
            QStringLiteral("the server's nonce does not extend the client's (a replay?)"));
    const auto salt = fromBase64(*saltText);
    if (!salt || salt->isEmpty())
        return std::unexpected(QStringLiteral("the server's salt is not base64"));
    bool ok = false;
    const qlonglong iterations = iterationText->toLongLong(&ok);
    if (!ok || iterations < kMinIterations || iterations > INT_MAX)
        return std::unexpected(QStringLiteral("the server asks for %1 iterations; at least %2 are "
                                              "required")
                                   .arg(QString::fromUtf8(*iterationText))
                                   .arg(kMinIterations));

    const QByteArray salted =
        saltedPassword(m_hash, m_password, *salt, static_cast<int>(iterations));
    const QByteArray clientKey = hmac(m_hash, salted, "Client Key");
    const QByteArray storedKey = digest(m_hash, clientKey);
    const QByteArray withoutProof = "c=biws,r=" + *nonce; // biws = base64("n,,")
    const QByteArray clientFirstBare = "n=" + m_username + ",r=" + m_nonce;
    const QByteArray authMessage = clientFirstBare + ',' + serverFirst + ',' + withoutProof;
    const QByteArray clientSignature = hmac(m_hash, storedKey, authMessage);
    QByteArray proof = clientKey;
    for (qsizetype i = 0; i < proof.size(); ++i)
        proof[i] = static_cast<char>(proof[i] ^ clientSignature[i]);
    const QByteArray serverKey = hmac(m_hash, salted, "Server Key");
    m_serverSignature = hmac(m_hash, serverKey, authMessage);
    return withoutProof + ",p=" + proof.toBase64();
}

std::expected<void, QString> ScramClient::verifyServerFinal(const QByteArray& serverFinal) const {
    if (m_serverSignature.isEmpty())
        return std::unexpected(QStringLiteral("server-final before the client's proof was sent"));
    const QList<QByteArray> parts = serverFinal.split(',');
    if (const auto error = attribute(parts, 'e'))
        return std::unexpected(
            QStringLiteral("the server refused: %1").arg(QString::fromUtf8(*error)));
    const auto verifierText = attribute(parts, 'v');
    const auto verifier = verifierText ? fromBase64(*verifierText) : std::nullopt;
    if (!verifier)
        return std::unexpected(QStringLiteral("the server's final SCRAM message has no signature"));
    if (verifier->size() != m_serverSignature.size() ||
        CRYPTO_memcmp(verifier->constData(), m_serverSignature.constData(),
                      static_cast<std::size_t>(m_serverSignature.size())) != 0)
        return std::unexpected(
            QStringLiteral("the server's signature is wrong: it does not know the "
                           "password (or something is in between)"));
    return {};
}

} // namespace faultline::models
