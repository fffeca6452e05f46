// The controller's view of the cluster: brokers, topics, partitions. Plain values, copied freely.
#pragma once

#include "engine/protocol/wire.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline::broker {

enum class BrokerState { Running, Stopped };

[[nodiscard]] const char* brokerStateName(BrokerState state);

struct BrokerInfo {
    std::int32_t id = -1;
    std::string host;
    std::uint16_t port = 0;
    int faultDomain = 0;
    int updateDomain = 0;
    std::string rack; // "FD<f>UD<u>"
    BrokerState state = BrokerState::Running;
};

struct PartitionMeta {
    std::int32_t partition = 0;
    std::vector<std::int32_t> replicas; // replicas[0] is the preferred leader
    std::vector<std::int32_t> isr;
    std::int32_t leader = -1; // -1: offline
    std::int32_t leaderEpoch = 0;
    std::int32_t partitionEpoch = 0;
    // KIP-455 reassignment in progress (empty when none)
    std::vector<std::int32_t> addingReplicas;
    std::vector<std::int32_t> removingReplicas;
};

struct TopicMeta {
    std::string name;
    protocol::Uuid id{};
    bool internal = false;
    std::map<std::string, std::string> configs; // overrides only (source TOPIC_CONFIG)
    std::vector<PartitionMeta> partitions;
};

} // namespace faultline::broker
