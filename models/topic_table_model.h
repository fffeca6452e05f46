// The topics of one cluster, one row per topic name, fed with snapshots. Per-topic figures
// (partitions, RF, under-replicated, offline, size, messages) are computed once per snapshot; a
// refresh is diffed against the previous snapshot, never a model reset.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_diff.h"

#include <QAbstractTableModel>

#include <vector>

namespace faultline::models {

class TopicTableModel : public QAbstractTableModel {
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
    [[nodiscard]] SnapshotPtr snapshot() const { return m_snapshot; }
    [[nodiscard]] int rowForTopic(const QString& name) const; // -1 when absent
    [[nodiscard]] const TopicRow* topicAt(int row) const;     // null when out of range

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    template <typename> friend class ModelDiffSignals;
    struct Entry {
        const TopicRow* row = nullptr;
        int partitions = 0;
        int replicationFactor = 0;
        int underReplicated = 0;
        int offline = 0;
        qint64 sizeBytes = -1;
        qint64 messages = -1;
    };
    [[nodiscard]] static Entry makeEntry(const TopicRow& topic);
    [[nodiscard]] static QVariant cell(const Entry& entry, int column, int role);
    [[nodiscard]] static RowHealth health(const Entry& entry);
    [[nodiscard]] static IndexSpan changedColumns(const Entry& before, const Entry& after);

    SnapshotPtr m_snapshot;
    std::vector<Entry> m_rows;
};

} // namespace faultline::models
