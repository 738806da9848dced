// vmatlas summary: totals by kind and by object, as a table, JSON or CSV.
#pragma once

#include <string>
#include <string_view>

#include "render/color.hpp"
#include "render/format.hpp"
#include "vmatlas/summary.hpp"

namespace vmatlas {

// The word a summary gives when a total stopped at 2^64 - 1 bytes (Summary::saturated()): on
// stderr, and in JSON's warnings with "saturated": true.
inline constexpr std::string_view kSaturatedTotal =
    "a total is past 2^64 - 1 bytes: it is shown as 18446744073709551615, the most it can be, "
    "not as its value";

// JSON: the default view's source, generation, partial and rows; by_kind, by_object, total,
// largest_hole, largest_hole_start, saturated (a total stopped at 2^64 - 1), and warnings.
void render_summary(const AddressSpace& space, const Annotations& notes, const Summary& summary,
                    Format format, std::string& out);

}  // namespace vmatlas
