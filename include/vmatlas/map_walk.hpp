// A live process's map walked one entry at a time, resumably, with a generation stamp: Linux's
// counterpart of FreeBSD's ptrace PT_VM_ENTRY and PT_VM_TIMESTAMP.
//
//   auto walk = vmatlas::MapWalk::open(pid);
//   vmatlas::WalkCursor cursor;                      // the first call starts a walk
//   for (;;) {
//       auto step = walk->next(cursor);
//       if (!step) return fail(step.error().message);
//       if (step->status != vmatlas::WalkStatus::Entry) break;   // End, or Changed: start again
//       use(step->entry.mapping, step->entry.name);
//       cursor = step->cursor;
//   }
//
// Contract:
// - An entry is a row of /proc/PID/maps: start, end (one past the last byte, where
//   PT_VM_ENTRY's pve_end is inclusive), perms, offset, device, inode and the name the kernel
//   prints (a file, "[heap]", "[anon:NAME]"; empty for plain anonymous memory), without
//   " (deleted)": the mapping's kDeleted flag says it.
// - The generation is a 64-bit digest of every entry's start, end, perms, flags, offset, device,
//   inode and name, in address order: equal generations mean equal maps, up to a collision of
//   the hash; walk_generation() gives the same number for the same map read from the text. It
//   changes only when the map did, and computing it walks the whole map: Linux keeps no counter of
//   map changes that a process may read.
// - next(cursor) returns the first entry that ends above cursor.next (End when there is none),
//   or Changed when the map is no longer the one the walk started under. The first call (a
//   cursor without a generation) starts a walk: the map is read whole, its generation is the
//   walk's. An entry that differs from that map is Changed at once; a change before the cursor
//   is found at the end: End is only returned when the map then is the map the walk started
//   under, so a walk that ends with End has seen one consistent map, every entry of it.
//   Changed carries the map's current generation; a walk is started again with a fresh cursor.
// - A cursor whose generation is not this walker's walk's is Changed (FreeBSD's EINVAL for a
//   bad cookie): a walk is resumed through the MapWalk that started it.
// - The kernel's gate area ("[vsyscall]"), which /proc/PID/maps prints last, is no entry:
//   PROCMAP_QUERY does not find it, as it is in no process's map.
// - Entries are read with PROCMAP_QUERY (Linux 6.11); a kernel without it (ENOTTY) is read
//   through /proc/PID/maps text instead, with the same answers.
// - Errors: NoSuchProcess, PermissionDenied, ProcessExited (the process exited or ran exec).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/mapping.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct WalkEntry {
    Mapping mapping;  // path is kNoPath: name is its path
    std::string name;
    friend bool operator==(const WalkEntry& a, const WalkEntry& b) {
        const Mapping &x = a.mapping, &y = b.mapping;
        return x.start == y.start && x.end == y.end && x.offset == y.offset && x.inode == y.inode &&
               x.dev_major == y.dev_major && x.dev_minor == y.dev_minor && x.perms == y.perms &&
               x.flags == y.flags && a.name == b.name;
    }
};

struct WalkCursor {
    Addr next = 0;                            // the end of the last entry returned
    std::optional<std::uint64_t> generation;  // the walk's; none to start a walk
};

enum class WalkStatus { Entry, End, Changed };

struct WalkStep {
    WalkStatus status = WalkStatus::End;
    WalkEntry entry;               // Entry only
    std::uint64_t generation = 0;  // the walk's (Entry, End) or the map's now (Changed)
    WalkCursor cursor;             // Entry: where the next call resumes
};

// The whole map, in address order, and its generation.
struct WalkedMap {
    std::vector<WalkEntry> entries;
    std::uint64_t generation = 0;
};

// The generation a walk of the map that space was read from gives: the digest of its rows, but
// the gate area's.
std::uint64_t walk_generation(const AddressSpace& space);

// Whether a row of /proc/PID/maps is the kernel's gate area ("[vsyscall]").
bool is_gate_area(std::string_view name);

class MapWalk {
  public:
    static Result<MapWalk> open(pid_t pid);
    MapWalk(MapWalk&&) noexcept;
    MapWalk& operator=(MapWalk&&) noexcept;
    ~MapWalk();

    // PT_VM_TIMESTAMP: the map's generation now (one walk of the whole map).
    Result<std::uint64_t> generation();
    // Every entry and the generation, in one walk.
    Result<WalkedMap> read_all();
    // PT_VM_ENTRY: the entry after cursor, End, or Changed, by the contract above.
    Result<WalkStep> next(const WalkCursor& cursor);

    pid_t pid() const;
    // Whether entries come from PROCMAP_QUERY (else from the maps text).
    bool uses_procmap_query() const;

  private:
    struct State;
    explicit MapWalk(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace vmatlas
