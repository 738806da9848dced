// vmatlas diff: what changed between two maps (vmatlas/diff.hpp), as a table, JSON or CSV, all
// rendered from one field list (diff_view.cpp: kDiffFields) so that the formats cannot drift.
//
// Layout decisions:
// - Table: "A: origin: kind, N rows" and "B: ..." first (a snapshot's origin as
//   "FILE (snapshot of ORIGIN)"), then one line per difference in address
//   order, marked '+' (added: B's row), '-' (removed: A's row) or '~' (changed: B's row), with
//   Start End Perm Size Offset Name File as in the default view, and a Detail column: for '~' the
//   fields that changed, "perms rw-p → r--p, size 5000 → 2000" (a changed end shows as its size:
//   the start is the same); for '+' and '-' the rows of the other map the row overlaps
//   ("overlaps A 0x7f0000001000-0x7f0000006000"), which is how a split or a merge shows. Then the
//   summary line "3 added, 1 removed, 2 changed, 51 unchanged". --all lists the unchanged rows too
//   (marked ' '). With no row to list, the table (and its header) is left out.
// - Colours (--color): added green, removed red, changed yellow, as diff tools colour them.
// - JSON: "a" and "b" (each the default view's source, generation, partial, rows and warnings,
//   and "snapshot": the snapshot file the side was read from, or null),
//   "same", "counts", and "mappings": each entry the default view's row keys plus "change", with
//   "changed" (the keys that differ) and "old" (A's values of them) for a changed row, and
//   "overlaps" for an added or removed one. CSV: the same entries, old values as old_KEY columns.
// - -b shows basenames in the File column only; -s leaves the names from ELF headers out of the
//   comparison and out of every format (pmap's "no segment names").
#pragma once

#include <string>

#include "render/color.hpp"
#include "render/format.hpp"
#include "vmatlas/diff.hpp"

namespace vmatlas {

struct DiffViewOptions {
    bool all = false;               // --all: list the unchanged rows too
    bool basenames = false;         // -b
    bool no_segment_names = false;  // -s (the comparison must have been made with it too)
    // The file each side's snapshot was read from ("standard input" for '-'), empty when that
    // side is no snapshot. A snapshot keeps the source it was taken from (its origin, such as
    // /proc/PID/smaps); the side is then named by its file, "a.json (snapshot of ORIGIN)", so
    // that two snapshots of one process are told apart.
    std::string a_snapshot, b_snapshot;
};

void render_diff(const AddressSpace& a, const Annotations& a_notes, const AddressSpace& b,
                 const Annotations& b_notes, const MapDiff& diff, const DiffViewOptions& options,
                 Format format, const Palette& palette, std::string& out);

}  // namespace vmatlas
