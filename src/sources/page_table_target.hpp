// Internal to the sources: a guest's page tables as a target, the same for a memory dump and a
// live guest: the CPU's registers checked, the tables PageTableOptions asks for walked, and each
// row named by the kernel region it lies in (kernel_regions.hpp), else by its rights.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sources/page_tables.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::paging {

// The registers of one CPU the walk reads.
struct CpuRegisters {
    std::uint64_t cr0 = 0, cr3 = 0, cr4 = 0;
    std::optional<std::uint64_t> efer;  // unknown in a dump: NXE is then taken as set
};

inline constexpr std::uint64_t kCr0Paging = 1ULL << 31;
inline constexpr std::uint64_t kEferNxe = 1ULL << 11;
inline constexpr std::uint64_t kKptiUserBit = 1ULL << 12;  // the user copy of a KPTI pair

// The tables the options ask for: --cr3, else the CPU's CR3; then bit 12 set or cleared for
// --kpti-user or --kpti-kernel.
WalkInput walk_input(const CpuRegisters& cpu, const PageTableOptions& options);

// The target: the rows of the walk, each named "[kernel text]", "[direct map]", ... where a kernel
// region holds it, else "[user]" when user-mode code may reach it and "[supervisor]" when not;
// perms r, w when writable, x when not NX, and p; the page-table facts of each row in the
// names' `pages`. `what` names the CPU in sentences ("dump.elf: CPU 0"). The problems the source
// met (a note cut short, a connection lost), asked for once the walk is done, are losses of
// Input, as is what the walk could not read. Errors: paging or PAE off, a kallsyms file that
// cannot be read.
Result<Target> page_table_target(PhysicalMemory& memory, const CpuRegisters& cpu,
                                 const PageTableOptions& options, SourceInfo source,
                                 const std::function<std::vector<std::string>()>& source_problems,
                                 std::string_view what);

}  // namespace vmatlas::paging
