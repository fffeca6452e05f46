#include "engine/protocol/record_batch.h"

#include "engine/protocol/crc32c.h"

#include <string>

namespace faultline::protocol {

namespace {

template <typename T> T readBe(const std::uint8_t* p) {
    using U = std::make_unsigned_t<T>;
    U v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        v = static_cast<U>((v << 8) | p[i]);
    }
    return static_cast<T>(v);
}

template <typename T> void writeBe(std::uint8_t* p, T value) {
    using U = std::make_unsigned_t<T>;
    auto v = static_cast<U>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        p[i] = static_cast<std::uint8_t>(v & 0xFFu);
        v = static_cast<U>(v >> 8);
    }
}

// Zigzag varint (record fields). Returns false when it runs past `end` or exceeds 5 bytes.
bool readVarint(const std::uint8_t*& p, const std::uint8_t* end, std::int32_t& out) {
    std::uint32_t raw = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (p == end) {
            return false;
        }
        const std::uint8_t b = *p++;
        raw |= static_cast<std::uint32_t>(b & 0x7Fu) << shift;
        if ((b & 0x80u) == 0) {
            out = static_cast<std::int32_t>((raw >> 1) ^ (~(raw & 1u) + 1u));
            return true;
        }
    }
    return false;
}

Error corrupt(std::string message) {
    return makeError(ErrorCode::CorruptMessage, std::move(message));
}

Error invalid(std::string message) {
    return makeError(ErrorCode::InvalidRecord, std::move(message));
}

} // namespace

Compression RecordBatchHeader::compression() const {
    return static_cast<Compression>(attributes & batch_attributes::kCompressionMask);
}

bool RecordBatchHeader::isTransactional() const {
    return (attributes & batch_attributes::kTransactional) != 0;
}

bool RecordBatchHeader::isControl() const {
    return (attributes & batch_attributes::kControl) != 0;
}

bool RecordBatchHeader::logAppendTime() const {
    return (attributes & batch_attributes::kLogAppendTime) != 0;
}

std::expected<RecordBatchHeader, Error> parseBatchHeader(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kBatchHeaderSize) {
        return std::unexpected(corrupt("record batch: " + std::to_string(bytes.size()) +
                                       " bytes, shorter than the 61-byte header"));
    }
    const std::uint8_t* p = bytes.data();
    RecordBatchHeader h;
    h.baseOffset = readBe<std::int64_t>(p + 0);
    h.batchLength = readBe<std::int32_t>(p + 8);
    h.partitionLeaderEpoch = readBe<std::int32_t>(p + 12);
    h.magic = static_cast<std::int8_t>(p[16]);
    h.crc = readBe<std::uint32_t>(p + 17);
    h.attributes = readBe<std::int16_t>(p + 21);
    h.lastOffsetDelta = readBe<std::int32_t>(p + 23);
    h.baseTimestamp = readBe<std::int64_t>(p + 27);
    h.maxTimestamp = readBe<std::int64_t>(p + 35);
    h.producerId = readBe<std::int64_t>(p + 43);
    h.producerEpoch = readBe<std::int16_t>(p + 51);
    h.baseSequence = readBe<std::int32_t>(p + 53);
    h.recordCount = readBe<std::int32_t>(p + 57);
    return h;
}

