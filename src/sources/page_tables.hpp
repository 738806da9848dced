// Internal to the sources: the x86-64 page tables walked from CR3, as the CPU walks them, into
// rows of virtually contiguous pages with the same effective permissions.
//
// Contract: walk_page_tables() reads the tables only through PhysicalMemory, one whole table page
// at a time, and never follows an entry past the last level, so that it ends on any bytes. It
// gives rows sorted by start and non-overlapping, in canonical addresses only, each with start <
// start + size: when the last 4 KB below 2^64 is mapped, it is left out of its row (which cannot
// end at 2^64), and a lost problem says so. What the CPU would do is what the rows say:
//
//   - 4-level paging when CR4.LA57 (bit 12) is clear, 5-level when it is set; CR4.PAE (bit 5)
//     must be set (long mode needs it), else the walk is refused;
//   - the table base of CR3 and of every entry is bits 51:12; CR3's bits 11:0 (PCID, or PWT and
//     PCD) and 63:52 do not name the table and are ignored;
//   - PS (bit 7) makes a PDPT entry a 1 GB page and a PD entry a 2 MB page; it is reserved in a
//     PML5 or PML4 entry, and a PT entry's bit 7 is PAT;
//   - an entry with a reserved bit set (PS where it is reserved, the reserved low bits of a 1 GB
//     or 2 MB page, bit 63 when EFER.NXE is clear, bits from max_physical_bits to 51) makes every
//     access through it fault: its range is not mapped, and a diagnostic says so (for the first
//     32 such entries; the rest are counted);
//   - writable only if R/W (bit 1) is set at every level, user only if U/S (bit 2) is set at
//     every level, not executable if XD (bit 63) is set at any level and EFER.NXE is set;
//   - global (bit 8) is read from the leaf entry alone, as the CPU reads it.
// Not read: accessed and dirty bits, the cache bits (PWT, PCD, PAT), protection keys, and what
// decides faults beyond the tables (CR0.WP, CR4.SMEP and SMAP): they do not change what is mapped.
//
// Rows: a leaf page joins the row before it when it follows it in virtual addresses and has the
// same half, writable, user, executable and global bits. Physical contiguity is not required (a
// process's heap is one row, however scattered its frames): a row keeps the physical address of
// its first page and whether every page follows the one before it physically too, and the sizes
// of the pages it is made of.
//
// Bounds: a table on its own path from CR3 (an entry that points back to a table above it, or to
// its own table) is followed as the CPU follows it, for the levels that remain (Windows maps its
// page tables so, recursively), and said once per table. A table that cannot be read is said
// once per table and its range left out. At most max_tables table pages are read and at most
// max_rows rows made; past either the walk stops and says where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmatlas::paging {

// A guest's physical memory, as a dump or a live guest gives it.
struct PhysicalMemory {
    virtual ~PhysicalMemory() = default;
    // The n bytes at paddr into out, or false when any of them is not in the memory.
    virtual bool read(std::uint64_t paddr, void* out, std::size_t n) = 0;
};

// The two halves of a canonical address space: addresses whose top bit (47, or 56 with 5-level
// paging) is clear, and those whose top bit is set.
enum class Half : std::uint8_t { User = 1, Kernel = 2, Both = 3 };

// CR4 bits the walk reads.
inline constexpr std::uint64_t kCr4Pae = 1ULL << 5;
inline constexpr std::uint64_t kCr4La57 = 1ULL << 12;

struct WalkInput {
    std::uint64_t cr3 = 0;
    std::uint64_t cr4 = kCr4Pae;
    bool nxe = true;  // EFER.NXE
    Half half = Half::Both;
    // MAXPHYADDR: entry bits from it up to 51 are reserved. 52 (the architectural limit) checks
    // none; a walk that knows the CPU's can say so.
    unsigned max_physical_bits = 52;
    std::size_t max_tables = std::size_t{1} << 20;  // 4 GB of page tables
    std::size_t max_rows = std::size_t{1} << 22;
};

// Page sizes, as bits of PageRun::page_sizes.
inline constexpr std::uint8_t kPage4K = 1, kPage2M = 2, kPage1G = 4;

struct PageRun {
    std::uint64_t start = 0;  // a canonical virtual address
    std::uint64_t size = 0;   // bytes; start + size does not wrap
    std::uint64_t paddr = 0;  // the physical address of start
    bool physically_contiguous = true;
    Half half = Half::User;  // User or Kernel: the half start is in
    bool writable = false;
    bool user = false;  // U/S: user-mode code may reach it
    bool executable = false;
    bool global = false;
    std::uint8_t page_sizes = 0;  // kPage4K | kPage2M | kPage1G

    std::uint64_t end() const { return start + size; }
    friend bool operator==(const PageRun&, const PageRun&) = default;
};

struct WalkProblem {
    // Lost: part of the map could not be read (a table outside the memory, the walk stopped at
    // a bound). Otherwise a fact about the tables the rows already show (a reserved bit, a table
    // on its own path).
    bool lost = false;
    std::string message;
};

struct WalkResult {
    std::vector<PageRun> runs;
    std::vector<WalkProblem> problems;
    std::size_t tables_read = 0;
};

// The rows the tables CR3 names map, or only a problem when the walk is refused (CR4.PAE clear).
WalkResult walk_page_tables(PhysicalMemory& memory, const WalkInput& input);

// The physical address the tables CR3 names translate vaddr to, down the same path the walk
// takes (CR3's and the entries' bits 51:12, PS at the PDPT and PD levels), rights not checked;
// nothing when a level's entry is not present or a table cannot be read. Reserved bits are not
// checked either: use it to read what a kernel keeps in its own memory, not to decide a row.
std::optional<std::uint64_t> translate(PhysicalMemory& memory, const WalkInput& input,
                                       std::uint64_t vaddr);

}  // namespace vmatlas::paging
