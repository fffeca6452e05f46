#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"
#include "engine/broker/topic_config.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/records.h"

#include <fmt/format.h>

#include <limits>

namespace faultline::broker::handlers {

using protocol::ErrorCode;
using protocol::ProduceRequest;
using protocol::ProduceResponse;

namespace {

// An acks=all produce waiting until the ISR has every appended batch (high watermark past it).
struct DelayedProduce : std::enable_shared_from_this<DelayedProduce> {
    struct Wait {
        std::string topic;
        std::int32_t partition;
        std::int64_t requiredOffset; // high watermark must reach this (last offset + 1)
        ProduceResponse::PartitionProduceResponse* out;
        std::uint64_t listenerId = 0;
        bool done = false;
    };
    Cluster& cluster;
    std::int32_t brokerId;
    Responder respond;
    ProduceResponse response;
    std::vector<Wait> waits;
    std::uint64_t timerId = 0;
    bool finished = false;

    DelayedProduce(Cluster& c, std::int32_t b, Responder r) : cluster(c), brokerId(b), respond(std::move(r)) {}

    void check() {
        bool all = true;
        for (auto& w : waits) {
            if (w.done) {
                continue;
            }
            Partition* p = cluster.partition(brokerId, w.topic, w.partition);
            if (p == nullptr || !p->isLeader()) {
                w.out->errorCode = protocol::toInt(ErrorCode::NotLeaderOrFollower);
                w.done = true;
            } else if (p->highWatermark() >= w.requiredOffset) {
                w.done = true;
            } else {
                all = false;
            }
        }
        if (all) {
            finish();
        }
    }

    void timeout() {
        for (auto& w : waits) {
            if (!w.done) {
                w.out->errorCode = protocol::toInt(ErrorCode::RequestTimedOut);
                w.out->errorMessage = "timed out waiting for the in-sync replicas";
                w.done = true;
            }
        }
        timerId = 0;
        finish();
    }

    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (timerId != 0) {
            cluster.cancelTimer(timerId);
        }
        for (auto& w : waits) {
            if (w.listenerId != 0) {
                if (Partition* p = cluster.partition(brokerId, w.topic, w.partition)) {
                    p->removeListener(w.listenerId);
                }
            }
        }
        respond.send(response);
    }
};

// prepareProduce's result: each partition's batch checked, by the address of its bytes.
struct PreparedProduce {
    std::vector<std::pair<const std::uint8_t*, BatchCheck>> checks;

    [[nodiscard]] const BatchCheck* find(const std::uint8_t* batch) const {
        for (const auto& [data, check] : checks) {
            if (data == batch) {
                return &check;
            }
        }
        return nullptr;
    }
};

} // namespace

std::shared_ptr<const void> prepareProduce(protocol::Reader body, std::int16_t version) {
    ProduceRequest request;
    request.read(body, version);
    if (!body.ok()) {
        return nullptr; // the handler answers a malformed body
    }
    auto prepared = std::make_shared<PreparedProduce>();
    for (const auto& topicData : request.topicData) {
        for (const auto& partData : topicData.partitionData) {
            if (!partData.records.isNull && partData.records.size() > 0) {
                prepared->checks.emplace_back(partData.records.bytes.data(),
                                              checkProducerBatch(partData.records.bytes));
            }
        }
    }
    return prepared;
}

namespace {

// message.timestamp.difference.max.ms's default: no timestamp is checked.
constexpr std::int64_t kNoTimestampCheck = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kNoTimestamp = -1; // Kafka's RecordBatch.NO_TIMESTAMP: never checked

// Kafka's checks of each record of a produced batch (LogValidator.validateRecord).
struct RecordChecks {
    bool compacted = false; // cleanup.policy has "compact": every record needs a key
    // message.timestamp.difference.max.ms of a CreateTime topic (LogAppendTime topics: none).
    std::int64_t maxTimestampDifferenceMs = kNoTimestampCheck;
    std::int64_t nowMs = 0;

