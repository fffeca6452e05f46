// One consumer group's offsets (setGroup), one row per (topic, partition): committed offset, end
// offset, lag and the member assigned the partition. A refresh is diffed against the previous
// snapshot, never a model reset; choosing another group resets.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_table_model.h"

#include <vector>

namespace faultline::models {

struct GroupOffsetTableEntry {
    const GroupOffsetRow* row = nullptr;
};

class GroupOffsetTableModel : public SnapshotTableModel<GroupOffsetTableEntry> {
    Q_OBJECT
public:
    enum Column {
        TopicColumn,
        PartitionColumn,
        CommittedColumn,
        EndColumn,
        LagColumn,
        MemberColumn,
        ColumnCount
    };

    explicit GroupOffsetTableModel(QObject* parent = nullptr);

    void setSnapshot(SnapshotPtr snapshot);
    void setGroup(const QString& groupId); // resets the model when the group changes
    [[nodiscard]] QString group() const { return m_group; }
    [[nodiscard]] int rowFor(const QString& topic, std::int32_t partition) const; // -1 when absent
    [[nodiscard]] const GroupOffsetRow* offsetAt(int row) const; // null when out of range
    // KeyRole answers QVariantList{topic (QString), partition (int)}.

private:
    using Entry = GroupOffsetTableEntry;
    [[nodiscard]] static std::span<const ColumnSpec> columns();
    [[nodiscard]] std::vector<Entry> entriesFor(const SnapshotPtr& snapshot) const;
    [[nodiscard]] QVariant cellData(const Entry& entry, int column, int role) const override;
    [[nodiscard]] bool sameContent(const Entry& before, const Entry& after) const override;

    QString m_group;
};

} // namespace faultline::models
