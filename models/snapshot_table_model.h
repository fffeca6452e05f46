// What every snapshot table model shares (brokers, topics, partitions, groups, group offsets):
//   - the columns, declared once as a table: header text, header tooltip, numeric alignment;
//   - the rows: a vector of small entries sorted by key, pointing into the snapshot the model
//     holds, moved to the next snapshot with applyKeyedDiff (row signals, never a reset);
//   - the row health: ForegroundRole / BackgroundRole / HealthRole for the whole row;
//   - the change test: a row whose health changed repaints every column, otherwise only the
//     columns whose text, sort key or tooltip differ.
// A model derives from SnapshotTableModel<ItsEntry> and answers cellData() (display, sort,
// tooltip and key roles), rowHealth() and sameContent().
#pragma once

#include "models/cluster_snapshot.h"
#include "models/snapshot_diff.h"

#include <QAbstractTableModel>
#include <QCoreApplication>
#include <span>
#include <utility>
#include <vector>

namespace faultline::models {

// One column. The texts are marked QT_TR_NOOP in a member function of the model (so they belong to
// its translation context) and translated the way the model's tr() would.
struct ColumnSpec {
    const char* title = nullptr;
    const char* toolTip = nullptr; // header tooltip; null: none
    bool numeric = false;          // cells aligned right (numericAlignment())
};

template <typename Entry> class SnapshotTableModel : public QAbstractTableModel {
public:
    [[nodiscard]] SnapshotPtr snapshot() const { return m_snapshot; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
    }

    int columnCount(const QModelIndex& parent = QModelIndex()) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_columns.size());
    }

    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override {
        if (!checkIndex(index,
                        CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
            return {};
        }
        const Entry& entry = m_rows[static_cast<std::size_t>(index.row())];
        switch (role) {
        case Qt::TextAlignmentRole:
            return m_columns[static_cast<std::size_t>(index.column())].numeric ? numericAlignment()
                                                                               : QVariant();
        case Qt::ForegroundRole:
            return healthForeground(rowHealth(entry));
        case Qt::BackgroundRole:
            return healthBackground(rowHealth(entry));
        case HealthRole:
            return static_cast<int>(rowHealth(entry));
        default:
            return cellData(entry, index.column(), role);
        }
    }

    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override {
        if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) {
            return QAbstractTableModel::headerData(section, orientation, role);
        }
        const ColumnSpec& column = m_columns[static_cast<std::size_t>(section)];
        const char* text = role == Qt::DisplayRole   ? column.title
                           : role == Qt::ToolTipRole ? column.toolTip
                                                     : nullptr;
        if (text == nullptr) {
            return {};
        }
        return QCoreApplication::translate(metaObject()->className(), text);
    }

protected:
    SnapshotTableModel(std::span<const ColumnSpec> columns, QObject* parent)
        : QAbstractTableModel(parent), m_columns(columns) {}

    // DisplayRole, SortRole, Qt::ToolTipRole, KeyRole and any other role the model answers;
    // alignment, colours and HealthRole come from the column table and rowHealth().
    [[nodiscard]] virtual QVariant cellData(const Entry& entry, int column, int role) const = 0;
    [[nodiscard]] virtual RowHealth rowHealth(const Entry& /*entry*/) const {
        return RowHealth::Normal;
    }
    // True when nothing the row shows can differ between the two versions (a cheap test that
    // spares comparing every cell).
    [[nodiscard]] virtual bool sameContent(const Entry& before, const Entry& after) const = 0;

    // Takes the new snapshot and its entries (sorted by compare: <0 / 0 / >0): rows removed,
    // inserted and changed are signalled, never a reset. The old snapshot stays alive until the
    // old entries that point into it are gone.
    template <typename Compare>
    void updateRows(SnapshotPtr snapshot, std::vector<Entry> next, Compare compare) {
        ensureSortedByKey(next, compare);
        const SnapshotPtr previous = std::exchange(m_snapshot, std::move(snapshot));
        ModelDiffSignals<SnapshotTableModel> sink(*this);
        applyKeyedDiff(
            m_rows, std::move(next), compare,
            [this](const Entry& before, const Entry& after) {
                return changedColumns(before, after);
            },
            sink);
    }

    // Replaces every row with a model reset (another topic or group was chosen).
    void resetRows(std::vector<Entry> rows) {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
    }

    [[nodiscard]] const Entry* entryAt(int row) const {
        return row >= 0 && row < rowCount() ? &m_rows[static_cast<std::size_t>(row)] : nullptr;
    }

    // The row whose entry matches `key`, by binary search: compare(entry, key) is <0 / 0 / >0.
    template <typename Key, typename Compare>
    [[nodiscard]] int findRow(const Key& key, Compare compare) const {
        const auto it = std::lower_bound(
            m_rows.begin(), m_rows.end(), key,
            [&](const Entry& entry, const Key& k) { return compare(entry, k) < 0; });
        return it != m_rows.end() && compare(*it, key) == 0 ? static_cast<int>(it - m_rows.begin())
                                                            : -1;
    }

    std::vector<Entry> m_rows;

private:
    template <typename> friend class ModelDiffSignals;

    [[nodiscard]] IndexSpan changedColumns(const Entry& before, const Entry& after) const {
        if (sameContent(before, after)) {
            return {};
        }
        if (rowHealth(before) != rowHealth(after)) {
            return {0, columnCount() - 1}; // the whole row changes colour
        }
        return differingCells(columnCount(), before, after,
                              [this](const Entry& entry, int column, int role) {
                                  return cellData(entry, column, role);
                              });
    }

    SnapshotPtr m_snapshot;
    std::span<const ColumnSpec> m_columns;
};

} // namespace faultline::models
