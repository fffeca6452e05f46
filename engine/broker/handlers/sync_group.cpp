#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/sync_group.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

protocol::SyncGroupResponse toResponse(const SyncResult& r, std::int16_t version) {
    protocol::SyncGroupResponse response;
    response.errorCode = protocol::toInt(r.error);
    if (version >= 5 && r.error == ErrorCode::None) {
        response.protocolType = r.protocolType;
        response.protocolName = r.protocolName;
    }
    response.assignment = r.assignment;
    return response;
}

} // namespace

void syncGroup(RequestContext& ctx, Responder respond) {
    protocol::SyncGroupRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    GroupCoordinator& coordinator = ctx.cluster.groups();
    if (const ErrorCode error = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
        error != ErrorCode::None) {
        SyncResult r;
        r.error = error;
        respond.send(toResponse(r, version));
        return;
    }
    SyncParams params;
    params.memberId = request.memberId;
    params.groupInstanceId = version >= 3 ? request.groupInstanceId : std::nullopt;
    params.generationId = request.generationId;
    if (version >= 5) {
        params.protocolType = request.protocolType;
        params.protocolName = request.protocolName;
    }
    for (auto& a : request.assignments) {
        params.assignments.emplace_back(std::move(a.memberId), std::move(a.assignment));
    }
    coordinator.groups().sync(request.groupId, std::move(params),
                              [respond, version](SyncResult result) mutable {
                                  respond.send(toResponse(result, version));
                              });
}

} // namespace faultline::broker::handlers

