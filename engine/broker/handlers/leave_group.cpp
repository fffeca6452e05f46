#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/leave_group.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void leaveGroup(RequestContext& ctx, Responder respond) {
    protocol::LeaveGroupRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    std::vector<LeavingMember> leaving;
    if (version >= 3) {
        for (const auto& m : request.members) {
            leaving.push_back(LeavingMember{m.memberId, m.groupInstanceId});
        }
    } else {
        leaving.push_back(LeavingMember{request.memberId, std::nullopt});
    }
    protocol::LeaveGroupResponse response;
    GroupCoordinator& coordinator = ctx.cluster.groups();
    const ErrorCode coordinatorError = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
    if (coordinatorError != ErrorCode::None) {
        response.errorCode = protocol::toInt(coordinatorError);
        respond.send(response);
        return;
    }
    const LeaveResult result = coordinator.groups().leave(request.groupId, leaving);
    if (version >= 3) {
        response.errorCode = protocol::toInt(result.error);
        for (std::size_t i = 0; i < leaving.size(); ++i) {
            auto& out = response.members.emplace_back();
            out.memberId = leaving[i].memberId;
            out.groupInstanceId = leaving[i].groupInstanceId;
            out.errorCode = protocol::toInt(i < result.members.size() ? result.members[i]
                                                                      : result.error);
        }
    } else {
        // v0-2 have one member and one error.
        ErrorCode error = result.error;
        if (error == ErrorCode::None && !result.members.empty()) {
            error = result.members.front();
        }
        response.errorCode = protocol::toInt(error);
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers

