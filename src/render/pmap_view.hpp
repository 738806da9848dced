// The pmap family of views: `vmatlas pmap` (Solaris 11.4 pmap), `pmap -x` (Kbytes RSS Anon
// Locked), `pmap -X` (every smaps figure), `pmap -S` (Solaris's swap reservation), `pmap -d`
// (procps's device format) and `vmatlas mappings` (mdb ::mappings), each as a table, JSON or CSV
// rendered from one field list per view (pmap_view.cpp), so that the formats cannot drift apart.
//
// Layout decisions (seed 001 is the reference; where Linux differs, this is what we chose):
// - Address: upper-case hex, zero-padded to 16 digits, or to 8 when the whole map lies below
//   4 GiB (a 32-bit process), as Solaris pads by data model. ::mappings: lower-case bare hex.
// - Mode: the kernel's four characters ("r-xp", "rw-s"). Solaris's seven ("rw--R--") describe
//   flags Linux does not have; the fourth character is what Linux has to say (private/shared).
// - Mapped File: "[ name ] file". Kernel names lose their brackets ("[heap]" -> "[ heap ]"),
//   names vmatlas infers gain them ("text" -> "[ text ]", "stack tid=5" -> "[ stack tid=5 ]"),
//   unnamed anonymous rows are "[ anon ]" (pwndbg's [anon_<start>>12>] names are for filters,
//   not for this layout). A bss row shows the path of its object. -s drops the names that came
//   from ELF headers (the segment names); kernel, register and heuristic names stay, and a row
//   left with neither name nor file is "[ anon ]". -b shows the last path component. -x and -X
//   show basenames, as Solaris and procps do. " (deleted)" follows a deleted file.
// - Numbers: pmap sizes as "388K"; -x/-X figures in K with "-" for zero (Solaris), "?" when the
//   target has no smaps figures (maps text); ::mappings sizes in hex. JSON and CSV carry bytes.
// - -A lo[,hi] (hex, as procps): the rows that intersect [lo, hi), shown whole; without hi, the
//   row that contains lo; ",hi" from 0, "lo," to the top. Totals count exactly the shown rows,
//   unclipped, so that they always equal the sum of the rows printed (procps 4.0 prints the
//   totals of the whole map under a range).
// - Totals (" total NK"; "total Kb" under -x/-X) sum sizes only: page sizes and THPeligible are
//   not summed. The table's totals are the sums of the K values shown; JSON's are sums of bytes.
// - The first line is "PID: ARGS" (the command line, else the name) or the file read. The
//   arguments are separated by spaces, as procps shows them; control characters in them are
//   escaped as in every name a process chose (procps prints '?').
// - -S: Kbytes and Swap, the swap reserved for the row: Linux's commit charge, the whole row when
//   smaps' VmFlags holds "ac", else "-"; with totals.
// - -d is procps's format, byte for byte while a row's Kbytes fits procps's 7 digits: the
//   "PID:   ARGS" line, Address (16 lower-case digits) Kbytes Mode ("r-x--", "rw-s-") Offset
//   Device ("0fe:00001") Mapping (procps's: the file's last component, "  [ stack ]" or
//   "  [ anon ]"; no segment names), then "mapped: NK    writeable/private: NK    shared: NK".
//   -q drops the column header and that line, and keeps "PID:   ARGS", as procps's -q does.
// - -q drops the "PID: ARGS" line, the column header and the totals. With colour on, rows are
//   coloured by role and a legend line comes first, as in the default view.
// - JSON/CSV rows hold the name, name source, path and deleted flag: the facts Mapped File is
//   made of, not its text, so that -b and -s change the table alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/color.hpp"
#include "render/format.hpp"
#include "render/mapping_fields.hpp"  // mapped_file(): what the Mapped File / NAME column shows
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

enum class PmapMode {
    Basic,
    Extended,  // -x
    Smaps,     // -X
    Swap,      // -S
    Device,    // -d: procps's layout, not Solaris's
};

struct PmapOptions {
    PmapMode mode = PmapMode::Basic;
    bool basenames = false;         // -b
    bool no_segment_names = false;  // -s
    bool quiet = false;             // -q
    std::optional<AddrRange> range;
};

struct MappingsOptions {
    bool basenames = false;         // -b
    bool no_segment_names = false;  // -s
};

// flush, when given, writes and empties out whenever the table has gathered Table::kFlushBytes
// (256 KB; see Flush); JSON and CSV are written whole.
void render_pmap(const AddressSpace& space, const Annotations& notes, const PmapOptions& options,
                 Format format, const Palette& palette, std::string& out, const Flush& flush = {});

void render_mappings(const AddressSpace& space, const Annotations& notes,
                     const MappingsOptions& options, Format format, const Palette& palette,
                     std::string& out, const Flush& flush = {});

}  // namespace vmatlas
