// Reading a live process's /proc files as a stream, internal to the sources: the machinery that
// read_process_maps (procfs.cpp) and read_process_smaps (smaps.cpp) share.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

// The rows a reader of a big map (one past its first block) reserves room for: vm.max_map_count
// (the most mappings a process may have), at most 262,144. Room is address space, not memory, as
// only the rows written touch their pages; a map that fits is not copied again as doubling its
// array would copy it.
std::size_t big_map_rows();

// Called with each piece a reader of a live map is given (bytes: the text so far, 0 at first):
// once the text goes past the first kStreamBlockBytes, the map is a big one, and builder
// reserves room for big_map_rows().
void make_room_if_big(AddressSpaceBuilder& builder, std::size_t& bytes, std::size_t piece);

// Reads the maps of an already opened /proc/PID/maps descriptor: lets a test make the process
// exit between open and read. Takes ownership of fd.
Result<AddressSpace> read_process_maps_fd(pid_t pid, int fd);

// The text read on the calling thread before a thread of its own takes over the reading.
inline constexpr std::size_t kStreamBlockBytes = 256 * 1024;

// How a read of a live process's file ended: the bytes read, and whether the text may have been
// cut short (loss Exited: the process exited, or began to, while it was read; Input: a read(2)
// failed part-way), with a sentence that says so.
struct LiveRead {
    std::size_t bytes = 0;
    Loss loss = Loss::None;
    std::string why;
};

// Reads /proc/PID/LEAF ("smaps", ...) to its end and hands its text to `consume`, in order and in
// pieces that may end in the middle of a line, on the calling thread. The first kStreamBlockBytes
// are read on the calling thread, each read(2) into the start of one block and handed on at once
// (most maps end there). A file that goes on starts a thread of its own for the rest of the
// read(2) calls (or reads on in the same way when no thread can be started), which fills blocks
// of kStreamBlockBytes and never waits for `consume` unless it falls 16 blocks behind: the reads
// take as long as `cat` takes (the window in which the map can change under them is no longer),
// and parsing overlaps them instead of following them. The pieces live in a few reused blocks,
// so a 45 MB smaps costs no 45 MB of fresh memory.
//
// The file is opened through /proc/PID opened as a directory, and the process's stat is read
// through it before and after the read: the kernel ends the text early, as if at its end, once
// the process's memory map is released, so a process that is gone (or has another start time),
// a zombie, or exiting (PF_EXITING) after the read may have had its text cut short; the result
// says so (LiveRead::loss). Errors are those of read_process_maps: an empty text is explained as
// a kernel thread, an exit (a zombie or an exiting task) or an empty map; the bytes read before an
// error have already been consumed.
Result<LiveRead> stream_process_text(pid_t pid, std::string_view leaf,
                                     const std::function<void(std::string_view)>& consume);

// Records what a read lost, if anything, in builder: a diagnostic and the loss.
void note_read_end(AddressSpaceBuilder& builder, const LiveRead& read);

// A mapped file's true name, as /proc/PID/map_files/START-END knows it: the bytes of its path
// (a newline as a newline, never "\012"), and whether the file was deleted. nothing when the
// process's map_files cannot be read (it needs CAP_SYS_ADMIN, or the mapping is gone).
struct TrueName {
    std::string path;  // without the " (deleted)" the kernel appends to a deleted file's
    bool deleted = false;
};
std::optional<TrueName> read_true_name(pid_t pid, Addr start, Addr end);

// What a live source says about itself: kind "procfs", origin "/proc/PID/LEAF", pid, comm and
// command line (empty when either cannot be read).
SourceInfo process_source(pid_t pid, std::string_view leaf);

// The fact behind an empty or failed read: kernel thread, exited (or zombie), or still alive.
Error explain_missing_map(pid_t pid);

}  // namespace vmatlas
