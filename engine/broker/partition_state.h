// Internal: the mutable state behind a Partition, shared by partition.cpp and cluster.cpp.
#pragma once

#include "engine/broker/partition.h"

#include <deque>
#include <map>

namespace faultline::broker {

struct ProducerBatchMeta {
    std::int32_t firstSequence = 0;
    std::int32_t lastSequence = 0;
    std::int64_t firstOffset = 0;
    std::int64_t lastOffset = 0;
};

struct ProducerEntry {
    std::int16_t epoch = -1;
    std::deque<ProducerBatchMeta> batches; // the last kProducerBatchCache, oldest first
};

constexpr std::size_t kProducerBatchCache = 5;

struct FollowerProgress {
    std::int64_t logEndOffset = 0;
    std::int64_t lastCaughtUpMs = 0;
};

struct Partition::State {
    std::map<std::int64_t, ProducerEntry> producers;
    std::map<std::int32_t, FollowerProgress> followers; // leader only
    std::map<std::uint64_t, Partition::Listener> listeners;
    std::uint64_t nextListenerId = 1;
    // Set by the cluster: replicates a leader append (bytes as stored, starting at previousEnd).
    // bytes: the appended batches; owner keeps them alive (null: valid only during the call).
    std::function<void(Partition&, std::span<const std::uint8_t> bytes, std::int64_t previousEnd,
                       const std::shared_ptr<const void>& owner)>
        onAppend;
};

struct PartitionAccess {
    static Partition::State& state(Partition& p) { return *p.m_state; }
    static void setLeader(Partition& p, bool leader, std::int32_t epoch) {
        p.m_isLeader = leader;
        p.m_leaderEpoch = epoch;
    }
    static void setHighWatermark(Partition& p, std::int64_t hw) {
        if (hw != p.m_highWatermark) {
            p.m_highWatermark = hw;
            p.notifyListeners();
        }
    }
    // Producer state from a batch header appended at baseOffset (leader or follower).
    static void recordProducerBatch(Partition& p, const protocol::RecordBatchHeader& header,
                                    std::int64_t baseOffset);
};

} // namespace faultline::broker
