// Reading the kernel's hex numbers eight digits at a time: a 60,000-row map holds 180,000 of
// them (start, end, offset), most of them 8 or 12 digits long, and a digit-by-digit loop was the
// biggest part of parsing a row. Internal to the sources.
#pragma once

#include <cstdint>

#include "sources/eight_bytes.hpp"

namespace vmatlas::detail {

// The high bit of every byte of w that is a lower-case hex digit ('0'-'9', 'a'-'f'), as the
// kernel prints them.
inline std::uint64_t lower_hex_bytes(std::uint64_t w) {
    const std::uint64_t low7 = (w & ~kByteHighs) | kByteHighs;  // no byte borrows from the next
    auto at_least = [&](std::uint64_t k) { return (low7 - k * kByteOnes) & kByteHighs; };
    const std::uint64_t digit = at_least('0') & ~at_least('9' + 1);
    const std::uint64_t letter = at_least('a') & ~at_least('f' + 1);
    return (digit | letter) & ~w;  // a byte with its own high bit set is no digit
}

// The value of the eight hex digits in w, as load8() gives them (the first, most significant
// digit in the low byte). A byte that is zero counts as the digit 0.
inline std::uint32_t hex8_value(std::uint64_t w) {
    // Each byte's digit value: the low nibble, plus 9 for a letter (bit 6 set).
    std::uint64_t x = (w & 0x0f0f0f0f0f0f0f0fULL) + ((w >> 6) & kByteOnes) * 9;
    x = __builtin_bswap64(x);
    // Now the most significant digit is in the top byte: pack nibble pairs, then bytes, halves.
    x = (x | (x >> 4)) & 0x00ff00ff00ff00ffULL;
    x = (x | (x >> 8)) & 0x0000ffff0000ffffULL;
    x = (x | (x >> 16)) & 0x00000000ffffffffULL;
    return static_cast<std::uint32_t>(x);
}

// The run of lower-case hex digits that starts at p, when it is 8 to 16 digits long (the kernel
// prints addresses and offsets with at least 8): its length, and its value in `value`; 0 for a
// shorter or longer run. An upper-case digit ends the run like any other byte, so the caller
// checks the byte after it (the kernel's '-' or ' '), and reads anything else digit by digit.
// Reads p[0, 17), which the caller makes sure are there.
inline int lower_hex_run(const char* p, std::uint64_t& value) {
    const std::uint64_t head = load8(p), tail = load8(p + 8);
    if (lower_hex_bytes(head) != kByteHighs) return 0;
    const std::uint64_t not_digits = ~lower_hex_bytes(tail) & kByteHighs;
    if (not_digits == 0) {  // 16 digits: the 17th byte must end the run
        const std::uint64_t next = static_cast<unsigned char>(p[16]);
        if (lower_hex_bytes(next) != 0) return 0;
        value = std::uint64_t{hex8_value(head)} << 32 | hex8_value(tail);
        return 16;
    }
    const int more = first_nonzero_byte(not_digits);  // 0 to 7 digits past the first 8
    value = hex8_value(head);
    if (more > 0) {
        const std::uint64_t kept = tail & ((std::uint64_t{1} << (8 * more)) - 1);
        value = value << (4 * more) | hex8_value(kept) >> (4 * (8 - more));
    }
    return 8 + more;
}

}  // namespace vmatlas::detail
