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

namespace text {
struct LineCarry;  // src/sources/text.hpp
}  // namespace text

struct MapsTextOptions {
    // Split rows pasted together on one line. Off for text the kernel wrote: it puts one row on
    // each line, and a file name that looks like a row must stay a file name.
    bool pasted_rows = true;
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
    std::unique_ptr<text::LineCarry> carry_;  // the start of a row whose end is in the next piece
    std::string scratch_;                     // a decoded path ("\012" -> newline)
    std::size_t line_no_ = 0;
};

// Parses every row of text into builder.
void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder,
                     const MapsTextOptions& options);
void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder);

// Convenience: a whole address space from text, with the given source description.
AddressSpace parse_maps_text(std::string_view text, SourceInfo source);

}  // namespace vmatlas
