// An immutable picture of one cluster at one moment, built by a ClusterSession on its worker thread
// and handed to the UI by signal as std::shared_ptr<const ClusterSnapshot>. Plain values only.
#pragma once

#include <QDateTime>
#include <QHash>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

#include <cstdint>
#include <memory>

namespace faultline::models {

enum class BrokerStatus { Up, Down };

struct BrokerRow {
    std::int32_t id = -1;
    QString host;
    int port = 0;
    QString rack;            // as advertised; empty when none
    int faultDomain = -1;    // parsed from the rack (RackPattern); -1 unknown
    int updateDomain = -1;
    bool controller = false;
    BrokerStatus status = BrokerStatus::Up; // Down: a replica holder missing from Metadata
    int leaderCount = 0;     // partitions it leads
    int replicaCount = 0;    // replicas it hosts
    qint64 diskBytes = -1;   // sum of its replicas' sizes (DescribeLogDirs); -1 unknown
    friend bool operator==(const BrokerRow&, const BrokerRow&) = default;
};

struct PartitionRow {
    std::int32_t partition = 0;
    std::int32_t leader = -1;            // -1 offline
    std::int32_t leaderEpoch = -1;
    QVector<std::int32_t> replicas;      // replicas[0] is the preferred leader
    QVector<std::int32_t> isr;
    QVector<std::int32_t> offlineReplicas;
    qint64 logStartOffset = -1;          // -1 unknown
    qint64 logEndOffset = -1;            // high watermark as consumers see it
    QHash<std::int32_t, qint64> replicaSizeBytes; // broker -> bytes (DescribeLogDirs)
    [[nodiscard]] bool offline() const { return leader < 0; }
    [[nodiscard]] bool underReplicated() const { return isr.size() < replicas.size(); }
    [[nodiscard]] bool underMinIsr(int minIsr) const { return !offline() && isr.size() < minIsr; }
    [[nodiscard]] qint64 messageCount() const {
        return logStartOffset >= 0 && logEndOffset >= 0 ? logEndOffset - logStartOffset : -1;
    }
    friend bool operator==(const PartitionRow&, const PartitionRow&) = default;
};

struct TopicRow {
    QString name;
    QString topicId;                     // base64 as Kafka prints it; empty if unknown
    bool internal = false;
    int minInsyncReplicas = 1;           // effective min.insync.replicas when known
    QVector<PartitionRow> partitions;    // by partition id
    [[nodiscard]] int replicationFactor() const {
        return partitions.isEmpty() ? 0 : static_cast<int>(partitions.front().replicas.size());
    }
    [[nodiscard]] int underReplicatedCount() const;
    [[nodiscard]] int offlineCount() const;
    [[nodiscard]] int underMinIsrCount() const;
    [[nodiscard]] qint64 sizeBytes() const;    // sum over partitions' leader replica sizes; -1 unknown
    [[nodiscard]] qint64 messageCount() const; // sum of (end - start); -1 unknown
    friend bool operator==(const TopicRow&, const TopicRow&) = default;
};

struct GroupMemberRow {
    QString memberId;
    QString groupInstanceId;
    QString clientId;
    QString host;
    QVector<QPair<QString, std::int32_t>> assignment; // decoded consumer-protocol assignment
    friend bool operator==(const GroupMemberRow&, const GroupMemberRow&) = default;
};

struct GroupOffsetRow {
    QString topic;
    std::int32_t partition = 0;
    qint64 committedOffset = -1; // -1: nothing committed
    qint64 endOffset = -1;
    QString memberId;            // the member assigned this partition, if any
    QString metadata;
    [[nodiscard]] qint64 lag() const {
        return committedOffset >= 0 && endOffset >= 0 ? std::max<qint64>(0, endOffset - committedOffset) : -1;
    }
    friend bool operator==(const GroupOffsetRow&, const GroupOffsetRow&) = default;
};

struct GroupRow {
    QString groupId;
    QString state;          // Kafka's names: Stable, Empty, PreparingRebalance, ...
    QString protocolType;   // "consumer" for consumer groups
    QString protocol;       // assignor, e.g. "range"
    std::int32_t coordinator = -1;
    QVector<GroupMemberRow> members;
    QVector<GroupOffsetRow> offsets; // by topic, partition
    [[nodiscard]] qint64 totalLag() const; // -1 when no offsets are known
    friend bool operator==(const GroupRow&, const GroupRow&) = default;
};

// One step of the refresh that built a snapshot: its name ("metadata", "list_offsets", "log_dirs",
// "configs", "groups", "offset_fetch"), how many requests it sent, how long it took on the
// worker thread (wall time, connecting included) and the worker's CPU time in it (encoding,
// decoding, building rows); the rest is waiting for the brokers. Kept for logs and the
// first-view benchmark.
struct RefreshPhase {
    QString name;
    int requests = 0;
    qint64 elapsedUs = 0;
    qint64 cpuUs = 0;
};

struct ClusterSnapshot {
    quint64 generation = 0;      // the session's generation: bumps on reconnect / cluster switch
    quint64 sequence = 0;        // bumps on every refresh
    QDateTime takenAt;
    QString clusterId;
    std::int32_t controllerId = -1;
    QVector<BrokerRow> brokers;  // by id
    QVector<TopicRow> topics;    // by name
    QVector<GroupRow> groups;    // by group id
    QStringList warnings;        // partial failures: "DescribeLogDirs unsupported by broker 3", ...
    QVector<RefreshPhase> phases; // the refresh's steps, in the order they ran

    [[nodiscard]] const TopicRow* topic(const QString& name) const;   // binary search by name
    [[nodiscard]] const BrokerRow* broker(std::int32_t id) const;
    [[nodiscard]] const GroupRow* group(const QString& id) const;
    [[nodiscard]] int partitionCount() const;
    [[nodiscard]] int underReplicatedCount() const;
    [[nodiscard]] int offlineCount() const;
    [[nodiscard]] int underMinIsrCount() const;
    [[nodiscard]] qint64 totalDiskBytes() const; // -1 unknown
    [[nodiscard]] const RefreshPhase* phase(const QString& name) const; // null if it did not run
};

using SnapshotPtr = std::shared_ptr<const ClusterSnapshot>;

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::SnapshotPtr)
