#include "engine/protocol/wire.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace faultline::protocol {

// ---- Records --------------------------------------------------------------------------------

Records Records::copyOf(std::span<const std::uint8_t> data) {
    auto buf = std::make_shared<const std::vector<std::uint8_t>>(data.begin(), data.end());
    return share(std::move(buf));
}

Records Records::share(std::shared_ptr<const std::vector<std::uint8_t>> buf) {
    if (!buf) {
        return share(std::shared_ptr<const void>(), {});
    }
    const std::span<const std::uint8_t> view(buf->data(), buf->size());
    return share(std::shared_ptr<const void>(std::move(buf)), view);
}

Records Records::share(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes) {
    Records r;
    r.owner = std::move(owner);
    r.bytes = bytes;
    r.isNull = false;
    return r;
}

Records Records::fromExternal(std::shared_ptr<const ExternalBytes> external) {
    Records r;
    r.external = std::move(external);
    r.isNull = false;
    return r;
}

Records Records::materialized() const {
    if (!external) {
        return *this;
    }
    auto buf = std::make_shared<std::vector<std::uint8_t>>(external->size());
    if (!external->copyTo(buf->data())) {
        buf->clear();
    }
    return share(std::shared_ptr<const std::vector<std::uint8_t>>(std::move(buf)));
}

bool Records::operator==(const Records& other) const {
    if (isNull || other.isNull) return isNull == other.isNull;
    if (external || other.external) return materialized() == other.materialized();
    return std::equal(bytes.begin(), bytes.end(), other.bytes.begin(), other.bytes.end());
}

// ---- Reader ---------------------------------------------------------------------------------

Reader::Reader(std::span<const std::uint8_t> data) : m_data(data) {}

Reader::Reader(std::shared_ptr<const void> owner, std::span<const std::uint8_t> data)
    : m_owner(std::move(owner)), m_data(data) {}

void Reader::fail() { m_ok = false; }

std::span<const std::uint8_t> Reader::rest() const {
    if (!m_ok) return {};
    return m_data.subspan(m_pos);
}

bool Reader::need(std::size_t n) {
    if (!m_ok) return false;
    if (m_data.size() - m_pos < n) {
        m_ok = false;
        return false;
    }
    return true;
}

std::uint64_t Reader::readBigEndian(std::size_t n) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | m_data[m_pos + i];
    m_pos += n;
    return v;
}

std::int8_t Reader::readInt8() { return static_cast<std::int8_t>(readBigEndian(1)); }
std::int16_t Reader::readInt16() { return static_cast<std::int16_t>(readBigEndian(2)); }
std::int32_t Reader::readInt32() { return static_cast<std::int32_t>(readBigEndian(4)); }
std::int64_t Reader::readInt64() { return static_cast<std::int64_t>(readBigEndian(8)); }
std::uint16_t Reader::readUint16() { return static_cast<std::uint16_t>(readBigEndian(2)); }
std::uint32_t Reader::readUint32() { return static_cast<std::uint32_t>(readBigEndian(4)); }
double Reader::readFloat64() { return std::bit_cast<double>(readBigEndian(8)); }

bool Reader::readBool() {
    const std::int8_t v = readInt8();
    return v != 0;
}

std::uint32_t Reader::readUnsignedVarint() {
    std::uint32_t value = 0;
    for (int i = 0; i < 5; ++i) {
        if (!need(1)) return 0;
        const std::uint8_t b = m_data[m_pos++];
        if (i == 4 && (b & 0xf0) != 0) { // more than 32 bits
            fail();
            return 0;
        }
        value |= static_cast<std::uint32_t>(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) return value;
    }
    fail();
    return 0;
}

std::uint64_t Reader::readUnsignedVarlong() {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
        if (!need(1)) return 0;
        const std::uint8_t b = m_data[m_pos++];
        if (i == 9 && (b & 0xfe) != 0) {
            fail();
            return 0;
        }
        value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) return value;
    }
    fail();
    return 0;
}

