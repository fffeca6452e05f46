#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/delete_groups.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void deleteGroups(RequestContext& ctx, Responder respond) {
    protocol::DeleteGroupsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    GroupCoordinator& coordinator = ctx.cluster.groups();
    protocol::DeleteGroupsResponse response;
    for (const auto& groupId : request.groupsNames) {
        auto& out = response.results.emplace_back();
        out.groupId = groupId;
        ErrorCode error = coordinator.checkCoordinator(groupId, ctx.brokerId);
        if (error == ErrorCode::None) {
            error = coordinator.deleteGroup(groupId);
        }
        out.errorCode = protocol::toInt(error);
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers

