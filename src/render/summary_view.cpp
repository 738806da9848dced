#include "render/summary_view.hpp"

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {

namespace {

// The figures of one line, in the order of every format's columns.
struct Figure {
    std::string_view header, key;
    std::uint64_t Totals::*bytes;  // null for the region count
    bool from_smaps;
};

constexpr Figure kColumns[] = {
    {"Virtual", "virtual", &Totals::virtual_bytes, false},
    {"Resident", "resident", &Totals::resident, true},
    {"Dirty", "dirty", &Totals::dirty, true},
    {"Swapped", "swapped", &Totals::swapped, true},
    {"Regions", "regions", nullptr, false},
};

std::uint64_t value(const Figure& c, const Totals& t) {
    return c.bytes ? t.*c.bytes : static_cast<std::uint64_t>(t.count);
}

void table_line(Table& table, std::string_view name, const Totals& t, bool has_figures) {
    table.begin_row();
    std::string& cell = table.scratch();
    cell.clear();
    const std::size_t width = append_safe(cell, name);
    table.cell(cell, width);
    for (const Figure& c : kColumns) {
        if (c.from_smaps && !has_figures)
            table.cell("-");
        else if (c.bytes)
            table.cell(fmt::format("{}K", value(c, t) / 1024));
        else
            table.cell(fmt::format("{}", value(c, t)));
    }
}

void json_totals(JsonWriter& w, const Totals& t, bool has_figures) {
    for (const Figure& c : kColumns) {
        w.key(c.key);
        if (c.from_smaps && !has_figures)
            w.null();
        else
            w.number(value(c, t));
    }
}

void csv_line(std::string& out, std::string_view group, std::string_view name, const Totals& t,
              bool has_figures) {
    out += group;
    out += ',';
    append_csv_field(out, name);
    for (const Figure& c : kColumns) {
        out += ',';
        if (!(c.from_smaps && !has_figures)) out += fmt::format("{}", value(c, t));
    }
    out += '\n';
}

}  // namespace

void render_summary(const AddressSpace& space, const Annotations& notes, const Summary& s,
                    Format format, std::string& out) {
    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        json_preamble(w, space);
        w.key("by_kind").begin_array();
        for (std::size_t k = 0; k < kKindCount; ++k) {
            if (s.by_kind[k].count == 0) continue;
            w.begin_object().key("kind").string(to_string(static_cast<Kind>(k)));
            json_totals(w, s.by_kind[k], s.has_figures);
            w.end_object();
        }
        w.end_array();
        w.key("by_object").begin_array();
        for (const auto& [name, t] : s.by_object) {
            w.begin_object().key("object").string(name);
            json_totals(w, t, s.has_figures);
            w.end_object();
        }
        w.end_array();
        w.key("total").begin_object();
        json_totals(w, s.total, s.has_figures);
        w.end_object();
        w.key("largest_hole").number(s.largest_hole);
        w.key("largest_hole_start").hex(s.largest_hole_start);
        json_warnings(w, space, notes.warnings);
        w.end_object();
        w.finish();
        return;
    }
    if (format == Format::Csv) {
        out += "group,name";
        for (const Figure& c : kColumns) fmt::format_to(std::back_inserter(out), ",{}", c.key);
        out += '\n';
        for (std::size_t k = 0; k < kKindCount; ++k)
            if (s.by_kind[k].count)
                csv_line(out, "kind", to_string(static_cast<Kind>(k)), s.by_kind[k], s.has_figures);
        for (const auto& [name, t] : s.by_object) csv_line(out, "object", name, t, s.has_figures);
        csv_line(out, "total", "total", s.total, s.has_figures);
        return;
    }

    const SourceInfo& src = space.source();
    if (src.pid > 0) fmt::format_to(std::back_inserter(out), "{}: ", src.pid);
    append_safe(out, src.process_name.empty() ? src.origin : src.process_name);
    out += "\n\n";
    auto table_of = [&](std::string_view first_header) {
        std::vector<vmatlas::Column> cols{{first_header, Align::Left}};
        for (const Figure& c : kColumns) cols.push_back({c.header, Align::Right});
        return Table(std::move(cols));
    };
    Table kinds = table_of("Kind");
    for (std::size_t k = 0; k < kKindCount; ++k)
        if (s.by_kind[k].count)
            table_line(kinds, to_string(static_cast<Kind>(k)), s.by_kind[k], s.has_figures);
    table_line(kinds, "total", s.total, s.has_figures);
    kinds.render(out, "");
    out += '\n';
    Table objects = table_of("Object");
    for (const auto& [name, t] : s.by_object) table_line(objects, name, t, s.has_figures);
    objects.render(out, "");
    fmt::format_to(std::back_inserter(out),
                   "\ntotal mapped {}K in {} regions; largest free hole {}K at {:#x}\n",
                   s.total.virtual_bytes / 1024, s.total.count, s.largest_hole / 1024,
                   s.largest_hole_start);
}

}  // namespace vmatlas
