// A topic's configs as DescribeConfigs reports them: value, default, source, read-only. Values
// that are not read-only can be edited; Apply emits the changed and the reset-to-default entries.
#pragma once

#include "models/topic_jobs.h"

#include <QDialog>
#include <QList>
#include <QMap>

#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace faultline::ui {

class TopicConfigDialog : public QDialog {
    Q_OBJECT
public:
    enum Column { NameColumn, ValueColumn, DefaultColumn, SourceColumn, ReadOnlyColumn, ColumnCount };

    explicit TopicConfigDialog(QString topic, QWidget* parent = nullptr);

    [[nodiscard]] QString topic() const { return m_topic; }
    void setEntries(const QList<models::ConfigEntryRow>& entries);
    void setError(const QString& message);
    [[nodiscard]] int entryCount() const;
    [[nodiscard]] QMap<QString, QString> changedValues() const; // edited overrides
    [[nodiscard]] QStringList resetNames() const;               // overrides to remove
    void setValue(const QString& name, const QString& value);   // as if typed in the table
    // The entry of that name as last described; nullopt when there is none.
    [[nodiscard]] std::optional<models::ConfigEntryRow> entry(const QString& name) const;
    [[nodiscard]] QPushButton* applyButton() const { return m_apply; }
    [[nodiscard]] QString statusText() const;

signals:
    void applyRequested(const QString& topic, const QMap<QString, QString>& set,
                        const QStringList& remove);

private:
    void applyFilter(const QString& text);
    void resetSelected();

    QString m_topic;
    QList<models::ConfigEntryRow> m_entries;
    QStringList m_reset;
    QLineEdit* m_filter = nullptr;
    QTableWidget* m_table = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_apply = nullptr;
    QPushButton* m_resetButton = nullptr;
    bool m_filling = false;
};

} // namespace faultline::ui