std::int32_t Reader::readVarint() {
    const std::uint32_t u = readUnsignedVarint();
    return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t Reader::readVarlong() {
    const std::uint64_t u = readUnsignedVarlong();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

Uuid Reader::readUuid() {
    Uuid id{};
    if (!need(id.size())) return id;
    std::memcpy(id.data(), m_data.data() + m_pos, id.size());
    m_pos += id.size();
    return id;
}

std::int64_t Reader::readLength(bool compact, bool int16Length) {
    std::int64_t n = 0;
    if (compact) {
        n = static_cast<std::int64_t>(readUnsignedVarint()) - 1;
    } else if (int16Length) {
        n = readInt16();
    } else {
        n = readInt32();
    }
    if (!m_ok) return 0;
    if (n < -1) {
        fail();
        return 0;
    }
    if (n >= 0 && static_cast<std::uint64_t>(n) > remaining()) {
        fail();
        return 0;
    }
    return n;
}

std::optional<std::string> Reader::readNullableString(bool compact) {
    const std::int64_t n = readLength(compact, true);
    if (!m_ok || n < 0) return std::nullopt;
    std::string s(reinterpret_cast<const char*>(m_data.data() + m_pos), static_cast<std::size_t>(n));
    m_pos += static_cast<std::size_t>(n);
    return s;
}

std::string Reader::readString(bool compact) {
    const std::size_t before = m_pos;
    auto s = readNullableString(compact);
    if (!s) {
        if (m_ok && m_pos != before) fail(); // null where a string is required
        return {};
    }
    return std::move(*s);
}

std::optional<std::vector<std::uint8_t>> Reader::readNullableBytes(bool compact) {
    const std::int64_t n = readLength(compact, false);
    if (!m_ok || n < 0) return std::nullopt;
    auto first = m_data.begin() + static_cast<std::ptrdiff_t>(m_pos);
    std::vector<std::uint8_t> v(first, first + static_cast<std::ptrdiff_t>(n));
    m_pos += static_cast<std::size_t>(n);
    return v;
}

std::vector<std::uint8_t> Reader::readBytes(bool compact) {
    const std::size_t before = m_pos;
    auto v = readNullableBytes(compact);
    if (!v) {
        if (m_ok && m_pos != before) fail();
        return {};
    }
    return std::move(*v);
}

Records Reader::readRecords(bool compact) {
    const std::int64_t n = readLength(compact, false);
    Records r;
    if (!m_ok || n < 0) return r;
    const auto view = m_data.subspan(m_pos, static_cast<std::size_t>(n));
    m_pos += static_cast<std::size_t>(n);
    if (m_owner) {
        r.owner = m_owner;
        r.bytes = view;
        r.isNull = false;
        return r;
    }
    return Records::copyOf(view);
}

std::int32_t Reader::readArrayLength(bool compact) {
    std::int64_t n = 0;
    if (compact) {
        n = static_cast<std::int64_t>(readUnsignedVarint()) - 1;
    } else {
        n = readInt32();
    }
    if (!m_ok) return 0;
    if (n < -1 || (n > 0 && static_cast<std::uint64_t>(n) > remaining())) {
        fail();
        return 0;
    }
    return static_cast<std::int32_t>(n);
}

void Reader::skip(std::size_t n) {
    if (need(n)) m_pos += n;
}

void Reader::skipTaggedFields() {
    const std::uint32_t count = readUnsignedVarint();
    for (std::uint32_t i = 0; i < count && m_ok; ++i) {
        (void)readUnsignedVarint(); // tag
        const std::uint32_t size = readUnsignedVarint();
        skip(size);
    }
}

// ---- Writer ---------------------------------------------------------------------------------

Writer::Writer(std::vector<std::uint8_t>& out) : m_out(out) {}

Writer::Writer(std::vector<std::uint8_t>& out, std::vector<Splice>* splices)
    : m_out(out), m_splices(splices) {}

void Writer::writeBigEndian(std::uint64_t v, std::size_t n) {
    for (std::size_t i = n; i > 0; --i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * (i - 1))));
}

