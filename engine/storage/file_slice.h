// A byte range of a log segment file that leaves storage without being read into memory: the
// broker's network code sends it with sendfile(2) (Kafka's zero-copy fetch path). The file stays
// open while any slice refers to it, even after its segment is deleted by retention.
#pragma once

#include "engine/protocol/wire.h"

#include <cstdint>
#include <filesystem>
#include <memory>

namespace faultline::storage {

// Owns one open file descriptor; closes it when the last owner lets go.
class FileHandle {
public:
    FileHandle(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
    ~FileHandle();
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;

    [[nodiscard]] int fd() const { return m_fd; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    int m_fd;
    std::filesystem::path m_path;
};

class FileSlice final : public protocol::ExternalBytes {
public:
    FileSlice(std::shared_ptr<const FileHandle> file, std::int64_t position, std::size_t size)
        : m_file(std::move(file)), m_position(position), m_size(size) {}

    [[nodiscard]] std::size_t size() const override { return m_size; }
    // pread of the whole range; false when the file is shorter now (truncated under the reader).
    [[nodiscard]] bool copyTo(std::uint8_t* out) const override;

    [[nodiscard]] int fd() const { return m_file->fd(); }
    [[nodiscard]] std::int64_t position() const { return m_position; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_file->path(); }

private:
    std::shared_ptr<const FileHandle> m_file;
    std::int64_t m_position;
    std::size_t m_size;
};

} // namespace faultline::storage
