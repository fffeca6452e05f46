#include "ui/delete_topic_dialog.h"

#include "ui/display_format.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace faultline::ui {

DeleteTopicDialog::DeleteTopicDialog(QString topic, QWidget* parent)
    : QDialog(parent)
    , m_topic(std::move(topic))
{
    setWindowTitle(tr("Delete topic"));
    setObjectName(QStringLiteral("deleteTopicDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* warning = new QLabel(tr("Deleting <b>%1</b> removes all its messages on every broker. "
                                  "This cannot be undone.<br>Type the topic name to confirm:")
                                   .arg(m_topic.toHtmlEscaped()),
        this);
    warning->setWordWrap(true);
    layout->addWidget(warning);
    m_typed = new QLineEdit(this);
    m_typed->setFont(monospaceFont());
    m_typed->setPlaceholderText(m_topic);
    layout->addWidget(m_typed);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_delete = buttons->button(QDialogButtonBox::Ok);
    m_delete->setText(tr("Delete"));
    m_delete->setEnabled(false);
    m_delete->setStyleSheet(QStringLiteral("QPushButton:enabled { color: %1; font-weight: bold; }")
                                .arg(StatusColors::error().name()));
    buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
    layout->addWidget(buttons);
    connect(m_typed, &QLineEdit::textChanged, this, [this] { m_delete->setEnabled(confirmed()); });
    connect(buttons, &QDialogButtonBox::accepted, this, &DeleteTopicDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(420, sizeHint().height());
}

bool DeleteTopicDialog::confirmed() const
{
    return m_typed->text() == m_topic;
}

void DeleteTopicDialog::setTypedName(const QString& text)
{
    m_typed->setText(text);
}

void DeleteTopicDialog::accept()
{
    if (confirmed())
        QDialog::accept();
}

} // namespace faultline::ui
