// Fuzz target of the gdb-text parser (info proc mappings, maintenance info sections). For any
// bytes:
// - recognizing them (looks_like_gdb_text) and parsing them never crash;
// - the address space keeps its invariants, and every row is accounted for (read == kept +
//   superseded + rejected);
// - every diagnostic's line and column lie inside the text;
// - the same rows come out whether the text is fed whole or a byte at a time;
// - the kept rows, printed back as gdb prints them (with the Perms column when their
//   permissions are known, without it otherwise), parse to the same rows.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "vmatlas/address_space.hpp"
#include "vmatlas/gdb_text.hpp"

namespace {

using vmatlas::AddressSpace;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_gdb_text: %s\n", why.c_str());
    std::abort();
}

vmatlas::SourceInfo source() {
    return vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "fuzz", 0, ""};
}

AddressSpace parse_in_pieces(std::string_view text, std::size_t piece) {
    vmatlas::AddressSpaceBuilder builder(source());
    vmatlas::GdbTextParser parser(builder);
    for (std::size_t at = 0; at < text.size(); at += piece) parser.feed(text.substr(at, piece));
    parser.finish();
    return std::move(builder).build();
}

std::size_t line_count(std::string_view text) {
    std::size_t n = 0;
    for (const char c : text) n += c == '\n';
    return n + 1;
}

std::size_t longest_line(std::string_view text) {
    std::size_t longest = 0, run = 0;
    for (const char c : text) {
        run = c == '\n' ? 0 : run + 1;
        longest = std::max(longest, run);
    }
    return longest;
}

void check_sound(const AddressSpace& space, std::string_view text) {
    const auto broken = vmatlas::check_invariants(space);
    if (!broken.empty()) fail(broken.front());
    const vmatlas::RowAccount& r = space.rows();
    if (r.read != r.kept + r.superseded + r.rejected)
        fail(fmt::format("{} read != {} kept + {} superseded + {} rejected", r.read, r.kept,
                         r.superseded, r.rejected));
    const std::size_t lines = line_count(text), width = longest_line(text);
    for (const vmatlas::Diagnostic& d : space.diagnostics())
        if (d.line > lines || d.column > width + 1)
            fail(
                fmt::format("diagnostic at line {} column {} outside the text ({} lines, {} "
                            "bytes at most): {}",
                            d.line, d.column, lines, width, d.message));
}

// The rows gdb would print for space: a table with Perms and one without.
std::string printed_back(const AddressSpace& space) {
    std::string with = "Start Addr End Addr Size Offset Perms objfile\n";
    std::string without = "Start Addr End Addr Size Offset objfile\n";
    for (const vmatlas::Mapping& m : space.mappings()) {
        const std::string path =
            fmt::format("{}{}", space.path(m), m.deleted() ? " (deleted)" : "");
        const std::string head = fmt::format("  {:#18x} {:#18x} {:#10x} {:#10x}", m.start, m.end,
                                             m.size(), raw(m.offset));
        if (m.perms.access_known())
            with += fmt::format("{}  {:<5} {}\n", head, m.perms.view(), path);
        else
            without += fmt::format("{} {}\n", head, path);
    }
    return with + without;
}

// What a row of gdb's text can say: its path must survive being a line's end.
bool printable_back(const AddressSpace& space) {
    for (const vmatlas::Mapping& m : space.mappings()) {
        const std::string_view p = space.path(m);
        if (p.find_first_of("\r\n") != std::string_view::npos || m.flags & ~vmatlas::kDeleted)
            return false;
        if (!p.empty() && (p.front() == ' ' || p.front() == '\t')) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)vmatlas::looks_like_gdb_text(text);
    const AddressSpace space = parse_in_pieces(text, text.size() + 1);
    check_sound(space, text);
    if (parse_in_pieces(text, 1).generation() != space.generation())
        fail("the text fed a byte at a time gives other rows");
    if (!printable_back(space)) return 0;
    const AddressSpace again = parse_in_pieces(printed_back(space), SIZE_MAX);
    if (again.rows().rejected != 0)
        fail(
            fmt::format("a row printed back is rejected: {}", again.diagnostics().front().message));
    if (again.generation() != space.generation())
        fail("the rows printed back as gdb prints them parse to other rows");
    return 0;
}
