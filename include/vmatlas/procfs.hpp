// The live source: a process's map from /proc/PID/maps.
//
// The file is read with read(2), past its first 256 KB by a thread that never waits for the
// parser (unless it falls 16 blocks behind), so the time between the first and the last read(2)
// is as short as `cat` makes it, and parsing overlaps the reads (see stream_process_text). Errors
// are typed: no such process, permission denied, exited while being read, kernel thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct ProcessInfo {
    pid_t pid = 0;
    // /proc/PID/comm of a process found by name; empty for a PID or "self" (the map's readers
    // read comm themselves, into the map's SourceInfo).
    std::string name;
};

// A PID, "self", or a process name (comm or argv[0] basename) that matches exactly one process.
// A name that matches several processes is an AmbiguousTarget error that lists them.
Result<ProcessInfo> resolve_process(std::string_view spec);

// True when spec can only be a process: all digits, or "self".
bool looks_like_pid(std::string_view spec);

// Reads all of a file from /proc (or anywhere) with read(2) into one string.
Result<std::string> read_proc_file(const std::string& path);

// The rows a reader of a big map (one past its first block) reserves room for: vm.max_map_count
// (the most mappings a process may have), at most 262,144. Room is address space, not memory, as
// only the rows written touch their pages; a map that fits is not copied again as doubling its
// array would copy it.
std::size_t big_map_rows();

// Called with each piece a reader of a live map is given (bytes: the text so far, 0 at first):
// once the text goes past the first kStreamBlockBytes, the map is a big one, and builder
// reserves room for big_map_rows().
void make_room_if_big(AddressSpaceBuilder& builder, std::size_t& bytes, std::size_t piece);

// A process's map, read from /proc/PID/maps as stream_process_text reads, and parsed while it is
// read.
Result<AddressSpace> read_process_maps(pid_t pid);

// Reads the maps of an already opened /proc/PID/maps descriptor: lets a test make the process
// exit between open and read. Takes ownership of fd.
Result<AddressSpace> read_process_maps_fd(pid_t pid, int fd);

// The text read on the calling thread before a thread of its own takes over the reading.
inline constexpr std::size_t kStreamBlockBytes = 256 * 1024;

// Reads /proc/PID/LEAF ("smaps", ...) to its end and hands its text to `consume`, in order and in
// pieces that may end in the middle of a line, on the calling thread. The first kStreamBlockBytes
// are read on the calling thread, each read(2) into the start of one block and handed on at once
// (most maps end there). A file that goes on starts a thread of its own for the rest of the
// read(2) calls (or reads on in the same way when no thread can be started), which fills blocks
// of kStreamBlockBytes and never waits for `consume` unless it falls 16 blocks behind: the reads
// take as long as `cat` takes (the window in which the map can change under them is no longer),
// and parsing overlaps them instead of following them. The pieces live in a few reused blocks,
// so a 45 MB smaps costs no 45 MB of fresh memory: each new page costs a fault (some 13 us on
// this project's VM; the reader's blocks are populated when made, see vmatlas/populate.hpp). Errors
// are those of read_process_maps (an empty file is explained as a kernel thread or an exit); the
// bytes read before an error have already been consumed. Returns the number of bytes read.
Result<std::size_t> stream_process_text(pid_t pid, std::string_view leaf,
                                        const std::function<void(std::string_view)>& consume);

// What a live source says about itself: kind "procfs", origin "/proc/PID/LEAF", pid, comm.
SourceInfo process_source(pid_t pid, std::string_view leaf);

// The fact behind an empty or failed read: kernel thread, exited (or zombie), or still alive.
Error explain_missing_map(pid_t pid);

}  // namespace vmatlas
