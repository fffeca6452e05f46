// One replica of one partition on one broker: its log, high watermark, and (as leader) the
// followers' progress, the ISR, idempotent producer state, and the requests waiting on it.
#pragma once

#include "engine/broker/metadata_image.h"
#include "engine/protocol/error_code.h"
#include "engine/storage/log.h"

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace faultline::broker {

// The stateless checks of a producer's batch: its header and CRC, then its records (the latter
// only when the header passes). They read nothing but the batch, so the produce handler runs them
// where the request was read (handlers::prepareProduce); appendFromProducer uses the results at
// the points where it would run the checks itself, so errors and their order stay the same.
struct BatchCheck {
    std::expected<protocol::RecordBatchHeader, protocol::Error> header;
    std::expected<void, protocol::Error> records;
};
[[nodiscard]] BatchCheck checkProducerBatch(std::span<const std::uint8_t> batch);

struct ProduceAppend {
    std::int64_t baseOffset = -1;
    std::int64_t lastOffset = -1;
    std::int64_t logAppendTime = -1;
    std::int64_t logStartOffset = 0;
    bool duplicate = false; // idempotent retry answered from the producer state
};

class Partition {
public:
    Partition(std::string topic, std::int32_t index, std::int32_t brokerId,
              std::unique_ptr<storage::Log> log);
    ~Partition();

    [[nodiscard]] const std::string& topic() const { return m_topic; }
    [[nodiscard]] std::int32_t index() const { return m_index; }
    [[nodiscard]] std::int32_t brokerId() const { return m_brokerId; }
    [[nodiscard]] bool isLeader() const { return m_isLeader; }
    [[nodiscard]] std::int32_t leaderEpoch() const { return m_leaderEpoch; }
    [[nodiscard]] storage::Log& log() { return *m_log; }
    [[nodiscard]] const storage::Log& log() const { return *m_log; }
    [[nodiscard]] std::int64_t highWatermark() const { return m_highWatermark; }
    [[nodiscard]] std::int64_t logStartOffset() const { return m_log->logStartOffset(); }
    [[nodiscard]] std::int64_t logEndOffset() const { return m_log->logEndOffset(); }
    // A client's view of the leader epoch (CurrentLeaderEpoch, -1 = not given) against this
    // replica's: older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH, else NONE.
    [[nodiscard]] protocol::ErrorCode checkLeaderEpoch(std::int32_t currentLeaderEpoch) const {
        if (currentLeaderEpoch < 0 || currentLeaderEpoch == m_leaderEpoch) {
            return protocol::ErrorCode::None;
        }
        return currentLeaderEpoch < m_leaderEpoch ? protocol::ErrorCode::FencedLeaderEpoch
                                                  : protocol::ErrorCode::UnknownLeaderEpoch;
    }

    // Leader append of a producer's batch (idempotence checks, offsets, epoch). The caller checks
    // acks / min.insync.replicas and the records' keys and timestamps first and waits for
    // replication itself. A batch whose codec is not the topic's compression.type is stored
    // re-compressed (new bytes, owned here), as Kafka does; else `batch` is patched in place.
    // `owner` keeps the batch's bytes alive: followers may write them after this returns.
    // `checked`: checkProducerBatch(batch) already run (else it runs here).
    [[nodiscard]] std::expected<ProduceAppend, protocol::Error>
    appendFromProducer(std::span<std::uint8_t> batch, std::int64_t nowMs,
                       std::shared_ptr<const void> owner = {},
                       const BatchCheck* checked = nullptr);
    // Leader append of records the broker writes itself (group offsets in __consumer_offsets).
    [[nodiscard]] std::expected<ProduceAppend, protocol::Error>
    appendInternal(std::span<std::uint8_t> batch, std::int64_t nowMs);

    // Called when the high watermark moves (fetch long-polls, acks=all waiters).
    using Listener = std::function<void()>;
    std::uint64_t addListener(Listener listener);
    void removeListener(std::uint64_t id);

private:
    friend class ReplicaManager;
    friend struct PartitionAccess;
    void notifyListeners();

    std::string m_topic;
    std::int32_t m_index;
    std::int32_t m_brokerId;
    std::unique_ptr<storage::Log> m_log;
    bool m_isLeader = false;
    std::int32_t m_leaderEpoch = 0;
    std::int64_t m_highWatermark = 0;
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace faultline::broker
