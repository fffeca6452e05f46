#include "models/message_browser.h"

#include "models/rdkafka_handle.h"
#include "models/worker_thread.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QUuid>
#include <algorithm>
#include <atomic>
#include <memory>

namespace faultline::models {

// The browser's half on its own thread: the consumer and the browse loop. Results go back to the
// MessageBrowser only while it exists: its destructor unlinks it first, and a result already
// posted to it is dropped with it.
class BrowseWorker final : public QObject {
public:
    BrowseWorker(ConnectionProfile profile, QString password, MessageBrowser* owner)
        : m_profile(std::move(profile)), m_password(std::move(password)), m_owner(owner) {}
    ~BrowseWorker() override = default; // on its thread: the consumer is closed there

    void run(const BrowseRequest& request, quint64 generation); // on the worker's thread

    void unlinkOwner() { m_owner.unlink(); } // UI thread

    // Bumped by every browse() and by the owner's destructor: a browse whose number is not the
    // latest stops at its next poll and its rows are dropped.
    std::atomic<quint64> generation{0};

private:
    // Runs `emitter(owner)` on the owner's thread if the owner is still there and `forGeneration`
    // is still the latest browse.
    template <typename Emitter> void toOwner(quint64 forGeneration, Emitter emitter) {
        m_owner.post([this, forGeneration, emitter = std::move(emitter)](MessageBrowser* owner) {
            // `this` lives until the thread ends, which is after the owner is gone.
            if (generation.load() == forGeneration)
                emitter(owner);
        });
    }

    ConnectionProfile m_profile;
    QString m_password;
    std::unique_ptr<RdKafkaHandle> m_consumer;
    OwnerLink<MessageBrowser> m_owner;
};

MessageBrowser::MessageBrowser(ConnectionProfile profile, QString password, QObject* parent)
    : QObject(parent) {
    qRegisterMetaType<faultline::models::MessageRow>();
    qRegisterMetaType<QList<faultline::models::MessageRow>>();
    m_worker = new BrowseWorker(std::move(profile), std::move(password), this);
    m_thread = startWorkerThread(m_worker, QStringLiteral("MessageBrowser"));
}

MessageBrowser::~MessageBrowser() {
    m_worker->unlinkOwner();
    ++m_worker->generation; // a running browse stops at its next poll
    retireWorkerThread(m_thread);
}

void MessageBrowser::browse(const BrowseRequest& request) {
    const quint64 generation = ++m_worker->generation;
    BrowseWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, request, generation] { worker->run(request, generation); },
        Qt::QueuedConnection);
}

