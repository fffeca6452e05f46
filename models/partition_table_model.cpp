#include "models/partition_table_model.h"

namespace faultline::models {

namespace {

int compareEntries(const PartitionTableEntry& a, const PartitionTableEntry& b) {
    return compareKeys(a.row->partition, b.row->partition);
}

qint64 leaderSize(const PartitionRow& p) {
    const auto it = p.replicaSizeBytes.constFind(p.leader);
    if (it != p.replicaSizeBytes.constEnd()) {
        return *it;
    }
    qint64 largest = -1;
    for (const qint64 size : p.replicaSizeBytes) {
        largest = std::max(largest, size);
    }
    return largest;
}

QString replicaSizes(const PartitionRow& p, bool exact) {
    if (p.replicaSizeBytes.isEmpty()) {
        return exact ? QString() : unknownText();
    }
    QString text;
    for (const std::int32_t broker : p.replicas) {
        if (!text.isEmpty()) {
            text += exact ? QLatin1String("\n") : QLatin1String(", ");
        }
        const auto it = p.replicaSizeBytes.constFind(broker);
        const qint64 size = it == p.replicaSizeBytes.constEnd() ? -1 : *it;
        text += QString::number(broker);
        text += QLatin1String(": ");
        text += exact ? (size < 0 ? unknownText() : QString::number(size) + QLatin1String(" bytes"))
                      : formatBytes(size);
    }
    return text;
}

} // namespace

std::span<const ColumnSpec> PartitionTableModel::columns() {
    static const ColumnSpec columns[] = {
        {QT_TR_NOOP("Partition"), nullptr, true},
        {QT_TR_NOOP("Leader"), nullptr, true},
        {QT_TR_NOOP("Replicas"), QT_TR_NOOP("Replica set; (L) marks the current leader")},
        {QT_TR_NOOP("ISR"), QT_TR_NOOP("In-sync replicas")},
        {QT_TR_NOOP("Offline replicas")},
        {QT_TR_NOOP("Log start"), nullptr, true},
        {QT_TR_NOOP("Log end"), QT_TR_NOOP("High watermark, as consumers see it"), true},
        {QT_TR_NOOP("Messages"), nullptr, true},
        {QT_TR_NOOP("Size per replica"), QT_TR_NOOP("broker: size, from DescribeLogDirs")},
    };
    static_assert(std::size(columns) == ColumnCount);
    return columns;
}

PartitionTableModel::PartitionTableModel(QObject* parent) : SnapshotTableModel(columns(), parent) {}

std::vector<PartitionTableModel::Entry>
PartitionTableModel::entriesFor(const SnapshotPtr& snapshot) const {
    std::vector<Entry> entries;
    const TopicRow* topic = snapshot && !m_topic.isEmpty() ? snapshot->topic(m_topic) : nullptr;
    if (topic == nullptr) {
        return entries;
    }
    entries.reserve(static_cast<std::size_t>(topic->partitions.size()));
    for (const PartitionRow& partition : topic->partitions) {
        entries.push_back({&partition});
    }
    return entries;
}

void PartitionTableModel::setSnapshot(SnapshotPtr snapshot) {
    std::vector<Entry> next = entriesFor(snapshot);
    updateRows(std::move(snapshot), std::move(next), compareEntries);
}

void PartitionTableModel::setTopic(const QString& topic) {
    if (topic == m_topic) {
        return;
    }
    m_topic = topic;
    std::vector<Entry> rows = entriesFor(snapshot());
    ensureSortedByKey(rows, compareEntries);
    resetRows(std::move(rows));
}

int PartitionTableModel::rowForPartition(std::int32_t partition) const {
    return findRow(partition, [](const Entry& e, std::int32_t key) {
        return compareKeys(e.row->partition, key);
    });
}

const PartitionRow* PartitionTableModel::partitionAt(int row) const {
    const Entry* entry = entryAt(row);
    return entry ? entry->row : nullptr;
}

RowHealth PartitionTableModel::rowHealth(const Entry& entry) const {
    if (entry.row->offline()) {
        return RowHealth::Offline;
    }
    return entry.row->underReplicated() ? RowHealth::UnderReplicated : RowHealth::Normal;
}

QVariant PartitionTableModel::cellData(const Entry& entry, int column, int role) const {
    const PartitionRow& p = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case PartitionColumn:
            return QString::number(p.partition);
        case LeaderColumn:
            return formatBrokerId(p.leader);
        case ReplicasColumn:
            return formatBrokerList(p.replicas, p.leader);
        case IsrColumn:
            return formatBrokerList(p.isr);
        case OfflineReplicasColumn:
            return p.offlineReplicas.isEmpty() ? QString() : formatBrokerList(p.offlineReplicas);
        case LogStartColumn:
            return formatCount(p.logStartOffset);
        case LogEndColumn:
            return formatCount(p.logEndOffset);
        case MessagesColumn:
            return formatCount(p.messageCount());
        case ReplicaSizeColumn:
            return replicaSizes(p, false);
        default:
            return {};
        }
    case SortRole:
        switch (column) {
        case PartitionColumn:
            return p.partition;
        case LeaderColumn:
            return p.leader;
        case ReplicasColumn:
            return static_cast<int>(p.replicas.size());
        case IsrColumn:
            return static_cast<int>(p.isr.size());
        case OfflineReplicasColumn:
            return static_cast<int>(p.offlineReplicas.size());
        case LogStartColumn:
            return p.logStartOffset;
        case LogEndColumn:
            return p.logEndOffset;
        case MessagesColumn:
            return p.messageCount();
        case ReplicaSizeColumn:
            return leaderSize(p);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case LeaderColumn:
            if (p.offline()) {
                return tr("Offline: no leader");
            }
            return p.leaderEpoch >= 0 ? QVariant(tr("Leader epoch %1").arg(p.leaderEpoch))
                                      : QVariant();
        case ReplicasColumn:
            return p.replicas.isEmpty()
                       ? QVariant()
                       : QVariant(tr("Preferred leader: %1").arg(p.replicas.front()));
        case IsrColumn:
            return p.underReplicated() ? QVariant(tr("Under-replicated: %1 of %2 replicas in sync")
                                                      .arg(p.isr.size())
                                                      .arg(p.replicas.size()))
                                       : QVariant();
        case ReplicaSizeColumn: {
            const QString exact = replicaSizes(p, true);
            return exact.isEmpty() ? QVariant() : QVariant(exact);
        }
        default:
            return {};
        }
    case KeyRole:
        return p.partition;
    default:
        return {};
    }
}

bool PartitionTableModel::sameContent(const Entry& before, const Entry& after) const {
    return *before.row == *after.row;
}

} // namespace faultline::models
