#include "render/map_view.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/json_writer.hpp"
#include "render/number_text.hpp"
#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {

namespace {

// ---- The field list -------------------------------------------------------------------------

// How a field's value is written: addresses are 0x-hex everywhere; sizes and offsets are bare hex
// in the table (as pwndbg prints them) and numbers in JSON; Text is untrusted and escaped; Plain
// is vmatlas's own printable ASCII (permissions), written as it is.
enum class Type { Addr, Size, Count, Text, Plain, Bool, OptText };

struct Value {
    std::uint64_t n = 0;
    std::string_view s;
    bool b = false;
};

struct RowCtx {
    const AddressSpace& space;
    const Annotations& notes;
    std::size_t i;
    const Mapping& m;
    std::string& scratch;
};

struct Field {
    std::string_view header;  // table column; "" when not in the table
    std::string_view key;     // JSON/CSV key; "" when not in JSON/CSV
    Align align;
    Type type;
    Value (*get)(const RowCtx&);
    // Shown only when the sections were asked for (-v), or only for a core file's map.
    enum class Only { No, Verbose, Core } only = Only::No;
};

bool is_core(const AddressSpace& space) {
    return space.source().kind == SourceKind::Core;
}

// Whether a field is shown, for a core file's map or not and with the sections or not.
constexpr bool shown(const Field& f, bool core, bool verbose) {
    switch (f.only) {
        case Field::Only::No:
            return true;
        case Field::Only::Verbose:
            return verbose;
        case Field::Only::Core:
            return core;
    }
    return true;
}

bool shown(const Field& f, const AddressSpace& space, const Annotations& notes) {
    return shown(f, is_core(space), !notes.sections.empty());
}

// How much of a row's contents a core file holds: "all", "part" or "none".
std::string_view dumped(const Mapping& m) {
    return (m.flags & kNotDumped) ? "none" : (m.flags & kPartlyDumped) ? "part" : "all";
}

// The ELF object a row without a file belongs to (a bss row), else "".
std::string_view object_of(const RowCtx& r) {
    const PathId object = r.notes.labels[r.i].object;
    return object == kNoPath ? std::string_view{} : r.space.paths().get(object);
}

// What the File column shows: the file, marked when deleted; for a bss row, its object's file.
Value file_column(const RowCtx& r) {
    const std::string_view path = r.space.path(r.m);
    if (path.empty() || is_kernel_name(path)) return {0, object_of(r)};
    if (!r.m.deleted()) return {0, path};
    r.scratch.assign(path);
    r.scratch += " (deleted)";
    return {0, r.scratch};
}

constexpr Field kMapFields[] = {
    {"Start", "start", Align::Right, Type::Addr, [](const RowCtx& r) { return Value{r.m.start}; }},
    {"End", "end", Align::Right, Type::Addr, [](const RowCtx& r) { return Value{r.m.end}; }},
    {"Perm", "perms", Align::Left, Type::Plain,
     [](const RowCtx& r) {
         return Value{0, r.m.perms.view()};
     }},
    {"Size", "size", Align::Right, Type::Size, [](const RowCtx& r) { return Value{r.m.size()}; }},
    {"Offset", "offset", Align::Right, Type::Size,
     [](const RowCtx& r) { return Value{raw(r.m.offset)}; }},
    {"InCore", "", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, dumped(r.m)};
     },
     Field::Only::Core},
    {"", "dev", Align::Left, Type::Text,
     [](const RowCtx& r) {
         r.scratch.clear();
         append_hex(r.scratch, r.m.dev_major, 2);
         r.scratch.push_back(':');
         append_hex(r.scratch, r.m.dev_minor, 2);
         return Value{0, r.scratch};
     }},
    {"", "inode", Align::Right, Type::Count, [](const RowCtx& r) { return Value{r.m.inode}; }},
    {"Name", "name", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, r.notes.labels[r.i].name};
     }},
    {"File", "", Align::Left, Type::Text, file_column},
    {"Sections", "sections", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, r.notes.sections[r.i]};
     },
     Field::Only::Verbose},
    {"", "path", Align::Left, Type::Text,
     [](const RowCtx& r) {
         const std::string_view p = r.space.path(r.m);
         return Value{0, is_kernel_name(p) ? std::string_view{} : p};
     }},
    {"", "deleted", Align::Left, Type::Bool,
     [](const RowCtx& r) {
         return Value{0, {}, r.m.deleted()};
     }},
    {"", "object", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, object_of(r)};
     }},
    {"", "name_source", Align::Left, Type::OptText,
     [](const RowCtx& r) {
         return Value{0, to_string(r.notes.labels[r.i].source)};
     }},
    {"", "role", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, to_string(r.notes.roles[r.i])};
     }},
    // null unless the map comes from a core file: a stable schema for scripts.
    {"", "in_core", Align::Left, Type::OptText,
     [](const RowCtx& r) {
         return Value{0, is_core(r.space) ? dumped(r.m) : std::string_view{}};
     }},
};

