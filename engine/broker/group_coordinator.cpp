#include "engine/broker/group_coordinator.h"

#include "engine/broker/cluster.h"
#include "engine/broker/offsets_codec.h"
#include "engine/broker/partition.h"
#include "engine/protocol/records.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <set>
#include <span>

namespace faultline::broker {

using protocol::ErrorCode;
using protocol::makeError;

std::int32_t javaStringHashCode(std::string_view utf8) {
    std::uint32_t h = 0;
    const auto unit = [&h](std::uint32_t u) { h = 31 * h + u; };
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        std::uint32_t cp = c;
        std::size_t len = 1;
        if (c >= 0xF0) {
            len = 4;
            cp = c & 0x07u;
        } else if (c >= 0xE0) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xC0) {
            len = 2;
            cp = c & 0x1Fu;
        }
        if (len > 1) {
            if (i + len > utf8.size()) {
                // Truncated sequence: Java's decoder would give U+FFFD for it.
                unit(0xFFFD);
                break;
            }
            for (std::size_t k = 1; k < len; ++k) {
                cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
            }
        }
        i += len;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        } else {
            unit(cp);
        }
    }
    return static_cast<std::int32_t>(h);
}

namespace {

const std::map<TopicPartitionKey, CommittedOffset> kNoOffsets;

} // namespace

struct GroupCoordinator::Impl final : GroupTimers {
    explicit Impl(Cluster& c) : cluster(c), manager(*this, GroupConfig{}) {
        manager.onStore = [this](const Group& group) { storeGroup(group); };
    }

