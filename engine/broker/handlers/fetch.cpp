#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"
#include "engine/protocol/messages/fetch.h"

#include <fmt/format.h>

namespace faultline::broker::handlers {

using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;

namespace {

// A fetch that waits (MaxWaitMs) for MinBytes to become readable below the high watermark.
struct DelayedFetch : std::enable_shared_from_this<DelayedFetch> {
    Cluster& cluster;
    std::int32_t brokerId;
    Responder respond;
    FetchRequest request;
    std::vector<std::pair<std::string, std::int32_t>> watched;
    std::vector<std::uint64_t> listenerIds;
    std::uint64_t timerId = 0;
    bool finished = false;

    DelayedFetch(Cluster& c, std::int32_t b, Responder r, FetchRequest req)
        : cluster(c), brokerId(b), respond(std::move(r)), request(std::move(req)) {}

    // Builds the response from the logs now; returns the bytes of records it holds.
    std::size_t build(FetchResponse& response) {
        std::size_t total = 0;
        const std::int64_t maxBytes = request.maxBytes > 0 ? request.maxBytes : INT32_MAX;
        for (const auto& topic : request.topics) {
            auto& topicOut = response.responses.emplace_back();
            topicOut.topic = topic.topic;
            for (const auto& part : topic.partitions) {
                auto& out = topicOut.partitionResponses.emplace_back();
                out.partition = part.partition;
                out.highWatermark = -1;
                out.lastStableOffset = -1;
                out.logStartOffset = -1;
                out.preferredReadReplica = -1;
                // Empty, never null, also with an error (as Kafka's MemoryRecords.EMPTY):
                // librdkafka fails to parse a null record set and never sees the error code.
                out.recordSet = protocol::Records::copyOf({});
                const PartitionMeta* meta = cluster.partitionMeta(topic.topic, part.partition);
                if (meta == nullptr) {
                    out.errorCode = protocol::toInt(ErrorCode::UnknownTopicOrPartition);
                    continue;
                }
                Partition* p = cluster.partition(brokerId, topic.topic, part.partition);
                if (p == nullptr || !p->isLeader()) {
                    out.errorCode = protocol::toInt(ErrorCode::NotLeaderOrFollower);
                    continue;
                }
                if (const ErrorCode epoch = p->checkLeaderEpoch(part.currentLeaderEpoch);
                    epoch != ErrorCode::None) {
                    out.errorCode = protocol::toInt(epoch);
                    continue;
                }
                out.highWatermark = p->highWatermark();
                out.lastStableOffset = p->highWatermark();
                out.logStartOffset = p->logStartOffset();
                if (part.fetchOffset < p->logStartOffset() || part.fetchOffset > p->logEndOffset()) {
                    out.errorCode = protocol::toInt(ErrorCode::OffsetOutOfRange);
                    continue;
                }
                if (part.fetchOffset >= p->highWatermark()) {
                    continue;
                }
                const std::int64_t budget = maxBytes - static_cast<std::int64_t>(total);
                const std::int32_t limit = static_cast<std::int32_t>(
                    std::max<std::int64_t>(0, std::min<std::int64_t>(part.partitionMaxBytes, budget)));
                // The first batch goes out whole even above the limits (KIP-74), so a big record
                // never blocks a consumer.
                // A slice of the segment file: the connection sends it with sendfile, and a
                // long-poll that re-checks on every append reads only batch headers.
                auto read =
                    p->log().readRecords(part.fetchOffset, limit, p->highWatermark(), total == 0);
                if (!read) {
                    out.errorCode = protocol::toInt(read.error().code);
                    continue;
                }
                total += read->records.size();
                out.recordSet = std::move(read->records);
            }
        }
        return total;
    }

    void tryComplete(bool force) {
        if (finished) {
            return;
        }
        FetchResponse response;
        const std::size_t bytes = build(response);
        if (!force && static_cast<std::int64_t>(bytes) < std::max(request.minBytes, 1)) {
            return;
        }
        finished = true;
        if (timerId != 0) {
            cluster.cancelTimer(timerId);
            timerId = 0;
        }
        for (std::size_t i = 0; i < listenerIds.size(); ++i) {
            if (Partition* p = cluster.partition(brokerId, watched[i].first, watched[i].second)) {
                p->removeListener(listenerIds[i]);
            }
        }
        respond.send(response);
    }
};

bool hasError(const FetchResponse& response) {
    for (const auto& t : response.responses) {
        for (const auto& p : t.partitionResponses) {
            if (p.errorCode != 0) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

void fetch(RequestContext& ctx, Responder respond) {
    FetchRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    if (ctx.header.apiVersion >= 7 && request.sessionId != 0) {
        // Incremental fetch sessions are not kept: clients fall back to full fetches.
        FetchResponse response;
        response.errorCode = protocol::toInt(ErrorCode::FetchSessionIdNotFound);
        respond.send(response);
        return;
    }
    auto delayed = std::make_shared<DelayedFetch>(cluster, ctx.brokerId, std::move(respond),
                                                  std::move(request));
    FetchResponse immediate;
    const std::size_t bytes = delayed->build(immediate);
    const FetchRequest& req = delayed->request;
    if (req.maxWaitMs <= 0 || static_cast<std::int64_t>(bytes) >= std::max(req.minBytes, 1) ||
        hasError(immediate)) {
        delayed->finished = true;
        delayed->respond.send(immediate);
        return;
    }
    for (const auto& topic : req.topics) {
        for (const auto& part : topic.partitions) {
            if (Partition* p = cluster.partition(ctx.brokerId, topic.topic, part.partition)) {
                delayed->watched.emplace_back(topic.topic, part.partition);
                delayed->listenerIds.push_back(
                    p->addListener([weak = std::weak_ptr<DelayedFetch>(delayed)] {
                        if (auto d = weak.lock()) {
                            d->tryComplete(false);
                        }
                    }));
            }
        }
    }
    delayed->timerId = cluster.schedule(std::chrono::milliseconds(req.maxWaitMs),
                                        [delayed] { delayed->tryComplete(true); });
}

} // namespace faultline::broker::handlers
