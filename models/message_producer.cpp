#include "models/message_producer.h"

#include "models/rdkafka_handle.h"

#include <QElapsedTimer>

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

MessageProducer::MessageProducer(ConnectionProfile profile, QString password, QObject* parent)
    : QObject(parent), m_profile(std::move(profile)), m_password(std::move(password)),
      m_worker(new QObject) {
    m_thread.setObjectName(QStringLiteral("MessageProducer"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

MessageProducer::~MessageProducer() {
    QMetaObject::invokeMethod(
        m_worker,
        [this] {
            if (m_producer)
                (void)rd_kafka_flush(m_producer->get(), 2000);
            m_producer.reset();
        },
        Qt::QueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void MessageProducer::produce(const QString& topic, int partition, const QByteArray& key,
                              const QByteArray& value,
                              const QList<QPair<QString, QByteArray>>& headers) {
    QMetaObject::invokeMethod(
        m_worker,
        [this, topic, partition, key, value, headers] {
            runProduce(topic, partition, key, value, headers);
        },
        Qt::QueuedConnection);
}

void MessageProducer::runProduce(const QString& topic, int partition, const QByteArray& key,
                                 const QByteArray& value,
                                 const QList<QPair<QString, QByteArray>>& headers) {
    const auto fail = [this](const QString& message) {
        QMetaObject::invokeMethod(
            this, [this, message] { emit failed(message); }, Qt::QueuedConnection);
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
    // The delivery report comes within message.timeout.ms at the latest.
    QElapsedTimer clock;
    clock.start();
    while (!delivery.done && clock.elapsed() < kMessageTimeoutMs + 5000)
        rd_kafka_poll(rk, 50);
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
    QMetaObject::invokeMethod(
        this, [this, deliveredPartition, offset] { emit produced(deliveredPartition, offset); },
        Qt::QueuedConnection);
}

} // namespace faultline::models
