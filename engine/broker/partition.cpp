#include "engine/broker/partition.h"

#include "engine/broker/partition_state.h"
#include "engine/protocol/record_batch.h"
#include "engine/protocol/records.h"

#include <fmt/format.h>

namespace faultline::broker {

using protocol::ErrorCode;
using protocol::makeError;

Partition::Partition(std::string topic, std::int32_t index, std::int32_t brokerId,
                     std::unique_ptr<storage::Log> log)
    : m_topic(std::move(topic)), m_index(index), m_brokerId(brokerId), m_log(std::move(log)),
      m_state(std::make_unique<State>()) {
    // Rebuild idempotent producer state from the tail of the log (Kafka keeps snapshots; the
    // last batches of each producer are enough to answer duplicates and check sequences).
    m_log->forEachBatch(m_log->logStartOffset(), [this](const protocol::RecordBatchHeader& h) {
        PartitionAccess::recordProducerBatch(*this, h, h.baseOffset);
    });
}

Partition::~Partition() = default;

namespace {
std::int32_t nextSequence(std::int32_t sequence, std::int32_t increment) {
    // sequences wrap at INT32_MAX
    const std::int64_t next = static_cast<std::int64_t>(sequence) + increment;
    return static_cast<std::int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}
} // namespace

void PartitionAccess::recordProducerBatch(Partition& p, const protocol::RecordBatchHeader& header,
                                          std::int64_t baseOffset) {
    if (header.producerId < 0 || header.isControl()) {
        return;
    }
    auto& entry = p.m_state->producers[header.producerId];
    if (header.producerEpoch != entry.epoch) {
        entry.epoch = header.producerEpoch;
        entry.batches.clear();
    }
    if (header.baseSequence < 0) {
        return;
    }
    entry.batches.push_back(ProducerBatchMeta{
        header.baseSequence, nextSequence(header.baseSequence, header.lastOffsetDelta), baseOffset,
        baseOffset + header.lastOffsetDelta});
    while (entry.batches.size() > kProducerBatchCache) {
        entry.batches.pop_front();
    }
}

BatchCheck checkProducerBatch(std::span<const std::uint8_t> batch) {
    BatchCheck check{protocol::validateBatch(batch), {}};
    if (check.header) {
        check.records = protocol::validateRecords(batch);
    } else {
        check.records = std::unexpected(check.header.error());
    }
    return check;
}

std::expected<ProduceAppend, protocol::Error>
Partition::appendFromProducer(std::span<std::uint8_t> batch, std::int64_t nowMs,
                              std::shared_ptr<const void> owner, const BatchCheck* checked) {
    if (!m_isLeader) {
        return std::unexpected(makeError(ErrorCode::NotLeaderOrFollower,
                                         fmt::format("broker {} is not the leader of {}-{}",
                                                     m_brokerId, m_topic, m_index)));
    }
    // More than one batch is INVALID_RECORD (as Kafka answers), checked before the CRC and
    // Length checks, which would call it CORRUPT_MESSAGE.
    if (auto first = protocol::parseBatchHeader(batch);
        first && first->batchLength > 0 && batch.size() > first->totalSize()) {
        return std::unexpected(makeError(ErrorCode::InvalidRecord,
                                         "a produce request carries exactly one batch per partition"));
    }
    std::optional<BatchCheck> checkedHere;
    if (checked == nullptr) {
        checkedHere = checkProducerBatch(batch);
        checked = &*checkedHere;
    }
    const auto& header = checked->header;
    if (!header) {
        return std::unexpected(header.error());
    }
    if (header->isControl()) {
        return std::unexpected(
            makeError(ErrorCode::InvalidRecord, "producers may not write control batches"));
    }
    if (batch.size() != header->totalSize()) {
        return std::unexpected(makeError(ErrorCode::InvalidRecord,
                                         "a produce request carries exactly one batch per partition"));
    }
    if (!checked->records) {
        return std::unexpected(checked->records.error());
    }
    const auto& target = m_log->config().compression;
    if (target && *target != header->compression()) {
        // Kafka checks max.message.bytes on the batch as produced, then again on the batch it
        // re-compressed (appendAsLeader does that one).
        const std::int32_t maxMessageBytes = m_log->config().maxMessageBytes;
        if (batch.size() > static_cast<std::size_t>(maxMessageBytes)) {
            return std::unexpected(
                makeError(ErrorCode::MessageTooLarge,
                          fmt::format("record batch of {} bytes exceeds max.message.bytes {}",
                                      batch.size(), maxMessageBytes)));
        }
        auto recompressed = protocol::recompressBatch(batch, *target);
        if (!recompressed) {
            return std::unexpected(recompressed.error());
        }
        // The new bytes get their own owner: followers copy them after this returns. Every
        // header field the producer state reads (producer id, epoch, base sequence, last offset
        // delta) is as produced, so sequence checks and duplicates work as for the original.
        auto stored = std::make_shared<std::vector<std::uint8_t>>(std::move(*recompressed));
        batch = std::span<std::uint8_t>(*stored);
        owner = stored;
    }
    if (header->producerId >= 0 && header->baseSequence >= 0) {
        auto it = m_state->producers.find(header->producerId);
        if (it != m_state->producers.end()) {
            const ProducerEntry& entry = it->second;
            if (header->producerEpoch < entry.epoch) {
                return std::unexpected(makeError(
                    ErrorCode::InvalidProducerEpoch,
                    fmt::format("producer {} epoch {} is older than the current epoch {}",
                                header->producerId, header->producerEpoch, entry.epoch)));
            }
            if (header->producerEpoch == entry.epoch) {
                const std::int32_t lastSequence =
                    nextSequence(header->baseSequence, header->lastOffsetDelta);
                for (const auto& cached : entry.batches) {
                    if (cached.firstSequence == header->baseSequence &&
                        cached.lastSequence == lastSequence) {
                        return ProduceAppend{cached.firstOffset, cached.lastOffset, -1,
                                             m_log->logStartOffset(), true};
                    }
                }
                if (!entry.batches.empty()) {
                    const std::int32_t expected = nextSequence(entry.batches.back().lastSequence, 1);
                    if (header->baseSequence != expected) {
                        return std::unexpected(makeError(
                            ErrorCode::OutOfOrderSequenceNumber,
                            fmt::format("producer {}: sequence {} on {}-{}, expected {}",
                                        header->producerId, header->baseSequence, m_topic,
                                        m_index, expected)));
                    }
                }
            } else if (header->baseSequence != 0) {
                return std::unexpected(makeError(
                    ErrorCode::OutOfOrderSequenceNumber,
                    fmt::format("producer {}: a new epoch {} must start at sequence 0, got {}",
                                header->producerId, header->producerEpoch, header->baseSequence)));
            }
        }
    }
    const std::int64_t previousEnd = m_log->logEndOffset();
    // validateBatch ran above: the log does not check the CRC a second time.
    auto info = m_log->appendAsLeader(batch, m_leaderEpoch, nowMs, protocol::BatchTrust::Validated);
    if (!info) {
        return std::unexpected(info.error());
    }
    PartitionAccess::recordProducerBatch(*this, *header, info->firstOffset);
    if (m_state->onAppend) {
        m_state->onAppend(*this, batch, previousEnd, owner);
    }
    return ProduceAppend{info->firstOffset, info->lastOffset, info->logAppendTime,
                         m_log->logStartOffset(), false};
}

std::expected<ProduceAppend, protocol::Error>
Partition::appendInternal(std::span<std::uint8_t> batch, std::int64_t nowMs) {
    if (!m_isLeader) {
        return std::unexpected(makeError(ErrorCode::NotLeaderOrFollower,
                                         fmt::format("broker {} is not the leader of {}-{}",
                                                     m_brokerId, m_topic, m_index)));
    }
    const std::int64_t previousEnd = m_log->logEndOffset();
    auto info = m_log->appendAsLeader(batch, m_leaderEpoch, nowMs);
    if (!info) {
        return std::unexpected(info.error());
    }
    if (m_state->onAppend) {
        m_state->onAppend(*this, batch, previousEnd, nullptr);
    }
    return ProduceAppend{info->firstOffset, info->lastOffset, info->logAppendTime,
                         m_log->logStartOffset(), false};
}

std::uint64_t Partition::addListener(Listener listener) {
    const std::uint64_t id = m_state->nextListenerId++;
    m_state->listeners.emplace(id, std::move(listener));
    return id;
}

void Partition::removeListener(std::uint64_t id) { m_state->listeners.erase(id); }

void Partition::notifyListeners() {
    if (m_state->listeners.empty()) {
        return;
    }
    // Listeners may remove themselves (or others) while called: iterate over a copy of the ids.
    std::vector<std::uint64_t> ids;
    ids.reserve(m_state->listeners.size());
    for (const auto& [id, fn] : m_state->listeners) {
        ids.push_back(id);
    }
    for (auto id : ids) {
        auto it = m_state->listeners.find(id);
        if (it != m_state->listeners.end()) {
            auto fn = it->second; // copy: the listener may erase itself
            fn();
        }
    }
}

} // namespace faultline::broker