// ---- Writers for each format ----------------------------------------------------------------

constexpr bool is_number(Type t) {
    return t == Type::Addr || t == Type::Size || t == Type::Count;
}

// The width of v's cell in the table: what put_cell() writes, or text_cell() for text.
std::size_t cell_width(const Field& f, const Value& v) {
    switch (f.type) {
        case Type::Addr:
            return 2 + static_cast<std::size_t>(hex_digits(v.n));
        case Type::Size:
            return static_cast<std::size_t>(hex_digits(v.n));
        case Type::Count:
            return static_cast<std::size_t>(decimal_digits(v.n));
        case Type::Bool:
            return v.b ? 3 : 2;
        case Type::Plain:
            return v.s.size();
        case Type::Text:
        case Type::OptText:
            return safe_width(v.s);
    }
    return 0;
}

// Room for any cell that is not text: "0x" and 16 hex digits in the table's columns; a Count
// (20 decimal digits at most) is JSON's and CSV's only, but would fit.
constexpr std::size_t kCellBytes = 24;

constexpr bool is_text(Type t) {
    return t == Type::Plain || t == Type::Text || t == Type::OptText;
}

// Writes v's cell, as the table shows it, at `at`: `width` bytes, its cell_width(). Not for text,
// which the table writes itself (text_cell, place_text).
void put_cell(char* at, const Field& f, const Value& v, std::size_t width) {
    const int digits = static_cast<int>(width);
    switch (f.type) {
        case Type::Addr:  // "0x7f35f0a00000", as pwndbg
            at[0] = '0', at[1] = 'x';
            return put_hex_before(at + width, v.n, digits - 2);
        case Type::Size:  // bare hex
            return put_hex_before(at + width, v.n, digits);
        case Type::Count:
            return put_decimal_before(at + width, v.n, digits);
        case Type::Bool:
            return static_cast<void>(std::memcpy(at, v.b ? "yes" : "no", width));
        case Type::Plain:
        case Type::Text:
        case Type::OptText:
            return;
    }
}

// One cell added to the table the general way: text escaped, anything else by put_cell().
void table_cell(Table& t, const Field& f, const Value& v) {
    if (f.type == Type::Text || f.type == Type::OptText) return t.text_cell(v.s);
    if (f.type == Type::Plain) return t.cell(v.s);
    char text[kCellBytes];
    const std::size_t width = cell_width(f, v);
    put_cell(text, f, v, width);
    t.cell(std::string_view(text, width));
}

[[gnu::noinline]] void add_cell(Table& t, const Field& f, const RowCtx& r) {
    table_cell(t, f, f.get(r));
}

// Puts column c's cell of a row in place (Table::put_in_place); false, and nothing written, when
// it is text that needs escaping or wider than its column.
[[gnu::always_inline]] inline bool put_in_place(Table& t, std::size_t c, const Field& f,
                                                const RowCtx& r) {
    const Value v = f.get(r);
    if (is_text(f.type)) return t.place_text(c, v.s);
    const std::size_t width = cell_width(f, v);
    return t.put_in_place(c, width, [&](char* at) { put_cell(at, f, v, width); });
}

