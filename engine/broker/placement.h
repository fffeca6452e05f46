// Replica placement for new topics and partitions: FD/UD spread (PLACEMENT.md rules), leaders spread.
#pragma once

#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <map>
#include <vector>

namespace faultline::broker {

struct BrokerSlot {
    std::int32_t id = -1;
    int faultDomain = 0;
    int updateDomain = 0;
    bool live = true;
};

struct PlacementLoad {
    std::map<std::int32_t, int> replicas; // current replica count per broker
    std::map<std::int32_t, int> leaders;  // current preferred-leader count per broker
};

// Assignments for `count` new partitions (partition ids firstPartition..firstPartition+count-1) of
// replication factor `rf` over the live brokers: each partition spans min(F, rf) distinct FDs and
// min(U, rf) distinct UDs, balanced when rf exceeds them (PLACEMENT.md rules 1-3); replicas and
// preferred leaders spread evenly, taking the existing load into account. Deterministic.
// InvalidReplicationFactor when rf < 1 or rf > live brokers.
[[nodiscard]] std::expected<std::vector<std::vector<std::int32_t>>, protocol::Error>
assignReplicas(const std::vector<BrokerSlot>& brokers, std::int32_t count, std::int32_t rf,
               std::int32_t firstPartition, const PlacementLoad& load = {});

// Checks an explicit assignment: no duplicate broker in a partition, every broker known,
// same rf for every partition. InvalidReplicaAssignment naming the partition and the reason.
[[nodiscard]] std::expected<void, protocol::Error>
validateAssignment(const std::vector<BrokerSlot>& brokers,
                   const std::map<std::int32_t, std::vector<std::int32_t>>& assignment);

} // namespace faultline::broker
