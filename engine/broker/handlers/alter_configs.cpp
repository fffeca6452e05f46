// AlterConfigs (key 33), v0-2: replaces the whole override set of a TOPIC (2) or of the brokers
// (BROKER 4: "" or a broker id; the sandbox's broker configs are cluster-wide).
#include "engine/protocol/messages/alter_configs.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"
#include "engine/broker/topic_config.h"

#include <charconv>
#include <map>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::AlterConfigsRequest;
using protocol::AlterConfigsResponse;
using protocol::ErrorCode;
using protocol::makeError;

constexpr std::int8_t kTopic = 2;
constexpr std::int8_t kBroker = 4;

std::expected<void, protocol::Error>
alter(Cluster& cluster, const AlterConfigsRequest::AlterConfigsResource& resource,
      bool validateOnly) {
    std::map<std::string, std::string> configs;
    for (const auto& c : resource.configs) {
        if (!c.value) {
            return std::unexpected(
                makeError(ErrorCode::InvalidRequest, "Null value not supported for : " + c.name));
        }
        if (!configs.emplace(c.name, *c.value).second) {
            return std::unexpected(makeError(ErrorCode::InvalidRequest,
                                             "Error due to duplicate config keys: " + c.name));
        }
    }
    if (resource.resourceType == kTopic) {
        if (auto ok = validateTopicName(resource.resourceName); !ok) {
            return ok;
        }
        if (cluster.topic(resource.resourceName) == nullptr) {
            return std::unexpected(
                makeError(ErrorCode::UnknownTopicOrPartition,
                          "The topic '" + resource.resourceName + "' does not exist."));
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
        for (const auto& [key, value] : configs) {
            if (auto ok = validateBrokerConfig(key, value); !ok) {
                return ok;
            }
        }
        return cluster.alterBrokerConfigs(std::move(configs), validateOnly);
    }
    return std::unexpected(
        makeError(ErrorCode::InvalidRequest,
                  "Unsupported resource type " + std::to_string(resource.resourceType) + "."));
}

} // namespace

void alterConfigs(RequestContext& ctx, Responder respond) {
    AlterConfigsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    AlterConfigsResponse response;
    for (const auto& resource : request.resources) {
        AlterConfigsResponse::AlterConfigsResourceResponse result;
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
