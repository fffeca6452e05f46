// CreateTopics (key 19), v0-7: defaults, explicit assignments, configs, validateOnly; answered by
// the controller only (NOT_CONTROLLER elsewhere: clients find the controller through Metadata).
#include "engine/protocol/messages/create_topics.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/placement.h"
#include "engine/broker/topic_config.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;
using protocol::ErrorCode;
using protocol::makeError;

using Result = CreateTopicsResponse::CreatableTopicResult;

std::vector<BrokerSlot> brokerSlots(const Cluster& cluster) {
    std::vector<BrokerSlot> slots;
    for (const auto& b : cluster.brokers()) {
        slots.push_back({b.id, b.faultDomain, b.updateDomain, cluster.isRunning(b.id)});
    }
    return slots;
}

// Checks what the request alone can tell; the cluster checks the rest (existence, broker counts).
std::expected<NewTopic, protocol::Error> toNewTopic(const Cluster& cluster,
                                                    const CreateTopicsRequest::CreatableTopic& t) {
    if (auto ok = validateTopicName(t.name); !ok) {
        return std::unexpected(ok.error());
    }
    NewTopic topic;
    topic.name = t.name;
    topic.numPartitions = t.numPartitions;
    topic.replicationFactor = t.replicationFactor;
    if (!t.assignments.empty()) {
        if (t.numPartitions != -1 || t.replicationFactor != -1) {
            return std::unexpected(makeError(
                ErrorCode::InvalidRequest,
                "Both numPartitions or replicationFactor and replicasAssignments were set. Both "
                "cannot be used at the same time."));
        }
        for (const auto& a : t.assignments) {
            if (!topic.assignments.emplace(a.partitionIndex, a.brokerIds).second) {
                return std::unexpected(makeError(ErrorCode::InvalidReplicaAssignment,
                                                 "Duplicate partition index " +
                                                     std::to_string(a.partitionIndex) + "."));
            }
        }
        std::int32_t expected = 0;
        for (const auto& [index, replicas] : topic.assignments) {
            if (index != expected++) {
                return std::unexpected(makeError(
                    ErrorCode::InvalidReplicaAssignment,
                    "Partitions should be a consecutive 0-based integer sequence, but got " +
                        std::to_string(index) + "."));
            }
        }
        if (auto ok = validateAssignment(brokerSlots(cluster), topic.assignments); !ok) {
            return std::unexpected(ok.error());
        }
    } else {
        if (t.numPartitions == 0 || t.numPartitions < -1) {
            return std::unexpected(
                makeError(ErrorCode::InvalidPartitions,
                          "Number of partitions was set to an invalid non-positive value."));
        }
        if (t.replicationFactor == 0 || t.replicationFactor < -1) {
            return std::unexpected(
                makeError(ErrorCode::InvalidReplicationFactor,
                          "Replication factor must be larger than 0, or -1 to use the "
                          "default value."));
        }
    }
    for (const auto& c : t.configs) {
        if (!c.value) {
            return std::unexpected(makeError(
                ErrorCode::InvalidConfig, "Null value not supported for topic configs: " + c.name));
        }
        topic.configs[c.name] = *c.value;
    }
    if (auto ok = validateTopicConfigs(topic.configs); !ok) {
        return std::unexpected(ok.error());
    }
    return topic;
}

void fillSuccess(const Cluster& cluster, const NewTopic& request, const TopicMeta* created,
                 Result& result) {
    if (created != nullptr) {
        result.topicId = created->id;
        result.numPartitions = static_cast<std::int32_t>(created->partitions.size());
        result.replicationFactor =
            created->partitions.empty()
                ? std::int16_t(-1)
                : static_cast<std::int16_t>(created->partitions[0].replicas.size());
    } else {
        // validateOnly: what the topic would get
        int live = 0;
        for (const auto& b : cluster.brokers()) {
            live += cluster.isRunning(b.id) ? 1 : 0;
        }
        if (!request.assignments.empty()) {
            result.numPartitions = static_cast<std::int32_t>(request.assignments.size());
            result.replicationFactor =
                static_cast<std::int16_t>(request.assignments.begin()->second.size());
        } else {
            result.numPartitions =
                request.numPartitions != -1
                    ? request.numPartitions
                    : static_cast<std::int32_t>(cluster.brokerConfigInt("num.partitions"));
            result.replicationFactor =
                request.replicationFactor != -1
                    ? request.replicationFactor
                    : static_cast<std::int16_t>(std::min<std::int64_t>(
                          cluster.brokerConfigInt("default.replication.factor"),
                          std::max(live, 1)));
        }
    }
    const auto& overrides = created != nullptr ? created->configs : request.configs;
    std::vector<CreateTopicsResponse::CreatableTopicConfigs> configs;
    const BrokerConfigLayers broker{cluster.dynamicBrokerConfigs(), cluster.staticBrokerConfigs()};
    for (const auto& def : topicConfigDefs()) {
        const auto effective = effectiveTopicConfig(def, overrides, broker);
        CreateTopicsResponse::CreatableTopicConfigs entry;
        entry.name = def.name;
        entry.value = effective.value;
        entry.readOnly = def.readOnly;
        entry.configSource = static_cast<std::int8_t>(effective.source);
        entry.isSensitive = def.sensitive;
        configs.push_back(std::move(entry));
    }
    result.configs = std::move(configs);
}

} // namespace

void createTopics(RequestContext& ctx, Responder respond) {
    CreateTopicsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    const bool isController = ctx.brokerId == cluster.controllerId();

    std::map<std::string, int> occurrences;
    for (const auto& t : request.topics) {
        ++occurrences[t.name];
    }

    CreateTopicsResponse response;
    std::set<std::string> answered;
    for (const auto& t : request.topics) {
        if (!answered.insert(t.name).second) {
            continue; // one result per name (Kafka's response is keyed by name)
        }
        Result result;
        result.name = t.name;
        const auto fail = [&](const protocol::Error& error) {
            result.errorCode = protocol::toInt(error.code);
            result.errorMessage = error.message;
            result.numPartitions = -1;
            result.replicationFactor = -1;
            result.topicConfigErrorCode = protocol::toInt(error.code);
        };
        if (!isController) {
            fail(makeError(ErrorCode::NotController,
                           "This is not the correct controller for this cluster."));
        } else if (occurrences[t.name] > 1) {
            fail(makeError(ErrorCode::InvalidRequest,
                           "Create topics request from client `" +
                               ctx.header.clientId.value_or("") +
                               "` contains multiple entries for the following topics: " + t.name));
        } else if (auto topic = toNewTopic(cluster, t); !topic) {
            fail(topic.error());
        } else if (cluster.topic(t.name) != nullptr) {
            fail(
                makeError(ErrorCode::TopicAlreadyExists, "Topic '" + t.name + "' already exists."));
        } else if (auto created = cluster.createTopic(*topic, request.validateOnly); !created) {
            fail(created.error());
        } else {
            result.errorCode = 0;
            result.errorMessage = std::nullopt;
            fillSuccess(cluster, *topic, request.validateOnly ? nullptr : *created, result);
        }
        response.topics.push_back(std::move(result));
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