void BrowseWorker::run(const BrowseRequest& request, quint64 forGeneration) {
    const auto stale = [this, forGeneration] { return generation.load() != forGeneration; };
    const auto fail = [this, forGeneration](const QString& message) {
        toOwner(forGeneration, [message](MessageBrowser* owner) { emit owner->failed(message); });
    };
    const auto deliver = [this, forGeneration](const QList<MessageRow>& rows) {
        toOwner(forGeneration, [rows](MessageBrowser* owner) { emit owner->messagesReady(rows); });
    };
    if (stale())
        return;

    if (!m_consumer) {
        // assign() needs a group.id in librdkafka; this one is never joined and never committed.
        const QMap<QString, QString> overrides{
            {QStringLiteral("group.id"), QStringLiteral("faultline-browser-") +
                                             QUuid::createUuid().toString(QUuid::WithoutBraces)},
            {QStringLiteral("enable.auto.commit"), QStringLiteral("false")},
            {QStringLiteral("enable.auto.offset.store"), QStringLiteral("false")},
            {QStringLiteral("enable.partition.eof"), QStringLiteral("true")},
            {QStringLiteral("auto.offset.reset"), QStringLiteral("earliest")},
            {QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")},
            {QStringLiteral("fetch.wait.max.ms"), QStringLiteral("100")},
        };
        auto handle = RdKafkaHandle::create(RD_KAFKA_CONSUMER, m_profile, m_password, overrides);
        if (!handle) {
            fail(QStringLiteral("Cannot create a consumer: %1").arg(handle.error().message));
            return;
        }
        m_consumer = std::move(*handle);
    }
    rd_kafka_t* rk = m_consumer->get();
    const QByteArray topic = request.topic.toUtf8();
    const QString where = QStringLiteral("%1[%2]").arg(request.topic).arg(request.partition);
    const int limit = std::max(0, request.limit);

    int64_t low = 0;
    int64_t high = 0;
    if (const rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, topic.constData(), request.partition, &low, &high,
                                             std::min(request.timeoutMs, 10000))) {
        fail(QStringLiteral("Cannot read the offsets of %1: %2 (%3)")
                 .arg(where, RdKafkaError::from(err).name,
                      QString::fromUtf8(rd_kafka_err2str(err))));
        return;
    }

    qint64 start = low;
    qint64 end = high; // exclusive
    switch (request.from) {
    case BrowseFrom::Oldest:
        start = low;
        break;
    case BrowseFrom::Newest:
        start = std::max<qint64>(low, high - limit);
        break;
    case BrowseFrom::Offset:
        start = std::clamp<qint64>(request.position, low, high);
        break;
    case BrowseFrom::Timestamp: {
        RdKafkaPartitionListPtr list(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(list.get(), topic.constData(), request.partition)
            ->offset = request.position;
        const rd_kafka_resp_err_t err =
            rd_kafka_offsets_for_times(rk, list.get(), std::min(request.timeoutMs, 10000));
        const rd_kafka_resp_err_t partErr = err ? err : list->elems[0].err;
        if (partErr) {
            fail(QStringLiteral("Cannot find the offset of %1 at time %2: %3")
                     .arg(where)
                     .arg(request.position)
                     .arg(RdKafkaError::from(partErr).name));
            return;
        }
        start = list->elems[0].offset >= 0 ? list->elems[0].offset : high;
        break;
    }
    }
    end = std::min<qint64>(high, start + limit);

    QList<MessageRow> rows;
    if (start < end) {
        RdKafkaPartitionListPtr assignment(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(assignment.get(), topic.constData(), request.partition)
            ->offset = start;
        if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, assignment.get())) {
            fail(QStringLiteral("Cannot read %1: %2")
                     .arg(where, QString::fromUtf8(rd_kafka_err2str(err))));
            return;
        }
        QElapsedTimer clock;
        clock.start();
        QString error;
        while (rows.size() < limit && !stale() && clock.elapsed() < request.timeoutMs) {
            RdKafkaMessagePtr message(rd_kafka_consumer_poll(rk, 100));
            if (!message)
                continue;
            if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                break;
            if (message->err) {
                error = QStringLiteral("Reading %1 failed: %2 (%3)")
                            .arg(where, RdKafkaError::from(message->err).name,
                                 QString::fromUtf8(rd_kafka_message_errstr(message.get())));
                break;
            }
            if (message->offset >= end)
                break;
            MessageRow row;
            row.partition = message->partition;
            row.offset = message->offset;
            rd_kafka_timestamp_type_t tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
            row.timestamp = rd_kafka_message_timestamp(message.get(), &tsType);
            row.timestampType = tsType == RD_KAFKA_TIMESTAMP_CREATE_TIME ? TimestampType::CreateTime
                                : tsType == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME
                                    ? TimestampType::LogAppendTime
                                    : TimestampType::NotAvailable;
            if (message->key)
                row.key = QByteArray(static_cast<const char*>(message->key),
                                     static_cast<qsizetype>(message->key_len));
            if (message->payload)
                row.value = QByteArray(static_cast<const char*>(message->payload),
                                       static_cast<qsizetype>(message->len));
            rd_kafka_headers_t* headers = nullptr;
            if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name = nullptr;
                const void* value = nullptr;
                size_t size = 0;
                for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                   RD_KAFKA_RESP_ERR_NO_ERROR;
                     ++i) {
                    row.headers.append({QString::fromUtf8(name),
                                        value ? QByteArray(static_cast<const char*>(value),
                                                           static_cast<qsizetype>(size))
                                              : QByteArray()});
                }
            }
            rows.append(std::move(row));
            if (rows.back().offset >= end - 1)
                break;
        }
        (void)rd_kafka_assign(rk, nullptr);
        if (!error.isEmpty()) {
            fail(error);
            return;
        }
    }
    if (request.order == BrowseOrder::NewestFirst)
        std::reverse(rows.begin(), rows.end());
    deliver(rows);
}

