// The smaps source: a process's map with its figures (RSS, PSS, anonymous, swap, locked, dirty,
// THP, VmFlags), from /proc/PID/smaps, for pmap -x / -X and summary.
//
// Contract: /proc/PID/smaps is read once, whole, with read(2) (procps pmap reads it twice for
// -X), then parsed by position, never with sscanf. Each mapping's row head is a /proc/PID/maps
// row, parsed by the maps-text parser; the "Key:   N kB" lines after it become that mapping's
// Figures, in bytes. Figures stay with their row when rows are sorted or superseded, so
// AddressSpace::figures() runs parallel to mappings(). Keys this code does not know are skipped
// (kernels add keys). A value that is not a number, past 2^64 - 1 bytes, or (for a figure that
// counts the row's bytes: all but the page sizes) more than the row holds is refused: a warning
// with its line and column, the figure left at 0 and the map partial (AddressSpace::loss()). A
// malformed row head is rejected like a malformed maps row, with the key
// lines under it. Errors for a live process are those of read_process_maps.
#pragma once

#include <sys/types.h>
#include <span>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

// A live process's map with figures, from /proc/PID/smaps.
Result<AddressSpace> read_process_smaps(pid_t pid);

// Smaps text (live, saved, or a fixture). When the text holds no figure line at all (it is plain
// maps text), the address space has no figures().
AddressSpace parse_smaps_text(std::string_view text, SourceInfo source);

// The same, from text in pieces (the blocks read(2) filled): a line may straddle two pieces.
AddressSpace parse_smaps_text(std::span<const std::string_view> pieces, SourceInfo source);

// True when text holds smaps figure lines ("Size:", "Rss:" at the start of a line).
bool looks_like_smaps(std::string_view text);

}  // namespace vmatlas
