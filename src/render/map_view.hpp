// The default view (pwndbg's vmmap, and more) and its --gaps layout, as a table, JSON or CSV.
// Every format is rendered from one field list (map_view.cpp: kMapFields), so they cannot drift.
#pragma once

#include <functional>
#include <string>

#include "render/color.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

enum class Format { Table, Json, Csv };

// Called with the text rendered so far when it grows large; it writes and empties it.
using Flush = std::function<void(std::string&)>;

void render_map(const AddressSpace& space, const Annotations& notes, const Selection& sel,
                const FilterSpec& filter, Format format, const Palette& palette, std::string& out,
                const Flush& flush = {});

void render_gaps(const AddressSpace& space, const Annotations& notes, const GapReport& gaps,
                 Format format, const Palette& palette, std::string& out);

}  // namespace vmatlas
