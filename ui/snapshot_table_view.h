// The table every view uses for a snapshot model: a sort proxy on models::SortRole, sorting by
// header click, alternating rows, compact rows, monospace for numeric columns, sensible widths.
#pragma once

#include <QTableView>

class QSortFilterProxyModel;

namespace faultline::ui {

class SnapshotTableView : public QTableView {
    Q_OBJECT
public:
    explicit SnapshotTableView(QWidget* parent = nullptr);

    // Shows `source` through `proxy` (or a new sort proxy when null); the proxy sorts by SortRole.
    void setSourceModel(QAbstractItemModel* source, QSortFilterProxyModel* proxy = nullptr);
    [[nodiscard]] QSortFilterProxyModel* proxy() const { return m_proxy; }
    [[nodiscard]] QAbstractItemModel* sourceModel() const { return m_source; }

    void setMonospaceColumns(const QList<int>& columns);
    void setColumnWidths(const QList<int>& widths); // by source column; 0 keeps the default
    // The KeyRole of the current row (topic name, group id ...); empty when none is selected.
    [[nodiscard]] QVariant currentKey() const;
    void selectKey(const QVariant& key);

private:
    QSortFilterProxyModel* m_proxy = nullptr;
    QAbstractItemModel* m_source = nullptr;
};

} // namespace faultline::ui
