// Fuzz target of the address grammar (src/sources/text.hpp): parse_user_address and
// parse_address_expr, what `vmatlas where`, the default view's FILTER and --gaps read. For any
// bytes:
// - parse_user_address accepts exactly what a plain reference reading accepts ("0x" or "0X" and
//   1 to 16 hex digits; '0' and octal digits; 1 to 20 decimal digits without a leading zero),
//   with the same value, computed here in 128 bits;
// - an accepted value printed back in hex, octal and decimal reads back the same;
// - parse_address_expr: nothing only for blank text or a sum that wraps; a number is the text's
//   own value (or the sum of the two numbers around its last '+'); a term has no blank at either
//   end, and with an offset it is the text before the last '+', whose text after is the offset.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "sources/text.hpp"

namespace {

using vmatlas::text::AddressExpr;
using vmatlas::text::parse_address_expr;
using vmatlas::text::parse_user_address;

[[noreturn]] void fail(const std::string& why, std::string_view input) {
    std::string shown;
    for (const unsigned char c : input)
        shown += c >= 0x20 && c < 0x7f && c != '\\' ? std::string(1, static_cast<char>(c))
                                                    : fmt::format("\\x{:02x}", c);
    std::fprintf(stderr, "fuzz_address: %s (input \"%s\")\n", why.c_str(), shown.c_str());
    std::abort();
}

// The grammar read the plain way: digits of one base, the value in 128 bits.
std::optional<std::uint64_t> reference(std::string_view s) {
    unsigned base = 10;
    std::size_t max_digits = 20;
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16, max_digits = 16;
        s.remove_prefix(2);
    } else if (s.size() >= 2 && s[0] == '0') {
        base = 8, max_digits = SIZE_MAX;
        s.remove_prefix(1);
    }
    if (s.empty() || s.size() > max_digits) return std::nullopt;
    unsigned __int128 v = 0;
    for (const char c : s) {
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A' + 10);
        else
            return std::nullopt;
        if (d >= base) return std::nullopt;
        v = v * base + d;
        if (v > UINT64_MAX) return std::nullopt;
    }
    return static_cast<std::uint64_t>(v);
}

bool blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

void check_number(std::string_view s) {
    const auto got = parse_user_address(s);
    const auto want = reference(s);
    if (got != want)
        fail(fmt::format("parse_user_address gives {}, the reference {}",
                         got ? fmt::format("{:#x}", *got) : "nothing",
                         want ? fmt::format("{:#x}", *want) : "nothing"),
             s);
    if (!got) return;
    for (const std::string& again :
         {fmt::format("{:#x}", *got), fmt::format("0{:o}", *got), fmt::format("{}", *got)})
        if (parse_user_address(again) != got) fail("a value printed back reads otherwise", again);
}

void check_expr(std::string_view s) {
    const std::optional<AddressExpr> e = parse_address_expr(s);
    const std::string_view t = trimmed(s);
    const std::size_t plus = t.rfind('+');
    if (!e) {
        if (t.empty()) return;
        // Only a sum of two numbers that wraps is nothing.
        if (plus == std::string_view::npos) fail("a text is neither a number nor a term", s);
        const auto a = parse_user_address(trimmed(t.substr(0, plus)));
        const auto b = parse_user_address(trimmed(t.substr(plus + 1)));
        if (!a || !b || *a <= UINT64_MAX - *b) fail("nothing, for no wrapping sum", s);
        return;
    }
    if (t.empty()) fail("blank text is an expression", s);
    if (e->term.empty()) {
        if (e->has_offset) fail("a number with an offset", s);
        if (const auto n = parse_user_address(t)) {
            if (*n != e->value) fail("a number's value differs", s);
            return;
        }
        if (plus == std::string_view::npos) fail("a number that is none", s);
        const auto a = parse_user_address(trimmed(t.substr(0, plus)));
        const auto b = parse_user_address(trimmed(t.substr(plus + 1)));
        if (!a || !b || *a + *b != e->value) fail("a sum that is not the two numbers'", s);
        return;
    }
    if (blank(e->term.front()) || blank(e->term.back())) fail("a term with blanks at an end", s);
    if (!e->has_offset) {
        if (e->term != t) fail("a term without offset is not all of the text", s);
        if (e->value != 0) fail("a term without offset has one", s);
        return;
    }
    if (plus == std::string_view::npos) fail("an offset without a '+'", s);
    if (e->term != trimmed(t.substr(0, plus))) fail("the term is not the text before '+'", s);
    if (parse_user_address(trimmed(t.substr(plus + 1))) != e->value)
        fail("the offset is not the text after '+'", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    check_number(s);
    check_expr(s);
    // Each line too, as `where` reads addresses on its standard input.
    std::size_t from = 0;
    while (from < s.size()) {
        const std::size_t nl = s.find('\n', from);
        const std::string_view line = s.substr(from, nl == std::string_view::npos ? nl : nl - from);
        check_number(line);
        check_expr(line);
        if (nl == std::string_view::npos) break;
        from = nl + 1;
    }
    return 0;
}
