#include "engine/protocol/records.h"

#include "engine/protocol/crc32c.h"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

namespace faultline::protocol {
namespace {

// Byte offsets of the record batch v2 header fields (see PROTOCOL.md).
constexpr std::size_t kOffBaseOffset = 0;
constexpr std::size_t kOffLength = 8;
constexpr std::size_t kOffLeaderEpoch = 12;
constexpr std::size_t kOffMagic = 16;
constexpr std::size_t kOffCrc = 17;
constexpr std::size_t kOffAttributes = 21;
constexpr std::size_t kOffLastOffsetDelta = 23;
constexpr std::size_t kOffBaseTimestamp = 27;
constexpr std::size_t kOffMaxTimestamp = 35;
constexpr std::size_t kOffProducerId = 43;
constexpr std::size_t kOffProducerEpoch = 51;
constexpr std::size_t kOffBaseSequence = 53;
constexpr std::size_t kOffRecordCount = 57;
constexpr std::size_t kLogOverhead = kBatchLogOverhead; // BaseOffset + Length
static_assert(kBatchHeaderSize == 61 && kOffAttributes == kBatchCrcStart);

constexpr std::int16_t kCodecMask = batch_attributes::kCompressionMask;
constexpr std::int16_t kTimestampTypeBit = batch_attributes::kLogAppendTime;
constexpr std::int16_t kTransactionalBit = batch_attributes::kTransactional;
constexpr std::int16_t kControlBit = batch_attributes::kControl;

[[nodiscard]] Error corrupt(std::string what) {
    return makeError(ErrorCode::CorruptMessage, std::move(what));
}

// ------------------------------------------------------------------------------ fixed-width BE

template <typename T>
[[nodiscard]] T readBe(std::span<const std::uint8_t> data, std::size_t at) {
    using U = std::make_unsigned_t<T>;
    U v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        v = static_cast<U>((v << 8) | data[at + i]);
    }
    return static_cast<T>(v);
}

template <typename T>
void writeBe(std::vector<std::uint8_t>& out, std::size_t at, T value) {
    using U = std::make_unsigned_t<T>;
    auto v = static_cast<U>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        out[at + i] = static_cast<std::uint8_t>(v & 0xff);
        v = static_cast<U>(v >> 8);
    }
}

// --------------------------------------------------------------------------- zigzag varints

