#include "render/diff_view.hpp"

#include <array>
#include <vector>

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/mapping_fields.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

namespace {

// ---- The field list -------------------------------------------------------------------------

// A field of the diff and what the comparison says about it.
struct DiffColumn {
    MappingField field;
    DiffFields changed_by = 0;  // the field differs when the diff says this one does
    bool in_detail = false;     // named in the table's Detail column when it differs
};

// The default view's fields of a row, and what the comparison says of each.
constexpr DiffColumn kDiffColumns[] = {
    {kStart},
    {kEnd, kDiffEnd},
    {kPerms, kDiffPerms, true},
    // A changed end is told as a changed size in the Detail column: the start is the same.
    {kSize, kDiffEnd, true},
    {kOffset, kDiffOffset, true},
    {kDev, kDiffDev, true},
    {kInode, kDiffInode, true},
    {kName, kDiffName, true},
    {kFile},
    {kPath, kDiffPath, true},
    {kFileDeleted, kDiffDeleted, true},
    {kObject},
    {kNameSource},
};

// The fields alone: what the table, JSON and CSV show.
constexpr auto kDiffFields = [] {
    std::array<MappingField, std::size(kDiffColumns)> fields{};
    for (std::size_t k = 0; k < fields.size(); ++k) fields[k] = kDiffColumns[k].field;
    return fields;
}();

// ---- One entry ------------------------------------------------------------------------------

struct Sides {
    const AddressSpace& a;
    const Annotations& a_notes;
    const AddressSpace& b;
    const Annotations& b_notes;
    const DiffViewOptions& options;
};

// -b shows basenames in the File column; -s leaves the names from ELF headers out everywhere.
RowOptions row_options(const DiffViewOptions& o) {
    return {.basenames = o.basenames,
            .no_segment_names = o.no_segment_names,
            .elf_labels = !o.no_segment_names};
}

// The row an entry shows: A's for a removed row, else B's.
MappingRow shown_row(const Sides& s, const DiffEntry& e, std::string& scratch) {
    if (e.change == Change::Removed)
        return mapping_row(s.a, s.a_notes, e.a, scratch, row_options(s.options));
    return mapping_row(s.b, s.b_notes, e.b, scratch, row_options(s.options));
}

MappingRow old_row(const Sides& s, const DiffEntry& e, std::string& scratch) {
    return mapping_row(s.a, s.a_notes, e.a, scratch, row_options(s.options));
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
std::size_t append_detail_value(std::string& out, const MappingField& f, const Value& v) {
    if ((f.type == Type::Text || f.type == Type::OptText) && v.s.empty()) {
        out += "\"\"";
        return 2;
    }
    return append_cell(out, f.type, f.spelling, v, {});
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
        const MappingRow old_r = old_row(s, e, old_scratch);
        const MappingRow new_r = shown_row(s, e, new_scratch);
        bool first = true;
        for (const DiffColumn& c : kDiffColumns) {
            if (!c.in_detail || !(e.fields & c.changed_by)) continue;
            if (!first) text(", ");
            first = false;
            text(c.field.key);
            text(" ");
            width += append_detail_value(out, c.field, c.field.get(old_r));
            out += " \u2192 ";
            width += 3;
            width += append_detail_value(out, c.field, c.field.get(new_r));
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
    w.begin_object();
    w.key("change").string(to_string(e.change));
    json_fields(w, kDiffFields, shown_row(s, e, scratch));
    if (e.change == Change::Changed) {
        w.key("changed").begin_array();
        for (const DiffColumn& c : kDiffColumns)
            if (c.field.in_data() && (e.fields & c.changed_by)) w.string(c.field.key);
        w.end_array();
        const MappingRow old_r = old_row(s, e, old_scratch);
        w.key("old").begin_object();
        for (const DiffColumn& c : kDiffColumns) {
            if (!c.field.in_data() || !(e.fields & c.changed_by)) continue;
            w.key(c.field.key);
            json_value(w, c.field.type, c.field.get(old_r));
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
    out += "change,";
    csv_header(out, kDiffFields);
    out += ",changed";
    for (const DiffColumn& c : kDiffColumns)
        if (c.field.in_data() && c.changed_by)
            fmt::format_to(std::back_inserter(out), ",old_{}", c.field.key);
    out += ",overlaps\n";
}

void csv_entry(std::string& out, const Sides& s, const DiffEntry& e) {
    std::string scratch, old_scratch;
    out += to_string(e.change);
    out.push_back(',');
    csv_fields(out, kDiffFields, shown_row(s, e, scratch));
    out.push_back(',');
    bool first = true;
    for (const DiffColumn& c : kDiffColumns) {
        if (!c.field.in_data() || !(e.fields & c.changed_by)) continue;
        if (!first) out.push_back(' ');
        first = false;
        out += c.field.key;
    }
    for (const DiffColumn& c : kDiffColumns) {
        if (!c.field.in_data() || !c.changed_by) continue;
        out.push_back(',');
        if (e.change != Change::Changed || !(e.fields & c.changed_by)) continue;
        const MappingRow old_r = old_row(s, e, old_scratch);
        csv_value(out, c.field.type, c.field.get(old_r));
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
               const Annotations& notes, std::string_view snapshot) {
    w.key(key).begin_object();
    json_preamble(w, space);
    w.key("snapshot");
    if (snapshot.empty())
        w.null();
    else
        w.string(snapshot);
    json_warnings(w, space, notes.warnings);
    w.end_object();
}

// "A: before.maps: maps text, 57 rows"; "A: a.json (snapshot of /proc/7/smaps): procfs, ...".
void side_line(std::string& out, std::string_view name, const AddressSpace& space,
               std::string_view snapshot) {
    const SourceInfo& src = space.source();
    out += name;
    out += ": ";
    if (!snapshot.empty()) {
        append_safe(out, snapshot);
        out += " (snapshot of ";
    }
    append_safe(out, src.origin == "-" ? "standard input" : src.origin);
    if (!snapshot.empty()) out += ")";
    out += ": ";
    append_safe(out, source_kind(space));
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
        begin_document(w, schema::kDiff);
        json_side(w, "a", a, a_notes, options.a_snapshot);
        json_side(w, "b", b, b_notes, options.b_snapshot);
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

    side_line(out, "A", a, options.a_snapshot);
    side_line(out, "B", b, options.b_snapshot);
    std::vector<const DiffEntry*> rows;
    for (const DiffEntry& e : diff.entries)
        if (listed(e, options)) rows.push_back(&e);
    if (!rows.empty()) {
        // A marker column first ('+', '-', '~'), the Detail column last.
        std::vector<Column> columns{{"", Align::Left}};
        for (const Column& c : table_columns(kDiffFields)) columns.push_back(c);
        columns.push_back({"Detail", Align::Left});
        Table table(std::move(columns));
        std::string scratch;
        table.write(out, palette.reset(), [&](Table& t) {
            for (const DiffEntry* entry : rows) {
                const DiffEntry& e = *entry;
                t.begin_row(color_of(e.change, palette));
                t.cell(marker(e.change), 1);
                FieldTable<kDiffFields>::row(t, shown_row(sides, e, scratch), {});
                std::string& detail = t.scratch();
                detail.clear();
                const std::size_t width = append_detail(detail, sides, e);
                t.cell(detail, width);
            }
        });
    }
    fmt::format_to(std::back_inserter(out), "{} added, {} removed, {} changed, {} unchanged\n",
                   c.added, c.removed, c.changed, c.unchanged);
}

}  // namespace vmatlas
