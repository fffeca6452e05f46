#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"
#include "engine/protocol/messages/offset_for_leader_epoch.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void offsetForLeaderEpoch(RequestContext& ctx, Responder respond) {
    protocol::OffsetForLeaderEpochRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    protocol::OffsetForLeaderEpochResponse response;
    for (const auto& topic : request.topics) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.topic = topic.topic;
        for (const auto& part : topic.partitions) {
            auto& out = topicOut.partitions.emplace_back();
            out.partition = part.partition;
            out.leaderEpoch = -1;
            out.endOffset = -1;
            if (cluster.partitionMeta(topic.topic, part.partition) == nullptr) {
                out.errorCode = protocol::toInt(ErrorCode::UnknownTopicOrPartition);
                continue;
            }
            Partition* p = cluster.partition(ctx.brokerId, topic.topic, part.partition);
            if (p == nullptr || !p->isLeader()) {
                out.errorCode = protocol::toInt(ErrorCode::NotLeaderOrFollower);
                continue;
            }
            if (const ErrorCode epoch = p->checkLeaderEpoch(part.currentLeaderEpoch);
                epoch != ErrorCode::None) {
                out.errorCode = protocol::toInt(epoch);
                continue;
            }
            if (part.leaderEpoch == p->leaderEpoch()) {
                out.leaderEpoch = p->leaderEpoch();
                out.endOffset = p->logEndOffset();
            } else {
                auto [epoch, end] = p->log().endOffsetForEpoch(part.leaderEpoch);
                out.leaderEpoch = epoch;
                out.endOffset = end;
            }
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