    std::int64_t nowMs() const override { return cluster.nowMs(); }
    std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) override {
        return cluster.schedule(delay, std::move(fn));
    }
    void cancel(std::uint64_t id) override { cluster.cancelTimer(id); }

    void refreshConfig() {
        GroupConfig config;
        config.minSessionTimeoutMs =
            static_cast<std::int32_t>(cluster.brokerConfigInt("group.min.session.timeout.ms"));
        config.maxSessionTimeoutMs =
            static_cast<std::int32_t>(cluster.brokerConfigInt("group.max.session.timeout.ms"));
        config.initialRebalanceDelayMs =
            static_cast<std::int32_t>(cluster.brokerConfigInt("group.initial.rebalance.delay.ms"));
        const std::int64_t maxSize = cluster.brokerConfigInt("group.max.size");
        config.maxSize = maxSize > 0 ? static_cast<std::int32_t>(std::min<std::int64_t>(maxSize, INT32_MAX))
                                     : INT32_MAX;
        if (config.maxSessionTimeoutMs <= 0) {
            config.maxSessionTimeoutMs = 1800000;
        }
        manager.setConfig(config);
    }

    std::int32_t numPartitions() const {
        if (const TopicMeta* t = cluster.topic(kConsumerOffsetsTopic); t && !t->partitions.empty()) {
            return static_cast<std::int32_t>(t->partitions.size());
        }
        const auto n = cluster.brokerConfigInt("offsets.topic.num.partitions");
        return n > 0 ? static_cast<std::int32_t>(n) : 50;
    }

    std::int32_t partitionFor(std::string_view groupId) const {
        const std::int32_t h = javaStringHashCode(groupId);
        const std::int32_t abs = h == INT32_MIN ? 0 : (h < 0 ? -h : h); // Kafka's Utils.abs
        return abs % numPartitions();
    }

    bool ensureTopic() {
        if (cluster.topic(kConsumerOffsetsTopic) != nullptr) {
            return true;
        }
        std::int64_t running = 0;
        for (const auto& b : cluster.brokers()) {
            if (cluster.isRunning(b.id)) {
                ++running;
            }
        }
        if (running == 0) {
            return false;
        }
        NewTopic topic;
        topic.name = kConsumerOffsetsTopic;
        topic.numPartitions = numPartitions();
        topic.replicationFactor = static_cast<std::int16_t>(std::max<std::int64_t>(
            1, std::min(cluster.brokerConfigInt("offsets.topic.replication.factor"), running)));
        topic.configs = {{"cleanup.policy", "compact"},
                         {"segment.bytes", "104857600"},
                         {"compression.type", "producer"}};
        auto created = cluster.createTopic(topic, false);
        if (!created) {
            if (created.error().code == ErrorCode::TopicAlreadyExists) {
                return true;
            }
            spdlog::error("cannot create {}: {} {}", kConsumerOffsetsTopic,
                          protocol::errorName(created.error().code), created.error().message);
            return false;
        }
        // Fresh partitions: their (empty) state is in memory already.
        for (const auto& p : (*created)->partitions) {
            loaded.insert(p.partition);
        }
        spdlog::info("created {} with {} partitions, replication factor {}", kConsumerOffsetsTopic,
                     topic.numPartitions, topic.replicationFactor);
        return true;
    }

    std::int32_t coordinatorFor(std::string_view groupId) {
        if (!ensureTopic()) {
            return -1;
        }
        const PartitionMeta* meta = cluster.partitionMeta(kConsumerOffsetsTopic, partitionFor(groupId));
        if (meta == nullptr || meta->leader < 0 || !cluster.isRunning(meta->leader)) {
            return -1;
        }
        return meta->leader;
    }

    // The leader replica of the group's partition, or an error for the client.
    std::expected<Partition*, protocol::Error> leaderReplica(std::string_view groupId) {
        const std::int32_t coordinator = coordinatorFor(groupId);
        if (coordinator < 0) {
            return std::unexpected(makeError(ErrorCode::CoordinatorNotAvailable,
                                             "no leader for the group's offsets partition"));
        }
        Partition* p = cluster.partition(coordinator, kConsumerOffsetsTopic, partitionFor(groupId));
        if (p == nullptr || !p->isLeader()) {
            return std::unexpected(makeError(ErrorCode::CoordinatorNotAvailable,
                                             "the coordinator's replica is not ready"));
        }
        return p;
    }

    std::expected<void, protocol::Error> append(std::string_view groupId,
                                                const std::vector<protocol::Record>& records) {
        if (records.empty()) {
            return {};
        }
        auto replica = leaderReplica(groupId);
        if (!replica) {
            return std::unexpected(replica.error());
        }
        if (auto appended = appendBatch(**replica, records); !appended) {
            spdlog::warn("append to {}-{} for group {} failed: {} {}", kConsumerOffsetsTopic,
                         (*replica)->index(), groupId, protocol::errorName(appended.error().code),
                         appended.error().message);
            return appended;
        }
        return {};
    }

    // One batch of `records` onto the leader replica `leader`.
    std::expected<void, protocol::Error> appendBatch(Partition& leader,
                                                     std::span<const protocol::Record> records) {
        protocol::BatchBuildOptions options;
        options.baseTimestamp = cluster.nowMs();
        auto batch = protocol::buildBatch(records, options);
        if (!batch) {
            return std::unexpected(batch.error());
        }
        if (auto appended = leader.appendInternal(*batch, cluster.nowMs()); !appended) {
            return std::unexpected(appended.error());
        }
        return {};
    }

    protocol::Record record(std::vector<std::uint8_t> key,
                            std::optional<std::vector<std::uint8_t>> value) const {
        protocol::Record r;
        r.timestamp = cluster.nowMs();
        r.key = std::move(key);
        r.value = std::move(value);
        return r;
    }

    // The __consumer_offsets record of one committed offset.
    protocol::Record offsetRecord(std::string_view groupId, const std::string& topic,
                                  std::int32_t partition, const CommittedOffset& committed) const {
        OffsetCommitValue value;
        value.offset = committed.offset;
        value.leaderEpoch = committed.leaderEpoch;
        value.metadata = committed.metadata;
        value.commitTimestamp = committed.commitTimestamp;
        return record(encodeOffsetCommitKey({std::string(groupId), topic, partition}),
                      encodeOffsetCommitValue(value));
    }

    void storeGroup(const Group& group) {
        GroupMetadataValue value;
        value.protocolType = group.protocolType;
        value.generation = group.generationId;
        value.protocol = group.protocolName;
        if (!group.leaderId.empty()) {
            value.leader = group.leaderId;
        }
        value.currentStateTimestamp = group.currentStateTimestamp;
        for (const auto& [id, m] : group.members) {
            GroupMemberMetadata mm;
            mm.memberId = id;
            mm.groupInstanceId = m.groupInstanceId;
            mm.clientId = m.clientId;
            mm.clientHost = m.clientHost;
            mm.rebalanceTimeout = m.rebalanceTimeoutMs;
            mm.sessionTimeout = m.sessionTimeoutMs;
            if (group.protocolName) {
                if (const auto* md = m.metadataFor(*group.protocolName)) {
                    mm.subscription = *md;
                }
            }
            mm.assignment = m.assignment;
            value.members.push_back(std::move(mm));
        }
        std::vector<protocol::Record> records;
        records.push_back(record(encodeGroupMetadataKey({group.groupId}), encodeGroupMetadataValue(value)));
        if (auto stored = append(group.groupId, records); !stored) {
            spdlog::warn("group {} generation {} not persisted: {}", group.groupId,
                         group.generationId, stored.error().message);
            return;
        }
        storedGroups[group.groupId] = std::move(value);
        compactIfWorthIt(group.groupId);
    }

    // ---- replay
    void replay(Partition& partition) {
        std::map<std::string, std::optional<GroupMetadataValue>> groupsSeen;
        std::int64_t offset = partition.logStartOffset();
        const std::int64_t end = partition.logEndOffset();
        std::size_t records = 0;
        while (offset < end) {
            auto read = partition.log().read(offset, 1 << 20, INT64_MAX, true);
            if (!read || !read->bytes || read->bytes->empty()) {
                break;
            }
            auto decoded = protocol::decodeRecords(*read->bytes);
            if (!decoded) {
                spdlog::error("{}-{}: cannot decode at offset {}: {}", kConsumerOffsetsTopic,
                              partition.index(), offset, decoded.error().message);
                break;
            }
            for (const auto& rec : *decoded) {
                if (rec.offset < offset || !rec.key) {
                    continue;
                }
                ++records;
                applyRecord(rec, groupsSeen);
            }
            if (read->nextOffset <= offset) {
                break;
            }
            offset = read->nextOffset;
        }
        for (auto& [groupId, value] : groupsSeen) {
            if (value) {
                storedGroups[groupId] = *value;
            } else {
                storedGroups.erase(groupId);
            }
            if (!value || manager.find(groupId) != nullptr) {
                continue;
            }
            GroupSnapshot s;
            s.groupId = groupId;
            s.protocolType = value->protocolType;
            s.generationId = value->generation;
            s.protocolName = value->protocol;
            s.leaderId = value->leader;
            s.currentStateTimestamp = value->currentStateTimestamp;
            for (auto& m : value->members) {
                s.members.push_back({m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                                     m.rebalanceTimeout, m.sessionTimeout, m.subscription,
                                     m.assignment});
            }
            manager.restore(s);
        }
        // Groups known only by their offsets exist too (Empty, no protocol type), as in Kafka.
        for (const auto& [groupId, map] : offsets) {
            if (!map.empty() && partitionFor(groupId) == partition.index()) {
                manager.getOrCreate(groupId);
            }
        }
        if (records > 0) {
            spdlog::info("loaded {}-{}: {} records", kConsumerOffsetsTopic, partition.index(), records);
        }
    }

    void applyRecord(const protocol::Record& rec,
                     std::map<std::string, std::optional<GroupMetadataValue>>& groupsSeen) {
        auto key = decodeOffsetsKey(*rec.key);
        if (!key) {
            return; // newer record types (consumer protocol KIP-848, share groups): not ours
        }
        if (const auto* k = std::get_if<OffsetCommitKey>(&*key)) {
            auto& groupOffsets = offsets[k->group];
            if (!rec.value) {
                groupOffsets.erase({k->topic, k->partition});
                return;
            }
            auto v = decodeOffsetCommitValue(*rec.value);
            if (!v) {
                return;
            }
            groupOffsets[{k->topic, k->partition}] =
                CommittedOffset{v->offset, v->leaderEpoch, v->metadata, v->commitTimestamp};
            return;
        }
        const auto& g = std::get<GroupMetadataKey>(*key);
        if (!rec.value) {
            groupsSeen[g.group].reset();
            offsets.erase(g.group);
            return;
        }
        if (auto v = decodeGroupMetadataValue(*rec.value)) {
            groupsSeen[g.group] = std::move(*v);
        }
    }

    // ---- compaction
    // __consumer_offsets is compacted in Kafka: only each key's latest record matters. This
    // coordinator holds every live key's latest value in memory (`offsets`, `storedGroups`), so it
    // compacts a partition by writing those values again at the log end and then moving the log
    // start to where they begin, on every replica, as DeleteRecords does. Offsets only grow and
    // nothing is lost in between: a restart before the log start moves replays the old records
    // and then the rewritten ones, which hold the same values. A reader of the topic (Burrow,
    // KMinion) finds each key's latest value after the new log start. Every replica starts a new
    // segment for the rewrite, so the old segments are deleted with the move; the replay after a
    // restart reads only the live keys and what came after them.
    //
    // Runs after a mutation has reached both the log and the in-memory maps, when the partition
    // holds at least kCompactionMinDead records more than it has live keys and at least twice as
    // many. The live keys are counted again only when enough records have come for that to be
    // possible (every record adds at most one dead one).
    static constexpr std::int64_t kCompactionMinDead = 1000;
    static constexpr std::size_t kCompactionBatchRecords = 500;

    std::int64_t liveRecords(std::int32_t partition) const {
        std::int64_t live = 0;
        for (const auto& [groupId, map] : offsets) {
            if (partitionFor(groupId) == partition) {
                live += static_cast<std::int64_t>(map.size());
            }
        }
        for (const auto& [groupId, value] : storedGroups) {
            if (partitionFor(groupId) == partition) {
                ++live;
            }
        }
        return live;
    }

    void compactIfWorthIt(std::string_view groupId) {
        const std::int32_t p = partitionFor(groupId);
        const PartitionMeta* meta = cluster.partitionMeta(kConsumerOffsetsTopic, p);
        Partition* leader = meta == nullptr || meta->leader < 0
                                ? nullptr
                                : cluster.partition(meta->leader, kConsumerOffsetsTopic, p);
        if (leader == nullptr || !leader->isLeader() || !loaded.contains(p)) {
            return;
        }
        const std::int64_t records = leader->logEndOffset() - leader->logStartOffset();
        std::int64_t& next = nextCompactionCheck[p];
        if (records < next) {
            return;
        }
        const std::int64_t live = liveRecords(p);
        const std::int64_t dead = records - live;
        if (dead >= kCompactionMinDead && dead >= live) {
            compact(*leader, *meta);
            const std::int64_t left = leader->logEndOffset() - leader->logStartOffset();
            next = left + std::max(kCompactionMinDead, live);
        } else {
            // Each record adds at most one dead record: no need to count again before then.
            next = records + std::max({kCompactionMinDead - dead, live - dead, std::int64_t{1}});
        }
    }

    void compact(Partition& leader, const PartitionMeta& meta) {
        const std::int32_t p = leader.index();
        std::vector<protocol::Record> live;
        for (const auto& [groupId, value] : storedGroups) {
            if (partitionFor(groupId) == p) {
                live.push_back(record(encodeGroupMetadataKey({groupId}), encodeGroupMetadataValue(value)));
            }
        }
        for (const auto& [groupId, map] : offsets) {
            if (partitionFor(groupId) != p) {
                continue;
            }
            for (const auto& [tp, committed] : map) {
                live.push_back(offsetRecord(groupId, tp.first, tp.second, committed));
            }
        }
        // A new segment on every replica first: the live records go there, and moving the log
        // start then deletes the segments before it (else they would wait for segment.bytes).
        for (auto b : meta.replicas) {
            if (Partition* replica = cluster.partition(b, kConsumerOffsetsTopic, p)) {
                if (auto rolled = replica->log().rollNow(); !rolled) {
                    spdlog::warn("compacting {}-{} on broker {}: {}", kConsumerOffsetsTopic, p, b,
                                 rolled.error().message);
                }
            }
        }
        const std::int64_t previousStart = leader.logStartOffset();
        const std::int64_t liveStart = leader.logEndOffset();
        for (std::size_t from = 0; from < live.size(); from += kCompactionBatchRecords) {
            const std::size_t n = std::min(kCompactionBatchRecords, live.size() - from);
            if (auto appended = appendBatch(leader, std::span(live).subspan(from, n)); !appended) {
                spdlog::warn("compacting {}-{}: rewriting the live records failed: {} {}",
                             kConsumerOffsetsTopic, p, protocol::errorName(appended.error().code),
                             appended.error().message);
                return; // what was written holds current values: harmless
            }
        }
        // Never past the high watermark, as DeleteRecords: the rewrite is what a new leader
        // would have to start from.
        (void)cluster.deleteRecordsBefore(kConsumerOffsetsTopic, p,
                                          std::min(liveStart, leader.highWatermark()),
                                          leader.brokerId()); // failures are logged
        spdlog::info("compacted {}-{}: {} live records rewritten at offset {}, log start {} -> {}",
                     kConsumerOffsetsTopic, p, live.size(), liveStart, previousStart,
                     leader.logStartOffset());
    }

    Cluster& cluster;
    GroupManager manager;
    std::map<std::string, std::map<TopicPartitionKey, CommittedOffset>, std::less<>> offsets;
    // The last stored metadata of every group whose metadata record is live.
    std::map<std::string, GroupMetadataValue, std::less<>> storedGroups;
    std::set<std::int32_t> loaded;
    std::map<std::int32_t, std::int64_t> nextCompactionCheck; // records in the log, per partition
};

