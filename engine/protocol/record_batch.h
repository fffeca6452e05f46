// Record batch v2 (magic 2), handled as bytes: parsed, validated and patched in place, never
// decoded and re-encoded. Layout (big-endian):
//   0 BaseOffset i64 | 8 Length i32 | 12 PartitionLeaderEpoch i32 | 16 Magic i8 | 17 CRC u32 |
//   21 Attributes i16 | 23 LastOffsetDelta i32 | 27 BaseTimestamp i64 | 35 MaxTimestamp i64 |
//   43 ProducerId i64 | 51 ProducerEpoch i16 | 53 BaseSequence i32 | 57 RecordCount i32 | 61 records
// The CRC-32C covers bytes [21, end).
#pragma once

#include "engine/protocol/error_code.h"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

namespace faultline::protocol {

constexpr std::size_t kBatchHeaderSize = 61;
constexpr std::size_t kBatchLogOverhead = 12; // BaseOffset + Length
constexpr std::size_t kBatchCrcStart = 21;    // the CRC covers [21, end)
constexpr std::int8_t kBatchMagic = 2;

enum class Compression : std::int8_t { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 };

namespace batch_attributes {
constexpr std::int16_t kCompressionMask = 0x07;
constexpr std::int16_t kLogAppendTime = 0x08;
constexpr std::int16_t kTransactional = 0x10;
constexpr std::int16_t kControl = 0x20;
} // namespace batch_attributes

struct RecordBatchHeader {
    std::int64_t baseOffset = 0;
    std::int32_t batchLength = 0;
    std::int32_t partitionLeaderEpoch = -1;
    std::int8_t magic = 0;
    std::uint32_t crc = 0;
    std::int16_t attributes = 0;
    std::int32_t lastOffsetDelta = 0;
    std::int64_t baseTimestamp = -1;
    std::int64_t maxTimestamp = -1;
    std::int64_t producerId = -1;
    std::int16_t producerEpoch = -1;
    std::int32_t baseSequence = -1;
    std::int32_t recordCount = 0;

    [[nodiscard]] Compression compression() const;
    [[nodiscard]] bool isTransactional() const;
    [[nodiscard]] bool isControl() const;
    [[nodiscard]] bool logAppendTime() const;
    [[nodiscard]] std::int64_t lastOffset() const { return baseOffset + lastOffsetDelta; }
    [[nodiscard]] std::int64_t nextOffset() const { return lastOffset() + 1; }
    [[nodiscard]] std::size_t totalSize() const {
        return kBatchLogOverhead + static_cast<std::size_t>(batchLength);
    }
};

// Reads the 61-byte header; CorruptMessage when fewer bytes are given. Checks nothing else.
[[nodiscard]] std::expected<RecordBatchHeader, Error>
parseBatchHeader(std::span<const std::uint8_t> bytes);

// Checks one batch (the span is exactly one batch) as a broker must: magic 2, Length consistent
// with the span, CRC-32C over [21, end), a known codec, RecordCount >= 0, LastOffsetDelta =
// RecordCount - 1 when RecordCount > 0, and for uncompressed batches that the records' length
// prefixes add up to the batch and their number is RecordCount. CorruptMessage / InvalidRecord,
// with a message naming the field.
[[nodiscard]] std::expected<RecordBatchHeader, Error>
validateBatch(std::span<const std::uint8_t> batch);

// Whether bytes still need validateBatch(): Validated bytes already passed it in this process (a
// leader's batch handed to its in-process followers), so only their headers are parsed again.
enum class BatchTrust { Untrusted, Validated };

// Walks concatenated batches by their Length fields (no CRC check). A truncated trailing batch (or
// a Length too small to be a batch) ends the walk; `complete` is then false.
struct BatchSpan {
    RecordBatchHeader header;
    std::size_t position = 0;
    std::size_t size = 0;
};
std::vector<BatchSpan> splitBatches(std::span<const std::uint8_t> bytes, bool* complete = nullptr);

// In-place patches of fields the CRC does not cover. The span starts at the batch's first byte.
void setBaseOffset(std::span<std::uint8_t> batch, std::int64_t baseOffset);
void setPartitionLeaderEpoch(std::span<std::uint8_t> batch, std::int32_t epoch);
// LogAppendTime: sets attributes bit 3 and MaxTimestamp, then recomputes the CRC (as Kafka does).
void setLogAppendTime(std::span<std::uint8_t> batch, std::int64_t timestampMs);

} // namespace faultline::protocol
