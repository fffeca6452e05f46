// Follower log writes off the engine's core strand. A broker's in-process followers accept a
// leader's batches at once (offsets, indexes and log end offset are updated by the caller) and
// hand the page-cache write of the bytes to their broker's LogWriter thread, as a Kafka broker's
// replica fetcher threads write what they fetch while the leader goes on serving. The leader,
// its producers and consumers no longer wait for every replica's copy in turn.
//
// A log with writes in flight waits for them (PendingWrites::wait) before anything reads its
// files, truncates, flushes or closes it. A failed write is remembered with the first offset it
// held; the log then truncates itself there and the follower copies the rest again.
// Back-pressure: submit() blocks while more than maxQueuedBytes are queued.
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/storage/file_slice.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

namespace faultline::storage {

// The writes of one log still in flight (shared by the log and its queued writes).
class PendingWrites {
public:
    void add();
    void finish(std::int64_t firstOffset, std::int64_t position, std::optional<protocol::Error> error);
    // Until no write of this log is in flight.
    void wait() const;
    [[nodiscard]] bool idle() const { return m_count.load(std::memory_order_acquire) == 0; }
    [[nodiscard]] bool failed() const { return m_failed.load(std::memory_order_acquire); }
    struct Failure {
        std::int64_t firstOffset = 0; // the failed write's first offset
        std::int64_t position = 0;    // and where in its segment file it was to go
        protocol::Error error;
    };
    // After wait(): the failed write with the lowest first offset, once.
    [[nodiscard]] std::optional<Failure> takeFailure();

private:
    std::atomic<int> m_count{0};
    std::atomic<bool> m_failed{false};
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_done;
    std::optional<Failure> m_failure;
};

class LogWriter {
public:
    struct Write {
        std::shared_ptr<const FileHandle> file;
        std::int64_t position = 0;
        std::span<const std::uint8_t> bytes;
        std::shared_ptr<const void> owner; // keeps `bytes` alive
        std::shared_ptr<PendingWrites> pending;
        std::int64_t firstOffset = 0;
    };

    explicit LogWriter(std::string name, std::size_t maxQueuedBytes = 64u << 20);
    ~LogWriter(); // finishes every queued write, then joins
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;

    // Queues the write (pending->add() first). Blocks while the queue is over its byte limit.
    void submit(Write write);
    [[nodiscard]] const std::string& name() const { return m_name; }

private:
    void run();

    std::string m_name;
    std::size_t m_maxQueuedBytes;
    std::mutex m_mutex;
    std::condition_variable m_wake;  // the thread: work or stop
    std::condition_variable m_space; // submitters: the queue shrank
    std::deque<Write> m_queue;
    std::size_t m_queuedBytes = 0;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace faultline::storage
