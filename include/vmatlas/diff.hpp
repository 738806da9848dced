// Diff: what changed between two memory maps (Sysinternals VMMap's snapshot compare).
//
// Contract:
// - Rows are matched by start address: a mapping that grew, shrank, moved its file offset or
//   changed its permissions keeps its start. A row of A whose start no row of B has is Removed,
//   a row of B whose start no row of A has is Added; rows are never matched by overlap. A split
//   (mprotect of the middle of a region) is therefore the original row Changed (its end moved) plus
//   the new rows Added; a merge is the surviving row Changed plus the absorbed rows Removed. Each
//   added or removed row carries the rows of the other map that share its addresses (overlaps), so
//   that splits, merges and regions mapped over can be told apart from fresh ones.
// - A matched row is Changed when a compared field differs (DiffField), else Unchanged. What a
//   target does not know is never a difference: perms compare only the parts both know (a core
//   has no p/s), dev and inode only when both rows have an inode (a core has none).
// - Names: the kernel's names ([heap], [anon:NAME]) are facts about the map and always compared.
//   The names vmatlas infers are compared only when both rows got theirs the same way (both from
//   ELF headers, both from thread registers, both heuristic): a maps text has no registers to name
//   a thread's stack with, and a file that cannot be read gives no segment names, and neither is
//   a change of the map.
// - entries are in address order (the start of the row they show); every row of A and of B is in
//   exactly one entry, and counts add up: added + changed + unchanged = |B|,
//   removed + changed + unchanged = |A|.
// The comparison never prints; src/render/diff_view.hpp renders it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

enum class Change : std::uint8_t { Unchanged, Added, Removed, Changed };

std::string_view to_string(Change c);  // "unchanged", "added", "removed", "changed"

// The fields of a matched row that can differ, as a set of bits. The start is the key, so it
// never differs; a changed end is a changed size.
enum DiffField : std::uint16_t {
    kDiffPerms = 1,
    kDiffEnd = 2,
    kDiffOffset = 4,
    kDiffDev = 8,
    kDiffInode = 16,
    kDiffPath = 32,  // the file (not a kernel name: that is the name)
    kDiffDeleted = 64,
    kDiffName = 128,
};
using DiffFields = std::uint16_t;

inline constexpr std::size_t kNoRow = static_cast<std::size_t>(-1);

struct DiffEntry {
    Change change = Change::Unchanged;
    std::size_t a = kNoRow;  // the row of A (Removed, Changed, Unchanged), else kNoRow
    std::size_t b = kNoRow;  // the row of B (Added, Changed, Unchanged), else kNoRow
    DiffFields fields = 0;   // Changed: what differs
    // Added: the rows of A, removed: the rows of B, whose addresses this row's range shares:
    // indices [overlap_first, overlap_first + overlap_count) of the other map. 0 when none.
    std::size_t overlap_first = 0, overlap_count = 0;
};

struct DiffCounts {
    std::size_t added = 0, removed = 0, changed = 0, unchanged = 0;
    bool same() const { return added == 0 && removed == 0 && changed == 0; }
};

struct DiffOptions {
    // Compare the names that came from ELF headers (-s turns this off: pmap's "no segment names").
    bool segment_names = true;
};

struct MapDiff {
    std::vector<DiffEntry> entries;  // every row of both maps, in address order
    DiffCounts counts;
};

// Compares a (before) with b (after). Annotations are parallel to their map's rows, or empty
// (then no inferred names are compared: only the kernel's names in the paths).
MapDiff diff_maps(const AddressSpace& a, const Annotations& a_notes, const AddressSpace& b,
                  const Annotations& b_notes, const DiffOptions& options = {});

// What differs between row i of a and row j of b (0 when nothing does), by the rules above.
DiffFields compare_rows(const AddressSpace& a, const Annotations& a_notes, std::size_t i,
                        const AddressSpace& b, const Annotations& b_notes, std::size_t j,
                        const DiffOptions& options = {});

}  // namespace vmatlas
