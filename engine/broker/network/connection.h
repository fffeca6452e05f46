#pragma once

#include "engine/broker/request_context.h"

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faultline::broker {

class Cluster;
class FramePool;
class Listener;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::ip::tcp::socket socket, Cluster& cluster, std::int32_t brokerId,
               std::weak_ptr<Listener> listener, std::shared_ptr<FramePool> framePool);
    void start();
    void close(); // thread-safe: posts to the connection's strand

    // Reading pauses while this many requests, or requests of this many bytes in all, wait for
    // their answers (at least one is always read). Kafka reads one request per connection at a
    // time; a few in flight keep the core strand busy, more only hold memory: a producer with
    // many requests in flight would otherwise park hundreds of MiB of frames here.
    static constexpr std::uint32_t kMaxInFlight = 256;
    static constexpr std::size_t kMaxInFlightBytes = 4 * 1024 * 1024;

    // A large request body is read in chunks of up to kReadChunk: the socket's receive low-water
    // mark (SO_RCVLOWAT) holds the wake-up until that much has arrived, never more than the
    // frame still lacks. Loopback delivers 64 KiB segments; waking for each cost an epoll_wait,
    // a recv and often a thread hand-off, 17 of each per 1 MiB produce request.
    static constexpr std::size_t kReadChunkFrom = 128 * 1024;
    static constexpr std::size_t kReadChunk = 512 * 1024;

private:
    struct Pending {
        std::uint64_t sequence = 0;
        std::int32_t correlationId = 0;
        std::int16_t responseHeaderVersion = 0;
        std::uint32_t frameBytes = 0;
        bool done = false;
        bool close = false;
        std::optional<ResponseBody> body;
    };
    struct Outgoing; // responses being written: memory parts and file ranges, in order

    [[nodiscard]] bool readingMustWait() const;
    void readSize();
    void readFrame(std::uint32_t size);
    void readBody(std::shared_ptr<std::uint8_t[]> frame, std::uint32_t size, std::uint32_t done);
    // Sets SO_RCVLOWAT for a read that still lacks `remaining` bytes (1 below kReadChunkFrom).
    void setReadChunk(std::size_t remaining);
    void handleFrame(std::shared_ptr<std::uint8_t[]> frame, std::uint32_t size);
    void complete(std::uint64_t sequence, std::optional<ResponseBody> body, bool close);
    void flush();
    void writeNext(std::shared_ptr<Outgoing> out);
    void sendFileRange(std::shared_ptr<Outgoing> out);
    void writeDone(const std::error_code& ec);
    void closeNow(const std::string& reason);

    asio::ip::tcp::socket m_socket;
    asio::strand<asio::any_io_executor> m_strand;
    Cluster& m_cluster;
    std::int32_t m_brokerId;
    std::weak_ptr<Listener> m_listener;
    std::shared_ptr<FramePool> m_framePool; // request buffers
    std::string m_peer;
    std::uint32_t m_maxRequestBytes;
    std::array<std::uint8_t, 4> m_sizeBuf{};
    int m_receiveLowWater = 1; // the socket's SO_RCVLOWAT; 0: the option failed, not used
    std::deque<Pending> m_pending; // in request order
    std::uint64_t m_nextSequence = 0;
    bool m_writing = false;
    bool m_closed = false;
    bool m_readPaused = false;
    std::size_t m_pendingFrameBytes = 0; // sum of m_pending's frameBytes
    bool m_closeAfterFlush = false;
};

} // namespace faultline::broker
