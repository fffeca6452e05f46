#include "engine/protocol/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace faultline::protocol {
namespace {

constexpr std::size_t kMinChunk = 64 * 1024;

[[nodiscard]] Error corrupt(Compression codec, std::string what) {
    return makeError(ErrorCode::CorruptMessage,
                     std::string(compressionName(codec)) + ": " + std::move(what));
}

[[nodiscard]] Error tooLarge(Compression codec, std::size_t maxOutput) {
    return corrupt(codec, "decompressed data exceeds the limit of " + std::to_string(maxOutput) +
                              " bytes");
}

// A growing output buffer for the streaming decoders whose capacity never exceeds limit + 1, so
// used() > limit means the data decompresses to more than the limit.
class OutputBuffer {
public:
    OutputBuffer(std::size_t limit, std::size_t sizeHint) : m_limit(limit) {
        const std::size_t cap = m_limit == SIZE_MAX ? m_limit : m_limit + 1;
        m_out.resize(std::min(cap, std::max(sizeHint, kMinChunk)));
    }

    // Makes room for more output; only call while !overLimit().
    void ensureSpace() {
        if (m_used < m_out.size()) {
            return;
        }
        const std::size_t cap = m_limit == SIZE_MAX ? m_limit : m_limit + 1;
        std::size_t next = m_out.size() > cap / 2 ? cap : m_out.size() * 2;
        m_out.resize(std::max(next, m_used + 1));
    }

    [[nodiscard]] std::uint8_t* freeBegin() { return m_out.data() + m_used; }
    [[nodiscard]] std::size_t freeSize() const { return m_out.size() - m_used; }
    void commit(std::size_t n) { m_used += n; }
    [[nodiscard]] bool overLimit() const { return m_used > m_limit; }

    [[nodiscard]] std::vector<std::uint8_t> take() && {
        m_out.resize(m_used);
        m_out.shrink_to_fit();
        return std::move(m_out);
    }

private:
    std::vector<std::uint8_t> m_out;
    std::size_t m_used = 0;
    std::size_t m_limit;
};

// ---------------------------------------------------------------------------------------- gzip

std::expected<std::vector<std::uint8_t>, Error> gzipCompress(std::span<const std::uint8_t> data) {
    if (data.size() > UINT_MAX) {
        return std::unexpected(corrupt(Compression::Gzip, "input too large"));
    }
    z_stream zs{};
    // windowBits 15 + 16: a gzip member (header, deflate data, CRC-32 and size trailer).
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return std::unexpected(corrupt(Compression::Gzip, "deflateInit2 failed"));
    }
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const std::size_t produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        return std::unexpected(corrupt(Compression::Gzip, "deflate failed"));
    }
    out.resize(produced);
    return out;
}

std::expected<std::vector<std::uint8_t>, Error> gzipDecompress(std::span<const std::uint8_t> data,
                                                               std::size_t maxOutput) {
    constexpr Compression codec = Compression::Gzip;
    if (data.size() > UINT_MAX) {
        return std::unexpected(corrupt(codec, "input too large"));
    }
    if (data.empty()) {
        return std::unexpected(corrupt(codec, "empty input"));
    }
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        return std::unexpected(corrupt(codec, "inflateInit2 failed"));
    }
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    OutputBuffer out(maxOutput, data.size() * 4);
    for (;;) {
        out.ensureSpace();
        const uInt room = static_cast<uInt>(std::min<std::size_t>(out.freeSize(), UINT_MAX));
        zs.next_out = out.freeBegin();
        zs.avail_out = room;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.commit(room - zs.avail_out);
        if (out.overLimit()) {
            return std::unexpected(tooLarge(codec, maxOutput));
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) {
                break;
            }
            // Another member follows (concatenated gzip), or trailing garbage.
            if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
                return std::unexpected(corrupt(codec, "trailing bytes after the gzip stream"));
            }
            if (inflateReset(&zs) != Z_OK) {
                return std::unexpected(corrupt(codec, "inflateReset failed"));
            }
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return std::unexpected(
                corrupt(codec, zs.msg != nullptr ? zs.msg : "inflate failed"));
        }
        if (zs.avail_in == 0 && zs.avail_out != 0) {
            return std::unexpected(corrupt(codec, "truncated gzip stream"));
        }
    }
    return std::move(out).take();
}

// -------------------------------------------------------------------------------------- snappy

