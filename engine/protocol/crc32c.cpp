#include "engine/protocol/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace faultline::protocol {

namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u; // reflected Castagnoli polynomial

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables makeTables() {
    Tables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
        }
        t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
        for (std::size_t s = 1; s < 8; ++s) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
        }
    }
    return t;
}

constexpr Tables kTables = makeTables();

inline std::uint64_t loadLe64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

using CrcFn = std::uint32_t (*)(std::span<const std::uint8_t>, std::uint32_t);

CrcFn chooseImplementation() {
    return detail::crc32cHardwareAvailable() ? &detail::crc32cHardware : &detail::crc32cSoftware;
}

} // namespace

namespace detail {

std::uint32_t crc32cSoftware(std::span<const std::uint8_t> data, std::uint32_t seed) {
    std::uint32_t crc = ~seed;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        const std::uint64_t word = loadLe64(p) ^ crc;
        crc = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
              kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
              kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
              kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) {
        crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFFu];
    }
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32cHardware(std::span<const std::uint8_t> data,
                                                                std::uint32_t seed) {
    std::uint64_t crc = ~seed;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        crc = _mm_crc32_u64(crc, word);
        p += 8;
        n -= 8;
    }
    auto c = static_cast<std::uint32_t>(crc);
    while (n-- > 0) {
        c = _mm_crc32_u8(c, *p++);
    }
    return ~c;
}

bool crc32cHardwareAvailable() {
    return __builtin_cpu_supports("sse4.2");
}
#else
std::uint32_t crc32cHardware(std::span<const std::uint8_t> data, std::uint32_t seed) {
    return crc32cSoftware(data, seed);
}

bool crc32cHardwareAvailable() {
    return false;
}
#endif

} // namespace detail

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t seed) {
    static const CrcFn impl = chooseImplementation();
    return impl(data, seed);
}

} // namespace faultline::protocol
