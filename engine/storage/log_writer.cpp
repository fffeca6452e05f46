#include "engine/storage/log_writer.h"

#include "engine/storage/file_util.h"

#include <pthread.h>

#include <utility>

namespace faultline::storage {

void PendingWrites::add() { m_count.fetch_add(1, std::memory_order_acq_rel); }

void PendingWrites::finish(std::int64_t firstOffset, std::int64_t position,
                           std::optional<protocol::Error> error) {
    std::lock_guard lock(m_mutex);
    if (error) {
        if (!m_failure || firstOffset < m_failure->firstOffset) {
            m_failure = Failure{firstOffset, position, std::move(*error)};
        }
        m_failed.store(true, std::memory_order_release);
    }
    if (m_count.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        m_done.notify_all();
    }
}

void PendingWrites::wait() const {
    if (idle()) {
        return;
    }
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return idle(); });
}

std::optional<PendingWrites::Failure> PendingWrites::takeFailure() {
    std::lock_guard lock(m_mutex);
    m_failed.store(false, std::memory_order_release);
    return std::exchange(m_failure, std::nullopt);
}

LogWriter::LogWriter(std::string name, std::size_t maxQueuedBytes)
    : m_name(std::move(name)), m_maxQueuedBytes(maxQueuedBytes), m_thread([this] { run(); }) {
    // Thread names are limited to 15 characters.
    (void)pthread_setname_np(m_thread.native_handle(), m_name.substr(0, 15).c_str());
}

LogWriter::~LogWriter() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void LogWriter::submit(Write write) {
    write.pending->add();
    const std::size_t size = write.bytes.size();
    {
        std::unique_lock lock(m_mutex);
        // One write larger than the limit still goes through once the queue is empty.
        m_space.wait(lock, [&] { return m_queuedBytes == 0 || m_queuedBytes + size <= m_maxQueuedBytes; });
        m_queuedBytes += size;
        m_queue.push_back(std::move(write));
    }
    m_wake.notify_one();
}

void LogWriter::run() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_queue.empty()) {
            return; // stopping, and everything queued is written
        }
        Write write = std::move(m_queue.front());
        m_queue.pop_front();
        lock.unlock();
        auto written = detail::pwriteAll(write.file->fd(), write.bytes, write.position, write.file->path());
        const std::size_t size = write.bytes.size();
        write.owner.reset(); // release the request buffer before waking anyone
        write.pending->finish(write.firstOffset, write.position,
                              written ? std::nullopt : std::optional<protocol::Error>(written.error()));
        lock.lock();
        m_queuedBytes -= size;
        m_space.notify_all();
    }
}

} // namespace faultline::storage
