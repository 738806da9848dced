// Fuzz target of the --pcs and --counts lists of `vmatlas trace` (src/trace/point_list.hpp). For
// any bytes, parse_points and parse_counts return without a crash, and:
// - an error is of kind Usage, with a sentence;
// - each point is what its kind says: an Address's text reads back as its value, an
//   ObjectOffset's text ends with a '+' and a number that is its offset, a Symbol's text is the
//   symbol; no text is empty or has a comma or blanks at its ends;
// - the counts are at least 1, ascending, each once.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sources/text.hpp"
#include "trace/point_list.hpp"

namespace {

using vmatlas::trace::Point;

[[noreturn]] void fail(const char* why, std::string_view input) {
    std::string shown;
    for (const unsigned char c : input) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            shown += static_cast<char>(c);
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            shown += hex;
        }
    }
    std::fprintf(stderr, "fuzz_point_list: %s (input \"%s\")\n", why, shown.c_str());
    std::abort();
}

void check_error(const vmatlas::Error& e, std::string_view input) {
    if (e.kind != vmatlas::ErrorKind::Usage) fail("an error not of kind Usage", input);
    if (e.message.empty()) fail("an error without a sentence", input);
}

void check_points(std::string_view input) {
    const auto points = vmatlas::trace::parse_points(input);
    if (!points) return check_error(points.error(), input);
    if (points->empty()) fail("no points and no error", input);
    for (const Point& p : *points) {
        const std::string_view t = p.text;
        if (t.empty() || t.find(',') != std::string_view::npos ||
            vmatlas::text::trim_blanks(t).size() != t.size())
            fail("a point's text is empty, holds a comma or has blanks at an end", input);
        switch (p.kind) {
            case Point::Kind::Address:
                if (vmatlas::text::parse_user_address(t) != p.value || !p.object.empty() ||
                    !p.symbol.empty())
                    fail("an address is not its text", input);
                break;
            case Point::Kind::ObjectOffset: {
                const std::size_t plus = t.rfind('+');
                if (plus == std::string_view::npos || p.object.empty() || !p.symbol.empty() ||
                    vmatlas::text::parse_user_address(
                        vmatlas::text::trim_blanks(t.substr(plus + 1))) != p.value ||
                    vmatlas::text::trim_blanks(t.substr(0, plus)) != p.object)
                    fail("an OBJECT+OFFSET is not its text", input);
                break;
            }
            case Point::Kind::Symbol:
                if (p.symbol != t || !p.object.empty() || p.value != 0)
                    fail("a symbol is not its text", input);
                break;
        }
    }
}

void check_counts(std::string_view input) {
    const auto counts = vmatlas::trace::parse_counts(input);
    if (!counts) return check_error(counts.error(), input);
    if (counts->empty()) fail("no counts and no error", input);
    for (std::size_t i = 0; i < counts->size(); ++i) {
        if ((*counts)[i] == 0) fail("a count of 0", input);
        if (i > 0 && (*counts)[i - 1] >= (*counts)[i]) fail("counts not strictly ascending", input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    check_points(s);
    check_counts(s);
    return 0;
}