void Writer::writeInt8(std::int8_t v) { writeBigEndian(static_cast<std::uint8_t>(v), 1); }
void Writer::writeInt16(std::int16_t v) { writeBigEndian(static_cast<std::uint16_t>(v), 2); }
void Writer::writeInt32(std::int32_t v) { writeBigEndian(static_cast<std::uint32_t>(v), 4); }
void Writer::writeInt64(std::int64_t v) { writeBigEndian(static_cast<std::uint64_t>(v), 8); }
void Writer::writeUint16(std::uint16_t v) { writeBigEndian(v, 2); }
void Writer::writeUint32(std::uint32_t v) { writeBigEndian(v, 4); }
void Writer::writeFloat64(double v) { writeBigEndian(std::bit_cast<std::uint64_t>(v), 8); }
void Writer::writeBool(bool v) { m_out.push_back(v ? 1 : 0); }

void Writer::writeUnsignedVarint(std::uint32_t v) {
    while (v >= 0x80) {
        m_out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    m_out.push_back(static_cast<std::uint8_t>(v));
}

void Writer::writeUnsignedVarlong(std::uint64_t v) {
    while (v >= 0x80) {
        m_out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    m_out.push_back(static_cast<std::uint8_t>(v));
}

void Writer::writeVarint(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    writeUnsignedVarint((u << 1) ^ static_cast<std::uint32_t>(v >> 31));
}

void Writer::writeVarlong(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    writeUnsignedVarlong((u << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void Writer::writeUuid(const Uuid& v) { m_out.insert(m_out.end(), v.begin(), v.end()); }

void Writer::writeLength(std::int64_t n, bool compact, bool int16Length) {
    if (compact) {
        writeUnsignedVarint(static_cast<std::uint32_t>(n + 1));
    } else if (int16Length) {
        writeInt16(static_cast<std::int16_t>(n));
    } else {
        writeInt32(static_cast<std::int32_t>(n));
    }
}

void Writer::writeString(std::string_view v, bool compact) {
    writeLength(static_cast<std::int64_t>(v.size()), compact, true);
    m_out.insert(m_out.end(), v.begin(), v.end());
}

void Writer::writeNullableString(const std::optional<std::string>& v, bool compact) {
    if (!v) {
        writeLength(-1, compact, true);
        return;
    }
    writeString(*v, compact);
}

void Writer::writeBytes(std::span<const std::uint8_t> v, bool compact) {
    writeLength(static_cast<std::int64_t>(v.size()), compact, false);
    writeRaw(v);
}

void Writer::writeNullableBytes(const std::optional<std::vector<std::uint8_t>>& v, bool compact) {
    if (!v) {
        writeLength(-1, compact, false);
        return;
    }
    writeBytes(*v, compact);
}

void Writer::writeRecords(const Records& v, bool compact) {
    if (v.isNull) {
        writeLength(-1, compact, false);
        return;
    }
    const std::size_t n = v.size();
    if (m_splices != nullptr && n >= kSpliceMinBytes) {
        writeLength(static_cast<std::int64_t>(n), compact, false);
        m_splices->push_back(Splice{m_out.size(), v});
        return;
    }
    if (v.external) {
        // Unreadable bytes (a log segment deleted under a fetch, say) go out as an empty record
        // set: the client simply fetches that offset again.
        const Records copy = v.materialized();
        writeBytes(copy.bytes, compact);
        return;
    }
    writeBytes(v.bytes, compact);
}

void Writer::writeArrayLength(std::int32_t n, bool compact) { writeLength(n, compact, false); }

void Writer::writeEmptyTaggedFields() { writeUnsignedVarint(0); }

void Writer::writeRaw(std::span<const std::uint8_t> v) { m_out.insert(m_out.end(), v.begin(), v.end()); }

void Writer::patchInt32(std::size_t at, std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    for (std::size_t i = 0; i < 4 && at + i < m_out.size(); ++i) {
        m_out[at + i] = static_cast<std::uint8_t>(u >> (8 * (3 - i)));
    }
}

std::size_t unsignedVarintSize(std::uint32_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

std::size_t varintSize(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    return unsignedVarintSize((u << 1) ^ static_cast<std::uint32_t>(v >> 31));
}

std::size_t varlongSize(std::int64_t v) {
    auto u = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    std::size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        ++n;
    }
    return n;
}

} // namespace faultline::protocol
