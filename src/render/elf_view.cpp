#include "render/elf_view.hpp"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <utility>

#include <fmt/format.h>

#include "render/fields.hpp"
#include "render/json_common.hpp"
#include "render/safe_text.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

namespace {

using elf::ProgramHeader;

// ---- The field list -------------------------------------------------------------------------

struct PhRow {
    const ElfImage& image;
    std::size_t index;
    const ProgramHeader& ph;
    std::string& scratch;
};

// A header's name and where it came from: .SUNW_phname, else what a PT_LOAD holds; elfdump shows
// no name for the other kinds.
struct PhName {
    std::string_view name;
    std::string_view source;  // "phname", "inferred", "" for none
};

PhName name_of(const PhRow& r) {
    if (!r.ph.name.empty()) return {r.ph.name, "phname"};
    if (r.ph.type == PT_LOAD) return {elf::load_segment_name(r.image.object, r.ph), "inferred"};
    return {};
}

using PhField = Field<PhRow>;

// A number as elfdump prints it: "0", else 0x-hex.
template <std::uint64_t ProgramHeader::*kMember>
constexpr PhField number_field(std::string_view label, std::string_view key) {
    return PhField::number(label, key, Spelling::Elfdump,
                           [](const PhRow& r) { return Value{.n = r.ph.*kMember}; });
}

constexpr PhField kIndex = PhField::number("", "index", Spelling::Decimal,
                                           [](const PhRow& r) { return Value{.n = r.index}; });
constexpr PhField kName = PhField::text("", "name", [](const PhRow& r) {
                              return Value{.s = name_of(r).name};
                          }).null_when_empty();
constexpr PhField kNameSource = PhField::text("", "name_source", [](const PhRow& r) {
                                    return Value{.s = name_of(r).source};
                                }).null_when_empty();
constexpr PhField kType = PhField::text("p_type", "type", [](const PhRow& r) {
                              r.scratch = pt_name(r.ph.type);
                              return Value{.s = r.scratch};
                          }).spelled(Spelling::Elfdump);
// The flags' names; none for no flags (elfdump's "[ 0 ]").
constexpr PhField kFlags{.header = "p_flags",
                         .key = "flags",
                         .type = Type::Words,
                         .spelling = Spelling::Elfdump,
                         .get = [](const PhRow& r) {
                             r.scratch.clear();
                             if (r.ph.flags != 0)
                                 r.scratch =
                                     fmt::format("{}", fmt::join(pf_names(r.ph.flags), " "));
                             return Value{.s = r.scratch};
                         }};
constexpr PhField kOffset = number_field<&ProgramHeader::offset>("p_offset", "offset");
constexpr PhField kVaddr =
    number_field<&ProgramHeader::vaddr>("p_vaddr", "vaddr").typed(Type::Address);
constexpr PhField kPaddr =
    number_field<&ProgramHeader::paddr>("p_paddr", "paddr").typed(Type::Address);
constexpr PhField kFileSize = number_field<&ProgramHeader::filesz>("p_filesz", "filesz");
constexpr PhField kMemSize = number_field<&ProgramHeader::memsz>("p_memsz", "memsz");
constexpr PhField kAlign = number_field<&ProgramHeader::align>("p_align", "align");

// In JSON order.
constexpr PhField kPhdrFields[] = {kIndex, kName,  kNameSource, kType,    kFlags, kOffset,
                                   kVaddr, kPaddr, kFileSize,   kMemSize, kAlign};

// The block shows each header as elfdump -p does: two columns of "label: value", row by row;
// the labels are the fields' headers.
constexpr const PhField* kBlock[4][2] = {
    {&kVaddr, &kFlags}, {&kPaddr, &kType}, {&kFileSize, &kMemSize}, {&kOffset, &kAlign}};

// ---- The text block ---------------------------------------------------------------------------

// The headers `shown` (indices into the object's program headers), each under its own index.
void program_headers_text(const ElfImage& image, const std::vector<std::size_t>& shown,
                          std::string& out) {
    const auto& phs = image.object.program_headers;
    // The first column's values as wide as the widest (at least elfdump's 32-bit width).
    std::vector<std::string> cells(shown.size() * 8);  // the k-th shown header's, row by row
    std::size_t width = 10;
    std::string scratch;
    for (std::size_t k = 0; k < shown.size(); ++k) {
        const std::size_t i = shown[k];
        const PhRow r{image, i, phs[i], scratch};
        for (std::size_t row = 0; row < 4; ++row) {
            for (std::size_t column = 0; column < 2; ++column) {
                const PhField& f = *kBlock[row][column];
                std::string& cell = cells[k * 8 + row * 2 + column];
                const std::size_t w = append_cell(cell, f.type, f.spelling, f.get(r), {});
                if (column == 0) width = std::max(width, w);
            }
        }
    }
    for (std::size_t k = 0; k < shown.size(); ++k) {
        const std::size_t i = shown[k];
        const PhRow r{image, i, phs[i], scratch};
        if (k > 0) out.push_back('\n');
        fmt::format_to(std::back_inserter(out), "Program Header[{}]:", i);
        if (const PhName n = name_of(r); !n.source.empty()) {
            out.push_back(' ');
            append_safe(out, n.name);  // .SUNW_phname strings come from the file
        }
        out.push_back('\n');
        for (std::size_t row = 0; row < 4; ++row) {
            fmt::format_to(std::back_inserter(out), "    {:<14}{:<{}}{:<12}{}\n",
                           fmt::format("{}:", kBlock[row][0]->header), cells[k * 8 + row * 2],
                           width + 2, fmt::format("{}:", kBlock[row][1]->header),
                           cells[k * 8 + row * 2 + 1]);
        }
    }
}

std::string base_sentence(const ElfImage& image) {
    if (image.by_sections) {
        // No loader is replayed: each allocated section is shown where it would be, exactly.
        switch (image.base_choice) {
            case BaseChoice::Own:
                return "Map by allocated sections, at their own addresses (ET_EXEC):";
            case BaseChoice::Given:
                return fmt::format("Map by allocated sections, at base {:#x} (given):", image.base);
            case BaseChoice::PieDefault:
                return fmt::format(
                    "Map by allocated sections, at base {:#x} (the default for a PIE executable):",
                    image.base);
            case BaseChoice::SharedDefault:
                return fmt::format(
                    "Map by allocated sections, at base {:#x} (the default for a shared object):",
                    image.base);
        }
        return {};
    }
    const std::string loader = image.loader == ImageLoader::Kernel ? "the kernel" : "ld.so";
    switch (image.base_choice) {
        case BaseChoice::Own:
            return fmt::format("Map at its own addresses (ET_EXEC), as {} maps it:", loader);
        case BaseChoice::Given:
            return fmt::format("Map at base {:#x} (given), as {} maps it:", image.base, loader);
        case BaseChoice::PieDefault:
            return fmt::format(
                "Map at base {:#x} (the default for a PIE executable), as {} maps it:", image.base,
                loader);
        case BaseChoice::SharedDefault:
            return fmt::format(
                "Map at base {:#x} (the default for a shared object), as {} maps it:", image.base,
                loader);
    }
    return {};
}

// The kinds readelf and elfdump name; PT_GNU_* and PT_SUNW* by value, which older <elf.h> lack.
constexpr std::pair<std::uint32_t, std::string_view> kPtNames[] = {
    {PT_NULL, "PT_NULL"},          {PT_LOAD, "PT_LOAD"},         {PT_DYNAMIC, "PT_DYNAMIC"},
    {PT_INTERP, "PT_INTERP"},      {PT_NOTE, "PT_NOTE"},         {PT_SHLIB, "PT_SHLIB"},
    {PT_PHDR, "PT_PHDR"},          {PT_TLS, "PT_TLS"},           {0x6474e550, "PT_GNU_EH_FRAME"},
    {0x6474e551, "PT_GNU_STACK"},  {0x6474e552, "PT_GNU_RELRO"}, {0x6474e553, "PT_GNU_PROPERTY"},
    {0x6474e554, "PT_GNU_SFRAME"}, {0x6ffffffa, "PT_SUNWBSS"},   {0x6ffffffb, "PT_SUNWSTACK"},
};

constexpr std::pair<std::uint16_t, std::string_view> kEtNames[] = {
    {ET_NONE, "ET_NONE"}, {ET_REL, "ET_REL"},   {ET_EXEC, "ET_EXEC"},
    {ET_DYN, "ET_DYN"},   {ET_CORE, "ET_CORE"},
};

template <typename T, std::size_t N>
std::string name_in(const std::pair<T, std::string_view> (&table)[N], T value) {
    for (const auto& [v, name] : table)
        if (v == value) return std::string(name);
    return fmt::format("{:#x}", value);
}

}  // namespace

