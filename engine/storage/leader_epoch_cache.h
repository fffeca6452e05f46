// The leader epoch cache of one partition: (epoch, start offset) pairs, persisted in Kafka's
// `leader-epoch-checkpoint` text format (version line 0, count line, "epoch startOffset" lines).
#pragma once

#include "engine/protocol/error_code.h"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <utility>
#include <vector>

namespace faultline::storage {

struct EpochEntry {
    std::int32_t epoch = 0;
    std::int64_t startOffset = 0;
    bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {
public:
    explicit LeaderEpochCache(std::filesystem::path file);

    // Reads the checkpoint; a missing file is an empty cache, a malformed one is an error.
    [[nodiscard]] std::expected<void, protocol::Error> load();

    // Kafka's assign: a no-op when `epoch` is the latest epoch and startOffset does not move back;
    // otherwise entries with epoch >= `epoch` or startOffset >= `startOffset` are dropped first.
    void assign(std::int32_t epoch, std::int64_t startOffset);
    // OffsetForLeaderEpoch's answer for `epoch` given the log end offset; (-1, -1) when unknown.
    [[nodiscard]] std::pair<std::int32_t, std::int64_t> endOffsetFor(std::int32_t epoch,
                                                                     std::int64_t logEndOffset) const;
    [[nodiscard]] std::int32_t latestEpoch() const;
    // Drops entries starting at or after endOffset (log truncation).
    void truncateFromEnd(std::int64_t endOffset);
    // Drops entries wholly before startOffset, keeping the latest of them moved up to startOffset.
    void truncateFromStart(std::int64_t startOffset);
    void clear();
    [[nodiscard]] const std::vector<EpochEntry>& entries() const { return m_entries; }

private:
    void persist();

    std::filesystem::path m_file;
    std::vector<EpochEntry> m_entries;
};

} // namespace faultline::storage
