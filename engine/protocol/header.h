// Request and response headers (Kafka's RequestHeader v0-v2, ResponseHeader v0-v1).
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/protocol/wire.h"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace faultline::protocol {

struct RequestHeader {
    std::int16_t apiKey = 0;
    std::int16_t apiVersion = 0;
    std::int32_t correlationId = 0;
    std::optional<std::string> clientId;
    bool operator==(const RequestHeader&) const = default;
};

// v0: key, version, correlation; v1: + nullable (non-compact!) client id; v2: v1 + tagged fields.
// Picks the header version from the api's flexible versions (apiInfo); an unknown api key is read
// as header v1 (its body cannot be decoded anyway). Fails with InvalidRequest on truncated input.
[[nodiscard]] std::expected<RequestHeader, Error> readRequestHeader(Reader& r);
void writeRequestHeader(Writer& w, const RequestHeader& header, std::int16_t headerVersion);
// 2 for flexible versions, 1 otherwise; ControlledShutdown (7) v0 uses header v0.
[[nodiscard]] std::int16_t requestHeaderVersion(std::int16_t apiKey, std::int16_t apiVersion);
// 1 for flexible versions, else 0; ApiVersions (18) always 0.
[[nodiscard]] std::int16_t responseHeaderVersion(std::int16_t apiKey, std::int16_t apiVersion);
void writeResponseHeader(Writer& w, std::int32_t correlationId, std::int16_t headerVersion);
// Returns the correlation id.
[[nodiscard]] std::expected<std::int32_t, Error> readResponseHeader(Reader& r,
                                                                    std::int16_t headerVersion);

} // namespace faultline::protocol
