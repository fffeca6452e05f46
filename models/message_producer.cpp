#include "models/message_producer.h"

#include "models/rdkafka_handle.h"
#include "models/worker_thread.h"

#include <QElapsedTimer>

#include <algorithm>
#include <atomic>
#include <memory>

namespace faultline::models {

namespace {

// What the delivery report callback fills in for one message.
struct Delivery {
    bool done = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int partition = -1;
    qint64 offset = -1;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    auto* delivery = static_cast<Delivery*>(message->_private);
    if (!delivery)
        return;
    delivery->done = true;
    delivery->err = message->err;
    delivery->partition = message->partition;
    delivery->offset = message->offset;
}

constexpr int kMessageTimeoutMs = 30000;

} // namespace

// The producer's half on its own thread. Results go back to the MessageProducer only while it
// exists (its destructor unlinks it; a result already posted to it is dropped with it). Once
// abandoned, a message still waiting for its delivery report gets at most kAbandonGraceMs more.
class ProduceWorker final : public QObject {
public:
    ProduceWorker(ConnectionProfile profile, QString password, MessageProducer* owner)
        : m_profile(std::move(profile)), m_password(std::move(password)), m_owner(owner) {}
    ~ProduceWorker() override { // on its thread, as it finishes
        if (m_producer)
            (void)rd_kafka_flush(m_producer->get(), kAbandonGraceMs);
    }

    void run(const QString& topic, int partition, const QByteArray& key, const QByteArray& value,
             const QList<QPair<QString, QByteArray>>& headers); // on the worker's thread

    void abandon() { // UI thread
        m_owner.unlink();
        m_abandoned.store(true);
    }

private:
    static constexpr int kAbandonGraceMs = 2000;

    ConnectionProfile m_profile;
    QString m_password;
    std::unique_ptr<RdKafkaHandle> m_producer;
    std::atomic<bool> m_abandoned{false};
    OwnerLink<MessageProducer> m_owner;
};

MessageProducer::MessageProducer(ConnectionProfile profile, QString password, QObject* parent)
    : QObject(parent) {
    m_worker = new ProduceWorker(std::move(profile), std::move(password), this);
    m_thread = startWorkerThread(m_worker, QStringLiteral("MessageProducer"));
}

MessageProducer::~MessageProducer() {
    m_worker->abandon();
    retireWorkerThread(m_thread);
}

void MessageProducer::produce(const QString& topic, int partition, const QByteArray& key,
                              const QByteArray& value,
                              const QList<QPair<QString, QByteArray>>& headers) {
    ProduceWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        worker,
        [worker, topic, partition, key, value, headers] {
            worker->run(topic, partition, key, value, headers);
        },
        Qt::QueuedConnection);
}

void ProduceWorker::run(const QString& topic, int partition, const QByteArray& key,
                        const QByteArray& value,
                        const QList<QPair<QString, QByteArray>>& headers) {
    const auto fail = [this](const QString& message) {
        m_owner.post([message](MessageProducer* owner) { emit owner->failed(message); });
    };
    if (!m_producer) {
        const QMap<QString, QString> overrides{
            {QStringLiteral("acks"), QStringLiteral("all")},
            {QStringLiteral("linger.ms"), QStringLiteral("0")},
            {QStringLiteral("message.timeout.ms"), QString::number(kMessageTimeoutMs)},
        };
        auto handle = RdKafkaHandle::create(
            RD_KAFKA_PRODUCER, m_profile, m_password, overrides,
            [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &onDelivery); });
        if (!handle) {
            fail(QStringLiteral("Cannot create a producer: %1").arg(handle.error().message));
            return;
        }
        m_producer = std::move(*handle);
    }
    rd_kafka_t* rk = m_producer->get();

    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(static_cast<size_t>(headers.size()));
    for (const auto& [name, bytes] : headers) {
        const QByteArray n = name.toUtf8();
        (void)rd_kafka_header_add(hdrs, n.constData(), n.size(),
                                  bytes.isNull() ? nullptr : bytes.constData(), bytes.size());
    }
    Delivery delivery;
    const QByteArray topicName = topic.toUtf8();
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topicName.constData()),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key.isNull() ? nullptr : const_cast<char*>(key.constData()),
                       static_cast<size_t>(key.size())),
        RD_KAFKA_V_VALUE(value.isNull() ? nullptr : const_cast<char*>(value.constData()),
                         static_cast<size_t>(value.size())),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(hdrs); // only owned by librdkafka on success
        fail(QStringLiteral("Cannot produce to %1: %2 (%3)")
                 .arg(topic, RdKafkaError::from(err).name,
                      QString::fromUtf8(rd_kafka_err2str(err))));
        return;
    }
    // The delivery report comes within message.timeout.ms at the latest; once the owner is gone,
    // within the grace period or never.
    QElapsedTimer clock;
    clock.start();
    qint64 deadline = kMessageTimeoutMs + 5000;
    while (!delivery.done && clock.elapsed() < deadline) {
        rd_kafka_poll(rk, 50);
        if (m_abandoned.load())
            deadline = std::min(deadline, clock.elapsed() + kAbandonGraceMs);
    }
    if (!delivery.done) {
        // Should not happen; purge so the report can never touch `delivery` after we return.
        (void)rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk, 0);
        fail(QStringLiteral("No delivery report for the message to %1").arg(topic));
        return;
    }
    if (delivery.err) {
        fail(QStringLiteral("Producing to %1 failed: %2 (%3)")
                 .arg(topic, RdKafkaError::from(delivery.err).name,
                      QString::fromUtf8(rd_kafka_err2str(delivery.err))));
        return;
    }
    const int deliveredPartition = delivery.partition;
    const qint64 offset = delivery.offset;
    m_owner.post([deliveredPartition, offset](MessageProducer* owner) {
        emit owner->produced(deliveredPartition, offset);
    });
}

} // namespace faultline::models