void writeVarlong(std::vector<std::uint8_t>& out, std::int64_t value) {
    auto v = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

void writeBytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
    writeVarlong(out, static_cast<std::int64_t>(bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
}

void writeNullableBytes(std::vector<std::uint8_t>& out,
                        const std::optional<std::vector<std::uint8_t>>& bytes) {
    if (!bytes) {
        writeVarlong(out, -1);
        return;
    }
    writeBytes(out, *bytes);
}

// A bounds-checked cursor over a records section. Every read returns false when the data ends
// or is malformed.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data) : m_data(data) {}

    [[nodiscard]] std::size_t remaining() const { return m_data.size() - m_pos; }
    [[nodiscard]] bool atEnd() const { return m_pos == m_data.size(); }

    [[nodiscard]] bool readVarlong(std::int64_t& value, int maxBytes = 10) {
        std::uint64_t raw = 0;
        for (int i = 0; i < maxBytes; ++i) {
            if (m_pos == m_data.size()) {
                return false;
            }
            const std::uint8_t b = m_data[m_pos++];
            raw |= std::uint64_t{static_cast<std::uint8_t>(b & 0x7f)} << (7 * i);
            if ((b & 0x80) == 0) {
                value = static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
                return true;
            }
        }
        return false; // too long
    }

    [[nodiscard]] bool readVarint(std::int32_t& value) {
        std::int64_t wide = 0;
        if (!readVarlong(wide, 5) || wide < INT32_MIN || wide > INT32_MAX) {
            return false;
        }
        value = static_cast<std::int32_t>(wide);
        return true;
    }

    [[nodiscard]] bool readByte(std::uint8_t& value) {
        if (m_pos == m_data.size()) {
            return false;
        }
        value = m_data[m_pos++];
        return true;
    }

    [[nodiscard]] bool readSpan(std::size_t n, std::span<const std::uint8_t>& out) {
        if (n > remaining()) {
            return false;
        }
        out = m_data.subspan(m_pos, n);
        m_pos += n;
        return true;
    }

private:
    std::span<const std::uint8_t> m_data;
    std::size_t m_pos = 0;
};

struct HeaderView {
    std::span<const std::uint8_t> key;
    std::optional<std::span<const std::uint8_t>> value;
};

struct RecordView {
    std::int64_t timestampDelta = 0;
    std::int32_t offsetDelta = 0;
    std::optional<std::span<const std::uint8_t>> key;
    std::optional<std::span<const std::uint8_t>> value;
    std::vector<HeaderView> headers;
};

// Reads a length-prefixed byte string; -1 is null when `nullable`.
[[nodiscard]] bool readBytes(Reader& r, bool nullable,
                             std::optional<std::span<const std::uint8_t>>& out) {
    std::int32_t len = 0;
    if (!r.readVarint(len)) {
        return false;
    }
    if (len < 0) {
        if (len == -1 && nullable) {
            out.reset();
            return true;
        }
        return false;
    }
    std::span<const std::uint8_t> bytes;
    if (!r.readSpan(static_cast<std::size_t>(len), bytes)) {
        return false;
    }
    out = bytes;
    return true;
}

// Parses one record (its length prefix included) into `view`.
[[nodiscard]] std::expected<void, Error> parseRecord(Reader& section, RecordView& view,
                                                     std::int32_t index) {
    const auto fail = [index](const char* what) {
        return std::unexpected(corrupt("record " + std::to_string(index) + ": " + what));
    };
    std::int32_t length = 0;
    if (!section.readVarint(length)) {
        return fail("unreadable length");
    }
    std::span<const std::uint8_t> body;
    if (length <= 0 || !section.readSpan(static_cast<std::size_t>(length), body)) {
        return fail("length does not fit the records section");
    }
    Reader r(body);
    std::uint8_t attributes = 0;
    if (!r.readByte(attributes) || !r.readVarlong(view.timestampDelta) ||
        !r.readVarint(view.offsetDelta)) {
        return fail("truncated or malformed attributes, timestamp or offset delta");
    }
    if (!readBytes(r, true, view.key)) {
        return fail("bad key");
    }
    if (!readBytes(r, true, view.value)) {
        return fail("bad value");
    }
    std::int32_t headerCount = 0;
    if (!r.readVarint(headerCount) || headerCount < 0 ||
        static_cast<std::size_t>(headerCount) > r.remaining() / 2) {
        return fail("bad header count");
    }
    view.headers.clear();
    view.headers.reserve(static_cast<std::size_t>(headerCount));
    for (std::int32_t h = 0; h < headerCount; ++h) {
        std::optional<std::span<const std::uint8_t>> key;
        HeaderView header;
        if (!readBytes(r, false, key) || !readBytes(r, true, header.value)) {
            return fail("bad header");
        }
        header.key = *key;
        view.headers.push_back(header);
    }
    if (!r.atEnd()) {
        return fail("record length is larger than its fields");
    }
    return {};
}

// Calls onRecord(const RecordView&) for each of `count` records of a (decompressed) records
// section and checks that nothing remains after them.
template <typename OnRecord>
[[nodiscard]] std::expected<void, Error> forEachRecord(std::span<const std::uint8_t> section,
                                                       std::int32_t count, OnRecord&& onRecord) {
    Reader reader(section);
    RecordView view;
    for (std::int32_t i = 0; i < count; ++i) {
        if (reader.atEnd()) {
            return std::unexpected(corrupt("batch declares " + std::to_string(count) +
                                           " records but holds " + std::to_string(i)));
        }
        if (auto ok = parseRecord(reader, view, i); !ok) {
            return ok;
        }
        if (auto ok = onRecord(view); !ok) {
            return ok;
        }
    }
    if (!reader.atEnd()) {
        return std::unexpected(corrupt(std::to_string(reader.remaining()) +
                                       " bytes remain after the batch's " + std::to_string(count) +
                                       " records"));
    }
    return {};
}

// ------------------------------------------------------------------- the walk without a parse
// The checks of forEachRecord + validateRecords' offset-delta rule on raw pointers, with nothing
// built per record (no views, no header vector, no error text): Produce runs it on every record
// of every batch. Same rules, byte for byte: varints of at most 5 bytes within int32, varlongs of
// at most 10, every field inside its record, nothing left over. The parse runs only when this
// says no, to say why.

// A zigzag varint of at most MaxBytes bytes before `end`; the 5-byte form must fit an int32.
template <int MaxBytes>
[[nodiscard]] inline bool walkVarint(const std::uint8_t*& p, const std::uint8_t* end,
                                     std::int64_t& value) {
    if (p != end && *p < 0x80) { // one byte: nearly every length, delta and count
        const std::uint64_t raw = *p++;
        value = static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
        return true;
    }
    std::uint64_t raw = 0;
    for (int i = 0; i < MaxBytes; ++i) {
        if (p == end) {
            return false;
        }
        const std::uint8_t b = *p++;
        raw |= std::uint64_t{static_cast<std::uint8_t>(b & 0x7f)} << (7 * i);
        if ((b & 0x80) == 0) {
            value = static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
            return MaxBytes > 5 || (value >= INT32_MIN && value <= INT32_MAX);
        }
    }
    return false;
}

// Skips a varint-length-prefixed byte string (-1 = null, allowed when `nullable`).
[[nodiscard]] inline bool walkBytes(const std::uint8_t*& p, const std::uint8_t* end,
                                    bool nullable) {
    std::int64_t len = 0;
    if (!walkVarint<5>(p, end, len)) {
        return false;
    }
    if (len < 0) {
        return len == -1 && nullable;
    }
    if (len > end - p) {
        return false;
    }
    p += len;
    return true;
}

} // namespace

