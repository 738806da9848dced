// The default view (pwndbg's vmmap, and more) and its --gaps layout, as a table, JSON or CSV.
// Every format is rendered from one field list (map_view.cpp: kMapFields), so they cannot drift.
#pragma once

#include <string>

#include "render/color.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

enum class Format { Table, Json, Csv };

void render_map(const AddressSpace& space, const Annotations& notes, const Selection& sel,
                const FilterSpec& filter, Format format, const Palette& palette, std::string& out);

void render_gaps(const AddressSpace& space, const Annotations& notes, const GapReport& gaps,
                 Format format, const Palette& palette, std::string& out);

}  // namespace vmatlas
