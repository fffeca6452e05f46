// Topics: filter as you type, a sortable table (partitions, RF, under-replicated, size, messages)
// and the topic actions: create, delete (confirmed by typing the name), add partitions, configs.
// Every change is a Job submitted to the session; its outcome shows in the jobs dock.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/job.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <functional>

class QAction;
class QInputDialog;
class QLabel;
class QLineEdit;
class QToolBar;

namespace faultline::models {
class ClusterSession;
class TopicTableModel;
class TopicFilterProxyModel;
} // namespace faultline::models

namespace faultline::ui {

class CreateTopicDialog;
class DeleteTopicDialog;
class SnapshotTableView;
class TopicConfigDialog;

class TopicsView : public QWidget {
    Q_OBJECT
public:
    explicit TopicsView(QWidget* parent = nullptr);

    void setSession(models::ClusterSession* session, const QString& password);
    void setSnapshot(models::SnapshotPtr snapshot);
    void focusFilter();
    void setFilterText(const QString& text);

    [[nodiscard]] QString selectedTopic() const;
    void selectTopic(const QString& name);
    [[nodiscard]] int visibleRowCount() const;
    [[nodiscard]] SnapshotTableView* table() const { return m_table; }
    [[nodiscard]] models::TopicTableModel* model() const { return m_model; }
    [[nodiscard]] QLineEdit* filterEdit() const { return m_filter; }

    // The action code paths; each opens its dialog with open() and returns it (tests fill it in
    // and call accept()). Null when nothing is attached or no topic is selected.
    CreateTopicDialog* openCreateDialog();
    DeleteTopicDialog* openDeleteDialog();
    QInputDialog* openAddPartitionsDialog();
    TopicConfigDialog* openConfigDialog();

    QAction* createAction() const { return m_create; }
    QAction* deleteAction() const { return m_delete; }
    QAction* addPartitionsAction() const { return m_addPartitions; }
    QAction* configsAction() const { return m_configs; }

signals:
    void topicActivated(const QString& topic); // double-click: show the topic's partitions
    void statusMessage(const QString& message);

private:
    using ResultHandler = std::function<void(const models::JobResult&)>;
    models::JobId submit(std::shared_ptr<models::Job> job, ResultHandler handler = {});
    // After a change succeeded: its summary in the status bar and a refresh to show it.
    ResultHandler announceAndRefresh();
    void onJobFinished(models::JobId id, const models::JobResult& result);
    void updateActions();
    void updateCount();

    QPointer<models::ClusterSession> m_session;
    QString m_password;
    models::SnapshotPtr m_snapshot;
    models::TopicTableModel* m_model = nullptr;
    models::TopicFilterProxyModel* m_proxy = nullptr;
    SnapshotTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_count = nullptr;
    QToolBar* m_toolbar = nullptr;
    QAction* m_create = nullptr;
    QAction* m_delete = nullptr;
    QAction* m_addPartitions = nullptr;
    QAction* m_configs = nullptr;
    QHash<models::JobId, ResultHandler> m_handlers;
    QMetaObject::Connection m_jobConnection;
};

} // namespace faultline::ui
