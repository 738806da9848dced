// The seccomp filter of `vmatlas trace`: a classic BPF program that stops the traced process at
// chosen system calls (SECCOMP_RET_TRACE, seen by a tracer with PTRACE_O_TRACESECCOMP as a
// PTRACE_EVENT_SECCOMP stop) and lets every other call run without a stop.
//
// Contract: the program checks the calling convention first; a call of another one (i386, x32)
// always stops, so that no call is missed. The data of each stop (PTRACE_GETEVENTMSG) says why
// it stopped. Without a tracer, the kernel fails each call that would stop with ENOSYS
// (seccomp(2)). Internal to the trace stage.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "vmatlas/result.hpp"

namespace vmatlas::trace {

// The data of SECCOMP_RET_TRACE: why the call stopped.
inline constexpr std::uint16_t kStopMapChanging = 1;  // an x86-64 call changes_map() is true for
inline constexpr std::uint16_t kStopOther = 2;        // any other x86-64 call (every_call only)
inline constexpr std::uint16_t kStopOtherAbi = 3;     // an i386 or x32 call, or no x86-64 number

// The program: stop at every call changes_map() is true for, and at every call when every_call.
std::vector<sock_filter> trace_filter(bool every_call);

// Installs `program` on the calling thread (and the threads and programs it starts), after
// prctl(PR_SET_NO_NEW_PRIVS) so that no privilege is needed. Meant for a forked child before
// execve: the program is read where it is, and until a call fails nothing is allocated, only
// system calls are made. The error, of kind Unsupported, names the call that failed and why.
Result<bool> install_filter(const std::vector<sock_filter>& program);

// install_filter without its sentence: nothing is allocated at all, so a child of a process with
// threads can use it between fork and execve.
struct FilterFailure {
    const char* call = nullptr;  // the call that failed, or null when the filter is installed
    int error = 0;               // its errno
};
FilterFailure install_filter_quietly(const std::vector<sock_filter>& program) noexcept;

}  // namespace vmatlas::trace