// The table's columns for a core file's map or not, with the sections or not: the fields shown
// in the table, in order.
template <bool kCore, bool kVerbose>
constexpr auto kColumnsOf = [] {
    constexpr auto in_table = [](const Field& f) {
        return !f.header.empty() && shown(f, kCore, kVerbose);
    };
    constexpr std::size_t n = static_cast<std::size_t>(
        std::count_if(std::begin(kMapFields), std::end(kMapFields), in_table));
    std::array<std::size_t, n> columns{};
    std::size_t c = 0;
    for (std::size_t k = 0; k < std::size(kMapFields); ++k)
        if (in_table(kMapFields[k])) columns[c++] = k;
    return columns;
}();

// A row of the table, compiled for its columns as the pmap views' rows are (see table_row in
// pmap_view.cpp): each cell's value and format are folded in, the cells before the last column
// go straight into their columns (widen_columns() measured them), and from the first that does
// not fit (text that needs escaping) on, cells are added the general way.
template <bool kCore, bool kVerbose>
[[gnu::flatten]] void table_row(Table& t, const RowCtx& r) {
    static constexpr auto& kColumns = kColumnsOf<kCore, kVerbose>;
    t.write_row<kColumns.size()>(
        [&](auto c) { return put_in_place(t, c, kMapFields[kColumns[c]], r); },
        [&](std::size_t c) { add_cell(t, kMapFields[kColumns[c]], r); });
}

void json_value(JsonWriter& w, const Field& f, const Value& v) {
    switch (f.type) {
        case Type::Addr:
            w.hex(v.n);
            break;
        case Type::Size:
        case Type::Count:
            w.number(v.n);
            break;
        case Type::Bool:
            w.boolean(v.b);
            break;
        case Type::Text:
        case Type::Plain:
            w.string(v.s);
            break;
        case Type::OptText:
            if (v.s.empty())
                w.null();
            else
                w.string(v.s);
            break;
    }
}

void csv_value(std::string& out, const Field& f, const Value& v) {
    switch (f.type) {
        case Type::Addr:
            append_address(out, v.n);
            break;
        case Type::Size:
        case Type::Count:
            append_decimal(out, v.n);
            break;
        case Type::Bool:
            out += v.b ? "true" : "false";
            break;
        case Type::Text:
        case Type::Plain:
        case Type::OptText:
            append_csv_field(out, v.s);
            break;
    }
}

void json_row(JsonWriter& w, const RowCtx& r) {
    for (const Field& f : kMapFields) {
        if (f.key.empty() || !shown(f, r.space, r.notes)) continue;
        w.key(f.key);
        json_value(w, f, f.get(r));
    }
}

// The width of each visible field's column over the shown rows, found from the values: a
// number is as wide as the column's largest number, so comparing them replaces formatting every
// cell twice. Row by row, so that each row's data is read once; compiled for the columns as
// table_row() is. The last column's width never matters.
template <bool kCore, bool kVerbose>
[[gnu::flatten]] void widen_columns(Table& t, std::size_t first_column, const AddressSpace& space,
                                    const Annotations& notes, const Selection& sel,
                                    std::string& scratch) {
    static constexpr auto& kColumns = kColumnsOf<kCore, kVerbose>;
    constexpr std::size_t kMeasured = kColumns.size() - 1;
    std::array<std::uint64_t, kMeasured> largest{};
    std::array<std::size_t, kMeasured> widest{};
    for (const std::size_t i : sel.rows) {
        const RowCtx r{space, notes, i, space[i], scratch};
        [&]<std::size_t... C>(std::index_sequence<C...>) {
            (
                [&] {
                    const Field& f = kMapFields[kColumns[C]];
                    const Value v = f.get(r);
                    if (is_number(f.type))
                        largest[C] = std::max(largest[C], v.n);
                    else
                        widest[C] = std::max(widest[C], cell_width(f, v));
                }(),
                ...);
        }
        (std::make_index_sequence<kMeasured>{});
    }
    if (sel.rows.empty()) return;
    for (std::size_t c = 0; c < kMeasured; ++c) {
        const Field& f = kMapFields[kColumns[c]];
        t.widen(first_column + c, is_number(f.type) ? cell_width(f, {largest[c]}) : widest[c]);
    }
}

