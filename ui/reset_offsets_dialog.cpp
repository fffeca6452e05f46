#include "ui/reset_offsets_dialog.h"

#include "ui/display_format.h"

#include <QButtonGroup>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QRadioButton>
#include <QSet>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace faultline::ui {

using models::ResetMode;

ResetOffsetsDialog::ResetOffsetsDialog(QString group, const QVector<models::GroupOffsetRow>& offsets, QWidget* parent)
    : QDialog(parent)
    , m_group(std::move(group))
    , m_offsets(offsets)
{
    setWindowTitle(tr("Reset offsets of %1").arg(m_group));
    setObjectName(QStringLiteral("resetOffsetsDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;

    auto* topicsBox = new QGroupBox(tr("Topics"), this);
    auto* topicsLayout = new QVBoxLayout(topicsBox);
    m_topics = new QListWidget(topicsBox);
    QStringList names;
    for (const auto& o : offsets) {
        if (!names.contains(o.topic))
            names << o.topic;
    }
    for (const auto& name : names) {
        auto* item = new QListWidgetItem(name, m_topics);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    topicsLayout->addWidget(m_topics);
    top->addWidget(topicsBox, 1);

    auto* modeBox = new QGroupBox(tr("Reset to"), this);
    auto* modeLayout = new QVBoxLayout(modeBox);
    m_modes = new QButtonGroup(this);
    const QList<QPair<ResetMode, QString>> modes = {{ResetMode::Earliest, tr("Earliest (log start)")},
        {ResetMode::Latest, tr("Latest (log end)")}, {ResetMode::Timestamp, tr("Timestamp")},
        {ResetMode::Explicit, tr("Explicit offsets")}};
    for (const auto& [mode, label] : modes) {
        auto* radio = new QRadioButton(label, modeBox);
        m_modes->addButton(radio, static_cast<int>(mode));
        modeLayout->addWidget(radio);
        if (mode == ResetMode::Timestamp) {
            m_timestamp = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(-3600), modeBox);
            m_timestamp->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
            m_timestamp->setCalendarPopup(true);
            modeLayout->addWidget(m_timestamp);
        }
    }
    m_modes->button(static_cast<int>(ResetMode::Earliest))->setChecked(true);
    m_explicit = new QTableWidget(static_cast<int>(offsets.size()), 3, modeBox);
    m_explicit->setHorizontalHeaderLabels({tr("Topic"), tr("Partition"), tr("New offset")});
    m_explicit->verticalHeader()->setVisible(false);
    m_explicit->horizontalHeader()->setStretchLastSection(true);
    for (int r = 0; r < offsets.size(); ++r) {
        auto* topic = new QTableWidgetItem(offsets[r].topic);
        topic->setFlags(topic->flags() & ~Qt::ItemIsEditable);
        auto* partition = new QTableWidgetItem(QString::number(offsets[r].partition));
        partition->setFlags(partition->flags() & ~Qt::ItemIsEditable);
        auto* offset = new QTableWidgetItem(QString::number(std::max<qint64>(0, offsets[r].committedOffset)));
        offset->setFont(monospaceFont());
        m_explicit->setItem(r, 0, topic);
        m_explicit->setItem(r, 1, partition);
        m_explicit->setItem(r, 2, offset);
    }
    modeLayout->addWidget(m_explicit);
    top->addWidget(modeBox, 2);
    layout->addLayout(top);

    layout->addWidget(new QLabel(tr("Preview (nothing is changed until Apply):"), this));
    m_preview = new QTableWidget(0, 5, this);
    m_preview->setObjectName(QStringLiteral("resetPreview"));
    m_preview->setHorizontalHeaderLabels({tr("Topic"), tr("Partition"), tr("Current"), tr("New"), tr("Change")});
    m_preview->verticalHeader()->setVisible(false);
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->setColumnWidth(0, 220);
    m_preview->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_preview, 1);
    m_status = new QLabel(tr("Choose topics and a target, then Preview."), this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_previewButton = buttons->addButton(tr("Preview"), QDialogButtonBox::ActionRole);
    m_applyButton = buttons->addButton(tr("Apply"), QDialogButtonBox::ApplyRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_previewButton, &QPushButton::clicked, this, &ResetOffsetsDialog::requestPreview);
    connect(m_applyButton, &QPushButton::clicked, this, &ResetOffsetsDialog::requestApply);
    connect(m_modes, &QButtonGroup::idClicked, this, [this] {
        updateModeWidgets();
        invalidatePreview();
    });
    connect(m_timestamp, &QDateTimeEdit::dateTimeChanged, this, &ResetOffsetsDialog::invalidatePreview);
    connect(m_explicit, &QTableWidget::itemChanged, this, &ResetOffsetsDialog::invalidatePreview);
    connect(m_topics, &QListWidget::itemChanged, this, &ResetOffsetsDialog::invalidatePreview);
    updateModeWidgets();
    invalidatePreview();
    resize(760, 620);
}

QStringList ResetOffsetsDialog::topics() const
{
    QStringList result;
    for (int i = 0; i < m_topics->count(); ++i) {
        if (m_topics->item(i)->checkState() == Qt::Checked)
            result << m_topics->item(i)->text();
    }
    return result;
}

models::OffsetResetTarget ResetOffsetsDialog::target() const
{
    switch (static_cast<ResetMode>(m_modes->checkedId())) {
    case ResetMode::Latest:
        return models::OffsetResetTarget::latest();
    case ResetMode::Timestamp:
        return models::OffsetResetTarget::timestamp(m_timestamp->dateTime().toMSecsSinceEpoch());
    case ResetMode::Explicit: {
        const auto chosen = topics();
        QHash<QPair<QString, int>, qint64> map;
        for (int r = 0; r < m_explicit->rowCount(); ++r) {
            const auto topic = m_explicit->item(r, 0)->text();
            if (!chosen.contains(topic))
                continue;
            bool ok = false;
            const auto offset = m_explicit->item(r, 2)->text().trimmed().toLongLong(&ok);
            if (ok)
                map.insert({topic, m_explicit->item(r, 1)->text().toInt()}, offset);
        }
        return models::OffsetResetTarget::explicitOffsets(std::move(map));
    }
    case ResetMode::Earliest:
        break;
    }
    return models::OffsetResetTarget::earliest();
}

void ResetOffsetsDialog::setMode(ResetMode mode)
{
    m_modes->button(static_cast<int>(mode))->setChecked(true);
    updateModeWidgets();
    invalidatePreview();
}

void ResetOffsetsDialog::setTimestamp(qint64 ms)
{
    m_timestamp->setDateTime(QDateTime::fromMSecsSinceEpoch(ms));
}

void ResetOffsetsDialog::setExplicitOffset(const QString& topic, int partition, qint64 offset)
{
    for (int r = 0; r < m_explicit->rowCount(); ++r) {
        if (m_explicit->item(r, 0)->text() == topic && m_explicit->item(r, 1)->text().toInt() == partition)
            m_explicit->item(r, 2)->setText(QString::number(offset));
    }
}

void ResetOffsetsDialog::updateModeWidgets()
{
    const auto mode = static_cast<ResetMode>(m_modes->checkedId());
    m_timestamp->setEnabled(mode == ResetMode::Timestamp);
    m_explicit->setEnabled(mode == ResetMode::Explicit);
}

void ResetOffsetsDialog::invalidatePreview()
{
    m_previewCurrent = false;
    m_preview->setRowCount(0);
    m_applyButton->setEnabled(false);
    m_previewButton->setEnabled(!topics().isEmpty() && !m_applied);
}

void ResetOffsetsDialog::requestPreview()
{
    if (topics().isEmpty()) {
        setError(tr("Choose at least one topic."));
        return;
    }
    m_status->setText(tr("Computing the preview…"));
    m_status->setStyleSheet(QString());
    m_previewButton->setEnabled(false);
    emit previewRequested(m_group, topics(), target());
}

void ResetOffsetsDialog::requestApply()
{
    if (!canApply())
        return;
    m_status->setText(tr("Applying…"));
    m_applyButton->setEnabled(false);
    m_previewButton->setEnabled(false);
    emit applyRequested(m_group, topics(), target());
}

void ResetOffsetsDialog::setPreview(const QList<models::OffsetResetRow>& rows)
{
    m_preview->setRowCount(static_cast<int>(rows.size()));
    const QFont mono = monospaceFont();
    for (int r = 0; r < rows.size(); ++r) {
        const auto& row = rows[r];
        const qint64 delta = row.currentOffset >= 0 ? row.newOffset - row.currentOffset : 0;
        const QStringList cells = {row.topic, QString::number(row.partition),
            row.currentOffset >= 0 ? QString::number(row.currentOffset) : tr("none"), QString::number(row.newOffset),
            row.currentOffset < 0 ? tr("new") : (delta > 0 ? QStringLiteral("+%1").arg(delta) : QString::number(delta))};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c >= 1)
                item->setFont(mono);
            if (c == 4 && delta != 0)
                item->setForeground(delta < 0 ? StatusColors::warning() : StatusColors::ok());
            m_preview->setItem(r, c, item);
        }
    }
    m_previewCurrent = true;
    m_applyButton->setEnabled(!rows.isEmpty() && !m_applied);
    m_previewButton->setEnabled(!m_applied);
    m_status->setText(tr("Preview: %1 partitions would change as shown. Apply commits these offsets.").arg(rows.size()));
    m_status->setStyleSheet(QString());
}

void ResetOffsetsDialog::setApplied(const QString& summary)
{
    m_applied = true;
    m_applyButton->setEnabled(false);
    m_previewButton->setEnabled(false);
    m_status->setText(summary.isEmpty() ? tr("Offsets reset.") : summary);
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::ok().name()));
}

void ResetOffsetsDialog::setError(const QString& message)
{
    m_status->setText(message);
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    m_previewButton->setEnabled(!topics().isEmpty() && !m_applied);
    m_applyButton->setEnabled(m_previewCurrent && !m_applied);
}

bool ResetOffsetsDialog::canApply() const
{
    return m_previewCurrent && !m_applied && m_preview->rowCount() > 0;
}

int ResetOffsetsDialog::previewRowCount() const
{
    return m_preview->rowCount();
}

QString ResetOffsetsDialog::statusText() const
{
    return m_status->text();
}

} // namespace faultline::ui
