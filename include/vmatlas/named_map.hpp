// The named map of a target, through one call: what every view of the vmatlas command shows.
//
//   auto map = vmatlas::open_named_map("core.4242");
//   if (!map) return fail(map.error().message);
//   for (std::size_t i = 0; i < map->space.size(); ++i)
//       print(map->space[i], map->notes.labels[i].name, map->space.path(map->space[i]));
//
// open_named_map opens the target (target.hpp), adds the regions files asked for (regions.hpp),
// then names its rows, with the rule the command uses for every target:
//  - a target that brings its own names (a snapshot, an ELF image) keeps them; rows a regions
//    file added get the kernel-style names a regions file gives;
//  - a live process: every annotator stage, reading the files it mapped (through
//    /proc/PID/map_files), its threads' registers and the kernel's names;
//  - a core file: every stage, with the objects read through the core (build-ids checked against
//    the files on this machine), its threads' stack pointers and auxiliary vector;
//  - a maps or smaps text: every stage, with the files the rows name used only when their device
//    and inode match;
//  - a regions file: the names its lines give and the kernel-style names only: nothing is read
//    and nothing is inferred from a process's layout (a board has no glibc heaps).
// The address space keeps every diagnostic of its source (diagnostics(), rows(), incomplete());
// what an annotator could not do is in notes.warnings. Neither is printed: the library never
// prints.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/process_facts.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

struct NamedMapOptions {
    // A live process: read /proc/PID/smaps for its figures (RSS, PSS, ...). A saved smaps text or
    // a snapshot has its figures whatever this says.
    bool figures = false;
    // The ELF sections each row covers (Annotations::sections).
    bool sections = false;
    // An ELF image target: the load bias of an ET_DYN, and whether to map its allocated sections.
    std::optional<Addr> base;
    bool by_sections = false;
    // A gdbserver target: the PID whose map is read there (TargetOptions::remote_pid).
    std::optional<int> remote_pid;
    // A gdbserver target: copies of its machine's files (TargetOptions::sysroot).
    std::string sysroot;
    // Regions files added to the target, in order, before its rows are named (docs/regions.md).
    std::vector<std::string> add;
    // A guest's page tables: which CPU and tables, and the kernel's symbols.
    PageTableOptions page_tables;
};

struct ObjectTable;  // internal to the library (src/annotate/objects.hpp)

struct NamedMap {
    TargetKind kind = TargetKind::Process;
    AddressSpace space;
    Annotations notes;   // parallel to space
    ProcessFacts facts;  // what a core or a snapshot recorded (threads, auxiliary vector)
    // The mapped objects the annotators read (their headers, load biases and the files they
    // came from), kept for the symbolize stage (vmatlas/where.hpp); null for a target that brings
    // its own names, and after a regions file was the target.
    std::shared_ptr<const ObjectTable> objects;
    // The target's own reader of its objects (a core's), for the later stages; may be null.
    std::shared_ptr<const ObjectReader> object_reader;
};

// The target's named map. Errors are those of open_target and add_regions_file. A map may be
// empty when every row of its input was rejected: its diagnostics say why.
Result<NamedMap> open_named_map(std::string_view target, const NamedMapOptions& options = {});

// Names the rows of a target already opened, as open_named_map does.
NamedMap name_target(Target target, bool sections);

}  // namespace vmatlas