namespace detail {

bool recordsWellFormed(std::span<const std::uint8_t> section, std::int32_t count,
                       std::int32_t lastOffsetDelta) {
    const std::uint8_t* p = section.data();
    const std::uint8_t* const end = p + section.size();
    std::int64_t previousDelta = -1;
    for (std::int32_t i = 0; i < count; ++i) {
        std::int64_t length = 0;
        if (!walkVarint<5>(p, end, length) || length <= 0 || length > end - p) {
            return false;
        }
        const std::uint8_t* const recordEnd = p + length;
        ++p; // attributes: length > 0 holds them
        std::int64_t timestampDelta = 0;
        std::int64_t offsetDelta = 0;
        if (!walkVarint<10>(p, recordEnd, timestampDelta) ||
            !walkVarint<5>(p, recordEnd, offsetDelta) || offsetDelta <= previousDelta ||
            offsetDelta > lastOffsetDelta) {
            return false;
        }
        previousDelta = offsetDelta;
        std::int64_t headers = 0;
        if (!walkBytes(p, recordEnd, true) || !walkBytes(p, recordEnd, true) ||
            !walkVarint<5>(p, recordEnd, headers) || headers < 0 || headers > (recordEnd - p) / 2) {
            return false;
        }
        for (std::int64_t h = 0; h < headers; ++h) {
            if (!walkBytes(p, recordEnd, false) || !walkBytes(p, recordEnd, true)) {
                return false;
            }
        }
        if (p != recordEnd) {
            return false;
        }
    }
    return p == end;
}

} // namespace detail

