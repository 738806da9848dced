// Text that arrives in pieces (the blocks of a read), cut into lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sources/eight_bytes.hpp"

namespace vmatlas::detail {

// The first '\n' in [p, end), or null. Inline and eight bytes at a time: smaps lines are some 28
// bytes, 1.4 million of them for a 60,000-mapping process, and a call to memchr for each costs
// more than the search.
inline const char* find_newline(const char* p, const char* end) {
    for (; end - p >= 8; p += 8) {
        const std::uint64_t w = load8(p) ^ ('\n' * kByteOnes);  // a newline becomes a zero byte
        const std::uint64_t zeros = (w - kByteOnes) & ~w & kByteHighs;
        if (zeros) return p + first_nonzero_byte(zeros);  // exact for the first zero byte
    }
    for (; p < end; ++p)
        if (*p == '\n') return p;
    return nullptr;
}

// Calls on_line(line) for every line of piece that ends in it, without its newline. A line that
// begins in an earlier piece was kept in carry, and is completed here; the start of a line
// that piece does not end is kept in carry for the next one. At the end of the text, what carry
// holds is the last line, which had no newline. (SmapsParser::feed in smaps.cpp does the same
// with a fast path of its own for the kernel's size lines.)
template <typename OnLine>
void split_lines(std::string_view piece, std::string& carry, OnLine&& on_line) {
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const char* nl = find_newline(piece.data() + pos, piece.data() + piece.size());
        if (!nl) {
            carry.append(piece.substr(pos));
            return;
        }
        const auto eol = static_cast<std::size_t>(nl - piece.data());
        if (carry.empty()) {
            on_line(piece.substr(pos, eol - pos));
        } else {
            carry.append(piece.substr(pos, eol - pos));
            on_line(std::string_view(carry));
            carry.clear();
        }
        pos = eol + 1;
    }
}

}  // namespace vmatlas::detail
