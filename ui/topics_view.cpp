#include "ui/topics_view.h"

#include "models/cluster_session.h"
#include "models/topic_filter_proxy_model.h"
#include "models/topic_jobs.h"
#include "models/topic_table_model.h"
#include "ui/create_topic_dialog.h"
#include "ui/delete_topic_dialog.h"
#include "ui/snapshot_table_view.h"
#include "ui/topic_config_dialog.h"

#include <QAction>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QToolBar>
#include <QVBoxLayout>

namespace faultline::ui {

using models::TopicTableModel;

TopicsView::TopicsView(QWidget* parent)
    : QWidget(parent)
    , m_model(new TopicTableModel(this))
    , m_proxy(new models::TopicFilterProxyModel(this))
{
    setObjectName(QStringLiteral("topicsView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("topicFilter"));
    m_filter->setPlaceholderText(tr("Filter topics (Ctrl+F)…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(280);
    bar->addWidget(m_filter);
    m_count = new QLabel(this);
    bar->addWidget(m_count);
    bar->addStretch();
    m_toolbar = new QToolBar(this);
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_create = m_toolbar->addAction(tr("Create…"));
    m_delete = m_toolbar->addAction(tr("Delete…"));
    m_addPartitions = m_toolbar->addAction(tr("Add partitions…"));
    m_configs = m_toolbar->addAction(tr("Configs…"));
    m_create->setShortcut(QKeySequence::New);
    m_delete->setShortcut(QKeySequence::Delete);
    m_create->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_delete->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(m_create);
    addAction(m_delete);
    bar->addWidget(m_toolbar);
    layout->addLayout(bar);

    m_table = new SnapshotTableView(this);
    m_table->setObjectName(QStringLiteral("topicsTable"));
    m_table->setSourceModel(m_model, m_proxy);
    m_table->setColumnWidths({340, 90, 50, 130, 80, 100, 120, 70});
    m_table->setMonospaceColumns({TopicTableModel::SizeColumn, TopicTableModel::MessagesColumn});
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->addActions({m_create, m_delete, m_addPartitions, m_configs});
    layout->addWidget(m_table);

    connect(m_filter, &QLineEdit::textChanged, this, &TopicsView::setFilterText);
    connect(m_proxy, &models::TopicFilterProxyModel::filterValidityChanged, this,
        [this](bool valid, const QString& error) {
            m_filter->setStyleSheet(valid ? QString() : QStringLiteral("QLineEdit { border: 1px solid #c92a2a; }"));
            m_filter->setToolTip(valid ? tr("Substring of the topic name, or /regex") : error);
        });
    m_filter->setToolTip(tr("Substring of the topic name, or /regex"));
    connect(m_create, &QAction::triggered, this, [this] { openCreateDialog(); });
    connect(m_delete, &QAction::triggered, this, [this] { openDeleteDialog(); });
    connect(m_addPartitions, &QAction::triggered, this, [this] { openAddPartitionsDialog(); });
    connect(m_configs, &QAction::triggered, this, [this] { openConfigDialog(); });
    connect(m_table, &QAbstractItemView::doubleClicked, this, [this] {
        if (const auto topic = selectedTopic(); !topic.isEmpty())
            emit topicActivated(topic);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentChanged, this, &TopicsView::updateActions);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &TopicsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &TopicsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TopicsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &TopicsView::updateCount);
    updateActions();
    updateCount();
}

void TopicsView::setSession(models::ClusterSession* session, const QString& password)
{
    disconnect(m_jobConnection);
    m_handlers.clear();
    m_session = session;
    m_password = password;
    if (session)
        m_jobConnection = connect(session, &models::ClusterSession::jobFinished, this, &TopicsView::onJobFinished);
    updateActions();
}

void TopicsView::setSnapshot(models::SnapshotPtr snapshot)
{
    m_snapshot = snapshot;
    m_model->setSnapshot(std::move(snapshot));
    updateCount();
    updateActions();
}

void TopicsView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void TopicsView::setFilterText(const QString& text)
{
    if (m_filter->text() != text)
        m_filter->setText(text); // re-enters through textChanged
    else
        m_proxy->setFilterText(text);
    updateCount();
}

QString TopicsView::selectedTopic() const
{
    return m_table->currentKey().toString();
}

void TopicsView::selectTopic(const QString& name)
{
    m_table->selectKey(name);
}

int TopicsView::visibleRowCount() const
{
    return m_proxy->rowCount();
}

void TopicsView::updateCount()
{
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    m_count->setText(shown == total ? tr("%1 topics").arg(total) : tr("%1 of %2 topics").arg(shown).arg(total));
}

void TopicsView::updateActions()
{
    const bool attached = !m_session.isNull();
    const bool selected = attached && !selectedTopic().isEmpty();
    m_create->setEnabled(attached);
    m_delete->setEnabled(selected);
    m_addPartitions->setEnabled(selected);
    m_configs->setEnabled(selected);
}

models::JobId TopicsView::submit(std::shared_ptr<models::Job> job, ResultHandler handler)
{
    const auto id = m_session->submit(std::move(job));
    if (handler)
        m_handlers.insert(id, std::move(handler));
    return id;
}

TopicsView::ResultHandler TopicsView::announceAndRefresh()
{
    return [this](const models::JobResult& result) {
        if (result.ok && m_session) {
            emit statusMessage(result.summary);
            m_session->refreshNow();
        }
    };
}

void TopicsView::onJobFinished(models::JobId id, const models::JobResult& result)
{
    const auto handler = m_handlers.take(id);
    if (handler)
        handler(result);
}

CreateTopicDialog* TopicsView::openCreateDialog()
{
    if (!m_session)
        return nullptr;
    const int brokers = m_snapshot ? static_cast<int>(m_snapshot->brokers.size()) : 1;
    auto* dialog = new CreateTopicDialog(brokers, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (!m_session)
            return;
        const auto name = dialog->topicName();
        submit(std::make_shared<models::CreateTopicJob>(m_session->profile(), m_password, name,
                   dialog->partitions(), dialog->replicationFactor(), dialog->configs()),
            [this, name, announce = announceAndRefresh()](const models::JobResult& result) {
                announce(result);
                if (result.ok)
                    selectTopic(name);
            });
    });
    dialog->open();
    return dialog;
}

DeleteTopicDialog* TopicsView::openDeleteDialog()
{
    const auto topic = selectedTopic();
    if (!m_session || topic.isEmpty())
        return nullptr;
    auto* dialog = new DeleteTopicDialog(topic, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, topic] {
        if (!m_session)
            return;
        submit(std::make_shared<models::DeleteTopicJob>(m_session->profile(), m_password, topic),
            announceAndRefresh());
    });
    dialog->open();
    return dialog;
}

QInputDialog* TopicsView::openAddPartitionsDialog()
{
    const auto topic = selectedTopic();
    if (!m_session || topic.isEmpty())
        return nullptr;
    const auto* row = m_snapshot ? m_snapshot->topic(topic) : nullptr;
    const int current = row ? static_cast<int>(row->partitions.size()) : 1;
    auto* dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Add partitions to %1").arg(topic));
    dialog->setLabelText(tr("%1 has %2 partitions. New total (Kafka never removes partitions; "
                            "keyed messages may move to other partitions):")
                             .arg(topic)
                             .arg(current));
    dialog->setInputMode(QInputDialog::IntInput);
    dialog->setIntRange(current + 1, 100000);
    dialog->setIntValue(current + 1);
    connect(dialog, &QInputDialog::intValueSelected, this, [this, topic](int total) {
        if (!m_session)
            return;
        submit(std::make_shared<models::CreatePartitionsJob>(m_session->profile(), m_password, topic, total),
            announceAndRefresh());
    });
    dialog->open();
    return dialog;
}

TopicConfigDialog* TopicsView::openConfigDialog()
{
    const auto topic = selectedTopic();
    if (!m_session || topic.isEmpty())
        return nullptr;
    auto* dialog = new TopicConfigDialog(topic, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QPointer<TopicConfigDialog> guard(dialog);
    auto load = [this, guard, topic] {
        if (!m_session)
            return;
        submit(std::make_shared<models::DescribeTopicConfigJob>(m_session->profile(), m_password, topic),
            [guard](const models::JobResult& result) {
                if (!guard)
                    return;
                if (result.ok)
                    guard->setEntries(result.value.value<QList<models::ConfigEntryRow>>());
                else
                    guard->setError(QStringLiteral("%1: %2 %3").arg(result.errorName, result.summary, result.detail));
            });
    };
    connect(dialog, &TopicConfigDialog::applyRequested, this,
        [this, guard, load](const QString& name, const QMap<QString, QString>& set, const QStringList& remove) {
            if (!m_session)
                return;
            submit(std::make_shared<models::AlterTopicConfigJob>(m_session->profile(), m_password, name, set, remove),
                [guard, load](const models::JobResult& result) {
                    if (!guard)
                        return;
                    if (result.ok)
                        load();
                    else
                        guard->setError(QStringLiteral("%1: %2 %3").arg(result.errorName, result.summary, result.detail));
                });
        });
    load();
    dialog->open();
    return dialog;
}

} // namespace faultline::ui