    [[nodiscard]] bool any() const {
        return compacted || maxTimestampDifferenceMs != kNoTimestampCheck;
    }
};

struct RecordsRefused {
    ErrorCode code = ErrorCode::InvalidRecord;
    std::string message;
    std::vector<ProduceResponse::BatchIndexAndErrorMessage> recordErrors;
};

// Kafka refuses a batch with a record without a key on a compacted topic (cleanup.policy
// "compact" or "compact,delete"): INVALID_RECORD, the record's index in record_errors (the
// engine names the first such record). On a CreateTime topic with
// message.timestamp.difference.max.ms it refuses a batch with a record whose timestamp (unless -1)
// is further than that from now: INVALID_TIMESTAMP, every such record in record_errors, and the
// batch's error message Kafka's. A record without a key on a compacted topic is not checked for
// its timestamp; one bad timestamp makes the batch's error INVALID_TIMESTAMP. Kafka checks after
// the batch's own checks (CRC, record structure), whose errors win, and before the producer state
// (sequence numbers). Returns why `batch` is refused, if it is.
std::optional<RecordsRefused> refuseRecords(std::span<const std::uint8_t> batch,
                                            const BatchCheck& checked, const RecordChecks& checks,
                                            const std::string& topic, std::int32_t partition) {
    if (!checked.header || !checked.records || checked.header->isControl()) {
        return std::nullopt; // appendFromProducer answers with the batch's own error
    }
    const std::int64_t maxDifference = checks.maxTimestampDifferenceMs;
    const bool checkTimestamps = maxDifference != kNoTimestampCheck;
    // The window [now - max, now + max], saturated rather than wrapped (max >= 0 by validation).
    const std::int64_t now = checks.nowMs;
    const std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
    const std::int64_t highest = std::numeric_limits<std::int64_t>::max();
    const std::int64_t earliest = now < lowest + maxDifference ? lowest : now - maxDifference;
    const std::int64_t latest = now > highest - maxDifference ? highest : now + maxDifference;
    RecordsRefused refused;
    bool keyless = false;
    bool badTimestamp = false;
    protocol::forEachRecordSummary(batch, [&](const protocol::RecordSummary& record) {
        if (checks.compacted && !record.hasKey) {
            if (!keyless) {
                keyless = true;
                refused.recordErrors.push_back(
                    {record.index,
                     fmt::format("Compacted topic cannot accept message without key in topic "
                                 "partition {}-{}.",
                                 topic, partition)});
            }
            return checkTimestamps; // the first one is all a keyless refusal names
        }
        if (checkTimestamps && record.timestamp != kNoTimestamp &&
            (record.timestamp < earliest || record.timestamp > latest)) {
            badTimestamp = true;
            refused.recordErrors.push_back(
                {record.index,
                 fmt::format("Timestamp {} of message with offset {} is out of range. The "
                             "timestamp should be within [{}, {}]",
                             record.timestamp, record.offset, earliest, latest)});
        }
        return true;
    });
    if (badTimestamp) {
        refused.code = ErrorCode::InvalidTimestamp;
        refused.message = "One or more records have been rejected due to invalid timestamp";
        return refused;
    }
    if (keyless) {
        refused.code = ErrorCode::InvalidRecord;
        refused.message = *refused.recordErrors.front().batchIndexErrorMessage;
        return refused;
    }
    return std::nullopt;
}

} // namespace

