#include "render/diff_view.hpp"

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/json_writer.hpp"
#include "render/number_text.hpp"
#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {

namespace {

// ---- The field list -------------------------------------------------------------------------

// As in the default view: addresses are 0x-hex everywhere; sizes and offsets bare hex in the
// table and numbers in JSON and CSV; Text is untrusted and escaped.
enum class Type { Addr, Size, Count, Text, Bool, OptText };

struct Value {
    std::uint64_t n = 0;
    std::string_view s;
    bool b = false;
};

struct RowCtx {
    const AddressSpace& space;
    const Annotations& notes;
    std::size_t i;
    const DiffViewOptions& options;
    std::string& scratch;

    const Mapping& m() const { return space[i]; }
};

struct Field {
    std::string_view header;  // table column; "" when not in the table
    std::string_view key;     // JSON/CSV key; "" when not in JSON/CSV
    Align align;
    Type type;
    Value (*get)(const RowCtx&);
    DiffFields changed_by = 0;  // the field differs when the diff says this one does
    bool in_detail = false;     // named in the table's Detail column when it differs
};

const Label kNoLabel{};

// The label shown and compared: -s leaves out the names from ELF headers.
const Label& label_of(const RowCtx& r) {
    if (r.notes.labels.empty()) return kNoLabel;
    const Label& l = r.notes.labels[r.i];
    return r.options.no_segment_names && l.source == NameSource::Elf ? kNoLabel : l;
}

std::string_view object_of(const RowCtx& r) {
    const PathId object = label_of(r).object;
    return object == kNoPath ? std::string_view{} : r.space.paths().get(object);
}

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The default view's File column: the file, marked when deleted; a bss row's object.
Value file_column(const RowCtx& r) {
    std::string_view path = r.space.path(r.m());
    if (path.empty() || is_kernel_name(path)) path = object_of(r);
    if (r.options.basenames) path = basename_of(path);
    if (!r.m().deleted() || path.empty()) return {0, path};
    r.scratch.assign(path);
    r.scratch += " (deleted)";
    return {0, r.scratch};
}

constexpr Field kDiffFields[] = {
    {"Start", "start", Align::Right, Type::Addr,
     [](const RowCtx& r) { return Value{r.m().start}; }},
    {"End", "end", Align::Right, Type::Addr, [](const RowCtx& r) { return Value{r.m().end}; },
     kDiffEnd},
    {"Perm", "perms", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, r.m().perms.view()};
     },
     kDiffPerms, true},
    // A changed end is told as a changed size in the Detail column: the start is the same.
    {"Size", "size", Align::Right, Type::Size, [](const RowCtx& r) { return Value{r.m().size()}; },
     kDiffEnd, true},
    {"Offset", "offset", Align::Right, Type::Size,
     [](const RowCtx& r) { return Value{raw(r.m().offset)}; }, kDiffOffset, true},
    {"", "dev", Align::Left, Type::Text,
     [](const RowCtx& r) {
         r.scratch.clear();
         append_hex(r.scratch, r.m().dev_major, 2);
         r.scratch.push_back(':');
         append_hex(r.scratch, r.m().dev_minor, 2);
         return Value{0, r.scratch};
     },
     kDiffDev, true},
    {"", "inode", Align::Right, Type::Count, [](const RowCtx& r) { return Value{r.m().inode}; },
     kDiffInode, true},
    {"Name", "name", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, label_of(r).name};
     },
     kDiffName, true},
    {"File", "", Align::Left, Type::Text, file_column},
    {"", "path", Align::Left, Type::Text,
     [](const RowCtx& r) {
         const std::string_view p = r.space.path(r.m());
         return Value{0, is_kernel_name(p) ? std::string_view{} : p};
     },
     kDiffPath, true},
    {"", "deleted", Align::Left, Type::Bool,
     [](const RowCtx& r) {
         return Value{0, {}, r.m().deleted()};
     },
     kDiffDeleted, true},
    {"", "object", Align::Left, Type::Text,
     [](const RowCtx& r) {
         return Value{0, object_of(r)};
     }},
    {"", "name_source", Align::Left, Type::OptText,
     [](const RowCtx& r) {
         return Value{0, to_string(label_of(r).source)};
     }},
};

// ---- Values in each format ------------------------------------------------------------------

// The table's text of a value; returns its width on a terminal.
std::size_t append_table_value(std::string& out, const Field& f, const Value& v) {
    const std::size_t before = out.size();
    switch (f.type) {
        case Type::Addr:
            append_address(out, v.n);
            break;
        case Type::Size:
            append_hex(out, v.n);
            break;
        case Type::Count:
            append_decimal(out, v.n);
            break;
        case Type::Bool:
            out += v.b ? "yes" : "no";
            break;
        case Type::Text:
        case Type::OptText:
            return append_safe(out, v.s);
    }
    return out.size() - before;
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
        case Type::OptText:
            append_csv_field(out, v.s);
            break;
    }
}

// ---- One entry ------------------------------------------------------------------------------

