// A change to a cluster (create topic, alter config, reset offsets, reassign ...): run by a
// ClusterSession on its worker thread; reports progress, can be cancelled, ends in a typed result.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVariant>

#include <atomic>
#include <memory>

namespace faultline::models {

class KafkaClient;

struct JobResult {
    bool ok = false;
    QString summary;     // for people: "Created topic orders (6 partitions, RF 3)"
    QString errorName;   // Kafka's error name when a request failed: "TOPIC_ALREADY_EXISTS"
    QString detail;      // the broker's message or more context
    QVariant value;      // typed payload for callers (e.g. a reset-offsets preview)
};

class JobContext {
public:
    virtual ~JobContext() = default;
    [[nodiscard]] virtual KafkaClient& client() = 0;      // the session's own admin client
    [[nodiscard]] virtual bool cancelled() const = 0;
    virtual void progress(int percent, const QString& message) = 0;
};

class Job {
public:
    virtual ~Job() = default;
    [[nodiscard]] virtual QString title() const = 0;      // "Create topic orders"
    [[nodiscard]] virtual JobResult run(JobContext& context) = 0; // worker thread
};

using JobId = quint64;

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::JobResult)
