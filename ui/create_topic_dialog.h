// New topic: name, partitions, replication factor and config overrides (key=value lines).
#pragma once

#include <QDialog>
#include <QMap>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace faultline::ui {

class CreateTopicDialog : public QDialog {
    Q_OBJECT
public:
    explicit CreateTopicDialog(int brokerCount, QWidget* parent = nullptr);

    void setTopicName(const QString& name);
    void setPartitions(int partitions);
    void setReplicationFactor(int rf);
    void setConfigText(const QString& text); // key=value per line

    [[nodiscard]] QString topicName() const;
    [[nodiscard]] int partitions() const;
    [[nodiscard]] int replicationFactor() const;
    [[nodiscard]] QMap<QString, QString> configs() const;

    void accept() override; // validates first

private:
    QLineEdit* m_name = nullptr;
    QSpinBox* m_partitions = nullptr;
    QSpinBox* m_replication = nullptr;
    QPlainTextEdit* m_configs = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace faultline::ui
