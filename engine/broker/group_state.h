// The classic consumer group protocol as a state machine, independent of the cluster: members,
// generations, protocol selection, the MEMBER_ID_REQUIRED handshake, static members, join and
// sync barriers, heartbeats and session timeouts. Time and timers come through GroupTimers so
// tests drive them deterministically. Single-threaded: the owner calls it from one strand.
//
// States follow Kafka: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and Dead for
// a deleted group. Completion callbacks (join, sync) are invoked at most once each; they must not
// call back into the GroupManager.
#pragma once

#include "engine/protocol/error_code.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::broker {

class GroupTimers {
public:
    virtual ~GroupTimers() = default;
    [[nodiscard]] virtual std::int64_t nowMs() const = 0;
    virtual std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
    virtual void cancel(std::uint64_t id) = 0;
};

enum class GroupPhase { Empty, PreparingRebalance, CompletingRebalance, Stable, Dead };

// Kafka's state names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
[[nodiscard]] const char* groupPhaseName(GroupPhase phase);

struct GroupConfig {
    std::int32_t minSessionTimeoutMs = 6000;      // group.min.session.timeout.ms
    std::int32_t maxSessionTimeoutMs = 1800000;   // group.max.session.timeout.ms
    std::int32_t initialRebalanceDelayMs = 3000;  // group.initial.rebalance.delay.ms
    std::int32_t maxSize = std::numeric_limits<std::int32_t>::max(); // group.max.size
};

struct GroupProtocol {
    std::string name;
    std::vector<std::uint8_t> metadata;
};

struct JoinParams {
    std::string memberId; // "" for a new member
    std::optional<std::string> groupInstanceId;
    std::string clientId;
    std::string clientHost;
    std::int32_t sessionTimeoutMs = 10000;
    std::int32_t rebalanceTimeoutMs = 10000; // JoinGroup v0: the session timeout
    std::string protocolType;
    std::vector<GroupProtocol> protocols;
    bool requireKnownMemberId = false; // JoinGroup v4+
};

struct JoinedMember {
    std::string memberId;
    std::optional<std::string> groupInstanceId;
    std::vector<std::uint8_t> metadata;
};

struct JoinResult {
    protocol::ErrorCode error = protocol::ErrorCode::None;
    std::int32_t generationId = -1;
    std::optional<std::string> protocolType;
    std::optional<std::string> protocolName;
    std::string leaderId;
    std::string memberId;
    std::vector<JoinedMember> members; // the leader only
};
using JoinCallback = std::function<void(JoinResult)>;

struct SyncParams {
    std::string memberId;
    std::optional<std::string> groupInstanceId;
    std::int32_t generationId = -1;
    std::optional<std::string> protocolType; // SyncGroup v5
    std::optional<std::string> protocolName; // SyncGroup v5
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> assignments; // leader only
};

struct SyncResult {
    protocol::ErrorCode error = protocol::ErrorCode::None;
    std::optional<std::string> protocolType;
    std::optional<std::string> protocolName;
    std::vector<std::uint8_t> assignment;
};
using SyncCallback = std::function<void(SyncResult)>;

struct LeavingMember {
    std::string memberId;
    std::optional<std::string> groupInstanceId;
};

struct LeaveResult {
    protocol::ErrorCode error = protocol::ErrorCode::None; // group level
    std::vector<protocol::ErrorCode> members;             // one per leaving member, same order
};

struct GroupMember {
    std::string memberId;
    std::optional<std::string> groupInstanceId;
    std::string clientId;
    std::string clientHost;
    std::int32_t sessionTimeoutMs = 0;
    std::int32_t rebalanceTimeoutMs = 0;
    std::string protocolType;
    std::vector<GroupProtocol> protocols;
    std::vector<std::uint8_t> assignment;

    JoinCallback awaitingJoin;
    SyncCallback awaitingSync;
    std::uint64_t heartbeatTimer = 0;
    bool isNew = false; // joined during the current rebalance

    // The member's metadata for `protocol` (empty if it does not support it).
    [[nodiscard]] const std::vector<std::uint8_t>* metadataFor(std::string_view protocol) const;
};

struct Group {
    std::string groupId;
    GroupPhase phase = GroupPhase::Empty;
    std::int32_t generationId = 0;
    std::string protocolType; // "" until a member joins (or a simple-commit group)
    std::optional<std::string> protocolName;
    std::string leaderId; // "" when none
    std::int64_t currentStateTimestamp = -1;
    std::map<std::string, GroupMember, std::less<>> members;
    std::map<std::string, std::string, std::less<>> staticMembers; // instance id -> member id
    std::map<std::string, std::uint64_t, std::less<>> pendingMembers; // member id -> expiry timer

    // rebalance bookkeeping
    std::uint64_t joinTimer = 0;
    bool initialDelay = false;
    bool joinedDuringDelay = false;
    std::int64_t rebalanceDeadlineMs = 0;

    [[nodiscard]] bool hasMember(std::string_view memberId) const {
        return members.find(memberId) != members.end();
    }
    [[nodiscard]] const GroupMember* member(std::string_view memberId) const {
        auto it = members.find(memberId);
        return it == members.end() ? nullptr : &it->second;
    }
    // The protocol names every member supports.
    [[nodiscard]] std::vector<std::string> candidateProtocols() const;
};

