// Small formatting helpers shared by the views: sizes, counts, broker lists, status colours.
#pragma once

#include <QColor>
#include <QFont>
#include <QString>
#include <QVector>

#include <cstdint>

namespace faultline::ui {

[[nodiscard]] QString formatBytes(qint64 bytes);   // "1.5 MiB"; "—" when negative (unknown)
[[nodiscard]] QString formatCount(qint64 count);   // "12,345"; "—" when negative
[[nodiscard]] QString formatBrokerList(const QVector<std::int32_t>& ids, std::int32_t leader = -1);
[[nodiscard]] QFont monospaceFont();

struct StatusColors {
    static QColor ok() { return {0x2e, 0x9e, 0x4f}; }
    static QColor warning() { return {0xd9, 0x8e, 0x04}; }
    static QColor error() { return {0xc9, 0x2a, 0x2a}; }
    static QColor neutral() { return {0x6b, 0x75, 0x80}; }
    static QColor warningBackground() { return {0xff, 0xf1, 0xcc}; }
    static QColor errorBackground() { return {0xfd, 0xd8, 0xd8}; }
};

} // namespace faultline::ui
