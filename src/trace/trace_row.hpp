// One row of `vmatlas trace`: an instruction the tracee was stopped at (a point of --pcs, a count
// of --counts, or every instruction), or a system call it entered (--syscalls). PANDA
// memorymap's fields in its order, then vmatlas's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "vmatlas/mapping.hpp"

namespace vmatlas::trace {

struct TraceRow {
    Addr pc = 0;
    // The instruction's number: the user-space instructions every traced thread executed since
    // the command's first exec (or the attach), this one included. Known while single-stepping
    // only: a breakpoint does not count the instructions before it.
    std::optional<std::uint64_t> instr_count;
    std::string_view process;  // the process's name (/proc/PID/comm)
    int pid = 0, tid = 0;
    // True for a system-call row: the thread is entering the kernel at the call `syscall`.
    bool in_kernel = false;
    std::string_view syscall;
    // The image the pc is in (vmatlas/where.hpp's): empty and nothing when it is in none.
    std::string_view image_name, image_path;
    std::optional<Addr> image_base;
    std::string_view segment;  // the row's vmatlas name: "text", "[heap]", "[anon_7f35f09a3]"
    std::string_view symbol;   // the symbol the pc is in (mangled, as the table has it)
    std::uint64_t symbol_offset = 0;
    // The map's generation when the row was written: 1 for the first map read, one more each time
    // a reading after a map-changing system call differs from the one before.
    std::uint64_t generation = 0;
};

}  // namespace vmatlas::trace
