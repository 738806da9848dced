// Annotations: what each mapping is, added by annotator stages without touching addresses.
//
// A label is a name and where it came from; a role is what the default view colours it by.
// Contract: labels and roles run parallel to AddressSpace::mappings().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/process_facts.hpp"
#include "vmatlas/short_text.hpp"

namespace vmatlas {

enum class NameSource : std::uint8_t {
    None,       // a file-backed row that no annotator named: its path says what it is
    Kernel,     // the kernel's own name: [heap], [stack], [vdso], [anon:NAME], ...
    Elf,        // from the ELF object's headers
    Registers,  // from a thread's registers (a thread's stack)
    Heuristic,  // inferred: pwndbg's [anon_<start>>12>] for unnamed anonymous rows
};

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
    // What an annotator could not do, once each ("no permission to read thread registers; ...").
    std::vector<std::string> warnings;
};

// Reads the ELF headers of the objects a target's file-backed rows map, for a target whose files
// on this machine may not be those the process mapped (a core file checks build-ids and falls
// back on the headers it holds). Defined in src/sources/object_reader.hpp; implemented by such
// sources. Without one, the ELF stage opens the files itself, checking device and inode.
class ObjectReader;

// What annotators may read besides the address space.
struct AnnotateContext {
    int pid = 0;                            // a live process, or 0
    bool want_sections = false;             // fill Annotations::sections
    const ProcessFacts* facts = nullptr;    // what a core or snapshot recorded, when not live
    const ObjectReader* objects = nullptr;  // how to read the mapped objects, when not from files
    // Rows described by hand (a regions file): the kernel-style names they carry and pwndbg's
    // names for the others, nothing more; no file is read and nothing is inferred from a
    // process's layout.
    bool described_by_hand = false;
};

std::string_view to_string(NameSource s);  // "kernel", "elf", ...; "" for None
std::string_view to_string(Role r);        // "stack", "heap", ...

// A kernel pseudo-path: "[heap]", "[anon:x]", "[vdso]" (the kernel puts these in brackets).
bool is_kernel_name(std::string_view path);

// pwndbg's stable name for an unnamed anonymous mapping: "[anon_" + hex(start >> 12) + "]", the
// hex at least five digits as pwndbg cuts it from the kernel's eight-digit minimum.
ShortText anon_name(Addr start);

// Every annotator stage that the context allows (src/annotate/stages.hpp lists them).
Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx);

// Kernel names, pwndbg names for the other anonymous rows, and roles: no file is read.
Annotations annotate_kernel_names(const AddressSpace& space);

}  // namespace vmatlas
