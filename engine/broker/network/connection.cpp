#include "engine/broker/network/connection.h"

#include "engine/broker/api_table.h"
#include "engine/broker/cluster.h"
#include "engine/broker/network/frame_pool.h"
#include "engine/broker/network/listener.h"
#include "engine/protocol/header.h"
#include "engine/protocol/wire.h"
#include "engine/storage/file_slice.h"

#include <spdlog/spdlog.h>

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace faultline::broker {

namespace {
constexpr std::uint32_t kMinFrame = 8; // api key, version, correlation id
constexpr std::size_t kMaxGather = 64; // iovecs per gather write
} // namespace

// Response bytes queued for the socket. A part is either memory (headers, bodies, records held by
// their owners in `keep`) or a range of a log segment file that goes out with sendfile(2), so
// fetched records are never copied through user space.
struct Connection::Outgoing {
    struct Part {
        std::span<const std::uint8_t> bytes;
        std::shared_ptr<const storage::FileSlice> file;
        std::int64_t filePosition = 0;
        std::size_t fileRemaining = 0;
    };
    std::deque<std::vector<std::uint8_t>> buffers; // a deque: parts point into its elements
    std::deque<protocol::Records> keep;
    std::vector<Part> parts;
    std::size_t next = 0;

    void addMemory(std::span<const std::uint8_t> bytes) {
        if (!bytes.empty()) {
            parts.push_back(Part{bytes, nullptr, 0, 0});
        }
    }
    void addRecords(const protocol::Records& records) {
        if (auto file = std::dynamic_pointer_cast<const storage::FileSlice>(records.external)) {
            if (file->size() > 0) {
                parts.push_back(Part{{}, file, file->position(), file->size()});
            }
            return;
        }
        const protocol::Records& held = keep.emplace_back(records.materialized());
        addMemory(held.bytes);
    }
};

Connection::Connection(asio::ip::tcp::socket socket, Cluster& cluster, std::int32_t brokerId,
                       std::weak_ptr<Listener> listener, std::shared_ptr<FramePool> framePool)
    : m_socket(std::move(socket)), m_strand(asio::make_strand(m_socket.get_executor())),
      m_cluster(cluster), m_brokerId(brokerId), m_listener(std::move(listener)),
      m_framePool(std::move(framePool)) {
    std::error_code ec;
    auto endpoint = m_socket.remote_endpoint(ec);
    m_peer = ec ? std::string("?") : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    m_socket.set_option(asio::ip::tcp::no_delay(true), ec);
    m_socket.native_non_blocking(true, ec); // sendfile must not block the strand
    m_maxRequestBytes = static_cast<std::uint32_t>(
        std::min<std::int64_t>(cluster.brokerConfigInt("socket.request.max.bytes"), INT32_MAX));
}

void Connection::start() {
    asio::dispatch(m_strand, [self = shared_from_this()] { self->readSize(); });
}

void Connection::close() {
    asio::post(m_strand, [self = shared_from_this()] { self->closeNow("closed by broker"); });
}

bool Connection::readingMustWait() const {
    return m_pending.size() >= kMaxInFlight ||
           (!m_pending.empty() && m_pendingFrameBytes >= kMaxInFlightBytes);
}

void Connection::readSize() {
    if (m_closed) {
        return;
    }
    if (readingMustWait()) {
        m_readPaused = true; // resumed by flush()
        return;
    }
    setReadChunk(m_sizeBuf.size());
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
    // Recycled, not zero-filled: the socket read overwrites every byte (frames reach 100 MiB).
    readBody(m_framePool->acquire(size), size, 0);
}

void Connection::readBody(std::shared_ptr<std::uint8_t[]> frame, std::uint32_t size,
                          std::uint32_t done) {
    setReadChunk(size - done);
    m_socket.async_read_some(
        asio::buffer(frame.get() + done, size - done),
        asio::bind_executor(m_strand, [self = shared_from_this(), frame, size,
                                       done](std::error_code ec, std::size_t n) mutable {
            if (ec) {
                self->closeNow("truncated frame: " + ec.message());
                return;
            }
            done += static_cast<std::uint32_t>(n);
            if (done < size) {
                self->readBody(std::move(frame), size, done);
                return;
            }
            self->handleFrame(std::move(frame), size);
        }));
}

void Connection::setReadChunk(std::size_t remaining) {
    if (m_receiveLowWater == 0) {
        return;
    }
    const int want = remaining < kReadChunkFrom
                         ? 1
                         : static_cast<int>(std::min(remaining, kReadChunk));
    if (want == m_receiveLowWater) {
        return;
    }
    if (::setsockopt(m_socket.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &want, sizeof want) != 0) {
        spdlog::debug("connection {}: SO_RCVLOWAT: {}; reading without it", m_peer,
                      std::strerror(errno));
        m_receiveLowWater = 0;
        return;
    }
    m_receiveLowWater = want;
}

void Connection::handleFrame(std::shared_ptr<std::uint8_t[]> frame, std::uint32_t size) {
    const std::span<const std::uint8_t> bytes(frame.get(), size);
    protocol::Reader reader(frame, bytes);
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
    pending.frameBytes = size;
    m_pendingFrameBytes += size;
    pending.responseHeaderVersion =
        isApiVersions ? 0
                      : (api->firstFlexibleVersion >= 0 && header->apiVersion >= api->firstFlexibleVersion
                             ? 1
                             : 0);
    m_pending.push_back(std::move(pending));

    auto slot = std::make_shared<ResponseSlot>();
    slot->complete = [weak = weak_from_this(), sequence](std::optional<ResponseBody> body, bool close) {
        if (auto self = weak.lock()) {
            asio::post(self->m_strand, [self, sequence, body = std::move(body), close]() mutable {
                self->complete(sequence, std::move(body), close);
            });
        }
    };
    const std::size_t bodyOffset = reader.position();
    std::shared_ptr<const void> prepared;
    if (api->prepare != nullptr) {
        prepared = api->prepare(protocol::Reader(frame, bytes.subspan(bodyOffset)),
                                header->apiVersion);
    }
    auto run = [self = shared_from_this(), frame, bytes, header = *header, api, slot, bodyOffset,
                prepared = std::move(prepared)]() mutable {
        if (!self->m_cluster.isRunning(self->m_brokerId)) {
            slot->complete(std::nullopt, true);
            return;
        }
        protocol::Reader body(frame, bytes.subspan(bodyOffset));
        RequestContext ctx{self->m_cluster, self->m_brokerId, std::move(header), std::move(body),
                           self->m_peer, std::move(prepared)};
        Responder responder(slot, ctx.header.apiKey, ctx.header.apiVersion);
        api->handler(ctx, responder);
    };
    if (size >= kReadChunkFrom) {
        // A large request runs here when the core strand is idle, on the thread that read it:
        // its bytes are still in this core's cache for the CRC pass and the log write, and no
        // other thread is woken. (Busy, it waits in the strand's queue, as with post.)
        asio::dispatch(m_cluster.strand(), std::move(run));
    } else {
        // Small requests go to whichever thread is free, so that the other connections' reads
        // and answers are not held behind this one's handling.
        asio::post(m_cluster.strand(), std::move(run));
    }
    readSize();
}

void Connection::complete(std::uint64_t sequence, std::optional<ResponseBody> body, bool close) {
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
    auto out = std::make_shared<Outgoing>();
    while (!m_pending.empty() && m_pending.front().done) {
        Pending pending = std::move(m_pending.front());
        m_pending.pop_front();
        m_pendingFrameBytes -= pending.frameBytes;
        if (pending.close) {
            m_closeAfterFlush = true;
            break;
        }
        if (!pending.body) {
            continue; // acks=0: no response
        }
        ResponseBody& body = *pending.body;
        std::size_t size = body.bytes.size();
        for (const auto& splice : body.splices) {
            size += splice.records.size();
        }
        std::vector<std::uint8_t>& head = out->buffers.emplace_back();
        protocol::Writer writer(head);
        writer.writeInt32(0);
        protocol::writeResponseHeader(writer, pending.correlationId, pending.responseHeaderVersion);
        writer.patchInt32(0, static_cast<std::int32_t>(head.size() - 4 + size));
        out->addMemory(head);
        const std::vector<std::uint8_t>& bodyBytes = out->buffers.emplace_back(std::move(body.bytes));
        const std::span<const std::uint8_t> all(bodyBytes);
        std::size_t at = 0;
        for (const auto& splice : body.splices) {
            out->addMemory(all.subspan(at, splice.offset - at));
            out->addRecords(splice.records);
            at = splice.offset;
        }
        out->addMemory(all.subspan(at));
    }
    if (m_readPaused && !readingMustWait() && !m_closeAfterFlush) {
        m_readPaused = false;
        readSize();
    }
    if (out->parts.empty()) {
        if (m_closeAfterFlush) {
            closeNow("malformed request");
        }
        return;
    }
    m_writing = true;
    writeNext(std::move(out));
}

void Connection::writeNext(std::shared_ptr<Outgoing> out) {
    if (m_closed) {
        return;
    }
    if (out->next >= out->parts.size()) {
        writeDone({});
        return;
    }
    if (out->parts[out->next].file) {
        sendFileRange(std::move(out));
        return;
    }
    std::vector<asio::const_buffer> sequence;
    std::size_t end = out->next;
    while (end < out->parts.size() && !out->parts[end].file && sequence.size() < kMaxGather) {
        sequence.emplace_back(asio::buffer(out->parts[end].bytes.data(), out->parts[end].bytes.size()));
        ++end;
    }
    asio::async_write(m_socket, sequence,
                      asio::bind_executor(m_strand, [self = shared_from_this(), out, end](
                                                        std::error_code ec, std::size_t) mutable {
                          if (ec) {
                              self->writeDone(ec);
                              return;
                          }
                          out->next = end;
                          self->writeNext(std::move(out));
                      }));
}

void Connection::sendFileRange(std::shared_ptr<Outgoing> out) {
    Outgoing::Part& part = out->parts[out->next];
    while (part.fileRemaining > 0) {
        off_t position = static_cast<off_t>(part.filePosition);
        const ssize_t n = ::sendfile(m_socket.native_handle(), part.file->fd(), &position,
                                     std::min<std::size_t>(part.fileRemaining, 1 << 30));
        if (n > 0) {
            part.filePosition += n;
            part.fileRemaining -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_socket.async_wait(asio::ip::tcp::socket::wait_write,
                                asio::bind_executor(m_strand, [self = shared_from_this(),
                                                               out](std::error_code ec) mutable {
                                    if (ec) {
                                        self->writeDone(ec);
                                        return;
                                    }
                                    self->sendFileRange(std::move(out));
                                }));
            return;
        }
        // The response's length is already on the wire: a short file (truncated under the
        // fetch) or a send error leaves no way but to drop the connection; the client retries.
        closeNow(n == 0 ? fmt::format("{} shrank while it was being sent", part.file->path().string())
                        : fmt::format("sendfile failed: {}", std::strerror(errno)));
        return;
    }
    ++out->next;
    writeNext(std::move(out));
}

void Connection::writeDone(const std::error_code& ec) {
    m_writing = false;
    if (ec) {
        closeNow("write failed: " + ec.message());
        return;
    }
    if (m_closeAfterFlush) {
        closeNow("malformed request");
        return;
    }
    flush();
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
