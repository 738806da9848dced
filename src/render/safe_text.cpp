#include "render/safe_text.hpp"

#include <utility>

#include <fmt/format.h>

#include "model/utf8.hpp"

namespace vmatlas {

namespace {

// Code points that drive, reorder or hide text on a terminal, so that one name could pass for
// another: C1 controls, and every format character (Unicode category Cf, up to Unicode 15: the
// soft hyphen, zero-width spaces and joiners, bidirectional controls, the word joiner, invisible
// operators, the byte order mark, interlinear annotation marks, tag characters), the line and
// paragraph separators (Zl, Zp), and the unassigned code points among them (U+2065, the tags
// block's). In order, so that the search can stop early.
constexpr std::pair<char32_t, char32_t> kHidden[] = {
    {0x80, 0x9f},       {0xad, 0xad},       {0x600, 0x605},     {0x61c, 0x61c},
    {0x6dd, 0x6dd},     {0x70f, 0x70f},     {0x890, 0x891},     {0x8e2, 0x8e2},
    {0x180e, 0x180e},   {0x200b, 0x200f},   {0x2028, 0x202e},   {0x2060, 0x206f},
    {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
    {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe007f},
};

bool is_dangerous(char32_t cp) {
    for (const auto& [first, last] : kHidden) {
        if (cp < first) return false;
        if (cp <= last) return true;
    }
    return false;
}

}  // namespace

std::size_t append_safe(std::string& out, std::string_view s) {
    std::size_t cols = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        // Fast path: a run of printable ASCII other than the backslash goes out as it is.
        const std::size_t run = i + plain_run(s.substr(i));
        if (run > i) {
            out.append(s.data() + i, run - i);
            cols += run - i;
            i = run;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            if (c == '\\') {
                out += "\\\\";
                cols += 2;
            } else {
                out.push_back(static_cast<char>(c));
                ++cols;
            }
            ++i;
            continue;
        }
        if (c == '\n' || c == '\t' || c == '\r') {
            out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
            cols += 2;
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t n = c >= 0x80 ? utf8_sequence(s, i, cp) : 0;
        if (n == 0) {  // a C0 control, DEL, or a byte that is not UTF-8
            fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
            cols += 4;
            ++i;
        } else if (is_dangerous(cp)) {
            // "\u200b", or past U+FFFF "\U000e0041": as C and Python spell them.
            const std::size_t before = out.size();
            if (cp <= 0xffff)
                fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                               static_cast<std::uint32_t>(cp));
            else
                fmt::format_to(std::back_inserter(out), "\\U{:08x}",
                               static_cast<std::uint32_t>(cp));
            cols += out.size() - before;
            i += n;
        } else {
            out.append(s.substr(i, n));
            ++cols;
            i += n;
        }
    }
    return cols;
}

std::size_t safe_width(std::string_view s) {
    const std::size_t i = plain_run(s);
    if (i == s.size()) return s.size();  // printable ASCII: as wide as it is long
    std::string scratch;
    return i + append_safe(scratch, s.substr(i));
}

void append_csv_field(std::string& out, std::string_view s) {
    std::string safe;  // apart from out, which s may be a part of
    append_safe(safe, s);
    if (safe.find_first_of(",\"") == std::string::npos) {
        out += safe;
        return;
    }
    out.push_back('"');
    for (const char c : safe) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

void append_json_string(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // Fast path: a run of printable ASCII other than the quote and the backslash.
        std::size_t run = i;
        while (run < s.size() && static_cast<unsigned char>(s[run]) - 0x20u < 0x60u &&
               s[run] != '"' && s[run] != '\\')
            ++run;
        if (run > i) {
            out.append(s.data() + i, run - i);
            i = run;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x80) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c < 0x20) {
            switch (c) {
                case '\n':
                    out += "\\n";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
            }
            ++i;
        } else {
            char32_t cp = 0;
            const std::size_t n = utf8_sequence(s, i, cp);
            if (n == 0) {
                out += "\xef\xbf\xbd";  // U+FFFD
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
        }
    }
}

}  // namespace vmatlas