// A group as persisted in __consumer_offsets, for restoring after a restart.
struct GroupSnapshot {
    std::string groupId;
    std::string protocolType;
    std::int32_t generationId = 0;
    std::optional<std::string> protocolName;
    std::optional<std::string> leaderId;
    std::int64_t currentStateTimestamp = -1;
    struct Member {
        std::string memberId;
        std::optional<std::string> groupInstanceId;
        std::string clientId;
        std::string clientHost;
        std::int32_t rebalanceTimeoutMs = 0;
        std::int32_t sessionTimeoutMs = 0;
        std::vector<std::uint8_t> subscription; // metadata of the selected protocol
        std::vector<std::uint8_t> assignment;
    };
    std::vector<Member> members;
};

class GroupManager {
public:
    GroupManager(GroupTimers& timers, GroupConfig config);
    ~GroupManager(); // cancels every timer it scheduled
    GroupManager(const GroupManager&) = delete;
    GroupManager& operator=(const GroupManager&) = delete;

    [[nodiscard]] const GroupConfig& config() const { return m_config; }
    void setConfig(const GroupConfig& config) { m_config = config; }

    // Called with the group after each completed rebalance (the leader's assignment, or the group
    // turning Empty) so the owner can persist it; the owner answers its request after this returns.
    std::function<void(const Group&)> onStore;

    void join(std::string_view groupId, JoinParams params, JoinCallback done);
    void sync(std::string_view groupId, SyncParams params, SyncCallback done);
    [[nodiscard]] protocol::ErrorCode heartbeat(std::string_view groupId, std::string_view memberId,
                                                const std::optional<std::string>& groupInstanceId,
                                                std::int32_t generationId);
    [[nodiscard]] LeaveResult leave(std::string_view groupId, const std::vector<LeavingMember>& members);

    // Whether an OffsetCommit may proceed (Kafka's rules: generation -1 with member "" is a simple
    // commit, allowed when the group is Empty or unknown; an unknown group is then created Empty).
    [[nodiscard]] protocol::ErrorCode validateCommit(std::string_view groupId, std::string_view memberId,
                                                     const std::optional<std::string>& groupInstanceId,
                                                     std::int32_t generationId);
    // Whether an OffsetFetch for the group may proceed (NONE unless the group is rebalancing and
    // the caller requires stable offsets; kept simple: always NONE for known/unknown groups).

    [[nodiscard]] const Group* find(std::string_view groupId) const;
    Group& getOrCreate(std::string_view groupId);
    [[nodiscard]] std::vector<const Group*> groups() const;

    // DeleteGroups: NONE (group now Dead and gone), NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND.
    [[nodiscard]] protocol::ErrorCode deleteGroup(std::string_view groupId);
    // Drops a group's state without checks (partition emigration, tombstone replay).
    void unload(std::string_view groupId);
    // Restores a persisted group: Empty without members, else Stable with session timers.
    void restore(const GroupSnapshot& snapshot);
    // Answers every pending join/sync with `error` and cancels every timer.
    void shutdown(protocol::ErrorCode error);

    // A fresh member id, "<prefix>-<uuid>".
    [[nodiscard]] static std::string generateMemberId(std::string_view prefix);

private:
    Group* findMutable(std::string_view groupId);
    void joinNewMember(Group& group, JoinParams params, JoinCallback done);
    void joinStaticNewMember(Group& group, JoinParams params, JoinCallback done);
    void joinKnownMember(Group& group, JoinParams params, JoinCallback done);
    void addMemberAndRebalance(Group& group, const std::string& memberId, JoinParams params,
                               JoinCallback done);
    void updateMemberAndRebalance(Group& group, GroupMember& member, JoinParams params,
                                  JoinCallback done);
    void prepareRebalance(Group& group);
    void tryCompleteJoin(Group& group);
    void onJoinTimer(const std::string& groupId);
    void completeJoin(Group& group);
    void removeMember(Group& group, const std::string& memberId, protocol::ErrorCode reason);
    void afterMemberRemoved(Group& group);
    void scheduleHeartbeat(Group& group, GroupMember& member);
    void onHeartbeatExpired(const std::string& groupId, const std::string& memberId);
    void addPendingMember(Group& group, const std::string& memberId, std::int32_t sessionTimeoutMs);
    void removePendingMember(Group& group, std::string_view memberId);
    void transition(Group& group, GroupPhase phase);
    void cancelTimer(std::uint64_t& id);
    void resetSyncWaiters(Group& group, protocol::ErrorCode error);
    void completeSyncWaiters(Group& group);
    [[nodiscard]] JoinResult joinResultFor(const Group& group, const GroupMember& member) const;
    [[nodiscard]] bool supportsProtocols(const Group& group, const JoinParams& params) const;
    [[nodiscard]] static std::optional<std::string> selectProtocol(const Group& group);
    [[nodiscard]] static bool sameProtocols(const GroupMember& member, const JoinParams& params);

    GroupTimers& m_timers;
    GroupConfig m_config;
    std::map<std::string, Group, std::less<>> m_groups;
};

} // namespace faultline::broker
