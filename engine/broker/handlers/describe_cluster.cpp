#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/describe_cluster.h"

namespace faultline::broker::handlers {

void describeCluster(RequestContext& ctx, Responder respond) {
    protocol::DescribeClusterRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    protocol::DescribeClusterResponse response;
    if (request.endpointType != 1) {
        response.errorCode = protocol::toInt(protocol::ErrorCode::InvalidRequest);
        response.errorMessage = "only broker endpoints (type 1) are served";
        respond.send(response);
        return;
    }
    response.endpointType = 1;
    response.clusterId = ctx.cluster.clusterId();
    response.controllerId = ctx.cluster.controllerId();
    for (const auto& b : ctx.cluster.brokers()) {
        if (b.state != BrokerState::Running) {
            continue;
        }
        auto& out = response.brokers.emplace_back();
        out.brokerId = b.id;
        out.host = b.host;
        out.port = b.port;
        out.rack = b.rack;
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
