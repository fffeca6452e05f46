#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/join_group.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

protocol::JoinGroupResponse toResponse(const JoinResult& r, std::int16_t version) {
    protocol::JoinGroupResponse response;
    response.errorCode = protocol::toInt(r.error);
    response.generationId = r.generationId;
    if (version >= 7) {
        response.protocolType = r.protocolType;
        response.protocolName = r.protocolName;
        if (r.error != ErrorCode::None) {
            response.protocolType.reset();
            response.protocolName.reset();
        }
    } else {
        response.protocolName = r.protocolName.value_or(std::string());
    }
    response.leader = r.leaderId;
    response.memberId = r.memberId;
    for (const auto& m : r.members) {
        auto& out = response.members.emplace_back();
        out.memberId = m.memberId;
        out.groupInstanceId = m.groupInstanceId;
        out.metadata = m.metadata;
    }
    return response;
}

} // namespace

void joinGroup(RequestContext& ctx, Responder respond) {
    protocol::JoinGroupRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    GroupCoordinator& coordinator = ctx.cluster.groups();
    if (const ErrorCode error = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
        error != ErrorCode::None) {
        JoinResult r;
        r.error = error;
        r.memberId = request.memberId;
        respond.send(toResponse(r, version));
        return;
    }
    JoinParams params;
    params.memberId = request.memberId;
    params.groupInstanceId = version >= 5 ? request.groupInstanceId : std::nullopt;
    params.clientId = ctx.header.clientId.value_or(std::string());
    params.clientHost = "/" + ctx.clientAddress;
    params.sessionTimeoutMs = request.sessionTimeoutMs;
    params.rebalanceTimeoutMs = version >= 1 && request.rebalanceTimeoutMs >= 0
                                    ? request.rebalanceTimeoutMs
                                    : request.sessionTimeoutMs;
    params.protocolType = request.protocolType;
    for (auto& p : request.protocols) {
        params.protocols.push_back(GroupProtocol{std::move(p.name), std::move(p.metadata)});
    }
    params.requireKnownMemberId = version >= 4;
    coordinator.groups().join(request.groupId, std::move(params),
                              [respond, version](JoinResult result) mutable {
                                  respond.send(toResponse(result, version));
                              });
}

} // namespace faultline::broker::handlers
