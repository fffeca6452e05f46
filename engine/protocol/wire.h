// Kafka wire primitives: big-endian integers, varints, strings, bytes, arrays and tagged fields.
// Reader never throws and never allocates more than the input can hold: any underflow or malformed
// value marks it failed (sticky), after which reads return defaults.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::protocol {

using Uuid = std::array<std::uint8_t, 16>;

// Bytes that live outside the encoder's buffer (a range of a log segment file, say) and that a
// transport can write in place instead of copying them into the message body.
class ExternalBytes {
public:
    virtual ~ExternalBytes() = default;
    [[nodiscard]] virtual std::size_t size() const = 0;
    // Copies all size() bytes to `out`; false when they cannot be read (any more).
    [[nodiscard]] virtual bool copyTo(std::uint8_t* out) const = 0;
};

// A nullable, shared, zero-copy byte range (the `records` type): either `bytes`, a view kept valid
// by `owner`, or `external` bytes the encoder leaves to the transport (see Splice).
struct Records {
    std::shared_ptr<const void> owner;
    std::span<const std::uint8_t> bytes; // view into *owner (or empty); unused when external
    std::shared_ptr<const ExternalBytes> external;
    bool isNull = true;

    static Records copyOf(std::span<const std::uint8_t> data); // non-null, owns a copy
    static Records share(std::shared_ptr<const std::vector<std::uint8_t>> buf); // whole buffer
    static Records share(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes);
    static Records fromExternal(std::shared_ptr<const ExternalBytes> external);
    std::size_t size() const { return external ? external->size() : bytes.size(); }
    // The bytes in memory: `bytes`, or a copy of the external ones (empty if they cannot be read).
    [[nodiscard]] Records materialized() const;
    // Equal when both are null, or both non-null with the same bytes.
    bool operator==(const Records& other) const;
};

// Records an encoder left out of its buffer: their bytes belong at `offset` of the encoded body
// (after the length prefix already written there). A transport writes body and splices in order.
struct Splice {
    std::size_t offset = 0;
    Records records;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data);
    // readRecords() then shares `owner` (zero copy); `data` must stay valid while owner lives.
    Reader(std::shared_ptr<const void> owner, std::span<const std::uint8_t> data);

    bool ok() const { return m_ok; }
    void fail();
    std::size_t remaining() const { return m_ok ? m_data.size() - m_pos : 0; }
    std::size_t position() const { return m_pos; }
    std::span<const std::uint8_t> rest() const;

    std::int8_t readInt8();
    std::int16_t readInt16();
    std::int32_t readInt32();
    std::int64_t readInt64();
    std::uint16_t readUint16();
    std::uint32_t readUint32();
    double readFloat64();
    bool readBool();
    std::int32_t readVarint();  // zigzag
    std::int64_t readVarlong(); // zigzag
    std::uint32_t readUnsignedVarint();
    std::uint64_t readUnsignedVarlong();
    Uuid readUuid();
    std::string readString(bool compact); // non-null; null fails the reader
    std::optional<std::string> readNullableString(bool compact);
    std::vector<std::uint8_t> readBytes(bool compact); // non-null; null fails the reader
    std::optional<std::vector<std::uint8_t>> readNullableBytes(bool compact);
    Records readRecords(bool compact); // nullable bytes as Records
    std::int32_t readArrayLength(bool compact); // -1 = null; a length above remaining() fails
    void skip(std::size_t n);
    void skipTaggedFields(); // reads count + (tag, size, data)*

private:
    bool need(std::size_t n);
    std::uint64_t readBigEndian(std::size_t n);
    // Length of a string/bytes: -1 for null, otherwise validated against remaining().
    std::int64_t readLength(bool compact, bool nullable16);

    std::shared_ptr<const void> m_owner;
    std::span<const std::uint8_t> m_data;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

class Writer {
public:
    explicit Writer(std::vector<std::uint8_t>& out);
    // With `splices`, records of at least kSpliceMinBytes are not copied into `out`: only their
    // length is written and a Splice names where their bytes go. Without, everything is copied.
    Writer(std::vector<std::uint8_t>& out, std::vector<Splice>* splices);
    static constexpr std::size_t kSpliceMinBytes = 16 * 1024;

    void writeInt8(std::int8_t v);
    void writeInt16(std::int16_t v);
    void writeInt32(std::int32_t v);
    void writeInt64(std::int64_t v);
    void writeUint16(std::uint16_t v);
    void writeUint32(std::uint32_t v);
    void writeFloat64(double v);
    void writeBool(bool v);
    void writeVarint(std::int32_t v);  // zigzag
    void writeVarlong(std::int64_t v); // zigzag
    void writeUnsignedVarint(std::uint32_t v);
    void writeUnsignedVarlong(std::uint64_t v);
    void writeUuid(const Uuid& v);
    void writeString(std::string_view v, bool compact);
    void writeNullableString(const std::optional<std::string>& v, bool compact);
    void writeBytes(std::span<const std::uint8_t> v, bool compact);
    void writeNullableBytes(const std::optional<std::vector<std::uint8_t>>& v, bool compact);
    void writeRecords(const Records& v, bool compact); // null -> -1 (classic) / 0 (compact)
    void writeArrayLength(std::int32_t n /* -1 null */, bool compact);
    void writeEmptyTaggedFields();
    void writeRaw(std::span<const std::uint8_t> v);

    std::size_t size() const { return m_out.size(); }
    std::vector<std::uint8_t>& buffer() { return m_out; }
    void patchInt32(std::size_t at, std::int32_t v); // for length prefixes

private:
    void writeBigEndian(std::uint64_t v, std::size_t n);
    void writeLength(std::int64_t n, bool compact, bool int16Length); // n = -1 for null

    std::vector<std::uint8_t>& m_out;
    std::vector<Splice>* m_splices = nullptr;
};

std::size_t unsignedVarintSize(std::uint32_t v);
std::size_t varintSize(std::int32_t v);
std::size_t varlongSize(std::int64_t v);

} // namespace faultline::protocol
