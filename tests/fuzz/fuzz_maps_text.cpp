// Fuzz target of the maps-text parser. For any bytes, in both modes (pasted rows on and off):
// - the address space keeps its invariants (sorted, non-overlapping, start < end, every row
//   accounted for: read == kept + superseded + rejected);
// - every rejected row has a diagnostic whose line and column lie inside the text, and so has the
//   one warning about names that end in " (deleted)" or hold "\012" (ambiguous in saved text);
// - parsing is deterministic (same generation twice);
// - the kept rows, printed back one per line as the kernel prints them, parse to the same rows;
//   and so they do printed with upper-case, unpadded hex digits.
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
#include "vmatlas/maps_text.hpp"

namespace {

using vmatlas::AddressSpace;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_maps_text: %s\n", why.c_str());
    std::abort();
}

AddressSpace parse(std::string_view text, bool pasted_rows) {
    vmatlas::AddressSpaceBuilder builder(
        vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "fuzz", 0, ""});
    vmatlas::parse_maps_text(text, builder, vmatlas::MapsTextOptions{pasted_rows});
    return std::move(builder).build();
}

// Line lengths as the parser sees them: split on '\n', one trailing '\r' dropped.
std::vector<std::size_t> line_lengths(std::string_view text) {
    std::vector<std::size_t> lengths;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lengths.push_back(line.size());
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lengths;
}

// Bytes as a C string literal would spell them, so that a failure cannot write to the terminal.
std::string escaped(std::string_view s) {
    std::string out;
    for (const unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out += static_cast<char>(c);
        else
            out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

// The parser's one warning about names the kernel's marks make ambiguous (not a rejected row).
bool is_marked_names_warning(const vmatlas::Diagnostic& d) {
    return d.message.starts_with("this row's name");
}

const char* mode_name(bool pasted_rows) {
    return pasted_rows ? "pasted rows on" : "pasted rows off";
}

void check_sound(const AddressSpace& space, std::string_view text, bool pasted_rows) {
    const char* mode = mode_name(pasted_rows);
    const auto broken = vmatlas::check_invariants(space);
    if (!broken.empty()) fail(fmt::format("{}: {}", mode, broken.front()));
    const vmatlas::RowAccount& r = space.rows();
    if (r.read != r.kept + r.superseded + r.rejected)
        fail(fmt::format("{}: {} read != {} kept + {} superseded + {} rejected", mode, r.read,
                         r.kept, r.superseded, r.rejected));
    const auto lengths = line_lengths(text);
    std::size_t located = 0;
    for (const vmatlas::Diagnostic& d : space.diagnostics()) {
        if (d.line == 0) {
            if (d.column != 0) fail(fmt::format("{}: column {} without a line", mode, d.column));
            continue;
        }
        ++located;
        if (d.line > lengths.size())
            fail(fmt::format("{}: diagnostic on line {} of {}: {}", mode, d.line, lengths.size(),
                             escaped(d.message)));
        if (d.column < 1 || d.column > lengths[d.line - 1] + 1)
            fail(fmt::format("{}: diagnostic at column {} of a {}-byte line {}: {}", mode, d.column,
                             lengths[d.line - 1], d.line, escaped(d.message)));
        if (d.message.empty()) fail(fmt::format("{}: empty message on line {}", mode, d.line));
        if (is_marked_names_warning(d)) --located;
    }
    if (located != r.rejected)
        fail(fmt::format("{}: {} rejected rows but {} located diagnostics", mode, r.rejected,
                         located));
    if (!pasted_rows && r.read > lengths.size())
        fail(fmt::format("{}: {} rows from {} lines", mode, r.read, lengths.size()));
}

// The kept rows as the kernel would print them: one per line, '\n' in a path as "\012"; with
// `upper`, the hex digits in upper case and not padded.
std::string print_back(const AddressSpace& space, bool upper) {
    std::string out;
    for (const vmatlas::Mapping& m : space.mappings()) {
        const auto perms = m.perms.text();
        const std::string_view p(perms.data(), perms.size());
        out += upper ? fmt::format("{:X}-{:X} {} {:X} {:X}:{:X} {} ", m.start, m.end, p,
                                   raw(m.offset), m.dev_major, m.dev_minor, m.inode)
                     : fmt::format("{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ", m.start, m.end, p,
                                   raw(m.offset), m.dev_major, m.dev_minor, m.inode);
        const std::string_view path = space.path(m);
        for (char c : path) {
            if (c == '\n')
                out += "\\012";
            else
                out += c;
        }
        if (m.deleted()) out += " (deleted)";
        // A path that ends in '\r' keeps it only if another '\r' is there to be dropped.
        out += (!m.deleted() && path.ends_with('\r')) ? "\r\n" : "\n";
    }
    return out;
}

void check_round_trip(const AddressSpace& space, bool pasted_rows, bool upper) {
    const std::string mode =
        fmt::format("{}{}", mode_name(pasted_rows), upper ? ", upper case" : "");
    const std::string text = print_back(space, upper);
    const AddressSpace again = parse(text, pasted_rows);
    const auto& said = again.diagnostics();
    if (!(said.empty() || (said.size() == 1 && is_marked_names_warning(said[0]))))
        fail(fmt::format("{}: printed-back rows do not parse: line {} col {}: {}", mode,
                         again.diagnostics()[0].line, again.diagnostics()[0].column,
                         escaped(again.diagnostics()[0].message)));
    if (again.size() != space.size())
        fail(fmt::format("{}: {} rows printed back parse to {}", mode, space.size(), again.size()));
    for (std::size_t i = 0; i < space.size(); ++i) {
        vmatlas::Mapping a = space[i], b = again[i];
        const std::string_view pa = space.path(a), pb = again.path(b);
        a.path = b.path = 0;
        if (!(a == b) || pa != pb)
            fail(fmt::format("{}: row {} changes when printed back: path '{}' -> '{}'", mode, i,
                             escaped(pa), escaped(pb)));
    }
    if (again.generation() != space.generation())
        fail(fmt::format("{}: generation changes when printed back", mode));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const bool pasted_rows : {true, false}) {
        const AddressSpace space = parse(text, pasted_rows);
        check_sound(space, text, pasted_rows);
        if (parse(text, pasted_rows).generation() != space.generation())
            fail(fmt::format("{}: two parses of the same text differ", mode_name(pasted_rows)));
        check_round_trip(space, pasted_rows, false);
        check_round_trip(space, pasted_rows, true);
    }
    return 0;
}
