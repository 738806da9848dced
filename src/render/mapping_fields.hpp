// The fields of a mapping. Every view that lists mappings (the default view, pmap, pmap -x,
// pmap -X, mappings, diff) takes its columns from these, retitled or respelled where its layout
// asks, so that a fact about a mapping is read one way and written one way in all of them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "render/fields.hpp"
#include "render/model_reads.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

// Row i of a map, as a view shows it.
struct MappingRow {
    const AddressSpace& space;
    const Annotations& notes;
    std::size_t i;
    const Mapping& m;
    const Label& label;      // the label the view shows
    const Figures* figures;  // null when the target has no smaps figures
    bool basenames;          // -b: file names cut to their last component
    bool no_segment_names;   // -s: Mapped File without the names from ELF headers
    std::string& scratch;    // room for a value made of parts
};

using MappingField = Field<MappingRow>;

struct RowOptions {
    bool basenames = false;
    bool no_segment_names = false;
    bool elf_labels = true;  // false: a label from ELF headers is shown as no label (diff -s)
};

// Row i with its label and, when the target has them, its figures.
inline MappingRow mapping_row(const AddressSpace& space, const Annotations& notes, std::size_t i,
                              std::string& scratch, RowOptions options = {}) {
    const Label& label = label_at(notes, i);
    const bool hidden = !options.elf_labels && label.source == NameSource::Elf;
    const Figures* figures = space.figures().empty() ? nullptr : &space.figures()[i];
    return {space,
            notes,
            i,
            space[i],
            hidden ? no_label() : label,
            figures,
            options.basenames,
            options.no_segment_names,
            scratch};
}

// A table of mapping fields known when compiling (FieldTable): its fields and how it writes a
// row. Views that choose among field lists when they run hold one of these.
struct MappingTable {
    std::span<const MappingField> fields;
    void (*row)(Table& t, const MappingRow& row, const TableStyle& style);
};

template <const auto& kFields>
inline constexpr MappingTable kMappingTable{kFields, FieldTable<kFields>::row};

// What the Mapped File column (pmap's last) shows for row i: "[ text ] /usr/lib/libc.so.6".
// Kernel names lose their brackets ("[ heap ]"), inferred names gain them, an unnamed
// anonymous row is "[ anon ]"; a bss row shows its object's path; -s drops the names from ELF
// headers, -b shows the last path component; " (deleted)" follows a deleted file.
void append_mapped_file(std::string& out, const AddressSpace& space, const Annotations& notes,
                        std::size_t i, bool basenames, bool no_segment_names);
std::string mapped_file(const AddressSpace& space, const Annotations& notes, std::size_t i,
                        bool basenames, bool no_segment_names);

namespace mapping_values {

Value dev(const MappingRow& r);          // "08:01"
Value file(const MappingRow& r);         // the File column
Value path(const MappingRow& r);         // the row's own file; "" for a kernel name
Value object(const MappingRow& r);       // a bss row's object's file
Value in_core(const MappingRow& r);      // "all", "part", "none"; "" when not from a core
Value mapped_file(const MappingRow& r);  // the Mapped File column
// smaps' THPeligible and VmFlags; unknown when the target has no smaps figures.
Value thp_eligible(const MappingRow& r);
Value vm_flags(const MappingRow& r);
// The ELF sections of -v, ".init .plt .text"; unknown for a row named from the layout alone.
Value section_names(const MappingRow& r);

// A smaps figure of the row; unknown when the target has none.
template <std::uint64_t Figures::*kFigure>
Value figure(const MappingRow& r) {
    if (!r.figures) return {.known = false};
    return {.n = r.figures->*kFigure};
}

}  // namespace mapping_values

// ---- The fields -----------------------------------------------------------------------------
// Addresses in 0x-hex, sizes and offsets in bare hex (as pwndbg prints them), text escaped.

inline constexpr MappingField kStart = MappingField::address(
    "Start", "start", [](const MappingRow& r) { return Value{.n = r.m.start}; });
inline constexpr MappingField kEnd =
    MappingField::address("End", "end", [](const MappingRow& r) { return Value{.n = r.m.end}; });
inline constexpr MappingField kPerms = MappingField::text("Perm", "perms", [](const MappingRow& r) {
                                           return Value{.s = r.m.perms.view()};
                                       }).spelled(Spelling::Plain);
