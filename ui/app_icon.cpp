#include "ui/app_icon.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

static void initFaultlineResources()
{
    Q_INIT_RESOURCE(faultline);
}

namespace faultline::ui {

namespace {

QPixmap paintIcon(int size)
{
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 64.0, size / 64.0);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x1f, 0x2a, 0x36));
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 12, 12);
    const QColor blue(0x4f, 0xb3, 0xff);
    p.setPen(QPen(blue, 2.5));
    p.setBrush(Qt::NoBrush);
    p.drawPolygon(QPolygonF({QPointF(16, 20), QPointF(48, 20), QPointF(32, 46)}));
    p.setPen(Qt::NoPen);
    p.setBrush(blue);
    for (const QPointF c : {QPointF(16, 20), QPointF(48, 20), QPointF(32, 46)})
        p.drawEllipse(c, 6, 6);
    QPainterPath fault;
    fault.moveTo(8, 34);
    fault.lineTo(24, 30);
    fault.lineTo(30, 38);
    fault.lineTo(40, 28);
    fault.lineTo(56, 32);
    p.setPen(QPen(QColor(0xff, 0x6b, 0x4a), 4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.drawPath(fault);
    return pixmap;
}

} // namespace

QIcon appIcon()
{
    initFaultlineResources();
    QIcon icon(QStringLiteral(":/faultline/icon.svg"));
    if (!icon.pixmap(32, 32).isNull())
        return icon;
    QIcon painted;
    for (int size : {16, 24, 32, 48, 64, 128, 256})
        painted.addPixmap(paintIcon(size));
    return painted;
}

} // namespace faultline::ui