GroupCoordinator::GroupCoordinator(Cluster& cluster) : m_impl(std::make_unique<Impl>(cluster)) {}

GroupCoordinator::~GroupCoordinator() = default;

void GroupCoordinator::loadPartition(Partition& partition) {
    if (!m_impl->loaded.insert(partition.index()).second) {
        return; // this process holds the partition's state already
    }
    m_impl->refreshConfig();
    m_impl->replay(partition);
}

std::int32_t GroupCoordinator::partitionFor(std::string_view groupId) const {
    return m_impl->partitionFor(groupId);
}

std::int32_t GroupCoordinator::coordinatorFor(std::string_view groupId) {
    return m_impl->coordinatorFor(groupId);
}

void GroupCoordinator::shutdown() { m_impl->manager.shutdown(ErrorCode::NotCoordinator); }

ErrorCode GroupCoordinator::checkCoordinator(std::string_view groupId, std::int32_t brokerId) {
    if (groupId.empty()) {
        return ErrorCode::InvalidGroupId;
    }
    const std::int32_t coordinator = m_impl->coordinatorFor(groupId);
    if (coordinator < 0) {
        return ErrorCode::CoordinatorNotAvailable;
    }
    if (coordinator != brokerId) {
        return ErrorCode::NotCoordinator;
    }
    Partition* p = m_impl->cluster.partition(brokerId, kConsumerOffsetsTopic, partitionFor(groupId));
    if (p == nullptr || !p->isLeader()) {
        return ErrorCode::CoordinatorNotAvailable;
    }
    if (!m_impl->loaded.contains(p->index())) {
        loadPartition(*p);
    }
    return ErrorCode::None;
}

