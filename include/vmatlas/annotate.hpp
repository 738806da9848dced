// The annotator stages: what names the rows of an address space, from what the target allows
// them to read (a live process, a core's facts and objects, files named by their rows). For the
// rule that picks the context for each kind of target, see vmatlas/named_map.hpp.
#pragma once

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/process_facts.hpp"

namespace vmatlas {

class ObjectReader;  // vmatlas/target.hpp

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

// Every annotator stage that the context allows (src/annotate/stages.hpp lists them).
Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx);

// Kernel names, pwndbg names for the other anonymous rows, and roles: no file is read.
Annotations annotate_kernel_names(const AddressSpace& space);

// The role of every row (stack, heap, code, data, ...) from its permissions and its final name;
// `notes.roles` is resized to the space. annotate() ends with it; a caller that has names from
// elsewhere (an ELF image's, a snapshot's) runs it itself.
void assign_roles(const AddressSpace& space, Annotations& notes);

}  // namespace vmatlas
