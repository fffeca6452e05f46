#include "engine/broker/offsets_codec.h"

namespace faultline::broker {

namespace {

using protocol::ErrorCode;
using protocol::makeError;

class Out {
public:
    void i16(std::int16_t v) { be(static_cast<std::uint16_t>(v), 2); }
    void i32(std::int32_t v) { be(static_cast<std::uint32_t>(v), 4); }
    void i64(std::int64_t v) { be(static_cast<std::uint64_t>(v), 8); }
    void str(const std::string& s) {
        i16(static_cast<std::int16_t>(s.size()));
        m_bytes.insert(m_bytes.end(), s.begin(), s.end());
    }
    void nullableStr(const std::optional<std::string>& s) {
        if (!s) {
            i16(-1);
        } else {
            str(*s);
        }
    }
    void bytes(const std::vector<std::uint8_t>& b) {
        i32(static_cast<std::int32_t>(b.size()));
        m_bytes.insert(m_bytes.end(), b.begin(), b.end());
    }
    std::vector<std::uint8_t> take() { return std::move(m_bytes); }

private:
    void be(std::uint64_t v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            m_bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
    std::vector<std::uint8_t> m_bytes;
};

class In {
public:
    explicit In(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    [[nodiscard]] bool ok() const { return m_ok; }
    std::int16_t i16() { return static_cast<std::int16_t>(be(2)); }
    std::int32_t i32() { return static_cast<std::int32_t>(be(4)); }
    std::int64_t i64() { return static_cast<std::int64_t>(be(8)); }
    std::optional<std::string> nullableStr() {
        const std::int16_t len = i16();
        if (!m_ok || len < 0) {
            if (len < -1) {
                m_ok = false;
            }
            return std::nullopt;
        }
        auto raw = take(static_cast<std::size_t>(len));
        return std::string(raw.begin(), raw.end());
    }
    std::string str() {
        auto s = nullableStr();
        if (!s) {
            m_ok = false;
            return {};
        }
        return std::move(*s);
    }
    std::vector<std::uint8_t> bytes() {
        const std::int32_t len = i32();
        if (!m_ok || len < 0) {
            // A null bytes field reads as empty (Kafka never writes one here).
            if (len < -1) {
                m_ok = false;
            }
            return {};
        }
        auto raw = take(static_cast<std::size_t>(len));
        return {raw.begin(), raw.end()};
    }
    std::int32_t count() {
        const std::int32_t n = i32();
        if (n < 0 || static_cast<std::size_t>(n) > remaining()) {
            m_ok = false;
            return 0;
        }
        return n;
    }
    [[nodiscard]] std::size_t remaining() const { return m_bytes.size() - m_pos; }

private:
    std::span<const std::uint8_t> take(std::size_t n) {
        if (!m_ok || remaining() < n) {
            m_ok = false;
            return {};
        }
        auto out = m_bytes.subspan(m_pos, n);
        m_pos += n;
        return out;
    }
    std::uint64_t be(std::size_t width) {
        auto raw = take(width);
        std::uint64_t v = 0;
        for (auto b : raw) {
            v = (v << 8) | b;
        }
        return v;
    }
    std::span<const std::uint8_t> m_bytes;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

protocol::Error truncated(const char* what) {
    return makeError(ErrorCode::CorruptMessage, std::string("malformed __consumer_offsets ") + what);
}

} // namespace

std::vector<std::uint8_t> encodeOffsetCommitKey(const OffsetCommitKey& key) {
    Out out;
    out.i16(kOffsetCommitKeyVersion);
    out.str(key.group);
    out.str(key.topic);
    out.i32(key.partition);
    return out.take();
}

std::vector<std::uint8_t> encodeOffsetCommitValue(const OffsetCommitValue& value) {
    Out out;
    out.i16(kOffsetCommitValueVersion);
    out.i64(value.offset);
    out.i32(value.leaderEpoch);
    out.str(value.metadata);
    out.i64(value.commitTimestamp);
    return out.take();
}

std::vector<std::uint8_t> encodeGroupMetadataKey(const GroupMetadataKey& key) {
    Out out;
    out.i16(kGroupMetadataKeyVersion);
    out.str(key.group);
    return out.take();
}

std::vector<std::uint8_t> encodeGroupMetadataValue(const GroupMetadataValue& value) {
    Out out;
    out.i16(kGroupMetadataValueVersion);
    out.str(value.protocolType);
    out.i32(value.generation);
    out.nullableStr(value.protocol);
    out.nullableStr(value.leader);
    out.i64(value.currentStateTimestamp);
    out.i32(static_cast<std::int32_t>(value.members.size()));
    for (const auto& m : value.members) {
        out.str(m.memberId);
        out.nullableStr(m.groupInstanceId);
        out.str(m.clientId);
        out.str(m.clientHost);
        out.i32(m.rebalanceTimeout);
        out.i32(m.sessionTimeout);
        out.bytes(m.subscription);
        out.bytes(m.assignment);
    }
    return out.take();
}

std::expected<OffsetsRecordKey, protocol::Error>
decodeOffsetsKey(std::span<const std::uint8_t> bytes) {
    In in(bytes);
    const std::int16_t version = in.i16();
    if (!in.ok()) {
        return std::unexpected(truncated("key"));
    }
    if (version == 0 || version == 1) {
        OffsetCommitKey key;
        key.group = in.str();
        key.topic = in.str();
        key.partition = in.i32();
        if (!in.ok()) {
            return std::unexpected(truncated("offset commit key"));
        }
        return key;
    }
    if (version == 2) {
        GroupMetadataKey key;
        key.group = in.str();
        if (!in.ok()) {
            return std::unexpected(truncated("group metadata key"));
        }
        return key;
    }
    return std::unexpected(makeError(ErrorCode::UnsupportedVersion,
                                     "unknown __consumer_offsets key version " +
                                         std::to_string(version)));
}

std::expected<OffsetCommitValue, protocol::Error>
decodeOffsetCommitValue(std::span<const std::uint8_t> bytes) {
    In in(bytes);
    const std::int16_t version = in.i16();
    if (!in.ok()) {
        return std::unexpected(truncated("offset commit value"));
    }
    if (version < 0 || version > 3) {
        return std::unexpected(makeError(ErrorCode::UnsupportedVersion,
                                         "unknown offset commit value version " +
                                             std::to_string(version)));
    }
    OffsetCommitValue value;
    value.offset = in.i64();
    if (version >= 3) {
        value.leaderEpoch = in.i32();
    }
    value.metadata = in.str();
    value.commitTimestamp = in.i64();
    if (version == 1) {
        value.expireTimestamp = in.i64();
    }
    if (!in.ok()) {
        return std::unexpected(truncated("offset commit value"));
    }
    return value;
}

std::expected<GroupMetadataValue, protocol::Error>
decodeGroupMetadataValue(std::span<const std::uint8_t> bytes) {
    In in(bytes);
    const std::int16_t version = in.i16();
    if (!in.ok()) {
        return std::unexpected(truncated("group metadata value"));
    }
    if (version < 0 || version > 3) {
        return std::unexpected(makeError(ErrorCode::UnsupportedVersion,
                                         "unknown group metadata value version " +
                                             std::to_string(version)));
    }
    GroupMetadataValue value;
    value.protocolType = in.str();
    value.generation = in.i32();
    value.protocol = in.nullableStr();
    value.leader = in.nullableStr();
    if (version >= 2) {
        value.currentStateTimestamp = in.i64();
    }
    const std::int32_t count = in.count();
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        GroupMemberMetadata m;
        m.memberId = in.str();
        if (version >= 3) {
            m.groupInstanceId = in.nullableStr();
        }
        m.clientId = in.str();
        m.clientHost = in.str();
        if (version >= 1) {
            m.rebalanceTimeout = in.i32();
        }
        m.sessionTimeout = in.i32();
        if (version == 0) {
            m.rebalanceTimeout = m.sessionTimeout;
        }
        m.subscription = in.bytes();
        m.assignment = in.bytes();
        value.members.push_back(std::move(m));
    }
    if (!in.ok()) {
        return std::unexpected(truncated("group metadata value"));
    }
    return value;
}

} // namespace faultline::broker
