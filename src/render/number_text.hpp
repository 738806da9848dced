// Numbers as text on the hot path of every view: a 60,000-row map formats 300,000 numbers, and
// fmt's general formatter through a back_inserter costs several times more than this.
#pragma once

#include <cstdint>
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

// Writes v in lower-case hex as exactly `digits` digits (at least hex_digits(v)) ending at end.
inline void put_hex_before(char* end, std::uint64_t v, int digits) {
    for (int k = 0; k < digits; ++k, v >>= 4) *--end = "0123456789abcdef"[v & 0xf];
}

inline void put_decimal_before(char* end, std::uint64_t v, int digits) {
    for (int k = 0; k < digits; ++k, v /= 10) *--end = static_cast<char>('0' + v % 10);
}

// Lower-case hex, no prefix, at least min_digits digits.
inline void append_hex(std::string& out, std::uint64_t v, int min_digits = 1) {
    char buf[16];
    int n = 0;
    do {
        buf[15 - n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    while (n < min_digits && n < 16) buf[15 - n++] = '0';
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
