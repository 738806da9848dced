// Numbers as text on the hot path of every view: a 60,000-row map formats 300,000 numbers, and
// fmt's general formatter through a back_inserter costs several times more than this.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace vmatlas {

inline int hex_digits(std::uint64_t v) {
    return (67 - __builtin_clzll(v | 1)) / 4;  // the significant bits, rounded up to nibbles
}

inline int decimal_digits(std::uint64_t v) {
    int n = 1;
    while (v >= 10) v /= 10, ++n;
    return n;
}

namespace detail {

// The eight hex digits of v (lower case unless `upper`) as eight bytes, in the order they are
// written: every nibble is spread into a byte of its own, then all are turned into digits at once.
inline std::uint64_t hex8(std::uint32_t v, bool upper = false) {
    std::uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffULL;
    x = (x | x << 8) & 0x00ff00ff00ff00ffULL;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fULL;  // nibble k in byte k
    const std::uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
    x += 0x3030303030303030ULL + letters * ((upper ? 'A' : 'a') - '0' - 10);
    if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
    return x;  // the most significant digit in the byte stored first
}

}  // namespace detail

// Writes v in hex (lower case unless `upper`) as exactly `digits` digits (1 to 16, at least
// hex_digits(v)) ending at end.
inline void put_hex_before(char* end, std::uint64_t v, int digits, bool upper = false) {
    if (digits <= 3) {  // an offset of 0, a size under 0x1000
        const char* symbols = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        for (int k = 0; k < digits; ++k, v >>= 4) *--end = symbols[v & 0xf];
        return;
    }
    // The low eight digits in text[8, 16), the high ones in text[0, 8) when there are any; then
    // two fixed-size copies that overlap in the middle, which the compiler turns into stores.
    char text[16];
    const std::uint64_t lo = detail::hex8(static_cast<std::uint32_t>(v), upper);
    std::memcpy(text + 8, &lo, 8);
    if (digits > 8) {
        const std::uint64_t hi = detail::hex8(static_cast<std::uint32_t>(v >> 32), upper);
        std::memcpy(text, &hi, 8);
        std::memcpy(end - digits, text + 16 - digits, 8);
        std::memcpy(end - 8, text + 8, 8);
    } else {
        std::memcpy(end - digits, text + 16 - digits, 4);
        std::memcpy(end - 4, text + 12, 4);
    }
}

inline void put_decimal_before(char* end, std::uint64_t v, int digits) {
    for (int k = 0; k < digits; ++k, v /= 10) *--end = static_cast<char>('0' + v % 10);
}

// Hex (lower case unless `upper`), no prefix, at least min_digits digits.
inline void append_hex(std::string& out, std::uint64_t v, int min_digits = 1, bool upper = false) {
    char buf[16];
    const int n = std::min(std::max(hex_digits(v), min_digits), 16);
    put_hex_before(buf + 16, v, n, upper);
    out.append(buf + 16 - n, static_cast<std::size_t>(n));
}

// "0x" and lower-case hex: addresses.
inline void append_address(std::string& out, std::uint64_t v) {
    out += "0x";
    append_hex(out, v);
}

inline void append_decimal(std::string& out, std::uint64_t v) {
    char buf[20];
    int n = 0;
    do {
        buf[19 - n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out.append(buf + 20 - n, static_cast<std::size_t>(n));
}

}  // namespace vmatlas
