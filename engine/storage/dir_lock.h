// An exclusive lock on a data dir, as Kafka's `.lock` in each log dir: two engines on the same
// data dir would each run retention, recovery and clean-shutdown markers over the other's live
// files. The lock is flock(2) on `<dir>/.lock`, held while the object lives and dropped by the
// kernel if the process dies, so a crash never leaves a stale lock behind.
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace faultline::storage {

class DirectoryLock {
public:
    // Creates the dir if needed. Fails when another holder (another process, or another lock in
    // this one) has it, naming the holder's pid when it wrote one.
    [[nodiscard]] static std::expected<DirectoryLock, std::string>
    acquire(const std::filesystem::path& dir);
    ~DirectoryLock();
    DirectoryLock(DirectoryLock&& other) noexcept;
    DirectoryLock& operator=(DirectoryLock&& other) noexcept;
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    explicit DirectoryLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

} // namespace faultline::storage
