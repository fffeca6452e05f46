// libFuzzer target: bytes are one request frame without its 4-byte length. Decodes the header and,
// for a known api/version, the body with the generated reader; re-encodes whatever decoded and
// checks that the re-encoding decodes to the same value.
#include "engine/protocol/header.h"
#include "engine/protocol/messages/all.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

using namespace faultline::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto owner = std::make_shared<const std::vector<std::uint8_t>>(data, data + size);
    Reader r(owner, std::span<const std::uint8_t>(*owner));
    // The header is read field by field here (as readRequestHeader does): clang 14 cannot
    // instantiate libstdc++ 12's std::expected<RequestHeader, Error> destructor.
    RequestHeader h;
    h.apiKey = r.readInt16();
    h.apiVersion = r.readInt16();
    h.correlationId = r.readInt32();
    if (!r.ok()) return 0;
    const std::int16_t headerVersion = requestHeaderVersion(h.apiKey, h.apiVersion);
    if (headerVersion >= 1) h.clientId = r.readNullableString(false);
    if (headerVersion >= 2) r.skipTaggedFields();
    if (!r.ok()) return 0;
    const RequestHeader* header = &h;
    const std::int16_t version = header->apiVersion;
    visitRequest(header->apiKey, [&]<typename Req>() {
        if (version < Req::minVersion || version > Req::maxVersion) return;
        Req req;
        req.read(r, version);
        if (!r.ok()) return;
        const std::vector<std::uint8_t> again = req.encode(version);
        Reader r2(again);
        Req back;
        back.read(r2, version);
        if (!r2.ok() || r2.remaining() != 0 || !(back == req)) std::abort();
    });
    // Re-encode the header too.
    std::vector<std::uint8_t> out;
    Writer w(out);
    writeRequestHeader(w, *header, requestHeaderVersion(header->apiKey, header->apiVersion));
    return 0;
}
