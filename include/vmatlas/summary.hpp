// The summary query: what the address space is made of, by kind and by object, like macOS
// `vmmap -summary` and Sysinternals VMMap. Totals always equal the sum of the rows they count.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

enum class Kind : std::uint8_t {
    Code,    // executable segments of ELF objects, and other executable rows
    Rodata,  // read-only ELF segments (and their headers segment)
    Relro,   // the part of a data segment the loader made read-only after relocation
    Data,    // writable file-backed rows
    Bss,     // anonymous continuation of a data segment
    Heap,    // [heap] and glibc arenas
    Stack,   // [stack] and thread stacks
    Anon,    // other private anonymous memory
    File,    // other file-backed rows (data files, fonts, locale archives)
    Shm,     // shared anonymous memory: memfd, SysV shm, [anon_shmem:...], shared anonymous
    Guard,   // no-access rows: guard pages and reservations
    Gap,     // the no-access reservation between two segments of one ELF object
    Vdso,    // [vdso], [vvar], [vvar_vclock], [vsyscall], [uprobes]
};
inline constexpr std::size_t kKindCount = 13;

std::string_view to_string(Kind k);
Kind kind_of(const AddressSpace& space, const Annotations& notes, std::size_t i);

// Sums that never wrap: a sum past 2^64 - 1 stays there, UINT64_MAX, and `saturated` says so.
// (The sources keep each figure within its row's size, which the sums of a sound map never pass;
// only hostile figures can reach it.)
struct Totals {
    std::uint64_t virtual_bytes = 0;
    std::uint64_t resident = 0;  // from smaps; 0 when not read
    std::uint64_t dirty = 0;     // shared + private dirty
    std::uint64_t swapped = 0;
    std::size_t count = 0;   // regions
    bool saturated = false;  // a sum stopped at UINT64_MAX
    void add(const Mapping& m, const Figures* f);
};

struct Summary {
    std::array<Totals, kKindCount> by_kind{};
    // By object: a file's path (bss rows count for their object), or "[heap]", "[stack]",
    // "[anon]", ... for rows without one. Largest virtual size first.
    std::vector<std::pair<std::string, Totals>> by_object;
    Totals total;
    bool has_figures = false;
    std::uint64_t largest_hole = 0;  // below the kernel half of the address space
    Addr largest_hole_start = 0;

    // Some total stopped at UINT64_MAX (Totals::saturated).
    bool saturated() const { return total.saturated; }
};

Summary summarize(const AddressSpace& space, const Annotations& notes);

}  // namespace vmatlas
