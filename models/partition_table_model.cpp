#include "models/partition_table_model.h"

namespace faultline::models {

namespace {

template <typename Entry>
int compareEntries(const Entry& a, const Entry& b)
{
    return compareKeys(a.row->partition, b.row->partition);
}

qint64 leaderSize(const PartitionRow& p)
{
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

QString replicaSizes(const PartitionRow& p, bool exact)
{
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

PartitionTableModel::PartitionTableModel(QObject* parent) : QAbstractTableModel(parent) {}

std::vector<PartitionTableModel::Entry>
PartitionTableModel::entriesFor(const SnapshotPtr& snapshot) const
{
    std::vector<Entry> entries;
    const TopicRow* topic = snapshot && !m_topic.isEmpty() ? snapshot->topic(m_topic) : nullptr;
    if (topic == nullptr) {
        return entries;
    }
    entries.reserve(static_cast<std::size_t>(topic->partitions.size()));
    for (const PartitionRow& partition : topic->partitions) {
        entries.push_back({&partition});
    }
    ensureSortedByKey(entries, compareEntries<Entry>);
    return entries;
}

void PartitionTableModel::setSnapshot(SnapshotPtr snapshot)
{
    std::vector<Entry> next = entriesFor(snapshot);
    const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
    ModelDiffSignals<PartitionTableModel> sink(*this);
    applyKeyedDiff(m_rows, std::move(next), compareEntries<Entry>, &changedColumns, sink);
}

void PartitionTableModel::setTopic(const QString& topic)
{
    if (topic == m_topic) {
        return;
    }
    beginResetModel();
    m_topic = topic;
    m_rows = entriesFor(m_snapshot);
    endResetModel();
}

int PartitionTableModel::rowForPartition(std::int32_t partition) const
{
    const auto it = std::lower_bound(
        m_rows.begin(), m_rows.end(), partition,
        [](const Entry& e, std::int32_t key) { return e.row->partition < key; });
    return it != m_rows.end() && it->row->partition == partition
               ? static_cast<int>(it - m_rows.begin())
               : -1;
}

const PartitionRow* PartitionTableModel::partitionAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].row : nullptr;
}

int PartitionTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int PartitionTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PartitionTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    return cell(m_rows[static_cast<std::size_t>(index.row())], index.column(), role);
}

RowHealth PartitionTableModel::health(const Entry& entry)
{
    if (entry.row->offline()) {
        return RowHealth::Offline;
    }
    return entry.row->underReplicated() ? RowHealth::UnderReplicated : RowHealth::Normal;
}

QVariant PartitionTableModel::cell(const Entry& entry, int column, int role)
{
    const PartitionRow& p = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case PartitionColumn: return QString::number(p.partition);
        case LeaderColumn: return formatBrokerId(p.leader);
        case ReplicasColumn: return formatBrokerList(p.replicas, p.leader);
        case IsrColumn: return formatBrokerList(p.isr);
        case OfflineReplicasColumn:
            return p.offlineReplicas.isEmpty() ? QString() : formatBrokerList(p.offlineReplicas);
        case LogStartColumn: return formatCount(p.logStartOffset);
        case LogEndColumn: return formatCount(p.logEndOffset);
        case MessagesColumn: return formatCount(p.messageCount());
        case ReplicaSizeColumn: return replicaSizes(p, false);
        default: return {};
        }
    case SortRole:
        switch (column) {
        case PartitionColumn: return p.partition;
        case LeaderColumn: return p.leader;
        case ReplicasColumn: return static_cast<int>(p.replicas.size());
        case IsrColumn: return static_cast<int>(p.isr.size());
        case OfflineReplicasColumn: return static_cast<int>(p.offlineReplicas.size());
        case LogStartColumn: return p.logStartOffset;
        case LogEndColumn: return p.logEndOffset;
        case MessagesColumn: return p.messageCount();
        case ReplicaSizeColumn: return leaderSize(p);
        default: return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case LeaderColumn:
            if (p.offline()) {
                return tr("Offline: no leader");
            }
            return p.leaderEpoch >= 0 ? QVariant(tr("Leader epoch %1").arg(p.leaderEpoch)) : QVariant();
        case ReplicasColumn:
            return p.replicas.isEmpty()
                       ? QVariant()
                       : QVariant(tr("Preferred leader: %1").arg(p.replicas.front()));
        case IsrColumn:
            return p.underReplicated()
                       ? QVariant(tr("Under-replicated: %1 of %2 replicas in sync")
                                      .arg(p.isr.size())
                                      .arg(p.replicas.size()))
                       : QVariant();
        case ReplicaSizeColumn: {
            const QString exact = replicaSizes(p, true);
            return exact.isEmpty() ? QVariant() : QVariant(exact);
        }
        default: return {};
        }
    case Qt::TextAlignmentRole:
        switch (column) {
        case PartitionColumn:
        case LeaderColumn:
        case LogStartColumn:
        case LogEndColumn:
        case MessagesColumn: return numericAlignment();
        default: return {};
        }
    case Qt::ForegroundRole: return healthForeground(health(entry));
    case Qt::BackgroundRole: return healthBackground(health(entry));
    case HealthRole: return static_cast<int>(health(entry));
    case KeyRole: return p.partition;
    default: return {};
    }
}

IndexSpan PartitionTableModel::changedColumns(const Entry& before, const Entry& after)
{
    if (*before.row == *after.row) {
        return {};
    }
    if (health(before) != health(after)) {
        return {0, ColumnCount - 1};
    }
    return differingCells(ColumnCount, before, after, &cell);
}

QVariant PartitionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case PartitionColumn: return tr("Partition");
        case LeaderColumn: return tr("Leader");
        case ReplicasColumn: return tr("Replicas");
        case IsrColumn: return tr("ISR");
        case OfflineReplicasColumn: return tr("Offline replicas");
        case LogStartColumn: return tr("Log start");
        case LogEndColumn: return tr("Log end");
        case MessagesColumn: return tr("Messages");
        case ReplicaSizeColumn: return tr("Size per replica");
        default: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case ReplicasColumn: return tr("Replica set; (L) marks the current leader");
        case IsrColumn: return tr("In-sync replicas");
        case LogEndColumn: return tr("High watermark, as consumers see it");
        case ReplicaSizeColumn: return tr("broker: size, from DescribeLogDirs");
        default: break;
        }
    }
    return {};
}

} // namespace faultline::models
