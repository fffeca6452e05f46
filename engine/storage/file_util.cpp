#include "engine/storage/file_util.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace faultline::storage::detail {

protocol::Error ioError(std::string_view what, const std::filesystem::path& path, int err) {
    return protocol::makeError(protocol::ErrorCode::KafkaStorageError,
                               std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

std::expected<void, protocol::Error> pwriteAll(int fd, std::span<const std::uint8_t> data,
                                               std::int64_t position,
                                               const std::filesystem::path& path) {
    while (!data.empty()) {
        const ssize_t n = ::pwrite(fd, data.data(), data.size(), position);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::unexpected(ioError("write", path, errno));
        }
        data = data.subspan(static_cast<std::size_t>(n));
        position += n;
    }
    return {};
}

std::expected<void, protocol::Error> preadAll(int fd, std::span<std::uint8_t> out,
                                              std::int64_t position,
                                              const std::filesystem::path& path) {
    while (!out.empty()) {
        const ssize_t n = ::pread(fd, out.data(), out.size(), position);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::unexpected(ioError("read", path, errno));
        }
        if (n == 0) {
            return std::unexpected(protocol::makeError(protocol::ErrorCode::KafkaStorageError,
                                                       "read " + path.string() +
                                                           ": unexpected end of file"));
        }
        out = out.subspan(static_cast<std::size_t>(n));
        position += n;
    }
    return {};
}

std::expected<void, protocol::Error> writeFileAtomic(const std::filesystem::path& path,
                                                     std::string_view content) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(ioError("open", tmp, errno));
    }
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
    auto written = pwriteAll(fd, bytes, 0, tmp);
    if (written && ::fsync(fd) != 0) {
        written = std::unexpected(ioError("fsync", tmp, errno));
    }
    ::close(fd);
    if (!written) {
        return written;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return std::unexpected(ioError("rename", tmp, errno));
    }
    return {};
}

void fsyncDir(const std::filesystem::path& dir) {
    if (const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
}

std::expected<std::string, protocol::Error> readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::unexpected(ioError("open", path, errno == 0 ? ENOENT : errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace faultline::storage::detail
