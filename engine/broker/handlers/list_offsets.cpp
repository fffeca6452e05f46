#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"
#include "engine/protocol/messages/list_offsets.h"
#include "engine/protocol/records.h"

#include <algorithm>

namespace faultline::broker::handlers {

using protocol::ErrorCode;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

namespace {
constexpr std::int64_t kLatest = -1;
constexpr std::int64_t kEarliest = -2;
constexpr std::int64_t kMaxTimestamp = -3;

// The time index finds the batch whose max timestamp reaches `timestamp`; Kafka answers with the
// first record inside it at or after the timestamp, so the batch is decoded (and decompressed).
std::optional<std::pair<std::int64_t, std::int64_t>>
firstRecordAtOrAfter(const Partition& p, std::int64_t batchOffset, std::int64_t limit,
                     std::int64_t timestamp) {
    auto read = p.log().read(batchOffset, 1, limit, true);
    if (!read || !read->bytes) {
        return std::nullopt;
    }
    auto records = protocol::decodeRecords(*read->bytes);
    if (!records) {
        return std::nullopt;
    }
    for (const auto& record : *records) {
        if (record.offset >= batchOffset && record.offset < limit && record.timestamp >= timestamp) {
            return std::pair{record.offset, record.timestamp};
        }
    }
    return std::nullopt;
}

struct MaxTimestampRecord {
    std::int64_t offset = -1;
    std::int64_t timestamp = -1;
    std::int32_t leaderEpoch = -1;
};

// ListOffsets -3 (KIP-734). The log names the first batch reaching the largest timestamp; Kafka
// (3.7+, KAFKA-16310) answers with the first record inside it that carries the timestamp (the
// first record of a LogAppendTime batch) and with that batch's leader epoch, so the batch is
// decoded (and decompressed).
std::optional<MaxTimestampRecord> recordWithMaxTimestamp(const Partition& p) {
    const auto max = p.log().maxTimestampAndOffset();
    if (!max) {
        return std::nullopt;
    }
    // Unless the batch is unreadable: its first offset, as before KAFKA-16310.
    MaxTimestampRecord found{max->second, max->first, p.leaderEpoch()};
    auto read = p.log().read(max->second, 1, p.logEndOffset(), true);
    if (!read || !read->bytes) {
        return found;
    }
    auto header = protocol::parseBatchHeader(*read->bytes);
    if (!header || header->maxTimestamp != max->first) {
        // The batch reaching it lies below the log start offset (DeleteRecords inside the
        // segment), so the read found a later one.
        return found;
    }
    found.leaderEpoch = std::max(header->partitionLeaderEpoch, std::int32_t{-1});
    if (auto offset = protocol::offsetOfMaxTimestamp(*read->bytes)) {
        found.offset = std::max(*offset, p.logStartOffset());
    }
    return found;
}
} // namespace

void listOffsets(RequestContext& ctx, Responder respond) {
    ListOffsetsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const std::int16_t version = ctx.header.apiVersion;
    Cluster& cluster = ctx.cluster;
    ListOffsetsResponse response;
    for (const auto& topic : request.topics) {
        auto& topicOut = response.topics.emplace_back();
        topicOut.name = topic.name;
        const TopicMeta* meta = cluster.topic(topic.name); // once per topic, not per partition
        for (const auto& part : topic.partitions) {
            auto& out = topicOut.partitions.emplace_back();
            out.partitionIndex = part.partitionIndex;
            out.timestamp = -1;
            out.offset = -1;
            out.leaderEpoch = -1;
            if (meta == nullptr || part.partitionIndex < 0 ||
                part.partitionIndex >= static_cast<std::int32_t>(meta->partitions.size())) {
                out.errorCode = protocol::toInt(ErrorCode::UnknownTopicOrPartition);
                continue;
            }
            Partition* p = cluster.partition(ctx.brokerId, topic.name, part.partitionIndex);
            if (p == nullptr || !p->isLeader()) {
                out.errorCode = protocol::toInt(ErrorCode::NotLeaderOrFollower);
                continue;
            }
            if (const ErrorCode epoch = p->checkLeaderEpoch(part.currentLeaderEpoch);
                epoch != ErrorCode::None) {
                out.errorCode = protocol::toInt(epoch);
                continue;
            }
            // Consumers see up to the high watermark; a replica (replicaId >= 0) up to the log end.
            const std::int64_t latest = request.replicaId >= 0 ? p->logEndOffset() : p->highWatermark();
            std::optional<std::pair<std::int64_t, std::int64_t>> found; // offset, timestamp
            std::int32_t foundEpoch = p->leaderEpoch();
            if (part.timestamp == kLatest) {
                found = std::pair{latest, std::int64_t{-1}};
            } else if (part.timestamp == kEarliest) {
                found = std::pair{p->logStartOffset(), std::int64_t{-1}};
            } else if (part.timestamp == kMaxTimestamp) {
                // As Kafka: the record must be visible (below the high watermark for consumers),
                // else no answer; not the largest timestamp among the visible records.
                if (auto max = recordWithMaxTimestamp(*p); max && max->offset < latest) {
                    found = std::pair{max->offset, max->timestamp};
                    foundEpoch = max->leaderEpoch;
                }
            } else if (part.timestamp >= 0) {
                if (auto hit = p->log().offsetForTimestamp(part.timestamp); hit && hit->first < latest) {
                    found = firstRecordAtOrAfter(*p, hit->first, latest, part.timestamp).value_or(*hit);
                }
            } else {
                out.errorCode = protocol::toInt(ErrorCode::InvalidRequest);
                continue;
            }
            if (version == 0) {
                // v0: up to MaxNumOffsets offsets, newest first; the log end is always one of them.
                if (part.timestamp == kEarliest) {
                    out.oldStyleOffsets.push_back(p->logStartOffset());
                } else if (part.timestamp == kLatest) {
                    out.oldStyleOffsets.push_back(latest);
                } else if (found) {
                    out.oldStyleOffsets.push_back(found->first);
                }
                if (part.maxNumOffsets >= 0 &&
                    static_cast<std::int32_t>(out.oldStyleOffsets.size()) > part.maxNumOffsets) {
                    out.oldStyleOffsets.resize(static_cast<std::size_t>(part.maxNumOffsets));
                }
                continue;
            }
            if (found) {
                out.offset = found->first;
                out.timestamp = found->second;
                out.leaderEpoch = foundEpoch;
            }
        }
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
