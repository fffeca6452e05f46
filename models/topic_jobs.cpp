#include "models/topic_jobs.h"

#include "models/rdkafka_handle.h"

#include <algorithm>
#include <array>

namespace faultline::models {

namespace {

JobResult failure(const QString& what, const RdKafkaError& error) {
    return error.toJobResult(what);
}

std::expected<std::unique_ptr<RdKafkaHandle>, RdKafkaError>
adminHandle(const ConnectionProfile& profile, const QString& password) {
    return RdKafkaHandle::create(
        RD_KAFKA_PRODUCER, profile, password,
        {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}});
}

// The one topic result of a CreateTopics / DeleteTopics / CreatePartitions answer.
std::expected<void, RdKafkaError> topicResult(const rd_kafka_topic_result_t** topics,
                                              size_t count) {
    if (count < 1)
        return std::unexpected(
            RdKafkaError::from(RD_KAFKA_RESP_ERR__BAD_MSG, "The answer names no topic"));
    if (const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[0]))
        return std::unexpected(
            RdKafkaError::from(err, rd_kafka_topic_result_error_string(topics[0])));
    return {};
}

std::expected<QList<ConfigEntryRow>, RdKafkaError> describeTopicConfig(const RdKafkaHandle& admin,
                                                                       const QString& topic,
                                                                       int timeoutMs,
                                                                       JobContext& context) {
    rd_kafka_ConfigResource_t* resource =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.toUtf8().constData());
    const RdKafkaOptionsPtr options =
        admin.adminOptions(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeoutMs);
    rd_kafka_DescribeConfigs(admin.get(), &resource, 1, options.get(), admin.resultQueue());
    rd_kafka_ConfigResource_destroy(resource);
    auto event = admin.awaitResult(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeoutMs,
                                   [&context] { return context.cancelled(); });
    if (!event)
        return std::unexpected(event.error());
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event->get()), &count);
    if (count < 1)
        return std::unexpected(
            RdKafkaError::from(RD_KAFKA_RESP_ERR__BAD_MSG, "The answer names no resource"));
    if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0]))
        return std::unexpected(
            RdKafkaError::from(err, rd_kafka_ConfigResource_error_string(resources[0])));
    size_t entryCount = 0;
    const rd_kafka_ConfigEntry_t** entries =
        rd_kafka_ConfigResource_configs(resources[0], &entryCount);
    QList<ConfigEntryRow> rows;
    rows.reserve(static_cast<qsizetype>(entryCount));
    for (size_t i = 0; i < entryCount; ++i) {
        const rd_kafka_ConfigEntry_t* entry = entries[i];
        ConfigEntryRow row;
        row.name = QString::fromUtf8(rd_kafka_ConfigEntry_name(entry));
        const char* value = rd_kafka_ConfigEntry_value(entry);
        row.value = value ? QString::fromUtf8(value) : QString();
        row.isDefault = rd_kafka_ConfigEntry_is_default(entry) != 0;
        row.source =
            QString::fromUtf8(rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entry)));
        row.readOnly = rd_kafka_ConfigEntry_is_read_only(entry) != 0;
        row.sensitive = rd_kafka_ConfigEntry_is_sensitive(entry) != 0;
        rows.append(row);
    }
    std::sort(rows.begin(), rows.end(),
              [](const ConfigEntryRow& a, const ConfigEntryRow& b) { return a.name < b.name; });
    return rows;
}

} // namespace

AdminJobBase::AdminJobBase(ConnectionProfile profile, QString password)
    : m_profile(std::move(profile)), m_password(std::move(password)) {}

// ---- CreateTopicJob

CreateTopicJob::CreateTopicJob(ConnectionProfile profile, QString password, QString name,
                               int partitions, int replicationFactor,
                               QMap<QString, QString> configs)
    : AdminJobBase(std::move(profile), std::move(password)), m_name(std::move(name)),
      m_partitions(partitions), m_replicationFactor(replicationFactor),
      m_configs(std::move(configs)) {}

QString CreateTopicJob::title() const {
    return QStringLiteral("Create topic %1").arg(m_name);
}

JobResult CreateTopicJob::run(JobContext& context) {
    const QString what = QStringLiteral("Creating topic %1").arg(m_name);
    auto admin = adminHandle(m_profile, m_password);
    if (!admin)
        return failure(what, admin.error());
    context.progress(10, QStringLiteral("Sending CreateTopics"));
    std::array<char, 512> text{};
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(
        m_name.toUtf8().constData(), m_partitions, m_replicationFactor, text.data(), text.size());
    if (!topic)
        return failure(what, RdKafkaError::from(RD_KAFKA_RESP_ERR__INVALID_ARG, text.data()));
    for (auto it = m_configs.cbegin(); it != m_configs.cend(); ++it) {
        if (const rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(
                topic, it.key().toUtf8().constData(), it.value().toUtf8().constData())) {
            rd_kafka_NewTopic_destroy(topic);
            return failure(what, RdKafkaError::from(err));
        }
    }
    const RdKafkaOptionsPtr options =
        (*admin)->adminOptions(RD_KAFKA_ADMIN_OP_CREATETOPICS, m_timeoutMs);
    rd_kafka_CreateTopics((*admin)->get(), &topic, 1, options.get(), (*admin)->resultQueue());
    rd_kafka_NewTopic_destroy(topic);
    auto event = (*admin)->awaitResult(RD_KAFKA_EVENT_CREATETOPICS_RESULT, m_timeoutMs,
                                       [&context] { return context.cancelled(); });
    if (!event)
        return failure(what, event.error());
    size_t count = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event->get()), &count);
    if (auto ok = topicResult(topics, count); !ok)
        return failure(what, ok.error());
    context.progress(100, QStringLiteral("Created"));
    JobResult result;
    result.ok = true;
    result.summary = QStringLiteral("Created topic %1 (%2 partitions, RF %3)")
                         .arg(m_name)
                         .arg(m_partitions)
                         .arg(m_replicationFactor);
    return result;
}

