// The live source: a process's map from /proc/PID/maps.
//
// The file is read whole with read(2) into one buffer and then parsed, so that the time spent
// between the first and the last read(2) is as short as it can be. Errors are typed: no such
// process, permission denied, exited while being read, kernel thread.
#pragma once

#include <sys/types.h>
#include <string>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct ProcessInfo {
    pid_t pid = 0;
    std::string name;  // /proc/PID/comm
};

// A PID, "self", or a process name (comm or argv[0] basename) that matches exactly one process.
// A name that matches several processes is an AmbiguousTarget error that lists them.
Result<ProcessInfo> resolve_process(std::string_view spec);

// True when spec looks like a process rather than a file: digits, "self", or no such file.
bool looks_like_pid(std::string_view spec);

// Reads all of a file from /proc (or anywhere) with read(2) into one string.
Result<std::string> read_proc_file(const std::string& path);

// A process's map, read from /proc/PID/maps.
Result<AddressSpace> read_process_maps(pid_t pid);

// Reads the maps of an already opened /proc/PID/maps descriptor: lets a test make the process
// exit between open and read. Takes ownership of fd.
Result<AddressSpace> read_process_maps_fd(pid_t pid, int fd);

// The fact behind an empty or failed read: kernel thread, exited (or zombie), or still alive.
Error explain_missing_map(pid_t pid);

}  // namespace vmatlas
