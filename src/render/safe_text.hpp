// Printing names that a process chose: a file name must not be able to write to the terminal.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vmatlas {

// Appends s with control characters (C0, DEL, C1), format characters that hide or reorder text
// (Unicode Cf: zero-width spaces and joiners, bidirectional controls, the soft hyphen, the byte
// order mark, tag characters...), the line and paragraph separators, and invalid UTF-8 escaped:
// "\n", "\t", "\\", "\x1b", "\u202e", "\u200b", "\U000e0041". Returns the number of terminal
// columns appended (one per code point; escapes count their characters).
std::size_t append_safe(std::string& out, std::string_view s);

// How many bytes at the start of s append_safe() copies as they are: printable ASCII other than
// the backslash. Eight bytes at a time: a name is checked on every row of a 60,000-row table.
inline std::size_t plain_run(std::string_view s) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t below_space = (w - 0x20 * kOnes) & ~w;  // a byte < 0x20
        const std::uint64_t del_or_high = (w + kOnes) | w;          // a byte >= 0x7f
        const std::uint64_t b = w ^ ('\\' * kOnes);
        const std::uint64_t backslash = (b - kOnes) & ~b;             // a zero byte: a backslash
        if ((below_space | del_or_high | backslash) & kHighs) break;  // find it byte by byte
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) - 0x20u < 0x5fu && s[i] != '\\') ++i;
    return i;
}

// True when append_safe(out, s) would append s as it is.
inline bool is_plain_text(std::string_view s) {
    return plain_run(s) == s.size();
}

// The width append_safe(out, s) would return, without writing anything.
std::size_t safe_width(std::string_view s);

// Appends s as a CSV field: escaped as append_safe() escapes it, then quoted (its quotes doubled)
// when it holds a comma or a quote.
void append_csv_field(std::string& out, std::string_view s);

// Appends s as the body of a JSON string: quotes, backslashes and controls escaped, invalid UTF-8
// bytes replaced by U+FFFD (JSON cannot hold them).
void append_json_string(std::string& out, std::string_view s);

}  // namespace vmatlas
