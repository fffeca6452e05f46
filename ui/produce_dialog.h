// Produce one message: key, value, headers (name=value lines) and partition (or any).
#pragma once

#include <QByteArray>
#include <QDialog>
#include <QList>
#include <QPair>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace faultline::ui {

class ProduceDialog : public QDialog {
    Q_OBJECT
public:
    ProduceDialog(const QStringList& topics, const QString& topic, int partitions, QWidget* parent = nullptr);

    void setTopic(const QString& topic);
    void setKey(const QString& key);
    void setValue(const QString& value);
    void setHeadersText(const QString& text);
    void setPartition(int partition); // -1: let the partitioner choose

    [[nodiscard]] QString topic() const;
    [[nodiscard]] QByteArray key() const;  // null when the key field is empty
    [[nodiscard]] QByteArray value() const;
    [[nodiscard]] QList<QPair<QString, QByteArray>> headers() const;
    [[nodiscard]] int partition() const;

    void accept() override;

private:
    QComboBox* m_topic = nullptr;
    QSpinBox* m_partition = nullptr;
    QLineEdit* m_key = nullptr;
    QPlainTextEdit* m_value = nullptr;
    QPlainTextEdit* m_headers = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace faultline::ui
