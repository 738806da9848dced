// The `vmatlas elf FILE` view: the program headers with their names in Solaris `elfdump -p`
// style, then the map the file would create, printed by the default view (render_map), not by a
// second map renderer. The program headers' text block and JSON come from one field list
// (elf_view.cpp: kPhdrFields). JSON: {"schema", "file", "type", "program_headers", "base",
// "base_source", "loader", "map_by", "map"} where "map" is the object `vmatlas TARGET --json`
// prints (docs/elf.md) and "map_by" says whether its rows are the loader's pages ("segments") or
// the allocated sections ("sections"). CSV holds the map's rows only, as the default view's CSV.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/color.hpp"
#include "render/map_view.hpp"
#include "vmatlas/elf_image.hpp"

namespace vmatlas {

// `headers`, when given, holds the indices of the program headers to show (elf -N), in order:
// the table then shows those headers alone, without the map; JSON holds those headers and the
// map. Without it, every header and the map.
void render_elf(const ElfImage& image, Format format, const Palette& palette, std::string& out,
                const std::vector<std::size_t>* headers = nullptr);

// The p_type a name spells, as Solaris elfdump -p -N takes it: a kind's name with or without
// "PT_" in any case ("PT_LOAD", "LOAD", "gnu_stack"), blanks around it ignored, or a number
// (0x-hex or decimal). Nothing for any other name.
std::optional<std::uint32_t> pt_type(std::string_view name);

// Names as elfdump and readelf spell them: "PT_LOAD", "ET_DYN"; unknown values in hex.
std::string pt_name(std::uint32_t type);
std::string et_name(std::uint16_t type);
// "PF_X PF_W PF_R" in elfdump's order, then unknown bits in hex; "0" for none.
std::vector<std::string> pf_names(std::uint32_t flags);

}  // namespace vmatlas