namespace {

struct BatchView {
    std::int64_t baseOffset = 0;
    std::int16_t attributes = 0;
    std::int32_t lastOffsetDelta = 0;
    std::int64_t baseTimestamp = 0;
    std::int64_t maxTimestamp = 0;
    std::int32_t recordCount = 0;
    std::span<const std::uint8_t> section; // as stored (maybe compressed)
};

// The header fields of the complete batch `batch` (12 + Length bytes), magic checked.
[[nodiscard]] std::expected<BatchView, Error> viewBatch(std::span<const std::uint8_t> batch) {
    if (batch.size() < kBatchHeaderSize) {
        return std::unexpected(corrupt("record batch shorter than its header"));
    }
    const auto magic = static_cast<std::int8_t>(batch[kOffMagic]);
    if (magic != kBatchMagic) {
        return std::unexpected(
            corrupt("unsupported record batch magic " + std::to_string(int{magic})));
    }
    BatchView view;
    view.baseOffset = readBe<std::int64_t>(batch, kOffBaseOffset);
    view.attributes = readBe<std::int16_t>(batch, kOffAttributes);
    view.lastOffsetDelta = readBe<std::int32_t>(batch, kOffLastOffsetDelta);
    view.baseTimestamp = readBe<std::int64_t>(batch, kOffBaseTimestamp);
    view.maxTimestamp = readBe<std::int64_t>(batch, kOffMaxTimestamp);
    view.recordCount = readBe<std::int32_t>(batch, kOffRecordCount);
    view.section = batch.subspan(kBatchHeaderSize);
    if (view.recordCount < 0) {
        return std::unexpected(
            corrupt("negative record count " + std::to_string(view.recordCount)));
    }
    if ((view.attributes & kCodecMask) > static_cast<std::int16_t>(Compression::Zstd)) {
        return std::unexpected(corrupt("unknown compression codec " +
                                       std::to_string(view.attributes & kCodecMask)));
    }
    return view;
}

// The records section, decompressed when the batch says so. `storage` keeps decompressed bytes.
[[nodiscard]] std::expected<std::span<const std::uint8_t>, Error> plainSection(
    const BatchView& batch, std::vector<std::uint8_t>& storage) {
    const auto codec = static_cast<Compression>(batch.attributes & kCodecMask);
    if (codec == Compression::None) {
        return batch.section;
    }
    auto plain = decompress(codec, batch.section);
    if (!plain) {
        return std::unexpected(std::move(plain.error()));
    }
    storage = std::move(*plain);
    return std::span<const std::uint8_t>(storage);
}

[[nodiscard]] std::vector<std::uint8_t> copyBytes(std::span<const std::uint8_t> bytes) {
    return {bytes.begin(), bytes.end()};
}

[[nodiscard]] std::int64_t addWrapping(std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

} // namespace

std::expected<std::vector<std::uint8_t>, Error> buildBatch(std::span<const Record> records,
                                                           const BatchBuildOptions& options) {
    if (records.empty()) {
        return std::unexpected(makeError(ErrorCode::InvalidRecord, "a batch needs a record"));
    }
    if (records.size() > static_cast<std::size_t>(INT32_MAX)) {
        return std::unexpected(makeError(ErrorCode::MessageTooLarge, "too many records"));
    }
    std::int64_t maxTimestamp = records.front().timestamp;
    for (const Record& record : records) {
        maxTimestamp = std::max(maxTimestamp, record.timestamp);
    }
    std::int64_t baseTimestamp = 0;
    if (options.logAppendTime) {
        // Kafka's LogAppendTime batches stamp every record with the append time.
        baseTimestamp = options.baseTimestamp != 0 ? options.baseTimestamp : maxTimestamp;
        maxTimestamp = baseTimestamp;
    } else {
        baseTimestamp =
            options.baseTimestamp != 0 ? options.baseTimestamp : records.front().timestamp;
    }

    std::vector<std::uint8_t> section;
    std::vector<std::uint8_t> body;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const Record& record = records[i];
        body.clear();
        body.push_back(0); // record attributes: unused
        const std::int64_t timestampDelta =
            options.logAppendTime ? 0 : addWrapping(record.timestamp, -baseTimestamp);
        writeVarlong(body, timestampDelta);
        writeVarlong(body, static_cast<std::int64_t>(i));
        writeNullableBytes(body, record.key);
        writeNullableBytes(body, record.value);
        writeVarlong(body, static_cast<std::int64_t>(record.headers.size()));
        for (const RecordHeader& header : record.headers) {
            writeBytes(body, std::span(reinterpret_cast<const std::uint8_t*>(header.key.data()),
                                       header.key.size()));
            writeNullableBytes(body, header.value);
        }
        if (body.size() > static_cast<std::size_t>(INT32_MAX)) {
            return std::unexpected(makeError(ErrorCode::MessageTooLarge, "record too large"));
        }
        writeVarlong(section, static_cast<std::int64_t>(body.size()));
        section.insert(section.end(), body.begin(), body.end());
    }

