// The classic consumer group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed
// offsets, kept where Kafka keeps them: the compacted internal topic __consumer_offsets
// (offsets.topic.num.partitions, default 50), whose partition leader for
// abs(javaStringHashCode(group)) % N is the group's coordinator. Runs on the core strand.
//
// The membership state machine lives in GroupManager (group_state.h); this class is the glue to
// the cluster: coordinator lookup, timers, and persistence of offsets and group metadata in
// __consumer_offsets (Kafka's record formats, offsets_codec.h). The in-memory maps are the read
// path; loadPartition() rebuilds them from the log after a restart.
#pragma once

#include "engine/broker/group_state.h"
#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::broker {

class Cluster;
class Partition;

inline constexpr const char* kConsumerOffsetsTopic = "__consumer_offsets";
inline constexpr std::size_t kMaxOffsetMetadataBytes = 4096; // offset.metadata.max.bytes

// Java's String.hashCode over the UTF-16 code units of a UTF-8 string.
[[nodiscard]] std::int32_t javaStringHashCode(std::string_view utf8);

struct CommittedOffset {
    std::int64_t offset = -1;
    std::int32_t leaderEpoch = -1;
    std::string metadata;
    std::int64_t commitTimestamp = -1;
};

struct OffsetToCommit {
    std::string topic;
    std::int32_t partition = 0;
    CommittedOffset value;
};

using TopicPartitionKey = std::pair<std::string, std::int32_t>;

class GroupCoordinator {
public:
    explicit GroupCoordinator(Cluster& cluster);
    ~GroupCoordinator();
    GroupCoordinator(const GroupCoordinator&) = delete;
    GroupCoordinator& operator=(const GroupCoordinator&) = delete;

    // Replays one __consumer_offsets partition (the leader's replica) into the in-memory state:
    // called by the cluster after start for every such partition it leads, and when leadership of
    // one moves. A partition whose state is already in memory (this process wrote it) is skipped.
    void loadPartition(Partition& partition);
    // The offsets-topic partition of a group.
    [[nodiscard]] std::int32_t partitionFor(std::string_view groupId) const;
    // The broker coordinating `groupId` (the leader of its partition), creating __consumer_offsets
    // on first use; -1 when none is available.
    [[nodiscard]] std::int32_t coordinatorFor(std::string_view groupId);
    // Cancels timers and answers pending joins/syncs (engine shutdown).
    void shutdown();

    // ---- for the group handlers
    // NONE when `brokerId` coordinates the group; NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
    // or INVALID_GROUP_ID (empty id).
    [[nodiscard]] protocol::ErrorCode checkCoordinator(std::string_view groupId, std::int32_t brokerId);
    // The membership state machine, its config refreshed from the broker configs.
    [[nodiscard]] GroupManager& groups();
    // Appends the commits as one batch to the group's __consumer_offsets partition, then updates
    // the in-memory offsets.
    [[nodiscard]] std::expected<void, protocol::Error>
    commitOffsets(std::string_view groupId, const std::vector<OffsetToCommit>& offsets);
    [[nodiscard]] std::optional<CommittedOffset> committed(std::string_view groupId,
                                                          std::string_view topic,
                                                          std::int32_t partition) const;
    // Every committed offset of a group (empty map when none).
    [[nodiscard]] const std::map<TopicPartitionKey, CommittedOffset>&
    committedOffsets(std::string_view groupId) const;
    // Tombstones for the offsets, then drops them from memory.
    [[nodiscard]] std::expected<void, protocol::Error>
    deleteOffsets(std::string_view groupId, const std::vector<TopicPartitionKey>& partitions);
    // DeleteGroups: NONE, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND (tombstones for offsets and group).
    [[nodiscard]] protocol::ErrorCode deleteGroup(std::string_view groupId);
    // Groups (including offsets-only groups) whose coordinator is `brokerId`.
    [[nodiscard]] std::vector<std::string> groupsCoordinatedBy(std::int32_t brokerId) const;

    struct Impl;
    [[nodiscard]] Impl& impl() { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace faultline::broker
