#include "engine/protocol/header.h"

#include "engine/protocol/messages/api_info.h"

namespace faultline::protocol {
namespace {
constexpr std::int16_t kControlledShutdown = 7;
constexpr std::int16_t kApiVersions = 18;

bool isFlexible(std::int16_t apiKey, std::int16_t apiVersion) {
    const ApiInfo* info = apiInfo(apiKey);
    return info != nullptr && info->firstFlexibleVersion >= 0 &&
           apiVersion >= info->firstFlexibleVersion;
}
} // namespace

std::int16_t requestHeaderVersion(std::int16_t apiKey, std::int16_t apiVersion) {
    if (apiKey == kControlledShutdown && apiVersion == 0) return 0;
    return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

std::int16_t responseHeaderVersion(std::int16_t apiKey, std::int16_t apiVersion) {
    if (apiKey == kApiVersions) return 0;
    return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

std::expected<RequestHeader, Error> readRequestHeader(Reader& r) {
    RequestHeader h;
    h.apiKey = r.readInt16();
    h.apiVersion = r.readInt16();
    h.correlationId = r.readInt32();
    if (!r.ok()) return std::unexpected(makeError(ErrorCode::InvalidRequest, "truncated request header"));
    const std::int16_t version = requestHeaderVersion(h.apiKey, h.apiVersion);
    if (version >= 1) h.clientId = r.readNullableString(false);
    if (version >= 2) r.skipTaggedFields();
    if (!r.ok()) return std::unexpected(makeError(ErrorCode::InvalidRequest, "malformed request header"));
    return h;
}

void writeRequestHeader(Writer& w, const RequestHeader& header, std::int16_t headerVersion) {
    w.writeInt16(header.apiKey);
    w.writeInt16(header.apiVersion);
    w.writeInt32(header.correlationId);
    if (headerVersion >= 1) w.writeNullableString(header.clientId, false);
    if (headerVersion >= 2) w.writeEmptyTaggedFields();
}

void writeResponseHeader(Writer& w, std::int32_t correlationId, std::int16_t headerVersion) {
    w.writeInt32(correlationId);
    if (headerVersion >= 1) w.writeEmptyTaggedFields();
}

std::expected<std::int32_t, Error> readResponseHeader(Reader& r, std::int16_t headerVersion) {
    const std::int32_t correlationId = r.readInt32();
    if (headerVersion >= 1) r.skipTaggedFields();
    if (!r.ok()) return std::unexpected(makeError(ErrorCode::CorruptMessage, "malformed response header"));
    return correlationId;
}

} // namespace faultline::protocol
