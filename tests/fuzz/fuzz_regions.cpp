// Fuzz target of the regions reader (include/vmatlas/regions.hpp). For any bytes:
// - the address space keeps its invariants (check_invariants), nothing is ever superseded, every
//   line that is not blank or a comment is one row read, and every rejected row has one
//   diagnostic whose line and column lie inside the text;
// - parsing is deterministic, and the kept regions printed back in the grammar parse to the same
//   regions;
// - recognition: text whose first region line is kept is recognized as regions, and text whose
//   first line is a well-formed maps row never is;
// - adding: the input is split at its first line "%%" into a target and a regions text (without
//   that line, the text is added to itself). The target is the text as regions, smaps or maps
//   text, as open_target would read it. After add_regions_text the merged map keeps its
//   invariants, every row of the target with its path and figures, and the target's row account
//   plus the added text's; names and sections, when the target has them, stay parallel to the
//   rows. Text added to itself as regions adds nothing: each region overlaps itself.
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
#include "vmatlas/annotations.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/regions.hpp"
#include "vmatlas/smaps.hpp"
#include "vmatlas/target.hpp"

namespace {

using vmatlas::AddressSpace;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_regions: %s\n", why.c_str());
    std::abort();
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

// Lines as the reader sees them: split on '\n', one trailing '\r' dropped.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

// 1-based numbers of the lines that are neither blank nor a comment: one region each.
std::vector<std::size_t> region_lines(const std::vector<std::string_view>& lines) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t p = lines[i].find_first_not_of(" \t");
        if (p != std::string_view::npos && lines[i][p] != '#') out.push_back(i + 1);
    }
    return out;
}

AddressSpace parse(std::string_view text) {
    return vmatlas::parse_regions_text(text, vmatlas::SourceInfo{vmatlas::SourceKind::Regions, "fuzz"});
}

void check_sound(const AddressSpace& space, std::string_view text) {
    const auto broken = vmatlas::check_invariants(space);
    if (!broken.empty()) fail(broken.front());
    const vmatlas::RowAccount& r = space.rows();
    const auto lines = split_lines(text);
    const auto regions = region_lines(lines);
    if (r.superseded != 0) fail(fmt::format("{} regions superseded", r.superseded));
    if (r.read != regions.size())
        fail(fmt::format("{} rows read from {} region lines", r.read, regions.size()));
    if (space.diagnostics().size() != r.rejected)
        fail(fmt::format("{} diagnostics for {} rejected rows", space.diagnostics().size(),
                         r.rejected));
    for (const vmatlas::Diagnostic& d : space.diagnostics()) {
        if (d.line < 1 || d.line > lines.size())
            fail(fmt::format("diagnostic on line {} of {}: {}", d.line, lines.size(),
                             escaped(d.message)));
        if (d.column < 1 || d.column > lines[d.line - 1].size() + 1)
            fail(fmt::format("diagnostic at column {} of a {}-byte line {}: {}", d.column,
                             lines[d.line - 1].size(), d.line, escaped(d.message)));
        if (d.message.empty()) fail(fmt::format("empty message on line {}", d.line));
    }
    for (const vmatlas::Mapping& m : space.mappings()) {
        if (!m.perms.access_known() || !m.perms.sharing_known())
            fail(fmt::format("region {:#x} has unknown permissions", m.start));
        if (m.inode != 0 || m.dev_major != 0 || m.dev_minor != 0 || m.flags != 0)
            fail(fmt::format("region {:#x} has a device, inode or flags", m.start));
    }
}

// The kept regions in the grammar, every field given: START SIZE PERMS OFFSET NAME.
std::string print_back(const AddressSpace& space) {
    std::string out;
    for (const vmatlas::Mapping& m : space.mappings()) {
        const auto perms = m.perms.text();
        out += fmt::format("{:#x} {:#x} {} {:#x} ", m.start, m.size(),
                           std::string_view(perms.data(), perms.size()), raw(m.offset));
        const std::string_view name = space.path(m);
        out += name;
        // A name that ends in '\r' keeps it only if another '\r' is there to be dropped.
        out += name.ends_with('\r') ? "\r\n" : "\n";
    }
    return out;
}

void check_round_trip(const AddressSpace& space) {
    const std::string text = print_back(space);
    const AddressSpace again = parse(text);
    if (!again.diagnostics().empty())
        fail(fmt::format("printed-back regions do not parse: line {} col {}: {}",
                         again.diagnostics()[0].line, again.diagnostics()[0].column,
                         escaped(again.diagnostics()[0].message)));
    if (again.size() != space.size())
        fail(fmt::format("{} regions printed back parse to {}", space.size(), again.size()));
    for (std::size_t i = 0; i < space.size(); ++i) {
        vmatlas::Mapping a = space[i], b = again[i];
        const std::string_view pa = space.path(a), pb = again.path(b);
        a.path = b.path = 0;
        if (!(a == b) || pa != pb)
            fail(fmt::format("region {} changes when printed back: name '{}' -> '{}'", i,
                             escaped(pa), escaped(pb)));
    }
    if (!space.empty() && !vmatlas::looks_like_regions(text))
        fail("printed-back regions are not recognized as regions");
}

void check_recognition(const AddressSpace& space, std::string_view text) {
    const auto lines = split_lines(text);
    const auto regions = region_lines(lines);
    const bool recognized = vmatlas::looks_like_regions(text);
    if (!regions.empty()) {
        bool first_rejected = false;
        for (const vmatlas::Diagnostic& d : space.diagnostics())
            first_rejected = first_rejected || d.line == regions.front();
        if (!first_rejected && !recognized)
            fail(fmt::format("line {} is a kept region but the text is not recognized",
                             regions.front()));
    }
    // The first non-blank line as a maps row, by the maps parser itself.
    for (const std::string_view line : lines) {
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        const AddressSpace maps =
            vmatlas::parse_maps_text(line, vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "fuzz"});
        if (!maps.empty() && maps.rows().rejected == 0 && recognized)
            fail(fmt::format("maps row '{}' is recognized as regions", escaped(line)));
        break;
    }
}

