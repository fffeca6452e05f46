// The consumer groups of one cluster, one row per group id, fed with snapshots. A refresh is diffed
// against the previous snapshot, never a model reset.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_diff.h"

#include <QAbstractTableModel>

#include <vector>

namespace faultline::models {

class GroupTableModel : public QAbstractTableModel {
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
    [[nodiscard]] SnapshotPtr snapshot() const { return m_snapshot; }
    [[nodiscard]] int rowForGroup(const QString& groupId) const; // -1 when absent
    [[nodiscard]] const GroupRow* groupAt(int row) const;       // null when out of range

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    template <typename> friend class ModelDiffSignals;
    struct Entry {
        const GroupRow* row = nullptr;
        qint64 totalLag = -1;
    };
    [[nodiscard]] static QVariant cell(const Entry& entry, int column, int role);
    [[nodiscard]] static RowHealth health(const Entry& entry);
    [[nodiscard]] static IndexSpan changedColumns(const Entry& before, const Entry& after);

    SnapshotPtr m_snapshot;
    std::vector<Entry> m_rows;
};

} // namespace faultline::models
