#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/offset_fetch.h"

#include <map>

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

struct FetchedPartition {
    std::int32_t partition = 0;
    CommittedOffset value; // offset -1 when nothing is committed
    ErrorCode error = ErrorCode::None;
};
using FetchedTopics = std::vector<std::pair<std::string, std::vector<FetchedPartition>>>;

// One group's answer: its error and, per requested (or every committed) partition, the offset.
ErrorCode fetchGroup(RequestContext& ctx, const std::string& groupId,
                     const std::optional<std::vector<std::pair<std::string, std::vector<std::int32_t>>>>& topics,
                     FetchedTopics& out) {
    GroupCoordinator& coordinator = ctx.cluster.groups();
    const ErrorCode error = coordinator.checkCoordinator(groupId, ctx.brokerId);
    if (!topics) {
        if (error == ErrorCode::None) {
            std::map<std::string, std::vector<FetchedPartition>> byTopic;
            for (const auto& [tp, value] : coordinator.committedOffsets(groupId)) {
                byTopic[tp.first].push_back(FetchedPartition{tp.second, value, ErrorCode::None});
            }
            for (auto& [name, parts] : byTopic) {
                out.emplace_back(name, std::move(parts));
            }
        }
        return error;
    }
    for (const auto& [name, partitions] : *topics) {
        auto& topicOut = out.emplace_back(name, std::vector<FetchedPartition>{}).second;
        for (std::int32_t p : partitions) {
            FetchedPartition f;
            f.partition = p;
            f.error = error;
            if (error == ErrorCode::None) {
                if (auto c = coordinator.committed(groupId, name, p)) {
                    f.value = *c;
                }
            }
            topicOut.push_back(std::move(f));
        }
    }
    return error;
}

template <typename Partition> void fillPartition(Partition& out, const FetchedPartition& in) {
    out.partitionIndex = in.partition;
    out.committedOffset = in.value.offset;
    out.committedLeaderEpoch = in.value.leaderEpoch;
    out.metadata = in.value.metadata;
    out.errorCode = protocol::toInt(in.error);
}

} // namespace

void offsetFetch(RequestContext& ctx, Responder respond) {
    protocol::OffsetFetchRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    protocol::OffsetFetchResponse response;
    if (version >= 8) {
        for (const auto& group : request.groups) {
            std::optional<std::vector<std::pair<std::string, std::vector<std::int32_t>>>> topics;
            if (group.topics) {
                topics.emplace();
                for (const auto& t : *group.topics) {
                    topics->emplace_back(t.name, t.partitionIndexes);
                }
            }
            FetchedTopics fetched;
            const ErrorCode error = fetchGroup(ctx, group.groupId, topics, fetched);
            auto& groupOut = response.groups.emplace_back();
            groupOut.groupId = group.groupId;
            groupOut.errorCode = protocol::toInt(error);
            for (const auto& [name, parts] : fetched) {
                auto& topicOut = groupOut.topics.emplace_back();
                topicOut.name = name;
                for (const auto& part : parts) {
                    // A group-level error is reported once, at the group.
                    FetchedPartition shown = part;
                    shown.error = ErrorCode::None;
                    fillPartition(topicOut.partitions.emplace_back(), shown);
                }
            }
        }
        respond.send(response);
        return;
    }
    std::optional<std::vector<std::pair<std::string, std::vector<std::int32_t>>>> topics;
    if (request.topics) {
        topics.emplace();
        for (const auto& t : *request.topics) {
            topics->emplace_back(t.name, t.partitionIndexes);
        }
    } else if (version < 2) {
        topics.emplace(); // v0-1 have no "all topics"
    }
    FetchedTopics fetched;
    const ErrorCode error = fetchGroup(ctx, request.groupId, topics, fetched);
    response.errorCode = protocol::toInt(error);
    for (const auto& [name, parts] : fetched) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.name = name;
        for (const auto& part : parts) {
            FetchedPartition shown = part;
            if (version >= 2) {
                shown.error = ErrorCode::None; // reported at the top level
            }
            fillPartition(topicOut.partitions.emplace_back(), shown);
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
