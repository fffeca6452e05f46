// What a request handler gets: the broker that received the request, the cluster, the decoded header,
// the body reader, and a Responder to answer exactly once (now or later: long-poll, acks=all, joins).
#pragma once

#include "engine/protocol/header.h"
#include "engine/protocol/wire.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace faultline::broker {

class Cluster;

// An encoded response body: `bytes`, with the records listed in `splices` written in between
// by the connection (from memory with gather writes, from log segment files with sendfile).
struct ResponseBody {
    std::vector<std::uint8_t> bytes;
    std::vector<protocol::Splice> splices;
};

// Filled by the connection; called once, from the engine's core strand.
struct ResponseSlot {
    // body == nullopt with close == false: no response at all (Produce acks=0)
    std::function<void(std::optional<ResponseBody> body, bool close)> complete;
};

class Responder {
public:
    Responder() = default;
    Responder(std::shared_ptr<ResponseSlot> slot, std::int16_t apiKey, std::int16_t apiVersion)
        : m_slot(std::move(slot)), m_apiKey(apiKey), m_apiVersion(apiVersion) {}

    // Encodes the response body with the request's version; the connection adds the header.
    template <typename Message> void send(const Message& message) {
        ResponseBody body;
        protocol::Writer writer(body.bytes, &body.splices);
        message.write(writer, m_apiVersion);
        sendBody(std::move(body));
    }
    void sendBytes(std::vector<std::uint8_t> bytes) { sendBody(ResponseBody{std::move(bytes), {}}); }
    void sendBody(ResponseBody body) {
        if (auto slot = take()) {
            slot->complete(std::move(body), false);
        }
    }
    void noResponse() {
        if (auto slot = take()) {
            slot->complete(std::nullopt, false);
        }
    }
    // Malformed request: the connection is closed (after earlier responses are written).
    void closeConnection() {
        if (auto slot = take()) {
            slot->complete(std::nullopt, true);
        }
    }
    [[nodiscard]] bool pending() const { return m_slot != nullptr; }
    [[nodiscard]] std::int16_t apiVersion() const { return m_apiVersion; }
    [[nodiscard]] std::int16_t apiKey() const { return m_apiKey; }

private:
    std::shared_ptr<ResponseSlot> take() { return std::exchange(m_slot, nullptr); }
    std::shared_ptr<ResponseSlot> m_slot;
    std::int16_t m_apiKey = 0;
    std::int16_t m_apiVersion = 0;
};

struct RequestContext {
    Cluster& cluster;
    std::int32_t brokerId; // the broker whose listener received the request
    protocol::RequestHeader header;
    protocol::Reader body; // positioned after the header; shares the frame buffer
    std::string clientAddress;
    std::shared_ptr<const void> prepared; // what the API's Preparer returned, if it has one
};

// Decodes the request body; on malformed input closes the connection and returns false.
template <typename Request>
[[nodiscard]] bool decodeRequest(RequestContext& ctx, Responder& respond, Request& request) {
    request.read(ctx.body, ctx.header.apiVersion);
    if (!ctx.body.ok()) {
        respond.closeConnection();
        return false;
    }
    return true;
}

using Handler = void (*)(RequestContext& ctx, Responder respond);

// Work an API does on the I/O thread that read the request, before the request waits for the
// core strand: stateless checks of the request's own bytes (Produce: each batch's CRC and
// records), which then run in parallel with the core strand and while the bytes are still in
// that core's cache. It must not touch cluster state. Its result reaches the handler as
// RequestContext::prepared; nullptr (e.g. a body that does not decode) leaves it all to the
// handler.
using Preparer = std::shared_ptr<const void> (*)(protocol::Reader body, std::int16_t version);

} // namespace faultline::broker
