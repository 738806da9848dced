// The gdb-text source: a memory map as gdb itself printed it (docs/gdb-text.md).
//
//   info proc mappings, live process   "process N", "Mapped address spaces:", then the columns
//                                      Start Addr, End Addr, Size, Offset, Perms (gdb 12 and
//                                      later) or no Perms (before gdb 12), objfile
//   info proc mappings, core file      "Mapped address spaces:", then Start Addr, End Addr, Size,
//                                      Offset (or "File off."), objfile: the core's file mappings
//   maintenance info sections          per file, "[N] 0xSTART->0xEND at 0xPOS: NAME FLAGS"; the
//                                      "loadN" sections of a "Core file:" block are the core's
//                                      PT_LOAD headers, the rows; the sections of objects are not
//                                      mappings and give no rows
//
// Rows are read by position: four 0x-hex numbers, the permissions when the column header has
// them, then the objfile is the rest of the row, spaces and all. A row without the Perms column
// has its permissions unknown ("????"): never guessed. A row is a line that begins with "0x" in
// a table of mappings, with '[' in a table of sections; the lines gdb prints around its tables
// ("[Inferior 1 (process N) detached]", "Saved corefile ...", the frame it stopped in) are not,
// nor is anything before the first header. A malformed row is reported with its line and column,
// counted as rejected, and skipped; the other rows are kept.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas {

namespace detail {
struct GdbTextState;  // src/sources/gdb_text.cpp
}  // namespace detail

// Whether the first bytes of a text are gdb's: a column header of `info proc mappings`, or the
// "Exec file: `", "Core file: `" or "Object file: `" line of `maintenance info sections`.
bool looks_like_gdb_text(std::string_view head);

// Parses gdb's text handed over in pieces of any size, as MapsTextParser does.
class GdbTextParser {
  public:
    explicit GdbTextParser(AddressSpaceBuilder& builder);
    ~GdbTextParser();
    GdbTextParser(const GdbTextParser&) = delete;
    GdbTextParser& operator=(const GdbTextParser&) = delete;
    void feed(std::string_view piece);
    void finish();
    // The text held `maintenance info sections` of objects but no "Core file:" block: sections,
    // which are not the process's mappings, and so no rows.
    bool sections_without_core() const;

  private:
    void line(std::string_view text);

    AddressSpaceBuilder& out_;
    std::unique_ptr<detail::GdbTextState> state_;
    std::size_t line_no_ = 0;
};

// Parses every row of gdb's text into builder.
void parse_gdb_text(std::string_view text, AddressSpaceBuilder& builder);

// Convenience: a whole address space from gdb's text, with the given source description.
AddressSpace parse_gdb_text(std::string_view text, SourceInfo source);

}  // namespace vmatlas
