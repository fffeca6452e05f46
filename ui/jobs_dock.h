// The jobs dock: every Job the session runs, with progress, a cancel button and the result;
// a failed job shows the Kafka error name.
#pragma once

#include "models/job.h"

#include <QDockWidget>
#include <QHash>
#include <QPointer>

class QTreeWidget;
class QTreeWidgetItem;
class QPushButton;

namespace faultline::models {
class ClusterSession;
}

namespace faultline::ui {

class JobsDock : public QDockWidget {
    Q_OBJECT
public:
    enum Column { TitleColumn, StatusColumn, ProgressColumn, ResultColumn };

    explicit JobsDock(QWidget* parent = nullptr);
    void setSession(models::ClusterSession* session);

    [[nodiscard]] int jobCount() const;
    [[nodiscard]] QString statusText(models::JobId id) const;
    [[nodiscard]] QString resultText(models::JobId id) const;

    void onJobStarted(models::JobId id, const QString& title);
    void onJobProgress(models::JobId id, int percent, const QString& message);
    void onJobFinished(models::JobId id, const models::JobResult& result);

signals:
    void jobFailed(const QString& message);

private:
    QTreeWidgetItem* itemFor(models::JobId id);
    void cancelSelected();
    void updateButtons();

    QTreeWidget* m_tree = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_clear = nullptr;
    QPointer<models::ClusterSession> m_session;
    QHash<models::JobId, QTreeWidgetItem*> m_items;
    QList<QMetaObject::Connection> m_connections;
};

} // namespace faultline::ui
