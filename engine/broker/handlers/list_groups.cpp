#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/list_groups.h"

#include <algorithm>
#include <cctype>

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

void listGroups(RequestContext& ctx, Responder respond) {
    protocol::ListGroupsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    GroupCoordinator& coordinator = ctx.cluster.groups();
    protocol::ListGroupsResponse response;
    response.errorCode = protocol::toInt(ErrorCode::None);
    const auto& states = request.statesFilter;
    for (const auto& groupId : coordinator.groupsCoordinatedBy(ctx.brokerId)) {
        const Group* group = coordinator.groups().find(groupId);
        if (group == nullptr || group->phase == GroupPhase::Dead) {
            continue;
        }
        const std::string_view state = groupPhaseName(group->phase);
        if (ctx.header.apiVersion >= 4 && !states.empty() &&
            std::none_of(states.begin(), states.end(),
                         [&](const std::string& s) { return equalsIgnoreCase(s, state); })) {
            continue;
        }
        auto& out = response.groups.emplace_back();
        out.groupId = groupId;
        out.protocolType = group->protocolType;
        out.groupState = std::string(state);
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers

