#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/describe_groups.h"

#include <climits>

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void describeGroups(RequestContext& ctx, Responder respond) {
    protocol::DescribeGroupsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    GroupCoordinator& coordinator = ctx.cluster.groups();
    protocol::DescribeGroupsResponse response;
    for (const auto& groupId : request.groups) {
        auto& out = response.groups.emplace_back();
        out.groupId = groupId;
        out.authorizedOperations = INT32_MIN; // not computed (no ACLs)
        const ErrorCode error = coordinator.checkCoordinator(groupId, ctx.brokerId);
        if (error != ErrorCode::None) {
            out.errorCode = protocol::toInt(error);
            out.groupState = "";
            continue;
        }
        const Group* group = coordinator.groups().find(groupId);
        if (group == nullptr) {
            out.errorCode = protocol::toInt(ErrorCode::None);
            out.groupState = groupPhaseName(GroupPhase::Dead);
            continue;
        }
        out.errorCode = protocol::toInt(ErrorCode::None);
        out.groupState = groupPhaseName(group->phase);
        out.protocolType = group->protocolType;
        const bool stable = group->phase == GroupPhase::Stable && group->protocolName.has_value();
        out.protocolData = stable ? *group->protocolName : std::string();
        for (const auto& [id, member] : group->members) {
            auto& m = out.members.emplace_back();
            m.memberId = id;
            m.groupInstanceId = member.groupInstanceId;
            m.clientId = member.clientId;
            m.clientHost = member.clientHost;
            if (stable) {
                if (const auto* metadata = member.metadataFor(*group->protocolName)) {
                    m.memberMetadata = *metadata;
                }
                m.memberAssignment = member.assignment;
            }
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers

