// The x86-64 system calls as `vmatlas trace` sees them: the name of each number, and which calls
// can change what /proc/PID/maps shows of the process that makes them.
//
// Contract: the names are the kernel's (arch/x86/entry/syscalls/syscall_64.tbl) for every number
// from 0 to 462, "" for a number no x86-64 call has (335 to 423, past 462, negative). Numbers of
// the x32 ABI (with bit 30 set) and of i386 are not x86-64 numbers. Nothing here allocates.
// Internal to the trace stage.
#pragma once

#include <span>
#include <string_view>

namespace vmatlas::trace {

// The highest number named here.
inline constexpr long kLastSyscall = 462;

// The name of x86-64 system call `number` ("mmap"), or "" when no call has it.
std::string_view syscall_name(long number);

// True for the calls that can change the rows of the caller's /proc/PID/maps: make, remove, move
// or split a mapping, change its permissions, flags or name, or replace the whole map.
bool changes_map(long number);

// The numbers for which changes_map() is true, ascending.
std::span<const long> map_changing_calls();

}  // namespace vmatlas::trace
