// Deleting a topic is confirmed by typing its name; the Delete button stays disabled until then.
#pragma once

#include <QDialog>

class QLineEdit;
class QPushButton;

namespace faultline::ui {

class DeleteTopicDialog : public QDialog {
    Q_OBJECT
public:
    explicit DeleteTopicDialog(QString topic, QWidget* parent = nullptr);
    [[nodiscard]] QString topic() const { return m_topic; }
    [[nodiscard]] bool confirmed() const;
    void setTypedName(const QString& text);
    void accept() override; // only when the typed name matches

private:
    QString m_topic;
    QLineEdit* m_typed = nullptr;
    QPushButton* m_delete = nullptr;
};

} // namespace faultline::ui
