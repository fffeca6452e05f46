// DescribeLogDirs (key 35), v0-4: the receiving broker's one log dir (<data>/broker-<id>) with the
// size and lag of every replica it hosts; v4 adds the file system's total and usable bytes.
#include "engine/protocol/messages/describe_log_dirs.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/partition.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

namespace faultline::broker::handlers {

namespace {

using protocol::DescribeLogDirsRequest;
using protocol::DescribeLogDirsResponse;

void describeTopic(Cluster& cluster, std::int32_t brokerId, const TopicMeta& topic,
                   const std::vector<std::int32_t>* only,
                   DescribeLogDirsResponse::DescribeLogDirsResult& dir) {
    DescribeLogDirsResponse::DescribeLogDirsTopic out;
    out.name = topic.name;
    for (const auto& meta : topic.partitions) {
        if (only != nullptr && std::ranges::find(*only, meta.partition) == only->end()) {
            continue;
        }
        Partition* replica = cluster.partition(brokerId, topic.name, meta.partition);
        if (replica == nullptr) {
            continue;
        }
        DescribeLogDirsResponse::DescribeLogDirsPartition p;
        p.partitionIndex = meta.partition;
        p.partitionSize = replica->log().sizeBytes();
        p.offsetLag = 0;
        if (meta.leader != brokerId && meta.leader >= 0) {
            if (Partition* leader = cluster.partition(meta.leader, topic.name, meta.partition)) {
                p.offsetLag =
                    std::max<std::int64_t>(0, leader->logEndOffset() - replica->logEndOffset());
            }
        }
        p.isFutureKey = false;
        out.partitions.push_back(p);
    }
    if (!out.partitions.empty()) {
        dir.topics.push_back(std::move(out));
    }
}

} // namespace

void describeLogDirs(RequestContext& ctx, Responder respond) {
    DescribeLogDirsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    DescribeLogDirsResponse::DescribeLogDirsResult dir;
    dir.errorCode = 0;
    const auto path = cluster.dataDir() / ("broker-" + std::to_string(ctx.brokerId));
    dir.logDir = path.string();
    if (request.topics) {
        for (const auto& t : *request.topics) {
            if (const TopicMeta* topic = cluster.topic(t.topic)) {
                describeTopic(cluster, ctx.brokerId, *topic, &t.partitions, dir);
            }
        }
    } else {
        for (const auto& [name, topic] : cluster.topics()) {
            describeTopic(cluster, ctx.brokerId, topic, nullptr, dir);
        }
    }
    std::error_code ec;
    auto space = std::filesystem::space(path, ec);
    if (ec) {
        space = std::filesystem::space(cluster.dataDir(), ec);
    }
    dir.totalBytes = ec ? -1 : static_cast<std::int64_t>(space.capacity);
    dir.usableBytes = ec ? -1 : static_cast<std::int64_t>(space.available);

    DescribeLogDirsResponse response;
    response.errorCode = 0;
    response.results.push_back(std::move(dir));
    respond.send(response);
}

} // namespace faultline::broker::handlers
