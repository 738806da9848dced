// The core-file source: the map of a process that dumped core, from the core alone.
//
// Contract: only the ELF header, the program headers and the notes are read, never the memory
// the core holds, so listing a core takes time that does not grow with its size (the one
// exception: the first page of each mapped ELF object, read when its rows are named). Rows come
// from the PT_LOAD headers (every region, with r/w/x from p_flags), split and joined with the
// NT_FILE note (path and file offset of every file mapping). What the core does not record is
// marked unknown, never guessed: whether a file mapping was shared ('?'), every permission of a
// file mapping that NT_FILE names but no PT_LOAD describes (gdb leaves some out: "????"), device
// and inode (0). A row whose bytes are not all in the core is flagged kNotDumped/kPartlyDumped.
// NT_PRPSINFO gives the pid and name, NT_PRSTATUS each thread and its stack pointer (x86-64,
// i386, AArch64), NT_AUXV the vdso and the executable. The bytes are untrusted: a bad note is a
// warning (Diagnostic) and the rest is still read; a truncated file says at which offset it ends.
#pragma once

#include <string>

#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

// Reads the core file at path (kernel- or gdb-made, 32- or 64-bit, either byte order). Not a
// core: Unsupported; truncated or broken headers: MalformedInput.
Result<Target> read_core(const std::string& path);

}  // namespace vmatlas
