#include "models/rdkafka_handle.h"

#include "engine/protocol/error_code.h"

#include <QByteArray>
#include <array>
#include <spdlog/spdlog.h>

namespace faultline::models {

namespace {

// librdkafka's log lines (syslog levels) go to spdlog, so the GUI's log dock shows them, instead
// of librdkafka's own stderr printer. Called on librdkafka's threads; spdlog is thread-safe.
// Connection failures come at level 3: they are warnings here, since the session reports a
// cluster it cannot reach in its own words.
void logToSpdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    const spdlog::level::level_enum spdLevel = level <= 4   ? spdlog::level::warn
                                               : level <= 6 ? spdlog::level::info
                                                            : spdlog::level::debug;
    spdlog::log(spdLevel, "librdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", facility, message);
}

} // namespace

RdKafkaError RdKafkaError::from(rd_kafka_resp_err_t code, const char* message) {
    RdKafkaError error;
    error.code = code;
    // Broker errors by Kafka's own names (librdkafka abbreviates a few, e.g. TOPIC_EXCEPTION for
    // INVALID_TOPIC_EXCEPTION); librdkafka's local errors (negative codes) by its names.
    error.name =
        code > 0 && code < RD_KAFKA_RESP_ERR_END_ALL
            ? QString::fromStdString(protocol::errorName(static_cast<protocol::ErrorCode>(code)))
            : QString::fromUtf8(rd_kafka_err2name(code));
    error.message = message && *message ? QString::fromUtf8(message)
                                        : QString::fromUtf8(rd_kafka_err2str(code));
    return error;
}

JobResult RdKafkaError::toJobResult(const QString& what) const {
    JobResult result;
    result.ok = false;
    result.summary = QStringLiteral("%1 failed: %2").arg(what, name);
    result.errorName = name;
    result.detail = message;
    return result;
}

RdKafkaHandle::RdKafkaHandle(rd_kafka_t* rk, rd_kafka_type_t type)
    : m_rk(rk), m_type(type), m_queue(rd_kafka_queue_new(rk)) {}

RdKafkaHandle::~RdKafkaHandle() {
    m_queue.reset();
    if (!m_rk)
        return;
    if (m_type == RD_KAFKA_CONSUMER)
        rd_kafka_consumer_close(m_rk);
    rd_kafka_destroy(m_rk);
}

std::expected<std::unique_ptr<RdKafkaHandle>, RdKafkaError>
RdKafkaHandle::create(rd_kafka_type_t type, const ConnectionProfile& profile,
                      const QString& password, const QMap<QString, QString>& overrides,
                      const std::function<void(rd_kafka_conf_t*)>& customize) {
    QMap<QString, QString> properties = profile.librdkafkaConfig(password);
    properties.insert(QStringLiteral("client.id"), QStringLiteral("faultline"));
    for (auto it = overrides.cbegin(); it != overrides.cend(); ++it)
        properties.insert(it.key(), it.value());

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 512> text{};
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        if (rd_kafka_conf_set(conf, it.key().toUtf8().constData(), it.value().toUtf8().constData(),
                              text.data(), text.size()) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return std::unexpected(RdKafkaError::from(RD_KAFKA_RESP_ERR__INVALID_ARG, text.data()));
        }
    }
    rd_kafka_conf_set_log_cb(conf, &logToSpdlog);
    if (customize)
        customize(conf);
    rd_kafka_t* rk = rd_kafka_new(type, conf, text.data(), text.size());
    if (!rk) {
        rd_kafka_conf_destroy(conf); // not owned by librdkafka when rd_kafka_new fails
        return std::unexpected(RdKafkaError::from(RD_KAFKA_RESP_ERR__INVALID_ARG, text.data()));
    }
    return std::unique_ptr<RdKafkaHandle>(new RdKafkaHandle(rk, type));
}

RdKafkaOptionsPtr RdKafkaHandle::adminOptions(rd_kafka_admin_op_t op, int timeoutMs) const {
    RdKafkaOptionsPtr options(rd_kafka_AdminOptions_new(m_rk, op));
    std::array<char, 256> text{};
    // Both can only fail for out-of-range values or an op without that option: ignore those.
    (void)rd_kafka_AdminOptions_set_request_timeout(options.get(), timeoutMs, text.data(),
                                                    text.size());
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
        (void)rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeoutMs, text.data(),
                                                          text.size());
    }
    return options;
}

std::expected<RdKafkaEventPtr, RdKafkaError>
RdKafkaHandle::awaitResult(rd_kafka_event_type_t type, int timeoutMs,
                           const std::function<bool()>& cancelled) const {
    constexpr int sliceMs = 100;
    for (int waited = 0; waited < timeoutMs; waited += sliceMs) {
        if (cancelled && cancelled())
            return std::unexpected(
                RdKafkaError::from(RD_KAFKA_RESP_ERR__INTR, "Cancelled by the user"));
        RdKafkaEventPtr event(rd_kafka_queue_poll(m_queue.get(), sliceMs));
        if (!event)
            continue;
        if (rd_kafka_event_type(event.get()) != type)
            continue; // logs, stats or a stale result: not ours
        if (rd_kafka_resp_err_t err = rd_kafka_event_error(event.get()))
            return std::unexpected(
                RdKafkaError::from(err, rd_kafka_event_error_string(event.get())));
        return event;
    }
    return std::unexpected(RdKafkaError::from(
        RD_KAFKA_RESP_ERR__TIMED_OUT, QStringLiteral("No answer from the cluster within %1 s")
                                          .arg(timeoutMs / 1000)
                                          .toUtf8()
                                          .constData()));
}

std::expected<RdKafkaMetadataPtr, RdKafkaError> RdKafkaHandle::topicMetadata(const QString& topic,
                                                                             int timeoutMs) const {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(m_rk, topic.toUtf8().constData(), nullptr);
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(m_rk, 0, rkt, &raw, timeoutMs);
    rd_kafka_topic_destroy(rkt);
    if (err)
        return std::unexpected(RdKafkaError::from(err));
    RdKafkaMetadataPtr metadata(raw);
    if (metadata->topic_cnt < 1)
        return std::unexpected(RdKafkaError::from(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
    if (const rd_kafka_resp_err_t topicErr = metadata->topics[0].err)
        return std::unexpected(RdKafkaError::from(
            topicErr, QStringLiteral("Topic %1: %2")
                          .arg(topic, QString::fromUtf8(rd_kafka_err2str(topicErr)))
                          .toUtf8()
                          .constData()));
    return metadata;
}

} // namespace faultline::models
