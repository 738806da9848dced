// Reading text eight bytes at a time (SWAR), for the parsers' hot loops: a 60,000-mapping smaps
// text is 1.4 million lines. Internal to the sources.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace vmatlas::detail {

inline constexpr std::uint64_t kByteOnes = 0x0101010101010101ULL;   // 0x01 in every byte
inline constexpr std::uint64_t kByteHighs = 0x8080808080808080ULL;  // 0x80 in every byte

// Eight bytes from p as a number whose low byte is p[0], whatever the machine's byte order.
inline std::uint64_t load8(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    return w;
}

// The index of the first byte of w that is not zero, in load8's order (w is not zero).
inline int first_nonzero_byte(std::uint64_t w) {
    return std::countr_zero(w) / 8;
}

}  // namespace vmatlas::detail
