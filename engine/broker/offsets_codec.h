// Kafka's record formats in the internal topic __consumer_offsets (the schemas OffsetCommitKey,
// OffsetCommitValue, GroupMetadataKey, GroupMetadataValue). Keys and values start with an int16
// schema version; strings are int16-length-prefixed (-1 = null), bytes int32-length-prefixed,
// arrays int32-count-prefixed, all big-endian. A null record value is a tombstone.
//
// Written: offset commit key v1, offset commit value v3, group metadata key v2, group metadata
// value v3. Read: keys v0-v2, offset commit values v0-v3, group metadata values v0-v3.
#pragma once

#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace faultline::broker {

struct OffsetCommitKey {
    std::string group;
    std::string topic;
    std::int32_t partition = 0;
    friend bool operator==(const OffsetCommitKey&, const OffsetCommitKey&) = default;
};

struct OffsetCommitValue {
    std::int64_t offset = -1;
    std::int32_t leaderEpoch = -1; // v3+
    std::string metadata;
    std::int64_t commitTimestamp = -1;
    std::int64_t expireTimestamp = -1; // v1 only
    friend bool operator==(const OffsetCommitValue&, const OffsetCommitValue&) = default;
};

struct GroupMetadataKey {
    std::string group;
    friend bool operator==(const GroupMetadataKey&, const GroupMetadataKey&) = default;
};

struct GroupMemberMetadata {
    std::string memberId;
    std::optional<std::string> groupInstanceId; // v3+
    std::string clientId;
    std::string clientHost;
    std::int32_t rebalanceTimeout = 0; // v1+ (v0: equals the session timeout)
    std::int32_t sessionTimeout = 0;
    std::vector<std::uint8_t> subscription;
    std::vector<std::uint8_t> assignment;
    friend bool operator==(const GroupMemberMetadata&, const GroupMemberMetadata&) = default;
};

struct GroupMetadataValue {
    std::string protocolType;
    std::int32_t generation = 0;
    std::optional<std::string> protocol;
    std::optional<std::string> leader;
    std::int64_t currentStateTimestamp = -1; // v2+
    std::vector<GroupMemberMetadata> members;
    friend bool operator==(const GroupMetadataValue&, const GroupMetadataValue&) = default;
};

using OffsetsRecordKey = std::variant<OffsetCommitKey, GroupMetadataKey>;

inline constexpr std::int16_t kOffsetCommitKeyVersion = 1;
inline constexpr std::int16_t kOffsetCommitValueVersion = 3;
inline constexpr std::int16_t kGroupMetadataKeyVersion = 2;
inline constexpr std::int16_t kGroupMetadataValueVersion = 3;

[[nodiscard]] std::vector<std::uint8_t> encodeOffsetCommitKey(const OffsetCommitKey& key);
[[nodiscard]] std::vector<std::uint8_t> encodeOffsetCommitValue(const OffsetCommitValue& value);
[[nodiscard]] std::vector<std::uint8_t> encodeGroupMetadataKey(const GroupMetadataKey& key);
[[nodiscard]] std::vector<std::uint8_t> encodeGroupMetadataValue(const GroupMetadataValue& value);

// Key versions 0 and 1 are offset commit keys, 2 a group metadata key; others are errors
// (newer record types, which the caller skips).
[[nodiscard]] std::expected<OffsetsRecordKey, protocol::Error>
decodeOffsetsKey(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::expected<OffsetCommitValue, protocol::Error>
decodeOffsetCommitValue(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::expected<GroupMetadataValue, protocol::Error>
decodeGroupMetadataValue(std::span<const std::uint8_t> bytes);

} // namespace faultline::broker
