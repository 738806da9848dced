// Internal to the sources: the parts of an x86-64 Linux kernel's half of the address space, as
// the kernel lays it out (Documentation/arch/x86/x86_64/mm.rst), by which page-table rows are
// named.
//
// Two kinds of region:
//   - at fixed addresses, named whatever the guest: the LDT remap, the CPU entry area, the
//     espfix stacks, the EFI runtime region, the fixmap and the vsyscall page;
//   - found from the guest's symbols (its /proc/kallsyms or System.map): the kernel image and its
//     text, rodata, data and bss, the modules above it, and the direct map, vmalloc and vmemmap,
//     whose bases a kernel that randomizes its memory layout keeps in page_offset_base,
//     vmalloc_base and vmemmap_base (read from the guest's memory), and a kernel that does not
//     has at its documented constants.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vmatlas/result.hpp"

namespace vmatlas::paging {

// The symbols of a kernel the regions need, by name (the rest of the file is not kept).
using KernelSymbols = std::unordered_map<std::string, std::uint64_t>;

// Reads "ADDRESS TYPE NAME" lines ("ffffffff81000000 T _stext"), as /proc/kallsyms and System.map
// write them; a module's symbols ("... [ext4]") and malformed lines are skipped. An error when the
// file cannot be read, or names none of the symbols the regions use, or shows them all at address
// 0 (kallsyms read without the right to see addresses).
Result<KernelSymbols> read_kernel_symbols(const std::string& path);

struct KernelRegion {
    std::uint64_t start = 0, end = 0;  // [start, end), end 0 meaning 2^64
    std::string_view name;             // "[kernel text]", "[direct map]", ...
    int rank = 0;                      // where regions overlap, the higher rank names the bytes
};

// Reads 8 bytes of the guest at a kernel virtual address, when the tables map it.
using ReadVirtual = std::function<std::optional<std::uint64_t>(std::uint64_t vaddr)>;

// The regions of the kernel's half for 4-level (la57 false) or 5-level paging. Without symbols,
// the fixed ones only. A base variable that cannot be read is said in notes and its region left
// out.
std::vector<KernelRegion> kernel_regions(bool la57, const KernelSymbols* symbols,
                                         const ReadVirtual& read, std::vector<std::string>& notes);

// Names [start, end): the name of the highest-ranked region holding start, and where that name
// stops holding (before end, at a region's edge) in `until`. Empty when no region holds start.
std::string_view region_at(const std::vector<KernelRegion>& regions, std::uint64_t start,
                           std::uint64_t end, std::uint64_t& until);

}  // namespace vmatlas::paging
