#include "models/topic_table_model.h"

#include <algorithm>

namespace faultline::models {

namespace {

int compareEntries(const TopicTableEntry& a, const TopicTableEntry& b) {
    return compareKeys(a.row->name, b.row->name);
}

} // namespace

std::span<const ColumnSpec> TopicTableModel::columns() {
    static const ColumnSpec columns[] = {
        {QT_TR_NOOP("Name")},
        {QT_TR_NOOP("Partitions"), nullptr, true},
        {QT_TR_NOOP("RF"), QT_TR_NOOP("Replication factor"), true},
        {QT_TR_NOOP("Under-replicated"),
         QT_TR_NOOP("Partitions whose ISR is smaller than the replica set"), true},
        {QT_TR_NOOP("Offline"), QT_TR_NOOP("Partitions without a leader"), true},
        {QT_TR_NOOP("Size"), QT_TR_NOOP("Sum of the leader replicas' sizes"), true},
        {QT_TR_NOOP("Messages"),
         QT_TR_NOOP("Sum over partitions of log end offset - log start offset"), true},
        {QT_TR_NOOP("Internal")},
    };
    static_assert(std::size(columns) == ColumnCount);
    return columns;
}

TopicTableModel::TopicTableModel(QObject* parent) : SnapshotTableModel(columns(), parent) {}

TopicTableModel::Entry TopicTableModel::makeEntry(const TopicRow& topic) {
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

void TopicTableModel::setSnapshot(SnapshotPtr snapshot) {
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->topics.size()));
        for (const TopicRow& topic : snapshot->topics) {
            next.push_back(makeEntry(topic));
        }
    }
    updateRows(std::move(snapshot), std::move(next), compareEntries);
}

int TopicTableModel::rowForTopic(const QString& name) const {
    return findRow(
        name, [](const Entry& e, const QString& key) { return compareKeys(e.row->name, key); });
}

const TopicRow* TopicTableModel::topicAt(int row) const {
    const Entry* entry = entryAt(row);
    return entry ? entry->row : nullptr;
}

RowHealth TopicTableModel::rowHealth(const Entry& entry) const {
    if (entry.offline > 0) {
        return RowHealth::Offline;
    }
    return entry.underReplicated > 0 ? RowHealth::UnderReplicated : RowHealth::Normal;
}

QVariant TopicTableModel::cellData(const Entry& entry, int column, int role) const {
    const TopicRow& t = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn:
            return t.name;
        case PartitionsColumn:
            return QString::number(entry.partitions);
        case ReplicationFactorColumn:
            return entry.partitions == 0 ? unknownText() : QString::number(entry.replicationFactor);
        case UnderReplicatedColumn:
            return QString::number(entry.underReplicated);
        case OfflineColumn:
            return QString::number(entry.offline);
        case SizeColumn:
            return formatBytes(entry.sizeBytes);
        case MessagesColumn:
            return formatCount(entry.messages);
        case InternalColumn:
            return t.internal ? tr("Yes") : QString();
        default:
            return {};
        }
    case SortRole:
        switch (column) {
        case NameColumn:
            return t.name;
        case PartitionsColumn:
            return entry.partitions;
        case ReplicationFactorColumn:
            return entry.replicationFactor;
        case UnderReplicatedColumn:
            return entry.underReplicated;
        case OfflineColumn:
            return entry.offline;
        case SizeColumn:
            return entry.sizeBytes;
        case MessagesColumn:
            return entry.messages;
        case InternalColumn:
            return t.internal ? 1 : 0;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case NameColumn:
            return t.topicId.isEmpty() ? QVariant() : QVariant(tr("Topic id %1").arg(t.topicId));
        case UnderReplicatedColumn:
            return entry.underReplicated == 0
                       ? QVariant()
                       : QVariant(
                             tr("%1 of %2 partitions have fewer in-sync replicas than replicas")
                                 .arg(entry.underReplicated)
                                 .arg(entry.partitions));
        case OfflineColumn:
            return entry.offline == 0 ? QVariant()
                                      : QVariant(tr("%1 of %2 partitions have no leader")
                                                     .arg(entry.offline)
                                                     .arg(entry.partitions));
        case SizeColumn:
            return entry.sizeBytes < 0 ? QVariant() : QVariant(tr("%1 bytes").arg(entry.sizeBytes));
        default:
            return {};
        }
    case KeyRole:
        return t.name;
    default:
        return {};
    }
}

bool TopicTableModel::sameContent(const Entry& before, const Entry& after) const {
    // Everything the row shows derives from these values: comparing them is enough (and much
    // cheaper than comparing every partition).
    const TopicRow& a = *before.row;
    const TopicRow& b = *after.row;
    return before.partitions == after.partitions &&
           before.replicationFactor == after.replicationFactor &&
           before.underReplicated == after.underReplicated && before.offline == after.offline &&
           before.sizeBytes == after.sizeBytes && before.messages == after.messages &&
           a.internal == b.internal && a.topicId == b.topicId;
}

} // namespace faultline::models