std::string pt_name(std::uint32_t type) {
    return name_in(kPtNames, type);
}

std::optional<std::uint32_t> pt_type(std::string_view name) {
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& [type, spelled] : kPtNames)
        if (same(name, spelled) || same(name, spelled.substr(3))) return type;
    if (const auto number = parse_address(name); number && *number <= UINT32_MAX)
        return static_cast<std::uint32_t>(*number);
    return std::nullopt;
}

std::string et_name(std::uint16_t type) {
    return name_in(kEtNames, type);
}

std::vector<std::string> pf_names(std::uint32_t flags) {
    std::vector<std::string> out;
    if (flags & PF_X) out.emplace_back("PF_X");
    if (flags & PF_W) out.emplace_back("PF_W");
    if (flags & PF_R) out.emplace_back("PF_R");
    if (const std::uint32_t rest = flags & ~std::uint32_t{PF_X | PF_W | PF_R}; rest != 0)
        out.push_back(fmt::format("{:#x}", rest));
    if (out.empty()) out.emplace_back("0");
    return out;
}

void render_elf(const ElfImage& image, Format format, const Palette& palette, std::string& out,
                const std::vector<std::size_t>* headers) {
    std::vector<std::size_t> every(image.object.program_headers.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    const std::vector<std::size_t>& shown = headers ? *headers : every;
    const Selection all = select_rows(image.space, image.notes, FilterSpec{});
    if (format == Format::Csv) {
        render_map(image.space, image.notes, all, {}, Format::Csv, palette, out);
        return;
    }
    if (format == Format::Json) {
        JsonWriter w(out);
        begin_document(w, schema::kElf);
        w.key("file").string(image.path);
        w.key("type").string(et_name(image.object.type));
        w.key("program_headers").begin_array();
        std::string scratch;
        for (const std::size_t i : shown) {
            w.begin_object();
            json_fields(w, kPhdrFields, PhRow{image, i, image.object.program_headers[i], scratch});
            w.end_object();
        }
        w.end_array();
        w.key("base").hex(image.base);
        w.key("base_source").string(to_string(image.base_choice));
        w.key("loader").string(to_string(image.loader));
        w.key("map_by").string(image.by_sections ? "sections" : "segments");
        // The map is the default view's own object: rendered by it, placed here as the value.
        std::string map;
        render_map(image.space, image.notes, all, {}, Format::Json, palette, map);
        if (!map.empty() && map.back() == '\n') map.pop_back();
        w.key("map");
        out += map;
        w.end_object();
        w.finish();
        return;
    }
    program_headers_text(image, shown, out);
    if (headers) return;  // elfdump -p -N: the headers asked for, alone
    out.push_back('\n');
    out += base_sentence(image);
    out.push_back('\n');
    render_map(image.space, image.notes, all, {}, Format::Table, palette, out);
}

}  // namespace vmatlas