// ---- DeleteTopicJob

DeleteTopicJob::DeleteTopicJob(ConnectionProfile profile, QString password, QString name)
    : AdminJobBase(std::move(profile), std::move(password)), m_name(std::move(name)) {}

QString DeleteTopicJob::title() const {
    return QStringLiteral("Delete topic %1").arg(m_name);
}

JobResult DeleteTopicJob::run(JobContext& context) {
    const QString what = QStringLiteral("Deleting topic %1").arg(m_name);
    auto admin = adminHandle(m_profile, m_password);
    if (!admin)
        return failure(what, admin.error());
    context.progress(10, QStringLiteral("Sending DeleteTopics"));
    rd_kafka_DeleteTopic_t* topic = rd_kafka_DeleteTopic_new(m_name.toUtf8().constData());
    const RdKafkaOptionsPtr options =
        (*admin)->adminOptions(RD_KAFKA_ADMIN_OP_DELETETOPICS, m_timeoutMs);
    rd_kafka_DeleteTopics((*admin)->get(), &topic, 1, options.get(), (*admin)->resultQueue());
    rd_kafka_DeleteTopic_destroy(topic);
    auto event = (*admin)->awaitResult(RD_KAFKA_EVENT_DELETETOPICS_RESULT, m_timeoutMs,
                                       [&context] { return context.cancelled(); });
    if (!event)
        return failure(what, event.error());
    size_t count = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_DeleteTopics_result_topics(
        rd_kafka_event_DeleteTopics_result(event->get()), &count);
    if (auto ok = topicResult(topics, count); !ok)
        return failure(what, ok.error());
    context.progress(100, QStringLiteral("Deleted"));
    JobResult result;
    result.ok = true;
    result.summary = QStringLiteral("Deleted topic %1").arg(m_name);
    return result;
}

// ---- CreatePartitionsJob

CreatePartitionsJob::CreatePartitionsJob(ConnectionProfile profile, QString password, QString name,
                                         int totalPartitions)
    : AdminJobBase(std::move(profile), std::move(password)), m_name(std::move(name)),
      m_totalPartitions(totalPartitions) {}

QString CreatePartitionsJob::title() const {
    return QStringLiteral("Add partitions to %1 (total %2)").arg(m_name).arg(m_totalPartitions);
}

JobResult CreatePartitionsJob::run(JobContext& context) {
    const QString what = QStringLiteral("Adding partitions to %1").arg(m_name);
    auto admin = adminHandle(m_profile, m_password);
    if (!admin)
        return failure(what, admin.error());
    context.progress(10, QStringLiteral("Sending CreatePartitions"));
    std::array<char, 512> text{};
    rd_kafka_NewPartitions_t* parts = rd_kafka_NewPartitions_new(
        m_name.toUtf8().constData(), static_cast<size_t>(std::max(0, m_totalPartitions)),
        text.data(), text.size());
    if (!parts)
        return failure(what, RdKafkaError::from(RD_KAFKA_RESP_ERR__INVALID_ARG, text.data()));
    const RdKafkaOptionsPtr options =
        (*admin)->adminOptions(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, m_timeoutMs);
    rd_kafka_CreatePartitions((*admin)->get(), &parts, 1, options.get(), (*admin)->resultQueue());
    rd_kafka_NewPartitions_destroy(parts);
    auto event = (*admin)->awaitResult(RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, m_timeoutMs,
                                       [&context] { return context.cancelled(); });
    if (!event)
        return failure(what, event.error());
    size_t count = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreatePartitions_result_topics(
        rd_kafka_event_CreatePartitions_result(event->get()), &count);
    if (auto ok = topicResult(topics, count); !ok)
        return failure(what, ok.error());
    context.progress(100, QStringLiteral("Partitions added"));
    JobResult result;
    result.ok = true;
    result.summary =
        QStringLiteral("Topic %1 now has %2 partitions").arg(m_name).arg(m_totalPartitions);
    return result;
}

// ---- DescribeTopicConfigJob

DescribeTopicConfigJob::DescribeTopicConfigJob(ConnectionProfile profile, QString password,
                                               QString name)
    : AdminJobBase(std::move(profile), std::move(password)), m_name(std::move(name)) {}

