// The consumer groups of one cluster, one row per group id, fed with snapshots. A refresh is diffed
// against the previous snapshot, never a model reset.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_table_model.h"

#include <vector>

namespace faultline::models {

struct GroupTableEntry {
    const GroupRow* row = nullptr;
    qint64 totalLag = -1;
};

class GroupTableModel : public SnapshotTableModel<GroupTableEntry> {
    Q_OBJECT
public:
    enum Column {
        GroupColumn,
        StateColumn,
        ProtocolColumn,
        MembersColumn,
        CoordinatorColumn,
        TotalLagColumn,
        ColumnCount
    };

    explicit GroupTableModel(QObject* parent = nullptr);

    void setSnapshot(SnapshotPtr snapshot);
    [[nodiscard]] int rowForGroup(const QString& groupId) const; // -1 when absent
    [[nodiscard]] const GroupRow* groupAt(int row) const;        // null when out of range

private:
    using Entry = GroupTableEntry;
    [[nodiscard]] static std::span<const ColumnSpec> columns();
    [[nodiscard]] QVariant cellData(const Entry& entry, int column, int role) const override;
    [[nodiscard]] RowHealth rowHealth(const Entry& entry) const override;
    [[nodiscard]] bool sameContent(const Entry& before, const Entry& after) const override;
};

} // namespace faultline::models
