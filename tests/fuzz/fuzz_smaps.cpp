// Fuzz target of the smaps parser. For any bytes:
// - the address space keeps its invariants, and its figures run parallel to its mappings;
// - parsing is deterministic (same generation twice);
// - the text cut into three pieces anywhere (as read(2) fills its blocks) parses to the same
//   rows and figures as the whole;
// - the careful path alone (the fast path for the kernel's exact lines off) gives the same rows,
//   figures and diagnostics (line, column and sentence), to the byte;
// - the text with a blank after every figure line but VmFlags, and a CR before the end of each
//   VmFlags line (neither after a line that already ends in CR) (which keep every line off the
//   parser's fast path for the kernel's exact form), gives the same rows, figures and diagnostics
//   (line, column and sentence).
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "sources/smaps_lines.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/smaps.hpp"

namespace {

using vmatlas::AddressSpace;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_smaps: %s\n", why.c_str());
    std::abort();
}

const vmatlas::SourceInfo kSource{vmatlas::SourceKind::SmapsText, "fuzz", 0, ""};

// The same rows (paths compared as text) and the same figures.
void expect_same(const AddressSpace& a, const AddressSpace& b, std::string_view what) {
    if (a.size() != b.size())
        fail(fmt::format("{}: {} rows, the whole text gives {}", what, b.size(), a.size()));
    if (a.figures().size() != b.figures().size())
        fail(fmt::format("{}: {} figure rows, the whole text gives {}", what, b.figures().size(),
                         a.figures().size()));
    for (std::size_t i = 0; i < a.size(); ++i) {
        vmatlas::Mapping ma = a[i], mb = b[i];
        const bool same_path = a.path(ma) == b.path(mb);
        ma.path = mb.path = 0;
        if (!(ma == mb) || !same_path) fail(fmt::format("{}: row {} differs", what, i));
        if (!a.figures().empty() && !(a.figures()[i] == b.figures()[i]))
            fail(fmt::format("{}: the figures of row {} differ", what, i));
    }
}

// The same diagnostics at the same lines and columns. A bad value's sentence quotes the value,
// which the careful text may have given a trailing blank: the sentences are compared without
// their quoted part, and the column of an empty value (where the line's blanks end) not at all.
void expect_same_diagnostics(const AddressSpace& a, const AddressSpace& b, std::string_view what) {
    const auto& da = a.diagnostics();
    const auto& db = b.diagnostics();
    if (da.size() != db.size())
        fail(
            fmt::format("{}: {} diagnostics, the whole text gives {}", what, db.size(), da.size()));
    for (std::size_t i = 0; i < da.size(); ++i) {
        const std::string_view ma = da[i].message, mb = db[i].message;
        const bool empty_value = ma.find("''") != std::string_view::npos;
        if (da[i].line != db[i].line || (da[i].column != db[i].column && !empty_value) ||
            ma.substr(0, ma.find('\'')) != mb.substr(0, mb.find('\'')))
            fail(fmt::format("{}: diagnostic {} is {}:{} '{}', the whole text gives {}:{} '{}'",
                             what, i, db[i].line, db[i].column, mb, da[i].line, da[i].column, ma));
    }
}

// The same diagnostics, to the byte.
void expect_exact_diagnostics(const AddressSpace& a, const AddressSpace& b, std::string_view what) {
    const auto& da = a.diagnostics();
    const auto& db = b.diagnostics();
    if (da.size() != db.size())
        fail(
            fmt::format("{}: {} diagnostics, the whole text gives {}", what, db.size(), da.size()));
    for (std::size_t i = 0; i < da.size(); ++i)
        if (da[i].line != db[i].line || da[i].column != db[i].column ||
            da[i].message != db[i].message)
            fail(fmt::format("{}: diagnostic {} is {}:{} '{}', the whole text gives {}:{} '{}'",
                             what, i, db[i].line, db[i].column, db[i].message, da[i].line,
                             da[i].column, da[i].message));
}

// A line the parser reads as a figure ("Word:" at its start), but not VmFlags, whose value is
// the rest of the line, blanks and all.
bool is_figure_line(std::string_view line) {
    std::size_t k = 0;
    while (k < line.size() && (std::isalnum(static_cast<unsigned char>(line[k])) || line[k] == '_'))
        ++k;
    return k > 0 && k < line.size() && line[k] == ':' && line.substr(0, k) != "VmFlags";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const AddressSpace whole = vmatlas::parse_smaps_text(text, kSource);
    const auto broken = vmatlas::check_invariants(whole);
    if (!broken.empty()) fail(broken.front());
    if (vmatlas::parse_smaps_text(text, kSource).generation() != whole.generation())
        fail("two parses of the same text differ");

    // Cut points taken from the text itself, so that each input tries its own.
    const std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
    const std::size_t b = size == 0 ? 0 : a + data[size - 1] % (size - a + 1);
    const std::string_view pieces[] = {text.substr(0, a), text.substr(a, b - a), text.substr(b)};
    expect_same(whole, vmatlas::parse_smaps_text(pieces, kSource), "in three pieces");
    const AddressSpace careful_path = vmatlas::detail::parse_smaps_pieces(pieces, kSource, false);
    expect_same(whole, careful_path, "the careful path alone");
    expect_exact_diagnostics(whole, careful_path, "the careful path alone");

    std::string careful;
    careful.reserve(size + size / 8);
    for (std::string_view rest = text; !rest.empty();) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        careful += line;
        // (A line that ends in CR keeps it last, where the parser drops it.)
        if (is_figure_line(line) && !line.ends_with('\r'))
            careful.push_back(' ');
        else if (line.starts_with("VmFlags:") && !line.ends_with('\r'))
            careful.push_back('\r');
        if (nl == std::string_view::npos) break;
        careful.push_back('\n');
        rest.remove_prefix(nl + 1);
    }
    const AddressSpace careful_space = vmatlas::parse_smaps_text(careful, kSource);
    expect_same(whole, careful_space, "read the careful way");
    expect_same_diagnostics(whole, careful_space, "read the careful way");
    return 0;
}
