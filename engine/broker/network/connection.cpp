#include "engine/broker/network/connection.h"

#include "engine/broker/api_table.h"
#include "engine/broker/cluster.h"
#include "engine/broker/network/listener.h"
#include "engine/protocol/header.h"
#include "engine/protocol/wire.h"

#include <spdlog/spdlog.h>

namespace faultline::broker {

namespace {
constexpr std::uint32_t kMinFrame = 8; // api key, version, correlation id
} // namespace

Connection::Connection(asio::ip::tcp::socket socket, Cluster& cluster, std::int32_t brokerId,
                       std::weak_ptr<Listener> listener)
    : m_socket(std::move(socket)), m_strand(asio::make_strand(m_socket.get_executor())),
      m_cluster(cluster), m_brokerId(brokerId), m_listener(std::move(listener)) {
    std::error_code ec;
    auto endpoint = m_socket.remote_endpoint(ec);
    m_peer = ec ? std::string("?") : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    m_socket.set_option(asio::ip::tcp::no_delay(true), ec);
    m_maxRequestBytes = static_cast<std::uint32_t>(
        std::min<std::int64_t>(cluster.brokerConfigInt("socket.request.max.bytes"), INT32_MAX));
}

void Connection::start() {
    asio::dispatch(m_strand, [self = shared_from_this()] { self->readSize(); });
}

void Connection::close() {
    asio::post(m_strand, [self = shared_from_this()] { self->closeNow("closed by broker"); });
}

void Connection::readSize() {
    if (m_closed) {
        return;
    }
    if (m_pending.size() >= kMaxInFlight) {
        m_readPaused = true; // resumed by flush()
        return;
    }
    asio::async_read(m_socket, asio::buffer(m_sizeBuf),
                     asio::bind_executor(m_strand, [self = shared_from_this()](
                                                       std::error_code ec, std::size_t) {
                         if (ec) {
                             self->closeNow(ec == asio::error::eof ? "" : ec.message());
                             return;
                         }
                         const std::uint32_t size = (std::uint32_t{self->m_sizeBuf[0]} << 24) |
                                                    (std::uint32_t{self->m_sizeBuf[1]} << 16) |
                                                    (std::uint32_t{self->m_sizeBuf[2]} << 8) |
                                                    std::uint32_t{self->m_sizeBuf[3]};
                         if (size < kMinFrame || size > self->m_maxRequestBytes) {
                             self->closeNow("invalid frame size " + std::to_string(size) +
                                            " (limit socket.request.max.bytes=" +
                                            std::to_string(self->m_maxRequestBytes) + ")");
                             return;
                         }
                         self->readFrame(size);
                     }));
}

void Connection::readFrame(std::uint32_t size) {
    auto frame = std::make_shared<std::vector<std::uint8_t>>(size);
    asio::async_read(m_socket, asio::buffer(*frame),
                     asio::bind_executor(m_strand, [self = shared_from_this(), frame](
                                                       std::error_code ec, std::size_t) {
                         if (ec) {
                             self->closeNow("truncated frame: " + ec.message());
                             return;
                         }
                         self->handleFrame(frame);
                     }));
}

void Connection::handleFrame(std::shared_ptr<std::vector<std::uint8_t>> frame) {
    protocol::Reader reader(frame, std::span<const std::uint8_t>(*frame));
    auto header = protocol::readRequestHeader(reader);
    if (!header || !reader.ok()) {
        closeNow("malformed request header" + (header ? std::string() : ": " + header.error().message));
        return;
    }
    const ApiEntry* api = findApi(header->apiKey);
    if (api == nullptr) {
        closeNow("unknown api key " + std::to_string(header->apiKey));
        return;
    }
    const bool isApiVersions = header->apiKey == 18;
    if (!isApiVersions &&
        (header->apiVersion < api->minVersion || header->apiVersion > api->maxVersion)) {
        closeNow(fmt::format("unsupported version {} of {} (serving {}-{})", header->apiVersion,
                             api->name, api->minVersion, api->maxVersion));
        return;
    }
    const std::uint64_t sequence = m_nextSequence++;
    Pending pending;
    pending.sequence = sequence;
    pending.correlationId = header->correlationId;
    pending.responseHeaderVersion =
        isApiVersions ? 0
                      : (api->firstFlexibleVersion >= 0 && header->apiVersion >= api->firstFlexibleVersion
                             ? 1
                             : 0);
    m_pending.push_back(std::move(pending));

    auto slot = std::make_shared<ResponseSlot>();
    slot->complete = [weak = weak_from_this(), sequence](std::optional<std::vector<std::uint8_t>> body,
                                                         bool close) {
        if (auto self = weak.lock()) {
            asio::post(self->m_strand, [self, sequence, body = std::move(body), close]() mutable {
                self->complete(sequence, std::move(body), close);
            });
        }
    };
    const std::size_t bodyOffset = reader.position();
    asio::post(m_cluster.strand(), [self = shared_from_this(), frame, header = *header, api, slot,
                                    bodyOffset]() mutable {
        if (!self->m_cluster.isRunning(self->m_brokerId)) {
            slot->complete(std::nullopt, true);
            return;
        }
        protocol::Reader body(frame,
                              std::span<const std::uint8_t>(*frame).subspan(bodyOffset));
        RequestContext ctx{self->m_cluster, self->m_brokerId, std::move(header), std::move(body),
                           self->m_peer};
        Responder responder(slot, ctx.header.apiKey, ctx.header.apiVersion);
        api->handler(ctx, responder);
    });
    readSize();
}

void Connection::complete(std::uint64_t sequence, std::optional<std::vector<std::uint8_t>> body,
                          bool close) {
    for (auto& pending : m_pending) {
        if (pending.sequence == sequence) {
            pending.done = true;
            pending.close = close;
            pending.body = std::move(body);
            break;
        }
    }
    flush();
}

void Connection::flush() {
    if (m_writing || m_closed) {
        return;
    }
    auto buffers = std::make_shared<std::vector<std::vector<std::uint8_t>>>();
    std::vector<asio::const_buffer> sequence;
    while (!m_pending.empty() && m_pending.front().done) {
        Pending pending = std::move(m_pending.front());
        m_pending.pop_front();
        if (pending.close) {
            m_closeAfterFlush = true;
            break;
        }
        if (!pending.body) {
            continue; // acks=0: no response
        }
        std::vector<std::uint8_t> head;
        protocol::Writer writer(head);
        writer.writeInt32(0);
        protocol::writeResponseHeader(writer, pending.correlationId, pending.responseHeaderVersion);
        writer.patchInt32(0, static_cast<std::int32_t>(head.size() - 4 + pending.body->size()));
        buffers->push_back(std::move(head));
        buffers->push_back(std::move(*pending.body));
    }
    for (const auto& b : *buffers) {
        sequence.emplace_back(asio::buffer(b));
    }
    if (m_readPaused && m_pending.size() < kMaxInFlight && !m_closeAfterFlush) {
        m_readPaused = false;
        readSize();
    }
    if (sequence.empty()) {
        if (m_closeAfterFlush) {
            closeNow("malformed request");
        }
        return;
    }
    m_writing = true;
    asio::async_write(m_socket, sequence,
                      asio::bind_executor(m_strand, [self = shared_from_this(), buffers](
                                                        std::error_code ec, std::size_t) {
                          self->m_writing = false;
                          if (ec) {
                              self->closeNow("write failed: " + ec.message());
                              return;
                          }
                          if (self->m_closeAfterFlush) {
                              self->closeNow("malformed request");
                              return;
                          }
                          self->flush();
                      }));
}

void Connection::closeNow(const std::string& reason) {
    if (m_closed) {
        return;
    }
    m_closed = true;
    if (!reason.empty()) {
        spdlog::warn("broker {}: closing connection from {}: {}", m_brokerId, m_peer, reason);
    } else {
        spdlog::debug("broker {}: connection from {} closed", m_brokerId, m_peer);
    }
    std::error_code ec;
    m_socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
    m_pending.clear();
    if (auto listener = m_listener.lock()) {
        listener->forget(shared_from_this());
    }
}

} // namespace faultline::broker
