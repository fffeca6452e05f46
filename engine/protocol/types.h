// Strong types for the ids and offsets that are otherwise easy to swap.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace faultline::protocol {

template <typename Tag, typename T> struct StrongInt {
    T value{};
    constexpr StrongInt() = default;
    constexpr explicit StrongInt(T v) : value(v) {}
    constexpr auto operator<=>(const StrongInt&) const = default;
    [[nodiscard]] constexpr T get() const { return value; }
};

using BrokerId = StrongInt<struct BrokerIdTag, std::int32_t>;
using PartitionId = StrongInt<struct PartitionIdTag, std::int32_t>;
using Offset = StrongInt<struct OffsetTag, std::int64_t>;
using Epoch = StrongInt<struct EpochTag, std::int32_t>;
using ProducerId = StrongInt<struct ProducerIdTag, std::int64_t>;

} // namespace faultline::protocol

template <typename Tag, typename T> struct std::hash<faultline::protocol::StrongInt<Tag, T>> {
    std::size_t operator()(const faultline::protocol::StrongInt<Tag, T>& v) const noexcept {
        return std::hash<T>{}(v.value);
    }
};
