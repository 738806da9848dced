// Text that arrives in pieces (the blocks of a read), cut into lines.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

namespace vmatlas::detail {

// Calls on_line(line) for every line of piece that ends in it, without its newline. A line that
// begins in an earlier piece was kept in carry, and is completed here; the start of a line
// that piece does not end is kept in carry for the next one. At the end of the text, what carry
// holds is the last line, which had no newline.
template <typename OnLine>
void split_lines(std::string_view piece, std::string& carry, OnLine&& on_line) {
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const void* nl = std::memchr(piece.data() + pos, '\n', piece.size() - pos);
        if (!nl) {
            carry.append(piece.substr(pos));
            return;
        }
        const auto eol = static_cast<std::size_t>(static_cast<const char*>(nl) - piece.data());
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
