// Messages: browse one partition from an offset, a timestamp, the oldest or the newest messages,
// in either order; a table of offset / timestamp / key / value / headers and a detail pane that
// shows the selected value as UTF-8, pretty JSON or hex. Produce opens the ProduceDialog.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/message_browser.h"

#include <QList>
#include <QPointer>
#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace faultline::models {
class MessageProducer;
}

namespace faultline::ui {

class ProduceDialog;

class MessagesView : public QWidget {
    Q_OBJECT
public:
    enum Column { PartitionColumn, OffsetColumn, TimestampColumn, KeyColumn, ValueColumn, HeadersColumn };
    // Auto: pretty JSON when the value is JSON, text when it is UTF-8 text, else a hex dump.
    enum class ValueFormat { Auto, Utf8, Json, Hex };

    explicit MessagesView(QWidget* parent = nullptr);
    ~MessagesView() override;

    void setConnection(const models::ConnectionProfile& profile, const QString& password);
    void setSnapshot(models::SnapshotPtr snapshot);

    void setTopic(const QString& topic);
    void setPartition(int partition);
    void setFrom(models::BrowseFrom from);
    void setOrder(models::BrowseOrder order);
    void setValueFormat(ValueFormat format);
    void browse();
    ProduceDialog* openProduceDialog(); // shown with open(); produces on accept

    [[nodiscard]] int messageCount() const;
    [[nodiscard]] QTableWidget* table() const { return m_table; }
    [[nodiscard]] QString detailText() const;
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] static QString render(const QByteArray& bytes, ValueFormat format);

signals:
    void browsed(int count);
    void produced(bool ok, const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onMessages(const QList<models::MessageRow>& rows);
    void onFailed(const QString& message);
    void fillTable();
    void showDetail();
    void updateFromControls();
    void setStatus(const QString& text, bool error = false);

    models::ConnectionProfile m_profile;
    QString m_password;
    bool m_connected = false;
    bool m_autoBrowsed = false;
    models::SnapshotPtr m_snapshot;
    std::unique_ptr<models::MessageBrowser> m_browser;
    QPointer<models::MessageProducer> m_producer;
    QList<models::MessageRow> m_rows;

    QComboBox* m_topic = nullptr;
    QSpinBox* m_partition = nullptr;
    QComboBox* m_from = nullptr;
    QLineEdit* m_offset = nullptr;
    QDateTimeEdit* m_timestamp = nullptr;
    QSpinBox* m_limit = nullptr;
    QComboBox* m_order = nullptr;
    QComboBox* m_format = nullptr;
    QPushButton* m_browse = nullptr;
    QPushButton* m_produce = nullptr;
    QTableWidget* m_table = nullptr;
    QPlainTextEdit* m_detail = nullptr;
    QLabel* m_status = nullptr;
};

} // namespace faultline::ui
