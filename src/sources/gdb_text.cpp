// Parses gdb's own text by position (vmatlas/gdb_text.hpp has the layouts). A line is, in order:
// a column header or a file line (which set what the next rows are), a line gdb prints around
// its tables (skipped), or a row of the current table: one that begins with "0x" in a table of
// mappings, with '[' in a table of sections. Every such line is a row, kept or told as bad.
#include "vmatlas/gdb_text.hpp"

#include <optional>

#include <fmt/format.h>

#include "sources/maps_row.hpp"
#include "sources/text.hpp"

namespace vmatlas {

namespace {

using text::is_blank;

constexpr std::string_view kDeletedSuffix = " (deleted)";

// What the rows after the last header line are.
enum class Table : std::uint8_t {
    None,          // no header yet: gdb's other output, skipped
    Mappings,      // info proc mappings
    ObjectFile,    // maintenance info sections of an executable or a shared object
    CoreSections,  // maintenance info sections of a core file
};

std::size_t skip_blanks(std::string_view line, std::size_t pos) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    return pos;
}

// "Start Addr ... objfile", the column header of both forms of `info proc mappings`.
bool is_mappings_header(std::string_view trimmed) {
    return trimmed.starts_with("Start Addr") && trimmed.find("objfile") != std::string_view::npos;
}

// A line gdb prints around its tables: "[Inferior 1 (process N) detached]", "[New LWP N]".
bool is_bracketed(std::string_view trimmed) {
    return trimmed.size() >= 2 && trimmed.front() == '[' && trimmed.back() == ']';
}

// "process N", the first line of `info proc` on a process.
bool is_process_line(std::string_view trimmed) {
    if (!trimmed.starts_with("process ")) return false;
    const std::string_view pid = trimmed.substr(8);
    return text::parse_decimal(pid, 10).ok();
}

// A failed field: where it begins (0-based) and what is wrong.
struct FieldError {
    std::size_t column = 0;
    std::string message;
};

// A cursor over one row; every reader advances it only when it succeeds.
struct Cursor {
    std::string_view line;
    std::size_t pos = 0;

    bool at_end() const { return pos >= line.size(); }
    std::string_view rest() const { return line.substr(pos); }

    // The token at pos, up to the next blank, at most 24 bytes: for messages.
    std::string_view token() const {
        std::size_t stop = pos;
        while (stop < line.size() && stop < pos + 24 && !is_blank(line[stop])) ++stop;
        return line.substr(pos, stop - pos);
    }

    FieldError bad(std::string_view field) const {
        if (at_end()) return {pos, fmt::format("missing {}", field)};
        return {pos, fmt::format("bad {} '{}'", field, token())};
    }

    // "0x" and 1 to 16 hex digits, ended by a blank, the end of the row or `delim`.
    bool hex(std::uint64_t& out, char delim = ' ') {
        if (!text::has_hex_prefix(rest())) return false;
        const text::DigitRun run = text::scan_hex(rest().substr(2), 16);
        if (!run.ok()) return false;
        const std::size_t end = pos + 2 + run.length;
        if (end < line.size() && !is_blank(line[end]) && line[end] != delim) return false;
        out = run.value;
        pos = end;
        return true;
    }

    bool blanks() {
        const std::size_t p = pos;
        pos = skip_blanks(line, pos);
        return pos > p;
    }

    bool literal(std::string_view s) {
        if (!rest().starts_with(s)) return false;
        pos += s.size();
        return true;
    }
};

// One row of `info proc mappings`, or the first field that is wrong.
std::optional<Mapping> read_mapping(std::string_view line, bool with_perms,
                                    AddressSpaceBuilder& out, FieldError& err) {
    Cursor c{line, skip_blanks(line, 0)};
    Mapping m;
    std::uint64_t size = 0, offset = 0;
    // A field, then the blanks before the next one (hex() saw that a blank or the end follows).
    const auto field = [&](std::uint64_t& v, std::string_view name) {
        if (!c.hex(v)) {
            err = c.bad(name);
            return false;
        }
        c.blanks();
        return true;
    };
    const std::size_t row_column = c.pos;
    if (!field(m.start, "start address")) return std::nullopt;
    const std::size_t end_at = c.pos;
    if (!field(m.end, "end address") || !field(size, "size") || !field(offset, "offset"))
        return std::nullopt;
    m.offset = FileOffset{offset};
    if (with_perms) {
        const std::size_t at = c.pos;
        const auto perms = text::parse_perms(line.substr(at, 4), text::PermsForm::Kernel);
        if (!perms || (at + 4 < line.size() && !is_blank(line[at + 4]))) {
            err = c.bad("permissions");
            return std::nullopt;
        }
        m.perms = *perms;
        c.pos = at + 4;
    } else {
        m.perms = Perms(Perms::kAccessUnknown | Perms::kSharingUnknown);
    }
    if (m.end <= m.start) {
        err = {end_at,
               fmt::format("end address {:#x} is not above start address {:#x}", m.end, m.start)};
        return std::nullopt;
    }
    if (size != m.end - m.start) {
        err = {row_column, fmt::format("size {:#x} is not end address {:#x} less start address "
                                       "{:#x}",
                                       size, m.end, m.start)};
        return std::nullopt;
    }
    c.blanks();
    std::string_view path = c.rest();
    if (path.size() > kDeletedSuffix.size() && path.ends_with(kDeletedSuffix)) {
        path.remove_suffix(kDeletedSuffix.size());
        m.flags |= kDeleted;
    }
    m.path = out.intern(path);
    return m;
}

// One row of `maintenance info sections`: "[N] 0xSTART->0xEND at 0xPOS: NAME FLAGS".
struct SectionRow {
    std::uint64_t start = 0, end = 0;
    std::string_view name, flags;
};

std::optional<SectionRow> read_section(std::string_view line, FieldError& err) {
    Cursor c{line, skip_blanks(line, 0)};
    SectionRow s;
    const auto fail = [&](std::string_view field) {
        err = c.bad(field);
        return std::nullopt;
    };
    std::uint64_t pos = 0;
    if (!c.literal("[")) return fail("section number");
    const text::DigitRun n = text::scan_decimal(c.rest(), 10);
    if (!n.ok()) return fail("section number");
    c.pos += n.length;
    if (!c.literal("]")) return fail("section number");
    c.blanks();
    if (!c.hex(s.start, '-')) return fail("start address");
    if (!c.literal("->")) return fail("'->'");
    if (!c.hex(s.end) || !c.blanks()) return fail("end address");
    if (!c.literal("at") || !c.blanks()) return fail("'at'");
    if (!c.hex(pos, ':') || !c.literal(":")) return fail("file position");
    c.blanks();
    const std::size_t name_at = c.pos;
    while (!c.at_end() && !is_blank(line[c.pos])) ++c.pos;
    if (c.pos == name_at) return fail("section name");
    s.name = line.substr(name_at, c.pos - name_at);
    c.blanks();
    s.flags = c.rest();
    return s;
}

// Whether a space-separated list of BFD flags holds one.
bool has_flag(std::string_view flags, std::string_view flag) {
    std::size_t pos = 0;
    while (pos < flags.size()) {
        pos = skip_blanks(flags, pos);
        std::size_t end = pos;
        while (end < flags.size() && !is_blank(flags[end])) ++end;
        if (flags.substr(pos, end - pos) == flag) return true;
        pos = end;
    }
    return false;
}

}  // namespace

