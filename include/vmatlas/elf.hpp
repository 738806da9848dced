// One ELF object's headers, read with elfutils libelf: what the ELF segment-name stage needs to
// tell which program header a mapping came from, and nothing more (no symbols, no DWARF).
//
// Contract: the bytes are untrusted. Every offset and size the file gives is checked
// (overflow-safe) before it is used. A file that is not ELF is an Unsupported
// error; a truncated or inconsistent ELF header or program header table is MalformedInput, with
// the index and the hex values in the message. Damage in the section headers (which the loader
// never reads) is not fatal: the sections concerned are dropped and a warning says why. Only the
// headers and the few small sections named below are read, never the whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vmatlas/result.hpp"

namespace vmatlas::elf {

struct ProgramHeader {
    std::uint32_t type = 0;   // PT_LOAD, PT_GNU_RELRO, ...
    std::uint32_t flags = 0;  // PF_R | PF_W | PF_X
    std::uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0, align = 0;
    // From .SUNW_phname; empty when the object has none or this header is unnamed.
    std::string name;
    std::uint64_t paddr = 0;  // p_paddr: shown, never used (Linux loaders ignore it)
};

// A section that occupies memory at run time (SHF_ALLOC).
struct Section {
    std::string name;  // "" when its name could not be read (a warning says why)
    std::uint64_t addr = 0, size = 0, flags = 0;
    std::uint32_t type = 0;    // SHT_PROGBITS, SHT_NOBITS, ...
    std::size_t index = 0;     // in the section header table
    std::uint64_t offset = 0;  // sh_offset (meaningless for SHT_NOBITS)
};

struct ElfObject {
    unsigned elf_class = 0;  // ELFCLASS32 or ELFCLASS64
    std::uint16_t type = 0;  // e_type: ET_EXEC, ET_DYN, ...
    std::uint16_t machine = 0;
    std::uint64_t phoff = 0;                     // e_phoff
    std::uint64_t phdr_bytes = 0;                // e_phnum * e_phentsize
    std::uint64_t header_bytes = 0;              // e_ehsize as the class defines it (52 or 64)
    std::vector<ProgramHeader> program_headers;  // every one, in file order
    std::vector<Section> sections;               // SHF_ALLOC only, in section header order
    std::vector<std::uint8_t> build_id;          // NT_GNU_BUILD_ID; empty when absent or not read
    bool has_phnames = false;                    // a usable .SUNW_phname section was found
    // Non-fatal damage, one sentence each ("section 7: name offset 0x9999 is outside ...").
    std::vector<std::string> warnings;
};

struct ReadOptions {
    // The size of the file open on fd, from the caller's own fstat of it: one system call fewer.
    // Without it the reader asks fstat.
    std::optional<std::uint64_t> file_size;
    // Whether to read the notes for NT_GNU_BUILD_ID (only a core's objects are matched by it).
    bool build_id = true;
    // Whether to keep the allocated sections (ElfObject::sections): the segment-name stage needs
    // them only for -v (and save, which asks for -v's sections). .SUNW_phname is read either way.
    bool sections = true;
};

// Reads the object open on fd (not taken over; the file offset is not used). Reads only the
// headers, the section name table, the notes (when asked), and .SUNW_phname with .dynstr when
// present.
Result<ElfObject> read_elf_object(int fd, const ReadOptions& options = {});

// The same from bytes in memory (tests, the fuzz target).
Result<ElfObject> read_elf_object(std::span<const std::byte> bytes);

// ---- what the loader makes of it (shared by the segment-name stage and the ELF image source) --

// The name of what a PT_LOAD holds, when .SUNW_phname gives none: "text" (PF_X), "data" (PF_W),
// "headers" (the read-only segment at offset 0 that holds the ELF and program headers: with
// separate code it holds only those and the dynamic-linking tables), else "rodata". The read-only
// part of a data segment is "relro"; that depends on the pages, so callers name it.
std::string_view load_segment_name(const ElfObject& obj, const ProgramHeader& load);

// The pages the loader makes read-only after relocation, as vaddrs: the first PT_GNU_RELRO with
// both ends rounded down to a page, as glibc's _dl_protect_relro does. Nothing without one.
std::optional<std::pair<std::uint64_t, std::uint64_t>> relro_pages(const ElfObject& obj,
                                                                   std::uint64_t page);

}  // namespace vmatlas::elf
