// Test helper: encodes uncompressed record batches v2 (zigzag varint records) with a valid CRC.
#pragma once

#include "engine/protocol/crc32c.h"
#include "engine/protocol/record_batch.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace faultline::test {

struct BatchSpec {
    int records = 1;
    std::int64_t baseTimestamp = 1000;
    std::int64_t maxTimestamp = -2; // -2: baseTimestamp + records - 1
    std::size_t valueSize = 10;
    std::int64_t baseOffset = 0;
    std::int32_t leaderEpoch = -1;
    std::int16_t attributes = 0;
    std::int64_t producerId = -1;
    std::int16_t producerEpoch = -1;
    std::int32_t baseSequence = -1;
    char fill = 'v';
};

inline void putVarint(std::vector<std::uint8_t>& out, std::int64_t value) {
    auto zz = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
    while (zz >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(zz | 0x80));
        zz >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(zz));
}

template <typename T> void putBe(std::vector<std::uint8_t>& out, T value) {
    auto v = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
}

template <typename T> void patchBe(std::vector<std::uint8_t>& out, std::size_t at, T value) {
    auto v = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        out[at + i] = static_cast<std::uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
    }
}

inline std::vector<std::uint8_t> buildBatch(const BatchSpec& spec) {
    std::vector<std::uint8_t> out;
    putBe<std::int64_t>(out, spec.baseOffset);
    putBe<std::int32_t>(out, 0); // length, patched
    putBe<std::int32_t>(out, spec.leaderEpoch);
    out.push_back(2);
    putBe<std::uint32_t>(out, 0); // crc, patched
    putBe<std::int16_t>(out, spec.attributes);
    putBe<std::int32_t>(out, spec.records - 1);
    putBe<std::int64_t>(out, spec.baseTimestamp);
    putBe<std::int64_t>(out, spec.maxTimestamp == -2 ? spec.baseTimestamp + spec.records - 1
                                                     : spec.maxTimestamp);
    putBe<std::int64_t>(out, spec.producerId);
    putBe<std::int16_t>(out, spec.producerEpoch);
    putBe<std::int32_t>(out, spec.baseSequence);
    putBe<std::int32_t>(out, spec.records);
    for (int i = 0; i < spec.records; ++i) {
        std::vector<std::uint8_t> body;
        body.push_back(0); // attributes
        putVarint(body, i); // timestamp delta
        putVarint(body, i); // offset delta
        const std::string key = "k" + std::to_string(i);
        putVarint(body, static_cast<std::int64_t>(key.size()));
        body.insert(body.end(), key.begin(), key.end());
        putVarint(body, static_cast<std::int64_t>(spec.valueSize));
        body.insert(body.end(), spec.valueSize, static_cast<std::uint8_t>(spec.fill));
        putVarint(body, 0); // headers
        putVarint(out, static_cast<std::int64_t>(body.size()));
        out.insert(out.end(), body.begin(), body.end());
    }
    patchBe<std::int32_t>(out, 8, static_cast<std::int32_t>(out.size() - 12));
    patchBe<std::uint32_t>(out, 17,
                           protocol::crc32c(std::span<const std::uint8_t>(out).subspan(21)));
    return out;
}

inline void recomputeCrc(std::vector<std::uint8_t>& batch) {
    patchBe<std::uint32_t>(batch, 17,
                           protocol::crc32c(std::span<const std::uint8_t>(batch).subspan(21)));
}

// `count` batches with dense base offsets from `firstOffset` (as a leader hands them to a
// follower); each batch gets its own fill byte so that misplaced bytes show.
inline std::vector<std::vector<std::uint8_t>> buildBatchRun(std::int64_t firstOffset, int count,
                                                            BatchSpec spec) {
    std::vector<std::vector<std::uint8_t>> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        spec.baseOffset = firstOffset;
        spec.fill = static_cast<char>('a' + (firstOffset % 26));
        out.push_back(buildBatch(spec));
        firstOffset += spec.records;
    }
    return out;
}

inline std::vector<std::uint8_t> concat(const std::vector<std::vector<std::uint8_t>>& parts) {
    std::vector<std::uint8_t> out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

} // namespace faultline::test
