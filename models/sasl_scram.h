// The client side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka uses it: no
// channel binding (GS2 header "n,,"), no authorization identity, at least 4096 iterations. The
// server's signature is verified, so a server that does not know the password is caught.
// Crypto from OpenSSL (PBKDF2-HMAC, HMAC, SHA-2).
#pragma once

#include <QByteArray>
#include <QString>
#include <expected>
#include <optional>

namespace faultline::models {

enum class ScramHash { Sha256, Sha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512" (any case); nullopt for other mechanisms.
[[nodiscard]] std::optional<ScramHash> scramHashFor(const QString& mechanism);

class ScramClient {
public:
    static constexpr int kMinIterations = 4096; // Kafka's minimum for both hashes

    // nonce: printable, without ','; empty = 32 random bytes in base64. A fixed nonce is for tests.
    ScramClient(ScramHash hash, const QString& username, const QString& password,
                QByteArray nonce = {});

    // "n,,n=<user, '=' and ',' escaped>,r=<nonce>"
    [[nodiscard]] QByteArray clientFirst() const;
    // Checks the server-first message (our nonce extended, a salt, enough iterations) and answers
    // with the client-final message carrying the proof. The error says what was wrong.
    [[nodiscard]] std::expected<QByteArray, QString> clientFinal(const QByteArray& serverFirst);
    // Checks server-final: its signature (v=) must be the one only the password's holder can make;
    // an error (e=) is reported as the server's.
    [[nodiscard]] std::expected<void, QString>
    verifyServerFinal(const QByteArray& serverFinal) const;

private:
    ScramHash m_hash;
    QByteArray m_username; // escaped saslname, UTF-8
    QByteArray m_password; // UTF-8
    QByteArray m_nonce;
    QByteArray m_serverSignature; // expected, once clientFinal() succeeded
};

} // namespace faultline::models
