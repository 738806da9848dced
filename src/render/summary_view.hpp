// vmatlas summary: totals by kind and by object, as a table, JSON or CSV.
#pragma once

#include <string>

#include "render/color.hpp"
#include "render/format.hpp"
#include "vmatlas/summary.hpp"

namespace vmatlas {

void render_summary(const AddressSpace& space, const Annotations& notes, const Summary& summary,
                    Format format, std::string& out);

}  // namespace vmatlas
