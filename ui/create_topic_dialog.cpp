#include "ui/create_topic_dialog.h"

#include "ui/display_format.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

namespace faultline::ui {

CreateTopicDialog::CreateTopicDialog(int brokerCount, QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Create topic"));
    setObjectName(QStringLiteral("createTopicDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(QStringLiteral("orders"));
    form->addRow(tr("Name:"), m_name);
    m_partitions = new QSpinBox(this);
    m_partitions->setRange(1, 100000);
    m_partitions->setValue(6);
    form->addRow(tr("Partitions:"), m_partitions);
    m_replication = new QSpinBox(this);
    m_replication->setRange(1, std::max(1, brokerCount));
    m_replication->setValue(std::min(3, std::max(1, brokerCount)));
    form->addRow(tr("Replication factor:"), m_replication);
    m_configs = new QPlainTextEdit(this);
    m_configs->setFont(monospaceFont());
    m_configs->setPlaceholderText(QStringLiteral("retention.ms=604800000\ncleanup.policy=delete"));
    m_configs->setFixedHeight(90);
    form->addRow(tr("Configs:"), m_configs);
    layout->addLayout(form);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &CreateTopicDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(420, sizeHint().height());
}

void CreateTopicDialog::setTopicName(const QString& name) { m_name->setText(name); }
void CreateTopicDialog::setPartitions(int partitions) { m_partitions->setValue(partitions); }
void CreateTopicDialog::setReplicationFactor(int rf) { m_replication->setValue(rf); }
void CreateTopicDialog::setConfigText(const QString& text) { m_configs->setPlainText(text); }
QString CreateTopicDialog::topicName() const { return m_name->text().trimmed(); }
int CreateTopicDialog::partitions() const { return m_partitions->value(); }
int CreateTopicDialog::replicationFactor() const { return m_replication->value(); }

QMap<QString, QString> CreateTopicDialog::configs() const
{
    QMap<QString, QString> result;
    for (const auto& line : m_configs->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const auto eq = line.indexOf(QLatin1Char('='));
        if (eq > 0)
            result.insert(line.left(eq).trimmed(), line.mid(eq + 1).trimmed());
    }
    return result;
}

void CreateTopicDialog::accept()
{
    static const QRegularExpression legal(QStringLiteral("^[A-Za-z0-9._-]{1,249}$"));
    const auto name = topicName();
    if (!legal.match(name).hasMatch() || name == QLatin1String(".") || name == QLatin1String("..")) {
        m_error->setText(tr("A topic name is 1–249 characters of letters, digits, '.', '_' or '-'."));
        return;
    }
    for (const auto& line : m_configs->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (!line.trimmed().isEmpty() && line.indexOf(QLatin1Char('=')) <= 0) {
            m_error->setText(tr("Config line \"%1\" is not key=value.").arg(line.trimmed()));
            return;
        }
    }
    m_error->clear();
    QDialog::accept();
}

} // namespace faultline::ui