    if (options.compression != Compression::None) {
        auto packed = compress(options.compression, section);
        if (!packed) {
            return std::unexpected(std::move(packed.error()));
        }
        section = std::move(*packed);
    }
    if (section.size() > static_cast<std::size_t>(INT32_MAX) - kBatchHeaderSize) {
        return std::unexpected(makeError(ErrorCode::MessageTooLarge, "batch above 2 GiB"));
    }

    std::int16_t attributes = static_cast<std::int16_t>(options.compression) & kCodecMask;
    if (options.logAppendTime) {
        attributes |= kTimestampTypeBit;
    }
    if (options.transactional) {
        attributes |= kTransactionalBit;
    }
    const auto count = static_cast<std::int32_t>(records.size());

    std::vector<std::uint8_t> batch(kBatchHeaderSize + section.size());
    writeBe<std::int64_t>(batch, kOffBaseOffset, options.baseOffset);
    writeBe<std::int32_t>(batch, kOffLength,
                          static_cast<std::int32_t>(batch.size() - kLogOverhead));
    writeBe<std::int32_t>(batch, kOffLeaderEpoch, options.partitionLeaderEpoch);
    batch[kOffMagic] = static_cast<std::uint8_t>(kBatchMagic);
    writeBe<std::int16_t>(batch, kOffAttributes, attributes);
    writeBe<std::int32_t>(batch, kOffLastOffsetDelta, count - 1);
    writeBe<std::int64_t>(batch, kOffBaseTimestamp, baseTimestamp);
    writeBe<std::int64_t>(batch, kOffMaxTimestamp, maxTimestamp);
    writeBe<std::int64_t>(batch, kOffProducerId, options.producerId);
    writeBe<std::int16_t>(batch, kOffProducerEpoch, options.producerEpoch);
    writeBe<std::int32_t>(batch, kOffBaseSequence, options.baseSequence);
    writeBe<std::int32_t>(batch, kOffRecordCount, count);
    std::copy(section.begin(), section.end(), batch.begin() + kBatchHeaderSize);
    const std::uint32_t crc = crc32c(std::span(batch).subspan(kOffAttributes));
    writeBe<std::uint32_t>(batch, kOffCrc, crc);
    return batch;
}

