// Consumer-group offset resets as a Job, through librdkafka's admin API (DescribeConsumerGroups,
// ListConsumerGroupOffsets, AlterConsumerGroupOffsets) plus watermark / offsets-for-times queries.
// Like Kafka's kafka-consumer-groups --reset-offsets, it refuses unless the group is Empty (or does
// not exist yet): a group with members would overwrite the reset with its next commit.
#pragma once

#include "models/topic_jobs.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>
#include <QStringList>

namespace faultline::models {

enum class ResetMode { Earliest, Latest, Timestamp, Explicit };

struct OffsetResetTarget {
    ResetMode mode = ResetMode::Earliest;
    qint64 timestampMs = 0;                     // Timestamp: first offset at or after this
    QHash<QPair<QString, int>, qint64> offsets; // Explicit: (topic, partition) -> offset

    [[nodiscard]] static OffsetResetTarget earliest() { return {ResetMode::Earliest, 0, {}}; }
    [[nodiscard]] static OffsetResetTarget latest() { return {ResetMode::Latest, 0, {}}; }
    [[nodiscard]] static OffsetResetTarget timestamp(qint64 ms) {
        return {ResetMode::Timestamp, ms, {}};
    }
    [[nodiscard]] static OffsetResetTarget explicitOffsets(QHash<QPair<QString, int>, qint64> map) {
        return {ResetMode::Explicit, 0, std::move(map)};
    }
};

// One row of the preview (and of the applied result).
struct OffsetResetRow {
    QString topic;
    int partition = 0;
    qint64 currentOffset = -1; // committed now; -1 none
    qint64 newOffset = -1;
    friend bool operator==(const OffsetResetRow&, const OffsetResetRow&) = default;
};

// Resets `group`'s committed offsets on every partition of `topics` (Explicit: on the partitions
// of the map, whose topics need not be listed). previewOnly computes and returns the rows without
// committing. JobResult.value: QList<OffsetResetRow> sorted by topic, partition. Explicit offsets
// outside [log start, high watermark] are clamped into it, as Kafka's tool does.
class ResetOffsetsJob : public AdminJobBase {
public:
    ResetOffsetsJob(ConnectionProfile profile, QString password, QString group, QStringList topics,
                    OffsetResetTarget target, bool previewOnly);
    [[nodiscard]] QString title() const override;
    [[nodiscard]] JobResult run(JobContext& context) override;

private:
    QString m_group;
    QStringList m_topics;
    OffsetResetTarget m_target;
    bool m_previewOnly;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::OffsetResetRow)
