// Internal to the sources and their tests: the smaps parser (smaps.cpp) with its fast path for
// the lines in the kernel's exact form on or off, so that a test can hold the two to the same
// result. Not part of the public API.
#pragma once

#include <span>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas::detail {

// parse_smaps_text of pieces; kernel_lines false reads every line the careful way. Both give the
// same rows, figures and diagnostics for any text.
AddressSpace parse_smaps_pieces(std::span<const std::string_view> pieces, SourceInfo source,
                                bool kernel_lines);

}  // namespace vmatlas::detail
