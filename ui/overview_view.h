// Overview: the cluster at a glance — brokers up/down, controller, topics, partitions,
// under-replicated, offline, under-min-ISR, total disk and a health badge.
#pragma once

#include "models/cluster_snapshot.h"

#include <QHash>
#include <QWidget>

class QLabel;
class QGridLayout;

namespace faultline::ui {

class OverviewView : public QWidget {
    Q_OBJECT
public:
    enum class Health { Unknown, Healthy, Degraded, Critical };

    explicit OverviewView(QWidget* parent = nullptr);
    void setSnapshot(models::SnapshotPtr snapshot);

    [[nodiscard]] Health health() const { return m_health; }
    [[nodiscard]] QString tileValue(const QString& key) const; // "brokers", "controller", ...
    [[nodiscard]] QStringList tileKeys() const { return m_order; }
    [[nodiscard]] QString healthText() const;

private:
    void addTile(QGridLayout* grid, const QString& key, const QString& caption, int index);
    void setTile(const QString& key, const QString& value, const QColor& color = {});

    QLabel* m_badge = nullptr;
    QLabel* m_cluster = nullptr;
    QLabel* m_warnings = nullptr;
    QHash<QString, QLabel*> m_values;
    QStringList m_order;
    Health m_health = Health::Unknown;
};

} // namespace faultline::ui
