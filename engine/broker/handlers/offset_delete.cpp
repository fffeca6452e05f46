#include "engine/broker/cluster.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/protocol/messages/offset_delete.h"

#include <set>

namespace faultline::broker::handlers {

using protocol::ErrorCode;

namespace {

// The topics of a consumer protocol subscription (ConsumerProtocolSubscription: version int16,
// topics [string], then fields this check does not need); nullopt when it does not parse.
std::optional<std::vector<std::string>> subscribedTopics(const std::vector<std::uint8_t>& metadata) {
    protocol::Reader reader(metadata);
    const std::int16_t version = reader.readInt16();
    const std::int32_t count = reader.readArrayLength(false);
    if (!reader.ok() || version < 0 || count < 0) {
        return std::nullopt;
    }
    std::vector<std::string> topics;
    for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
        topics.push_back(reader.readString(false));
    }
    if (!reader.ok()) {
        return std::nullopt;
    }
    return topics;
}

} // namespace

void offsetDelete(RequestContext& ctx, Responder respond) {
    protocol::OffsetDeleteRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    GroupCoordinator& coordinator = cluster.groups();
    protocol::OffsetDeleteResponse response;
    const auto reply = [&](ErrorCode error) {
        response.errorCode = protocol::toInt(error);
        respond.send(response);
    };
    if (const ErrorCode error = coordinator.checkCoordinator(request.groupId, ctx.brokerId);
        error != ErrorCode::None) {
        reply(error);
        return;
    }
    const Group* group = coordinator.groups().find(request.groupId);
    if ((group == nullptr && coordinator.committedOffsets(request.groupId).empty()) ||
        (group != nullptr && group->phase == GroupPhase::Dead)) {
        reply(ErrorCode::GroupIdNotFound);
        return;
    }
    // An active consumer group keeps the offsets of topics its members subscribe to.
    std::set<std::string> subscribed;
    if (group != nullptr && group->phase != GroupPhase::Empty && !group->members.empty()) {
        if (group->protocolType != "consumer") {
            reply(ErrorCode::NonEmptyGroup);
            return;
        }
        for (const auto& [id, member] : group->members) {
            const std::vector<std::uint8_t>* metadata = nullptr;
            if (group->protocolName) {
                metadata = member.metadataFor(*group->protocolName);
            } else if (!member.protocols.empty()) {
                metadata = &member.protocols.front().metadata;
            }
            if (metadata == nullptr) {
                continue;
            }
            if (auto topics = subscribedTopics(*metadata)) {
                subscribed.insert(topics->begin(), topics->end());
            }
        }
    }
    std::vector<TopicPartitionKey> toDelete;
    for (const auto& topic : request.topics) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.name = topic.name;
        for (const auto& part : topic.partitions) {
            auto& out = topicOut.partitions.emplace_back();
            out.partitionIndex = part.partitionIndex;
            if (cluster.partitionMeta(topic.name, part.partitionIndex) == nullptr) {
                out.errorCode = protocol::toInt(ErrorCode::UnknownTopicOrPartition);
            } else if (subscribed.contains(topic.name)) {
                out.errorCode = protocol::toInt(ErrorCode::GroupSubscribedToTopic);
            } else {
                out.errorCode = protocol::toInt(ErrorCode::None);
                toDelete.emplace_back(topic.name, part.partitionIndex);
            }
        }
    }
    if (auto deleted = coordinator.deleteOffsets(request.groupId, toDelete); !deleted) {
        const ErrorCode error = deleted.error().code == ErrorCode::NotLeaderOrFollower
                                    ? ErrorCode::NotCoordinator
                                    : ErrorCode::CoordinatorNotAvailable;
        for (auto& t : response.topics) {
            for (auto& p : t.partitions) {
                if (p.errorCode == protocol::toInt(ErrorCode::None)) {
                    p.errorCode = protocol::toInt(error);
                }
            }
        }
    }
    reply(ErrorCode::None);
}

} // namespace faultline::broker::handlers

