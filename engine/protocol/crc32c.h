// CRC-32C (Castagnoli), the checksum of Kafka's record batch v2.
#pragma once

#include <cstdint>
#include <span>

namespace faultline::protocol {

// CRC-32C of `data`. `seed` is a previous result, so crc32c(b, crc32c(a)) == crc32c(a + b).
// Picks, once at run time, the fastest the CPU has: folding with VPCLMULQDQ (AVX2) for long
// inputs, else three interleaved lanes of the SSE 4.2 crc32 instruction, else a slicing-by-8 table.
[[nodiscard]] std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t seed = 0);

namespace detail {
// The implementations, exposed so tests can check that they agree.
[[nodiscard]] std::uint32_t crc32cSoftware(std::span<const std::uint8_t> data, std::uint32_t seed);
// Only valid when crc32cHardwareAvailable() is true.
[[nodiscard]] std::uint32_t crc32cHardware(std::span<const std::uint8_t> data, std::uint32_t seed);
[[nodiscard]] bool crc32cHardwareAvailable();
// Only valid when crc32cFoldingAvailable() is true. Inputs under 256 bytes take crc32cHardware.
[[nodiscard]] std::uint32_t crc32cFolding(std::span<const std::uint8_t> data, std::uint32_t seed);
[[nodiscard]] bool crc32cFoldingAvailable();
} // namespace detail

} // namespace faultline::protocol
