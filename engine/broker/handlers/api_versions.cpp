#include "engine/broker/api_table.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/api_versions.h"

namespace faultline::broker::handlers {

using protocol::ApiVersionsRequest;
using protocol::ApiVersionsResponse;
using protocol::ErrorCode;

void apiVersions(RequestContext& ctx, Responder respond) {
    const ApiEntry* self = findApi(18);
    const std::int16_t version = ctx.header.apiVersion;
    ApiVersionsResponse response;
    if (version > self->maxVersion || version < self->minVersion) {
        // A client newer than us: answer with a v0 body (the only shape every client can read),
        // UNSUPPORTED_VERSION and our own range, so it retries with a version we serve.
        response.errorCode = protocol::toInt(ErrorCode::UnsupportedVersion);
        auto& key = response.apiKeys.emplace_back();
        key.apiKey = self->key;
        key.minVersion = self->minVersion;
        key.maxVersion = self->maxVersion;
        respond.sendBytes(response.encode(0));
        return;
    }
    ApiVersionsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    for (const auto& api : apiTable()) {
        auto& key = response.apiKeys.emplace_back();
        key.apiKey = api.key;
        key.minVersion = api.minVersion;
        key.maxVersion = api.maxVersion;
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
