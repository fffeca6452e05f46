// The benches' reader of a child process's stdout: a thread reads the pipe, splits it into lines
// (a trailing '\r' dropped) and queues them; the bench waits for the line it expects.
#pragma once

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace faultline::bench {

class LineReader {
public:
    LineReader() = default;
    ~LineReader() { join(); }
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Starts reading `fd` (the reader does not close it) until end of file or an error.
    void start(int fd) {
        m_thread = std::thread([this, fd] { run(fd); });
    }

    // Until the thread has seen the end (call after the write end of the pipe is closed).
    void join() {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

    enum class Outcome { Found, Closed, TimedOut };

    // Waits for the next line starting with `prefix` (earlier lines are dropped) and puts the
    // rest of it in `rest`.
    Outcome waitFor(std::string_view prefix, std::chrono::steady_clock::time_point deadline,
                    std::string& rest) {
        std::unique_lock lock(m_mutex);
        while (true) {
            while (!m_lines.empty()) {
                std::string line = std::move(m_lines.front());
                m_lines.pop_front();
                if (line.starts_with(prefix)) {
                    rest = line.substr(prefix.size());
                    return Outcome::Found;
                }
            }
            if (m_eof) {
                return Outcome::Closed;
            }
            if (m_cv.wait_until(lock, deadline) == std::cv_status::timeout && m_lines.empty()) {
                return Outcome::TimedOut;
            }
        }
    }

private:
    void run(int fd) {
        std::string pending;
        char buffer[4096];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            pending.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                if (!line.empty() && line.back() == '\r') {
                    line.pop_back();
                }
                std::lock_guard lock(m_mutex);
                m_lines.push_back(std::move(line));
                m_cv.notify_all();
            }
        }
        std::lock_guard lock(m_mutex);
        m_eof = true;
        m_cv.notify_all();
    }

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::string> m_lines;
    bool m_eof = false;
};

} // namespace faultline::bench
