// Reads messages of one partition for the Messages view. The librdkafka consumer lives on the
// browser's own thread and uses assign() (it never joins a group, never commits); results come
// back to the owner's thread by queued signal. A new browse() supersedes a running one: the old
// one stops early and its rows are dropped.
#pragma once

#include "models/connection_profile.h"

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QPair>
#include <QString>

class QThread;

namespace faultline::models {

class BrowseWorker;

enum class TimestampType { NotAvailable, CreateTime, LogAppendTime };

struct MessageRow {
    int partition = 0;
    qint64 offset = -1;
    qint64 timestamp = -1; // ms since the epoch; -1 unknown
    TimestampType timestampType = TimestampType::NotAvailable;
    QByteArray key;   // null QByteArray: a null key
    QByteArray value; // null QByteArray: a null value (tombstone)
    QList<QPair<QString, QByteArray>> headers;
    friend bool operator==(const MessageRow&, const MessageRow&) = default;
};

enum class BrowseFrom { Offset, Timestamp, Newest, Oldest };
enum class BrowseOrder { OldestFirst, NewestFirst };

struct BrowseRequest {
    QString topic;
    int partition = 0;
    BrowseFrom from = BrowseFrom::Oldest;
    qint64 position = 0; // Offset: the first offset; Timestamp: ms (first message at or after)
    int limit = 100;     // Newest / Oldest: N; otherwise at most this many messages
    BrowseOrder order = BrowseOrder::OldestFirst;
    int timeoutMs = 15000; // give up (with what was read) after this long
};

class MessageBrowser : public QObject {
    Q_OBJECT
public:
    explicit MessageBrowser(ConnectionProfile profile, QString password = {},
                            QObject* parent = nullptr);
    // Never waits: a running browse stops at its next poll, and the thread ends on its own
    // (models/worker_thread.h), closing the consumer there.
    ~MessageBrowser() override;

    void browse(const BrowseRequest& request); // non-blocking

    // Rendering helpers for a key or value.
    // The bytes as UTF-8 text; a byte that is not part of well-formed UTF-8, and a control byte
    // other than tab, newline and carriage return, shows as \xNN (its value, on one line).
    [[nodiscard]] static QString asUtf8(const QByteArray& bytes);
    // True when the bytes are well-formed UTF-8 without control bytes (tab, newline and carriage
    // return allowed): what the "Auto" format shows as text rather than as a hex dump.
    [[nodiscard]] static bool isText(const QByteArray& bytes);
    [[nodiscard]] static QString asPrettyJson(const QByteArray& bytes); // "" when not JSON
    [[nodiscard]] static QString asHex(const QByteArray& bytes);        // 16 bytes a line, xxd-like

signals:
    void messagesReady(const QList<faultline::models::MessageRow>& rows);
    void failed(const QString& message);

private:
    QThread* m_thread = nullptr;      // ends by itself once this browser is gone
    BrowseWorker* m_worker = nullptr; // lives on m_thread, owns the consumer, deleted there
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::MessageRow)
