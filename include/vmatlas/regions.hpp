// The regions source: memory described by hand, one region per line (pwndbg's vmmap-add), for
// bare-metal boards, emulators and anything that has no /proc to read. docs/regions.md has the
// grammar with examples:
//
//   # comment                     a line whose first non-blank byte is '#'
//   START SIZE [PERMS [OFFSET] [NAME]]
//
//   START, SIZE, OFFSET  0x-hex (0x or 0X, any number of digits up to 64 bits) or decimal; a
//                        decimal number with a leading zero ("0800") is refused as ambiguous
//   PERMS                pwndbg vmmap-add's flags: r, w and x each at most once, in any order
//                        ("rw", "x"); or three characters [r-][w-][x-]; or four with p
//                        (private) or s (shared) last. All but the four mean private. Left
//                        out (nothing but a comment after SIZE): no access, private
//   OFFSET               present when the token after PERMS begins with a digit
//   NAME                 the rest of the line, blanks inside kept, blanks at its end dropped
//   # comment            after the fields, a '#' that follows a blank begins a comment (so a
//                        NAME holds '#' only right after another byte: "bank#1")
//
// Contract: fields are separated by spaces or tabs, lines end with "\n" or "\r\n". A region is
// [START, START + SIZE); its NAME goes in the mapping's path (a bracketed name such as
// "[mmio:gpio]" is a kernel-style name, like "[heap]"); device and inode are 0. A line that is
// malformed, has SIZE 0, ends past the top of the 64-bit address space, or overlaps a region kept
// from an earlier line (or, when added to a target, a row of that target) is rejected: a
// Diagnostic with its 1-based line and column, counted in rows().rejected. Every other line is
// kept. Parsing never fails as a whole and never reads past the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

// True when text is a regions file: its first line that is neither blank nor a comment begins
// with two blank-separated tokens that each begin with a digit and hold no '-' (numbers, or
// numbers mistyped: "0x0800000g" is then reported as a bad start address), or it has no such line
// but holds a comment. A maps row begins "start-end", so maps text is never taken for regions.
// Looks at that first line only.
bool looks_like_regions(std::string_view text);

// Every region of text, in an address space of source kind "regions".
AddressSpace parse_regions_text(std::string_view text, SourceInfo source);

// A regions text as a target: kind Regions, source "regions" from origin. Its rows are named by
// the annotators as rows described by hand (AnnotateContext::described_by_hand).
Target regions_target(std::string_view text, std::string origin);

// What adding a regions text to a target did.
struct RegionsAdded {
    std::size_t added = 0;     // regions now in the target
    std::size_t rejected = 0;  // lines rejected (malformed, or overlapping)
};

// Adds the regions of text to target, in address order among its rows. A region that overlaps a
// row of the target, or a region kept from an earlier line, is rejected with its line and column;
// diagnostics of the added text say "(in ORIGIN)". The target keeps its source, kind, facts, rows,
// their figures (added rows get zero figures when the target has figures) and every diagnostic and
// count of its row account. When target.names is set, each added row gets an empty label, role
// and sections entry at its sorted position, so that the names stay parallel to the rows; the
// annotators name the added rows (name_target in vmatlas/named_map.hpp).
RegionsAdded add_regions_text(Target& target, std::string_view text, std::string_view origin);

// The same from a file. No such file: NoSuchProcess ("no such file: PATH"), as for every file
// target; permission denied: PermissionDenied; a directory or an ELF file: UnreadableInput.
Result<RegionsAdded> add_regions_file(Target& target, const std::string& path);

}  // namespace vmatlas
