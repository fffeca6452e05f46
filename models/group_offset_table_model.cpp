#include "models/group_offset_table_model.h"

namespace faultline::models {

namespace {

int compareOffsetKeys(const QString& topicA, std::int32_t partitionA, const QString& topicB,
                      std::int32_t partitionB)
{
    const int byTopic = compareKeys(topicA, topicB);
    return byTopic != 0 ? byTopic : compareKeys(partitionA, partitionB);
}

template <typename Entry>
int compareEntries(const Entry& a, const Entry& b)
{
    return compareOffsetKeys(a.row->topic, a.row->partition, b.row->topic, b.row->partition);
}

} // namespace

GroupOffsetTableModel::GroupOffsetTableModel(QObject* parent) : QAbstractTableModel(parent) {}

std::vector<GroupOffsetTableModel::Entry>
GroupOffsetTableModel::entriesFor(const SnapshotPtr& snapshot) const
{
    std::vector<Entry> entries;
    const GroupRow* group = snapshot && !m_group.isEmpty() ? snapshot->group(m_group) : nullptr;
    if (group == nullptr) {
        return entries;
    }
    entries.reserve(static_cast<std::size_t>(group->offsets.size()));
    for (const GroupOffsetRow& offset : group->offsets) {
        entries.push_back({&offset});
    }
    ensureSortedByKey(entries, compareEntries<Entry>);
    return entries;
}

void GroupOffsetTableModel::setSnapshot(SnapshotPtr snapshot)
{
    std::vector<Entry> next = entriesFor(snapshot);
    const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
    ModelDiffSignals<GroupOffsetTableModel> sink(*this);
    applyKeyedDiff(m_rows, std::move(next), compareEntries<Entry>, &changedColumns, sink);
}

void GroupOffsetTableModel::setGroup(const QString& groupId)
{
    if (groupId == m_group) {
        return;
    }
    beginResetModel();
    m_group = groupId;
    m_rows = entriesFor(m_snapshot);
    endResetModel();
}

int GroupOffsetTableModel::rowFor(const QString& topic, std::int32_t partition) const
{
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), 0, [&](const Entry& e, int) {
        return compareOffsetKeys(e.row->topic, e.row->partition, topic, partition) < 0;
    });
    return it != m_rows.end() && it->row->topic == topic && it->row->partition == partition
               ? static_cast<int>(it - m_rows.begin())
               : -1;
}

const GroupOffsetRow* GroupOffsetTableModel::offsetAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].row : nullptr;
}

int GroupOffsetTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int GroupOffsetTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GroupOffsetTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    return cell(m_rows[static_cast<std::size_t>(index.row())], index.column(), role);
}

QVariant GroupOffsetTableModel::cell(const Entry& entry, int column, int role)
{
    const GroupOffsetRow& o = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TopicColumn: return o.topic;
        case PartitionColumn: return QString::number(o.partition);
        case CommittedColumn: return formatCount(o.committedOffset);
        case EndColumn: return formatCount(o.endOffset);
        case LagColumn: return formatCount(o.lag());
        case MemberColumn: return o.memberId.isEmpty() ? unknownText() : o.memberId;
        default: return {};
        }
    case SortRole:
        switch (column) {
        case TopicColumn: return o.topic;
        case PartitionColumn: return o.partition;
        case CommittedColumn: return o.committedOffset;
        case EndColumn: return o.endOffset;
        case LagColumn: return o.lag();
        case MemberColumn: return o.memberId;
        default: return {};
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
        default: return {};
        }
    case Qt::TextAlignmentRole:
        switch (column) {
        case PartitionColumn:
        case CommittedColumn:
        case EndColumn:
        case LagColumn: return numericAlignment();
        default: return {};
        }
    case KeyRole: return QVariantList{o.topic, o.partition};
    case HealthRole: return static_cast<int>(RowHealth::Normal);
    default: return {};
    }
}

IndexSpan GroupOffsetTableModel::changedColumns(const Entry& before, const Entry& after)
{
    if (*before.row == *after.row) {
        return {};
    }
    return differingCells(ColumnCount, before, after, &cell);
}

QVariant GroupOffsetTableModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TopicColumn: return tr("Topic");
        case PartitionColumn: return tr("Partition");
        case CommittedColumn: return tr("Committed");
        case EndColumn: return tr("End");
        case LagColumn: return tr("Lag");
        case MemberColumn: return tr("Member");
        default: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case CommittedColumn: return tr("Committed offset");
        case EndColumn: return tr("Log end offset (high watermark)");
        case LagColumn: return tr("End offset - committed offset");
        default: break;
        }
    }
    return {};
}

} // namespace faultline::models
