// The topics of one cluster, one row per topic name, fed with snapshots. Per-topic figures
// (partitions, RF, under-replicated, offline, size, messages) are computed once per snapshot; a
// refresh is diffed against the previous snapshot, never a model reset.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_table_model.h"

namespace faultline::models {

// A topic row and its per-topic figures, computed once per snapshot.
struct TopicTableEntry {
    const TopicRow* row = nullptr;
    int partitions = 0;
    int replicationFactor = 0;
    int underReplicated = 0;
    int offline = 0;
    qint64 sizeBytes = -1;
    qint64 messages = -1;
};

class TopicTableModel : public SnapshotTableModel<TopicTableEntry> {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        PartitionsColumn,
        ReplicationFactorColumn,
        UnderReplicatedColumn,
        OfflineColumn,
        SizeColumn,
        MessagesColumn, // from watermarks: sum of (log end - log start)
        InternalColumn,
        ColumnCount
    };

    explicit TopicTableModel(QObject* parent = nullptr);

    void setSnapshot(SnapshotPtr snapshot);
    [[nodiscard]] int rowForTopic(const QString& name) const; // -1 when absent
    [[nodiscard]] const TopicRow* topicAt(int row) const;     // null when out of range

private:
    using Entry = TopicTableEntry;
    [[nodiscard]] static std::span<const ColumnSpec> columns();
    [[nodiscard]] static Entry makeEntry(const TopicRow& topic);
    [[nodiscard]] QVariant cellData(const Entry& entry, int column, int role) const override;
    [[nodiscard]] RowHealth rowHealth(const Entry& entry) const override;
    [[nodiscard]] bool sameContent(const Entry& before, const Entry& after) const override;
};

} // namespace faultline::models
