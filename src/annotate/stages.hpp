// The annotator stages, in the order annotate() runs them. Each adds names and never changes an
// address; a later stage may replace a name an earlier one gave (an ELF "bss" beats pwndbg's
// "[anon_...]", a thread's "stack tid=N" beats a guess).
#pragma once

#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas {
struct ObjectTable;  // annotate/objects.hpp
}  // namespace vmatlas

namespace vmatlas::stages {

// kernel_names.cpp: [heap], [stack], [vdso], [anon:NAME], ...; [anon_<start>>12>] for the rest.
// Rows that already have a name (a target's own) keep it.
void name_kernel(const AddressSpace& space, Annotations& notes);

// elf_segments.cpp: text, rodata, relro, data, headers, gap and bss from each mapped ELF object's
// program headers (.SUNW_phname names win), under the load bias its rows agree on; a row that
// maps part of the file elsewhere is named by the file offsets it maps. The sections each row
// covers when asked. A bss row is attached to its object.
void name_elf_segments(const AddressSpace& space, ObjectTable& objects, bool want_sections,
                       Annotations& notes);

// layout.cpp: for an object the ELF stage named nothing of, "gap" for a `---p` row between two
// of its rows and "bss" for the anonymous writable row right after its last writable row
// (Layout), each attached to its object.
void name_by_layout(const AddressSpace& space, ObjectTable& objects, Annotations& notes);

// process_areas.cpp: for a target that recorded its process's facts but not the kernel's names (a
// core): "[vdso]" at AT_SYSINFO_EHDR and "[vvar]"/"[vvar_vclock]" right below it, "[vsyscall]"
// at its fixed x86-64 address, "[stack]" for the row holding the main thread's stack pointer
// (Registers), and "[heap]" for the anonymous rw-p row that follows the executable within the
// kernel's brk randomization range (Heuristic). Rows with a path or an ELF name are left alone.
void name_process_areas(const AddressSpace& space, const AnnotateContext& ctx, Annotations& notes);

// thread_stacks.cpp: "stack tid=N" for the row holding a non-main thread's stack pointer and
// "guard tid=N" for the anonymous ---p row right below it (Registers). Only for a live process
// (ctx.pid > 0) or a target that recorded its threads (ctx.facts); the main thread keeps the
// kernel's "[stack]". One warning when some threads' registers cannot be read, ending with
// `advice` when there is any. The _from form takes the threads already read (for tests).
void name_thread_stacks(const AddressSpace& space, const AnnotateContext& ctx, Annotations& notes);
inline constexpr std::string_view kPtraceAdvice =
    "run as root or as the same user with ptrace allowed";
void name_thread_stacks_from(const AddressSpace& space, int pid,
                             const std::vector<ThreadInfo>& threads, Annotations& notes,
                             std::string_view advice = kPtraceAdvice);

// heaps.cpp: glibc malloc arenas of non-main threads (Heuristic): "heap" for an anonymous rw-p
// row on a HEAP_MAX_SIZE boundary (64 MiB; 1 MiB in a 32-bit map) and "heap (reserved)" for the
// anonymous ---p rest of its reservation. Leaves Elf and Registers names alone.
void name_heaps(const AddressSpace& space, Annotations& notes);

}  // namespace vmatlas::stages
