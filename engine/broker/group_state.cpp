#include "engine/broker/group_state.h"

#include <algorithm>
#include <array>
#include <random>
#include <utility>

namespace faultline::broker {

using protocol::ErrorCode;

const char* groupPhaseName(GroupPhase phase) {
    switch (phase) {
    case GroupPhase::Empty:
        return "Empty";
    case GroupPhase::PreparingRebalance:
        return "PreparingRebalance";
    case GroupPhase::CompletingRebalance:
        return "CompletingRebalance";
    case GroupPhase::Stable:
        return "Stable";
    case GroupPhase::Dead:
        return "Dead";
    }
    return "Unknown";
}

const std::vector<std::uint8_t>* GroupMember::metadataFor(std::string_view protocol) const {
    for (const auto& p : protocols) {
        if (p.name == protocol) {
            return &p.metadata;
        }
    }
    return nullptr;
}

std::vector<std::string> Group::candidateProtocols() const {
    std::vector<std::string> out;
    if (members.empty()) {
        return out;
    }
    for (const auto& p : members.begin()->second.protocols) {
        const bool everyone = std::all_of(members.begin(), members.end(), [&](const auto& kv) {
            return kv.second.metadataFor(p.name) != nullptr;
        });
        if (everyone && std::find(out.begin(), out.end(), p.name) == out.end()) {
            out.push_back(p.name);
        }
    }
    return out;
}

namespace {

JoinResult joinError(ErrorCode error, std::string memberId = {}) {
    JoinResult r;
    r.error = error;
    r.memberId = std::move(memberId);
    return r;
}

SyncResult syncError(ErrorCode error) {
    SyncResult r;
    r.error = error;
    return r;
}

} // namespace

GroupManager::GroupManager(GroupTimers& timers, GroupConfig config)
    : m_timers(timers), m_config(config) {}

GroupManager::~GroupManager() {
    for (auto& [id, group] : m_groups) {
        cancelTimer(group.joinTimer);
        for (auto& [mid, member] : group.members) {
            cancelTimer(member.heartbeatTimer);
        }
        for (auto& [mid, timer] : group.pendingMembers) {
            cancelTimer(timer);
        }
    }
}

std::string GroupManager::generateMemberId(std::string_view prefix) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < b.size(); i += 8) {
        const std::uint64_t v = rng();
        for (std::size_t j = 0; j < 8; ++j) {
            b[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
        }
    }
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(prefix);
    out += '-';
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += hex[b[i] >> 4];
        out += hex[b[i] & 0x0f];
    }
    return out;
}

Group* GroupManager::findMutable(std::string_view groupId) {
    auto it = m_groups.find(groupId);
    return it == m_groups.end() ? nullptr : &it->second;
}

const Group* GroupManager::find(std::string_view groupId) const {
    auto it = m_groups.find(groupId);
    return it == m_groups.end() ? nullptr : &it->second;
}

Group& GroupManager::getOrCreate(std::string_view groupId) {
    auto it = m_groups.find(groupId);
    if (it == m_groups.end()) {
        it = m_groups.emplace(std::string(groupId), Group{}).first;
        it->second.groupId = std::string(groupId);
        it->second.currentStateTimestamp = m_timers.nowMs();
    }
    return it->second;
}

std::vector<const Group*> GroupManager::groups() const {
    std::vector<const Group*> out;
    out.reserve(m_groups.size());
    for (const auto& [id, group] : m_groups) {
        out.push_back(&group);
    }
    return out;
}

void GroupManager::cancelTimer(std::uint64_t& id) {
    if (id != 0) {
        m_timers.cancel(id);
        id = 0;
    }
}

void GroupManager::transition(Group& group, GroupPhase phase) {
    group.phase = phase;
    group.currentStateTimestamp = m_timers.nowMs();
}

bool GroupManager::supportsProtocols(const Group& group, const JoinParams& params) const {
    if (group.members.empty()) {
        return !params.protocolType.empty() && !params.protocols.empty();
    }
    if (group.protocolType != params.protocolType) {
        return false;
    }
    const auto candidates = group.candidateProtocols();
    return std::any_of(params.protocols.begin(), params.protocols.end(), [&](const GroupProtocol& p) {
        return std::find(candidates.begin(), candidates.end(), p.name) != candidates.end();
    });
}

