// DescribeConfigs (key 32), v0-4: TOPIC (2) and BROKER (4) resources, every config with its value,
// source, synonyms (v1+, when asked), type and documentation (v3+).
#include "engine/protocol/messages/describe_configs.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/topic_config.h"

#include <charconv>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::DescribeConfigsRequest;
using protocol::DescribeConfigsResponse;
using protocol::ErrorCode;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;

constexpr std::int8_t kTopic = 2;
constexpr std::int8_t kBroker = 4;
constexpr std::int8_t kBrokerLogger = 8;

struct Options {
    const std::optional<std::vector<std::string>>& keys;
    bool synonyms;
    bool documentation;
};

bool wanted(const Options& options, const std::string& name) {
    return !options.keys || std::ranges::find(*options.keys, name) != options.keys->end();
}

Entry makeEntry(const ConfigDef& def, std::string value, ConfigSource source,
                const std::vector<ConfigSynonym>& synonyms, const Options& options) {
    Entry entry;
    entry.name = def.name;
    entry.value = def.sensitive ? std::optional<std::string>() : std::optional<std::string>(value);
    entry.readOnly = def.readOnly;
    entry.isDefault = source == ConfigSource::DefaultConfig;
    entry.configSource = static_cast<std::int8_t>(source);
    entry.isSensitive = def.sensitive;
    if (options.synonyms) {
        for (const auto& s : synonyms) {
            DescribeConfigsResponse::DescribeConfigsSynonym synonym;
            synonym.name = s.name;
            synonym.value = s.value;
            synonym.source = static_cast<std::int8_t>(s.source);
            entry.synonyms.push_back(std::move(synonym));
        }
    }
    entry.configType = static_cast<std::int8_t>(def.type);
    if (options.documentation) {
        entry.documentation = def.documentation;
    } else {
        entry.documentation = std::nullopt;
    }
    return entry;
}

void describeTopic(const Cluster& cluster, const TopicMeta& topic, const Options& options,
                   DescribeConfigsResponse::DescribeConfigsResult& result) {
    const BrokerConfigLayers broker{cluster.dynamicBrokerConfigs(), cluster.staticBrokerConfigs()};
    for (const auto& def : topicConfigDefs()) {
        if (!wanted(options, def.name)) {
            continue;
        }
        const auto effective = effectiveTopicConfig(def, topic.configs, broker);
        result.configs.push_back(makeEntry(def, effective.value, effective.source,
                                           topicConfigSynonyms(def, topic.configs, broker),
                                           options));
    }
}

// broker == nullptr: the cluster-wide default resource (""), which lists only the configs set
// there (dynamically, as Kafka's lists its dynamic default configs, not the startup ones).
void describeBroker(const Cluster& cluster, const BrokerInfo* broker, const Options& options,
                    DescribeConfigsResponse::DescribeConfigsResult& result) {
    const BrokerConfigLayers layers{cluster.dynamicBrokerConfigs(), cluster.staticBrokerConfigs()};
    for (const auto& def : brokerConfigDefs()) {
        if (!wanted(options, def.name)) {
            continue;
        }
        if (def.name == "broker.id" || def.name == "broker.rack") {
            if (broker == nullptr) {
                continue;
            }
            const std::string value =
                def.name == "broker.id" ? std::to_string(broker->id) : broker->rack;
            result.configs.push_back(
                makeEntry(def, value, ConfigSource::StaticBrokerConfig,
                          {{def.name, value, ConfigSource::StaticBrokerConfig}}, options));
            continue;
        }
        const auto effective = effectiveBrokerConfig(def, layers);
        if (broker == nullptr && effective.source != ConfigSource::DynamicDefaultBrokerConfig) {
            continue;
        }
        auto synonyms = brokerConfigSynonyms(def, layers);
        if (broker == nullptr) {
            std::erase_if(synonyms,
                          [](const auto& s) { return s.source == ConfigSource::DefaultConfig; });
        }
        result.configs.push_back(
            makeEntry(def, effective.value, effective.source, synonyms, options));
    }
}

} // namespace

void describeConfigs(RequestContext& ctx, Responder respond) {
    DescribeConfigsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    const Cluster& cluster = ctx.cluster;
    const auto version = ctx.header.apiVersion;
    DescribeConfigsResponse response;
    for (const auto& resource : request.resources) {
        DescribeConfigsResponse::DescribeConfigsResult result;
        result.resourceType = resource.resourceType;
        result.resourceName = resource.resourceName;
        result.errorMessage = std::nullopt;
        const Options options{resource.configurationKeys, version >= 1 && request.includeSynonyms,
                              version >= 3 && request.includeDocumentation};
        const auto fail = [&](ErrorCode code, std::string message) {
            result.errorCode = protocol::toInt(code);
            result.errorMessage = std::move(message);
            result.configs.clear();
        };
        result.errorCode = 0;
        if (resource.resourceType == kTopic) {
            if (auto ok = validateTopicName(resource.resourceName); !ok) {
                fail(ok.error().code, ok.error().message);
            } else if (const TopicMeta* topic = cluster.topic(resource.resourceName);
                       topic == nullptr) {
                fail(ErrorCode::UnknownTopicOrPartition,
                     "The topic '" + resource.resourceName + "' does not exist.");
            } else {
                describeTopic(cluster, *topic, options, result);
            }
        } else if (resource.resourceType == kBroker) {
            if (resource.resourceName.empty()) {
                describeBroker(cluster, nullptr, options, result);
            } else {
                std::int32_t id = -1;
                const auto& name = resource.resourceName;
                const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
                if (ec != std::errc{} || ptr != name.data() + name.size()) {
                    fail(ErrorCode::InvalidRequest,
                         "Broker id must be an integer, but it is: " + name);
                } else if (const BrokerInfo* broker = cluster.broker(id); broker == nullptr) {
                    fail(ErrorCode::InvalidRequest, "Unexpected broker id, expected " +
                                                        std::to_string(ctx.brokerId) +
                                                        " or empty string, but received " + name);
                } else {
                    describeBroker(cluster, broker, options, result);
                }
            }
        } else if (resource.resourceType == kBrokerLogger) {
            fail(ErrorCode::InvalidRequest, "Broker loggers are not supported by this broker.");
        } else {
            fail(ErrorCode::InvalidRequest,
                 "Unsupported resource type " + std::to_string(resource.resourceType) + ".");
        }
        response.results.push_back(std::move(result));
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
