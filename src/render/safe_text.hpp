// Printing names that a process chose: a file name must not be able to write to the terminal.
#pragma once

#include <string>
#include <string_view>

namespace vmatlas {

// Appends s with control characters (C0, DEL, C1), bidirectional overrides and invalid UTF-8
// escaped: "\n", "\t", "\\", "\x1b", "\u202e". Returns the number of terminal columns appended
// (one per code point; escapes count their characters).
std::size_t append_safe(std::string& out, std::string_view s);

// True when append_safe(out, s) would append s as it is: printable ASCII without a backslash.
inline bool is_plain_text(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) - 0x20u >= 0x5fu || c == '\\') return false;
    return true;
}

// The width append_safe(out, s) would return, without writing anything.
std::size_t safe_width(std::string_view s);

// Appends s as the body of a JSON string: quotes, backslashes and controls escaped, invalid UTF-8
// bytes replaced by U+FFFD (JSON cannot hold them).
void append_json_string(std::string& out, std::string_view s);

}  // namespace vmatlas
