#include "ui/groups_view.h"

#include "models/cluster_session.h"
#include "models/group_jobs.h"
#include "models/group_offset_table_model.h"
#include "models/group_table_model.h"
#include "models/snapshot_diff.h"
#include "ui/display_format.h"
#include "ui/reset_offsets_dialog.h"
#include "ui/snapshot_table_view.h"

#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace faultline::ui {

using models::GroupOffsetTableModel;
using models::GroupTableModel;

GroupsView::GroupsView(QWidget* parent)
    : QWidget(parent)
    , m_groupModel(new GroupTableModel(this))
    , m_offsetModel(new GroupOffsetTableModel(this))
{
    setObjectName(QStringLiteral("groupsView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_groups = new SnapshotTableView(splitter);
    m_groups->setObjectName(QStringLiteral("groupsTable"));
    m_groups->setSourceModel(m_groupModel);
    m_groups->setColumnWidths({320, 160, 140, 90, 110, 120});
    m_groups->setMonospaceColumns({GroupTableModel::TotalLagColumn});

    auto* lower = new QWidget(splitter);
    auto* lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 4, 0, 0);
    auto* bar = new QHBoxLayout;
    m_detail = new QLabel(tr("Select a group to see its offsets"), lower);
    m_detail->setObjectName(QStringLiteral("groupDetail"));
    bar->addWidget(m_detail, 1);
    m_reset = new QPushButton(tr("Reset offsets…"), lower);
    m_reset->setToolTip(tr("Only for an Empty group: a group with members would overwrite the reset"));
    bar->addWidget(m_reset);
    lowerLayout->addLayout(bar);
    m_offsets = new SnapshotTableView(lower);
    m_offsets->setObjectName(QStringLiteral("groupOffsetsTable"));
    m_offsets->setSourceModel(m_offsetModel);
    m_offsets->setColumnWidths({260, 80, 140, 140, 120});
    m_offsets->setMonospaceColumns({GroupOffsetTableModel::CommittedColumn, GroupOffsetTableModel::EndColumn,
        GroupOffsetTableModel::LagColumn});
    lowerLayout->addWidget(m_offsets);
    splitter->addWidget(m_groups);
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter);

    connect(m_groups->selectionModel(), &QItemSelectionModel::currentChanged, this, &GroupsView::onSelectionChanged);
    connect(m_reset, &QPushButton::clicked, this, [this] { openResetDialog(); });
    updateDetail();
}

void GroupsView::setSession(models::ClusterSession* session, const QString& password)
{
    disconnect(m_jobConnection);
    m_handlers.clear();
    m_session = session;
    m_password = password;
    if (session) {
        m_jobConnection = connect(session, &models::ClusterSession::jobFinished, this,
            [this](models::JobId id, const models::JobResult& result) {
                if (const auto handler = m_handlers.take(id))
                    handler(result);
            });
    }
    updateDetail();
}

void GroupsView::setSnapshot(models::SnapshotPtr snapshot)
{
    m_snapshot = snapshot;
    m_groupModel->setSnapshot(snapshot);
    m_offsetModel->setSnapshot(std::move(snapshot));
    if (selectedGroup().isEmpty() && m_groups->model()->rowCount() > 0)
        m_groups->setCurrentIndex(m_groups->model()->index(0, 0));
    updateDetail();
}

QString GroupsView::selectedGroup() const
{
    return m_groups->currentKey().toString();
}

void GroupsView::selectGroup(const QString& group)
{
    m_groups->selectKey(group);
}

void GroupsView::onSelectionChanged()
{
    const auto group = selectedGroup();
    if (m_offsetModel->group() != group)
        m_offsetModel->setGroup(group);
    updateDetail();
}

bool GroupsView::canReset() const
{
    const auto* g = m_snapshot ? m_snapshot->group(selectedGroup()) : nullptr;
    return m_session && g && g->state == QLatin1String("Empty") && !g->offsets.isEmpty();
}

QString GroupsView::detailText() const
{
    return m_detail->text();
}

void GroupsView::updateDetail()
{
    const auto* g = m_snapshot ? m_snapshot->group(selectedGroup()) : nullptr;
    m_reset->setEnabled(canReset());
    if (!g) {
        m_detail->setText(m_snapshot && m_snapshot->groups.isEmpty() ? tr("No consumer groups")
                                                                      : tr("Select a group to see its offsets"));
        return;
    }
    m_detail->setText(tr("<b>%1</b> · %2 · %3 members · coordinator %4 · total lag %5")
                          .arg(g->groupId.toHtmlEscaped(), g->state.isEmpty() ? tr("unknown state") : g->state)
                          .arg(g->members.size())
                          .arg(g->coordinator)
                          .arg(formatCount(g->totalLag())));
    m_reset->setToolTip(g->state == QLatin1String("Empty")
            ? tr("Reset this group's committed offsets (preview first)")
            : tr("Only an Empty group can be reset: stop its consumers first (state: %1)").arg(g->state));
}

void GroupsView::submit(std::shared_ptr<models::Job> job, ResultHandler handler)
{
    if (!m_session)
        return;
    const auto id = m_session->submit(std::move(job));
    m_handlers.insert(id, std::move(handler));
}

ResetOffsetsDialog* GroupsView::openResetDialog()
{
    if (!canReset())
        return nullptr;
    const auto* g = m_snapshot->group(selectedGroup());
    auto* dialog = new ResetOffsetsDialog(g->groupId, g->offsets, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QPointer<ResetOffsetsDialog> guard(dialog);
    auto run = [this, guard](const QString& group, const QStringList& topics, const models::OffsetResetTarget& target,
                   bool previewOnly) {
        if (!m_session)
            return;
        submit(std::make_shared<models::ResetOffsetsJob>(m_session->profile(), m_password, group, topics, target,
                   previewOnly),
            [this, guard, previewOnly](const models::JobResult& result) {
                if (!guard)
                    return;
                if (!result.ok) {
                    guard->setError(QStringLiteral("%1: %2 %3").arg(result.errorName, result.summary, result.detail).trimmed());
                } else if (previewOnly) {
                    guard->setPreview(result.value.value<QList<models::OffsetResetRow>>());
                } else {
                    guard->setApplied(result.summary);
                    if (m_session)
                        m_session->refreshNow();
                }
            });
    };
    connect(dialog, &ResetOffsetsDialog::previewRequested, this,
        [run](const QString& group, const QStringList& topics, const models::OffsetResetTarget& target) {
            run(group, topics, target, true);
        });
    connect(dialog, &ResetOffsetsDialog::applyRequested, this,
        [run](const QString& group, const QStringList& topics, const models::OffsetResetTarget& target) {
            run(group, topics, target, false);
        });
    dialog->open();
    return dialog;
}

} // namespace faultline::ui
