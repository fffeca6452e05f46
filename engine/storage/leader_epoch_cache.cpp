#include "engine/storage/leader_epoch_cache.h"

#include "engine/storage/file_util.h"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>

namespace faultline::storage {

LeaderEpochCache::LeaderEpochCache(std::filesystem::path file) : m_file(std::move(file)) {}

std::expected<void, protocol::Error> LeaderEpochCache::load() {
    m_entries.clear();
    std::error_code ec;
    if (!std::filesystem::exists(m_file, ec)) {
        return {};
    }
    auto text = detail::readWholeFile(m_file);
    if (!text) {
        return std::unexpected(text.error());
    }
    std::istringstream in(*text);
    long long version = -1;
    long long count = -1;
    if (!(in >> version) || version != 0 || !(in >> count) || count < 0) {
        return std::unexpected(protocol::makeError(protocol::ErrorCode::KafkaStorageError,
                                                   "malformed header in " + m_file.string()));
    }
    for (long long i = 0; i < count; ++i) {
        long long epoch = 0;
        long long start = 0;
        if (!(in >> epoch >> start)) {
            m_entries.clear();
            return std::unexpected(protocol::makeError(protocol::ErrorCode::KafkaStorageError,
                                                       "malformed entry in " + m_file.string()));
        }
        m_entries.push_back(EpochEntry{static_cast<std::int32_t>(epoch), start});
    }
    return {};
}

void LeaderEpochCache::persist() {
    std::string text = "0\n" + std::to_string(m_entries.size()) + "\n";
    for (const auto& e : m_entries) {
        text += std::to_string(e.epoch) + " " + std::to_string(e.startOffset) + "\n";
    }
    if (auto written = detail::writeFileAtomic(m_file, text); !written) {
        spdlog::error("leader epoch checkpoint: {}", written.error().message);
    }
}

void LeaderEpochCache::assign(std::int32_t epoch, std::int64_t startOffset) {
    if (epoch < 0 || startOffset < 0) {
        return;
    }
    if (!m_entries.empty()) {
        const EpochEntry& last = m_entries.back();
        if (last.epoch == epoch && startOffset >= last.startOffset) {
            return;
        }
    }
    std::erase_if(m_entries, [&](const EpochEntry& e) {
        return e.epoch >= epoch || e.startOffset >= startOffset;
    });
    m_entries.push_back(EpochEntry{epoch, startOffset});
    persist();
}

std::pair<std::int32_t, std::int64_t> LeaderEpochCache::endOffsetFor(std::int32_t epoch,
                                                                     std::int64_t logEndOffset) const {
    if (epoch < 0 || m_entries.empty()) {
        return {-1, -1};
    }
    if (epoch == m_entries.back().epoch) {
        return {epoch, logEndOffset};
    }
    // First entry with a higher epoch.
    auto higher = std::upper_bound(m_entries.begin(), m_entries.end(), epoch,
                                   [](std::int32_t e, const EpochEntry& x) { return e < x.epoch; });
    if (higher == m_entries.end()) {
        return {-1, -1};
    }
    if (higher == m_entries.begin()) {
        return {epoch, higher->startOffset};
    }
    return {std::prev(higher)->epoch, higher->startOffset};
}

std::int32_t LeaderEpochCache::latestEpoch() const {
    return m_entries.empty() ? -1 : m_entries.back().epoch;
}

void LeaderEpochCache::truncateFromEnd(std::int64_t endOffset) {
    const auto before = m_entries.size();
    std::erase_if(m_entries, [&](const EpochEntry& e) { return e.startOffset >= endOffset; });
    if (m_entries.size() != before) {
        persist();
    }
}

void LeaderEpochCache::truncateFromStart(std::int64_t startOffset) {
    // Index of the last entry starting at or before startOffset.
    std::size_t keep = m_entries.size();
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].startOffset <= startOffset) {
            keep = i;
        }
    }
    if (keep == m_entries.size() || (keep == 0 && m_entries[0].startOffset == startOffset)) {
        return;
    }
    m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<std::ptrdiff_t>(keep));
    m_entries.front().startOffset = startOffset;
    persist();
}

void LeaderEpochCache::clear() {
    if (m_entries.empty() && std::filesystem::exists(m_file)) {
        return;
    }
    m_entries.clear();
    persist();
}

} // namespace faultline::storage