std::expected<std::vector<Record>, Error> decodeRecords(std::span<const std::uint8_t> batches) {
    std::vector<Record> out;
    std::vector<std::uint8_t> storage;
    std::size_t pos = 0;
    while (batches.size() - pos >= kLogOverhead) {
        const std::int32_t length = readBe<std::int32_t>(batches, pos + kOffLength);
        if (length < static_cast<std::int32_t>(kBatchHeaderSize - kLogOverhead)) {
            return std::unexpected(corrupt("record batch length " + std::to_string(length) +
                                           " is below the header size"));
        }
        const std::size_t total = kLogOverhead + static_cast<std::size_t>(length);
        if (total > batches.size() - pos) {
            break; // a truncated trailing batch, as fetch responses may end
        }
        const auto batch = batches.subspan(pos, total);
        pos += total;
        auto view = viewBatch(batch);
        if (!view) {
            return std::unexpected(std::move(view.error()));
        }
        const std::uint32_t stored = readBe<std::uint32_t>(batch, kOffCrc);
        const std::uint32_t computed = crc32c(batch.subspan(kOffAttributes));
        if (stored != computed) {
            return std::unexpected(corrupt("record batch at offset " +
                                           std::to_string(view->baseOffset) + ": CRC mismatch"));
        }
        if ((view->attributes & kControlBit) != 0) {
            continue;
        }
        auto section = plainSection(*view, storage);
        if (!section) {
            return std::unexpected(std::move(section.error()));
        }
        const bool logAppendTime = (view->attributes & kTimestampTypeBit) != 0;
        out.reserve(out.size() +
                    std::min<std::size_t>(static_cast<std::size_t>(view->recordCount),
                                          section->size()));
        auto ok = forEachRecord(
            *section, view->recordCount, [&](const RecordView& rv) -> std::expected<void, Error> {
                Record& record = out.emplace_back();
                record.offset = addWrapping(view->baseOffset, rv.offsetDelta);
                record.timestamp = logAppendTime
                                       ? view->maxTimestamp
                                       : addWrapping(view->baseTimestamp, rv.timestampDelta);
                if (rv.key) {
                    record.key = copyBytes(*rv.key);
                }
                if (rv.value) {
                    record.value = copyBytes(*rv.value);
                }
                record.headers.reserve(rv.headers.size());
                for (const HeaderView& hv : rv.headers) {
                    RecordHeader& header = record.headers.emplace_back();
                    header.key.assign(hv.key.begin(), hv.key.end());
                    if (hv.value) {
                        header.value = copyBytes(*hv.value);
                    }
                }
                return {};
            });
        if (!ok) {
            return std::unexpected(std::move(ok.error()));
        }
    }
    return out;
}

std::expected<void, Error> validateRecords(std::span<const std::uint8_t> batch) {
    if (batch.size() < kBatchHeaderSize) {
        return std::unexpected(corrupt("record batch shorter than its header"));
    }
    const std::int32_t length = readBe<std::int32_t>(batch, kOffLength);
    if (length < 0 || kLogOverhead + static_cast<std::size_t>(length) != batch.size()) {
        return std::unexpected(corrupt("record batch length " + std::to_string(length) +
                                       " does not match the " + std::to_string(batch.size()) +
                                       " bytes received"));
    }
    auto view = viewBatch(batch);
    if (!view) {
        return std::unexpected(std::move(view.error()));
    }
    if (view->recordCount == 0) {
        return std::unexpected(corrupt("record batch holds no records"));
    }
    if (static_cast<std::int64_t>(view->lastOffsetDelta) + 1 != view->recordCount) {
        return std::unexpected(corrupt("record count " + std::to_string(view->recordCount) +
                                       " does not match last offset delta " +
                                       std::to_string(view->lastOffsetDelta)));
    }
    std::vector<std::uint8_t> storage;
    auto section = plainSection(*view, storage);
    if (!section) {
        return std::unexpected(std::move(section.error()));
    }
    const std::int32_t lastOffsetDelta = view->lastOffsetDelta;
    if (detail::recordsWellFormed(*section, view->recordCount, lastOffsetDelta)) {
        return {};
    }
    return detail::recordsErrorByParsing(*section, view->recordCount, lastOffsetDelta);
}

namespace detail {

std::expected<void, Error> recordsErrorByParsing(std::span<const std::uint8_t> section,
                                                 std::int32_t count, std::int32_t lastOffsetDelta) {
    std::int64_t previousDelta = -1;
    return forEachRecord(section, count,
                         [&](const RecordView& rv) -> std::expected<void, Error> {
                             if (rv.offsetDelta <= previousDelta ||
                                 rv.offsetDelta > lastOffsetDelta) {
                                 return std::unexpected(corrupt(
                                     "offset delta " + std::to_string(rv.offsetDelta) +
                                     " does not follow " + std::to_string(previousDelta) +
                                     " or exceeds LastOffsetDelta " +
                                     std::to_string(lastOffsetDelta)));
                             }
                             previousDelta = rv.offsetDelta;
                             return {};
                         });
}

} // namespace detail

