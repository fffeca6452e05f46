// Records inside Kafka's record batch v2: building batches and decoding them to records.
//
// For tests, benchmarks, the GUI's message browser and producing from the GUI. The broker does not
// re-encode batches (they stay bytes): it calls validateRecords() on produced batches, reads the
// records' keys and timestamps when a topic config asks it to check them (forEachRecordSummary),
// and re-compresses a batch only for a topic whose compression.type asks for another codec
// (recompressBatch).
//
// Record layout (all varints zigzag): length varint, attributes int8, timestampDelta varlong,
// offsetDelta varint, keyLength varint (-1 null), key, valueLength varint (-1 null), value,
// header count varint, then per header: key length varint + key, value length varint (-1 null) +
// value. No I/O, no shared state: safe from any thread.
#pragma once

#include "engine/protocol/compression.h"
#include "engine/protocol/error_code.h"
#include "engine/protocol/record_batch.h"

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace faultline::protocol {

struct RecordHeader {
    std::string key;
    std::optional<std::vector<std::uint8_t>> value;

    friend bool operator==(const RecordHeader&, const RecordHeader&) = default;
};

struct Record {
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    std::optional<std::vector<std::uint8_t>> key;
    std::optional<std::vector<std::uint8_t>> value;
    std::vector<RecordHeader> headers;

    friend bool operator==(const Record&, const Record&) = default;
};

struct BatchBuildOptions {
    Compression compression = Compression::None;
    std::int64_t baseOffset = 0;
    // The batch's BaseTimestamp; 0 = the first record's timestamp. Either way every record keeps
    // its own timestamp (timestampDelta = record.timestamp - BaseTimestamp). With logAppendTime
    // a non-zero value is the append time given to every record (0 = the records' maximum).
    std::int64_t baseTimestamp = 0;
    std::int64_t producerId = -1;
    std::int16_t producerEpoch = -1;
    std::int32_t baseSequence = -1;
    bool transactional = false;
    bool logAppendTime = false;
    std::int32_t partitionLeaderEpoch = -1;
};

// Encodes one v2 batch holding `records` (at least one) with offsets baseOffset, baseOffset + 1,
// ... (Record::offset is ignored), compressing the records section if asked; CRC-32C filled in.
// Errors: InvalidRecord for an empty span, MessageTooLarge above 2 GiB, codec failures.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, Error> buildBatch(
    std::span<const Record> records, const BatchBuildOptions& options);

// Decodes every record of every batch in a buffer of concatenated batches (decompressing as
// needed) with absolute offsets and timestamps (LogAppendTime batches: every record gets the
// batch's MaxTimestamp). Control batches (transaction markers) are skipped, as consumers do.
// Stops at a truncated trailing batch; a bad magic, a CRC mismatch or a corrupt record section ->
// CorruptMessage.
[[nodiscard]] std::expected<std::vector<Record>, Error> decodeRecords(
    std::span<const std::uint8_t> batches);

// Checks that the records of exactly one batch (`batch` holds it and nothing else) are consistent
// with its header, as Kafka's broker does for uncompressed AND compressed batches: the section
// decompresses, RecordCount > 0 and equals both LastOffsetDelta + 1 and the number of records
// present, each record's length matches its fields, no bytes remain, offset deltas strictly
// increase within [0, LastOffsetDelta]. The CRC is not checked here (validateBatch does that).
// Errors: CorruptMessage with a message saying what is wrong.
[[nodiscard]] std::expected<void, Error> validateRecords(std::span<const std::uint8_t> batch);

namespace detail {
// validateRecords' two walks over a plain (decompressed) records section of `count` records,
// exposed for tests that hold them to each other. recordsWellFormed: every record check without
// parsing into views or building a message (the path every produced batch takes).
// recordsErrorByParsing: the same checks by a full parse, with the error saying what and where;
// validateRecords runs it only when recordsWellFormed says no.
[[nodiscard]] bool recordsWellFormed(std::span<const std::uint8_t> section, std::int32_t count,
                                     std::int32_t lastOffsetDelta);
[[nodiscard]] std::expected<void, Error>
recordsErrorByParsing(std::span<const std::uint8_t> section, std::int32_t count,
                      std::int32_t lastOffsetDelta);
} // namespace detail

// What the broker's per-record checks of a produced batch read (Kafka's LogValidator refuses
// records without a key on compacted topics and timestamps outside
// message.timestamp.difference.max.ms): the record's index in the batch, its offset (BaseOffset +
// OffsetDelta), its timestamp (BaseTimestamp + TimestampDelta; MaxTimestamp in a LogAppendTime
// batch) and whether it has a key (a null key has none).
struct RecordSummary {
    std::int32_t index = 0;
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    bool hasKey = false;
};

// Calls visit(summary) for each record of exactly one batch whose records passed validateRecords
// (the section decompressed as needed), in order, until visit returns false. Nothing is copied.
void forEachRecordSummary(std::span<const std::uint8_t> batch,
                          const std::function<bool(const RecordSummary&)>& visit);

// The same batch (exactly one, whose records passed validateRecords) with its records section
// compressed by `codec` instead (Kafka's broker does this for a topic whose compression.type
// names a codec other than the batch's). The decompressed records stay byte for byte what they
// were (offset deltas, timestamps, keys, values, headers), so does every header field but
// Length, the codec bits of Attributes and the CRC, which is computed anew. Errors: CorruptMessage
// when the section does not decompress, codec failures, MessageTooLarge above 2 GiB.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, Error>
recompressBatch(std::span<const std::uint8_t> batch, Compression codec);

// Kafka's RecordBatch.offsetOfMaxTimestamp (ListOffsets -3 since KAFKA-16310): the offset of the
// first record of one batch (the span starts with it; bytes after it are ignored) whose timestamp
// is the batch's MaxTimestamp, decompressing as needed; control batches count too. In a
// LogAppendTime batch every record has MaxTimestamp, so it is the first record. nullopt when the
// batch cannot be read or no record carries MaxTimestamp (a header its records contradict).
[[nodiscard]] std::optional<std::int64_t> offsetOfMaxTimestamp(std::span<const std::uint8_t> batch);

} // namespace faultline::protocol
