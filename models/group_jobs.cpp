#include "models/group_jobs.h"

#include "models/rdkafka_handle.h"

#include <QMap>
#include <algorithm>

namespace faultline::models {

namespace {

constexpr int kQueryTimeoutMs = 10000;

RdKafkaError fromError(const rd_kafka_error_t* error) {
    return RdKafkaError::from(rd_kafka_error_code(error), rd_kafka_error_string(error));
}

// The group's state name ("Empty", "Stable", "Dead", ...).
std::expected<QString, RdKafkaError> groupState(const RdKafkaHandle& admin, const QString& group,
                                                int timeoutMs, JobContext& context) {
    const QByteArray id = group.toUtf8();
    const char* ids[] = {id.constData()};
    const RdKafkaOptionsPtr options =
        admin.adminOptions(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeoutMs);
    rd_kafka_DescribeConsumerGroups(admin.get(), ids, 1, options.get(), admin.resultQueue());
    auto event = admin.awaitResult(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeoutMs,
                                   [&context] { return context.cancelled(); });
    if (!event)
        return std::unexpected(event.error());
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** groups =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(event->get()), &count);
    if (count < 1)
        return std::unexpected(
            RdKafkaError::from(RD_KAFKA_RESP_ERR__BAD_MSG, "The answer names no group"));
    if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(groups[0])) {
        if (rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
            return QStringLiteral("Dead");
        return std::unexpected(fromError(error));
    }
    return QString::fromUtf8(
        rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(groups[0])));
}

// The (topic, partition) pairs a group_result answers, with their offsets; fails on the first
// error.
std::expected<QMap<QPair<QString, int>, qint64>, RdKafkaError>
groupResultOffsets(const rd_kafka_group_result_t* const* groups, size_t count) {
    if (count < 1)
        return std::unexpected(
            RdKafkaError::from(RD_KAFKA_RESP_ERR__BAD_MSG, "The answer names no group"));
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0]))
        return std::unexpected(fromError(error));
    QMap<QPair<QString, int>, qint64> offsets;
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[0]);
    for (int i = 0; parts && i < parts->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = parts->elems[i];
        if (p.err)
            return std::unexpected(
                RdKafkaError::from(p.err, QStringLiteral("%1[%2]: %3")
                                              .arg(QString::fromUtf8(p.topic))
                                              .arg(p.partition)
                                              .arg(QString::fromUtf8(rd_kafka_err2str(p.err)))
                                              .toUtf8()
                                              .constData()));
        offsets.insert({QString::fromUtf8(p.topic), p.partition}, p.offset);
    }
    return offsets;
}

RdKafkaPartitionListPtr partitionList(const QList<QPair<QString, int>>& partitions) {
    RdKafkaPartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& [topic, partition] : partitions)
        rd_kafka_topic_partition_list_add(list.get(), topic.toUtf8().constData(), partition);
    return list;
}

} // namespace

ResetOffsetsJob::ResetOffsetsJob(ConnectionProfile profile, QString password, QString group,
                                 QStringList topics, OffsetResetTarget target, bool previewOnly)
    : AdminJobBase(std::move(profile), std::move(password)), m_group(std::move(group)),
      m_topics(std::move(topics)), m_target(std::move(target)), m_previewOnly(previewOnly) {}

QString ResetOffsetsJob::title() const {
    return QStringLiteral("%1 offsets of group %2")
        .arg(m_previewOnly ? QStringLiteral("Preview reset of") : QStringLiteral("Reset"), m_group);
}

