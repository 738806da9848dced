// The maps-text source: parses the text of /proc/PID/maps (live, saved, or pasted).
//
// Parsing is by position, never sscanf: start-end perms offset dev inode, then the path is the
// rest of the row, spaces and all. Accepted: 32- and 64-bit addresses, "\012" for a newline in a
// path, " (deleted)", every kernel pseudo-path ([heap], [anon:NAME], ...), and rows pasted
// together on one line (seed 003): a path ends where a well-formed row begins. A malformed row is
// reported with its line and column, counted as rejected, and skipped; the other rows are kept.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas {

namespace detail {
struct MapsTextState;  // src/sources/maps_text.cpp
}  // namespace detail

struct MapsTextOptions {
    // Split rows pasted together on one line. Off for text the kernel wrote: it puts one row on
    // each line, and a file name that looks like a row must stay a file name.
    bool pasted_rows = true;
    // The rows are those of this live process, now: a path that ends in " (deleted)" or holds
    // "\012" (the kernel's marks for a deleted file and a newline, which a file's own name may
    // hold too) is read as the file's true name from /proc/PID/map_files. 0: saved text, whose
    // marked names are read as the kernel's, with one warning that they could not be checked.
    int live_pid = 0;
};

// Parses maps text handed over in pieces of any size, as a reader thread fills its blocks: a
// row cut between two pieces is carried over. finish() parses a last row without a newline. A
// line longer than 64 KiB is rejected as a row without being kept whole.
class MapsTextParser {
  public:
    explicit MapsTextParser(AddressSpaceBuilder& builder, MapsTextOptions options = {});
    ~MapsTextParser();
    MapsTextParser(const MapsTextParser&) = delete;
    MapsTextParser& operator=(const MapsTextParser&) = delete;
    void feed(std::string_view piece);
    void finish();

  private:
    void line(std::string_view text);
    void long_line(std::size_t length);

    AddressSpaceBuilder& out_;
    MapsTextOptions options_;
    std::unique_ptr<detail::MapsTextState> state_;  // a row cut between pieces, marked names
    std::string scratch_;                           // a decoded path ("\012" -> newline)
    std::size_t line_no_ = 0;
};

// Parses every row of text into builder.
void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder,
                     const MapsTextOptions& options);
void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder);

// Convenience: a whole address space from text, with the given source description.
AddressSpace parse_maps_text(std::string_view text, SourceInfo source);

}  // namespace vmatlas
