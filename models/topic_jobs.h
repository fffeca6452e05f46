// Topic and topic-config changes as Jobs, through librdkafka's asynchronous admin API. Each job
// owns a short-lived admin client made from the ConnectionProfile (+ password) it was built with,
// waits on a result queue in short slices and gives up early when the JobContext is cancelled.
// Failures: ok=false, errorName = Kafka's error name (rd_kafka_err2name), detail = the broker's
// text.
#pragma once

#include "models/connection_profile.h"
#include "models/job.h"

#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace faultline::models {

// One topic config entry as DescribeConfigs reports it.
struct ConfigEntryRow {
    QString name;
    QString value; // empty for sensitive or null values
    bool isDefault = false;
    QString source; // librdkafka's source name: DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, ...
    bool readOnly = false;
    bool sensitive = false;
    friend bool operator==(const ConfigEntryRow&, const ConfigEntryRow&) = default;
};

// Shared by the topic jobs: the profile, the password and the admin timeout.
class AdminJobBase : public Job {
public:
    AdminJobBase(ConnectionProfile profile, QString password);
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }

protected:
    ConnectionProfile m_profile;
    QString m_password;
    int m_timeoutMs = 30000;
};

class CreateTopicJob : public AdminJobBase {
public:
    CreateTopicJob(ConnectionProfile profile, QString password, QString name, int partitions,
                   int replicationFactor, QMap<QString, QString> configs = {});
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_name;
    int m_partitions;
    int m_replicationFactor;
    QMap<QString, QString> m_configs;
};

class DeleteTopicJob : public AdminJobBase {
public:
    DeleteTopicJob(ConnectionProfile profile, QString password, QString name);
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_name;
};

// Grows a topic to `totalPartitions` partitions (Kafka never shrinks one).
class CreatePartitionsJob : public AdminJobBase {
public:
    CreatePartitionsJob(ConnectionProfile profile, QString password, QString name,
                        int totalPartitions);
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_name;
    int m_totalPartitions;
};

// JobResult.value: QList<ConfigEntryRow>, sorted by name.
class DescribeTopicConfigJob : public AdminJobBase {
public:
    DescribeTopicConfigJob(ConnectionProfile profile, QString password, QString name);
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_name;
};

// Sets and removes topic-level overrides. librdkafka 2.0.2 has no IncrementalAlterConfigs, so the
// job reads the topic's current dynamic overrides (DescribeConfigs), applies the change and sends
// the full set with AlterConfigs; the summary says so. JobResult.value: the QMap<QString, QString>
// of overrides sent.
class AlterTopicConfigJob : public AdminJobBase {
public:
    AlterTopicConfigJob(ConnectionProfile profile, QString password, QString name,
                        QMap<QString, QString> set, QStringList remove = {});
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_name;
    QMap<QString, QString> m_set;
    QStringList m_remove;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::ConfigEntryRow)
