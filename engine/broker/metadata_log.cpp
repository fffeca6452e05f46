#include "engine/broker/metadata_log.h"

#include "engine/protocol/crc32c.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace faultline::broker {

namespace fs = std::filesystem;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

protocol::Error ioError(std::string_view what, const fs::path& path, int err) {
    return makeError(ErrorCode::KafkaStorageError,
                     std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

void putBe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t getBe32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::expected<std::string, protocol::Error> readAll(int fd, const fs::path& path) {
    std::string out;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::unexpected(ioError("read", path, errno));
        }
        if (n == 0) {
            return out;
        }
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

std::expected<void, protocol::Error> writeAll(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::unexpected(ioError("write", path, errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

} // namespace

MetadataLog::MetadataLog(fs::path dir, int fd) : m_dir(std::move(dir)), m_fd(fd) {}

MetadataLog::~MetadataLog() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::expected<std::unique_ptr<MetadataLog>, protocol::Error> MetadataLog::open(const fs::path& dir,
                                                                               Contents& contents) {
    contents = Contents{};
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "create " + dir.string() + ": " + ec.message()));
    }
    fs::remove(dir / "metadata.json.tmp", ec);
    std::int64_t snapshotBytes = -1;
    const fs::path snapshot = snapshotPath(dir);
    if (const int sfd = ::open(snapshot.c_str(), O_RDONLY | O_CLOEXEC); sfd >= 0) {
        auto text = readAll(sfd, snapshot);
        ::close(sfd);
        if (!text) {
            return std::unexpected(text.error());
        }
        contents.snapshot = std::move(*text);
        snapshotBytes = static_cast<std::int64_t>(contents.snapshot.size());
    } else if (errno != ENOENT) {
        return std::unexpected(ioError("open", snapshot, errno));
    }
    const fs::path path = logPath(dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(ioError("open", path, errno));
    }
    std::unique_ptr<MetadataLog> log(new MetadataLog(dir, fd));
    log->m_snapshotBytes = snapshotBytes;
    auto bytes = readAll(fd, path);
    if (!bytes) {
        return std::unexpected(bytes.error());
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes->data());
    const std::size_t size = bytes->size();
    std::size_t pos = 0;
    std::string reason;
    while (pos < size) {
        if (size - pos < 8) {
            reason = "torn record header";
            break;
        }
        const std::uint32_t length = getBe32(data + pos);
        const std::uint32_t crc = getBe32(data + pos + 4);
        if (length > kMaxRecordBytes || length > size - pos - 8) {
            reason = "record length " + std::to_string(length) + " runs past the end";
            break;
        }
        const std::span<const std::uint8_t> payload(data + pos + 8, length);
        if (protocol::crc32c(payload) != crc) {
            reason = "CRC mismatch";
            break;
        }
        contents.records.emplace_back(reinterpret_cast<const char*>(payload.data()), length);
        pos += 8 + length;
    }
    if (pos < size) {
        spdlog::warn("metadata change log {}: {} at byte {}; cutting {} bytes", path.string(),
                     reason, pos, size - pos);
        if (::ftruncate(fd, static_cast<off_t>(pos)) != 0 || ::fdatasync(fd) != 0) {
            return std::unexpected(ioError("truncate", path, errno));
        }
        contents.truncatedBytes = static_cast<std::int64_t>(size - pos);
    }
    log->m_logBytes = static_cast<std::int64_t>(pos);
    log->m_records = contents.records.size();
    return log;
}

std::expected<void, protocol::Error> MetadataLog::append(std::string_view payload) {
    if (payload.size() > kMaxRecordBytes) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "metadata record of " + std::to_string(payload.size()) +
                                             " bytes is over the limit"));
    }
    std::string frame(8 + payload.size(), '\0');
    auto* p = reinterpret_cast<std::uint8_t*>(frame.data());
    putBe32(p, static_cast<std::uint32_t>(payload.size()));
    putBe32(p + 4, protocol::crc32c(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                              payload.size())));
    std::memcpy(frame.data() + 8, payload.data(), payload.size());
    const fs::path path = logPath(m_dir);
    if (auto r = writeAll(m_fd, frame, path); !r) {
        // Cut a partial frame so that the next record starts on a boundary.
        (void)::ftruncate(m_fd, static_cast<off_t>(m_logBytes));
        return r;
    }
    if (::fdatasync(m_fd) != 0) {
        return std::unexpected(ioError("fsync", path, errno));
    }
    m_logBytes += static_cast<std::int64_t>(frame.size());
    ++m_records;
    return {};
}

std::expected<void, protocol::Error> MetadataLog::writeSnapshot(std::string_view snapshot) {
    const fs::path target = snapshotPath(m_dir);
    fs::path tmp = target;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(ioError("open", tmp, errno));
    }
    auto written = writeAll(fd, snapshot, tmp);
    if (written && ::fsync(fd) != 0) {
        written = std::unexpected(ioError("fsync", tmp, errno));
    }
    ::close(fd);
    if (!written) {
        return written;
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        return std::unexpected(ioError("rename", tmp, errno));
    }
    if (const int dirFd = ::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dirFd >= 0) {
        (void)::fsync(dirFd);
        ::close(dirFd);
    }
    m_snapshotBytes = static_cast<std::int64_t>(snapshot.size());
    // Every record is in the snapshot now.
    const fs::path path = logPath(m_dir);
    if (::ftruncate(m_fd, 0) != 0 || ::fdatasync(m_fd) != 0) {
        return std::unexpected(ioError("truncate", path, errno));
    }
    m_logBytes = 0;
    m_records = 0;
    return {};
}

bool MetadataLog::compactionDue() const {
    return m_logBytes >
           std::max<std::int64_t>(kMinCompactBytes, 2 * std::max<std::int64_t>(m_snapshotBytes, 0));
}

} // namespace faultline::broker
