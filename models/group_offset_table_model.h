// One consumer group's offsets (setGroup), one row per (topic, partition): committed offset, end
// offset, lag and the member assigned the partition. A refresh is diffed against the previous
// snapshot, never a model reset; choosing another group resets.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_diff.h"

#include <QAbstractTableModel>

#include <vector>

namespace faultline::models {

class GroupOffsetTableModel : public QAbstractTableModel {
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
    [[nodiscard]] SnapshotPtr snapshot() const { return m_snapshot; }
    [[nodiscard]] QString group() const { return m_group; }
    [[nodiscard]] int rowFor(const QString& topic, std::int32_t partition) const; // -1 when absent
    [[nodiscard]] const GroupOffsetRow* offsetAt(int row) const; // null when out of range

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    // KeyRole answers QVariantList{topic (QString), partition (int)}.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    template <typename> friend class ModelDiffSignals;
    struct Entry {
        const GroupOffsetRow* row = nullptr;
    };
    [[nodiscard]] std::vector<Entry> entriesFor(const SnapshotPtr& snapshot) const;
    [[nodiscard]] static QVariant cell(const Entry& entry, int column, int role);
    [[nodiscard]] static IndexSpan changedColumns(const Entry& before, const Entry& after);

    SnapshotPtr m_snapshot;
    QString m_group;
    std::vector<Entry> m_rows;
};

} // namespace faultline::models
