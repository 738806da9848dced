// Decoding the notes of a core file that describe the process: NT_FILE (mapped files), NT_PRSTATUS
// (one per thread: tid and registers), NT_PRPSINFO (pid and name) and NT_AUXV.
//
// Contract: each function takes one note's descriptor as untrusted bytes, in the core's class and
// byte order, and either decodes it or says in one sentence what is wrong with it; it never reads
// outside the span. Register layouts are known for x86-64, i386 and AArch64; on another machine a
// thread is still listed, without a stack pointer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vmatlas/mapping.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::core {

// How the core's words are laid out: 4 or 8 bytes, little or big endian.
struct Layout {
    unsigned word = 8;
    bool big_endian = false;
    std::uint16_t machine = 0;  // e_machine

    std::uint64_t load_word(const std::uint8_t* p) const;
    std::uint32_t load_u32(const std::uint8_t* p) const;
};

using Bytes = std::span<const std::uint8_t>;

struct FileEntry {
    Addr start = 0, end = 0;
    std::uint64_t offset = 0;  // in bytes (NT_FILE gives pages)
    std::string path;
};

struct FileNote {
    std::uint64_t page_size = 0;
    std::vector<FileEntry> entries;
    // Entries that could not be used (start >= end, an offset that overflows, a missing name),
    // one sentence each; the others are still in entries.
    std::vector<std::string> problems;
};

struct ThreadStatus {
    int tid = 0;
    std::optional<Addr> sp;
    std::optional<Addr> pc;
};

struct ProcessStatus {
    int pid = 0;
    std::string name;  // pr_fname: the first 15 bytes of the command's name
    std::string args;  // pr_psargs: the first 79 bytes of the command line
};

struct Auxv {
    std::optional<Addr> sysinfo_ehdr, entry, phdr;
};

Result<FileNote> decode_file_note(Bytes desc, const Layout& layout);
Result<ThreadStatus> decode_prstatus(Bytes desc, const Layout& layout);
Result<ProcessStatus> decode_prpsinfo(Bytes desc, const Layout& layout);
Result<Auxv> decode_auxv(Bytes desc, const Layout& layout);

}  // namespace vmatlas::core