// The text as open_target would read it from a file (regions, smaps or maps text). A regions
// text is given the names the library gives it, as a target that brings its own names has them
// (a snapshot, an ELF image), so that adding to a named target is fuzzed too.
vmatlas::Target as_target(std::string_view text) {
    if (vmatlas::looks_like_regions(text)) {
        vmatlas::Target t = vmatlas::regions_target(text, "fuzz");
        t.names = vmatlas::name_target(t, false).notes;
        return t;
    }
    vmatlas::Target t;
    t.kind = vmatlas::TargetKind::MapsText;
    t.space = vmatlas::looks_like_smaps(text)
                  ? vmatlas::parse_smaps_text(text, vmatlas::SourceInfo{vmatlas::SourceKind::SmapsText, "fuzz"})
                  : vmatlas::parse_maps_text(text, vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "fuzz"});
    return t;
}

void check_add(std::string_view base_text, std::string_view added_text, bool same_text) {
    vmatlas::Target target = as_target(base_text);
    if (target.names) target.names->sections.assign(target.space.size(), ".s");
    const vmatlas::Target before = target;
    const AddressSpace& old = before.space;
    const auto result = vmatlas::add_regions_text(target, added_text, "added");
    const AddressSpace& merged = target.space;

    const auto broken = vmatlas::check_invariants(merged);
    if (!broken.empty()) fail("merged: " + broken.front());
    const std::size_t lines = region_lines(split_lines(added_text)).size();
    if (result.added + result.rejected != lines)
        fail(fmt::format("{} added + {} rejected of {} region lines", result.added, result.rejected,
                         lines));
    const vmatlas::RowAccount &a = old.rows(), &m = merged.rows();
    if (m.read != a.read + lines || m.kept != a.kept + result.added ||
        m.superseded != a.superseded || m.rejected != a.rejected + result.rejected)
        fail(
            fmt::format("account {}/{}/{}/{} after adding to {}/{}/{}/{} with {} added, {} "
                        "rejected",
                        m.read, m.kept, m.superseded, m.rejected, a.read, a.kept, a.superseded,
                        a.rejected, result.added, result.rejected));
    const std::size_t want_diags = old.diagnostics().size() + result.rejected + (lines ? 0 : 1);
    if (merged.diagnostics().size() != want_diags)
        fail(fmt::format("{} diagnostics after adding, {} expected", merged.diagnostics().size(),
                         want_diags));
    if (merged.incomplete() != (old.incomplete() || result.rejected > 0))
        fail("adding changed whether the target is incomplete");
    if (merged.source().kind != old.source().kind || target.kind != before.kind)
        fail("adding changed the target's kind");
    if (same_text && before.kind == vmatlas::TargetKind::Regions && result.added != 0)
        fail(fmt::format("a regions text added to itself added {} regions", result.added));

    const bool figures = !old.figures().empty();
    if (figures && merged.figures().size() != merged.size())
        fail("figures are not parallel to the rows after adding");
    if (!figures && !merged.figures().empty()) fail("adding made figures");
    std::size_t i = 0;
    for (std::size_t k = 0; k < merged.size(); ++k) {
        const vmatlas::Mapping& row = merged[k];
        const bool from_target = i < old.size() && old[i].start == row.start;
        if (from_target) {
            vmatlas::Mapping x = old[i], y = row;
            if (old.path(x) != merged.path(y))
                fail(fmt::format("row {:#x} lost its path", x.start));
            if (x.path != y.path) fail(fmt::format("row {:#x} changed its path id", x.start));
            if (!(x == y)) fail(fmt::format("row {:#x} changed when regions were added", x.start));
            if (figures && merged.figures()[k].rss != old.figures()[i].rss)
                fail(fmt::format("row {:#x} lost its figures", x.start));
        } else if (figures && merged.figures()[k].rss != 0) {
            fail(fmt::format("added row {:#x} has figures", row.start));
        }
        if (target.names) {
            const vmatlas::Annotations& n = *target.names;
            // Sections of a target without rows are empty: "not listed" and "none" look alike.
            const bool sections = !n.sections.empty();
            if (n.labels.size() != merged.size() || n.roles.size() != merged.size() ||
                (sections && n.sections.size() != merged.size()) || (!sections && !old.empty()))
                fail("names are not parallel to the rows after adding");
            if (from_target &&
                (n.labels[k].name != before.names->labels[i].name || n.sections[k] != ".s"))
                fail(fmt::format("row {:#x} lost its name", row.start));
            if (!from_target && sections && !n.sections[k].empty())
                fail(fmt::format("added row {:#x} has sections", row.start));
        }
        if (from_target) ++i;
    }
    if (i != old.size()) fail(fmt::format("{} of {} target rows kept", i, old.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const AddressSpace space = parse(text);
    check_sound(space, text);
    if (parse(text).generation() != space.generation()) fail("two parses of the same text differ");
    check_round_trip(space);
    check_recognition(space, text);

    std::string_view base = text, added = text;
    bool same = true;
    const std::size_t sep = text.starts_with("%%\n") ? 0 : text.find("\n%%\n");
    if (sep != std::string_view::npos) {
        base = text.substr(0, sep == 0 ? 0 : sep + 1);
        added = text.substr(sep == 0 ? 3 : sep + 4);
        same = false;
    }
    check_add(base, added, same);
    return 0;
}