struct Sides {
    const AddressSpace& a;
    const Annotations& a_notes;
    const AddressSpace& b;
    const Annotations& b_notes;
    const DiffViewOptions& options;
};

// The row an entry shows: A's for a removed row, else B's.
RowCtx shown_row(const Sides& s, const DiffEntry& e, std::string& scratch) {
    if (e.change == Change::Removed) return {s.a, s.a_notes, e.a, s.options, scratch};
    return {s.b, s.b_notes, e.b, s.options, scratch};
}

RowCtx old_row(const Sides& s, const DiffEntry& e, std::string& scratch) {
    return {s.a, s.a_notes, e.a, s.options, scratch};
}

bool listed(const DiffEntry& e, const DiffViewOptions& options) {
    return options.all || e.change != Change::Unchanged;
}

// The rows of the other map an added or removed row overlaps, and which map that is.
const AddressSpace& other_map(const Sides& s, const DiffEntry& e) {
    return e.change == Change::Added ? s.a : s.b;
}

std::string_view marker(Change c) {
    switch (c) {
        case Change::Added:
            return "+";
        case Change::Removed:
            return "-";
        case Change::Changed:
            return "~";
        case Change::Unchanged:
            return " ";
    }
    return " ";
}

// diff tools' colours: what was added green, what was removed red, what changed yellow.
std::string_view color_of(Change c, const Palette& palette) {
    if (!palette.on) return "";
    switch (c) {
        case Change::Added:
            return "\x1b[32m";
        case Change::Removed:
            return "\x1b[31m";
        case Change::Changed:
            return "\x1b[33m";
        case Change::Unchanged:
            return "";
    }
    return "";
}

// A value in the Detail column: as in the table, and "" for empty text, which would be invisible.
std::size_t append_detail_value(std::string& out, const Field& f, const Value& v) {
    if ((f.type == Type::Text || f.type == Type::OptText) && v.s.empty()) {
        out += "\"\"";
        return 2;
    }
    return append_table_value(out, f, v);
}

// The Detail column: "perms rw-p → r--p, size 5000 → 2000", or "overlaps A 0x1000-0x5000".
std::size_t append_detail(std::string& out, const Sides& s, const DiffEntry& e) {
    std::size_t width = 0;
    auto text = [&](std::string_view t) {
        out += t;
        width += t.size();
    };
    if (e.change == Change::Changed) {
        std::string old_scratch, new_scratch;
        const RowCtx old_r = old_row(s, e, old_scratch);
        const RowCtx new_r = shown_row(s, e, new_scratch);
        bool first = true;
        for (const Field& f : kDiffFields) {
            if (!f.in_detail || !(e.fields & f.changed_by)) continue;
            if (!first) text(", ");
            first = false;
            text(f.key);
            text(" ");
            width += append_detail_value(out, f, f.get(old_r));
            out += " \u2192 ";
            width += 3;
            width += append_detail_value(out, f, f.get(new_r));
        }
    } else if (e.overlap_count > 0) {
        const AddressSpace& other = other_map(s, e);
        const Mapping& lo = other[e.overlap_first];
        const Mapping& hi = other[e.overlap_first + e.overlap_count - 1];
        const std::string_view side = e.change == Change::Added ? "A" : "B";
        text(e.overlap_count == 1 ? fmt::format("overlaps {} {:#x}-{:#x}", side, lo.start, hi.end)
                                  : fmt::format("overlaps {} rows of {} {:#x}-{:#x}",
                                                e.overlap_count, side, lo.start, hi.end));
    }
    return width;
}

