// Persistence of the controller's metadata in <data>/cluster/: a snapshot (`metadata.json`, the
// format earlier versions wrote on every change, so their data dirs open unchanged) and an
// append-only change log (`metadata.log`) with one record per change. A change costs one record
// of its own size instead of a rewrite of every topic.
//
// Record framing, big-endian: int32 length of the payload, uint32 CRC-32C of the payload, the
// payload (a JSON object, see cluster.cpp). Each record is one write(2) followed by fdatasync, so
// a change that was acknowledged survives a crash and a power loss. At open a torn or corrupt
// tail (short frame, bad length, CRC mismatch) is cut off at the last whole record, as the
// partition logs do.
//
// Compaction: when the change log grows past max(kMinCompactBytes, 2 x the snapshot's size), the
// caller writes a new snapshot (writeSnapshot: temporary file, fsync, rename) and the log is
// emptied. Records are absolute upserts applied in order, so a crash between the rename and the
// emptying only replays records the snapshot already holds: the result is the same.
//
// Thread rule: used on the core strand only.
#pragma once

#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::broker {

class MetadataLog {
public:
    static constexpr std::int64_t kMinCompactBytes = 4 << 20;
    static constexpr std::uint32_t kMaxRecordBytes = 64u << 20;

    struct Contents {
        std::string snapshot;             // empty: no snapshot yet
        std::vector<std::string> records; // payloads, oldest first
        std::int64_t truncatedBytes = 0;  // torn or corrupt tail cut off at open
    };

    // Reads the snapshot and the change log of `dir` (created when missing) into `contents`.
    [[nodiscard]] static std::expected<std::unique_ptr<MetadataLog>, protocol::Error>
    open(const std::filesystem::path& dir, Contents& contents);
    ~MetadataLog();
    MetadataLog(const MetadataLog&) = delete;
    MetadataLog& operator=(const MetadataLog&) = delete;

    // Appends one record and fdatasyncs it.
    [[nodiscard]] std::expected<void, protocol::Error> append(std::string_view payload);
    // Replaces the snapshot, then empties the change log.
    [[nodiscard]] std::expected<void, protocol::Error> writeSnapshot(std::string_view snapshot);
    [[nodiscard]] bool compactionDue() const;

    [[nodiscard]] std::int64_t logBytes() const { return m_logBytes; }
    [[nodiscard]] std::size_t records() const { return m_records; }
    [[nodiscard]] bool hasSnapshot() const { return m_snapshotBytes >= 0; }
    [[nodiscard]] static std::filesystem::path snapshotPath(const std::filesystem::path& dir) {
        return dir / "metadata.json";
    }
    [[nodiscard]] static std::filesystem::path logPath(const std::filesystem::path& dir) {
        return dir / "metadata.log";
    }

private:
    MetadataLog(std::filesystem::path dir, int fd);

    std::filesystem::path m_dir;
    int m_fd = -1;
    std::int64_t m_logBytes = 0;
    std::int64_t m_snapshotBytes = -1;
    std::size_t m_records = 0;
};

} // namespace faultline::broker
