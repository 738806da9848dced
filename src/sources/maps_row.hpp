// Internal to the sources: the maps-text row parser (maps_text.cpp), for sources whose text holds
// /proc/PID/maps rows among other lines (smaps.cpp). Not part of the public API.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas::detail {

// Paths the kernel's marks make ambiguous: " (deleted)" at the end (a deleted file, or a file
// named so) and "\012" (a newline escaped, or those four bytes in the name). For a live process
// (pid set) each such row's true name and whether its file was deleted are read from
// /proc/PID/map_files (read_true_name in proc_stream.hpp). A row whose name cannot be checked
// keeps the kernel's reading, and is counted: warn() then says so once, at the first of them.
struct MarkedNames {
    pid_t pid = 0;
    std::size_t count = 0;             // rows whose names could not be checked
    std::size_t line = 0, column = 0;  // the first of them, 1-based

    void note(std::size_t at_line, std::size_t at_column) {
        if (count++ == 0) line = at_line, column = at_column;
    }
    // One warning for the rows counted, if any.
    void warn(AddressSpaceBuilder& out) const;
};

// Parses one row as the kernel writes it (one row per line, the path is the rest of the line):
// the mapping, its path interned in builder but the row not yet added, so that the caller can add
// it with what follows it. A malformed row is rejected into builder (line_no, column, sentence)
// and nullopt is returned. scratch is working space that the caller keeps between calls; names
// checks or counts an ambiguous path.
std::optional<Mapping> parse_kernel_maps_row(std::string_view line, std::size_t line_no,
                                             AddressSpaceBuilder& builder, std::string& scratch,
                                             MarkedNames& names);

// The sentence for a line longer than text::kMaxLineBytes, rejected as a row: "a line of N
// bytes, longer than any row (65536 bytes at most): skipped".
std::string long_line_sentence(std::size_t length);

}  // namespace vmatlas::detail