void forEachRecordSummary(std::span<const std::uint8_t> batch,
                          const std::function<bool(const RecordSummary&)>& visit) {
    auto view = viewBatch(batch);
    if (!view) {
        return;
    }
    std::vector<std::uint8_t> storage;
    auto section = plainSection(*view, storage);
    if (!section) {
        return;
    }
    const bool logAppendTime = (view->attributes & kTimestampTypeBit) != 0;
    RecordSummary summary;
    (void)forEachRecord(
        *section, view->recordCount, [&](const RecordView& rv) -> std::expected<void, Error> {
            summary.offset = addWrapping(view->baseOffset, rv.offsetDelta);
            summary.timestamp = logAppendTime ? view->maxTimestamp
                                              : addWrapping(view->baseTimestamp, rv.timestampDelta);
            summary.hasKey = rv.key.has_value();
            if (!visit(summary)) {
                return std::unexpected(Error{}); // the caller has seen enough
            }
            ++summary.index;
            return {};
        });
}

std::expected<std::vector<std::uint8_t>, Error> recompressBatch(std::span<const std::uint8_t> batch,
                                                                Compression codec) {
    auto view = viewBatch(batch);
    if (!view) {
        return std::unexpected(std::move(view.error()));
    }
    std::vector<std::uint8_t> storage;
    auto plain = plainSection(*view, storage);
    if (!plain) {
        return std::unexpected(std::move(plain.error()));
    }
    std::vector<std::uint8_t> packed;
    std::span<const std::uint8_t> section = *plain;
    if (codec != Compression::None) {
        auto compressed = compress(codec, *plain);
        if (!compressed) {
            return std::unexpected(std::move(compressed.error()));
        }
        packed = std::move(*compressed);
        section = packed;
    }
    if (section.size() > static_cast<std::size_t>(INT32_MAX) - kBatchHeaderSize) {
        return std::unexpected(makeError(ErrorCode::MessageTooLarge, "batch above 2 GiB"));
    }
    std::vector<std::uint8_t> out(kBatchHeaderSize + section.size());
    std::copy_n(batch.begin(), kBatchHeaderSize, out.begin());
    std::copy(section.begin(), section.end(), out.begin() + kBatchHeaderSize);
    writeBe<std::int32_t>(out, kOffLength, static_cast<std::int32_t>(out.size() - kLogOverhead));
    const auto attributes = static_cast<std::int16_t>(
        (view->attributes & ~kCodecMask) | (static_cast<std::int16_t>(codec) & kCodecMask));
    writeBe<std::int16_t>(out, kOffAttributes, attributes);
    writeBe<std::uint32_t>(out, kOffCrc, crc32c(std::span(out).subspan(kOffAttributes)));
    return out;
}

std::optional<std::int64_t> offsetOfMaxTimestamp(std::span<const std::uint8_t> batch) {
    if (batch.size() < kBatchHeaderSize) {
        return std::nullopt;
    }
    const std::int32_t length = readBe<std::int32_t>(batch, kOffLength);
    if (length < 0 || kLogOverhead + static_cast<std::size_t>(length) > batch.size()) {
        return std::nullopt;
    }
    const auto one = batch.first(kLogOverhead + static_cast<std::size_t>(length));
    // LogAppendTime batches give every record MaxTimestamp: the first record is the answer.
    const auto maxTimestamp = readBe<std::int64_t>(one, kOffMaxTimestamp);
    std::optional<std::int64_t> offset;
    forEachRecordSummary(one, [&](const RecordSummary& record) {
        if (record.timestamp != maxTimestamp) {
            return true;
        }
        offset = record.offset;
        return false; // found: stop walking
    });
    return offset;
}

} // namespace faultline::protocol
