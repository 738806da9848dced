// UTF-8 as the views and snapshots read it: well-formed sequences only (shortest forms, no
// surrogates, nothing above U+10FFFF); and a code point written as UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vmatlas {

// Length of the well-formed UTF-8 sequence at s[i] (2 to 4) and its code point, or 0.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t n;
    char32_t min;
    if (b0 >= 0xc2 && b0 <= 0xdf)
        n = 2, cp = b0 & 0x1f, min = 0x80;
    else if (b0 >= 0xe0 && b0 <= 0xef)
        n = 3, cp = b0 & 0x0f, min = 0x800;
    else if (b0 >= 0xf0 && b0 <= 0xf4)
        n = 4, cp = b0 & 0x07, min = 0x10000;
    else
        return 0;
    if (s.size() - i < n) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

// True when s is well-formed UTF-8: what a JSON string can hold and a JSON parser gives back
// unchanged.
inline bool valid_utf8(std::string_view s) {
    char32_t cp;
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Appends code point cp as UTF-8: a scalar value (at most U+10FFFF, not a surrogate), which
// the caller has checked.
inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

}  // namespace vmatlas
