// IncrementalAlterConfigs (key 44), v0-1: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3, list
// configs only) on a TOPIC (2) or on the brokers (BROKER 4), applied to the current override set.
#include "engine/protocol/messages/incremental_alter_configs.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/topic_config.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::ErrorCode;
using protocol::IncrementalAlterConfigsRequest;
using protocol::IncrementalAlterConfigsResponse;
using protocol::makeError;

constexpr std::int8_t kTopic = 2;
constexpr std::int8_t kBroker = 4;

enum Op : std::int8_t { Set = 0, Delete = 1, Append = 2, Subtract = 3 };

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size() && !text.empty()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        std::string item = text.substr(start, comma - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            items.push_back(std::move(item));
        }
        start = comma + 1;
    }
    return items;
}

std::string joinList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ",") + item;
    }
    return out;
}

// Applies the operations to `current` (the override set); `def` finds a config's definition and
// `effective` its current value (for APPEND / SUBTRACT on a config that has no override).
template <typename FindDef, typename Effective>
std::expected<void, protocol::Error>
applyOps(const IncrementalAlterConfigsRequest::AlterConfigsResource& resource,
         std::map<std::string, std::string>& current, FindDef findDef, Effective effective) {
    std::set<std::string> seen;
    for (const auto& c : resource.configs) {
        if (!seen.insert(c.name).second) {
            return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                             "Error due to duplicate config keys: " + c.name));
        }
        const ConfigDef* def = findDef(c.name);
        if (def == nullptr) {
            return std::unexpected(
                makeError(ErrorCode::InvalidConfig,
                          (resource.resourceType == kTopic ? "Unknown topic config name: "
                                                           : "Unknown broker config name: ") +
                              c.name));
        }
        switch (c.configOperation) {
        case Set:
            if (!c.value) {
                return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                                 "Null value not supported for : " + c.name));
            }
            current[c.name] = *c.value;
            break;
        case Delete:
            current.erase(c.name);
            break;
        case Append:
        case Subtract: {
            if (def->type != ConfigType::List) {
                return std::unexpected(
                    makeError(ErrorCode::InvalidConfig,
                              std::string("Config value ") +
                                  (c.configOperation == Append ? "append" : "subtract") +
                                  " is not allowed for config key: " + c.name));
            }
            const auto it = current.find(c.name);
            auto items = splitList(it != current.end() ? it->second : effective(*def));
            for (auto& value : splitList(c.value.value_or(""))) {
                const auto found = std::ranges::find(items, value);
                if (c.configOperation == Append && found == items.end()) {
                    items.push_back(std::move(value));
                } else if (c.configOperation == Subtract && found != items.end()) {
                    items.erase(found);
                }
            }
            current[c.name] = joinList(items);
            break;
        }
        default:
            return std::unexpected(
                makeError(ErrorCode::InvalidRequest, "Unknown config operation " +
                                                         std::to_string(c.configOperation) +
                                                         " for " + c.name));
        }
    }
    return {};
}

std::expected<void, protocol::Error>
alter(Cluster& cluster, const IncrementalAlterConfigsRequest::AlterConfigsResource& resource,
      bool validateOnly) {
    if (resource.resourceType == kTopic) {
        if (auto ok = validateTopicName(resource.resourceName); !ok) {
            return ok;
        }
        const TopicMeta* topic = cluster.topic(resource.resourceName);
        if (topic == nullptr) {
            return std::unexpected(
                makeError(ErrorCode::UnknownTopicOrPartition,
                          "The topic '" + resource.resourceName + "' does not exist."));
        }
        auto configs = topic->configs;
        auto applied = applyOps(resource, configs, findTopicConfig, [&](const ConfigDef& def) {
            return effectiveTopicConfig(def, topic->configs, cluster.brokerConfigs()).value;
        });
        if (!applied) {
            return applied;
        }
        if (auto ok = validateTopicConfigs(configs); !ok) {
            return ok;
        }
        return cluster.alterTopicConfigs(resource.resourceName, std::move(configs), validateOnly);
    }
    if (resource.resourceType == kBroker) {
        const auto& name = resource.resourceName;
        if (!name.empty()) {
            std::int32_t id = -1;
            const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
            if (ec != std::errc{} || ptr != name.data() + name.size()) {
                return std::unexpected(makeError(
                    ErrorCode::InvalidRequest, "Broker id must be an integer, but it is: " + name));
            }
            if (cluster.broker(id) == nullptr) {
                return std::unexpected(
                    makeError(ErrorCode::InvalidRequest, "Unknown broker id " + name + "."));
            }
        }
        // The ops change the dynamic set; a startup value stays under it (DELETE uncovers it).
        auto configs = cluster.dynamicBrokerConfigs();
        auto applied = applyOps(resource, configs, findBrokerConfig, [&](const ConfigDef& def) {
            return effectiveBrokerConfig(def, cluster.brokerConfigs()).value;
        });
        if (!applied) {
            return applied;
        }
        for (const auto& c : resource.configs) {
            if (const auto it = configs.find(c.name); it != configs.end()) {
                if (auto ok = validateBrokerConfig(it->first, it->second); !ok) {
                    return ok;
                }
            } else if (const ConfigDef* def = findBrokerConfig(c.name);
                       def != nullptr && def->readOnly) {
                return std::unexpected(
                    makeError(ErrorCode::InvalidRequest,
                              "Cannot update these configs dynamically: " + c.name));
            }
        }
        return cluster.alterBrokerConfigs(std::move(configs), validateOnly);
    }
    return std::unexpected(
        makeError(ErrorCode::InvalidRequest,
                  "Unsupported resource type " + std::to_string(resource.resourceType) + "."));
}

} // namespace

void incrementalAlterConfigs(RequestContext& ctx, Responder respond) {
    IncrementalAlterConfigsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    IncrementalAlterConfigsResponse response;
    for (const auto& resource : request.resources) {
        IncrementalAlterConfigsResponse::AlterConfigsResourceResponse result;
        result.resourceType = resource.resourceType;
        result.resourceName = resource.resourceName;
        if (auto ok = alter(ctx.cluster, resource, request.validateOnly); !ok) {
            result.errorCode = protocol::toInt(ok.error().code);
            result.errorMessage = ok.error().message;
        } else {
            result.errorCode = 0;
            result.errorMessage = std::nullopt;
        }
        response.responses.push_back(std::move(result));
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
