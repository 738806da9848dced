#include "render/summary_view.hpp"

#include <array>
#include <vector>

#include <fmt/format.h>

#include "render/fields.hpp"
#include "render/json_common.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

namespace {

// A line of the summary: a kind, an object or the total.
struct SummaryRow {
    std::string_view name;
    const Totals& totals;
    bool has_figures;
};

using SummaryField = Field<SummaryRow>;

// Bytes in K; unknown for a figure from smaps when the target has none.
template <std::uint64_t Totals::*kBytes, bool kFromSmaps>
Value bytes(const SummaryRow& r) {
    if (kFromSmaps && !r.has_figures) return {.known = false};
    return {.n = r.totals.*kBytes};
}

template <std::uint64_t Totals::*kBytes, bool kFromSmaps = true>
constexpr SummaryField bytes_field(std::string_view header, std::string_view key) {
    return SummaryField::number(header, key, Spelling::KiB, bytes<kBytes, kFromSmaps>);
}

// The figures of a line, in the order of every format's columns.
constexpr SummaryField kFigures[] = {
    bytes_field<&Totals::virtual_bytes, false>("Virtual", "virtual"),
    bytes_field<&Totals::resident>("Resident", "resident"),
    bytes_field<&Totals::dirty>("Dirty", "dirty"),
    bytes_field<&Totals::swapped>("Swapped", "swapped"),
    SummaryField::number("Regions", "regions", Spelling::Decimal,
                         [](const SummaryRow& r) { return Value{.n = r.totals.count}; }),
};

// A line's name and figures; the name headed `header` in the table and under `key` in JSON and
// CSV.
constexpr auto named(std::string_view header, std::string_view key) {
    return concat<SummaryRow>(
        {SummaryField::text(header, key, [](const SummaryRow& r) { return Value{.s = r.name}; })},
        kFigures);
}

constexpr auto kKindFields = named("Kind", "kind");
constexpr auto kObjectFields = named("Object", "object");
constexpr auto kCsvFields = named("", "name");

// A figure a target without smaps figures does not have is "-" in the table.
constexpr TableStyle kStyle{.unknown = "-"};

void json_line(JsonWriter& w, const auto& fields, const SummaryRow& row) {
    w.begin_object();
    json_fields(w, fields, row);
    w.end_object();
}

void csv_line(std::string& out, std::string_view group, const SummaryRow& row) {
    out += group;
    out += ',';
    csv_fields(out, kCsvFields, row);
    out += '\n';
}

// A table of lines whose name is the first of kFields.
template <const auto& kFields>
void table_of(const std::vector<SummaryRow>& lines, std::string& out) {
    Table table(table_columns(kFields));
    table.write(out, "", [&](Table& t) {
        for (const SummaryRow& line : lines) {
            t.begin_row();
            FieldTable<kFields>::row(t, line, kStyle);
        }
    });
}

}  // namespace

void render_summary(const AddressSpace& space, const Annotations& notes, const Summary& s,
                    Format format, std::string& out) {
    auto row = [&](std::string_view name, const Totals& t) {
        return SummaryRow{name, t, s.has_figures};
    };
    std::vector<SummaryRow> kinds, objects;
    for (std::size_t k = 0; k < kKindCount; ++k)
        if (s.by_kind[k].count) kinds.push_back(row(to_string(static_cast<Kind>(k)), s.by_kind[k]));
    for (const auto& [name, t] : s.by_object) objects.push_back(row(name, t));
    const SummaryRow total = row("total", s.total);

    if (format == Format::Json) {
        JsonWriter w(out);
        begin_document(w, schema::kSummary);
        json_preamble(w, space);
        w.key("by_kind").begin_array();
        for (const SummaryRow& r : kinds) json_line(w, kKindFields, r);
        w.end_array();
        w.key("by_object").begin_array();
        for (const SummaryRow& r : objects) json_line(w, kObjectFields, r);
        w.end_array();
        w.key("total");
        json_line(w, kFigures, total);
        w.key("largest_hole").number(s.largest_hole);
        w.key("largest_hole_start").hex(s.largest_hole_start);
        w.key("saturated").boolean(s.saturated());
        std::vector<std::string> warnings = notes.warnings;
        if (s.saturated()) warnings.emplace_back(kSaturatedTotal);
        json_warnings(w, space, warnings);
        w.end_object();
        w.finish();
        return;
    }
    if (format == Format::Csv) {
        out += "group,";
        csv_header(out, kCsvFields);
        out += '\n';
        for (const SummaryRow& r : kinds) csv_line(out, "kind", r);
        for (const SummaryRow& r : objects) csv_line(out, "object", r);
        csv_line(out, "total", total);
        return;
    }

    const SourceInfo& src = space.source();
    if (src.pid > 0) fmt::format_to(std::back_inserter(out), "{}: ", src.pid);
    append_safe(out, src.process_name.empty() ? src.origin : src.process_name);
    out += "\n\n";
    kinds.push_back(total);
    table_of<kKindFields>(kinds, out);
    out += '\n';
    table_of<kObjectFields>(objects, out);
    fmt::format_to(std::back_inserter(out),
                   "\ntotal mapped {}K in {} regions; largest free hole {}K at {:#x}\n",
                   s.total.virtual_bytes / 1024, s.total.count, s.largest_hole / 1024,
                   s.largest_hole_start);
}

}  // namespace vmatlas
