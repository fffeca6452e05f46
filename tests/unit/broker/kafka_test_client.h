// A small blocking Kafka client for engine tests: frames requests with the project's own codec,
// sends them over one QTcpSocket and reads the answers back. Requests can be pipelined
// (send() several, then receive() them in order); call() is send() + receive() of the answer.
// Header-only, test code only: waits with waitForReadyRead (no event loop needed).
#pragma once

#include "engine/protocol/header.h"
#include "engine/protocol/messages/produce.h"
#include "engine/protocol/wire.h"

#include <QTcpSocket>
#include <QThread>
#include <QtEndian>
#include <QtGlobal>

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace faultline::testing {

class KafkaTestClient {
public:
    struct Frame {
        std::int32_t correlationId = -1;
        std::int16_t apiKey = -1;
        std::int16_t version = -1;
        std::vector<std::uint8_t> body; // after the response header
    };

    bool connect(const QString& host, quint16 port) {
        m_socket.connectToHost(host, port);
        return m_socket.waitForConnected(5000);
    }

    // Sends one request without waiting; returns its correlation id. With `pieces`, the frame
    // goes out in writes of those sizes (the rest in one last write), `pauseMs` apart.
    template <typename Request>
    std::int32_t send(std::int16_t key, std::int16_t version, const Request& request,
                      const std::vector<std::size_t>& pieces = {}, int pauseMs = 0) {
        std::vector<std::uint8_t> frame;
        protocol::Writer w(frame);
        w.writeInt32(0);
        const std::int32_t correlation = ++m_correlation;
        protocol::RequestHeader header{key, version, correlation, std::string("test")};
        protocol::writeRequestHeader(w, header, protocol::requestHeaderVersion(key, version));
        request.write(w, version);
        w.patchInt32(0, static_cast<std::int32_t>(frame.size() - 4));
        std::size_t sent = 0;
        for (std::size_t piece : pieces) {
            piece = std::min(piece, frame.size() - sent);
            m_socket.write(reinterpret_cast<const char*>(frame.data() + sent),
                           static_cast<qint64>(piece));
            while (m_socket.bytesToWrite() > 0 && m_socket.waitForBytesWritten(5000)) {
            }
            sent += piece;
            QThread::msleep(static_cast<unsigned long>(pauseMs));
        }
        m_socket.write(reinterpret_cast<const char*>(frame.data() + sent),
                       static_cast<qint64>(frame.size() - sent));
        m_socket.flush();
        m_pending.emplace(correlation, std::make_pair(key, version));
        return correlation;
    }

    // Reads the next response frame on the connection, whichever request it answers (its
    // correlation id says which). std::nullopt on timeout, a closed socket or an unknown id.
    std::optional<Frame> receive(int timeoutMs = 10000) {
        QByteArray size = readExactly(4, timeoutMs);
        if (size.size() != 4) {
            return std::nullopt;
        }
        const auto n = qFromBigEndian<qint32>(size.constData());
        QByteArray body = readExactly(n, timeoutMs);
        if (body.size() != n || n < 4) {
            return std::nullopt;
        }
        std::vector<std::uint8_t> bytes(body.begin(), body.end());
        const auto correlation = qFromBigEndian<qint32>(body.constData());
        auto it = m_pending.find(correlation);
        if (it == m_pending.end()) {
            qWarning("response with unexpected correlation id %d", correlation);
            return std::nullopt;
        }
        const auto [key, version] = it->second;
        m_pending.erase(it);
        protocol::Reader r(bytes);
        auto read = protocol::readResponseHeader(r, protocol::responseHeaderVersion(key, version));
        if (!read || *read != correlation) {
            return std::nullopt;
        }
        Frame frame;
        frame.correlationId = correlation;
        frame.apiKey = key;
        frame.version = version;
        frame.body.assign(bytes.begin() + static_cast<std::ptrdiff_t>(r.position()), bytes.end());
        return frame;
    }

    // True when response bytes arrive within timeoutMs (without consuming them).
    bool waitForData(int timeoutMs) {
        return m_socket.bytesAvailable() > 0 || m_socket.waitForReadyRead(timeoutMs);
    }

    // Sends one request and returns the response body (after the header); empty when the
    // answer did not come or answered another request.
    template <typename Request>
    std::vector<std::uint8_t> call(std::int16_t key, std::int16_t version, const Request& request) {
        const std::int32_t correlation = send(key, version, request);
        auto frame = receive();
        if (!frame || frame->correlationId != correlation) {
            return {};
        }
        return std::move(frame->body);
    }

    template <typename Response>
    Response decode(const std::vector<std::uint8_t>& body, std::int16_t version) {
        Response response;
        protocol::Reader r(body);
        response.read(r, version);
        if (!r.ok()) {
            qWarning("response did not decode");
        }
        return response;
    }

    // call() + decode() with the request's own Response type.
    template <typename Response, typename Request>
    Response request(std::int16_t version, const Request& request) {
        return decode<Response>(call(Request::apiKey, version, request), version);
    }

    [[nodiscard]] std::size_t pendingCount() const { return m_pending.size(); }

private:
    QByteArray readExactly(qint64 n, int timeoutMs = 10000) {
        QByteArray out;
        while (out.size() < n) {
            if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(timeoutMs)) {
                break;
            }
            out += m_socket.read(n - out.size());
        }
        return out;
    }

    QTcpSocket m_socket;
    std::int32_t m_correlation = 0;
    std::map<std::int32_t, std::pair<std::int16_t, std::int16_t>> m_pending;
};

// A Produce request of one batch for `topic`[partition].
inline protocol::ProduceRequest produceRequest(const std::string& topic, std::int32_t partition,
                                               const std::vector<std::uint8_t>& batch,
                                               std::int16_t acks, std::int32_t timeoutMs) {
    protocol::ProduceRequest produce;
    produce.acks = acks;
    produce.timeoutMs = timeoutMs;
    auto& td = produce.topicData.emplace_back();
    td.name = topic;
    auto& pd = td.partitionData.emplace_back();
    pd.index = partition;
    pd.records = protocol::Records::copyOf(batch);
    return produce;
}

// A Fetch request (v4+ fields) of `topic`[partition] from `offset`; maxBytes bounds both the
// response and the partition.
inline protocol::FetchRequest fetchRequest(const std::string& topic, std::int32_t partition,
                                           std::int64_t offset, std::int32_t maxWaitMs = 0,
                                           std::int32_t minBytes = 0,
                                           std::int32_t maxBytes = 1 << 20) {
    protocol::FetchRequest fetch;
    fetch.replicaId = -1;
    fetch.maxWaitMs = maxWaitMs;
    fetch.minBytes = minBytes;
    fetch.maxBytes = maxBytes;
    auto& ft = fetch.topics.emplace_back();
    ft.topic = topic;
    auto& fp = ft.partitions.emplace_back();
    fp.partition = partition;
    fp.fetchOffset = offset;
    fp.partitionMaxBytes = maxBytes;
    return fetch;
}

} // namespace faultline::testing
