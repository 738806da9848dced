// The ELF image source: the map an executable or shared object would create when loaded (pwndbg's
// vmmap-load), built as an AddressSpace (source kind "elf image") with its rows already named.
//
// Contract: the rows are what the loader's system calls leave, replayed in order on a model of
// the address space (MAP_FIXED replaces, mprotect splits):
//  - every PT_LOAD's file part, [page_down(p_vaddr), page_up(p_vaddr + p_filesz)) from
//    page_down(p_offset), with its p_flags as permissions;
//  - its bss: anonymous pages from there up to page_up(p_vaddr + p_memsz);
//  - ld.so (a shared object) first reserves the whole span with the first segment's file mapping
//    and, when the segments are not contiguous, makes the part between the first segment's file
//    end and the last segment's start PROT_NONE: what no segment covers later stays as `---p`
//    "gap" rows. The kernel (an executable) maps each segment alone, so its holes stay unmapped;
//  - last, PT_GNU_RELRO's whole pages become r--p ("relro"), as ld.so does after relocating.
// An ET_EXEC loads at its own addresses; an ET_DYN at the given base (the load bias: where vaddr 0
// lands), by default kPieBase when it has a PT_INTERP (an executable) and kSharedBase otherwise,
// rounded down to the largest PT_LOAD p_align as the loaders align it. Which loader maps it: the
// kernel for an ET_EXEC or an ET_DYN with PT_INTERP, ld.so for the other ET_DYNs.
// The kernel may merge two rows of this map that are adjacent and alike; nothing is merged here.
//
// By sections instead (options.by_sections; pwndbg's vmmap-load, for bare metal, where a PT_LOAD
// at 0 would make every small value look mapped): one row per SHF_ALLOC section with a size,
// exactly [base + sh_addr, base + sh_addr + sh_size) with no page rounding (bare metal has no
// pages), r plus w for SHF_WRITE and x for SHF_EXECINSTR, private, from sh_offset; a SHT_NOBITS
// section (.bss) is anonymous and names the object as a bss row does; a TLS bss (.tbss) is left
// out, as its addresses are the next sections'. Each row is named by its section (".text").
// Sections that overlap are resolved by AddressSpaceBuilder (the later in the section header
// table wins); each overlap is a Diagnostic and the map is marked partial. The base is chosen as
// for segments, but need not be page-aligned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/elf.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

// Where Linux puts an ET_DYN with ASLR off (gdb's habit): a PIE executable, a shared object.
inline constexpr Addr kPieBase = 0x555555554000;
inline constexpr Addr kSharedBase = 0x7ffff7c00000;

enum class ImageLoader { Kernel, Ldso };

enum class BaseChoice {
    Own,            // an ET_EXEC: its own addresses, bias 0
    Given,          // the caller's
    PieDefault,     // kPieBase
    SharedDefault,  // kSharedBase
};

struct ElfImage {
    std::string path;
    elf::ElfObject object;
    Addr base = 0;  // the load bias
    BaseChoice base_choice = BaseChoice::Own;
    ImageLoader loader = ImageLoader::Kernel;
    bool by_sections = false;  // the rows are the allocated sections, not the loader's pages
    AddressSpace space;        // source kind "elf image", origin the path
    Annotations notes;         // names (text, rodata, relro, data, bss, gap, headers...), no roles
                               // (assign_roles gives them); the reader's warnings in notes.warnings
};

struct ElfImageOptions {
    std::optional<Addr> base;     // ignored for an ET_EXEC (a warning says so)
    std::uint64_t page_size = 0;  // 0: this system's
    bool by_sections = false;     // map the SHF_ALLOC sections, not the PT_LOADs
};

// Opens and reads path. No such file: NoSuchProcess (as for every file target); permission
// denied: PermissionDenied; not ELF, truncated, or nothing a loader could map (no PT_LOAD, not an
// executable or shared object, a segment past the end of the file; by sections: no allocated
// section, or one past the end of the file): Unsupported or MalformedInput; a base that is not
// page-aligned (by segments only): Usage. Every message is one sentence that starts with the
// path, but for the base's.
Result<ElfImage> load_elf_image(const std::string& path, const ElfImageOptions& options);

// The same for an object already read; dev and inode go into the file-backed rows.
Result<ElfImage> elf_image_from(elf::ElfObject object, std::string path, std::uint64_t file_size,
                                std::uint32_t dev_major, std::uint32_t dev_minor,
                                std::uint64_t inode, const ElfImageOptions& options);

std::string_view to_string(ImageLoader loader);  // "kernel", "ld.so"
std::string_view to_string(BaseChoice choice);   // "own", "given", "pie default", "shared default"

}  // namespace vmatlas
