// The threads of a live process and where their stack pointers are, so that each thread's stack
// can be named (Solaris pmap's "[ stack tid=N ]").
//
// A thread blocked in the kernel tells its stack pointer through /proc/PID/task/TID/syscall
// without being disturbed. A thread that is running has no such line ("running"), so it is
// briefly stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT), its registers are read
// (PTRACE_GETREGSET, NT_PRSTATUS) and it is let go with PTRACE_DETACH, handing back any signal
// that arrived meanwhile: it goes on exactly as before, and no thread is ever left stopped. A
// thread that was group-stopped (SIGSTOP) stays stopped.
//
// Contract: read_threads() fails only when the thread list itself cannot be read. A thread whose
// stack pointer cannot be read (no permission, ptrace refused, an architecture without register
// support) is still listed, without a stack pointer and with the reason in sp_error, for the
// caller to turn into one warning. Threads that exit while being read are left out. The library
// never prints; it may send the calling process a SIGCHLD for each thread it stops, and a caller
// that reaps every child with waitpid(-1, ...) in another thread must not run at the same time.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/mapping.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

// How a thread's stack pointer was found.
enum class StackPointerSource : std::uint8_t {
    None,       // not found: see ThreadInfo::sp_error
    Syscall,    // /proc/PID/task/TID/syscall (the thread was blocked)
    Registers,  // ptrace: the thread was running, and was stopped for a moment
};

struct ThreadInfo {
    pid_t tid = 0;
    std::string name;  // /proc/PID/task/TID/comm; empty when not asked for
    std::optional<Addr> sp;
    StackPointerSource sp_source = StackPointerSource::None;
    // Why sp is missing, for a person: "syscall: Permission denied; ptrace: Operation not
    // permitted". Empty when sp is set.
    std::string sp_error;
};

std::string_view to_string(StackPointerSource s);  // "syscall", "registers"; "" for None

// Every thread of a live process, sorted by tid, with its stack pointer when it can be read, and
// its name when with_names (four system calls a thread more: naming stacks does without).
Result<std::vector<ThreadInfo>> read_threads(pid_t pid, bool with_names = true);

// The stack pointer in the text of /proc/PID/task/TID/syscall: "nr a1 a2 a3 a4 a5 a6 sp pc"
// (blocked in a system call) or "-1 sp pc" (blocked outside one), numbers after nr in hex.
// nullopt for "running" and for anything malformed.
std::optional<Addr> parse_syscall_stack_pointer(std::string_view text);

// Yama's restriction of ptrace attaching, for a sentence about a refusal: "Yama's ptrace_scope is
// 1 (/proc/sys/kernel/yama/ptrace_scope: only a process's ancestors, or CAP_SYS_PTRACE, may
// attach)". Empty when sysctl cannot be read (a kernel without Yama) or holds 0 (no restriction).
// Reading a memory map needs ptrace's read access, which Yama does not restrict: this is only
// for attaching (thread registers, /proc/PID/task/TID/syscall).
std::string yama_ptrace_note(const std::string& sysctl = "/proc/sys/kernel/yama/ptrace_scope");

}  // namespace vmatlas