void json_entry(JsonWriter& w, const Sides& s, const DiffEntry& e) {
    std::string scratch, old_scratch;
    const RowCtx r = shown_row(s, e, scratch);
    w.begin_object();
    w.key("change").string(to_string(e.change));
    for (const Field& f : kDiffFields) {
        if (f.key.empty()) continue;
        w.key(f.key);
        json_value(w, f, f.get(r));
    }
    if (e.change == Change::Changed) {
        w.key("changed").begin_array();
        for (const Field& f : kDiffFields)
            if (!f.key.empty() && (e.fields & f.changed_by)) w.string(f.key);
        w.end_array();
        const RowCtx old_r = old_row(s, e, old_scratch);
        w.key("old").begin_object();
        for (const Field& f : kDiffFields) {
            if (f.key.empty() || !(e.fields & f.changed_by)) continue;
            w.key(f.key);
            json_value(w, f, f.get(old_r));
        }
        w.end_object();
    }
    if (e.change == Change::Added || e.change == Change::Removed) {
        const AddressSpace& other = other_map(s, e);
        w.key("overlaps").begin_array();
        for (std::size_t k = e.overlap_first; k < e.overlap_first + e.overlap_count; ++k) {
            w.begin_object();
            w.key("start").hex(other[k].start);
            w.key("end").hex(other[k].end);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

void csv_header(std::string& out) {
    out += "change";
    for (const Field& f : kDiffFields)
        if (!f.key.empty()) fmt::format_to(std::back_inserter(out), ",{}", f.key);
    out += ",changed";
    for (const Field& f : kDiffFields)
        if (!f.key.empty() && f.changed_by)
            fmt::format_to(std::back_inserter(out), ",old_{}", f.key);
    out += ",overlaps\n";
}

void csv_entry(std::string& out, const Sides& s, const DiffEntry& e) {
    std::string scratch, old_scratch;
    const RowCtx r = shown_row(s, e, scratch);
    out += to_string(e.change);
    for (const Field& f : kDiffFields) {
        if (f.key.empty()) continue;
        out.push_back(',');
        csv_value(out, f, f.get(r));
    }
    out.push_back(',');
    bool first = true;
    for (const Field& f : kDiffFields) {
        if (f.key.empty() || !(e.fields & f.changed_by)) continue;
        if (!first) out.push_back(' ');
        first = false;
        out += f.key;
    }
    for (const Field& f : kDiffFields) {
        if (f.key.empty() || !f.changed_by) continue;
        out.push_back(',');
        if (e.change != Change::Changed || !(e.fields & f.changed_by)) continue;
        const RowCtx old_r = old_row(s, e, old_scratch);
        csv_value(out, f, f.get(old_r));
    }
    out.push_back(',');
    if (e.change == Change::Added || e.change == Change::Removed) {
        const AddressSpace& other = other_map(s, e);
        for (std::size_t k = e.overlap_first; k < e.overlap_first + e.overlap_count; ++k)
            fmt::format_to(std::back_inserter(out), "{}{:#x}-{:#x}",
                           k == e.overlap_first ? "" : " ", other[k].start, other[k].end);
    }
    out.push_back('\n');
}

void json_side(JsonWriter& w, std::string_view key, const AddressSpace& space,
               const Annotations& notes) {
    w.key(key).begin_object();
    json_preamble(w, space);
    json_warnings(w, space, notes.warnings);
    w.end_object();
}

// "A: before.maps: maps text, 57 rows".
void side_line(std::string& out, std::string_view name, const AddressSpace& space) {
    const SourceInfo& src = space.source();
    out += name;
    out += ": ";
    append_safe(out, src.origin == "-" ? "standard input" : src.origin);
    out += ": ";
    out += to_string(src.kind);
    if (src.pid > 0) {
        fmt::format_to(std::back_inserter(out), ", process {}", src.pid);
        if (!src.process_name.empty()) {
            out += " (";
            append_safe(out, src.process_name);
            out += ")";
        }
    }
    fmt::format_to(std::back_inserter(out), ", {} rows\n", space.size());
}

}  // namespace

void render_diff(const AddressSpace& a, const Annotations& a_notes, const AddressSpace& b,
                 const Annotations& b_notes, const MapDiff& diff, const DiffViewOptions& options,
                 Format format, const Palette& palette, std::string& out) {
    const Sides sides{a, a_notes, b, b_notes, options};
    const DiffCounts& c = diff.counts;

    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        json_side(w, "a", a, a_notes);
        json_side(w, "b", b, b_notes);
        w.key("same").boolean(c.same());
        w.key("counts").begin_object();
        w.key("added").number(c.added);
        w.key("removed").number(c.removed);
        w.key("changed").number(c.changed);
        w.key("unchanged").number(c.unchanged);
        w.end_object();
        w.key("mappings").begin_array();
        for (const DiffEntry& e : diff.entries)
            if (listed(e, options)) json_entry(w, sides, e);
        w.end_array();
        w.end_object();
        w.finish();
        return;
    }

    if (format == Format::Csv) {
        csv_header(out);
        for (const DiffEntry& e : diff.entries)
            if (listed(e, options)) csv_entry(out, sides, e);
        return;
    }

    side_line(out, "A", a);
    side_line(out, "B", b);
    std::vector<Column> columns{{"", Align::Left}};
    for (const Field& f : kDiffFields)
        if (!f.header.empty()) columns.push_back({f.header, f.align});
    columns.push_back({"Detail", Align::Left});
    Table table(std::move(columns));
    bool any = false;
    std::string scratch;
    for (const DiffEntry& e : diff.entries) {
        if (!listed(e, options)) continue;
        any = true;
        const RowCtx r = shown_row(sides, e, scratch);
        table.begin_row(color_of(e.change, palette));
        table.cell(marker(e.change), 1);
        for (const Field& f : kDiffFields) {
            if (f.header.empty()) continue;
            std::string& cell = table.scratch();
            cell.clear();
            const Value v = f.get(r);  // before cell: the getter may use scratch, not cell
            const std::size_t width = append_table_value(cell, f, v);
            table.cell(cell, width);
        }
        std::string& detail = table.scratch();
        detail.clear();
        const std::size_t width = append_detail(detail, sides, e);
        table.cell(detail, width);
    }
    if (any) table.render(out, palette.reset());
    fmt::format_to(std::back_inserter(out), "{} added, {} removed, {} changed, {} unchanged\n",
                   c.added, c.removed, c.changed, c.unchanged);
}

}  // namespace vmatlas
