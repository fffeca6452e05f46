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

// A nullable, shared, zero-copy byte range (the `records` type): stays valid while `owner` lives.
struct Records {
    std::shared_ptr<const std::vector<std::uint8_t>> owner;
    std::span<const std::uint8_t> bytes; // view into *owner (or empty)
    bool isNull = true;

    static Records copyOf(std::span<const std::uint8_t> data); // non-null, owns a copy
    static Records share(std::shared_ptr<const std::vector<std::uint8_t>> buf); // whole buffer
    std::size_t size() const { return bytes.size(); }
    // Equal when both are null, or both non-null with the same bytes.
    bool operator==(const Records& other) const;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data);
    // readRecords() then shares `owner` (zero copy); `data` must lie inside *owner.
    Reader(std::shared_ptr<const std::vector<std::uint8_t>> owner,
           std::span<const std::uint8_t> data);

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

    std::shared_ptr<const std::vector<std::uint8_t>> m_owner;
    std::span<const std::uint8_t> m_data;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

class Writer {
public:
    explicit Writer(std::vector<std::uint8_t>& out);

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
};

std::size_t unsignedVarintSize(std::uint32_t v);
std::size_t varintSize(std::int32_t v);
std::size_t varlongSize(std::int64_t v);

} // namespace faultline::protocol