QString DescribeTopicConfigJob::title() const {
    return QStringLiteral("Describe config of topic %1").arg(m_name);
}

JobResult DescribeTopicConfigJob::run(JobContext& context) {
    const QString what = QStringLiteral("Describing config of topic %1").arg(m_name);
    auto admin = adminHandle(m_profile, m_password);
    if (!admin)
        return failure(what, admin.error());
    context.progress(10, QStringLiteral("Sending DescribeConfigs"));
    auto rows = describeTopicConfig(**admin, m_name, m_timeoutMs, context);
    if (!rows)
        return failure(what, rows.error());
    context.progress(100, QStringLiteral("Described"));
    const auto overrides = std::count_if(rows->cbegin(), rows->cend(),
                                         [](const ConfigEntryRow& r) { return !r.isDefault; });
    JobResult result;
    result.ok = true;
    result.summary = QStringLiteral("Topic %1: %2 config entries, %3 overridden")
                         .arg(m_name)
                         .arg(rows->size())
                         .arg(overrides);
    result.value = QVariant::fromValue(*rows);
    return result;
}

// ---- AlterTopicConfigJob

AlterTopicConfigJob::AlterTopicConfigJob(ConnectionProfile profile, QString password, QString name,
                                         QMap<QString, QString> set, QStringList remove)
    : AdminJobBase(std::move(profile), std::move(password)), m_name(std::move(name)),
      m_set(std::move(set)), m_remove(std::move(remove)) {}

QString AlterTopicConfigJob::title() const {
    return QStringLiteral("Alter config of topic %1").arg(m_name);
}

JobResult AlterTopicConfigJob::run(JobContext& context) {
    const QString what = QStringLiteral("Altering config of topic %1").arg(m_name);
    auto admin = adminHandle(m_profile, m_password);
    if (!admin)
        return failure(what, admin.error());
    context.progress(10, QStringLiteral("Reading the current overrides (DescribeConfigs)"));
    auto rows = describeTopicConfig(**admin, m_name, m_timeoutMs, context);
    if (!rows)
        return failure(what, rows.error());

    // AlterConfigs replaces every dynamic override of the topic: start from the current ones.
    QMap<QString, QString> overrides;
    QStringList lostSensitive;
    for (const ConfigEntryRow& row : *rows) {
        if (row.source != QLatin1String("DYNAMIC_TOPIC_CONFIG"))
            continue;
        if (row.sensitive && row.value.isEmpty() && !m_set.contains(row.name)) {
            lostSensitive.append(row.name); // the broker hides it: it cannot be sent back
            continue;
        }
        overrides.insert(row.name, row.value);
    }
    for (const QString& name : m_remove)
        overrides.remove(name);
    for (auto it = m_set.cbegin(); it != m_set.cend(); ++it)
        overrides.insert(it.key(), it.value());

    context.progress(
        50, QStringLiteral("Sending AlterConfigs with %1 overrides").arg(overrides.size()));
    rd_kafka_ConfigResource_t* resource =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, m_name.toUtf8().constData());
    for (auto it = overrides.cbegin(); it != overrides.cend(); ++it) {
        if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_set_config(
                resource, it.key().toUtf8().constData(), it.value().toUtf8().constData())) {
            rd_kafka_ConfigResource_destroy(resource);
            return failure(what, RdKafkaError::from(err));
        }
    }
    const RdKafkaOptionsPtr options =
        (*admin)->adminOptions(RD_KAFKA_ADMIN_OP_ALTERCONFIGS, m_timeoutMs);
    rd_kafka_AlterConfigs((*admin)->get(), &resource, 1, options.get(), (*admin)->resultQueue());
    rd_kafka_ConfigResource_destroy(resource);
    auto event = (*admin)->awaitResult(RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, m_timeoutMs,
                                       [&context] { return context.cancelled(); });
    if (!event)
        return failure(what, event.error());
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_AlterConfigs_result_resources(
        rd_kafka_event_AlterConfigs_result(event->get()), &count);
    if (count >= 1) {
        if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0]))
            return failure(
                what, RdKafkaError::from(err, rd_kafka_ConfigResource_error_string(resources[0])));
    }
    context.progress(100, QStringLiteral("Altered"));

    QStringList changes;
    for (auto it = m_set.cbegin(); it != m_set.cend(); ++it)
        changes.append(QStringLiteral("%1=%2").arg(it.key(), it.value()));
    for (const QString& name : m_remove)
        changes.append(QStringLiteral("%1 removed").arg(name));
    JobResult result;
    result.ok = true;
    result.summary =
        QStringLiteral("Altered config of topic %1: %2 (sent the full set of %3 overrides with "
                       "AlterConfigs: librdkafka 2.0.2 has no IncrementalAlterConfigs)")
            .arg(m_name, changes.join(QStringLiteral(", ")))
            .arg(overrides.size());
    if (!lostSensitive.isEmpty())
        result.detail = QStringLiteral("Sensitive overrides the broker hides were dropped: %1")
                            .arg(lostSensitive.join(QStringLiteral(", ")));
    result.value = QVariant::fromValue(overrides);
    return result;
}

} // namespace faultline::models