namespace {

// Length of the well-formed UTF-8 sequence at bytes[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), 0 when the bytes there are not one.
qsizetype utf8SequenceLength(const QByteArray& bytes, qsizetype i) {
    const auto at = [&](qsizetype k) { return static_cast<unsigned char>(bytes[k]); };
    const unsigned char b = at(i);
    if (b < 0x80)
        return 1;
    qsizetype length = 0;
    unsigned char low = 0x80; // allowed range of the second byte
    unsigned char high = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        length = 3;
        if (b == 0xE0)
            low = 0xA0; // overlong
        else if (b == 0xED)
            high = 0x9F; // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        length = 4;
        if (b == 0xF0)
            low = 0x90; // overlong
        else if (b == 0xF4)
            high = 0x8F; // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > bytes.size())
        return 0;
    if (at(i + 1) < low || at(i + 1) > high)
        return 0;
    for (qsizetype k = 2; k < length; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF)
            return 0;
    return length;
}

bool isControl(unsigned char b) {
    return (b < 0x20 && b != '\n' && b != '\t' && b != '\r') || b == 0x7F;
}

} // namespace

QString MessageBrowser::asUtf8(const QByteArray& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    QString text;
    text.reserve(bytes.size());
    qsizetype i = 0;
    while (i < bytes.size()) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        const qsizetype length = utf8SequenceLength(bytes, i);
        if (length == 0 || (length == 1 && isControl(b))) {
            // Shown, not hidden: a table cell stays on one line and the byte's value is readable.
            text += QLatin1String("\\x");
            text += QLatin1Char(digits[b >> 4]);
            text += QLatin1Char(digits[b & 0xF]);
            ++i;
            continue;
        }
        text += QString::fromUtf8(bytes.constData() + i, length);
        i += length;
    }
    return text;
}

bool MessageBrowser::isText(const QByteArray& bytes) {
    qsizetype i = 0;
    while (i < bytes.size()) {
        const qsizetype length = utf8SequenceLength(bytes, i);
        if (length == 0 || (length == 1 && isControl(static_cast<unsigned char>(bytes[i]))))
            return false;
        i += length;
    }
    return true;
}

QString MessageBrowser::asPrettyJson(const QByteArray& bytes) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || document.isNull())
        return {};
    return QString::fromUtf8(document.toJson(QJsonDocument::Indented)).trimmed();
}

QString MessageBrowser::asHex(const QByteArray& bytes) {
    // "00000000  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a              |Hello world.|"
    static constexpr char digits[] = "0123456789abcdef";
    QString out;
    for (qsizetype line = 0; line < bytes.size(); line += 16) {
        if (line > 0)
            out += QLatin1Char('\n');
        out += QStringLiteral("%1 ").arg(line, 8, 16, QLatin1Char('0'));
        QString ascii;
        for (qsizetype i = 0; i < 16; ++i) {
            if (i == 8)
                out += QLatin1Char(' ');
            if (line + i < bytes.size()) {
                const auto b = static_cast<unsigned char>(bytes[line + i]);
                out += QLatin1Char(' ');
                out += QLatin1Char(digits[b >> 4]);
                out += QLatin1Char(digits[b & 0xf]);
                ascii +=
                    (b >= 0x20 && b < 0x7f) ? QLatin1Char(static_cast<char>(b)) : QLatin1Char('.');
            } else {
                out += QStringLiteral("   ");
            }
        }
        out += QStringLiteral("  |") + ascii + QLatin1Char('|');
    }
    return out;
}

} // namespace faultline::models
