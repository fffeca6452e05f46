#include "engine/broker/api_table.h"

#include "engine/broker/handlers/handlers.h"

#include <array>

namespace faultline::broker {

namespace {
namespace h = handlers;
// Versions as PROTOCOL.md lists them (old versions kept: kafka-python uses them).
constexpr std::array kApis{
    ApiEntry{0, "Produce", 3, 9, 9, &h::produce, &h::prepareProduce},
    ApiEntry{1, "Fetch", 4, 12, 12, &h::fetch},
    ApiEntry{2, "ListOffsets", 0, 7, 6, &h::listOffsets},
    ApiEntry{3, "Metadata", 0, 12, 9, &h::metadata},
    ApiEntry{8, "OffsetCommit", 0, 8, 8, &h::offsetCommit},
    ApiEntry{9, "OffsetFetch", 0, 8, 6, &h::offsetFetch},
    ApiEntry{10, "FindCoordinator", 0, 3, 3, &h::findCoordinator},
    ApiEntry{11, "JoinGroup", 0, 7, 6, &h::joinGroup},
    ApiEntry{12, "Heartbeat", 0, 4, 4, &h::heartbeat},
    ApiEntry{13, "LeaveGroup", 0, 4, 4, &h::leaveGroup},
    ApiEntry{14, "SyncGroup", 0, 5, 4, &h::syncGroup},
    ApiEntry{15, "DescribeGroups", 0, 5, 5, &h::describeGroups},
    ApiEntry{16, "ListGroups", 0, 4, 3, &h::listGroups},
    ApiEntry{18, "ApiVersions", 0, 3, 3, &h::apiVersions},
    ApiEntry{19, "CreateTopics", 0, 7, 5, &h::createTopics},
    ApiEntry{20, "DeleteTopics", 0, 6, 4, &h::deleteTopics},
    ApiEntry{21, "DeleteRecords", 0, 2, 2, &h::deleteRecords},
    ApiEntry{22, "InitProducerId", 0, 4, 2, &h::initProducerId},
    ApiEntry{23, "OffsetForLeaderEpoch", 0, 4, 4, &h::offsetForLeaderEpoch},
    ApiEntry{32, "DescribeConfigs", 0, 4, 4, &h::describeConfigs},
    ApiEntry{33, "AlterConfigs", 0, 2, 2, &h::alterConfigs},
    ApiEntry{35, "DescribeLogDirs", 0, 4, 2, &h::describeLogDirs},
    ApiEntry{37, "CreatePartitions", 0, 3, 2, &h::createPartitions},
    ApiEntry{42, "DeleteGroups", 0, 2, 2, &h::deleteGroups},
    ApiEntry{44, "IncrementalAlterConfigs", 0, 1, 1, &h::incrementalAlterConfigs},
    ApiEntry{47, "OffsetDelete", 0, 0, -1, &h::offsetDelete},
    ApiEntry{60, "DescribeCluster", 0, 1, 0, &h::describeCluster},
};
} // namespace

std::span<const ApiEntry> apiTable() { return kApis; }

const ApiEntry* findApi(std::int16_t key) {
    for (const auto& entry : kApis) {
        if (entry.key == key) {
            return &entry;
        }
    }
    return nullptr;
}

} // namespace faultline::broker
