// The error every KafkaClient call (and its transports) returns: a name to branch on, a message
// for people.
#pragma once

#include <QString>
#include <expected>

namespace faultline::models {

struct ClientError {
    QString errorName; // Kafka's name ("NOT_CONTROLLER") or a client-side one ("TIMEOUT",
                       // "NOT_KAFKA", "UNSUPPORTED_VERSION", "CONNECTION_FAILED",
                       // "SSL_HANDSHAKE_FAILED", "SASL_AUTHENTICATION_FAILED", ...)
    QString message;   // for people
};

template <typename T> using ClientResult = std::expected<T, ClientError>;

} // namespace faultline::models
