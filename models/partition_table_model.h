// The partitions of one topic (setTopic), one row per partition id, fed with snapshots. A refresh
// is diffed against the previous snapshot, never a model reset; choosing another topic resets.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_diff.h"

#include <QAbstractTableModel>

#include <vector>

namespace faultline::models {

class PartitionTableModel : public QAbstractTableModel {
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
    [[nodiscard]] SnapshotPtr snapshot() const { return m_snapshot; }
    [[nodiscard]] QString topic() const { return m_topic; }
    [[nodiscard]] int rowForPartition(std::int32_t partition) const; // -1 when absent
    [[nodiscard]] const PartitionRow* partitionAt(int row) const;    // null when out of range

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    template <typename> friend class ModelDiffSignals;
    struct Entry {
        const PartitionRow* row = nullptr;
    };
    [[nodiscard]] std::vector<Entry> entriesFor(const SnapshotPtr& snapshot) const;
    [[nodiscard]] static QVariant cell(const Entry& entry, int column, int role);
    [[nodiscard]] static RowHealth health(const Entry& entry);
    [[nodiscard]] static IndexSpan changedColumns(const Entry& before, const Entry& after);

    SnapshotPtr m_snapshot;
    QString m_topic;
    std::vector<Entry> m_rows;
};

} // namespace faultline::models
