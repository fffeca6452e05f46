#include "ui/produce_dialog.h"

#include "ui/display_format.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace faultline::ui {

ProduceDialog::ProduceDialog(const QStringList& topics, const QString& topic, int partitions, QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Produce a message"));
    setObjectName(QStringLiteral("produceDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_topic = new QComboBox(this);
    m_topic->setEditable(true);
    m_topic->addItems(topics);
    m_topic->setCurrentText(topic);
    form->addRow(tr("Topic:"), m_topic);
    m_partition = new QSpinBox(this);
    m_partition->setRange(-1, std::max(0, partitions - 1));
    m_partition->setSpecialValueText(tr("any (partitioner)"));
    m_partition->setValue(-1);
    form->addRow(tr("Partition:"), m_partition);
    m_key = new QLineEdit(this);
    m_key->setFont(monospaceFont());
    m_key->setPlaceholderText(tr("(null key)"));
    form->addRow(tr("Key:"), m_key);
    m_value = new QPlainTextEdit(this);
    m_value->setFont(monospaceFont());
    m_value->setPlaceholderText(QStringLiteral("{\"id\": 1}"));
    form->addRow(tr("Value:"), m_value);
    m_headers = new QPlainTextEdit(this);
    m_headers->setFont(monospaceFont());
    m_headers->setPlaceholderText(QStringLiteral("trace-id=abc123"));
    m_headers->setFixedHeight(60);
    form->addRow(tr("Headers:"), m_headers);
    layout->addLayout(form);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Produce"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &ProduceDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(520, 420);
}

void ProduceDialog::setTopic(const QString& topic) { m_topic->setCurrentText(topic); }
void ProduceDialog::setKey(const QString& key) { m_key->setText(key); }
void ProduceDialog::setValue(const QString& value) { m_value->setPlainText(value); }
void ProduceDialog::setHeadersText(const QString& text) { m_headers->setPlainText(text); }
void ProduceDialog::setPartition(int partition) { m_partition->setValue(partition); }
QString ProduceDialog::topic() const { return m_topic->currentText().trimmed(); }
int ProduceDialog::partition() const { return m_partition->value(); }

QByteArray ProduceDialog::key() const
{
    return m_key->text().isEmpty() ? QByteArray() : m_key->text().toUtf8();
}

QByteArray ProduceDialog::value() const
{
    return m_value->toPlainText().toUtf8();
}

QList<QPair<QString, QByteArray>> ProduceDialog::headers() const
{
    QList<QPair<QString, QByteArray>> result;
    for (const auto& line : m_headers->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const auto eq = line.indexOf(QLatin1Char('='));
        if (eq > 0)
            result.append({line.left(eq).trimmed(), line.mid(eq + 1).toUtf8()});
    }
    return result;
}

void ProduceDialog::accept()
{
    if (topic().isEmpty()) {
        m_error->setText(tr("Choose a topic."));
        return;
    }
    for (const auto& line : m_headers->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (line.indexOf(QLatin1Char('=')) <= 0) {
            m_error->setText(tr("Header line \"%1\" is not name=value.").arg(line));
            return;
        }
    }
    QDialog::accept();
}

} // namespace faultline::ui
