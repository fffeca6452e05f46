// Writes one valid request frame (header + body, no length prefix) per API and version into a
// directory: the seed corpus of fuzz_request_decoder.
#include "engine/protocol/header.h"
#include "engine/protocol/messages/all.h"
#include "engine/protocol/messages/samples.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace faultline::protocol;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    int written = 0;
    for (const ApiInfo& api : allApis()) {
        visitRequest(api.key, [&]<typename M>() {
            for (std::int16_t v = M::minVersion; v <= M::maxVersion; ++v) {
                std::vector<std::uint8_t> frame;
                Writer w(frame);
                writeRequestHeader(w, RequestHeader{M::apiKey, v, 1, std::string("seed")},
                                   requestHeaderVersion(M::apiKey, v));
                M m;
                int seed = 1;
                samples::fill(m, v, seed);
                m.write(w, v);
                const std::string path =
                    dir + "/seed_" + std::to_string(M::apiKey) + "_v" + std::to_string(v);
                if (FILE* f = std::fopen(path.c_str(), "wb")) {
                    std::fwrite(frame.data(), 1, frame.size(), f);
                    std::fclose(f);
                    ++written;
                }
            }
        });
    }
    std::printf("wrote %d seeds to %s\n", written, dir.c_str());
    return written > 0 ? 0 : 1;
}
