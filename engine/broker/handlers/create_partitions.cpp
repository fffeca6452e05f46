// CreatePartitions (key 37), v0-3: raise a topic's partition count, with optional assignments for
// the new partitions and validateOnly; answered by the controller only.
#include "engine/protocol/messages/create_partitions.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/placement.h"

#include <map>
#include <set>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::CreatePartitionsRequest;
using protocol::CreatePartitionsResponse;
using protocol::ErrorCode;
using protocol::makeError;

std::expected<void, protocol::Error> check(const Cluster& cluster,
                                           const CreatePartitionsRequest::CreatePartitionsTopic& t,
                                           std::vector<std::vector<std::int32_t>>& assignments) {
    const TopicMeta* topic = cluster.topic(t.name);
    if (topic == nullptr) {
        return std::unexpected(makeError(ErrorCode::UnknownTopicOrPartition,
                                         "The topic '" + t.name + "' does not exist."));
    }
    const auto current = static_cast<std::int32_t>(topic->partitions.size());
    if (t.count < current) {
        return std::unexpected(makeError(ErrorCode::InvalidPartitions,
                                         "Topic currently has " + std::to_string(current) +
                                             " partitions, which is higher than the requested " +
                                             std::to_string(t.count) + "."));
    }
    if (t.count == current) {
        return std::unexpected(
            makeError(ErrorCode::InvalidPartitions,
                      "Topic already has " + std::to_string(current) + " partitions."));
    }
    if (t.assignments) {
        const auto added = t.count - current;
        if (static_cast<std::int32_t>(t.assignments->size()) != added) {
            return std::unexpected(makeError(
                ErrorCode::InvalidReplicaAssignment,
                "Increasing the number of partitions by " + std::to_string(added) + " but " +
                    std::to_string(t.assignments->size()) + " assignments provided."));
        }
        std::vector<BrokerSlot> slots;
        for (const auto& b : cluster.brokers()) {
            slots.push_back({b.id, b.faultDomain, b.updateDomain, cluster.isRunning(b.id)});
        }
        std::map<std::int32_t, std::vector<std::int32_t>> byPartition;
        std::int32_t index = current;
        for (const auto& a : *t.assignments) {
            byPartition[index++] = a.brokerIds;
            assignments.push_back(a.brokerIds);
        }
        if (!topic->partitions.empty()) {
            byPartition[0] = topic->partitions[0].replicas; // same RF as the existing partitions
        }
        if (auto ok = validateAssignment(slots, byPartition); !ok) {
            return ok;
        }
    }
    return {};
}

} // namespace

void createPartitions(RequestContext& ctx, Responder respond) {
    CreatePartitionsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    const bool isController = ctx.brokerId == cluster.controllerId();
    std::map<std::string, int> occurrences;
    for (const auto& t : request.topics) {
        ++occurrences[t.name];
    }

    CreatePartitionsResponse response;
    std::set<std::string> answered;
    for (const auto& t : request.topics) {
        if (!answered.insert(t.name).second) {
            continue;
        }
        CreatePartitionsResponse::CreatePartitionsTopicResult result;
        result.name = t.name;
        result.errorMessage = std::nullopt;
        const auto fail = [&](const protocol::Error& error) {
            result.errorCode = protocol::toInt(error.code);
            result.errorMessage = error.message;
        };
        std::vector<std::vector<std::int32_t>> assignments;
        if (!isController) {
            fail(makeError(ErrorCode::NotController,
                           "This is not the correct controller for this cluster."));
        } else if (occurrences[t.name] > 1) {
            fail(makeError(ErrorCode::InvalidRequest, "Duplicate topic in request: " + t.name));
        } else if (auto ok = check(cluster, t, assignments); !ok) {
            fail(ok.error());
        } else if (auto done = cluster.createPartitions(t.name, t.count,
                                                        t.assignments ? &assignments : nullptr,
                                                        request.validateOnly);
                   !done) {
            fail(done.error());
        } else {
            result.errorCode = 0;
        }
        response.results.push_back(std::move(result));
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
