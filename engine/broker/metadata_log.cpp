#include "engine/broker/metadata_log.h"

#include "engine/protocol/crc32c.h"
#include "engine/storage/file_util.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace faultline::broker {

namespace fs = std::filesystem;
using protocol::ErrorCode;
using protocol::makeError;
using storage::detail::ioError;

using storage::detail::getBe32;
using storage::detail::putBe32;

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
    if (fs::exists(snapshot, ec)) {
        auto text = storage::detail::readWholeFile(snapshot);
        if (!text) {
            return std::unexpected(text.error());
        }
        contents.snapshot = std::move(*text);
        snapshotBytes = static_cast<std::int64_t>(contents.snapshot.size());
    } else if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "stat " + snapshot.string() + ": " + ec.message()));
    }
    const fs::path path = logPath(dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(ioError("open", path, errno));
    }
    std::unique_ptr<MetadataLog> log(new MetadataLog(dir, fd));
    log->m_snapshotBytes = snapshotBytes;
    auto bytes = storage::detail::readWholeFile(path); // exists now (O_CREAT)
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
    // At m_logBytes, the file's end (O_APPEND also puts it there).
    if (auto r = storage::detail::pwriteAll(
            m_fd, std::span(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()),
            m_logBytes, path);
        !r) {
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
    if (auto written = storage::detail::writeFileAtomic(snapshotPath(m_dir), snapshot); !written) {
        return written;
    }
    // The rename itself must survive a crash before the log is emptied.
    storage::detail::fsyncDir(m_dir);
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
