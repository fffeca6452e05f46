#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/find_coordinator.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {
constexpr std::int8_t kGroupKey = 0;
} // namespace

void findCoordinator(RequestContext& ctx, Responder respond) {
    protocol::FindCoordinatorRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    protocol::FindCoordinatorResponse response;
    response.errorMessage = std::nullopt;
    response.nodeId = -1;
    response.host = "";
    response.port = -1;
    const auto fail = [&](ErrorCode code, std::string message) {
        response.errorCode = protocol::toInt(code);
        if (ctx.header.apiVersion >= 1) {
            response.errorMessage = std::move(message);
        }
        respond.send(response);
    };
    if (ctx.header.apiVersion >= 1 && request.keyType != kGroupKey) {
        fail(ErrorCode::CoordinatorNotAvailable,
             request.keyType == 1 ? "transactions are not supported by this broker"
                                  : "unknown coordinator key type");
        return;
    }
    const std::int32_t coordinator = ctx.cluster.groups().coordinatorFor(request.key);
    const BrokerInfo* broker = coordinator >= 0 ? ctx.cluster.broker(coordinator) : nullptr;
    if (broker == nullptr || !ctx.cluster.isRunning(coordinator)) {
        fail(ErrorCode::CoordinatorNotAvailable, "the group's coordinator is not available");
        return;
    }
    response.errorCode = protocol::toInt(ErrorCode::None);
    response.nodeId = broker->id;
    response.host = broker->host;
    response.port = broker->port;
    respond.send(response);
}

} // namespace faultline::broker::handlers
