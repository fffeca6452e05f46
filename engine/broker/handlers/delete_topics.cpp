// DeleteTopics (key 20), v0-6: by name (v0-5 TopicNames, v6 Topics) or by topic id (v6); answered
// by the controller only.
#include "engine/protocol/messages/delete_topics.h"

#include "engine/broker/cluster.h"
#include "engine/broker/handlers/handlers.h"

#include <set>
#include <string>

namespace faultline::broker::handlers {

namespace {

using protocol::DeleteTopicsRequest;
using protocol::DeleteTopicsResponse;
using protocol::ErrorCode;
using protocol::makeError;

bool isZero(const protocol::Uuid& id) {
    for (auto b : id) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

} // namespace

void deleteTopics(RequestContext& ctx, Responder respond) {
    DeleteTopicsRequest request;
    if (!decodeRequest(ctx, respond, request)) {
        return;
    }
    Cluster& cluster = ctx.cluster;
    const bool isController = ctx.brokerId == cluster.controllerId();
    const bool enabled = cluster.brokerConfigBool("delete.topic.enable");

    // (name, id) pairs in request order; v6 may name a topic by id only
    std::vector<std::pair<std::optional<std::string>, protocol::Uuid>> wanted;
    if (ctx.header.apiVersion >= 6) {
        for (const auto& t : request.topics) {
            wanted.emplace_back(t.name, t.topicId);
        }
    } else {
        for (const auto& name : request.topicNames) {
            wanted.emplace_back(name, protocol::Uuid{});
        }
    }

    DeleteTopicsResponse response;
    std::set<std::string> done;
    for (const auto& [name, id] : wanted) {
        DeleteTopicsResponse::DeletableTopicResult result;
        result.topicId = id;
        result.errorMessage = std::nullopt;
        const auto fail = [&](ErrorCode code, std::string message) {
            result.errorCode = protocol::toInt(code);
            result.errorMessage = std::move(message);
        };
        const TopicMeta* topic = nullptr;
        if (name && !name->empty()) {
            result.name = *name;
            topic = cluster.topic(*name);
        } else if (!isZero(id)) {
            result.name = std::nullopt;
            topic = cluster.topicById(id);
        } else {
            result.name = name.value_or("");
        }
        if (!isController) {
            fail(ErrorCode::NotController, "This is not the correct controller for this cluster.");
        } else if (name && !name->empty() && !isZero(id)) {
            fail(ErrorCode::InvalidRequest,
                 "A topic must be named either by name or by id, not both.");
        } else if (topic == nullptr) {
            if (name && !name->empty()) {
                fail(ErrorCode::UnknownTopicOrPartition,
                     "This server does not host this topic-partition.");
            } else {
                fail(ErrorCode::UnknownTopicId, "This server does not host this topic ID.");
            }
        } else if (!enabled) {
            fail(ErrorCode::TopicDeletionDisabled, "Topic deletion is disabled.");
        } else {
            result.name = topic->name;
            result.topicId = topic->id;
            if (!done.insert(topic->name).second) {
                // named twice: the first entry deleted it
                fail(ErrorCode::InvalidRequest, "Duplicate topic in request: " + topic->name);
            } else if (auto deleted = cluster.deleteTopic(topic->name); !deleted) {
                fail(deleted.error().code, deleted.error().message);
            } else {
                result.errorCode = 0;
            }
        }
        response.responses.push_back(std::move(result));
    }
    respond.send(response);
}

} // namespace faultline::broker::handlers
