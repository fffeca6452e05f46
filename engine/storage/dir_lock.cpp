#include "engine/storage/dir_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace faultline::storage {

namespace fs = std::filesystem;

std::expected<DirectoryLock, std::string> DirectoryLock::acquire(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return std::unexpected("cannot create data dir " + dir.string() + ": " + ec.message());
    }
    const fs::path path = dir / ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err != EWOULDBLOCK) {
            return std::unexpected("cannot lock " + path.string() + ": " + std::strerror(err));
        }
        std::string holder;
        std::ifstream(path) >> holder;
        return std::unexpected("data dir " + dir.string() + " is in use by another engine" +
                               (holder.empty() ? std::string() : " (pid " + holder + ")") + ": " +
                               path.string() + " is locked");
    }
    // The holder's pid, for the message above; the lock itself is the flock.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // Only the message loses its pid.
    }
    return DirectoryLock(fd);
}

DirectoryLock::~DirectoryLock() {
    if (m_fd >= 0) {
        ::close(m_fd); // drops the flock
    }
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

} // namespace faultline::storage
