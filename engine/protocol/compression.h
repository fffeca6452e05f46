// Kafka's record-batch compression codecs: gzip, snappy, lz4 and zstd, as Kafka clients write them.
//
// compress() writes what librdkafka writes: gzip members, raw snappy, LZ4 frames and zstd frames.
// decompress() also reads what the other clients write: concatenated gzip members, the xerial
// ("java") snappy framing, LZ4 frames with the broken header checksum of old Kafka / librdkafka,
// and zstd frames without a content size. Every failure is ErrorCode::CorruptMessage.
// No I/O, no threads, no shared state: safe to call from any thread.
#pragma once

#include "engine/protocol/error_code.h"
#include "engine/protocol/record_batch.h"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

namespace faultline::protocol {

// The decompressed size above which decompress() gives up (a zip-bomb guard).
inline constexpr std::size_t kDefaultMaxDecompressedSize = std::size_t{512} << 20;

// Compresses `data` with `codec` (Compression::None copies it).
[[nodiscard]] std::expected<std::vector<std::uint8_t>, Error> compress(
    Compression codec, std::span<const std::uint8_t> data);

// Decompresses `data`; CorruptMessage when it is not valid for `codec` (including empty input for
// the real codecs) or when the output would exceed `maxOutput` bytes.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, Error> decompress(
    Compression codec, std::span<const std::uint8_t> data,
    std::size_t maxOutput = kDefaultMaxDecompressedSize);

// Kafka's name of a codec ("none", "gzip", "snappy", "lz4", "zstd"); "unknown" otherwise.
[[nodiscard]] const char* compressionName(Compression codec);

} // namespace faultline::protocol
