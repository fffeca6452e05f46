#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"
#include "engine/protocol/messages/delete_records.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

void deleteRecords(RequestContext& ctx, Responder respond) {
    protocol::DeleteRecordsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    protocol::DeleteRecordsResponse response;
    for (const auto& topic : request.topics) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.name = topic.name;
        for (const auto& part : topic.partitions) {
            auto& out = topicOut.partitions.emplace_back();
            out.partitionIndex = part.partitionIndex;
            out.lowWatermark = -1;
            const PartitionMeta* meta = cluster.partitionMeta(topic.name, part.partitionIndex);
            if (meta == nullptr) {
                out.errorCode = protocol::toInt(ErrorCode::UnknownTopicOrPartition);
                continue;
            }
            Partition* leader = cluster.partition(ctx.brokerId, topic.name, part.partitionIndex);
            if (leader == nullptr || !leader->isLeader()) {
                out.errorCode = protocol::toInt(ErrorCode::NotLeaderOrFollower);
                continue;
            }
            // -1: up to the high watermark. Never past it: unreplicated data is not deletable.
            const std::int64_t target = part.offset == -1 ? leader->highWatermark() : part.offset;
            if (target < 0 || target > leader->highWatermark()) {
                out.errorCode = protocol::toInt(ErrorCode::OffsetOutOfRange);
                continue;
            }
            out.errorCode = protocol::toInt(
                cluster.deleteRecordsBefore(topic.name, part.partitionIndex, target, ctx.brokerId));
            out.lowWatermark = leader->logStartOffset();
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
