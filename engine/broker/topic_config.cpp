// Kafka's topic and broker configs: names, types, defaults, broker synonyms and validation.
#include "engine/broker/topic_config.h"

#include "engine/protocol/compression.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace faultline::broker {

namespace {

using protocol::ErrorCode;
using protocol::makeError;

constexpr const char* kLongMax = "9223372036854775807";

const std::map<std::string, std::string> kNoConfigs;

ConfigDef def(std::string name, ConfigType type, std::string defaultValue, std::string synonym,
              std::string documentation) {
    ConfigDef d;
    d.name = std::move(name);
    d.type = type;
    d.defaultValue = std::move(defaultValue);
    d.brokerSynonym = std::move(synonym);
    d.documentation = std::move(documentation);
    return d;
}

ConfigDef atLeast(ConfigDef d, double minValue) {
    d.minValue = minValue;
    return d;
}

ConfigDef between(ConfigDef d, double minValue, double maxValue) {
    d.minValue = minValue;
    d.maxValue = maxValue;
    return d;
}

ConfigDef oneOf(ConfigDef d, std::vector<std::string> values) {
    d.validValues = std::move(values);
    return d;
}

ConfigDef readOnly(ConfigDef d) {
    d.readOnly = true;
    return d;
}

// compression.type's codec; nullopt for "producer" (the producer's codec is kept).
std::optional<protocol::Compression> compressionOf(std::string_view type) {
    using protocol::Compression;
    if (type == "uncompressed") {
        return Compression::None;
    }
    for (const Compression codec :
         {Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd}) {
        if (type == protocol::compressionName(codec)) {
            return codec;
        }
    }
    return std::nullopt;
}

const std::vector<std::string>& compressionTypes() {
    static const std::vector<std::string> types{"uncompressed", "zstd", "lz4",
                                                "snappy",       "gzip", "producer"};
    return types;
}

const std::vector<ConfigDef>& topicDefs() {
    using T = ConfigType;
    static const std::vector<ConfigDef> defs = [] {
        std::vector<ConfigDef> d;
        d.push_back(oneOf(def("cleanup.policy", T::List, "delete", "log.cleanup.policy",
                              "The retention policy of old segments: delete, compact or both."),
                          {"compact", "delete"}));
        d.push_back(oneOf(def("compression.type", T::String, "producer", "compression.type",
                              "The final compression of the topic's batches; 'producer' keeps the "
                              "producer's codec."),
                          compressionTypes()));
        d.push_back(atLeast(def("delete.retention.ms", T::Long, "86400000",
                                "log.cleaner.delete.retention.ms",
                                "How long delete tombstones are kept for compacted topics."),
                            0));
        d.push_back(
            atLeast(def("file.delete.delay.ms", T::Long, "60000", "log.segment.delete.delay.ms",
                        "How long to wait before deleting a file from the filesystem."),
                    0));
        d.push_back(atLeast(def("flush.messages", T::Long, kLongMax, "log.flush.interval.messages",
                                "Force an fsync after this many messages."),
                            1));
        d.push_back(atLeast(def("flush.ms", T::Long, kLongMax, "log.flush.interval.ms",
                                "Force an fsync after this much time (ms)."),
                            0));
        d.push_back(def("follower.replication.throttled.replicas", T::List, "", "",
                        "Replicas throttled on the follower side: '*' or partition:broker pairs."));
        d.push_back(atLeast(def("index.interval.bytes", T::Int, "4096", "log.index.interval.bytes",
                                "How often (bytes) an offset index entry is added."),
                            0));
        d.push_back(def("leader.replication.throttled.replicas", T::List, "", "",
                        "Replicas throttled on the leader side: '*' or partition:broker pairs."));
        d.push_back(atLeast(def("local.retention.bytes", T::Long, "-2", "log.local.retention.bytes",
                                "Local bytes kept before tiered deletion (-2: retention.bytes)."),
                            -2));
        d.push_back(atLeast(def("local.retention.ms", T::Long, "-2", "log.local.retention.ms",
                                "Local time kept before tiered deletion (-2: retention.ms)."),
                            -2));
        d.push_back(atLeast(def("max.compaction.lag.ms", T::Long, kLongMax,
                                "log.cleaner.max.compaction.lag.ms",
                                "The longest a message stays uncompacted."),
                            1));
        d.push_back(atLeast(def("max.message.bytes", T::Int, "1048588", "message.max.bytes",
                                "The largest record batch size allowed."),
                            0));
        d.push_back(def("message.downconversion.enable", T::Boolean, "true",
                        "log.message.downconversion.enable",
                        "Whether old-format fetch requests may be served by down-conversion."));
        d.push_back(
            def("message.format.version", T::String, "3.0-IV1", "log.message.format.version",
                "Deprecated: the message format version (record batch v2 is always used)."));
        d.push_back(atLeast(def("message.timestamp.difference.max.ms", T::Long, kLongMax,
                                "log.message.timestamp.difference.max.ms",
                                "Largest allowed difference between a record's timestamp and the "
                                "broker's clock (CreateTime)."),
                            0));
        d.push_back(oneOf(def("message.timestamp.type", T::String, "CreateTime",
                              "log.message.timestamp.type",
                              "Whether a record's timestamp is the producer's or the append time."),
                          {"CreateTime", "LogAppendTime"}));
        d.push_back(between(def("min.cleanable.dirty.ratio", T::Double, "0.5",
                                "log.cleaner.min.cleanable.ratio",
                                "The dirty ratio above which the log is compacted."),
                            0, 1));
        d.push_back(
            atLeast(def("min.compaction.lag.ms", T::Long, "0", "log.cleaner.min.compaction.lag.ms",
                        "The least time a message stays uncompacted."),
                    0));
        d.push_back(
            atLeast(def("min.insync.replicas", T::Int, "1", "min.insync.replicas",
                        "With acks=all, the fewest in-sync replicas that must acknowledge a "
                        "write."),
                    1));
        d.push_back(def("preallocate", T::Boolean, "false", "log.preallocate",
                        "Preallocate the file when creating a segment."));
        d.push_back(def("remote.storage.enable", T::Boolean, "false", "",
                        "Tiered storage for this topic (not supported by the sandbox)."));
        d.push_back(
            def("retention.bytes", T::Long, "-1", "log.retention.bytes",
                "Largest size of a partition's log before old segments go (-1: no limit)."));
        d.push_back(atLeast(def("retention.ms", T::Long, "604800000", "log.retention.ms",
                                "How long a log segment is kept (-1: no time limit)."),
                            -1));
        d.push_back(atLeast(def("segment.bytes", T::Int, "1073741824", "log.segment.bytes",
                                "The segment file size."),
                            14));
        d.push_back(
            atLeast(def("segment.index.bytes", T::Int, "10485760", "log.index.size.max.bytes",
                        "The size of the offset and time indexes."),
                    4));
        d.push_back(atLeast(def("segment.jitter.ms", T::Long, "0", "log.roll.jitter.ms",
                                "Largest random jitter subtracted from segment.ms."),
                            0));
        d.push_back(atLeast(def("segment.ms", T::Long, "604800000", "log.roll.ms",
                                "Roll a new segment after this much time even if not full."),
                            1));
        d.push_back(def("unclean.leader.election.enable", T::Boolean, "false",
                        "unclean.leader.election.enable",
                        "Allow replicas outside the ISR to be elected leader (may lose data)."));
        return d;
    }();
    return defs;
}

const std::vector<ConfigDef>& brokerDefs() {
    using T = ConfigType;
    // readOnly marks what the sandbox cannot change at runtime; it allows more dynamic changes than
    // Kafka (num.partitions, auto.create.topics.enable ...) because it is one process.
    static const std::vector<ConfigDef> defs = [] {
        std::vector<ConfigDef> d;
        d.push_back(readOnly(def("broker.id", T::Int, "-1", "", "The broker's id.")));
        d.push_back(readOnly(def("broker.rack", T::String, "", "",
                                 "The broker's rack; the sandbox writes FD<f>UD<u>.")));
        d.push_back(def("auto.create.topics.enable", T::Boolean, "true", "",
                        "Create a topic when a client asks for its metadata or produces to it."));
        // Sandbox defaults: Kafka's are 1 and 1; client test suites expect several partitions.
        d.push_back(atLeast(
            def("num.partitions", T::Int, "3", "", "Default partition count of new topics."), 1));
        d.push_back(
            atLeast(def("default.replication.factor", T::Int, "3", "",
                        "Default replication factor of new topics (capped to the brokers)."),
                    1));
        d.push_back(atLeast(def("min.insync.replicas", T::Int, "1", "",
                                "With acks=all, the fewest in-sync replicas that must acknowledge "
                                "a write."),
                            1));
        d.push_back(readOnly(atLeast(def("num.recovery.threads.per.data.dir", T::Int, "2", "",
                                         "Threads per broker that open (and recover) its logs "
                                         "at start-up."),
                                     1)));
        d.push_back(readOnly(atLeast(def("offsets.topic.num.partitions", T::Int, "50", "",
                                         "Partitions of __consumer_offsets."),
                                     1)));
        d.push_back(readOnly(atLeast(def("offsets.topic.replication.factor", T::Short, "3", "",
                                         "Replication factor of __consumer_offsets."),
                                     1)));
        d.push_back(atLeast(def("replica.lag.time.max.ms", T::Long, "30000", "",
                                "A follower that has not caught up for this long leaves the ISR."),
                            1));
        d.push_back(
            atLeast(def("log.retention.ms", T::Long, "604800000", "",
                        "How long segments are kept (overrides log.retention.minutes/hours)."),
                    -1));
        d.push_back(def("log.retention.minutes", T::Int, "10080", "",
                        "How long segments are kept, in minutes (overrides log.retention.hours)."));
        d.push_back(
            def("log.retention.hours", T::Int, "168", "", "How long segments are kept, in hours."));
        d.push_back(def("log.retention.bytes", T::Long, "-1", "",
                        "Largest size of a partition's log before old segments go."));
        d.push_back(atLeast(
            def("log.segment.bytes", T::Int, "1073741824", "", "The segment file size."), 14));
        d.push_back(atLeast(def("log.retention.check.interval.ms", T::Long, "300000", "",
                                "How often logs are checked for segments to delete by retention."),
                            1));
        d.push_back(
            atLeast(def("log.roll.ms", T::Long, "604800000", "",
                        "Roll a new segment after this much time (overrides log.roll.hours)."),
                    1));
        d.push_back(atLeast(
            def("log.roll.hours", T::Int, "168", "", "Roll a new segment after this many hours."),
            1));
        d.push_back(atLeast(def("log.roll.jitter.ms", T::Long, "0", "",
                                "Largest random jitter subtracted from the roll time."),
                            0));
        d.push_back(atLeast(def("log.roll.jitter.hours", T::Int, "0", "",
                                "Largest random jitter subtracted from the roll time, in hours."),
                            0));
        d.push_back(oneOf(def("log.cleanup.policy", T::List, "delete", "",
                              "The default cleanup policy of topics."),
                          {"compact", "delete"}));
        d.push_back(atLeast(def("log.index.interval.bytes", T::Int, "4096", "",
                                "How often (bytes) an offset index entry is added."),
                            0));
        d.push_back(atLeast(def("log.index.size.max.bytes", T::Int, "10485760", "",
                                "The size of the offset and time indexes."),
                            4));
        d.push_back(atLeast(def("log.cleaner.delete.retention.ms", T::Long, "86400000", "",
                                "How long delete tombstones are kept."),
                            0));
        d.push_back(atLeast(def("log.cleaner.min.compaction.lag.ms", T::Long, "0", "",
                                "The least time a message stays uncompacted."),
                            0));
        d.push_back(atLeast(def("log.cleaner.max.compaction.lag.ms", T::Long, kLongMax, "",
                                "The longest a message stays uncompacted."),
                            1));
        d.push_back(between(def("log.cleaner.min.cleanable.ratio", T::Double, "0.5", "",
                                "The dirty ratio above which a log is compacted."),
                            0, 1));
        d.push_back(atLeast(def("log.segment.delete.delay.ms", T::Long, "60000", "",
                                "How long to wait before deleting a file."),
                            0));
        d.push_back(def("log.preallocate", T::Boolean, "false", "", "Preallocate segment files."));
        d.push_back(def("log.message.format.version", T::String, "3.0-IV1", "",
                        "Deprecated: the message format version."));
        d.push_back(atLeast(def("log.message.timestamp.difference.max.ms", T::Long, kLongMax, "",
                                "Largest allowed difference between a record's timestamp and the "
                                "broker's clock."),
                            0));
        d.push_back(def("log.message.downconversion.enable", T::Boolean, "true", "",
                        "Whether down-conversion of fetch responses is allowed."));
        d.push_back(atLeast(def("log.local.retention.bytes", T::Long, "-2", "",
                                "Local bytes kept before tiered deletion."),
                            -2));
        d.push_back(atLeast(def("log.local.retention.ms", T::Long, "-2", "",
                                "Local time kept before tiered deletion."),
                            -2));
        d.push_back(atLeast(def("message.max.bytes", T::Int, "1048588", "",
                                "The largest record batch size allowed."),
                            0));
        d.push_back(atLeast(def("socket.request.max.bytes", T::Int, "104857600", "",
                                "The largest request the broker accepts."),
                            1));
        // Sandbox default 0: tests and laptops want fast group joins; Kafka's default is 3000 ms,
        // which makes every first consumer of a group wait three seconds.
        d.push_back(atLeast(def("group.initial.rebalance.delay.ms", T::Int, "0", "",
                                "How long the coordinator waits for more members to join a new "
                                "group before the first rebalance."),
                            0));
        d.push_back(atLeast(def("group.min.session.timeout.ms", T::Int, "6000", "",
                                "The smallest session timeout a member may ask for."),
                            0));
        d.push_back(atLeast(def("group.max.session.timeout.ms", T::Int, "1800000", "",
                                "The largest session timeout a member may ask for."),
                            0));
        d.push_back(atLeast(def("leader.replication.throttled.rate", T::Long, kLongMax, "",
                                "Replication throttle on the leader side (bytes/s)."),
                            0));
        d.push_back(atLeast(def("follower.replication.throttled.rate", T::Long, kLongMax, "",
                                "Replication throttle on the follower side (bytes/s)."),
                            0));
        d.push_back(atLeast(def("log.flush.interval.messages", T::Long, kLongMax, "",
                                "Force an fsync after this many messages."),
                            1));
        d.push_back(atLeast(def("log.flush.interval.ms", T::Long, kLongMax, "",
                                "Force an fsync after this much time (ms)."),
                            0));
        d.push_back(
            def("delete.topic.enable", T::Boolean, "true", "", "Whether topics may be deleted."));
        d.push_back(oneOf(def("log.message.timestamp.type", T::String, "CreateTime", "",
                              "Default timestamp type of topics."),
                          {"CreateTime", "LogAppendTime"}));
        d.push_back(oneOf(def("compression.type", T::String, "producer", "",
                              "Default final compression of topics."),
                          compressionTypes()));
        d.push_back(def("unclean.leader.election.enable", T::Boolean, "false", "",
                        "Allow replicas outside the ISR to be elected leader."));
        return d;
    }();
    return defs;
}

// A broker config and the coarser configs it falls back to, with the factor that converts each into
// the first one's unit (log.retention.ms <- log.retention.minutes * 60000 <- log.retention.hours
// ...).
struct ChainLink {
    const char* name;
    std::int64_t factor;
};

std::vector<ChainLink> brokerChain(std::string_view name) {
    if (name == "log.retention.ms") {
        return {{"log.retention.ms", 1},
                {"log.retention.minutes", 60'000},
                {"log.retention.hours", 3'600'000}};
    }
    if (name == "log.retention.minutes") {
        return {{"log.retention.minutes", 1}, {"log.retention.hours", 60}};
    }
    if (name == "log.roll.ms") {
        return {{"log.roll.ms", 1}, {"log.roll.hours", 3'600'000}};
    }
    if (name == "log.roll.jitter.ms") {
        return {{"log.roll.jitter.ms", 1}, {"log.roll.jitter.hours", 3'600'000}};
    }
    return {};
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<std::int64_t> parseInt(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> parseDouble(std::string_view s) {
    s = trim(s);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::optional<bool> parseBool(std::string_view s) {
    s = trim(s);
    std::string lower(s);
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true") {
        return true;
    }
    if (lower == "false") {
        return false;
    }
    return std::nullopt;
}

std::vector<std::string_view> splitList(std::string_view s) {
    std::vector<std::string_view> items;
    s = trim(s);
    if (s.empty()) {
        return items;
    }
    std::size_t start = 0;
    while (true) {
        const auto comma = s.find(',', start);
        items.push_back(
            trim(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start)));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return items;
}

std::string numberText(double v) {
    if (v == std::floor(v) && std::abs(v) < 9.0e15) {
        return std::to_string(static_cast<std::int64_t>(v));
    }
    return std::to_string(v);
}

protocol::Error invalidValue(const ConfigDef& d, std::string_view value, std::string_view reason) {
    return makeError(ErrorCode::InvalidConfig, "Invalid value " + std::string(value) +
                                                   " for configuration " + d.name + ": " +
                                                   std::string(reason));
}

bool isThrottledReplicaList(std::string_view name) {
    return name == "leader.replication.throttled.replicas" ||
           name == "follower.replication.throttled.replicas";
}

std::string lookup(const std::map<std::string, std::string>& m, std::string_view key, bool& found) {
    const auto it = m.find(std::string(key));
    found = it != m.end();
    return found ? it->second : std::string();
}

// The value of `link` scaled to the chain head's unit; the raw text when the factor is 1.
std::string scaled(const std::string& raw, std::int64_t factor) {
    if (factor == 1) {
        return raw;
    }
    const auto v = parseInt(raw);
    if (!v) {
        return raw;
    }
    if (*v > std::numeric_limits<std::int64_t>::max() / factor ||
        *v < std::numeric_limits<std::int64_t>::min() / factor) {
        return *v < 0 ? "-1" : kLongMax;
    }
    return std::to_string(*v * factor);
}

const ConfigDef* findIn(const std::vector<ConfigDef>& defs, std::string_view name) {
    const auto it = std::ranges::find(defs, name, &ConfigDef::name);
    return it == defs.end() ? nullptr : &*it;
}

// The broker names a topic config falls back to, most specific first.
std::vector<ChainLink> topicChain(const ConfigDef& d) {
    if (d.brokerSynonym.empty()) {
        return {};
    }
    auto chain = brokerChain(d.brokerSynonym);
    if (chain.empty()) {
        chain.push_back({d.brokerSynonym.c_str(), 1});
    }
    return chain;
}

} // namespace

std::span<const ConfigDef> topicConfigDefs() {
    return topicDefs();
}

const ConfigDef* findTopicConfig(std::string_view name) {
    return findIn(topicDefs(), name);
}

std::span<const ConfigDef> brokerConfigDefs() {
    return brokerDefs();
}

const ConfigDef* findBrokerConfig(std::string_view name) {
    return findIn(brokerDefs(), name);
}

std::expected<void, protocol::Error> validateConfigValue(const ConfigDef& d,
                                                         std::string_view value) {
    switch (d.type) {
    case ConfigType::Boolean:
        if (!parseBool(value)) {
            return std::unexpected(
                invalidValue(d, value, "Expected value to be either true or false"));
        }
        break;
    case ConfigType::Short:
    case ConfigType::Int:
    case ConfigType::Long: {
        const auto v = parseInt(value);
        const bool isShort = d.type == ConfigType::Short;
        const bool isInt = d.type == ConfigType::Int;
        if (!v ||
            (isShort && (*v < std::numeric_limits<std::int16_t>::min() ||
                         *v > std::numeric_limits<std::int16_t>::max())) ||
            (isInt && (*v < std::numeric_limits<std::int32_t>::min() ||
                       *v > std::numeric_limits<std::int32_t>::max()))) {
            const char* what = isShort ? "a 16-bit integer"
                               : isInt ? "a 32-bit integer"
                                       : "a 64-bit integer";
            return std::unexpected(invalidValue(d, value,
                                                std::string("Not a number of type ") +
                                                    (isShort ? "SHORT"
                                                     : isInt ? "INT"
                                                             : "LONG") +
                                                    " (expected " + what + ")"));
        }
        if (d.minValue && *v < static_cast<std::int64_t>(*d.minValue)) {
            return std::unexpected(
                invalidValue(d, value, "Value must be at least " + numberText(*d.minValue)));
        }
        if (d.maxValue && *v > static_cast<std::int64_t>(*d.maxValue)) {
            return std::unexpected(
                invalidValue(d, value, "Value must be no more than " + numberText(*d.maxValue)));
        }
        break;
    }
    case ConfigType::Double: {
        const auto v = parseDouble(value);
        if (!v) {
            return std::unexpected(invalidValue(d, value, "Not a number of type DOUBLE"));
        }
        if (d.minValue && *v < *d.minValue) {
            return std::unexpected(
                invalidValue(d, value, "Value must be at least " + numberText(*d.minValue)));
        }
        if (d.maxValue && *v > *d.maxValue) {
            return std::unexpected(
                invalidValue(d, value, "Value must be no more than " + numberText(*d.maxValue)));
        }
        break;
    }
    case ConfigType::List: {
        const auto items = splitList(value);
        if (isThrottledReplicaList(d.name)) {
            if (items.size() == 1 && items.front() == "*") {
                break;
            }
            for (auto item : items) {
                const auto colon = item.find(':');
                if (colon == std::string_view::npos || !parseInt(item.substr(0, colon)) ||
                    !parseInt(item.substr(colon + 1)) || item.substr(0, colon).empty()) {
                    return std::unexpected(invalidValue(
                        d, value,
                        "must be the literal '*' or a list of replicas in the following format: "
                        "[partitionId]:[brokerId],[partitionId]:[brokerId],..."));
                }
            }
            break;
        }
        if (!d.validValues.empty()) {
            if (items.empty()) {
                return std::unexpected(invalidValue(d, value, "Empty list"));
            }
            for (auto item : items) {
                if (std::ranges::find(d.validValues, item) == d.validValues.end()) {
                    return std::unexpected(invalidValue(
                        d, value, "String must be one of: " + [&] {
                            std::string all;
                            for (const auto& v : d.validValues) {
                                all += (all.empty() ? "" : ", ") + v;
                            }
                            return all;
                        }()));
                }
            }
        }
        break;
    }
    default:
        if (!d.validValues.empty() &&
            std::ranges::find(d.validValues, trim(value)) == d.validValues.end()) {
            std::string all;
            for (const auto& v : d.validValues) {
                all += (all.empty() ? "" : ", ") + v;
            }
            return std::unexpected(invalidValue(d, value, "String must be one of: " + all));
        }
        break;
    }
    return {};
}

std::expected<void, protocol::Error> validateTopicConfig(std::string_view name,
                                                         std::string_view value) {
    const ConfigDef* d = findTopicConfig(name);
    if (d == nullptr) {
        return std::unexpected(
            makeError(ErrorCode::InvalidConfig, "Unknown topic config name: " + std::string(name)));
    }
    return validateConfigValue(*d, value);
}

std::expected<void, protocol::Error> validateBrokerConfig(std::string_view name,
                                                          std::string_view value) {
    const ConfigDef* d = findBrokerConfig(name);
    if (d == nullptr) {
        return std::unexpected(makeError(ErrorCode::InvalidConfig,
                                         "Unknown broker config name: " + std::string(name)));
    }
    if (d->readOnly) {
        return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                         "Cannot update these configs dynamically: " + d->name));
    }
    return validateConfigValue(*d, value);
}

std::expected<void, protocol::Error>
validateTopicConfigs(const std::map<std::string, std::string>& overrides) {
    for (const auto& [name, value] : overrides) {
        if (auto ok = validateTopicConfig(name, value); !ok) {
            return ok;
        }
    }
    return {};
}

namespace {

// The value of broker config `name` and the layer it comes from: a dynamic value wins over the
// startup one (Kafka layers its dynamic configs over server.properties).
std::optional<ConfigSynonym> lookupBroker(const BrokerConfigLayers& layers, std::string_view name) {
    bool found = false;
    if (auto v = lookup(layers.dynamicDefault, name, found); found) {
        return ConfigSynonym{std::string(name), std::move(v),
                             ConfigSource::DynamicDefaultBrokerConfig};
    }
    if (auto v = lookup(layers.startup, name, found); found) {
        return ConfigSynonym{std::string(name), std::move(v), ConfigSource::StaticBrokerConfig};
    }
    return std::nullopt;
}

EffectiveConfig firstSet(const std::vector<ChainLink>& chain, const BrokerConfigLayers& layers,
                         const std::string& defaultValue) {
    for (const auto& link : chain) {
        if (auto set = lookupBroker(layers, link.name)) {
            return {scaled(set->value, link.factor), set->source};
        }
    }
    return {defaultValue, ConfigSource::DefaultConfig};
}

// Kafka's order (DescribeConfigs' synonyms): every set name of the chain from the dynamic
// layer, then every one from the startup layer, then the default of the chain's last name.
void appendBrokerSynonyms(const std::vector<ChainLink>& chain, const BrokerConfigLayers& layers,
                          const std::string& fallbackDefault, std::vector<ConfigSynonym>& out) {
    for (const auto* layer : {&layers.dynamicDefault, &layers.startup}) {
        const auto source = layer == &layers.dynamicDefault
                                ? ConfigSource::DynamicDefaultBrokerConfig
                                : ConfigSource::StaticBrokerConfig;
        for (const auto& link : chain) {
            bool found = false;
            if (auto v = lookup(*layer, link.name, found); found) {
                out.push_back({link.name, std::move(v), source});
            }
        }
    }
    const ConfigDef* last = findBrokerConfig(chain.back().name);
    out.push_back({chain.back().name, last != nullptr ? last->defaultValue : fallbackDefault,
                   ConfigSource::DefaultConfig});
}

std::vector<ChainLink> brokerChainOf(const ConfigDef& d) {
    auto chain = brokerChain(d.name);
    if (chain.empty()) {
        chain.push_back({d.name.c_str(), 1});
    }
    return chain;
}

} // namespace

EffectiveConfig effectiveTopicConfig(const ConfigDef& d,
                                     const std::map<std::string, std::string>& overrides,
                                     const std::map<std::string, std::string>& brokerConfigs) {
    return effectiveTopicConfig(d, overrides, BrokerConfigLayers{brokerConfigs, kNoConfigs});
}

EffectiveConfig effectiveTopicConfig(const ConfigDef& d,
                                     const std::map<std::string, std::string>& overrides,
                                     const BrokerConfigLayers& broker) {
    bool found = false;
    if (auto v = lookup(overrides, d.name, found); found) {
        return {std::move(v), ConfigSource::DynamicTopicConfig};
    }
    return firstSet(topicChain(d), broker, d.defaultValue);
}

EffectiveConfig effectiveBrokerConfig(const ConfigDef& d,
                                      const std::map<std::string, std::string>& brokerConfigs) {
    return effectiveBrokerConfig(d, BrokerConfigLayers{brokerConfigs, kNoConfigs});
}

EffectiveConfig effectiveBrokerConfig(const ConfigDef& d, const BrokerConfigLayers& broker) {
    return firstSet(brokerChainOf(d), broker, d.defaultValue);
}

std::vector<ConfigSynonym>
topicConfigSynonyms(const ConfigDef& d, const std::map<std::string, std::string>& overrides,
                    const std::map<std::string, std::string>& brokerConfigs) {
    return topicConfigSynonyms(d, overrides, BrokerConfigLayers{brokerConfigs, kNoConfigs});
}

std::vector<ConfigSynonym> topicConfigSynonyms(const ConfigDef& d,
                                               const std::map<std::string, std::string>& overrides,
                                               const BrokerConfigLayers& broker) {
    std::vector<ConfigSynonym> out;
    bool found = false;
    if (auto v = lookup(overrides, d.name, found); found) {
        out.push_back({d.name, std::move(v), ConfigSource::DynamicTopicConfig});
    }
    const auto chain = topicChain(d);
    if (chain.empty()) {
        out.push_back({d.name, d.defaultValue, ConfigSource::DefaultConfig});
        return out;
    }
    appendBrokerSynonyms(chain, broker, d.defaultValue, out);
    return out;
}

std::vector<ConfigSynonym>
brokerConfigSynonyms(const ConfigDef& d, const std::map<std::string, std::string>& brokerConfigs) {
    return brokerConfigSynonyms(d, BrokerConfigLayers{brokerConfigs, kNoConfigs});
}

std::vector<ConfigSynonym> brokerConfigSynonyms(const ConfigDef& d,
                                                const BrokerConfigLayers& broker) {
    std::vector<ConfigSynonym> out;
    appendBrokerSynonyms(brokerChainOf(d), broker, d.defaultValue, out);
    return out;
}

bool cleanupPolicyIncludes(std::string_view policy,
                           const std::map<std::string, std::string>& overrides,
                           const std::map<std::string, std::string>& brokerConfigs) {
    return effectiveTopicConfig(*findTopicConfig("cleanup.policy"), overrides, brokerConfigs)
               .value.find(policy) != std::string::npos;
}

std::int64_t topicConfigInt(std::string_view name,
                            const std::map<std::string, std::string>& overrides,
                            const std::map<std::string, std::string>& brokerConfigs) {
    const ConfigDef* d = findTopicConfig(name);
    if (d == nullptr) {
        return 0;
    }
    const auto effective = effectiveTopicConfig(*d, overrides, brokerConfigs);
    if (d->type == ConfigType::Boolean) {
        return parseBool(effective.value).value_or(false) ? 1 : 0;
    }
    if (auto v = parseInt(effective.value)) {
        return *v;
    }
    // An unparsable value (never accepted by validation) falls back to Kafka's default.
    return parseInt(d->defaultValue).value_or(0);
}

storage::LogConfig toLogConfig(const std::map<std::string, std::string>& overrides,
                               const std::map<std::string, std::string>& brokerConfigs) {
    storage::LogConfig config;
    const auto get = [&](std::string_view name) {
        return topicConfigInt(name, overrides, brokerConfigs);
    };
    config.segmentBytes = static_cast<decltype(config.segmentBytes)>(get("segment.bytes"));
    config.segmentMs = static_cast<decltype(config.segmentMs)>(get("segment.ms"));
    config.retentionMs = static_cast<decltype(config.retentionMs)>(get("retention.ms"));
    config.retentionBytes = static_cast<decltype(config.retentionBytes)>(get("retention.bytes"));
    config.flushMessages = static_cast<decltype(config.flushMessages)>(get("flush.messages"));
    config.flushMs = static_cast<decltype(config.flushMs)>(get("flush.ms"));
    config.maxMessageBytes =
        static_cast<decltype(config.maxMessageBytes)>(get("max.message.bytes"));
    config.indexIntervalBytes =
        static_cast<decltype(config.indexIntervalBytes)>(get("index.interval.bytes"));
    const ConfigDef* type = findTopicConfig("message.timestamp.type");
    config.logAppendTime =
        effectiveTopicConfig(*type, overrides, brokerConfigs).value == "LogAppendTime";
    config.messageTimestampDifferenceMaxMs = get("message.timestamp.difference.max.ms");
    config.compression = compressionOf(
        effectiveTopicConfig(*findTopicConfig("compression.type"), overrides, brokerConfigs).value);
    config.cleanupDelete = cleanupPolicyIncludes("delete", overrides, brokerConfigs);
    config.cleanupCompact = cleanupPolicyIncludes("compact", overrides, brokerConfigs);
    return config;
}

std::expected<void, protocol::Error> validateTopicName(std::string_view name) {
    if (name.empty()) {
        return std::unexpected(makeError(ErrorCode::InvalidTopicException,
                                         "Topic name is illegal, it can't be empty"));
    }
    if (name == "." || name == "..") {
        return std::unexpected(
            makeError(ErrorCode::InvalidTopicException, "Topic name cannot be \".\" or \"..\""));
    }
    if (name.size() > 249) {
        return std::unexpected(makeError(
            ErrorCode::InvalidTopicException,
            "Topic name is illegal, it can't be longer than 249 characters, topic name: " +
                std::string(name)));
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return std::unexpected(makeError(
                ErrorCode::InvalidTopicException,
                "Topic name \"" + std::string(name) +
                    "\" is illegal, it contains a character other than ASCII alphanumerics, '.', "
                    "'_' and '-'"));
        }
    }
    return {};
}

} // namespace faultline::broker
