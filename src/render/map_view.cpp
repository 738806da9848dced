#include "render/map_view.hpp"

#include <array>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "model/number_text.hpp"
#include "render/json_common.hpp"
#include "render/mapping_fields.hpp"

namespace vmatlas {

namespace {

// What -v adds to the table: the ELF sections each row covers, or a page-table target's facts.
enum class Detail : std::uint8_t { None, Sections, Pages };

// The table shows Start End Perm Size Offset, InCore for a core file's map, Name File, and the
// detail -v asked for; JSON and CSV every fact of the row.
template <bool kCore, Detail kDetail>
constexpr auto map_fields() {
    constexpr std::size_t kDetailFields = kDetail == Detail::None ? 0 : 2;
    std::array<MappingField, 15 + kCore + kDetailFields> fields{};  // as many as add() is given
    std::size_t k = 0;
    auto add = [&](std::initializer_list<MappingField> more) {
        for (const MappingField& f : more) fields[k++] = f;
    };
    add({kStart, kEnd, kPerms, kSize, kOffset});
    if (kCore) add({kInCore.only(kInTable)});
    add({kDev, kInode, kName, kFile});
    if (kDetail == Detail::Sections) add({kSections, kSectionNames});
    if (kDetail == Detail::Pages) add({kPages, kPageWords});
    add({kPath, kFileDeleted, kObject, kNameSource, kRole, kInCore.only(kInData)});
    if (k != fields.size()) throw "map_fields(): the array is not as long as the list";
    return fields;
}

template <bool kCore, Detail kDetail>
constexpr auto kMapFields = map_fields<kCore, kDetail>();

// The table for a core file's map or not, with its detail.
const MappingTable& map_table(bool core, Detail detail) {
    static constexpr const MappingTable* kTables[2][3] = {
        {&kMappingTable<kMapFields<false, Detail::None>>,
         &kMappingTable<kMapFields<false, Detail::Sections>>,
         &kMappingTable<kMapFields<false, Detail::Pages>>},
        {&kMappingTable<kMapFields<true, Detail::None>>,
         &kMappingTable<kMapFields<true, Detail::Sections>>,
         &kMappingTable<kMapFields<true, Detail::Pages>>}};
    return *kTables[core][static_cast<std::size_t>(detail)];
}

std::string hole_line(const Selection::Hole& h, Addr a) {
    return fmt::format("► {:#x} is in no mapping: it falls in the hole {:#x}-{:#x} ({:#x} bytes)",
                       a, h.start, h.end, h.end - h.start);
}

void json_filter(JsonWriter& w, const Selection& sel, const FilterSpec& filter) {
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
}

}  // namespace

void render_map(const AddressSpace& space, const Annotations& notes, const Selection& sel,
                const FilterSpec& filter, Format format, const Palette& palette, std::string& out,
                const Flush& flush) {
    const Detail detail = !notes.pages.empty()      ? Detail::Pages
                          : !notes.sections.empty() ? Detail::Sections
                                                    : Detail::None;
    const MappingTable& shape = map_table(is_core(space), detail);
    const std::span<const MappingField> fields = shape.fields;
    std::string scratch;
    auto row_at = [&](std::size_t k) { return mapping_row(space, notes, sel.rows[k], scratch); };
    // JSON and CSV only append to out: it can be flushed after any row.
    auto row_done = [&] {
        if (flush && out.size() >= Table::kFlushBytes) flush(out);
    };

    if (format == Format::Json) {
        JsonWriter w(out);
        begin_document(w, schema::kMap);
        json_preamble(w, space);
        json_filter(w, sel, filter);
        w.key("mappings").begin_array();
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            const MappingRow r = row_at(k);
            w.begin_object();
            json_fields(w, fields, r);
            if (sel.filtered) w.key("match").boolean(sel.matched[k]);
            if (sel.matched[k] && filter.address)
                w.key("match_offset").number(*filter.address - r.m.start);
            w.end_object();
            row_done();
        }
        w.end_array();
        json_warnings(w, space, notes.warnings);
        w.end_object();
        w.finish();
        return;
    }

    if (format == Format::Csv) {
        csv_header(out, fields);
        if (sel.filtered) out += ",match";
        out.push_back('\n');
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            csv_fields(out, fields, row_at(k));
            if (sel.filtered) out += sel.matched[k] ? ",true" : ",false";
            out.push_back('\n');
            row_done();
        }
        return;
    }

    // An address filter marks its row with ► in a first column, and the offset into it after.
    const bool marker = filter.address.has_value();
    std::vector<Column> columns;
    if (marker) columns.push_back({"", Align::Left});
    for (const Column& c : table_columns(fields)) columns.push_back(c);
    Table table(std::move(columns));
    auto emit = [&](Table& t) {
        for (std::size_t k = 0; k < sel.rows.size(); ++k) {
            if (sel.hole && sel.hole->before_row == k)
                t.line(hole_line(*sel.hole, *filter.address));
            const MappingRow r = row_at(k);
            t.begin_row(palette.start(role_of(notes, r.i)));
            if (marker) t.cell(sel.matched[k] ? "►" : " ", 1);
            shape.row(t, r, {});
            if (marker && sel.matched[k]) {
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
    table.write(out, palette.reset(), emit, flush);
}

}  // namespace vmatlas
