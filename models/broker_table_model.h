// The brokers of one cluster, one row per broker id, fed with snapshots. A refresh is diffed
// against the previous snapshot (rows inserted / removed / changed), never a model reset.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_table_model.h"

namespace faultline::models {

struct BrokerTableEntry {
    const BrokerRow* row = nullptr;
};

class BrokerTableModel : public SnapshotTableModel<BrokerTableEntry> {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        AddressColumn, // host:port
        RackColumn,
        FaultDomainColumn,
        UpdateDomainColumn,
        ControllerColumn,
        LeadersColumn,
        ReplicasColumn,
        DiskColumn,
        StateColumn,
        ColumnCount
    };

    explicit BrokerTableModel(QObject* parent = nullptr);

    void setSnapshot(SnapshotPtr snapshot);
    [[nodiscard]] int rowForBroker(std::int32_t id) const;  // -1 when absent
    [[nodiscard]] const BrokerRow* brokerAt(int row) const; // null when out of range

private:
    using Entry = BrokerTableEntry;
    [[nodiscard]] static std::span<const ColumnSpec> columns();
    [[nodiscard]] QVariant cellData(const Entry& entry, int column, int role) const override;
    [[nodiscard]] RowHealth rowHealth(const Entry& entry) const override;
    [[nodiscard]] bool sameContent(const Entry& before, const Entry& after) const override;
};

} // namespace faultline::models
