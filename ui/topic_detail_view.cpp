#include "ui/topic_detail_view.h"

#include "models/partition_table_model.h"
#include "models/snapshot_diff.h"
#include "ui/display_format.h"
#include "ui/snapshot_table_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace faultline::ui {

using models::PartitionTableModel;

TopicDetailView::TopicDetailView(QWidget* parent)
    : QWidget(parent)
    , m_model(new PartitionTableModel(this))
{
    setObjectName(QStringLiteral("topicDetailView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Topic:"), this));
    m_topic = new QComboBox(this);
    m_topic->setObjectName(QStringLiteral("detailTopic"));
    m_topic->setMinimumContentsLength(28);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    bar->addWidget(m_topic);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("detailSummary"));
    bar->addWidget(m_summary, 1);
    layout->addLayout(bar);
    m_table = new SnapshotTableView(this);
    m_table->setObjectName(QStringLiteral("partitionsTable"));
    m_table->setSourceModel(m_model);
    m_table->setColumnWidths({80, 70, 120, 120, 100, 100, 100, 100, 240});
    m_table->setMonospaceColumns({PartitionTableModel::LogStartColumn, PartitionTableModel::LogEndColumn,
        PartitionTableModel::MessagesColumn, PartitionTableModel::ReplicaSizeColumn});
    layout->addWidget(m_table);
    connect(m_topic, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        m_model->setTopic(name);
        updateSummary();
    });
    connect(m_table, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex& index) {
        emit browseRequested(topic(), index.siblingAtColumn(0).data(models::KeyRole).toInt());
    });
    updateSummary();
}

void TopicDetailView::setSnapshot(models::SnapshotPtr snapshot)
{
    m_snapshot = snapshot;
    m_model->setSnapshot(std::move(snapshot));
    updateTopics();
    updateSummary();
}

void TopicDetailView::updateTopics()
{
    if (!m_snapshot)
        return;
    QStringList names;
    names.reserve(m_snapshot->topics.size());
    for (const auto& t : m_snapshot->topics)
        names << t.name;
    QStringList current;
    for (int i = 0; i < m_topic->count(); ++i)
        current << m_topic->itemText(i);
    if (names == current)
        return;
    auto selected = m_topic->currentText();
    if (!names.contains(selected)) {
        selected.clear();
        for (const auto& t : m_snapshot->topics) {
            if (!t.internal) {
                selected = t.name;
                break;
            }
        }
        if (selected.isEmpty() && !names.isEmpty())
            selected = names.front();
    }
    m_topic->blockSignals(true);
    m_topic->clear();
    m_topic->addItems(names);
    m_topic->setCurrentText(selected);
    m_topic->blockSignals(false);
    if (m_model->topic() != selected)
        m_model->setTopic(selected);
}

void TopicDetailView::setTopic(const QString& name)
{
    if (m_topic->findText(name) < 0)
        m_topic->addItem(name);
    m_topic->setCurrentText(name);
    m_model->setTopic(name);
    updateSummary();
}

QString TopicDetailView::topic() const
{
    return m_topic->currentText();
}

QString TopicDetailView::summaryText() const
{
    return m_summary->text();
}

void TopicDetailView::updateSummary()
{
    const auto* t = m_snapshot ? m_snapshot->topic(topic()) : nullptr;
    if (!t) {
        m_summary->setText(m_snapshot ? tr("Unknown topic") : tr("No data yet"));
        return;
    }
    const int urp = t->underReplicatedCount();
    const int offline = t->offlineCount();
    QString text = tr("%1 partitions · RF %2 · min ISR %3 · %4 messages · %5")
                       .arg(t->partitions.size())
                       .arg(t->replicationFactor())
                       .arg(t->minInsyncReplicas)
                       .arg(formatCount(t->messageCount()), formatBytes(t->sizeBytes()));
    if (offline > 0)
        text += QStringLiteral(" · <span style='color:%1'><b>%2 offline</b></span>").arg(StatusColors::error().name()).arg(offline);
    if (urp > 0)
        text += QStringLiteral(" · <span style='color:%1'><b>%2 under-replicated</b></span>").arg(StatusColors::warning().name()).arg(urp);
    if (!t->topicId.isEmpty())
        text += QStringLiteral(" · id <tt>%1</tt>").arg(t->topicId);
    m_summary->setText(text);
}

} // namespace faultline::ui
