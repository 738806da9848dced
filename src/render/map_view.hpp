// The default view (pwndbg's vmmap, and more) and its --gaps layout (gaps_view.cpp), as a table,
// JSON or CSV, each from one field list.
#pragma once

#include <string>

#include "render/color.hpp"
#include "render/format.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

// flush, when given, writes and empties out whenever it holds Table::kFlushBytes.
void render_map(const AddressSpace& space, const Annotations& notes, const Selection& sel,
                const FilterSpec& filter, Format format, const Palette& palette, std::string& out,
                const Flush& flush = {});

void render_gaps(const AddressSpace& space, const Annotations& notes, const GapReport& gaps,
                 Format format, const Palette& palette, std::string& out);

}  // namespace vmatlas