std::expected<RecordBatchHeader, Error> validateBatch(std::span<const std::uint8_t> batch) {
    auto parsed = parseBatchHeader(batch);
    if (!parsed) {
        return parsed;
    }
    const RecordBatchHeader& h = *parsed;
    if (h.magic != kBatchMagic) {
        return std::unexpected(corrupt("record batch: magic " + std::to_string(h.magic) +
                                       ", only magic 2 is supported"));
    }
    if (h.batchLength < static_cast<std::int32_t>(kBatchHeaderSize - kBatchLogOverhead) ||
        h.totalSize() != batch.size()) {
        return std::unexpected(corrupt("record batch: Length " + std::to_string(h.batchLength) +
                                       " does not match the " + std::to_string(batch.size()) +
                                       " bytes of the batch"));
    }
    const std::uint32_t computed = crc32c(batch.subspan(kBatchCrcStart));
    if (computed != h.crc) {
        return std::unexpected(corrupt("record batch: CRC mismatch (stored " +
                                       std::to_string(h.crc) + ", computed " +
                                       std::to_string(computed) + ")"));
    }
    const auto codec = static_cast<int>(h.compression());
    if (codec > static_cast<int>(Compression::Zstd)) {
        return std::unexpected(corrupt("record batch: Attributes name unknown compression codec " +
                                       std::to_string(codec)));
    }
    if (h.recordCount < 0) {
        return std::unexpected(
            invalid("record batch: RecordCount " + std::to_string(h.recordCount) + " is negative"));
    }
    if (h.recordCount > 0 && h.lastOffsetDelta != h.recordCount - 1) {
        return std::unexpected(invalid("record batch: LastOffsetDelta " +
                                       std::to_string(h.lastOffsetDelta) + " with RecordCount " +
                                       std::to_string(h.recordCount)));
    }
    if (h.recordCount == 0 && h.lastOffsetDelta < 0) {
        return std::unexpected(invalid("record batch: LastOffsetDelta " +
                                       std::to_string(h.lastOffsetDelta) + " is negative"));
    }
    if (h.compression() == Compression::None) {
        const std::uint8_t* p = batch.data() + kBatchHeaderSize;
        const std::uint8_t* end = batch.data() + batch.size();
        std::int64_t found = 0;
        while (p != end) {
            std::int32_t length = 0;
            if (!readVarint(p, end, length) || length < 0 || end - p < length) {
                return std::unexpected(corrupt("record batch: record " + std::to_string(found) +
                                               " has a bad length or runs past Length"));
            }
            p += length;
            ++found;
        }
        if (found != h.recordCount) {
            return std::unexpected(invalid("record batch: RecordCount " +
                                           std::to_string(h.recordCount) + " but " +
                                           std::to_string(found) + " records present"));
        }
    }
    return parsed;
}

std::vector<BatchSpan> splitBatches(std::span<const std::uint8_t> bytes, bool* complete) {
    std::vector<BatchSpan> out;
    std::size_t pos = 0;
    bool whole = true;
    while (pos < bytes.size()) {
        auto header = parseBatchHeader(bytes.subspan(pos));
        if (!header || header->batchLength < static_cast<std::int32_t>(kBatchHeaderSize -
                                                                       kBatchLogOverhead) ||
            header->totalSize() > bytes.size() - pos) {
            whole = false;
            break;
        }
        out.push_back(BatchSpan{*header, pos, header->totalSize()});
        pos += header->totalSize();
    }
    if (complete != nullptr) {
        *complete = whole;
    }
    return out;
}

void setBaseOffset(std::span<std::uint8_t> batch, std::int64_t baseOffset) {
    writeBe<std::int64_t>(batch.data() + 0, baseOffset);
}

void setPartitionLeaderEpoch(std::span<std::uint8_t> batch, std::int32_t epoch) {
    writeBe<std::int32_t>(batch.data() + 12, epoch);
}

void setLogAppendTime(std::span<std::uint8_t> batch, std::int64_t timestampMs) {
    const auto attributes = static_cast<std::int16_t>(readBe<std::int16_t>(batch.data() + 21) |
                                                      batch_attributes::kLogAppendTime);
    writeBe<std::int16_t>(batch.data() + 21, attributes);
    writeBe<std::int64_t>(batch.data() + 35, timestampMs);
    const std::uint32_t crc = crc32c(std::span<const std::uint8_t>(batch).subspan(kBatchCrcStart));
    writeBe<std::uint32_t>(batch.data() + 17, crc);
}

} // namespace faultline::protocol
