// The `vmatlas elf FILE` view: the program headers with their names in Solaris `elfdump -p`
// style, then the map the file would create, printed by the default view (render_map), not by a
// second map renderer. The program headers' text block and JSON come from one field list
// (elf_view.cpp: kPhdrFields). JSON: {"schema", "file", "type", "program_headers", "base",
// "base_source", "loader", "map_by", "map"} where "map" is the object `vmatlas TARGET --json`
// prints (docs/elf.md) and "map_by" says whether its rows are the loader's pages ("segments") or
// the allocated sections ("sections"). CSV holds the map's rows only, as the default view's CSV.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/color.hpp"
#include "render/map_view.hpp"
#include "vmatlas/elf_image.hpp"

namespace vmatlas {

void render_elf(const ElfImage& image, Format format, const Palette& palette, std::string& out);

// Names as elfdump and readelf spell them: "PT_LOAD", "ET_DYN"; unknown values in hex.
std::string pt_name(std::uint32_t type);
std::string et_name(std::uint16_t type);
// "PF_X PF_W PF_R" in elfdump's order, then unknown bits in hex; "0" for none.
std::vector<std::string> pf_names(std::uint32_t flags);

}  // namespace vmatlas