// The table of one set of columns: the fields it shows (indices into kMapFields) and its two
// passes, compiled for them.
struct MapTable {
    std::span<const std::size_t> columns;
    void (*row)(Table&, const RowCtx&);
    void (*widen)(Table&, std::size_t first_column, const AddressSpace&, const Annotations&,
                  const Selection&, std::string& scratch);
};

template <bool kCore, bool kVerbose>
constexpr MapTable kMapTable{kColumnsOf<kCore, kVerbose>, table_row<kCore, kVerbose>,
                             widen_columns<kCore, kVerbose>};

// The table for a core file's map or not, with the sections or not.
const MapTable& map_table(bool core, bool verbose) {
    static constexpr const MapTable* kTables[2][2] = {
        {&kMapTable<false, false>, &kMapTable<false, true>},
        {&kMapTable<true, false>, &kMapTable<true, true>}};
    return *kTables[core][verbose];
}

std::string hole_line(const Selection::Hole& h, Addr a) {
    return fmt::format("► {:#x} is in no mapping: it falls in the hole {:#x}-{:#x} ({:#x} bytes)",
                       a, h.start, h.end, h.end - h.start);
}

}  // namespace

void render_map(const AddressSpace& space, const Annotations& notes, const Selection& sel,
                const FilterSpec& filter, Format format, const Palette& palette, std::string& out,
                const Flush& flush) {
    std::string scratch;
    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        json_preamble(w, space);
        if (filter.address) {
            w.key("filter").begin_object();
            w.key("address").hex(*filter.address);
            w.key("found").boolean(sel.match_count > 0);
            if (sel.hole) {
                w.key("hole").begin_object();
                w.key("start").hex(sel.hole->start);
                w.key("end").hex(sel.hole->end);
                w.end_object();
            }
            w.end_object();
        } else if (!filter.text.empty()) {
            w.key("filter").begin_object();
            w.key("text").string(filter.text);
            w.key("found").boolean(sel.match_count > 0);
            w.end_object();
        }
        w.key("mappings").begin_array();
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            const std::size_t i = sel.rows[k];
            const RowCtx r{space, notes, i, space[i], scratch};
            w.begin_object();
            json_row(w, r);
            if (sel.filtered) w.key("match").boolean(sel.matched[k]);
            if (sel.matched[k] && filter.address)
                w.key("match_offset").number(*filter.address - r.m.start);
            w.end_object();
            if (flush && out.size() >= Table::kFlushBytes) flush(out);  // the writer only appends
        }
        w.end_array();
        json_warnings(w, space, notes.warnings);
        w.end_object();
        w.finish();
        return;
    }

    if (format == Format::Csv) {
        bool first = true;
        for (const Field& f : kMapFields) {
            if (f.key.empty() || !shown(f, space, notes)) continue;
            if (!first) out.push_back(',');
            first = false;
            out += f.key;
        }
        if (sel.filtered) out += ",match";
        out.push_back('\n');
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            const std::size_t i = sel.rows[k];
            const RowCtx r{space, notes, i, space[i], scratch};
            first = true;
            for (const Field& f : kMapFields) {
                if (f.key.empty() || !shown(f, space, notes)) continue;
                if (!first) out.push_back(',');
                first = false;
                csv_value(out, f, f.get(r));
            }
            if (sel.filtered) out += sel.matched[k] ? ",true" : ",false";
            out.push_back('\n');
            if (flush && out.size() >= Table::kFlushBytes) flush(out);
        }
        return;
    }

    const bool marker = filter.address.has_value();
    const MapTable& shape = map_table(is_core(space), !notes.sections.empty());
    std::vector<Column> columns;
    if (marker) columns.push_back({"", Align::Left});
    for (const std::size_t k : shape.columns)
        columns.push_back({kMapFields[k].header, kMapFields[k].align});
    Table table(std::move(columns));
    auto emit = [&](Table& t) {
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            if (sel.hole && sel.hole->before_row == k)
                t.line(hole_line(*sel.hole, *filter.address));
            const std::size_t i = sel.rows[k];
            const RowCtx r{space, notes, i, space[i], scratch};
            t.begin_row(palette.start(notes.roles[i]));
            if (!marker) {
                shape.row(t, r);
                continue;
            }
            t.cell(sel.matched[k] ? "►" : " ", 1);
            for (const std::size_t f : shape.columns) add_cell(t, kMapFields[f], r);
            if (sel.matched[k]) {
                std::string& note = t.scratch();
                note = " +";
                append_address(note, *filter.address - r.m.start);
                t.cell(note);
            }
        }
        if (sel.hole && sel.hole->before_row == sel.rows.size())
            t.line(hole_line(*sel.hole, *filter.address));
    };
    if (palette.on) {
        out += legend(palette);
        out.push_back('\n');
    }
    if (marker) table.widen(0, 1);
    shape.widen(table, marker ? 1 : 0, space, notes, sel, scratch);

    table.stream_measured(out, palette.reset(), emit, flush);
}

