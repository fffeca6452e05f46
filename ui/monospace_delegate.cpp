#include "ui/monospace_delegate.h"

#include "ui/display_format.h"

namespace faultline::ui {

void MonospaceDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    QFont font = monospaceFont();
    font.setBold(option->font.bold());
    font.setPointSizeF(option->font.pointSizeF());
    option->font = font;
}

} // namespace faultline::ui
