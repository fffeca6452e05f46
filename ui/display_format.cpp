#include "ui/display_format.h"

#include "models/snapshot_diff.h"

#include <QFontDatabase>
#include <QLocale>
#include <QStringList>

namespace faultline::ui {

QString formatBytes(qint64 bytes)
{
    return models::formatBytes(bytes); // the same units as the tables
}

QString formatCount(qint64 count)
{
    if (count < 0)
        return QStringLiteral("—");
    return QLocale(QLocale::English).toString(count);
}

QString formatBrokerList(const QVector<std::int32_t>& ids, std::int32_t leader)
{
    QStringList parts;
    parts.reserve(ids.size());
    for (const auto id : ids)
        parts << (id == leader ? QStringLiteral("%1 (L)").arg(id) : QString::number(id));
    return parts.join(QStringLiteral(", "));
}

QFont monospaceFont()
{
    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setStyleHint(QFont::Monospace);
    return font;
}

} // namespace faultline::ui
