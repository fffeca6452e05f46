#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/offset_commit.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

// Kafka's mapping of a failed append to the commit's error.
ErrorCode commitError(ErrorCode appendError) {
    switch (appendError) {
    case ErrorCode::NotLeaderOrFollower:
        return ErrorCode::NotCoordinator;
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::NotEnoughReplicas:
    case ErrorCode::NotEnoughReplicasAfterAppend:
    case ErrorCode::RequestTimedOut:
    case ErrorCode::KafkaStorageError:
        return ErrorCode::CoordinatorNotAvailable;
    case ErrorCode::MessageTooLarge:
    case ErrorCode::RecordListTooLarge:
    case ErrorCode::InvalidFetchSize:
        return ErrorCode::InvalidCommitOffsetSize;
    default:
        return appendError;
    }
}

} // namespace

void offsetCommit(RequestContext& ctx, Responder respond) {
    protocol::OffsetCommitRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    Cluster& cluster = ctx.cluster;
    GroupCoordinator& coordinator = cluster.groups();

    protocol::OffsetCommitResponse response;
    // error per partition, in request order
    std::vector<std::vector<ErrorCode>> errors;
    for (const auto& topic : request.topics) {
        errors.emplace_back(topic.partitions.size(), ErrorCode::None);
    }
    const auto setAll = [&](ErrorCode code) {
        for (auto& t : errors) {
            std::fill(t.begin(), t.end(), code);
        }
    };

    ErrorCode groupError = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
    if (groupError == ErrorCode::None) {
        const std::int32_t generation = version >= 1 ? request.generationIdOrMemberEpoch : -1;
        const std::string memberId = version >= 1 ? request.memberId : std::string();
        const auto instanceId = version >= 7 ? request.groupInstanceId : std::nullopt;
        groupError = coordinator.groups().validateCommit(request.groupId, memberId, instanceId,
                                                         generation);
    }
    if (groupError != ErrorCode::None) {
        setAll(groupError);
    } else {
        const std::int64_t now = cluster.nowMs();
        std::vector<OffsetToCommit> commits;
        std::vector<std::pair<std::size_t, std::size_t>> positions;
        for (std::size_t t = 0; t < request.topics.size(); ++t) {
            const auto& topic = request.topics[t];
            for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
                const auto& part = topic.partitions[p];
                const std::string metadata = part.committedMetadata.value_or(std::string());
                if (metadata.size() > kMaxOffsetMetadataBytes) {
                    errors[t][p] = ErrorCode::OffsetMetadataTooLarge;
                    continue;
                }
                if (cluster.partitionMeta(topic.name, part.partitionIndex) == nullptr) {
                    errors[t][p] = ErrorCode::UnknownTopicOrPartition;
                    continue;
                }
                OffsetToCommit c;
                c.topic = topic.name;
                c.partition = part.partitionIndex;
                c.value.offset = part.committedOffset;
                c.value.leaderEpoch = version >= 6 ? part.committedLeaderEpoch : -1;
                c.value.metadata = metadata;
                c.value.commitTimestamp =
                    version == 1 && part.commitTimestamp >= 0 ? part.commitTimestamp : now;
                commits.push_back(std::move(c));
                positions.emplace_back(t, p);
            }
        }
        if (!commits.empty()) {
            if (auto done = coordinator.commitOffsets(request.groupId, commits); !done) {
                const ErrorCode code = commitError(done.error().code);
                for (const auto& [t, p] : positions) {
                    errors[t][p] = code;
                }
            }
        }
    }
    for (std::size_t t = 0; t < request.topics.size(); ++t) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.name = request.topics[t].name;
        for (std::size_t p = 0; p < request.topics[t].partitions.size(); ++p) {
            auto& out = topicOut.partitions.emplace_back();
            out.partitionIndex = request.topics[t].partitions[p].partitionIndex;
            out.errorCode = protocol::toInt(errors[t][p]);
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
