// The one table of served APIs: {key, min, max, first flexible, handler}. It dispatches requests
// and produces the ApiVersions answer, so the two can never disagree.
#pragma once

#include "engine/broker/request_context.h"

#include <cstdint>
#include <span>

namespace faultline::broker {

struct ApiEntry {
    std::int16_t key;
    const char* name;
    std::int16_t minVersion;
    std::int16_t maxVersion;
    std::int16_t firstFlexibleVersion; // -1: none
    Handler handler;
    Preparer prepare = nullptr;
};

[[nodiscard]] std::span<const ApiEntry> apiTable();
[[nodiscard]] const ApiEntry* findApi(std::int16_t key);

} // namespace faultline::broker
