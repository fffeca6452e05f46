// Topic and broker config definitions: names, types, defaults, validation (Kafka's names and
// defaults).
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/storage/log.h"

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::broker {

enum class ConfigType : std::int8_t {
    // values as DescribeConfigs v3+ reports ConfigType
    Unknown = 0,
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9
};

// DescribeConfigs' ConfigSource values
enum class ConfigSource : std::int8_t {
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6
};

struct ConfigDef {
    std::string name;
    ConfigType type = ConfigType::String;
    std::string defaultValue;  // Kafka's default, as text
    std::string brokerSynonym; // e.g. "log.retention.ms" for "retention.ms"; empty if none
    std::string documentation;
    bool readOnly = false;          // not changeable at runtime (DescribeConfigs' readOnly)
    std::optional<double> minValue; // numeric range, inclusive (Kafka's Range validators)
    std::optional<double> maxValue;
    std::vector<std::string> validValues; // allowed values (each element for a List), empty = any
    bool sensitive = false;
};

// Every topic-level config the engine knows, in a stable order (Kafka's names and defaults).
[[nodiscard]] std::span<const ConfigDef> topicConfigDefs();
[[nodiscard]] const ConfigDef* findTopicConfig(std::string_view name);
// Every broker-level config the engine reports (DescribeConfigs on a BROKER resource).
[[nodiscard]] std::span<const ConfigDef> brokerConfigDefs();
[[nodiscard]] const ConfigDef* findBrokerConfig(std::string_view name);

// Validates one topic config value: known name, right type, in range. InvalidConfig with a message.
[[nodiscard]] std::expected<void, protocol::Error> validateTopicConfig(std::string_view name,
                                                                       std::string_view value);
// Validates one broker config value (known name, type, range); readOnly ones are refused too.
[[nodiscard]] std::expected<void, protocol::Error> validateBrokerConfig(std::string_view name,
                                                                        std::string_view value);
// Validates a value against one definition's type, range and allowed values.
[[nodiscard]] std::expected<void, protocol::Error> validateConfigValue(const ConfigDef& def,
                                                                       std::string_view value);
// Validates a whole override set.
[[nodiscard]] std::expected<void, protocol::Error>
validateTopicConfigs(const std::map<std::string, std::string>& overrides);

// Broker-level values by where they come from, for the sources DescribeConfigs and CreateTopics
// report: the dynamic cluster-wide defaults (AlterConfigs on the broker resource,
// DYNAMIC_DEFAULT_BROKER_CONFIG) over the broker's startup properties (`--config`,
// STATIC_BROKER_CONFIG). The overloads taking one map read it as the dynamic layer; for values
// alone, pass the effective set (Cluster::brokerConfigs()).
struct BrokerConfigLayers {
    const std::map<std::string, std::string>& dynamicDefault;
    const std::map<std::string, std::string>& startup;
};

// The effective value of a topic config: the override, else the broker-level value of its synonym
// (from `brokerConfigs`), else the default. Source says which.
struct EffectiveConfig {
    std::string value;
    ConfigSource source = ConfigSource::DefaultConfig;
};
[[nodiscard]] EffectiveConfig
effectiveTopicConfig(const ConfigDef& def, const std::map<std::string, std::string>& overrides,
                     const std::map<std::string, std::string>& brokerConfigs);
[[nodiscard]] EffectiveConfig
effectiveTopicConfig(const ConfigDef& def, const std::map<std::string, std::string>& overrides,
                     const BrokerConfigLayers& broker);

// The effective value of a broker config: the override in `brokerConfigs`, else derived from a
// finer/coarser synonym (log.retention.ms from log.retention.hours ...), else the default.
[[nodiscard]] EffectiveConfig
effectiveBrokerConfig(const ConfigDef& def,
                      const std::map<std::string, std::string>& brokerConfigs);
[[nodiscard]] EffectiveConfig effectiveBrokerConfig(const ConfigDef& def,
                                                    const BrokerConfigLayers& broker);

// DescribeConfigs' synonyms of a topic config, most specific first: the topic override, then each
// broker synonym set dynamically, then each set at startup, then the default of the broker
// synonym (or of the topic config).
struct ConfigSynonym {
    std::string name;
    std::string value;
    ConfigSource source = ConfigSource::DefaultConfig;
};
[[nodiscard]] std::vector<ConfigSynonym>
topicConfigSynonyms(const ConfigDef& def, const std::map<std::string, std::string>& overrides,
                    const std::map<std::string, std::string>& brokerConfigs);
[[nodiscard]] std::vector<ConfigSynonym>
topicConfigSynonyms(const ConfigDef& def, const std::map<std::string, std::string>& overrides,
                    const BrokerConfigLayers& broker);
[[nodiscard]] std::vector<ConfigSynonym>
brokerConfigSynonyms(const ConfigDef& def, const std::map<std::string, std::string>& brokerConfigs);
[[nodiscard]] std::vector<ConfigSynonym> brokerConfigSynonyms(const ConfigDef& def,
                                                              const BrokerConfigLayers& broker);

// The storage settings of a topic from its overrides and the broker configs.
[[nodiscard]] storage::LogConfig
toLogConfig(const std::map<std::string, std::string>& overrides,
            const std::map<std::string, std::string>& brokerConfigs);

// Typed lookups of the effective value (min.insync.replicas, cleanup.policy ...).
[[nodiscard]] std::int64_t topicConfigInt(std::string_view name,
                                          const std::map<std::string, std::string>& overrides,
                                          const std::map<std::string, std::string>& brokerConfigs);
// Whether the effective cleanup.policy (a list: "delete", "compact" or both) names `policy`.
[[nodiscard]] bool cleanupPolicyIncludes(std::string_view policy,
                                         const std::map<std::string, std::string>& overrides,
                                         const std::map<std::string, std::string>& brokerConfigs);

// Topic name rules (Kafka's): 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
[[nodiscard]] std::expected<void, protocol::Error> validateTopicName(std::string_view name);

} // namespace faultline::broker
