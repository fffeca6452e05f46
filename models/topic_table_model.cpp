#include "models/topic_table_model.h"

#include <algorithm>

namespace faultline::models {

namespace {

template <typename Entry>
int compareEntries(const Entry& a, const Entry& b)
{
    return compareKeys(a.row->name, b.row->name);
}

} // namespace

TopicTableModel::TopicTableModel(QObject* parent) : QAbstractTableModel(parent) {}

TopicTableModel::Entry TopicTableModel::makeEntry(const TopicRow& topic)
{
    // One pass over the partitions (this runs for every topic on every refresh, on the UI thread).
    // Same rules as TopicRow::underReplicatedCount / offlineCount / sizeBytes / messageCount.
    Entry entry;
    entry.row = &topic;
    entry.partitions = static_cast<int>(topic.partitions.size());
    entry.replicationFactor = topic.replicationFactor();
    qint64 size = 0;
    bool sizeKnown = false;
    qint64 messages = 0;
    bool messagesKnown = false;
    for (const PartitionRow& p : topic.partitions) {
        entry.underReplicated += p.underReplicated() ? 1 : 0;
        entry.offline += p.offline() ? 1 : 0;
        const qint64 count = p.messageCount();
        if (count >= 0) {
            messages += count;
            messagesKnown = true;
        }
        if (!p.replicaSizeBytes.isEmpty()) {
            const auto it = p.replicaSizeBytes.constFind(p.leader);
            if (it != p.replicaSizeBytes.constEnd()) {
                size += *it;
            } else {
                size += *std::max_element(p.replicaSizeBytes.cbegin(), p.replicaSizeBytes.cend());
            }
            sizeKnown = true;
        }
    }
    entry.sizeBytes = sizeKnown ? size : -1;
    entry.messages = messagesKnown ? messages : -1;
    return entry;
}

void TopicTableModel::setSnapshot(SnapshotPtr snapshot)
{
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->topics.size()));
        for (const TopicRow& topic : snapshot->topics) {
            next.push_back(makeEntry(topic));
        }
        ensureSortedByKey(next, compareEntries<Entry>);
    }
    const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
    ModelDiffSignals<TopicTableModel> sink(*this);
    applyKeyedDiff(m_rows, std::move(next), compareEntries<Entry>, &changedColumns, sink);
}

int TopicTableModel::rowForTopic(const QString& name) const
{
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), name,
                                     [](const Entry& e, const QString& key) {
                                         return compareKeys(e.row->name, key) < 0;
                                     });
    return it != m_rows.end() && it->row->name == name ? static_cast<int>(it - m_rows.begin()) : -1;
}

const TopicRow* TopicTableModel::topicAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].row : nullptr;
}

int TopicTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int TopicTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TopicTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    return cell(m_rows[static_cast<std::size_t>(index.row())], index.column(), role);
}

RowHealth TopicTableModel::health(const Entry& entry)
{
    if (entry.offline > 0) {
        return RowHealth::Offline;
    }
    return entry.underReplicated > 0 ? RowHealth::UnderReplicated : RowHealth::Normal;
}

QVariant TopicTableModel::cell(const Entry& entry, int column, int role)
{
    const TopicRow& t = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return t.name;
        case PartitionsColumn: return QString::number(entry.partitions);
        case ReplicationFactorColumn:
            return entry.partitions == 0 ? unknownText() : QString::number(entry.replicationFactor);
        case UnderReplicatedColumn: return QString::number(entry.underReplicated);
        case OfflineColumn: return QString::number(entry.offline);
        case SizeColumn: return formatBytes(entry.sizeBytes);
        case MessagesColumn: return formatCount(entry.messages);
        case InternalColumn: return t.internal ? tr("Yes") : QString();
        default: return {};
        }
    case SortRole:
        switch (column) {
        case NameColumn: return t.name;
        case PartitionsColumn: return entry.partitions;
        case ReplicationFactorColumn: return entry.replicationFactor;
        case UnderReplicatedColumn: return entry.underReplicated;
        case OfflineColumn: return entry.offline;
        case SizeColumn: return entry.sizeBytes;
        case MessagesColumn: return entry.messages;
        case InternalColumn: return t.internal ? 1 : 0;
        default: return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case NameColumn:
            return t.topicId.isEmpty() ? QVariant() : QVariant(tr("Topic id %1").arg(t.topicId));
        case UnderReplicatedColumn:
            return entry.underReplicated == 0
                       ? QVariant()
                       : QVariant(tr("%1 of %2 partitions have fewer in-sync replicas than replicas")
                                      .arg(entry.underReplicated)
                                      .arg(entry.partitions));
        case OfflineColumn:
            return entry.offline == 0 ? QVariant()
                                      : QVariant(tr("%1 of %2 partitions have no leader")
                                                     .arg(entry.offline)
                                                     .arg(entry.partitions));
        case SizeColumn:
            return entry.sizeBytes < 0 ? QVariant() : QVariant(tr("%1 bytes").arg(entry.sizeBytes));
        default: return {};
        }
    case Qt::TextAlignmentRole:
        return column == NameColumn || column == InternalColumn ? QVariant() : numericAlignment();
    case Qt::ForegroundRole: return healthForeground(health(entry));
    case Qt::BackgroundRole: return healthBackground(health(entry));
    case HealthRole: return static_cast<int>(health(entry));
    case KeyRole: return t.name;
    default: return {};
    }
}

IndexSpan TopicTableModel::changedColumns(const Entry& before, const Entry& after)
{
    // Everything the row shows derives from these values: comparing them is enough (and much
    // cheaper than comparing every partition).
    const TopicRow& a = *before.row;
    const TopicRow& b = *after.row;
    if (before.partitions == after.partitions
        && before.replicationFactor == after.replicationFactor
        && before.underReplicated == after.underReplicated && before.offline == after.offline
        && before.sizeBytes == after.sizeBytes && before.messages == after.messages
        && a.internal == b.internal && a.topicId == b.topicId) {
        return {};
    }
    if (health(before) != health(after)) {
        return {0, ColumnCount - 1};
    }
    return differingCells(ColumnCount, before, after, &cell);
}

QVariant TopicTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Name");
        case PartitionsColumn: return tr("Partitions");
        case ReplicationFactorColumn: return tr("RF");
        case UnderReplicatedColumn: return tr("Under-replicated");
        case OfflineColumn: return tr("Offline");
        case SizeColumn: return tr("Size");
        case MessagesColumn: return tr("Messages");
        case InternalColumn: return tr("Internal");
        default: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case ReplicationFactorColumn: return tr("Replication factor");
        case UnderReplicatedColumn: return tr("Partitions whose ISR is smaller than the replica set");
        case OfflineColumn: return tr("Partitions without a leader");
        case SizeColumn: return tr("Sum of the leader replicas' sizes");
        case MessagesColumn: return tr("Sum over partitions of log end offset - log start offset");
        default: break;
        }
    }
    return {};
}

} // namespace faultline::models