GroupManager& GroupCoordinator::groups() {
    m_impl->refreshConfig();
    return m_impl->manager;
}

std::expected<void, protocol::Error>
GroupCoordinator::commitOffsets(std::string_view groupId, const std::vector<OffsetToCommit>& offsets) {
    std::vector<protocol::Record> records;
    records.reserve(offsets.size());
    for (const auto& o : offsets) {
        records.push_back(m_impl->offsetRecord(groupId, o.topic, o.partition, o.value));
    }
    if (auto appended = m_impl->append(groupId, records); !appended) {
        return appended;
    }
    auto it = m_impl->offsets.find(groupId);
    if (it == m_impl->offsets.end()) {
        it = m_impl->offsets.emplace(std::string(groupId), std::map<TopicPartitionKey, CommittedOffset>{})
                 .first;
    }
    for (const auto& o : offsets) {
        it->second[{o.topic, o.partition}] = o.value;
    }
    m_impl->compactIfWorthIt(groupId);
    return {};
}

std::optional<CommittedOffset> GroupCoordinator::committed(std::string_view groupId,
                                                           std::string_view topic,
                                                           std::int32_t partition) const {
    auto it = m_impl->offsets.find(groupId);
    if (it == m_impl->offsets.end()) {
        return std::nullopt;
    }
    auto o = it->second.find({std::string(topic), partition});
    if (o == it->second.end()) {
        return std::nullopt;
    }
    return o->second;
}

