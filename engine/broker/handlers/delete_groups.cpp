#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"

// Until messages/DeleteGroups*.json is generated the API cannot be
// decoded: the handler then closes the connection (remove this guard once it exists).
#if __has_include("engine/protocol/messages/delete_groups.h")
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

#else

namespace faultline::broker::handlers {

void deleteGroups(RequestContext&, Responder respond) { respond.closeConnection(); }

} // namespace faultline::broker::handlers

#endif
