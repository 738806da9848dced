// Targets: what the command line names, recognized by what it is, turned into a Target: the
// AddressSpace plus what the target recorded beside it.
//
//   a PID, "self", or a process name   -> live process (procfs)
//   "-"                                -> maps, smaps or regions text, or a snapshot, on stdin
//   "tcp:HOST:PORT"                    -> maps text: the /proc/PID/maps of the process the
//                                         gdbserver there debugs, read through it (docs/remote.md)
//   "tcp:HOST:PORT" of QEMU's gdbstub  -> live guest: the page tables of its first CPU, read
//                                         through the stub (docs/page-tables.md)
//   "qemu-user:PID" (or a name)        -> qemu user guest: the map of the guest program that
//                                         QEMU user-mode process runs, at guest addresses
//                                         (docs/qemu-user.md)
//   an ELF core file with a QEMU note  -> guest dump: the page tables of its first CPU
//   another ELF core file (ET_CORE)    -> core: PT_LOAD headers joined with the NT_FILE note
//   another ELF file                   -> the map it would create when loaded (ELF image)
//   a JSON snapshot (vmatlas save)     -> the snapshot, names and all
//   a regions file                     -> regions added by hand (pwndbg's vmmap-add)
//   a file holding maps or smaps text  -> maps text, or smaps text with its figures
//   a file holding gdb's text          -> maps text: info proc mappings, or maintenance info
//                                         sections of a core (vmatlas/gdb_text.hpp)
//
// Files are recognized by their first bytes, never by their names (a file named tcp:... is
// given as ./tcp:...).
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

namespace vmatlas {

enum class TargetKind : std::uint8_t {
    Process,    // a live process
    MapsText,   // saved /proc/PID/maps text (or smaps text, or gdb's text)
    Core,       // an ELF core file
    Snapshot,   // a JSON snapshot written by vmatlas save
    ElfImage,   // an executable or shared object, as the map it would create
    Regions,    // a regions file
    GuestDump,  // a QEMU guest memory dump, as the map its first CPU's page tables make
    LiveGuest,  // a running QEMU guest, read through QEMU's gdbstub, the same way
    QemuUser,   // a QEMU user-mode guest, from the QEMU process's own map
};

std::string_view to_string(TargetKind kind);  // "process", "maps text", "core", ...

// Reads the ELF headers of the objects a target's file-backed rows map, for a target whose files
// on this machine may not be those the process mapped (a core file checks build-ids and falls
// back on the headers it holds). Defined in src/sources/object_reader.hpp; implemented by such
// sources. Without one, the ELF stage opens the files itself, checking device and inode.
class ObjectReader;

struct Target {
    TargetKind kind = TargetKind::Process;
    AddressSpace space;
    ProcessFacts facts;
    // Names the target brings with it (a snapshot, an ELF image, a regions file): when present,
    // the annotators do not run and these are the names every view shows.
    std::optional<Annotations> names;
    std::shared_ptr<const ObjectReader> objects;  // null: open the files named in the rows
};

// Which page tables of a guest to walk, and how to name the kernel's rows (a guest dump or a
// live guest; docs/page-tables.md).
struct PageTableOptions {
    std::size_t cpu = 0;      // whose registers: the guest's CPUs, numbered from 0
    std::optional<Addr> cr3;  // these tables instead of the CPU's CR3
    // With page-table isolation (KPTI) a process has two top-level tables in one 8 KB block: the
    // kernel's copy (bit 12 of CR3 clear) and the user copy (bit 12 set). AsLoaded walks the one
    // CR3 names.
    enum class Kpti : std::uint8_t { AsLoaded, User, Kernel } kpti = Kpti::AsLoaded;
    // The guest's /proc/kallsyms or System.map: names the kernel's text, data, direct map,
    // vmalloc and vmemmap rows. Empty: only the kernel regions at fixed addresses are named.
    std::string kallsyms;
};

struct TargetOptions {
    // Read a live process's /proc/PID/smaps (rows and figures) instead of its maps.
    bool live_figures = false;
    // An ELF image: the load bias of an ET_DYN (default: where Linux puts it with ASLR off), and
    // whether to map its allocated sections instead of its program headers (bare metal).
    std::optional<Addr> base;
    bool by_sections = false;
    // A gdbserver target: the process of the server's machine whose map is read, instead of the
    // one the server debugs (a `gdbserver --multi` may debug none). Only read: not attached.
    std::optional<int> remote_pid;
    // A gdbserver target: a directory holding copies of the remote machine's files at their
    // paths (gdb's sysroot), preferred for naming segments when their build-ids match.
    std::string sysroot;
    PageTableOptions page_tables;
};

Result<Target> open_target(std::string_view spec, const TargetOptions& options = {});

}  // namespace vmatlas
