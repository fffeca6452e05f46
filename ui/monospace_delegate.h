// Paints a column in the monospace font (offsets, hex, sizes line up).
#pragma once

#include <QStyledItemDelegate>

namespace faultline::ui {

class MonospaceDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};

} // namespace faultline::ui