constexpr std::array<std::uint8_t, 8> kXerialMagic{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t kXerialHeaderSize = 16; // magic, int32 version, int32 min compat version

std::expected<std::vector<std::uint8_t>, Error> snappyCompress(
    std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> out(snappy_max_compressed_length(data.size()));
    std::size_t outLen = out.size();
    if (snappy_compress(reinterpret_cast<const char*>(data.data()), data.size(),
                        reinterpret_cast<char*>(out.data()), &outLen) != SNAPPY_OK) {
        return std::unexpected(corrupt(Compression::Snappy, "snappy_compress failed"));
    }
    out.resize(outLen);
    return out;
}

// Appends the raw snappy block `block` to `out`.
std::expected<void, Error> snappyAppendBlock(std::span<const std::uint8_t> block,
                                             std::vector<std::uint8_t>& out,
                                             std::size_t maxOutput) {
    constexpr Compression codec = Compression::Snappy;
    const char* src = reinterpret_cast<const char*>(block.data());
    std::size_t len = 0;
    if (block.empty() || snappy_uncompressed_length(src, block.size(), &len) != SNAPPY_OK) {
        return std::unexpected(corrupt(codec, "invalid snappy block"));
    }
    if (len > maxOutput || out.size() > maxOutput - len) {
        return std::unexpected(tooLarge(codec, maxOutput));
    }
    const std::size_t at = out.size();
    out.resize(at + len);
    std::size_t got = len;
    if (snappy_uncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at), &got) !=
            SNAPPY_OK ||
        got != len) {
        return std::unexpected(corrupt(codec, "corrupt snappy block"));
    }
    return {};
}

std::expected<std::vector<std::uint8_t>, Error> snappyDecompress(
    std::span<const std::uint8_t> data, std::size_t maxOutput) {
    std::vector<std::uint8_t> out;
    const bool xerial = data.size() >= kXerialMagic.size() &&
                        std::equal(kXerialMagic.begin(), kXerialMagic.end(), data.begin());
    if (!xerial) {
        if (auto ok = snappyAppendBlock(data, out, maxOutput); !ok) {
            return std::unexpected(std::move(ok.error()));
        }
        return out;
    }
    // Xerial framing (Java's SnappyOutputStream): header, then [int32 BE length][raw snappy]...
    if (data.size() < kXerialHeaderSize) {
        return std::unexpected(corrupt(Compression::Snappy, "truncated xerial header"));
    }
    std::size_t pos = kXerialHeaderSize;
    while (pos < data.size()) {
        if (data.size() - pos < 4) {
            return std::unexpected(corrupt(Compression::Snappy, "truncated xerial block length"));
        }
        const std::uint32_t blockLen = (std::uint32_t{data[pos]} << 24) |
                                       (std::uint32_t{data[pos + 1]} << 16) |
                                       (std::uint32_t{data[pos + 2]} << 8) | data[pos + 3];
        pos += 4;
        if (blockLen > data.size() - pos) {
            return std::unexpected(corrupt(Compression::Snappy, "truncated xerial block"));
        }
        if (auto ok = snappyAppendBlock(data.subspan(pos, blockLen), out, maxOutput); !ok) {
            return std::unexpected(std::move(ok.error()));
        }
        pos += blockLen;
    }
    return out;
}

// ----------------------------------------------------------------------------------------- lz4

constexpr std::uint32_t kLz4Magic = 0x184D2204;

