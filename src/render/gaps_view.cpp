// vmatlas TARGET --gaps: the layout of the map, runs of adjacent mappings, guards and holes.
#include <fmt/format.h>

#include "render/fields.hpp"
#include "render/json_common.hpp"
#include "render/map_view.hpp"
#include "render/model_reads.hpp"

namespace vmatlas {

namespace {

struct GapRow {
    const AddressSpace& space;
    const Annotations& notes;
    const GapEntry& e;
};

using GapField = Field<GapRow>;

// The first mapping of a run or guard: its file, or its name without one; nothing for a hole.
Value first_name(const GapRow& r) {
    if (r.e.kind == GapEntry::Kind::Hole) return {};
    const std::string_view path = r.space.path(r.space[r.e.first]);
    return {.s = path.empty() ? std::string_view(label_at(r.notes, r.e.first).name) : path};
}

constexpr GapField kKind =
    GapField::text("Kind", "kind", [](const GapRow& r) { return Value{.s = to_string(r.e.kind)}; });

// JSON and CSV lead with the kind; the table with the addresses.
constexpr GapField kGapFields[] = {
    kKind.only(kInData),
    GapField::address("Start", "start", [](const GapRow& r) { return Value{.n = r.e.start}; }),
    GapField::address("End", "end", [](const GapRow& r) { return Value{.n = r.e.end}; }),
    GapField::number("Size", "size", Spelling::Hex,
                     [](const GapRow& r) { return Value{.n = r.e.end - r.e.start}; }),
    kKind.only(kInTable),
    GapField::number("Count", "count", Spelling::Decimal,
                     [](const GapRow& r) { return Value{.n = r.e.count}; }),
    GapField::text("First", "", first_name).only(kInTable),
};

}  // namespace

void render_gaps(const AddressSpace& space, const Annotations& notes, const GapReport& gaps,
                 Format format, const Palette& palette, std::string& out) {
    if (format == Format::Json) {
        JsonWriter w(out);
        begin_document(w, schema::kGaps);
        json_preamble(w, space);
        w.key("gaps").begin_array();
        for (const GapEntry& e : gaps.entries) {
            w.begin_object();
            json_fields(w, kGapFields, GapRow{space, notes, e});
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
        csv_header(out, kGapFields);
        out.push_back('\n');
        for (const GapEntry& e : gaps.entries) {
            csv_fields(out, kGapFields, GapRow{space, notes, e});
            out.push_back('\n');
        }
        return;
    }
    Table table(table_columns(kGapFields));
    table.write(out, palette.reset(), [&](Table& t) {
        for (const GapEntry& e : gaps.entries) {
            t.begin_row(palette.start(e.kind == GapEntry::Kind::Guard ? Role::Guard : Role::Other));
            FieldTable<kGapFields>::row(t, GapRow{space, notes, e}, {});
        }
    });
    fmt::format_to(
        std::back_inserter(out), "total mapped {:#x} ({} KiB) in {} mappings; largest hole {:#x}\n",
        gaps.total_mapped, gaps.total_mapped / 1024, gaps.mapping_count, gaps.largest_hole);
}

}  // namespace vmatlas
