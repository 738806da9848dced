// Queries: which rows a view shows. They select and look up; they never change the map.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

// pwndbg's vmmap filter: -w, -x, an address or a module name, and context rows around matches.
struct FilterSpec {
    bool writable_only = false;
    bool executable_only = false;
    std::optional<Addr> address;  // the row that contains it
    std::string text;             // rows whose path or name contains it
    unsigned before = 0;          // context rows before each match
    unsigned after = 0;           // context rows after each match
};

struct Selection {
    std::vector<std::size_t> rows;  // indices into the address space, in address order
    std::vector<bool> matched;      // parallel to rows: a match (true) or context (false)
    bool filtered = false;          // an address or text was given
    std::size_t match_count = 0;
    // An address in no mapping: the hole it falls in, and where in rows it goes.
    struct Hole {
        Addr start = 0, end = 0;
        std::size_t before_row = 0;  // the hole line goes before rows[before_row]
    };
    std::optional<Hole> hole;
};

Selection select_rows(const AddressSpace& space, const Annotations& notes, const FilterSpec& spec);

// The layout of a map: runs of adjacent accessible mappings, guards (---p), and the holes between.
struct GapEntry {
    enum class Kind { Mapped, Guard, Hole } kind;
    Addr start = 0, end = 0;
    std::size_t count = 0;  // mappings in the run; 1 for a guard; 0 for a hole
    std::size_t first = 0;  // index of the first mapping in it (not for holes)
};

// Where the kernel half of a 64-bit address space begins: a hole that reaches it (the one below
// [vsyscall]) is no free space for the process.
inline constexpr Addr kKernelHalf = 0xffff800000000000ull;

struct GapReport {
    std::vector<GapEntry> entries;
    std::uint64_t total_mapped = 0;
    std::uint64_t largest_hole = 0;  // of the holes below kKernelHalf
    std::size_t mapping_count = 0;
};

GapReport compute_gaps(const AddressSpace& space);

// The entries of a layout around address a: the one that holds it (for an address below the first
// mapping or above the last, the hole it falls in, to the bottom or the top of the address space),
// with `before` entries before it and `after` after. The totals stay those of the whole map.
GapReport gaps_around(const GapReport& all, Addr a, unsigned before, unsigned after);

std::string_view to_string(GapEntry::Kind k);

// An address as a person types it: "0x" or "0X" and 1 to 16 hex digits ("0x1f", "0X1F"), or 1 to
// 20 decimal digits ("31"), its value in 64 bits; anything else is not ("cafe" is a name).
std::optional<Addr> parse_address(std::string_view s);

// An address range, as pmap's -A gives it: the rows that intersect [lo, hi).
struct AddrRange {
    Addr lo = 0;
    Addr hi = ~Addr{0};
};

// "lo", "lo,hi", ",hi" or "lo," with lo and hi in hex, each 1 to 16 digits after an optional
// "0x" or "0X" (as procps pmap -A). "lo" alone is the row that contains lo: [lo, lo + 1). ",hi"
// starts at 0, "lo," ends at the top. nullopt when malformed or when hi is not above lo.
std::optional<AddrRange> parse_addr_range(std::string_view text);

// Indices of the rows a range shows (all rows without one), in address order.
std::vector<std::size_t> rows_in_range(const AddressSpace& space,
                                       const std::optional<AddrRange>& range);

}  // namespace vmatlas