// XXH32 (the hash the LZ4 frame format uses for its header checksum); liblz4 does not export it.
std::uint32_t xxh32(const std::uint8_t* p, std::size_t len, std::uint32_t seed) {
    constexpr std::uint32_t p1 = 2654435761u;
    constexpr std::uint32_t p2 = 2246822519u;
    constexpr std::uint32_t p3 = 3266489917u;
    constexpr std::uint32_t p4 = 668265263u;
    constexpr std::uint32_t p5 = 374761393u;
    auto rotl = [](std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
    auto read32 = [](const std::uint8_t* q) {
        return std::uint32_t{q[0]} | (std::uint32_t{q[1]} << 8) | (std::uint32_t{q[2]} << 16) |
               (std::uint32_t{q[3]} << 24);
    };
    const std::uint8_t* const end = p + len;
    std::uint32_t h = 0;
    if (len >= 16) {
        std::uint32_t v1 = seed + p1 + p2;
        std::uint32_t v2 = seed + p2;
        std::uint32_t v3 = seed;
        std::uint32_t v4 = seed - p1;
        auto round = [&](std::uint32_t acc, std::uint32_t lane) {
            return rotl(acc + lane * p2, 13) * p1;
        };
        while (end - p >= 16) {
            v1 = round(v1, read32(p));
            v2 = round(v2, read32(p + 4));
            v3 = round(v3, read32(p + 8));
            v4 = round(v4, read32(p + 12));
            p += 16;
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    } else {
        h = seed + p5;
    }
    h += static_cast<std::uint32_t>(len);
    while (end - p >= 4) {
        h = rotl(h + read32(p) * p3, 17) * p4;
        p += 4;
    }
    while (p < end) {
        h = rotl(h + std::uint32_t{*p} * p5, 11) * p1;
        ++p;
    }
    h ^= h >> 15;
    h *= p2;
    h ^= h >> 13;
    h *= p3;
    h ^= h >> 16;
    return h;
}

// Old Kafka (KafkaLZ4BlockOutputStream before KIP-57) and librdkafka for message format v0/v1
// computed the frame header checksum over the magic number too. liblz4 rejects such frames, so a
// header whose checksum matches that broken computation (and not the right one) is fixed up.
// Returns the header bytes to feed instead of the input's, or an empty optional.
struct FixedHeader {
    std::array<std::uint8_t, 19> bytes{};
    std::size_t size = 0;
};

std::optional<FixedHeader> fixBrokenLz4Header(std::span<const std::uint8_t> frame) {
    if (frame.size() < 7) {
        return std::nullopt;
    }
    const std::uint32_t magic = std::uint32_t{frame[0]} | (std::uint32_t{frame[1]} << 8) |
                                (std::uint32_t{frame[2]} << 16) | (std::uint32_t{frame[3]} << 24);
    if (magic != kLz4Magic) {
        return std::nullopt;
    }
    const std::uint8_t flg = frame[4];
    // FLG, BD, then the content size (FLG bit 3) and the dictionary id (FLG bit 0) if present.
    const std::size_t descriptorSize =
        2 + ((flg & 0x08) != 0 ? 8 : 0) + ((flg & 0x01) != 0 ? 4 : 0);
    const std::size_t hcPos = 4 + descriptorSize;
    if (frame.size() <= hcPos) {
        return std::nullopt;
    }
    const auto right = static_cast<std::uint8_t>((xxh32(frame.data() + 4, descriptorSize, 0) >> 8));
    if (frame[hcPos] == right) {
        return std::nullopt;
    }
    const auto broken = static_cast<std::uint8_t>((xxh32(frame.data(), hcPos, 0) >> 8));
    if (frame[hcPos] != broken) {
        return std::nullopt; // simply corrupt: let liblz4 report it
    }
    FixedHeader fixed;
    fixed.size = hcPos + 1;
    std::copy_n(frame.begin(), fixed.size, fixed.bytes.begin());
    fixed.bytes[hcPos] = right;
    return fixed;
}

std::expected<std::vector<std::uint8_t>, Error> lz4Compress(std::span<const std::uint8_t> data) {
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent; // Kafka's Java reader needs these
    std::vector<std::uint8_t> out(LZ4F_compressFrameBound(data.size(), &prefs));
    const std::size_t n =
        LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
    if (LZ4F_isError(n)) {
        return std::unexpected(corrupt(Compression::Lz4, LZ4F_getErrorName(n)));
    }
    out.resize(n);
    return out;
}

std::expected<std::vector<std::uint8_t>, Error> lz4Decompress(std::span<const std::uint8_t> data,
                                                              std::size_t maxOutput) {
    constexpr Compression codec = Compression::Lz4;
    if (data.empty()) {
        return std::unexpected(corrupt(codec, "empty input"));
    }
    LZ4F_dctx* rawCtx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&rawCtx, LZ4F_VERSION))) {
        return std::unexpected(corrupt(codec, "cannot create a decompression context"));
    }
    std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(
        rawCtx, LZ4F_freeDecompressionContext);
    OutputBuffer out(maxOutput, data.size() * 4);
    std::size_t pos = 0;
    bool atFrameStart = true;

    // One LZ4F_decompress step over `src`; returns the bytes consumed.
    auto step = [&](const std::uint8_t* src, std::size_t srcSize,
                    bool& frameDone) -> std::expected<std::size_t, Error> {
        out.ensureSpace();
        std::size_t dstSize = out.freeSize();
        const std::size_t rc =
            LZ4F_decompress(ctx.get(), out.freeBegin(), &dstSize, src, &srcSize, nullptr);
        if (LZ4F_isError(rc)) {
            return std::unexpected(corrupt(codec, LZ4F_getErrorName(rc)));
        }
        out.commit(dstSize);
        if (out.overLimit()) {
            return std::unexpected(tooLarge(codec, maxOutput));
        }
        frameDone = rc == 0;
        if (srcSize == 0 && dstSize == 0 && !frameDone) {
            return std::unexpected(corrupt(codec, "decoder made no progress"));
        }
        return srcSize;
    };

    while (pos < data.size()) {
        bool frameDone = false;
        if (atFrameStart) {
            atFrameStart = false;
            if (auto fixed = fixBrokenLz4Header(data.subspan(pos))) {
                std::size_t fed = 0;
                while (fed < fixed->size) {
                    auto used = step(fixed->bytes.data() + fed, fixed->size - fed, frameDone);
                    if (!used) {
                        return std::unexpected(std::move(used.error()));
                    }
                    fed += *used;
                }
                pos += fixed->size;
                atFrameStart = frameDone;
                continue;
            }
        }
        auto used = step(data.data() + pos, data.size() - pos, frameDone);
        if (!used) {
            return std::unexpected(std::move(used.error()));
        }
        pos += *used;
        atFrameStart = frameDone;
    }
    if (!atFrameStart) {
        return std::unexpected(corrupt(codec, "truncated lz4 frame"));
    }
    return std::move(out).take();
}

