#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/topic_config.h"
#include "engine/protocol/messages/metadata.h"

namespace faultline::broker::handlers {

using protocol::ErrorCode;
using protocol::MetadataRequest;
using protocol::MetadataResponse;

namespace {
constexpr std::int32_t kAuthorizedOperationsOmitted = INT32_MIN;

void describeTopic(const Cluster& cluster, const TopicMeta& topic,
                   MetadataResponse::MetadataResponseTopic& out) {
    out.errorCode = 0;
    out.name = topic.name;
    out.topicId = topic.id;
    out.isInternal = topic.internal;
    out.topicAuthorizedOperations = kAuthorizedOperationsOmitted;
    for (const auto& p : topic.partitions) {
        auto& part = out.partitions.emplace_back();
        part.partitionIndex = p.partition;
        part.leaderId = p.leader;
        part.leaderEpoch = p.leaderEpoch;
        part.replicaNodes = p.replicas;
        part.isrNodes = p.isr;
        for (auto b : p.replicas) {
            if (!cluster.isRunning(b)) {
                part.offlineReplicas.push_back(b);
            }
        }
        part.errorCode = protocol::toInt(p.leader < 0 ? ErrorCode::LeaderNotAvailable : ErrorCode::None);
    }
}
} // namespace

void metadata(RequestContext& ctx, Responder respond) {
    MetadataRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    Cluster& cluster = ctx.cluster;
    MetadataResponse response;
    for (const auto& b : cluster.brokers()) {
        if (b.state != BrokerState::Running) {
            continue;
        }
        auto& out = response.brokers.emplace_back();
        out.nodeId = b.id;
        out.host = b.host;
        out.port = b.port;
        out.rack = b.rack;
    }
    response.clusterId = cluster.clusterId();
    response.controllerId = cluster.controllerId();
    response.clusterAuthorizedOperations = kAuthorizedOperationsOmitted;

    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const bool allTopics = !request.topics.has_value() || (version == 0 && request.topics->empty());
    if (allTopics) {
        for (const auto& [name, topic] : cluster.topics()) {
            describeTopic(cluster, topic, response.topics.emplace_back());
        }
        respond.send(response);
        return;
    }
    const bool autoCreate = version < 4 || request.allowAutoTopicCreation;
    for (const auto& wanted : *request.topics) {
        auto& out = response.topics.emplace_back();
        const TopicMeta* topic = nullptr;
        if (wanted.name.has_value()) {
            out.name = *wanted.name;
            topic = cluster.topic(*wanted.name);
            if (topic == nullptr) {
                if (auto valid = validateTopicName(*wanted.name); !valid) {
                    out.errorCode = protocol::toInt(ErrorCode::InvalidTopicException);
                    continue;
                }
                if (autoCreate && cluster.maybeAutoCreate(*wanted.name)) {
                    topic = cluster.topic(*wanted.name);
                }
            }
        } else {
            topic = cluster.topicById(wanted.topicId);
            out.topicId = wanted.topicId;
        }
        if (topic == nullptr) {
            out.errorCode = protocol::toInt(wanted.name ? ErrorCode::UnknownTopicOrPartition
                                                        : ErrorCode::UnknownTopicId);
            out.topicAuthorizedOperations = kAuthorizedOperationsOmitted;
            continue;
        }
        describeTopic(cluster, *topic, out);
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
