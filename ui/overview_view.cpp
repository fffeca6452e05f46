#include "ui/overview_view.h"

#include "ui/display_format.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace faultline::ui {

OverviewView::OverviewView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("overviewView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 16);
    layout->setSpacing(12);

    auto* header = new QHBoxLayout;
    m_badge = new QLabel(this);
    m_badge->setObjectName(QStringLiteral("healthBadge"));
    m_badge->setAlignment(Qt::AlignCenter);
    m_badge->setMinimumWidth(140);
    header->addWidget(m_badge);
    m_cluster = new QLabel(this);
    m_cluster->setTextInteractionFlags(Qt::TextSelectableByMouse);
    header->addWidget(m_cluster, 1);
    layout->addLayout(header);

    auto* grid = new QGridLayout;
    grid->setSpacing(12);
    const QList<QPair<QString, QString>> tiles = {
        {QStringLiteral("brokers"), tr("Brokers up / total")},
        {QStringLiteral("controller"), tr("Controller")},
        {QStringLiteral("topics"), tr("Topics")},
        {QStringLiteral("partitions"), tr("Partitions")},
        {QStringLiteral("underReplicated"), tr("Under-replicated")},
        {QStringLiteral("offline"), tr("Offline partitions")},
        {QStringLiteral("underMinIsr"), tr("Under min ISR")},
        {QStringLiteral("disk"), tr("Total disk")},
        {QStringLiteral("groups"), tr("Consumer groups")},
        {QStringLiteral("updated"), tr("Last refresh")},
    };
    for (int i = 0; i < tiles.size(); ++i)
        addTile(grid, tiles[i].first, tiles[i].second, i);
    layout->addLayout(grid);

    m_warnings = new QLabel(this);
    m_warnings->setWordWrap(true);
    m_warnings->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::warning().name()));
    layout->addWidget(m_warnings);
    layout->addStretch();
    setSnapshot(nullptr);
}

void OverviewView::addTile(QGridLayout* grid, const QString& key, const QString& caption, int index)
{
    auto* frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setObjectName(QStringLiteral("tile_") + key);
    frame->setMinimumSize(170, 84);
    auto* v = new QVBoxLayout(frame);
    auto* captionLabel = new QLabel(caption, frame);
    captionLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::neutral().name()));
    auto* value = new QLabel(frame);
    value->setObjectName(QStringLiteral("value_") + key);
    QFont font = value->font();
    font.setPointSizeF(font.pointSizeF() * 1.9);
    font.setBold(true);
    value->setFont(font);
    v->addWidget(captionLabel);
    v->addWidget(value);
    v->addStretch();
    grid->addWidget(frame, index / 5, index % 5);
    m_values.insert(key, value);
    m_order << key;
}

void OverviewView::setTile(const QString& key, const QString& value, const QColor& color)
{
    auto* label = m_values.value(key);
    if (!label)
        return;
    label->setText(value);
    label->setStyleSheet(color.isValid() ? QStringLiteral("color: %1;").arg(color.name()) : QString());
}

QString OverviewView::tileValue(const QString& key) const
{
    const auto* label = m_values.value(key);
    return label ? label->text() : QString();
}

QString OverviewView::healthText() const
{
    return m_badge->text();
}

void OverviewView::setSnapshot(models::SnapshotPtr snapshot)
{
    auto badge = [this](const QString& text, const QColor& color) {
        m_badge->setText(text);
        m_badge->setStyleSheet(QStringLiteral("QLabel { background: %1; color: white; font-weight: bold;"
                                              " border-radius: 6px; padding: 6px 14px; }")
                                   .arg(color.name()));
    };
    if (!snapshot) {
        m_health = Health::Unknown;
        badge(tr("NO DATA"), StatusColors::neutral());
        m_cluster->setText(tr("Not attached to a cluster"));
        for (const auto& key : std::as_const(m_order))
            setTile(key, QStringLiteral("—"));
        m_warnings->clear();
        return;
    }
    const auto& s = *snapshot;
    int up = 0;
    for (const auto& b : s.brokers)
        up += b.status == models::BrokerStatus::Up ? 1 : 0;
    const int total = static_cast<int>(s.brokers.size());
    const int urp = s.underReplicatedCount();
    const int offline = s.offlineCount();
    const int underMin = s.underMinIsrCount();

    setTile(QStringLiteral("brokers"), QStringLiteral("%1 / %2").arg(up).arg(total),
        up == total ? StatusColors::ok() : StatusColors::error());
    const auto* controller = s.broker(s.controllerId);
    setTile(QStringLiteral("controller"),
        s.controllerId < 0 ? tr("none")
                           : (controller && !controller->rack.isEmpty()
                                  ? QStringLiteral("%1 (%2)").arg(s.controllerId).arg(controller->rack)
                                  : QString::number(s.controllerId)),
        s.controllerId < 0 ? StatusColors::error() : QColor());
    setTile(QStringLiteral("topics"), formatCount(s.topics.size()));
    setTile(QStringLiteral("partitions"), formatCount(s.partitionCount()));
    setTile(QStringLiteral("underReplicated"), formatCount(urp), urp ? StatusColors::warning() : StatusColors::ok());
    setTile(QStringLiteral("offline"), formatCount(offline), offline ? StatusColors::error() : StatusColors::ok());
    setTile(QStringLiteral("underMinIsr"), formatCount(underMin),
        underMin ? StatusColors::error() : StatusColors::ok());
    setTile(QStringLiteral("disk"), formatBytes(s.totalDiskBytes()));
    setTile(QStringLiteral("groups"), formatCount(s.groups.size()));
    setTile(QStringLiteral("updated"),
        s.takenAt.isValid() ? s.takenAt.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : tr("now"));

    if (offline > 0 || underMin > 0 || up < total || s.controllerId < 0) {
        m_health = Health::Critical;
        badge(tr("CRITICAL"), StatusColors::error());
    } else if (urp > 0 || !s.warnings.isEmpty()) {
        m_health = Health::Degraded;
        badge(tr("DEGRADED"), StatusColors::warning());
    } else {
        m_health = Health::Healthy;
        badge(tr("HEALTHY"), StatusColors::ok());
    }
    m_cluster->setText(tr("Cluster <b>%1</b> · %2 brokers · snapshot #%3")
                           .arg(s.clusterId.isEmpty() ? tr("(no id)") : s.clusterId.toHtmlEscaped())
                           .arg(total)
                           .arg(s.sequence));
    m_warnings->setText(s.warnings.isEmpty() ? QString() : tr("Warnings: ") + s.warnings.join(QStringLiteral("; ")));
}

} // namespace faultline::ui