// Marked when a core file holds only part or none of the row's bytes.
inline constexpr MappingField kSize =
    MappingField::number("Size", "size", Spelling::Hex, [](const MappingRow& r) {
        return Value{.n = r.m.size(), .marked = r.m.contents_missing()};
    }).totalled(Total::Sum);
inline constexpr MappingField kOffset =
    MappingField::number("Offset", "offset", Spelling::Hex,
                         [](const MappingRow& r) { return Value{.n = raw(r.m.offset)}; });
inline constexpr MappingField kDev =
    MappingField::text("", "dev", mapping_values::dev).only(kInData);
inline constexpr MappingField kInode =
    MappingField::number("", "inode", Spelling::Decimal, [](const MappingRow& r) {
        return Value{.n = r.m.inode};
    }).only(kInData);
inline constexpr MappingField kName = MappingField::text(
    "Name", "name", [](const MappingRow& r) { return Value{.s = r.label.name}; });
// The file, marked when deleted; for a row without one (bss), its object's file.
inline constexpr MappingField kFile =
    MappingField::text("File", "", mapping_values::file).only(kInTable);
// The ELF sections the row covers (-v): the table's text, and in JSON and CSV the names (a JSON
// array), unknown for a row named from the layout alone, whose object's headers were not read.
inline constexpr MappingField kSections =
    MappingField::text("Sections", "sections", [](const MappingRow& r) {
        return Value{.s = r.notes.sections[r.i]};
    }).only(kInTable);
inline constexpr MappingField kSectionNames =
    MappingField::text("", "sections", mapping_values::section_names)
        .typed(Type::Words)
        .only(kInData);
// What the page tables say of a page-table target's row (-v): the table's text, and in JSON and
// CSV the words ("supervisor global 2M phys=0x1000000 contiguous").
inline constexpr MappingField kPages = MappingField::text("Pages", "", [](const MappingRow& r) {
                                           return Value{.s = r.notes.pages[r.i]};
                                       }).only(kInTable);
inline constexpr MappingField kPageWords =
    MappingField::text("", "pages",
                       [](const MappingRow& r) { return Value{.s = r.notes.pages[r.i]}; })
        .typed(Type::Words)
        .only(kInData);
inline constexpr MappingField kPath =
    MappingField::text("", "path", mapping_values::path).only(kInData);
inline constexpr MappingField kFileDeleted{
    .key = "deleted",
    .align = Align::Left,
    .type = Type::Bool,
    .spelling = Spelling::YesNo,
    .get = [](const MappingRow& r) { return Value{.n = r.m.deleted()}; },
    .where = kInData};
inline constexpr MappingField kObject =
    MappingField::text("", "object", mapping_values::object).only(kInData);
inline constexpr MappingField kNameSource =
    MappingField::text("", "name_source",
                       [](const MappingRow& r) { return Value{.s = to_string(r.label.source)}; })
        .null_when_empty()
        .only(kInData);
inline constexpr MappingField kRole = MappingField::text("", "role", [](const MappingRow& r) {
                                          return Value{.s = to_string(role_of(r.notes, r.i))};
                                      }).only(kInData);
// How much of the row a core file holds; null for other targets (a stable schema for scripts).
inline constexpr MappingField kInCore =
    MappingField::text("InCore", "in_core", mapping_values::in_core).null_when_empty();
// Text laid out for the table ("[ text ] /usr/lib/libc.so.6"): JSON and CSV carry its facts
// (name, name_source, path, deleted) as fields of their own.
inline constexpr MappingField kMappedFile =
    MappingField::text("Mapped File", "", mapping_values::mapped_file).only(kInTable);

// A smaps figure in K, "-" for none; added up by totals unless `total` says otherwise.
template <std::uint64_t Figures::*kFigure>
constexpr MappingField figure_field(std::string_view header, std::string_view key,
                                    Total total = Total::SumOfFigures) {
    return MappingField::number(header, key, Spelling::KiBOrDash, mapping_values::figure<kFigure>)
        .totalled(total);
}

inline constexpr MappingField kThpEligible{.header = "THPeligible",
                                           .key = "thp_eligible",
                                           .type = Type::Bool,
                                           .spelling = Spelling::OneZero,
                                           .get = mapping_values::thp_eligible};
// The kernel's two-letter flags: one text in the table and CSV, a JSON array of them.
inline constexpr MappingField kVmFlags =
    MappingField::text("VmFlags", "vm_flags", mapping_values::vm_flags).typed(Type::Words);

}  // namespace vmatlas
