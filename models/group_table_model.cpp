#include "models/group_table_model.h"

namespace faultline::models {

namespace {

int compareEntries(const GroupTableEntry& a, const GroupTableEntry& b) {
    return compareKeys(a.row->groupId, b.row->groupId);
}

constexpr int maxMembersInToolTip = 20;

QString membersToolTip(const GroupRow& g) {
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

std::span<const ColumnSpec> GroupTableModel::columns() {
    static const ColumnSpec columns[] = {
        {QT_TR_NOOP("Group")},
        {QT_TR_NOOP("State")},
        {QT_TR_NOOP("Protocol"), QT_TR_NOOP("Partition assignor (or the protocol type)")},
        {QT_TR_NOOP("Members"), nullptr, true},
        {QT_TR_NOOP("Coordinator"), QT_TR_NOOP("Broker acting as the group coordinator"), true},
        {QT_TR_NOOP("Total lag"), QT_TR_NOOP("Sum of end offset - committed offset"), true},
    };
    static_assert(std::size(columns) == ColumnCount);
    return columns;
}

GroupTableModel::GroupTableModel(QObject* parent) : SnapshotTableModel(columns(), parent) {}

void GroupTableModel::setSnapshot(SnapshotPtr snapshot) {
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->groups.size()));
        for (const GroupRow& group : snapshot->groups) {
            next.push_back({&group, group.totalLag()});
        }
    }
    updateRows(std::move(snapshot), std::move(next), compareEntries);
}

int GroupTableModel::rowForGroup(const QString& groupId) const {
    return findRow(groupId, [](const Entry& e, const QString& key) {
        return compareKeys(e.row->groupId, key);
    });
}

const GroupRow* GroupTableModel::groupAt(int row) const {
    const Entry* entry = entryAt(row);
    return entry ? entry->row : nullptr;
}

RowHealth GroupTableModel::rowHealth(const Entry& entry) const {
    return entry.row->state == QLatin1String("Dead") ? RowHealth::Down : RowHealth::Normal;
}

QVariant GroupTableModel::cellData(const Entry& entry, int column, int role) const {
    const GroupRow& g = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case GroupColumn:
            return g.groupId;
        case StateColumn:
            return g.state.isEmpty() ? unknownText() : g.state;
        case ProtocolColumn:
            if (!g.protocol.isEmpty()) {
                return g.protocol;
            }
            return g.protocolType.isEmpty() ? unknownText() : g.protocolType;
        case MembersColumn:
            return QString::number(g.members.size());
        case CoordinatorColumn:
            return formatBrokerId(g.coordinator);
        case TotalLagColumn:
            return formatCount(entry.totalLag);
        default:
            return {};
        }
    case SortRole:
        switch (column) {
        case GroupColumn:
            return g.groupId;
        case StateColumn:
            return g.state;
        case ProtocolColumn:
            return g.protocol.isEmpty() ? g.protocolType : g.protocol;
        case MembersColumn:
            return static_cast<int>(g.members.size());
        case CoordinatorColumn:
            return g.coordinator;
        case TotalLagColumn:
            return entry.totalLag;
        default:
            return {};
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
        default:
            return {};
        }
    case KeyRole:
        return g.groupId;
    default:
        return {};
    }
}

bool GroupTableModel::sameContent(const Entry& before, const Entry& after) const {
    // The row shows these values only; per-partition offsets are the offset model's business.
    const GroupRow& a = *before.row;
    const GroupRow& b = *after.row;
    return before.totalLag == after.totalLag && a.state == b.state && a.protocol == b.protocol &&
           a.protocolType == b.protocolType && a.coordinator == b.coordinator &&
           a.offsets.size() == b.offsets.size() && a.members == b.members;
}

} // namespace faultline::models