bool GroupManager::sameProtocols(const GroupMember& member, const JoinParams& params) {
    if (member.protocolType != params.protocolType ||
        member.protocols.size() != params.protocols.size()) {
        return false;
    }
    for (std::size_t i = 0; i < member.protocols.size(); ++i) {
        if (member.protocols[i].name != params.protocols[i].name ||
            member.protocols[i].metadata != params.protocols[i].metadata) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> GroupManager::selectProtocol(const Group& group) {
    const auto candidates = group.candidateProtocols();
    if (candidates.empty()) {
        return std::nullopt;
    }
    // Every member votes for its most preferred candidate; the most votes wins, ties going to
    // the earlier candidate.
    std::vector<int> votes(candidates.size(), 0);
    for (const auto& [id, member] : group.members) {
        for (const auto& p : member.protocols) {
            auto it = std::find(candidates.begin(), candidates.end(), p.name);
            if (it != candidates.end()) {
                ++votes[static_cast<std::size_t>(it - candidates.begin())];
                break;
            }
        }
    }
    const auto best = std::max_element(votes.begin(), votes.end());
    return candidates[static_cast<std::size_t>(best - votes.begin())];
}

JoinResult GroupManager::joinResultFor(const Group& group, const GroupMember& member) const {
    JoinResult r;
    r.generationId = group.generationId;
    r.protocolType = group.protocolType;
    r.protocolName = group.protocolName;
    r.leaderId = group.leaderId;
    r.memberId = member.memberId;
    if (member.memberId == group.leaderId && group.protocolName) {
        for (const auto& [id, m] : group.members) {
            JoinedMember jm;
            jm.memberId = id;
            jm.groupInstanceId = m.groupInstanceId;
            if (const auto* md = m.metadataFor(*group.protocolName)) {
                jm.metadata = *md;
            }
            r.members.push_back(std::move(jm));
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// JoinGroup

void GroupManager::join(std::string_view groupId, JoinParams params, JoinCallback done) {
    if (groupId.empty()) {
        done(joinError(ErrorCode::InvalidGroupId, params.memberId));
        return;
    }
    if (params.sessionTimeoutMs < m_config.minSessionTimeoutMs ||
        params.sessionTimeoutMs > m_config.maxSessionTimeoutMs) {
        done(joinError(ErrorCode::InvalidSessionTimeout, params.memberId));
        return;
    }
    Group* group = findMutable(groupId);
    bool created = false;
    if (group == nullptr) {
        if (!params.memberId.empty()) {
            done(joinError(ErrorCode::UnknownMemberId, params.memberId));
            return;
        }
        group = &getOrCreate(groupId);
        created = true;
    }
    if (group->phase == GroupPhase::Dead) {
        done(joinError(ErrorCode::CoordinatorNotAvailable, params.memberId));
        return;
    }
    if (!supportsProtocols(*group, params)) {
        if (created) {
            m_groups.erase(m_groups.find(groupId));
        }
        done(joinError(ErrorCode::InconsistentGroupProtocol, params.memberId));
        return;
    }
    if (params.memberId.empty()) {
        if (params.groupInstanceId) {
            joinStaticNewMember(*group, std::move(params), std::move(done));
        } else {
            joinNewMember(*group, std::move(params), std::move(done));
        }
    } else {
        joinKnownMember(*group, std::move(params), std::move(done));
    }
}

void GroupManager::joinNewMember(Group& group, JoinParams params, JoinCallback done) {
    if (group.members.size() + group.pendingMembers.size() >=
        static_cast<std::size_t>(std::max(m_config.maxSize, 0))) {
        done(joinError(ErrorCode::GroupMaxSizeReached));
        return;
    }
    std::string memberId = generateMemberId(params.clientId);
    if (params.requireKnownMemberId) {
        // KIP-394: the member must come back with this id; until then it is pending.
        addPendingMember(group, memberId, params.sessionTimeoutMs);
        done(joinError(ErrorCode::MemberIdRequired, std::move(memberId)));
        return;
    }
    addMemberAndRebalance(group, memberId, std::move(params), std::move(done));
}

void GroupManager::joinStaticNewMember(Group& group, JoinParams params, JoinCallback done) {
    const std::string instanceId = *params.groupInstanceId;
    std::string newId = generateMemberId(instanceId);
    auto known = group.staticMembers.find(instanceId);
    if (known == group.staticMembers.end()) {
        if (group.members.size() + group.pendingMembers.size() >=
            static_cast<std::size_t>(std::max(m_config.maxSize, 0))) {
            done(joinError(ErrorCode::GroupMaxSizeReached));
            return;
        }
        addMemberAndRebalance(group, newId, std::move(params), std::move(done));
        return;
    }
    // KIP-345: a static member came back with a new incarnation (a restart, which loses the
    // member id). As in Kafka's updateStaticMemberAndRebalance the new member id replaces the old
    // one, which is fenced from now on; the member keeps its metadata and its assignment.
    const std::string oldId = known->second;
    auto node = group.members.extract(oldId);
    if (node.empty()) {
        group.staticMembers.erase(known);
        addMemberAndRebalance(group, newId, std::move(params), std::move(done));
        return;
    }
    // The leader as it was, answered to the member below so that a restarted leader does not take
    // itself for the leader of a generation it did not assign.
    const std::string currentLeader = group.leaderId;
    GroupMember member = std::move(node.mapped());
    cancelTimer(member.heartbeatTimer);
    if (auto cb = std::exchange(member.awaitingJoin, nullptr)) {
        cb(joinError(ErrorCode::FencedInstanceId, oldId));
    }
    if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
        cb(syncError(ErrorCode::FencedInstanceId));
    }
    member.memberId = newId;
    member.clientId = params.clientId;
    member.clientHost = params.clientHost;
    auto& slot = group.members.emplace(newId, std::move(member)).first->second;
    group.staticMembers[instanceId] = newId;
    if (currentLeader == oldId) {
        group.leaderId = newId; // a later rebalance is led by the new incarnation
    }
    // The old id's session timer is gone; the session now runs for the new id.
    slot.sessionTimeoutMs = params.sessionTimeoutMs;
    slot.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    scheduleHeartbeat(group, slot);
    switch (group.phase) {
    case GroupPhase::Stable: {
        slot.protocolType = params.protocolType;
        slot.protocols = params.protocols;
        if (selectProtocol(group) != group.protocolName) {
            // The next generation would use another protocol: the assignment must be redone.
            updateMemberAndRebalance(group, slot, std::move(params), std::move(done));
            return;
        }
        // Nothing changes for the group: persist the member's new id with the current
        // assignments and hand back the current generation, no members, no rebalance.
        if (onStore) {
            onStore(group);
        }
        JoinResult r;
        r.generationId = group.generationId;
        r.protocolType = group.protocolType;
        r.protocolName = group.protocolName;
        r.leaderId = currentLeader;
        r.memberId = newId;
        done(std::move(r));
        return;
    }
    case GroupPhase::CompletingRebalance:
        // The leader may already have been handed the old member id; its assignment would miss
        // the new id, so the group rebalances (updateMemberAndRebalance prepares it).
    case GroupPhase::PreparingRebalance:
        // The member joins the ongoing rebalance.
    case GroupPhase::Empty:
    case GroupPhase::Dead:
        updateMemberAndRebalance(group, slot, std::move(params), std::move(done));
        return;
    }
}

void GroupManager::joinKnownMember(Group& group, JoinParams params, JoinCallback done) {
    const std::string memberId = params.memberId;
    if (auto pending = group.pendingMembers.find(memberId); pending != group.pendingMembers.end()) {
        removePendingMember(group, memberId);
        addMemberAndRebalance(group, memberId, std::move(params), std::move(done));
        return;
    }
    if (params.groupInstanceId) {
        auto known = group.staticMembers.find(*params.groupInstanceId);
        if (known != group.staticMembers.end() && known->second != memberId) {
            done(joinError(ErrorCode::FencedInstanceId, memberId));
            return;
        }
    }
    auto it = group.members.find(memberId);
    if (it == group.members.end()) {
        done(joinError(ErrorCode::UnknownMemberId, memberId));
        return;
    }
    GroupMember& member = it->second;
    switch (group.phase) {
    case GroupPhase::PreparingRebalance:
        updateMemberAndRebalance(group, member, std::move(params), std::move(done));
        return;
    case GroupPhase::CompletingRebalance:
        if (sameProtocols(member, params)) {
            // The member lost its JoinGroup response: send the same again.
            done(joinResultFor(group, member));
        } else {
            updateMemberAndRebalance(group, member, std::move(params), std::move(done));
        }
        return;
    case GroupPhase::Stable:
        if (memberId == group.leaderId || !sameProtocols(member, params)) {
            // The leader rejoining (new topics to assign) or changed metadata: rebalance.
            updateMemberAndRebalance(group, member, std::move(params), std::move(done));
        } else {
            scheduleHeartbeat(group, member);
            done(joinResultFor(group, member));
        }
        return;
    case GroupPhase::Empty:
    case GroupPhase::Dead:
        done(joinError(ErrorCode::UnknownMemberId, memberId));
        return;
    }
}

void GroupManager::addMemberAndRebalance(Group& group, const std::string& memberId,
                                         JoinParams params, JoinCallback done) {
    GroupMember member;
    member.memberId = memberId;
    member.groupInstanceId = params.groupInstanceId;
    member.clientId = std::move(params.clientId);
    member.clientHost = std::move(params.clientHost);
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    member.protocolType = params.protocolType;
    member.protocols = std::move(params.protocols);
    member.awaitingJoin = std::move(done);
    member.isNew = true;
    if (group.members.empty()) {
        group.protocolType = params.protocolType;
    }
    if (member.groupInstanceId) {
        group.staticMembers[*member.groupInstanceId] = memberId;
    }
    group.members.emplace(memberId, std::move(member));
    if (group.leaderId.empty()) {
        group.leaderId = memberId;
    }
    if (group.phase == GroupPhase::PreparingRebalance) {
        if (group.initialDelay) {
            group.joinedDuringDelay = true;
        }
        tryCompleteJoin(group);
    } else {
        prepareRebalance(group);
    }
}

void GroupManager::updateMemberAndRebalance(Group& group, GroupMember& member, JoinParams params,
                                            JoinCallback done) {
    if (auto old = std::exchange(member.awaitingJoin, nullptr)) {
        old(joinError(ErrorCode::RebalanceInProgress, member.memberId));
    }
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    member.protocolType = params.protocolType;
    member.protocols = std::move(params.protocols);
    member.awaitingJoin = std::move(done);
    if (group.phase == GroupPhase::PreparingRebalance) {
        tryCompleteJoin(group);
    } else {
        prepareRebalance(group);
    }
}

void GroupManager::resetSyncWaiters(Group& group, ErrorCode error) {
    std::vector<SyncCallback> callbacks;
    for (auto& [id, member] : group.members) {
        member.assignment.clear();
        if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
            callbacks.push_back(std::move(cb));
        }
    }
    for (auto& cb : callbacks) {
        cb(syncError(error));
    }
}

void GroupManager::completeSyncWaiters(Group& group) {
    std::vector<std::pair<SyncCallback, SyncResult>> results;
    for (auto& [id, member] : group.members) {
        if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
            SyncResult r;
            r.protocolType = group.protocolType;
            r.protocolName = group.protocolName;
            r.assignment = member.assignment;
            results.emplace_back(std::move(cb), std::move(r));
        }
    }
    for (auto& [cb, r] : results) {
        cb(std::move(r));
    }
}

void GroupManager::prepareRebalance(Group& group) {
    if (group.phase == GroupPhase::CompletingRebalance) {
        resetSyncWaiters(group, ErrorCode::RebalanceInProgress);
    }
    const bool initial = group.phase == GroupPhase::Empty;
    transition(group, GroupPhase::PreparingRebalance);
    std::int32_t rebalanceTimeout = 1;
    for (const auto& [id, member] : group.members) {
        rebalanceTimeout = std::max(rebalanceTimeout, member.rebalanceTimeoutMs);
    }
    cancelTimer(group.joinTimer);
    group.rebalanceDeadlineMs = m_timers.nowMs() + rebalanceTimeout;
    const std::string groupId = group.groupId;
    if (initial && m_config.initialRebalanceDelayMs > 0) {
        // group.initial.rebalance.delay.ms: a new group waits for more members before its first
        // generation, extended while members keep arriving, up to the rebalance timeout.
        group.initialDelay = true;
        group.joinedDuringDelay = false;
        const auto delay = std::min(m_config.initialRebalanceDelayMs, rebalanceTimeout);
        group.joinTimer = m_timers.schedule(std::chrono::milliseconds(delay),
                                            [this, groupId] { onJoinTimer(groupId); });
        return;
    }
    group.initialDelay = false;
    group.joinTimer = m_timers.schedule(std::chrono::milliseconds(rebalanceTimeout),
                                        [this, groupId] { onJoinTimer(groupId); });
    tryCompleteJoin(group);
}

void GroupManager::onJoinTimer(const std::string& groupId) {
    Group* group = findMutable(groupId);
    if (group == nullptr || group->phase != GroupPhase::PreparingRebalance) {
        return;
    }
    group->joinTimer = 0;
    if (group->initialDelay) {
        const std::int64_t remaining = group->rebalanceDeadlineMs - m_timers.nowMs();
        if (group->joinedDuringDelay && remaining > 0) {
            group->joinedDuringDelay = false;
            const auto delay =
                std::min<std::int64_t>(m_config.initialRebalanceDelayMs, remaining);
            group->joinTimer = m_timers.schedule(std::chrono::milliseconds(delay),
                                                 [this, groupId] { onJoinTimer(groupId); });
            return;
        }
    }
    completeJoin(*group);
}

void GroupManager::tryCompleteJoin(Group& group) {
    if (group.phase != GroupPhase::PreparingRebalance || group.initialDelay) {
        return;
    }
    const bool allJoined = group.pendingMembers.empty() &&
                           std::all_of(group.members.begin(), group.members.end(),
                                       [](const auto& kv) { return bool(kv.second.awaitingJoin); });
    if (allJoined) {
        completeJoin(group);
    }
}

void GroupManager::completeJoin(Group& group) {
    cancelTimer(group.joinTimer);
    group.initialDelay = false;
    group.joinedDuringDelay = false;
    // Members that did not rejoin within the rebalance timeout leave the group.
    std::vector<std::string> missing;
    for (const auto& [id, member] : group.members) {
        if (!member.awaitingJoin) {
            missing.push_back(id);
        }
    }
    for (const auto& id : missing) {
        removeMember(group, id, ErrorCode::UnknownMemberId);
    }
    ++group.generationId;
    if (group.members.empty()) {
        group.protocolName.reset();
        group.leaderId.clear();
        transition(group, GroupPhase::Empty);
        if (onStore) {
            onStore(group);
        }
        return;
    }
    group.protocolName = selectProtocol(group);
    if (!group.hasMember(group.leaderId)) {
        group.leaderId = group.members.begin()->first;
    }
    transition(group, GroupPhase::CompletingRebalance);
    std::vector<std::pair<JoinCallback, JoinResult>> results;
    for (auto& [id, member] : group.members) {
        member.isNew = false;
        member.assignment.clear();
        scheduleHeartbeat(group, member);
        results.emplace_back(std::exchange(member.awaitingJoin, nullptr),
                             joinResultFor(group, member));
    }
    for (auto& [cb, r] : results) {
        cb(std::move(r));
    }
}

// ---------------------------------------------------------------------------------------------
// members leaving

void GroupManager::removeMember(Group& group, const std::string& memberId, ErrorCode reason) {
    auto node = group.members.extract(memberId);
    if (node.empty()) {
        return;
    }
    GroupMember& member = node.mapped();
    cancelTimer(member.heartbeatTimer);
    if (member.groupInstanceId) {
        auto known = group.staticMembers.find(*member.groupInstanceId);
        if (known != group.staticMembers.end() && known->second == memberId) {
            group.staticMembers.erase(known);
        }
    }
    if (group.leaderId == memberId) {
        group.leaderId.clear();
        for (const auto& [id, m] : group.members) {
            if (m.awaitingJoin) {
                group.leaderId = id;
                break;
            }
        }
        if (group.leaderId.empty() && !group.members.empty()) {
            group.leaderId = group.members.begin()->first;
        }
    }
    if (auto cb = std::exchange(member.awaitingJoin, nullptr)) {
        cb(joinError(reason, memberId));
    }
    if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
        cb(syncError(reason));
    }
}

void GroupManager::afterMemberRemoved(Group& group) {
    switch (group.phase) {
    case GroupPhase::Stable:
    case GroupPhase::CompletingRebalance:
        prepareRebalance(group);
        break;
    case GroupPhase::PreparingRebalance:
        tryCompleteJoin(group);
        break;
    case GroupPhase::Empty:
    case GroupPhase::Dead:
        break;
    }
}

void GroupManager::scheduleHeartbeat(Group& group, GroupMember& member) {
    cancelTimer(member.heartbeatTimer);
    const std::string groupId = group.groupId;
    const std::string memberId = member.memberId;
    member.heartbeatTimer =
        m_timers.schedule(std::chrono::milliseconds(std::max(member.sessionTimeoutMs, 1)),
                          [this, groupId, memberId] { onHeartbeatExpired(groupId, memberId); });
}

void GroupManager::onHeartbeatExpired(const std::string& groupId, const std::string& memberId) {
    Group* group = findMutable(groupId);
    if (group == nullptr) {
        return;
    }
    auto it = group->members.find(memberId);
    if (it == group->members.end()) {
        return;
    }
    it->second.heartbeatTimer = 0;
    if (it->second.awaitingJoin || it->second.awaitingSync) {
        // A member waiting on the coordinator is alive by definition.
        scheduleHeartbeat(*group, it->second);
        return;
    }
    removeMember(*group, memberId, ErrorCode::UnknownMemberId);
    afterMemberRemoved(*group);
}

void GroupManager::addPendingMember(Group& group, const std::string& memberId,
                                    std::int32_t sessionTimeoutMs) {
    const std::string groupId = group.groupId;
    auto& timer = group.pendingMembers[memberId];
    cancelTimer(timer);
    timer = m_timers.schedule(std::chrono::milliseconds(std::max(sessionTimeoutMs, 1)),
                              [this, groupId, memberId] {
                                  Group* g = findMutable(groupId);
                                  if (g == nullptr) {
                                      return;
                                  }
                                  auto p = g->pendingMembers.find(memberId);
                                  if (p == g->pendingMembers.end()) {
                                      return;
                                  }
                                  g->pendingMembers.erase(p);
                                  tryCompleteJoin(*g);
                              });
}

void GroupManager::removePendingMember(Group& group, std::string_view memberId) {
    auto it = group.pendingMembers.find(memberId);
    if (it != group.pendingMembers.end()) {
        cancelTimer(it->second);
        group.pendingMembers.erase(it);
    }
}

// ---------------------------------------------------------------------------------------------
// SyncGroup, Heartbeat, LeaveGroup, commits

void GroupManager::sync(std::string_view groupId, SyncParams params, SyncCallback done) {
    Group* group = findMutable(groupId);
    if (group == nullptr) {
        done(syncError(ErrorCode::UnknownMemberId));
        return;
    }
    if (group->phase == GroupPhase::Dead) {
        done(syncError(ErrorCode::CoordinatorNotAvailable));
        return;
    }
    if (params.groupInstanceId) {
        auto known = group->staticMembers.find(*params.groupInstanceId);
        if (known != group->staticMembers.end() && known->second != params.memberId) {
            done(syncError(ErrorCode::FencedInstanceId));
            return;
        }
    }
    auto it = group->members.find(params.memberId);
    if (it == group->members.end()) {
        done(syncError(ErrorCode::UnknownMemberId));
        return;
    }
    if (params.generationId != group->generationId) {
        done(syncError(ErrorCode::IllegalGeneration));
        return;
    }
    if ((params.protocolType && *params.protocolType != group->protocolType) ||
        (params.protocolName && params.protocolName != group->protocolName)) {
        done(syncError(ErrorCode::InconsistentGroupProtocol));
        return;
    }
    GroupMember& member = it->second;
    switch (group->phase) {
    case GroupPhase::Empty:
    case GroupPhase::Dead:
        done(syncError(ErrorCode::UnknownMemberId));
        return;
    case GroupPhase::PreparingRebalance:
        done(syncError(ErrorCode::RebalanceInProgress));
        return;
    case GroupPhase::Stable: {
        scheduleHeartbeat(*group, member);
        SyncResult r;
        r.protocolType = group->protocolType;
        r.protocolName = group->protocolName;
        r.assignment = member.assignment;
        done(std::move(r));
        return;
    }
    case GroupPhase::CompletingRebalance:
        break;
    }
    if (auto old = std::exchange(member.awaitingSync, nullptr)) {
        old(syncError(ErrorCode::RebalanceInProgress));
    }
    member.awaitingSync = std::move(done);
    scheduleHeartbeat(*group, member);
    if (params.memberId != group->leaderId) {
        return; // followers wait for the leader's assignment
    }
    for (auto& [id, m] : group->members) {
        m.assignment.clear();
    }
    for (auto& [id, assignment] : params.assignments) {
        auto target = group->members.find(id);
        if (target != group->members.end()) {
            target->second.assignment = std::move(assignment);
        }
    }
    if (onStore) {
        onStore(*group);
    }
    transition(*group, GroupPhase::Stable);
    completeSyncWaiters(*group);
}

ErrorCode GroupManager::heartbeat(std::string_view groupId, std::string_view memberId,
                                  const std::optional<std::string>& groupInstanceId,
                                  std::int32_t generationId) {
    Group* group = findMutable(groupId);
    if (group == nullptr) {
        return ErrorCode::UnknownMemberId;
    }
    if (group->phase == GroupPhase::Dead) {
        return ErrorCode::CoordinatorNotAvailable;
    }
    if (groupInstanceId) {
        auto known = group->staticMembers.find(*groupInstanceId);
        if (known != group->staticMembers.end() && known->second != memberId) {
            return ErrorCode::FencedInstanceId;
        }
    }
    auto it = group->members.find(memberId);
    if (it == group->members.end()) {
        return ErrorCode::UnknownMemberId;
    }
    if (generationId != group->generationId) {
        return ErrorCode::IllegalGeneration;
    }
    switch (group->phase) {
    case GroupPhase::Empty:
    case GroupPhase::Dead:
        return ErrorCode::UnknownMemberId;
    case GroupPhase::PreparingRebalance:
        scheduleHeartbeat(*group, it->second);
        return ErrorCode::RebalanceInProgress;
    case GroupPhase::CompletingRebalance:
    case GroupPhase::Stable:
        scheduleHeartbeat(*group, it->second);
        return ErrorCode::None;
    }
    return ErrorCode::None;
}

LeaveResult GroupManager::leave(std::string_view groupId, const std::vector<LeavingMember>& members) {
    LeaveResult result;
    Group* group = findMutable(groupId);
    if (group == nullptr) {
        result.members.assign(members.size(), ErrorCode::UnknownMemberId);
        return result;
    }
    if (group->phase == GroupPhase::Dead) {
        result.error = ErrorCode::CoordinatorNotAvailable;
        result.members.assign(members.size(), ErrorCode::CoordinatorNotAvailable);
        return result;
    }
    bool changed = false;
    for (const auto& leaving : members) {
        if (leaving.groupInstanceId) {
            auto known = group->staticMembers.find(*leaving.groupInstanceId);
            if (known == group->staticMembers.end()) {
                result.members.push_back(ErrorCode::UnknownMemberId);
            } else if (!leaving.memberId.empty() && known->second != leaving.memberId) {
                result.members.push_back(ErrorCode::FencedInstanceId);
            } else {
                const std::string memberId = known->second;
                removeMember(*group, memberId, ErrorCode::UnknownMemberId);
                result.members.push_back(ErrorCode::None);
                changed = true;
            }
            continue;
        }
        if (group->pendingMembers.contains(leaving.memberId)) {
            removePendingMember(*group, leaving.memberId);
            result.members.push_back(ErrorCode::None);
            changed = true;
        } else if (!group->hasMember(leaving.memberId)) {
            result.members.push_back(ErrorCode::UnknownMemberId);
        } else {
            removeMember(*group, leaving.memberId, ErrorCode::UnknownMemberId);
            result.members.push_back(ErrorCode::None);
            changed = true;
        }
    }
    if (changed) {
        afterMemberRemoved(*group);
    }
    return result;
}

ErrorCode GroupManager::validateCommit(std::string_view groupId, std::string_view memberId,
                                       const std::optional<std::string>& groupInstanceId,
                                       std::int32_t generationId) {
    Group* group = findMutable(groupId);
    if (group == nullptr) {
        if (generationId < 0) {
            getOrCreate(groupId); // a group that does not use group management
            return ErrorCode::None;
        }
        return ErrorCode::IllegalGeneration;
    }
    if (group->phase == GroupPhase::Dead) {
        return ErrorCode::CoordinatorNotAvailable;
    }
    if (generationId < 0 && group->phase == GroupPhase::Empty) {
        return ErrorCode::None;
    }
    if (groupInstanceId) {
        auto known = group->staticMembers.find(*groupInstanceId);
        if (known != group->staticMembers.end() && known->second != memberId) {
            return ErrorCode::FencedInstanceId;
        }
    }
    auto it = group->members.find(memberId);
    if (it == group->members.end()) {
        return ErrorCode::UnknownMemberId;
    }
    if (generationId != group->generationId) {
        return ErrorCode::IllegalGeneration;
    }
    if (group->phase == GroupPhase::CompletingRebalance) {
        return ErrorCode::RebalanceInProgress;
    }
    scheduleHeartbeat(*group, it->second);
    return ErrorCode::None;
}

// ---------------------------------------------------------------------------------------------
// deletion, loading, shutdown

ErrorCode GroupManager::deleteGroup(std::string_view groupId) {
    Group* group = findMutable(groupId);
    if (group == nullptr || group->phase == GroupPhase::Dead) {
        return ErrorCode::GroupIdNotFound;
    }
    if (group->phase != GroupPhase::Empty || !group->members.empty()) {
        return ErrorCode::NonEmptyGroup;
    }
    transition(*group, GroupPhase::Dead);
    unload(groupId);
    return ErrorCode::None;
}

void GroupManager::unload(std::string_view groupId) {
    auto it = m_groups.find(groupId);
    if (it == m_groups.end()) {
        return;
    }
    Group group = std::move(it->second);
    m_groups.erase(it);
    cancelTimer(group.joinTimer);
    for (auto& [id, timer] : group.pendingMembers) {
        cancelTimer(timer);
    }
    for (auto& [id, member] : group.members) {
        cancelTimer(member.heartbeatTimer);
        if (auto cb = std::exchange(member.awaitingJoin, nullptr)) {
            cb(joinError(ErrorCode::NotCoordinator, id));
        }
        if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
            cb(syncError(ErrorCode::NotCoordinator));
        }
    }
}