JobResult ResetOffsetsJob::run(JobContext& context) {
    const QString what = QStringLiteral("Resetting offsets of group %1").arg(m_group);
    auto admin = RdKafkaHandle::create(
        RD_KAFKA_PRODUCER, m_profile, m_password,
        {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}});
    if (!admin)
        return admin.error().toJobResult(what);
    const RdKafkaHandle& rk = **admin;

    // 1. Kafka only lets an inactive group's offsets be reset.
    context.progress(5, QStringLiteral("Checking the group's state"));
    auto state = groupState(rk, m_group, m_timeoutMs, context);
    if (!state)
        return state.error().toJobResult(what);
    if (*state != QLatin1String("Empty") && *state != QLatin1String("Dead")) {
        JobResult refused;
        refused.ok = false;
        refused.errorName = QStringLiteral("NON_EMPTY_GROUP");
        refused.summary =
            QStringLiteral("Cannot reset offsets of group %1: it is %2").arg(m_group, *state);
        refused.detail =
            QStringLiteral("Offsets can only be reset when the group is inactive (Empty), but "
                           "group %1 is %2. Stop its consumers and try again.")
                .arg(m_group, *state);
        return refused;
    }

    // 2. The partitions concerned.
    QList<QPair<QString, int>> partitions;
    if (m_target.mode == ResetMode::Explicit) {
        for (auto it = m_target.offsets.cbegin(); it != m_target.offsets.cend(); ++it)
            partitions.append(it.key());
    } else {
        for (const QString& topic : m_topics) {
            auto metadata = rk.topicMetadata(topic, kQueryTimeoutMs);
            if (!metadata)
                return metadata.error().toJobResult(what);
            const rd_kafka_metadata_topic_t& t = (*metadata)->topics[0];
            for (int i = 0; i < t.partition_cnt; ++i)
                partitions.append({topic, t.partitions[i].id});
        }
    }
    std::sort(partitions.begin(), partitions.end());
    if (partitions.isEmpty())
        return RdKafkaError::from(RD_KAFKA_RESP_ERR__INVALID_ARG, "No partitions to reset")
            .toJobResult(what);

    // 3. What the group has committed now.
    context.progress(20, QStringLiteral("Reading committed offsets"));
    QMap<QPair<QString, int>, qint64> committed;
    {
        RdKafkaPartitionListPtr list = partitionList(partitions);
        rd_kafka_ListConsumerGroupOffsets_t* request =
            rd_kafka_ListConsumerGroupOffsets_new(m_group.toUtf8().constData(), list.get());
        const RdKafkaOptionsPtr options =
            rk.adminOptions(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, m_timeoutMs);
        rd_kafka_ListConsumerGroupOffsets(rk.get(), &request, 1, options.get(), rk.resultQueue());
        rd_kafka_ListConsumerGroupOffsets_destroy(request);
        auto event = rk.awaitResult(RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, m_timeoutMs,
                                    [&context] { return context.cancelled(); });
        if (!event)
            return event.error().toJobResult(what);
        size_t count = 0;
        const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(event->get()), &count);
        auto offsets = groupResultOffsets(groups, count);
        if (!offsets)
            return offsets.error().toJobResult(what);
        committed = *offsets;
    }

    // 4. The new offsets, from the partitions' watermarks (and timestamps).
    QMap<QPair<QString, int>, qint64> target;
    QMap<QPair<QString, int>, QPair<qint64, qint64>> watermarks;
    for (qsizetype i = 0; i < partitions.size(); ++i) {
        if (context.cancelled())
            return RdKafkaError::from(RD_KAFKA_RESP_ERR__INTR, "Cancelled by the user")
                .toJobResult(what);
        const auto& [topic, partition] = partitions[i];
        int64_t low = 0;
        int64_t high = 0;
        if (const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                rk.get(), topic.toUtf8().constData(), partition, &low, &high, kQueryTimeoutMs))
            return RdKafkaError::from(err, QStringLiteral("Watermarks of %1[%2]: %3")
                                               .arg(topic)
                                               .arg(partition)
                                               .arg(QString::fromUtf8(rd_kafka_err2str(err)))
                                               .toUtf8()
                                               .constData())
                .toJobResult(what);
        watermarks.insert(partitions[i], {low, high});
        context.progress(30 + static_cast<int>(40 * (i + 1) / partitions.size()),
                         QStringLiteral("Watermarks of %1[%2]").arg(topic).arg(partition));
    }
    if (m_target.mode == ResetMode::Timestamp) {
        RdKafkaPartitionListPtr list = partitionList(partitions);
        for (int i = 0; i < list->cnt; ++i)
            list->elems[i].offset = m_target.timestampMs;
        if (const rd_kafka_resp_err_t err =
                rd_kafka_offsets_for_times(rk.get(), list.get(), kQueryTimeoutMs))
            return RdKafkaError::from(err).toJobResult(what);
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t& p = list->elems[i];
            const QPair<QString, int> key{QString::fromUtf8(p.topic), p.partition};
            if (p.err)
                return RdKafkaError::from(p.err).toJobResult(what);
            // No message at or after the timestamp: the end, as Kafka's tool does.
            target.insert(key, p.offset >= 0 ? p.offset : watermarks.value(key).second);
        }
    } else {
        for (const auto& key : partitions) {
            const auto [low, high] = watermarks.value(key);
            switch (m_target.mode) {
            case ResetMode::Earliest:
                target.insert(key, low);
                break;
            case ResetMode::Latest:
                target.insert(key, high);
                break;
            case ResetMode::Explicit:
                target.insert(key, std::clamp(m_target.offsets.value(key), low, high));
                break;
            case ResetMode::Timestamp:
                break;
            }
        }
    }

    QList<OffsetResetRow> rows;
    for (const auto& key : partitions) {
        const qint64 current = committed.value(key, -1);
        rows.append({key.first, key.second, current >= 0 ? current : -1, target.value(key)});
    }

    if (m_previewOnly) {
        context.progress(100, QStringLiteral("Preview ready"));
        JobResult result;
        result.ok = true;
        result.summary = QStringLiteral("Preview: %1 partitions of group %2 would be reset")
                             .arg(rows.size())
                             .arg(m_group);
        result.value = QVariant::fromValue(rows);
        return result;
    }

    // 5. Commit the new offsets.
    context.progress(80, QStringLiteral("Committing the new offsets"));
    RdKafkaPartitionListPtr list = partitionList(partitions);
    for (int i = 0; i < list->cnt; ++i)
        list->elems[i].offset =
            target.value({QString::fromUtf8(list->elems[i].topic), list->elems[i].partition});
    rd_kafka_AlterConsumerGroupOffsets_t* request =
        rd_kafka_AlterConsumerGroupOffsets_new(m_group.toUtf8().constData(), list.get());
    const RdKafkaOptionsPtr options =
        rk.adminOptions(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, m_timeoutMs);
    rd_kafka_AlterConsumerGroupOffsets(rk.get(), &request, 1, options.get(), rk.resultQueue());
    rd_kafka_AlterConsumerGroupOffsets_destroy(request);
    auto event = rk.awaitResult(RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, m_timeoutMs,
                                [&context] { return context.cancelled(); });
    if (!event)
        return event.error().toJobResult(what);
    size_t count = 0;
    const rd_kafka_group_result_t** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(event->get()), &count);
    if (auto applied = groupResultOffsets(groups, count); !applied)
        return applied.error().toJobResult(what);

    context.progress(100, QStringLiteral("Offsets reset"));
    JobResult result;
    result.ok = true;
    result.summary =
        QStringLiteral("Reset offsets of group %1 on %2 partitions").arg(m_group).arg(rows.size());
    result.value = QVariant::fromValue(rows);
    return result;
}

} // namespace faultline::models
