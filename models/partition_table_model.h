// The partitions of one topic (setTopic), one row per partition id, fed with snapshots. A refresh
// is diffed against the previous snapshot, never a model reset; choosing another topic resets.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_table_model.h"

#include <vector>

namespace faultline::models {

struct PartitionTableEntry {
    const PartitionRow* row = nullptr;
};

class PartitionTableModel : public SnapshotTableModel<PartitionTableEntry> {
    Q_OBJECT
public:
    enum Column {
        PartitionColumn,
        LeaderColumn,
        ReplicasColumn, // the leader marked "(L)"
        IsrColumn,
        OfflineReplicasColumn,
        LogStartColumn,
        LogEndColumn,
        MessagesColumn,
        ReplicaSizeColumn, // size per replica
        ColumnCount
    };

    explicit PartitionTableModel(QObject* parent = nullptr);

    void setSnapshot(SnapshotPtr snapshot);
    void setTopic(const QString& topic); // resets the model when the topic changes
    [[nodiscard]] QString topic() const { return m_topic; }
    [[nodiscard]] int rowForPartition(std::int32_t partition) const; // -1 when absent
    [[nodiscard]] const PartitionRow* partitionAt(int row) const;    // null when out of range

private:
    using Entry = PartitionTableEntry;
    [[nodiscard]] static std::span<const ColumnSpec> columns();
    [[nodiscard]] std::vector<Entry> entriesFor(const SnapshotPtr& snapshot) const;
    [[nodiscard]] QVariant cellData(const Entry& entry, int column, int role) const override;
    [[nodiscard]] RowHealth rowHealth(const Entry& entry) const override;
    [[nodiscard]] bool sameContent(const Entry& before, const Entry& after) const override;

    QString m_topic;
};

} // namespace faultline::models
