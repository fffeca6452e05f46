// Consumer groups: state, protocol, members, coordinator, total lag; below, the selected group's
// offsets per partition (committed, end, lag, member). Reset offsets (for an Empty group only)
// opens the ResetOffsetsDialog, whose preview and apply run as ResetOffsetsJobs.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/job.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <functional>

class QAction;
class QLabel;
class QPushButton;

namespace faultline::models {
class ClusterSession;
class GroupTableModel;
class GroupOffsetTableModel;
} // namespace faultline::models

namespace faultline::ui {

class ResetOffsetsDialog;
class SnapshotTableView;

class GroupsView : public QWidget {
    Q_OBJECT
public:
    explicit GroupsView(QWidget* parent = nullptr);

    void setSession(models::ClusterSession* session, const QString& password);
    void setSnapshot(models::SnapshotPtr snapshot);

    [[nodiscard]] QString selectedGroup() const;
    void selectGroup(const QString& group);
    [[nodiscard]] SnapshotTableView* groupsTable() const { return m_groups; }
    [[nodiscard]] SnapshotTableView* offsetsTable() const { return m_offsets; }
    [[nodiscard]] QString detailText() const;
    [[nodiscard]] bool canReset() const; // a group is selected and it is Empty

    ResetOffsetsDialog* openResetDialog(); // null unless canReset()

private:
    using ResultHandler = std::function<void(const models::JobResult&)>;
    void submit(std::shared_ptr<models::Job> job, ResultHandler handler);
    void onSelectionChanged();
    void updateDetail();

    QPointer<models::ClusterSession> m_session;
    QString m_password;
    models::SnapshotPtr m_snapshot;
    models::GroupTableModel* m_groupModel = nullptr;
    models::GroupOffsetTableModel* m_offsetModel = nullptr;
    SnapshotTableView* m_groups = nullptr;
    SnapshotTableView* m_offsets = nullptr;
    QLabel* m_detail = nullptr;
    QPushButton* m_reset = nullptr;
    QHash<models::JobId, ResultHandler> m_handlers;
    QMetaObject::Connection m_jobConnection;
};

} // namespace faultline::ui
