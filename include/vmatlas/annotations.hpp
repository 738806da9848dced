// Annotations: what each mapping is. The annotator stages (vmatlas/annotate.hpp) add them without
// touching addresses; a target that brings its own names (a snapshot, an ELF image) carries them.
//
// A label is a name and where it came from; a role is what the default view colours it by.
// Contract: labels and roles run parallel to AddressSpace::mappings().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/short_text.hpp"

namespace vmatlas {

enum class NameSource : std::uint8_t {
    None,       // a file-backed row that no annotator named: its path says what it is
    Kernel,     // the kernel's own name: [heap], [stack], [vdso], [anon:NAME], ...
    Elf,        // from the ELF object's headers
    Registers,  // from a thread's registers (a thread's stack)
    Heuristic,  // inferred: pwndbg's [anon_<start>>12>] for unnamed anonymous rows
    // From the rows' layout alone, when the object's ELF headers cannot be read (a map saved on
    // another machine): a `---p` row between two rows of one file is its "gap", the writable
    // anonymous row right after its last writable row its "bss". Weaker than Elf.
    Layout,
};

// A name that says which part of an ELF object a row is ("text", "bss", "gap"): from its headers
// or from the rows' layout.
constexpr bool names_segment(NameSource s) {
    return s == NameSource::Elf || s == NameSource::Layout;
}

enum class Role : std::uint8_t { Other, Stack, Heap, Code, Data, Rwx, Rodata, Guard };

struct Label {
    // Kernel and pwndbg names keep their brackets ("[heap]", "[anon_7f35f09a3]"); names vmatlas
    // infers are bare: "text", "rodata", "relro", "data", "bss", "gap", "headers",
    // "stack tid=N", "guard tid=N", "heap". Views add their own brackets ("[ text ]").
    ShortText name;
    NameSource source = NameSource::None;
    // The ELF object a row belongs to when the row itself has no file: a bss row names its
    // object's path here. kNoPath otherwise.
    PathId object = kNoPath;
};

struct Annotations {
    std::vector<Label> labels;
    std::vector<Role> roles;
    // Optional (-v): the ELF sections each mapping covers, ".text .plt .plt.got"; empty when not
    // asked for, else parallel to mappings().
    std::vector<std::string> sections;
    // Optional (-v): what the page tables say of a page-table target's row, as words: "user" or
    // "supervisor", "global", the page sizes ("4K 2M"), "phys=0x..." (its first page's physical
    // address) and "contiguous" or "scattered" (docs/page-tables.md). Empty when not asked for,
    // else parallel to mappings().
    std::vector<std::string> pages;
    // What an annotator could not do, once each ("no permission to read thread registers; ...").
    std::vector<std::string> warnings;
};

std::string_view to_string(NameSource s);  // "kernel", "elf", ...; "" for None
std::string_view to_string(Role r);        // "stack", "heap", ...

// A kernel pseudo-path: "[heap]", "[anon:x]", "[vdso]" (the kernel puts these in brackets).
bool is_kernel_name(std::string_view path);

// pwndbg's stable name for an unnamed anonymous mapping: "[anon_" + hex(start >> 12) + "]", the
// hex at least five digits as pwndbg cuts it from the kernel's eight-digit minimum.
ShortText anon_name(Addr start);

}  // namespace vmatlas