const std::map<TopicPartitionKey, CommittedOffset>&
GroupCoordinator::committedOffsets(std::string_view groupId) const {
    auto it = m_impl->offsets.find(groupId);
    return it == m_impl->offsets.end() ? kNoOffsets : it->second;
}

std::expected<void, protocol::Error>
GroupCoordinator::deleteOffsets(std::string_view groupId, const std::vector<TopicPartitionKey>& partitions) {
    auto it = m_impl->offsets.find(groupId);
    if (it == m_impl->offsets.end()) {
        return {};
    }
    std::vector<protocol::Record> records;
    for (const auto& tp : partitions) {
        if (it->second.contains(tp)) {
            records.push_back(m_impl->record(
                encodeOffsetCommitKey({std::string(groupId), tp.first, tp.second}), std::nullopt));
        }
    }
    if (auto appended = m_impl->append(groupId, records); !appended) {
        return appended;
    }
    for (const auto& tp : partitions) {
        it->second.erase(tp);
    }
    m_impl->compactIfWorthIt(groupId);
    return {};
}

ErrorCode GroupCoordinator::deleteGroup(std::string_view groupId) {
    GroupManager& manager = m_impl->manager;
    const Group* group = manager.find(groupId);
    const auto& offsets = committedOffsets(groupId);
    if (group == nullptr && offsets.empty()) {
        return ErrorCode::GroupIdNotFound;
    }
    if (group != nullptr && (group->phase != GroupPhase::Empty || !group->members.empty())) {
        return group->phase == GroupPhase::Dead ? ErrorCode::GroupIdNotFound : ErrorCode::NonEmptyGroup;
    }
    std::vector<protocol::Record> records;
    for (const auto& [tp, value] : offsets) {
        records.push_back(m_impl->record(
            encodeOffsetCommitKey({std::string(groupId), tp.first, tp.second}), std::nullopt));
    }
    records.push_back(m_impl->record(encodeGroupMetadataKey({std::string(groupId)}), std::nullopt));
    if (auto appended = m_impl->append(groupId, records); !appended) {
        return appended.error().code == ErrorCode::NotLeaderOrFollower ? ErrorCode::NotCoordinator
                                                                       : ErrorCode::CoordinatorNotAvailable;
    }
    if (group != nullptr) {
        (void)manager.deleteGroup(groupId);
    }
    if (auto it = m_impl->offsets.find(groupId); it != m_impl->offsets.end()) {
        m_impl->offsets.erase(it);
    }
    if (auto it = m_impl->storedGroups.find(groupId); it != m_impl->storedGroups.end()) {
        m_impl->storedGroups.erase(it);
    }
    m_impl->compactIfWorthIt(groupId);
    return ErrorCode::None;
}

std::vector<std::string> GroupCoordinator::groupsCoordinatedBy(std::int32_t brokerId) const {
    std::vector<std::string> out;
    for (const Group* g : m_impl->manager.groups()) {
        const PartitionMeta* meta =
            m_impl->cluster.partitionMeta(kConsumerOffsetsTopic, partitionFor(g->groupId));
        if (meta != nullptr && meta->leader == brokerId) {
            out.push_back(g->groupId);
        }
    }
    return out;
}

} // namespace faultline::broker
