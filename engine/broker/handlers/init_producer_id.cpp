#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/init_producer_id.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void initProducerId(RequestContext& ctx, Responder respond) {
    protocol::InitProducerIdRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    protocol::InitProducerIdResponse response;
    if (request.transactionalId.has_value() && !request.transactionalId->empty()) {
        // Transactions (a transaction coordinator) are not served yet: say so plainly.
        response.errorCode = protocol::toInt(ErrorCode::TransactionalIdAuthorizationFailed);
        respond.send(response);
        return;
    }
    if (request.producerId >= 0) {
        // KIP-360: an idempotent producer bumps its own epoch after an unknown-sequence error.
        if (request.producerEpoch == INT16_MAX - 1) {
            response.producerId = ctx.cluster.allocateProducerId();
            response.producerEpoch = 0;
        } else {
            response.producerId = request.producerId;
            response.producerEpoch = static_cast<std::int16_t>(request.producerEpoch + 1);
        }
    } else {
        response.producerId = ctx.cluster.allocateProducerId();
        response.producerEpoch = 0;
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
