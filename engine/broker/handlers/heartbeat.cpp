#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/heartbeat.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void heartbeat(RequestContext& ctx, Responder respond) {
    protocol::HeartbeatRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    GroupCoordinator& coordinator = ctx.cluster.groups();
    ErrorCode error = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
    if (error == ErrorCode::None) {
        const auto instanceId = ctx.header.apiVersion >= 3 ? request.groupInstanceId : std::nullopt;
        error = coordinator.groups().heartbeat(request.groupId, request.memberId, instanceId,
                                               request.generationId);
    }
    protocol::HeartbeatResponse response;
    response.errorCode = protocol::toInt(error);
    respond.send(response);
}

} // namespace faultline::broker::handlers