// ---------------------------------------------------------------------------------------- zstd

std::expected<std::vector<std::uint8_t>, Error> zstdCompress(std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> out(ZSTD_compressBound(data.size()));
    const std::size_t n =
        ZSTD_compress(out.data(), out.size(), data.data(), data.size(), ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(n)) {
        return std::unexpected(corrupt(Compression::Zstd, ZSTD_getErrorName(n)));
    }
    out.resize(n);
    return out;
}

std::expected<std::vector<std::uint8_t>, Error> zstdDecompress(std::span<const std::uint8_t> data,
                                                               std::size_t maxOutput) {
    constexpr Compression codec = Compression::Zstd;
    if (data.empty()) {
        return std::unexpected(corrupt(codec, "empty input"));
    }
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!ctx) {
        return std::unexpected(corrupt(codec, "cannot create a decompression context"));
    }
    // The frame's content size, when present, is only a hint: the stream decides.
    std::size_t hint = data.size() * 4;
    const unsigned long long contentSize = ZSTD_getFrameContentSize(data.data(), data.size());
    if (contentSize != ZSTD_CONTENTSIZE_UNKNOWN && contentSize != ZSTD_CONTENTSIZE_ERROR) {
        hint = static_cast<std::size_t>(std::min<unsigned long long>(contentSize, SIZE_MAX)) + 1;
    }
    OutputBuffer out(maxOutput, hint);
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
        out.ensureSpace();
        ZSTD_outBuffer dst{out.freeBegin(), out.freeSize(), 0};
        const std::size_t rc = ZSTD_decompressStream(ctx.get(), &dst, &in);
        if (ZSTD_isError(rc)) {
            return std::unexpected(corrupt(codec, ZSTD_getErrorName(rc)));
        }
        out.commit(dst.pos);
        if (out.overLimit()) {
            return std::unexpected(tooLarge(codec, maxOutput));
        }
        if (in.pos == in.size && dst.pos < dst.size) {
            if (rc != 0) {
                return std::unexpected(corrupt(codec, "truncated zstd frame"));
            }
            break;
        }
    }
    return std::move(out).take();
}

} // namespace

const char* compressionName(Compression codec) {
    switch (codec) {
    case Compression::None:
        return "none";
    case Compression::Gzip:
        return "gzip";
    case Compression::Snappy:
        return "snappy";
    case Compression::Lz4:
        return "lz4";
    case Compression::Zstd:
        return "zstd";
    }
    return "unknown";
}

std::expected<std::vector<std::uint8_t>, Error> compress(Compression codec,
                                                         std::span<const std::uint8_t> data) {
    switch (codec) {
    case Compression::None:
        return std::vector<std::uint8_t>(data.begin(), data.end());
    case Compression::Gzip:
        return gzipCompress(data);
    case Compression::Snappy:
        return snappyCompress(data);
    case Compression::Lz4:
        return lz4Compress(data);
    case Compression::Zstd:
        return zstdCompress(data);
    }
    return std::unexpected(makeError(ErrorCode::UnsupportedCompressionType,
                                     "unknown compression codec " +
                                         std::to_string(static_cast<int>(codec))));
}

std::expected<std::vector<std::uint8_t>, Error> decompress(Compression codec,
                                                           std::span<const std::uint8_t> data,
                                                           std::size_t maxOutput) {
    switch (codec) {
    case Compression::None:
        if (data.size() > maxOutput) {
            return std::unexpected(tooLarge(codec, maxOutput));
        }
        return std::vector<std::uint8_t>(data.begin(), data.end());
    case Compression::Gzip:
        return gzipDecompress(data, maxOutput);
    case Compression::Snappy:
        return snappyDecompress(data, maxOutput);
    case Compression::Lz4:
        return lz4Decompress(data, maxOutput);
    case Compression::Zstd:
        return zstdDecompress(data, maxOutput);
    }
    return std::unexpected(makeError(ErrorCode::CorruptMessage,
                                     "unknown compression codec " +
                                         std::to_string(static_cast<int>(codec))));
}

} // namespace faultline::protocol
