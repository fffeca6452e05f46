#include "ui/snapshot_table_view.h"

#include "models/snapshot_diff.h"
#include "ui/monospace_delegate.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>

namespace faultline::ui {

SnapshotTableView::SnapshotTableView(QWidget* parent)
    : QTableView(parent)
{
    setSortingEnabled(true);
    setAlternatingRowColors(true);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setWordWrap(false);
    setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalHeader()->setVisible(false);
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
}

void SnapshotTableView::setSourceModel(QAbstractItemModel* source, QSortFilterProxyModel* proxy)
{
    m_source = source;
    m_proxy = proxy ? proxy : new QSortFilterProxyModel(this);
    m_proxy->setSortRole(models::SortRole);
    m_proxy->setSourceModel(source);
    setModel(m_proxy);
    sortByColumn(0, Qt::AscendingOrder);
}

void SnapshotTableView::setMonospaceColumns(const QList<int>& columns)
{
    auto* delegate = new MonospaceDelegate(this);
    for (int c : columns)
        setItemDelegateForColumn(c, delegate);
}

void SnapshotTableView::setColumnWidths(const QList<int>& widths)
{
    for (int c = 0; c < widths.size(); ++c) {
        if (widths[c] > 0)
            setColumnWidth(c, widths[c]);
    }
}

QVariant SnapshotTableView::currentKey() const
{
    const auto index = currentIndex();
    if (!index.isValid())
        return {};
    return index.siblingAtColumn(0).data(models::KeyRole);
}

void SnapshotTableView::selectKey(const QVariant& key)
{
    if (!model())
        return;
    for (int row = 0; row < model()->rowCount(); ++row) {
        const auto index = model()->index(row, 0);
        if (index.data(models::KeyRole) == key) {
            setCurrentIndex(index);
            scrollTo(index);
            return;
        }
    }
}

} // namespace faultline::ui
