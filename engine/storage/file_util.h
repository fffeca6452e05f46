// Small POSIX file helpers shared by the storage sources and engine/broker's metadata log.
#pragma once

#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace faultline::storage::detail {

[[nodiscard]] protocol::Error ioError(std::string_view what, const std::filesystem::path& path,
                                      int err);
// Whole pwrite / pread (loops over short transfers). pread fails on EOF before `out` is full.
[[nodiscard]] std::expected<void, protocol::Error>
pwriteAll(int fd, std::span<const std::uint8_t> data, std::int64_t position,
          const std::filesystem::path& path);
[[nodiscard]] std::expected<void, protocol::Error>
preadAll(int fd, std::span<std::uint8_t> out, std::int64_t position,
         const std::filesystem::path& path);
// Replaces `path` with `content` via a temporary file, fsync and rename.
[[nodiscard]] std::expected<void, protocol::Error>
writeFileAtomic(const std::filesystem::path& path, std::string_view content);
[[nodiscard]] std::expected<std::string, protocol::Error>
readWholeFile(const std::filesystem::path& path);
// fsync of a directory, so that a rename or an unlink in it survives a crash (best effort).
void fsyncDir(const std::filesystem::path& dir);

// Big-endian 32-bit fields of the on-disk formats (index files, the metadata change log).
inline void putBe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}
[[nodiscard]] inline std::uint32_t getBe32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

} // namespace faultline::storage::detail
