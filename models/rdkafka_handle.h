// RAII ownership of librdkafka objects and one client instance (rd_kafka_t) configured from a
// ConnectionProfile, plus the polling of an admin result queue in short slices so a job can be
// cancelled while it waits. Used by the topic / group jobs, the message browser and the producer.
#pragma once

#include "models/connection_profile.h"
#include "models/job.h"

#include <QMap>
#include <QString>
#include <expected>
#include <functional>
#include <librdkafka/rdkafka.h>
#include <memory>

namespace faultline::models {

// A librdkafka or broker failure: Kafka's error name for broker errors ("TOPIC_ALREADY_EXISTS",
// from engine/protocol's table), librdkafka's name for its local errors ("_TIMED_OUT",
// rd_kafka_err2name), and the broker's or library's message.
struct RdKafkaError {
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_UNKNOWN;
    QString name;
    QString message;
    [[nodiscard]] static RdKafkaError from(rd_kafka_resp_err_t code, const char* message = nullptr);
    // A failed job's result: ok=false, summary "<what> failed: <name>", errorName, detail.
    [[nodiscard]] JobResult toJobResult(const QString& what) const;
};

struct RdKafkaEventDeleter {
    void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct RdKafkaQueueDeleter {
    void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct RdKafkaOptionsDeleter {
    void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct RdKafkaPartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const {
        rd_kafka_topic_partition_list_destroy(l);
    }
};
struct RdKafkaMetadataDeleter {
    void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct RdKafkaMessageDeleter {
    void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using RdKafkaEventPtr = std::unique_ptr<rd_kafka_event_t, RdKafkaEventDeleter>;
using RdKafkaQueuePtr = std::unique_ptr<rd_kafka_queue_t, RdKafkaQueueDeleter>;
using RdKafkaOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaOptionsDeleter>;
using RdKafkaPartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaPartitionListDeleter>;
using RdKafkaMetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, RdKafkaMetadataDeleter>;
using RdKafkaMessagePtr = std::unique_ptr<rd_kafka_message_t, RdKafkaMessageDeleter>;

class RdKafkaHandle {
public:
    // A client of `type` (RD_KAFKA_PRODUCER for admin work) for `profile`; `overrides` win over
    // the profile's properties; `customize` may set callbacks on the conf. librdkafka's log lines
    // go to spdlog (the GUI's log dock), as "librdkafka <instance> <facility>: <text>". Fails with
    // "_INVALID_ARG" and librdkafka's text on a bad property.
    [[nodiscard]] static std::expected<std::unique_ptr<RdKafkaHandle>, RdKafkaError>
    create(rd_kafka_type_t type, const ConnectionProfile& profile, const QString& password,
           const QMap<QString, QString>& overrides = {},
           const std::function<void(rd_kafka_conf_t*)>& customize = {});
    ~RdKafkaHandle(); // a consumer is closed first; then the instance is destroyed
    RdKafkaHandle(const RdKafkaHandle&) = delete;
    RdKafkaHandle& operator=(const RdKafkaHandle&) = delete;

    [[nodiscard]] rd_kafka_t* get() const { return m_rk; }
    [[nodiscard]] rd_kafka_queue_t* resultQueue() const { return m_queue.get(); }

    // Admin options for `op` with request and operation timeouts of `timeoutMs`.
    [[nodiscard]] RdKafkaOptionsPtr adminOptions(rd_kafka_admin_op_t op, int timeoutMs) const;

    // Polls the result queue in slices of 100 ms until an event of `type` arrives. Fails with
    // "_TIMED_OUT" after timeoutMs, with "_CANCELLED" when `cancelled` says so, and with the
    // event's top-level error when the request as a whole failed.
    [[nodiscard]] std::expected<RdKafkaEventPtr, RdKafkaError>
    awaitResult(rd_kafka_event_type_t type, int timeoutMs,
                const std::function<bool()>& cancelled) const;

    // Metadata of one topic (blocking up to timeoutMs; call on a worker thread). Fails with the
    // topic's error (e.g. UNKNOWN_TOPIC_OR_PART) when the broker reports one.
    [[nodiscard]] std::expected<RdKafkaMetadataPtr, RdKafkaError>
    topicMetadata(const QString& topic, int timeoutMs) const;

private:
    RdKafkaHandle(rd_kafka_t* rk, rd_kafka_type_t type);
    rd_kafka_t* m_rk = nullptr;
    rd_kafka_type_t m_type = RD_KAFKA_PRODUCER;
    RdKafkaQueuePtr m_queue;
};

} // namespace faultline::models
