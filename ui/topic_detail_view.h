// Topic detail: one topic's partitions — leader, replicas with the leader marked (L), ISR,
// offline replicas, log start/end, messages and size per replica; offline and under-replicated
// partitions highlighted (the model's colours).
#pragma once

#include "models/cluster_snapshot.h"

#include <QWidget>

class QComboBox;
class QLabel;

namespace faultline::models {
class PartitionTableModel;
}

namespace faultline::ui {

class SnapshotTableView;

class TopicDetailView : public QWidget {
    Q_OBJECT
public:
    explicit TopicDetailView(QWidget* parent = nullptr);
    void setSnapshot(models::SnapshotPtr snapshot);
    void setTopic(const QString& topic);
    [[nodiscard]] QString topic() const;
    [[nodiscard]] QString summaryText() const;
    [[nodiscard]] SnapshotTableView* table() const { return m_table; }
    [[nodiscard]] models::PartitionTableModel* model() const { return m_model; }

signals:
    void browseRequested(const QString& topic, int partition);

private:
    void updateTopics();
    void updateSummary();

    models::SnapshotPtr m_snapshot;
    models::PartitionTableModel* m_model = nullptr;
    SnapshotTableView* m_table = nullptr;
    QComboBox* m_topic = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace faultline::ui
