// The live source: a process's map from /proc/PID/maps.
//
// The file is read with read(2), past its first 256 KB by a thread that never waits for the
// parser, so the time between the first and the last read(2) is as short as `cat` makes it, and
// parsing overlaps the reads (src/sources/proc_stream.hpp). Errors are typed: no such process,
// permission denied, exited while being read, kernel thread.
#pragma once

#include <sys/types.h>

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

// A process's map, read from /proc/PID/maps, and parsed while it is read.
Result<AddressSpace> read_process_maps(pid_t pid);

}  // namespace vmatlas
