#include "models/group_table_model.h"

namespace faultline::models {

namespace {

template <typename Entry>
int compareEntries(const Entry& a, const Entry& b)
{
    return compareKeys(a.row->groupId, b.row->groupId);
}

constexpr int maxMembersInToolTip = 20;

QString membersToolTip(const GroupRow& g)
{
    if (g.members.isEmpty()) {
        return {};
    }
    QStringList lines;
    for (const GroupMemberRow& m : g.members) {
        if (lines.size() == maxMembersInToolTip) {
            lines << QStringLiteral("… %1 more").arg(g.members.size() - maxMembersInToolTip);
            break;
        }
        QString line = m.clientId.isEmpty() ? m.memberId : m.clientId;
        if (!m.host.isEmpty()) {
            line += QStringLiteral(" (%1)").arg(m.host);
        }
        if (!m.assignment.isEmpty()) {
            line += QStringLiteral(": %1 partitions").arg(m.assignment.size());
        }
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

GroupTableModel::GroupTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void GroupTableModel::setSnapshot(SnapshotPtr snapshot)
{
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->groups.size()));
        for (const GroupRow& group : snapshot->groups) {
            next.push_back({&group, group.totalLag()});
        }
        ensureSortedByKey(next, compareEntries<Entry>);
    }
    const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
    ModelDiffSignals<GroupTableModel> sink(*this);
    applyKeyedDiff(m_rows, std::move(next), compareEntries<Entry>, &changedColumns, sink);
}

int GroupTableModel::rowForGroup(const QString& groupId) const
{
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), groupId,
                                     [](const Entry& e, const QString& key) {
                                         return compareKeys(e.row->groupId, key) < 0;
                                     });
    return it != m_rows.end() && it->row->groupId == groupId ? static_cast<int>(it - m_rows.begin())
                                                              : -1;
}

const GroupRow* GroupTableModel::groupAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].row : nullptr;
}

int GroupTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int GroupTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GroupTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    return cell(m_rows[static_cast<std::size_t>(index.row())], index.column(), role);
}

RowHealth GroupTableModel::health(const Entry& entry)
{
    return entry.row->state == QLatin1String("Dead") ? RowHealth::Down : RowHealth::Normal;
}

QVariant GroupTableModel::cell(const Entry& entry, int column, int role)
{
    const GroupRow& g = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case GroupColumn: return g.groupId;
        case StateColumn: return g.state.isEmpty() ? unknownText() : g.state;
        case ProtocolColumn:
            if (!g.protocol.isEmpty()) {
                return g.protocol;
            }
            return g.protocolType.isEmpty() ? unknownText() : g.protocolType;
        case MembersColumn: return QString::number(g.members.size());
        case CoordinatorColumn: return formatBrokerId(g.coordinator);
        case TotalLagColumn: return formatCount(entry.totalLag);
        default: return {};
        }
    case SortRole:
        switch (column) {
        case GroupColumn: return g.groupId;
        case StateColumn: return g.state;
        case ProtocolColumn: return g.protocol.isEmpty() ? g.protocolType : g.protocol;
        case MembersColumn: return static_cast<int>(g.members.size());
        case CoordinatorColumn: return g.coordinator;
        case TotalLagColumn: return entry.totalLag;
        default: return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case ProtocolColumn:
            return g.protocolType.isEmpty() ? QVariant()
                                            : QVariant(tr("Protocol type: %1").arg(g.protocolType));
        case MembersColumn: {
            const QString text = membersToolTip(g);
            return text.isEmpty() ? QVariant() : QVariant(text);
        }
        case TotalLagColumn:
            return entry.totalLag < 0
                       ? QVariant(tr("No committed offsets known"))
                       : QVariant(tr("Sum over %1 partitions of end offset - committed offset")
                                      .arg(g.offsets.size()));
        default: return {};
        }
    case Qt::TextAlignmentRole:
        switch (column) {
        case MembersColumn:
        case CoordinatorColumn:
        case TotalLagColumn: return numericAlignment();
        default: return {};
        }
    case Qt::ForegroundRole: return healthForeground(health(entry));
    case Qt::BackgroundRole: return healthBackground(health(entry));
    case HealthRole: return static_cast<int>(health(entry));
    case KeyRole: return g.groupId;
    default: return {};
    }
}

IndexSpan GroupTableModel::changedColumns(const Entry& before, const Entry& after)
{
    // The row shows these values only; per-partition offsets are the offset model's business.
    const GroupRow& a = *before.row;
    const GroupRow& b = *after.row;
    if (before.totalLag == after.totalLag && a.state == b.state && a.protocol == b.protocol
        && a.protocolType == b.protocolType && a.coordinator == b.coordinator
        && a.offsets.size() == b.offsets.size() && a.members == b.members) {
        return {};
    }
    if (health(before) != health(after)) {
        return {0, ColumnCount - 1};
    }
    return differingCells(ColumnCount, before, after, &cell);
}

QVariant GroupTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case GroupColumn: return tr("Group");
        case StateColumn: return tr("State");
        case ProtocolColumn: return tr("Protocol");
        case MembersColumn: return tr("Members");
        case CoordinatorColumn: return tr("Coordinator");
        case TotalLagColumn: return tr("Total lag");
        default: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case ProtocolColumn: return tr("Partition assignor (or the protocol type)");
        case CoordinatorColumn: return tr("Broker acting as the group coordinator");
        case TotalLagColumn: return tr("Sum of end offset - committed offset");
        default: break;
        }
    }
    return {};
}

} // namespace faultline::models
