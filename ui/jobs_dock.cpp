#include "ui/jobs_dock.h"

#include "models/cluster_session.h"
#include "ui/display_format.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTime>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace faultline::ui {

namespace {
constexpr int JobIdRole = Qt::UserRole + 1;
constexpr int RunningRole = Qt::UserRole + 2;
} // namespace

JobsDock::JobsDock(QWidget* parent)
    : QDockWidget(tr("Jobs"), parent)
{
    setObjectName(QStringLiteral("jobsDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);
    m_tree = new QTreeWidget(body);
    m_tree->setRootIsDecorated(false);
    m_tree->setUniformRowHeights(true);
    m_tree->setHeaderLabels({tr("Job"), tr("Status"), tr("Progress"), tr("Result")});
    m_tree->header()->resizeSection(TitleColumn, 220);
    m_tree->header()->resizeSection(StatusColumn, 90);
    m_tree->header()->resizeSection(ProgressColumn, 70);
    m_tree->header()->setStretchLastSection(true);
    layout->addWidget(m_tree);
    auto* bar = new QHBoxLayout;
    bar->addStretch();
    m_cancel = new QPushButton(tr("Cancel job"), body);
    m_clear = new QPushButton(tr("Clear finished"), body);
    bar->addWidget(m_cancel);
    bar->addWidget(m_clear);
    layout->addLayout(bar);
    setWidget(body);

    connect(m_cancel, &QPushButton::clicked, this, &JobsDock::cancelSelected);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        for (auto it = m_items.begin(); it != m_items.end();) {
            if (!it.value()->data(0, RunningRole).toBool()) {
                delete it.value();
                it = m_items.erase(it);
            } else {
                ++it;
            }
        }
        updateButtons();
    });
    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, &JobsDock::updateButtons);
    updateButtons();
}

void JobsDock::setSession(models::ClusterSession* session)
{
    for (const auto& c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    m_session = session;
    if (!session)
        return;
    m_connections << connect(session, &models::ClusterSession::jobStarted, this, &JobsDock::onJobStarted)
                  << connect(session, &models::ClusterSession::jobProgress, this, &JobsDock::onJobProgress)
                  << connect(session, &models::ClusterSession::jobFinished, this, &JobsDock::onJobFinished);
}

int JobsDock::jobCount() const
{
    return static_cast<int>(m_items.size());
}

QString JobsDock::statusText(models::JobId id) const
{
    const auto* item = m_items.value(id);
    return item ? item->text(StatusColumn) : QString();
}

QString JobsDock::resultText(models::JobId id) const
{
    const auto* item = m_items.value(id);
    return item ? item->text(ResultColumn) : QString();
}

QTreeWidgetItem* JobsDock::itemFor(models::JobId id)
{
    if (auto* item = m_items.value(id))
        return item;
    auto* item = new QTreeWidgetItem(m_tree);
    item->setData(0, JobIdRole, QVariant::fromValue(id));
    item->setData(0, RunningRole, true);
    m_items.insert(id, item);
    return item;
}

void JobsDock::onJobStarted(models::JobId id, const QString& title)
{
    auto* item = itemFor(id);
    item->setText(TitleColumn, title);
    item->setToolTip(TitleColumn, title);
    item->setText(StatusColumn, tr("Running"));
    item->setForeground(StatusColumn, StatusColors::warning());
    item->setText(ProgressColumn, QStringLiteral("0 %"));
    item->setText(ResultColumn, tr("started %1").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
    m_tree->scrollToItem(item);
    updateButtons();
}

void JobsDock::onJobProgress(models::JobId id, int percent, const QString& message)
{
    auto* item = itemFor(id);
    item->setText(ProgressColumn, QStringLiteral("%1 %").arg(percent));
    if (!message.isEmpty())
        item->setText(ResultColumn, message);
}

void JobsDock::onJobFinished(models::JobId id, const models::JobResult& result)
{
    auto* item = itemFor(id);
    item->setData(0, RunningRole, false);
    item->setText(ProgressColumn, result.ok ? QStringLiteral("100 %") : item->text(ProgressColumn));
    if (result.ok) {
        item->setText(StatusColumn, tr("Done"));
        item->setForeground(StatusColumn, StatusColors::ok());
        item->setText(ResultColumn, result.summary);
    } else {
        item->setText(StatusColumn, tr("Failed"));
        item->setForeground(StatusColumn, StatusColors::error());
        QString text = result.errorName.isEmpty() ? result.summary
                                                  : QStringLiteral("%1: %2").arg(result.errorName, result.summary);
        if (!result.detail.isEmpty())
            text += QStringLiteral(" — ") + result.detail;
        item->setText(ResultColumn, text);
        emit jobFailed(QStringLiteral("%1 failed: %2").arg(item->text(TitleColumn), text));
    }
    item->setToolTip(ResultColumn, item->text(ResultColumn));
    updateButtons();
}

void JobsDock::cancelSelected()
{
    if (!m_session)
        return;
    for (auto* item : m_tree->selectedItems()) {
        if (item->data(0, RunningRole).toBool()) {
            m_session->cancel(item->data(0, JobIdRole).value<models::JobId>());
            item->setText(StatusColumn, tr("Cancelling"));
        }
    }
}

void JobsDock::updateButtons()
{
    bool running = false;
    for (auto* item : m_tree->selectedItems())
        running = running || item->data(0, RunningRole).toBool();
    m_cancel->setEnabled(running);
}

} // namespace faultline::ui
