#include "models/snapshot_diff.h"

#include <QColor>

namespace faultline::models {

QString unknownText()
{
    return QString(QChar(0x2014));
}

QString formatBytes(qint64 bytes)
{
    if (bytes < 0) {
        return unknownText();
    }
    constexpr qint64 kib = 1024;
    if (bytes < kib) {
        return QStringLiteral("%1 B").arg(bytes);
    }
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = static_cast<double>(bytes) / kib;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

QString formatCount(qint64 value)
{
    return value < 0 ? unknownText() : QString::number(value);
}

QString formatBrokerId(std::int32_t id)
{
    return id < 0 ? unknownText() : QString::number(id);
}

QString formatBrokerList(const QVector<std::int32_t>& ids, std::int32_t markLeader)
{
    if (ids.isEmpty()) {
        return unknownText();
    }
    QString text;
    text.reserve(ids.size() * 4 + 4);
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i > 0) {
            text += QLatin1String(", ");
        }
        text += QString::number(ids[i]);
        if (markLeader >= 0 && ids[i] == markLeader) {
            text += QLatin1String(" (L)");
        }
    }
    return text;
}

namespace {

QVariant colorVariant(const char* rgb)
{
    return QColor(QString::fromLatin1(rgb));
}

} // namespace

QVariant healthForeground(RowHealth health)
{
    static const QVariant offline = colorVariant("#8b0000");
    static const QVariant underReplicated = colorVariant("#6b4500");
    static const QVariant down = colorVariant("#808080");
    switch (health) {
    case RowHealth::Offline: return offline;
    case RowHealth::UnderReplicated: return underReplicated;
    case RowHealth::Down: return down;
    case RowHealth::Normal: break;
    }
    return {};
}

QVariant healthBackground(RowHealth health)
{
    static const QVariant offline = colorVariant("#ffcdd2");         // red
    static const QVariant underReplicated = colorVariant("#ffe09e"); // amber
    static const QVariant down = colorVariant("#e0e0e0");            // grey
    switch (health) {
    case RowHealth::Offline: return offline;
    case RowHealth::UnderReplicated: return underReplicated;
    case RowHealth::Down: return down;
    case RowHealth::Normal: break;
    }
    return {};
}

QVariant numericAlignment()
{
    return QVariant::fromValue(static_cast<int>(Qt::AlignRight | Qt::AlignVCenter));
}

} // namespace faultline::models