void produce(RequestContext& ctx, Responder respond) {
    ProduceRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const auto* prepared = static_cast<const PreparedProduce*>(ctx.prepared.get());
    Cluster& cluster = ctx.cluster;
    const std::int16_t acks = request.acks;
    auto delayed = std::make_shared<DelayedProduce>(cluster, ctx.brokerId, respond);
    ProduceResponse& response = delayed->response;
    const std::int64_t now = cluster.nowMs();

    // Count first so that pointers into the response stay valid.
    std::size_t partitions = 0;
    for (const auto& t : request.topicData) {
        partitions += t.partitionData.size();
    }
    delayed->waits.reserve(partitions);

    for (auto& topicData : request.topicData) {
        auto& topicOut = response.responses.emplace_back();
        topicOut.name = topicData.name;
        topicOut.partitionResponses.reserve(topicData.partitionData.size());
        for (auto& partData : topicData.partitionData) {
            auto& out = topicOut.partitionResponses.emplace_back();
            out.index = partData.index;
            out.baseOffset = -1;
            out.logAppendTimeMs = -1;
            out.logStartOffset = -1;
            auto fail = [&out](ErrorCode code, std::string message) {
                out.errorCode = protocol::toInt(code);
                out.errorMessage = std::move(message);
            };
            if (acks != 0 && acks != 1 && acks != -1) {
                fail(ErrorCode::InvalidRequiredAcks, fmt::format("acks must be 0, 1 or -1, not {}", acks));
                continue;
            }
            if (request.transactionalId.has_value()) {
                fail(ErrorCode::InvalidRequest, "transactional produce is not supported by this engine yet");
                continue;
            }
            const TopicMeta* topic = cluster.topic(topicData.name);
            if (topic == nullptr && cluster.maybeAutoCreate(topicData.name)) {
                topic = cluster.topic(topicData.name);
            }
            const PartitionMeta* meta = cluster.partitionMeta(topicData.name, partData.index);
            if (topic == nullptr || meta == nullptr) {
                fail(ErrorCode::UnknownTopicOrPartition,
                     fmt::format("{}-{} does not exist", topicData.name, partData.index));
                continue;
            }
            if (topic->internal) {
                fail(ErrorCode::InvalidTopicException,
                     fmt::format("producing to the internal topic {} is not allowed", topic->name));
                continue;
            }
            Partition* partition = cluster.partition(ctx.brokerId, topicData.name, partData.index);
            if (partition == nullptr || !partition->isLeader()) {
                fail(ErrorCode::NotLeaderOrFollower,
                     fmt::format("broker {} is not the leader of {}-{} (leader {})", ctx.brokerId,
                                 topicData.name, partData.index, meta->leader));
                continue;
            }
            if (partData.records.isNull || partData.records.size() == 0) {
                fail(ErrorCode::InvalidRecord, "empty record set");
                continue;
            }
            const std::int64_t minIsr =
                topicConfigInt("min.insync.replicas", topic->configs, cluster.brokerConfigs());
            if (acks == -1 && static_cast<std::int64_t>(meta->isr.size()) < minIsr) {
                fail(ErrorCode::NotEnoughReplicas,
                     fmt::format("{}-{}: {} in-sync replicas, min.insync.replicas is {}",
                                 topicData.name, partData.index, meta->isr.size(), minIsr));
                continue;
            }
            const BatchCheck* checked =
                prepared != nullptr ? prepared->find(partData.records.bytes.data()) : nullptr;
            std::optional<BatchCheck> checkedHere; // when the preparer did not see this batch
            const storage::LogConfig& logConfig = partition->log().config();
            RecordChecks recordChecks;
            recordChecks.compacted = logConfig.cleanupCompact;
            if (!logConfig.logAppendTime) {
                recordChecks.maxTimestampDifferenceMs = logConfig.messageTimestampDifferenceMaxMs;
            }
            recordChecks.nowMs = now;
            if (recordChecks.any()) {
                if (checked == nullptr) {
                    checkedHere = checkProducerBatch(partData.records.bytes);
                    checked = &*checkedHere;
                }
                if (auto refused = refuseRecords(partData.records.bytes, *checked, recordChecks,
                                                 topicData.name, partData.index)) {
                    out.recordErrors = std::move(refused->recordErrors);
                    fail(refused->code, std::move(refused->message));
                    continue;
                }
            }
            // The batch is patched in place (base offset, leader epoch) inside the request frame,
            // which this request owns alone: the connection allocated it for this request and
            // nothing reads it after the handler. This saves a copy of every produced byte.
            std::span<std::uint8_t> batch(const_cast<std::uint8_t*>(partData.records.bytes.data()),
                                          partData.records.bytes.size());
            auto appended = partition->appendFromProducer(batch, now, partData.records.owner, checked);
            if (!appended) {
                fail(appended.error().code, appended.error().message);
                continue;
            }
            out.baseOffset = appended->baseOffset;
            out.logAppendTimeMs = appended->logAppendTime;
            out.logStartOffset = appended->logStartOffset;
            if (acks == -1) {
                delayed->waits.push_back(DelayedProduce::Wait{topicData.name, partData.index,
                                                              appended->lastOffset + 1, &out});
            }
        }
    }

    if (acks == 0) {
        respond.noResponse();
        return;
    }
    // Hand the responder to the delayed operation (it was copied into it): drop ours.
    Responder dropped = std::move(respond);
    (void)dropped;
    delayed->check();
    if (delayed->finished) {
        return;
    }
    for (auto& w : delayed->waits) {
        if (w.done) {
            continue;
        }
        if (Partition* p = cluster.partition(ctx.brokerId, w.topic, w.partition)) {
            w.listenerId = p->addListener([weak = std::weak_ptr<DelayedProduce>(delayed)] {
                if (auto d = weak.lock()) {
                    d->check();
                }
            });
        }
    }
    delayed->timerId = cluster.schedule(std::chrono::milliseconds(std::max(request.timeoutMs, 0)),
                                        [delayed] { delayed->timeout(); });
}

} // namespace faultline::broker::handlers