void render_gaps(const AddressSpace& space, const Annotations& notes, const GapReport& gaps,
                 Format format, const Palette& palette, std::string& out) {
    auto first_name = [&](const GapEntry& e) -> std::string_view {
        if (e.kind == GapEntry::Kind::Hole) return {};
        const std::string_view path = space.path(space[e.first]);
        return path.empty() ? std::string_view(notes.labels[e.first].name) : path;
    };
    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        json_preamble(w, space);
        w.key("gaps").begin_array();
        for (const GapEntry& e : gaps.entries) {
            w.begin_object();
            w.key("kind").string(to_string(e.kind));
            w.key("start").hex(e.start);
            w.key("end").hex(e.end);
            w.key("size").number(e.end - e.start);
            w.key("count").number(e.count);
            w.end_object();
        }
        w.end_array();
        w.key("total_mapped").number(gaps.total_mapped);
        w.key("largest_hole").number(gaps.largest_hole);
        w.key("mapping_count").number(gaps.mapping_count);
        json_warnings(w, space, notes.warnings);
        w.end_object();
        w.finish();
        return;
    }
    if (format == Format::Csv) {
        out += "kind,start,end,size,count\n";
        for (const GapEntry& e : gaps.entries)
            fmt::format_to(std::back_inserter(out), "{},{:#x},{:#x},{},{}\n", to_string(e.kind),
                           e.start, e.end, e.end - e.start, e.count);
        return;
    }
    Table table(
        {{"Start"}, {"End"}, {"Size"}, {"Kind", Align::Left}, {"Count"}, {"First", Align::Left}});
    std::string cell;
    for (const GapEntry& e : gaps.entries) {
        const Role role = e.kind == GapEntry::Kind::Guard ? Role::Guard : Role::Other;
        table.begin_row(palette.start(role));
        table.cell(fmt::format("{:#x}", e.start));
        table.cell(fmt::format("{:#x}", e.end));
        table.cell(fmt::format("{:x}", e.end - e.start));
        table.cell(to_string(e.kind));
        table.cell(fmt::format("{}", e.count));
        cell.clear();
        const std::size_t width = append_safe(cell, first_name(e));
        table.cell(cell, width);
    }
    table.render(out, palette.reset());
    fmt::format_to(
        std::back_inserter(out), "total mapped {:#x} ({} KiB) in {} mappings; largest hole {:#x}\n",
        gaps.total_mapped, gaps.total_mapped / 1024, gaps.mapping_count, gaps.largest_hole);
}

}  // namespace vmatlas
