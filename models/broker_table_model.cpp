#include "models/broker_table_model.h"

namespace faultline::models {

namespace {

template <typename Entry>
int compareEntries(const Entry& a, const Entry& b)
{
    return compareKeys(a.row->id, b.row->id);
}

QString domainText(int domain)
{
    return domain < 0 ? unknownText() : QString::number(domain);
}

} // namespace

BrokerTableModel::BrokerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void BrokerTableModel::setSnapshot(SnapshotPtr snapshot)
{
    std::vector<Entry> next;
    if (snapshot) {
        next.reserve(static_cast<std::size_t>(snapshot->brokers.size()));
        for (const BrokerRow& broker : snapshot->brokers) {
            next.push_back({&broker});
        }
        ensureSortedByKey(next, compareEntries<Entry>);
    }
    const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
    ModelDiffSignals<BrokerTableModel> sink(*this);
    applyKeyedDiff(m_rows, std::move(next), compareEntries<Entry>, &changedColumns, sink);
}

int BrokerTableModel::rowForBroker(std::int32_t id) const
{
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), id,
                                     [](const Entry& e, std::int32_t key) { return e.row->id < key; });
    return it != m_rows.end() && it->row->id == id ? static_cast<int>(it - m_rows.begin()) : -1;
}

const BrokerRow* BrokerTableModel::brokerAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].row : nullptr;
}

int BrokerTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int BrokerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BrokerTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    return cell(m_rows[static_cast<std::size_t>(index.row())], index.column(), role);
}

RowHealth BrokerTableModel::health(const Entry& entry)
{
    return entry.row->status == BrokerStatus::Down ? RowHealth::Down : RowHealth::Normal;
}

QVariant BrokerTableModel::cell(const Entry& entry, int column, int role)
{
    const BrokerRow& b = *entry.row;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn: return QString::number(b.id);
        case AddressColumn:
            return b.host.isEmpty() ? unknownText() : QStringLiteral("%1:%2").arg(b.host).arg(b.port);
        case RackColumn: return b.rack.isEmpty() ? unknownText() : b.rack;
        case FaultDomainColumn: return domainText(b.faultDomain);
        case UpdateDomainColumn: return domainText(b.updateDomain);
        case ControllerColumn: return b.controller ? tr("Yes") : QString();
        case LeadersColumn: return QString::number(b.leaderCount);
        case ReplicasColumn: return QString::number(b.replicaCount);
        case DiskColumn: return formatBytes(b.diskBytes);
        case StateColumn: return b.status == BrokerStatus::Up ? tr("Up") : tr("Down");
        default: return {};
        }
    case SortRole:
        switch (column) {
        case IdColumn: return b.id;
        case AddressColumn: return QStringLiteral("%1:%2").arg(b.host).arg(b.port, 5, 10, QChar('0'));
        case RackColumn: return b.rack;
        case FaultDomainColumn: return b.faultDomain;
        case UpdateDomainColumn: return b.updateDomain;
        case ControllerColumn: return b.controller ? 1 : 0;
        case LeadersColumn: return b.leaderCount;
        case ReplicasColumn: return b.replicaCount;
        case DiskColumn: return b.diskBytes;
        case StateColumn: return b.status == BrokerStatus::Up ? 1 : 0;
        default: return {};
        }
    case Qt::ToolTipRole:
        if (column == DiskColumn && b.diskBytes >= 0) {
            return tr("%1 bytes").arg(b.diskBytes);
        }
        if (column == StateColumn && b.status == BrokerStatus::Down) {
            return tr("Broker %1 holds replicas but is missing from the cluster metadata").arg(b.id);
        }
        if (column == RackColumn && !b.rack.isEmpty()) {
            return tr("broker.rack=%1").arg(b.rack);
        }
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case IdColumn:
        case FaultDomainColumn:
        case UpdateDomainColumn:
        case LeadersColumn:
        case ReplicasColumn:
        case DiskColumn: return numericAlignment();
        default: return {};
        }
    case Qt::ForegroundRole: return healthForeground(health(entry));
    case Qt::BackgroundRole: return healthBackground(health(entry));
    case HealthRole: return static_cast<int>(health(entry));
    case KeyRole: return b.id;
    default: return {};
    }
}

IndexSpan BrokerTableModel::changedColumns(const Entry& before, const Entry& after)
{
    if (*before.row == *after.row) {
        return {};
    }
    if (health(before) != health(after)) {
        return {0, ColumnCount - 1};
    }
    return differingCells(ColumnCount, before, after, &cell);
}

QVariant BrokerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IdColumn: return tr("Id");
        case AddressColumn: return tr("Host:Port");
        case RackColumn: return tr("Rack");
        case FaultDomainColumn: return tr("FD");
        case UpdateDomainColumn: return tr("UD");
        case ControllerColumn: return tr("Controller");
        case LeadersColumn: return tr("Leaders");
        case ReplicasColumn: return tr("Replicas");
        case DiskColumn: return tr("Disk");
        case StateColumn: return tr("State");
        default: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case FaultDomainColumn: return tr("Fault domain, parsed from the rack");
        case UpdateDomainColumn: return tr("Update domain, parsed from the rack");
        case LeadersColumn: return tr("Partitions this broker leads");
        case ReplicasColumn: return tr("Replicas this broker hosts");
        case DiskColumn: return tr("Size of its replicas (DescribeLogDirs)");
        default: break;
        }
    }
    return {};
}

} // namespace faultline::models