void GroupManager::restore(const GroupSnapshot& snapshot) {
    unload(snapshot.groupId);
    Group& group = getOrCreate(snapshot.groupId);
    group.protocolType = snapshot.protocolType;
    group.generationId = snapshot.generationId;
    group.protocolName = snapshot.protocolName;
    group.leaderId = snapshot.leaderId.value_or(std::string{});
    for (const auto& m : snapshot.members) {
        GroupMember member;
        member.memberId = m.memberId;
        member.groupInstanceId = m.groupInstanceId;
        member.clientId = m.clientId;
        member.clientHost = m.clientHost;
        member.sessionTimeoutMs = m.sessionTimeoutMs;
        member.rebalanceTimeoutMs = m.rebalanceTimeoutMs;
        member.protocolType = snapshot.protocolType;
        if (snapshot.protocolName) {
            member.protocols.push_back(GroupProtocol{*snapshot.protocolName, m.subscription});
        }
        member.assignment = m.assignment;
        if (member.groupInstanceId) {
            group.staticMembers[*member.groupInstanceId] = member.memberId;
        }
        group.members.emplace(m.memberId, std::move(member));
    }
    transition(group, group.members.empty() ? GroupPhase::Empty : GroupPhase::Stable);
    if (snapshot.currentStateTimestamp >= 0) {
        group.currentStateTimestamp = snapshot.currentStateTimestamp;
    }
    if (!group.members.empty() && !group.hasMember(group.leaderId)) {
        group.leaderId = group.members.begin()->first;
    }
    for (auto& [id, member] : group.members) {
        scheduleHeartbeat(group, member);
    }
}

void GroupManager::shutdown(ErrorCode error) {
    std::vector<std::string> ids;
    for (const auto& [id, group] : m_groups) {
        ids.push_back(id);
    }
    for (const auto& id : ids) {
        auto it = m_groups.find(id);
        Group group = std::move(it->second);
        m_groups.erase(it);
        cancelTimer(group.joinTimer);
        for (auto& [mid, timer] : group.pendingMembers) {
            cancelTimer(timer);
        }
        for (auto& [mid, member] : group.members) {
            cancelTimer(member.heartbeatTimer);
            if (auto cb = std::exchange(member.awaitingJoin, nullptr)) {
                cb(joinError(error, mid));
            }
            if (auto cb = std::exchange(member.awaitingSync, nullptr)) {
                cb(syncError(error));
            }
        }
    }
}

} // namespace faultline::broker
