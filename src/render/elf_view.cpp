#include "render/elf_view.hpp"

#include <elf.h>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "render/json_writer.hpp"
#include "render/safe_text.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

namespace {

using elf::ProgramHeader;

// ---- The field list -------------------------------------------------------------------------

// Addr: a 0x-hex string in JSON; Size: a JSON number; both as elfdump prints numbers in text.
enum class Kind { Index, Name, Type, Flags, Addr, Size };

struct PhCtx {
    const ElfImage& image;
    std::size_t index;
    const ProgramHeader& ph;
};

struct PhField {
    std::string_view key;    // JSON key
    std::string_view label;  // elfdump's, in the block; "" for the title line's fields
    int slot;                // place in the block: row * 2 + column; -1 on the title line
    Kind kind;
    std::uint64_t (*number)(const PhCtx&);
};

// In JSON order; the slots lay them out as elfdump does.
constexpr PhField kPhdrFields[] = {
    {"index", "", -1, Kind::Index, [](const PhCtx& c) -> std::uint64_t { return c.index; }},
    {"name", "", -1, Kind::Name, nullptr},
    {"type", "p_type", 3, Kind::Type, [](const PhCtx& c) -> std::uint64_t { return c.ph.type; }},
    {"flags", "p_flags", 1, Kind::Flags,
     [](const PhCtx& c) -> std::uint64_t { return c.ph.flags; }},
    {"offset", "p_offset", 6, Kind::Size, [](const PhCtx& c) { return c.ph.offset; }},
    {"vaddr", "p_vaddr", 0, Kind::Addr, [](const PhCtx& c) { return c.ph.vaddr; }},
    {"paddr", "p_paddr", 2, Kind::Addr, [](const PhCtx& c) { return c.ph.paddr; }},
    {"filesz", "p_filesz", 4, Kind::Size, [](const PhCtx& c) { return c.ph.filesz; }},
    {"memsz", "p_memsz", 5, Kind::Size, [](const PhCtx& c) { return c.ph.memsz; }},
    {"align", "p_align", 7, Kind::Size, [](const PhCtx& c) { return c.ph.align; }},
};
constexpr int kSlots = 8;

// A header's name and where it came from: .SUNW_phname, else what a PT_LOAD holds; elfdump shows
// no name for the other kinds.
struct PhName {
    std::string_view name;
    std::string_view source;  // "phname", "inferred", "" for none
};

PhName name_of(const PhCtx& c) {
    if (!c.ph.name.empty()) return {c.ph.name, "phname"};
    if (c.ph.type == PT_LOAD) return {elf::load_segment_name(c.image.object, c.ph), "inferred"};
    return {};
}

// elfdump's numbers: 0 as "0", the rest in 0x-hex.
std::string elfdump_number(std::uint64_t v) {
    return v == 0 ? std::string("0") : fmt::format("{:#x}", v);
}

std::string text_value(const PhField& f, const PhCtx& c) {
    const std::uint64_t v = f.number(c);
    switch (f.kind) {
        case Kind::Type:
            return "[ " + pt_name(static_cast<std::uint32_t>(v)) + " ]";
        case Kind::Flags:
            return fmt::format("[ {} ]", fmt::join(pf_names(static_cast<std::uint32_t>(v)), " "));
        default:
            return elfdump_number(v);
    }
}

void json_value(JsonWriter& w, const PhField& f, const PhCtx& c) {
    switch (f.kind) {
        case Kind::Name: {
            const PhName n = name_of(c);
            if (n.source.empty())
                w.null();
            else
                w.string(n.name);
            w.key("name_source");
            if (n.source.empty())
                w.null();
            else
                w.string(n.source);
            return;
        }
        case Kind::Type:
            w.string(pt_name(c.ph.type));
            return;
        case Kind::Flags:
            w.begin_array();
            if (c.ph.flags != 0)
                for (const std::string& s : pf_names(c.ph.flags)) w.string(s);
            w.end_array();
            return;
        case Kind::Addr:
            w.hex(f.number(c));
            return;
        case Kind::Index:
        case Kind::Size:
            w.number(f.number(c));
            return;
    }
}

// ---- The text block ---------------------------------------------------------------------------

void program_headers_text(const ElfImage& image, std::string& out) {
    const auto& phs = image.object.program_headers;
    // Two columns of "key: value", the keys padded as elfdump pads them; the values as wide as
    // the widest (at least elfdump's 32-bit width).
    std::vector<std::string> cells(phs.size() * kSlots);
    std::size_t width = 10;
    for (std::size_t i = 0; i < phs.size(); ++i) {
        const PhCtx c{image, i, phs[i]};
        for (const PhField& f : kPhdrFields) {
            if (f.slot < 0) continue;
            std::string& cell = cells[i * kSlots + static_cast<std::size_t>(f.slot)];
            cell = text_value(f, c);
            if (f.slot % 2 == 0) width = std::max(width, cell.size());
        }
    }
    std::string_view labels[kSlots];
    for (const PhField& f : kPhdrFields)
        if (f.slot >= 0) labels[f.slot] = f.label;
    for (std::size_t i = 0; i < phs.size(); ++i) {
        const PhCtx c{image, i, phs[i]};
        if (i > 0) out.push_back('\n');
        fmt::format_to(std::back_inserter(out), "Program Header[{}]:", i);
        if (const PhName n = name_of(c); !n.source.empty()) {
            out.push_back(' ');
            append_safe(out, n.name);  // .SUNW_phname strings come from the file
        }
        out.push_back('\n');
        for (int row = 0; row < kSlots / 2; ++row) {
            const std::size_t at = i * kSlots + static_cast<std::size_t>(row) * 2;
            fmt::format_to(std::back_inserter(out), "    {:<14}{:<{}}{:<12}{}\n",
                           fmt::format("{}:", labels[row * 2]), cells[at], width + 2,
                           fmt::format("{}:", labels[row * 2 + 1]), cells[at + 1]);
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

void render_elf(const ElfImage& image, Format format, const Palette& palette, std::string& out) {
    const Selection all = select_rows(image.space, image.notes, FilterSpec{});
    if (format == Format::Csv) {
        render_map(image.space, image.notes, all, {}, Format::Csv, palette, out);
        return;
    }
    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        w.key("file").string(image.path);
        w.key("type").string(et_name(image.object.type));
        w.key("program_headers").begin_array();
        for (std::size_t i = 0; i < image.object.program_headers.size(); ++i) {
            const PhCtx c{image, i, image.object.program_headers[i]};
            w.begin_object();
            for (const PhField& f : kPhdrFields) {
                w.key(f.key);
                json_value(w, f, c);
            }
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
    program_headers_text(image, out);
    out.push_back('\n');
    out += base_sentence(image);
    out.push_back('\n');
    render_map(image.space, image.notes, all, {}, Format::Table, palette, out);
}

}  // namespace vmatlas
