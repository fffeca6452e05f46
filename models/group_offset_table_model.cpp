#include "models/group_offset_table_model.h"

namespace faultline::models {

namespace {

int compareOffsetKeys(const QString& topicA, std::int32_t partitionA, const QString& topicB,
                      std::int32_t partitionB) {
    const int byTopic = compareKeys(topicA, topicB);
    return byTopic != 0 ? byTopic : compareKeys(partitionA, partitionB);
}

int compareEntries(const GroupOffsetTableEntry& a, const GroupOffsetTableEntry& b) {
    return compareOffsetKeys(a.row->topic, a.row->partition, b.row->topic, b.row->partition);
}

} // namespace

std::span<const ColumnSpec> GroupOffsetTableModel::columns() {
    static const ColumnSpec columns[] = {
        {QT_TR_NOOP("Topic")},
        {QT_TR_NOOP("Partition"), nullptr, true},
        {QT_TR_NOOP("Committed"), QT_TR_NOOP("Committed offset"), true},
        {QT_TR_NOOP("End"), QT_TR_NOOP("Log end offset (high watermark)"), true},
        {QT_TR_NOOP("Lag"), QT_TR_NOOP("End offset - committed offset"), true},
        {QT_TR_NOOP("Member")},
    };
    static_assert(std::size(columns) == ColumnCount);
    return columns;
}

GroupOffsetTableModel::GroupOffsetTableModel(QObject* parent)
    : SnapshotTableModel(columns(), parent) {}

std::vector<GroupOffsetTableModel::Entry>
GroupOffsetTableModel::entriesFor(const SnapshotPtr& snapshot) const {
    std::vector<Entry> entries;
    const GroupRow* group = snapshot && !m_group.isEmpty() ? snapshot->group(m_group) : nullptr;
    if (group == nullptr) {
        return entries;
    }
    entries.reserve(static_cast<std::size_t>(group->offsets.size()));
    for (const GroupOffsetRow& offset : group->offsets) {
        entries.push_back({&offset});
    }
    return entries;
}

void GroupOffsetTableModel::setSnapshot(SnapshotPtr snapshot) {
    std::vector<Entry> next = entriesFor(snapshot);
    updateRows(std::move(snapshot), std::move(next), compareEntries);
}

void GroupOffsetTableModel::setGroup(const QString& groupId) {
    if (groupId == m_group) {
        return;
    }
    m_group = groupId;
    std::vector<Entry> rows = entriesFor(snapshot());
    ensureSortedByKey(rows, compareEntries);
    resetRows(std::move(rows));
}

int GroupOffsetTableModel::rowFor(const QString& topic, std::int32_t partition) const {
    return findRow(std::pair<QString, std::int32_t>(topic, partition),
                   [](const Entry& e, const std::pair<QString, std::int32_t>& key) {
                       return compareOffsetKeys(e.row->topic, e.row->partition, key.first,
                                                key.second);
                   });
}

const GroupOffsetRow* GroupOffsetTableModel::offsetAt(int row) const {
    const Entry* entry = entryAt(row);
    return entry ? entry->row : nullptr;
}

QVariant GroupOffsetTableModel::cellData(const Entry& entry, int column, int role) const {
    const GroupOffsetRow& o = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TopicColumn:
            return o.topic;
        case PartitionColumn:
            return QString::number(o.partition);
        case CommittedColumn:
            return formatCount(o.committedOffset);
        case EndColumn:
            return formatCount(o.endOffset);
        case LagColumn:
            return formatCount(o.lag());
        case MemberColumn:
            return o.memberId.isEmpty() ? unknownText() : o.memberId;
        default:
            return {};
        }
    case SortRole:
        switch (column) {
        case TopicColumn:
            return o.topic;
        case PartitionColumn:
            return o.partition;
        case CommittedColumn:
            return o.committedOffset;
        case EndColumn:
            return o.endOffset;
        case LagColumn:
            return o.lag();
        case MemberColumn:
            return o.memberId;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case CommittedColumn:
            if (o.committedOffset < 0) {
                return tr("Nothing committed");
            }
            return o.metadata.isEmpty() ? QVariant() : QVariant(tr("Metadata: %1").arg(o.metadata));
        case MemberColumn:
            return o.memberId.isEmpty() ? QVariant(tr("No member is assigned this partition"))
                                        : QVariant();
        default:
            return {};
        }
    case KeyRole:
        return QVariantList{o.topic, o.partition};
    default:
        return {};
    }
}

bool GroupOffsetTableModel::sameContent(const Entry& before, const Entry& after) const {
    return *before.row == *after.row;
}

} // namespace faultline::models
