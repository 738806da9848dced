// JSON snapshots: a target's annotated map saved with everything the views need (rows, names,
// roles, sections, smaps figures, threads, where and when it was taken), written by
// `vmatlas save` and read back as a target. The format is docs/snapshot.md, version 1.
//
// Contract:
//  - write_snapshot is deterministic: keys in a fixed order, addresses and file offsets as "0x"
//    lower-case hex strings, every other number a JSON integer in decimal, no floats. Text that
//    is valid UTF-8 is a JSON string; any other bytes (a process chooses its own file names) are
//    {"hex": "..."}, so that every byte comes back.
//  - read_snapshot(write_snapshot(x)) gives back x: the same rows, paths, figures, source (kind,
//    origin, pid, process name, time, kernel), row account, diagnostics, names, roles, sections,
//    warnings and facts; writing that again gives the same bytes.
//  - read_snapshot treats its text as hostile. A document that is not a version-1 snapshot, or
//    one value of the wrong type, missing, out of range or inconsistent, is a MalformedInput
//    error (Unsupported for another version) that names the place: "rows[3].start: not a hex
//    address". Rows out of order or overlapping are not errors: they go through
//    AddressSpaceBuilder, which sorts them and keeps the later of two overlapping rows, and a
//    Diagnostic says so; names stay with their rows. It never crashes, whatever the bytes.
//  - The names a snapshot brings are the target's names (Target::names): annotators do not run
//    on a snapshot, so it shows what the saved target showed, on any machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/process_facts.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

inline constexpr std::string_view kSnapshotFormat = "vmatlas-snapshot";
inline constexpr std::uint64_t kSnapshotVersion = 1;
// The "schema" a snapshot starts with, as every JSON document vmatlas writes does (docs/json.md).
// The reader goes by the format and version; a snapshot without it is read all the same.
inline constexpr std::string_view kSnapshotSchema = "vmatlas.snapshot/1";

// When and on which kernel a map was taken, for a source that does not say (SourceInfo::time
// and ::kernel empty): the moment and the machine of the save.
struct SnapshotStamp {
    std::string time;    // ISO 8601, UTC, to the second: "2025-06-01T12:34:56Z"
    std::string kernel;  // uname(2) sysname and release: "Linux 6.18.44-fc-v857"
};

// Now, and this machine's kernel ("" when uname fails).
SnapshotStamp snapshot_stamp_now();

// The snapshot of an annotated map, ending in a newline. notes.sections are saved when they run
// parallel to the rows, figures when the space has them; facts as given (a live process's
// threads are the caller's to read).
std::string write_snapshot(const AddressSpace& space, const Annotations& notes,
                           const ProcessFacts& facts, const SnapshotStamp& stamp);

// True when the first byte that is not a blank is '{': text that can only be a snapshot (no
// maps, smaps or regions text starts that way).
bool looks_like_snapshot(std::string_view text);

// A snapshot as a target: kind Snapshot, with its names. origin names the text in error
// messages ("-" is standard input); the address space keeps the source the snapshot recorded.
Result<Target> read_snapshot(std::string_view text, std::string origin);

}  // namespace vmatlas
