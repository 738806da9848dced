// What a target that is not a live process recorded about its process: its threads with their
// stack pointers (a core's NT_PRSTATUS notes, a snapshot's list) and the auxiliary vector's
// addresses (a core's NT_AUXV). The annotators name thread stacks, [stack], [vdso] and the
// executable's [heap] from these when there is no live process to ask.
#pragma once

#include <optional>
#include <vector>

#include "vmatlas/mapping.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas {

struct ProcessFacts {
    bool has_threads = false;  // `threads` is the target's word, even when empty
    std::vector<ThreadInfo> threads;
    std::optional<Addr> vdso;   // AT_SYSINFO_EHDR: where the vdso's ELF header is
    std::optional<Addr> entry;  // AT_ENTRY: the executable's entry point
    std::optional<Addr> phdr;   // AT_PHDR: the executable's program headers
};

}  // namespace vmatlas