bool looks_like_gdb_text(std::string_view head) {
    bool any = false;
    text::for_each_line(
        head,
        [&](std::string_view l) {
            const std::string_view t = text::trim_blanks(l);
            if (is_mappings_header(t) || t.starts_with("Exec file: `") ||
                t.starts_with("Core file: `") || t.starts_with("Object file: `")) {
                any = true;
                return false;
            }
            return true;
        },
        [](std::size_t) {});
    return any;
}

struct detail::GdbTextState {
    text::LineCarry carry;
    Table table = Table::None;
    bool with_perms = false;
    bool object_sections = false;
    bool core_sections = false;
};

GdbTextParser::GdbTextParser(AddressSpaceBuilder& builder)
    : out_(builder), state_(std::make_unique<detail::GdbTextState>()) {}

GdbTextParser::~GdbTextParser() = default;

void GdbTextParser::feed(std::string_view piece) {
    text::feed_lines(
        state_->carry, piece, [&](std::string_view l) { line(l); },
        [&](std::size_t length) {
            out_.reject({++line_no_, 1, detail::long_line_sentence(length)});
        });
}

void GdbTextParser::finish() {
    text::finish_lines(
        state_->carry, [&](std::string_view l) { line(l); },
        [&](std::size_t length) {
            out_.reject({++line_no_, 1, detail::long_line_sentence(length)});
        });
}

bool GdbTextParser::sections_without_core() const {
    return state_->object_sections && !state_->core_sections;
}

void GdbTextParser::line(std::string_view text) {
    ++line_no_;
    detail::GdbTextState& s = *state_;
    const std::string_view t = text::trim_blanks(text);
    if (t.empty() || is_bracketed(t)) return;
    if (is_mappings_header(t)) {
        s.table = Table::Mappings;
        s.with_perms = t.find("Perms") != std::string_view::npos;
        return;
    }
    if (t.starts_with("Exec file: `") || t.starts_with("Object file: `")) {
        s.table = Table::ObjectFile;
        s.object_sections = true;
        return;
    }
    if (t.starts_with("Core file: `")) {
        s.table = Table::CoreSections;
        s.core_sections = true;
        return;
    }
    if (t == "Mapped address spaces:" || is_process_line(t)) return;
    // gdb begins every row of its tables so; any other line is gdb's own talk ("Saved corefile
    // ...", a frame, a warning), or another command's output, and is no row.
    if (s.table == Table::Mappings ? !text::has_hex_prefix(t) : !t.starts_with('[')) return;
    FieldError err;
    switch (s.table) {
        case Table::None:
            return;
        case Table::Mappings:
            if (auto m = read_mapping(text, s.with_perms, out_, err)) {
                out_.add(*m);
                return;
            }
            break;
        case Table::ObjectFile:
            if (read_section(text, err)) return;
            break;
        case Table::CoreSections:
            if (auto row = read_section(text, err)) {
                // The core's PT_LOAD headers are BFD's "loadN" sections; its notes are the rest.
                if (!row->name.starts_with("load") || row->end == row->start) return;
                if (row->end < row->start) {
                    err = {0, fmt::format("end address {:#x} is not above start address {:#x}",
                                          row->end, row->start)};
                    break;
                }
                Mapping m;
                m.start = row->start;
                m.end = row->end;
                m.perms = Perms(Perms::kAccessUnknown | Perms::kSharingUnknown);
                if (!has_flag(row->flags, "HAS_CONTENTS")) m.flags |= kNotDumped;
                out_.add(m);
                return;
            }
            break;
    }
    out_.reject({line_no_, err.column + 1, err.message});
}

void parse_gdb_text(std::string_view text, AddressSpaceBuilder& builder) {
    GdbTextParser parser(builder);
    parser.feed(text);
    parser.finish();
}

AddressSpace parse_gdb_text(std::string_view text, SourceInfo source) {
    AddressSpaceBuilder builder(std::move(source));
    parse_gdb_text(text, builder);
    return std::move(builder).build();
}

}  // namespace vmatlas
