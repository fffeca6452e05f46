#include "ui/topic_config_dialog.h"

#include "ui/display_format.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace faultline::ui {

TopicConfigDialog::TopicConfigDialog(QString topic, QWidget* parent)
    : QDialog(parent)
    , m_topic(std::move(topic))
{
    setWindowTitle(tr("Configs of %1").arg(m_topic));
    setObjectName(QStringLiteral("topicConfigDialog"));
    auto* layout = new QVBoxLayout(this);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter configs…"));
    m_filter->setClearButtonEnabled(true);
    layout->addWidget(m_filter);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setHorizontalHeaderLabels({tr("Name"), tr("Value"), tr("Default"), tr("Source"), tr("Read-only")});
    m_table->verticalHeader()->setVisible(false);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setColumnWidth(NameColumn, 260);
    m_table->setColumnWidth(ValueColumn, 200);
    m_table->setColumnWidth(DefaultColumn, 70);
    m_table->setColumnWidth(SourceColumn, 200);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table);
    m_status = new QLabel(tr("Loading configs…"), this);
    layout->addWidget(m_status);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_resetButton = buttons->addButton(tr("Reset to default"), QDialogButtonBox::ActionRole);
    m_apply = buttons->addButton(tr("Apply"), QDialogButtonBox::ApplyRole);
    m_apply->setEnabled(false);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_filter, &QLineEdit::textChanged, this, &TopicConfigDialog::applyFilter);
    connect(m_resetButton, &QPushButton::clicked, this, &TopicConfigDialog::resetSelected);
    connect(m_apply, &QPushButton::clicked, this, [this] {
        emit applyRequested(m_topic, changedValues(), resetNames());
        m_status->setText(tr("Applying…"));
        m_apply->setEnabled(false);
    });
    connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (m_filling || item->column() != ValueColumn)
            return;
        QFont font = item->font();
        font.setBold(true);
        m_filling = true;
        item->setFont(font);
        m_filling = false;
        m_apply->setEnabled(!changedValues().isEmpty() || !m_reset.isEmpty());
    });
    resize(900, 560);
}

void TopicConfigDialog::setEntries(const QList<models::ConfigEntryRow>& entries)
{
    m_filling = true;
    m_entries = entries;
    m_reset.clear();
    m_table->setRowCount(static_cast<int>(entries.size()));
    for (int row = 0; row < entries.size(); ++row) {
        const auto& e = entries[row];
        auto* name = new QTableWidgetItem(e.name);
        name->setFlags(name->flags() & ~Qt::ItemIsEditable);
        auto* value = new QTableWidgetItem(e.sensitive ? QStringLiteral("(sensitive)") : e.value);
        value->setFont(monospaceFont());
        if (e.readOnly || e.sensitive) {
            value->setFlags(value->flags() & ~Qt::ItemIsEditable);
            value->setForeground(StatusColors::neutral());
        }
        auto* isDefault = new QTableWidgetItem(e.isDefault ? tr("yes") : tr("no"));
        isDefault->setFlags(isDefault->flags() & ~Qt::ItemIsEditable);
        if (!e.isDefault)
            isDefault->setForeground(StatusColors::warning());
        auto* source = new QTableWidgetItem(e.source);
        source->setFlags(source->flags() & ~Qt::ItemIsEditable);
        auto* readOnly = new QTableWidgetItem(e.readOnly ? tr("read-only") : QString());
        readOnly->setFlags(readOnly->flags() & ~Qt::ItemIsEditable);
        m_table->setItem(row, NameColumn, name);
        m_table->setItem(row, ValueColumn, value);
        m_table->setItem(row, DefaultColumn, isDefault);
        m_table->setItem(row, SourceColumn, source);
        m_table->setItem(row, ReadOnlyColumn, readOnly);
    }
    m_filling = false;
    int overrides = 0;
    for (const auto& e : entries)
        overrides += e.isDefault ? 0 : 1;
    m_status->setText(tr("%1 configs, %2 set on the topic. Double-click a value to edit it.")
                          .arg(entries.size())
                          .arg(overrides));
    m_status->setStyleSheet(QString());
    m_apply->setEnabled(false);
    applyFilter(m_filter->text());
}

void TopicConfigDialog::setError(const QString& message)
{
    m_status->setText(message);
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    m_apply->setEnabled(!changedValues().isEmpty() || !m_reset.isEmpty());
}

int TopicConfigDialog::entryCount() const
{
    return static_cast<int>(m_entries.size());
}

QMap<QString, QString> TopicConfigDialog::changedValues() const
{
    QMap<QString, QString> changed;
    for (int row = 0; row < m_entries.size() && row < m_table->rowCount(); ++row) {
        const auto& e = m_entries[row];
        const auto* item = m_table->item(row, ValueColumn);
        if (item && !e.readOnly && !e.sensitive && item->text() != e.value && !m_reset.contains(e.name))
            changed.insert(e.name, item->text());
    }
    return changed;
}

QStringList TopicConfigDialog::resetNames() const
{
    return m_reset;
}

void TopicConfigDialog::setValue(const QString& name, const QString& value)
{
    for (int row = 0; row < m_entries.size(); ++row) {
        if (m_entries[row].name == name) {
            m_table->item(row, ValueColumn)->setText(value);
            return;
        }
    }
}

std::optional<models::ConfigEntryRow> TopicConfigDialog::entry(const QString& name) const
{
    for (const auto& e : m_entries) {
        if (e.name == name)
            return e;
    }
    return std::nullopt;
}

QString TopicConfigDialog::statusText() const
{
    return m_status->text();
}

void TopicConfigDialog::applyFilter(const QString& text)
{
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const auto* item = m_table->item(row, NameColumn);
        m_table->setRowHidden(row, item && !item->text().contains(text, Qt::CaseInsensitive));
    }
}

void TopicConfigDialog::resetSelected()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    for (const auto& index : rows) {
        const int row = index.row();
        if (row < 0 || row >= m_entries.size())
            continue;
        const auto& e = m_entries[row];
        if (e.isDefault || e.readOnly || m_reset.contains(e.name))
            continue;
        m_reset << e.name;
        m_filling = true;
        m_table->item(row, ValueColumn)->setText(tr("(default)"));
        m_filling = false;
    }
    m_apply->setEnabled(!changedValues().isEmpty() || !m_reset.isEmpty());
}

} // namespace faultline::ui
