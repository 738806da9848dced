// Internal to the sources: the maps-text row parser (maps_text.cpp), for sources whose text holds
// /proc/PID/maps rows among other lines (smaps.cpp). Not part of the public API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas::detail {

// Parses one row as the kernel writes it (one row per line, the path is the rest of the line):
// the mapping, its path interned in builder but the row not yet added, so that the caller can add
// it with what follows it. A malformed row is rejected into builder (line_no, column, sentence)
// and nullopt is returned. scratch is working space that the caller keeps between calls.
std::optional<Mapping> parse_kernel_maps_row(std::string_view line, std::size_t line_no,
                                             AddressSpaceBuilder& builder, std::string& scratch);

// The sentence for a line longer than text::kMaxLineBytes, rejected as a row: "a line of N
// bytes, longer than any row (65536 bytes at most): skipped".
std::string long_line_sentence(std::size_t length);

}  // namespace vmatlas::detail
