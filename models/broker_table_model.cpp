#include "models/broker_table_model.h"

namespace faultline::models {

namespace {

int compareEntries(const BrokerTableEntry& a, const BrokerTableEntry& b) {
    return compareKeys(a.row->id, b.row->id);
}

QString domainText(int domain) {
    return domain < 0 ? unknownText() : QString::number(domain);
}

} // namespace

std::span<const ColumnSpec> BrokerTableModel::columns() {
    static const ColumnSpec columns[] = {
        {QT_TR_NOOP("Id"), nullptr, true},
        {QT_TR_NOOP("Host:Port")},
        {QT_TR_NOOP("Rack")},
        {QT_TR_NOOP("FD"), QT_TR_NOOP("Fault domain, parsed from the rack"), true},
        {QT_TR_NOOP("UD"), QT_TR_NOOP("Update domain, parsed from the rack"), true},
        {QT_TR_NOOP("Controller")},
        {QT_TR_NOOP("Leaders"), QT_TR_NOOP("Partitions this broker leads"), true},
        {QT_TR_NOOP("Replicas"), QT_TR_NOOP("Replicas this broker hosts"), true},
        {QT_TR_NOOP("Disk"), QT_TR_NOOP("Size of its replicas (DescribeLogDirs)"), true},
        {QT_TR_NOOP("State")},
    };
    static_assert(std::size(columns) == ColumnCount);
    return columns;
}

BrokerTableModel::BrokerTableModel(QObject* parent) : SnapshotTableModel(columns(), parent) {}

void BrokerTableModel::setSnapshot(SnapshotPtr snapshot) {
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->brokers.size()));
        for (const BrokerRow& broker : snapshot->brokers) {
            next.push_back({&broker});
        }
    }
    updateRows(std::move(snapshot), std::move(next), compareEntries);
}

int BrokerTableModel::rowForBroker(std::int32_t id) const {
    return findRow(id,
                   [](const Entry& e, std::int32_t key) { return compareKeys(e.row->id, key); });
}

const BrokerRow* BrokerTableModel::brokerAt(int row) const {
    const Entry* entry = entryAt(row);
    return entry ? entry->row : nullptr;
}

RowHealth BrokerTableModel::rowHealth(const Entry& entry) const {
    return entry.row->status == BrokerStatus::Down ? RowHealth::Down : RowHealth::Normal;
}

QVariant BrokerTableModel::cellData(const Entry& entry, int column, int role) const {
    const BrokerRow& b = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn:
            return QString::number(b.id);
        case AddressColumn:
            return b.host.isEmpty() ? unknownText()
                                    : QStringLiteral("%1:%2").arg(b.host).arg(b.port);
        case RackColumn:
            return b.rack.isEmpty() ? unknownText() : b.rack;
        case FaultDomainColumn:
            return domainText(b.faultDomain);
        case UpdateDomainColumn:
            return domainText(b.updateDomain);
        case ControllerColumn:
            return b.controller ? tr("Yes") : QString();
        case LeadersColumn:
            return QString::number(b.leaderCount);
        case ReplicasColumn:
            return QString::number(b.replicaCount);
        case DiskColumn:
            return formatBytes(b.diskBytes);
        case StateColumn:
            return b.status == BrokerStatus::Up ? tr("Up") : tr("Down");
        default:
            return {};
        }
    case SortRole:
        switch (column) {
        case IdColumn:
            return b.id;
        case AddressColumn:
            return QStringLiteral("%1:%2").arg(b.host).arg(b.port, 5, 10, QChar('0'));
        case RackColumn:
            return b.rack;
        case FaultDomainColumn:
            return b.faultDomain;
        case UpdateDomainColumn:
            return b.updateDomain;
        case ControllerColumn:
            return b.controller ? 1 : 0;
        case LeadersColumn:
            return b.leaderCount;
        case ReplicasColumn:
            return b.replicaCount;
        case DiskColumn:
            return b.diskBytes;
        case StateColumn:
            return b.status == BrokerStatus::Up ? 1 : 0;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (column == DiskColumn && b.diskBytes >= 0) {
            return tr("%1 bytes").arg(b.diskBytes);
        }
        if (column == StateColumn && b.status == BrokerStatus::Down) {
            return tr("Broker %1 holds replicas but is missing from the cluster metadata")
                .arg(b.id);
        }
        if (column == RackColumn && !b.rack.isEmpty()) {
            return tr("broker.rack=%1").arg(b.rack);
        }
        return {};
    case KeyRole:
        return b.id;
    default:
        return {};
    }
}

bool BrokerTableModel::sameContent(const Entry& before, const Entry& after) const {
    return *before.row == *after.row;
}

} // namespace faultline::models
