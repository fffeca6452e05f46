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
namespace {

// The crc32 instruction has a latency of 3 cycles and a throughput of one per cycle: one chain of
// crc32 over the data runs at a third of what the core can do. Long inputs are therefore cut into
// blocks of three equal lanes, each lane gets its own chain (three independent dependency chains
// interleave in the pipeline), and the lanes' CRCs are joined afterwards.
//
// Joining works because the CRC register without the pre/post inversion is linear over GF(2):
// running it over A then B gives shift(crc(A), |B|) ^ crc0(B), where crc0 starts from zero and
// shift(x, n) runs x through n zero bytes. shift(., n) is linear too, so for a fixed n it is four
// table lookups, one per byte of x.
struct ShiftTable {
    std::array<std::array<std::uint32_t, 256>, 4> byByte{};

    // The register `x` advanced over `bytes` zero bytes.
    static std::uint32_t zeros(std::uint32_t x, std::size_t bytes) {
        for (std::size_t i = 0; i < bytes; ++i) {
            x = (x >> 8) ^ kTables[0][x & 0xFFu];
        }
        return x;
    }

    explicit ShiftTable(std::size_t bytes) {
        std::array<std::uint32_t, 32> bit{}; // the image of each single bit
        for (std::size_t b = 0; b < 32; ++b) {
            bit[b] = zeros(std::uint32_t{1} << b, bytes);
        }
        for (std::size_t k = 0; k < 4; ++k) {
            for (std::uint32_t v = 0; v < 256; ++v) {
                std::uint32_t image = 0;
                for (std::size_t b = 0; b < 8; ++b) {
                    if ((v >> b) & 1u) {
                        image ^= bit[8 * k + b];
                    }
                }
                byByte[k][v] = image;
            }
        }
    }

    [[nodiscard]] std::uint32_t operator()(std::uint32_t x) const {
        return byByte[0][x & 0xFFu] ^ byByte[1][(x >> 8) & 0xFFu] ^ byByte[2][(x >> 16) & 0xFFu] ^
               byByte[3][x >> 24];
    }
};

// Lane lengths: long blocks for bulk data (record batches are KiB to MiB), short ones so that
// inputs of a few hundred bytes get the interleaving too. Multiples of 8.
constexpr std::size_t kLongLane = 4096;
constexpr std::size_t kShortLane = 128;

struct LaneShifts {
    ShiftTable longOnce{kLongLane};
    ShiftTable longTwice{2 * kLongLane};
    ShiftTable shortOnce{kShortLane};
    ShiftTable shortTwice{2 * kShortLane};
};

const LaneShifts& laneShifts() {
    static const LaneShifts shifts; // about 64 KiB of zero-byte steps, once per process
    return shifts;
}

// Three lanes of `lane` bytes from `p`, continuing from register `crc`.
__attribute__((target("sse4.2"))) inline std::uint64_t
crcThreeLanes(std::uint64_t crc, const std::uint8_t* p, std::size_t lane, const ShiftTable& once,
              const ShiftTable& twice) {
    std::uint64_t c0 = crc;
    std::uint64_t c1 = 0;
    std::uint64_t c2 = 0;
    const std::uint8_t* p1 = p + lane;
    const std::uint8_t* p2 = p + 2 * lane;
    for (std::size_t i = 0; i < lane; i += 8) {
        std::uint64_t w0;
        std::uint64_t w1;
        std::uint64_t w2;
        std::memcpy(&w0, p + i, sizeof w0);
        std::memcpy(&w1, p1 + i, sizeof w1);
        std::memcpy(&w2, p2 + i, sizeof w2);
        c0 = _mm_crc32_u64(c0, w0);
        c1 = _mm_crc32_u64(c1, w1);
        c2 = _mm_crc32_u64(c2, w2);
    }
    return twice(static_cast<std::uint32_t>(c0)) ^ once(static_cast<std::uint32_t>(c1)) ^
           static_cast<std::uint32_t>(c2);
}

} // namespace

__attribute__((target("sse4.2"))) std::uint32_t crc32cHardware(std::span<const std::uint8_t> data,
                                                                std::uint32_t seed) {
    std::uint64_t crc = ~seed;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    if (n >= 3 * kShortLane) {
        const LaneShifts& shifts = laneShifts();
        while (n >= 3 * kLongLane) {
            crc = crcThreeLanes(crc, p, kLongLane, shifts.longOnce, shifts.longTwice);
            p += 3 * kLongLane;
            n -= 3 * kLongLane;
        }
        while (n >= 3 * kShortLane) {
            crc = crcThreeLanes(crc, p, kShortLane, shifts.shortOnce, shifts.shortTwice);
            p += 3 * kShortLane;
            n -= 3 * kShortLane;
        }
    }
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
