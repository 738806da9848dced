// Exit statuses of vmatlas (documented in README.md and docs/exit-status.md) and the one place
// that turns library errors into a sentence on stderr.
#pragma once

#include <string>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::cli {

enum ExitStatus : int {
    kOk = 0,
    kNoMatch = 1,       // the filter matched no mapping
    kUsage = 2,         // bad command line
    kNoSuchTarget = 3,  // no such process or file
    kPermission = 4,    // permission denied
    kExited = 5,        // the process exited while being read (or is a zombie)
    kKernelThread = 6,  // a kernel thread has no memory map
    kBadInput = 7,      // unreadable, malformed or unsupported input
    kAmbiguous = 8,     // a process name that matches several processes
    kPartial = 9,       // part of the input could not be read; the rest was shown
    kWriteFailed = 10,  // the output could not be written (a full disk, a closed file)
    kOutOfMemory = 11,  // memory ran out
};

int exit_status(ErrorKind kind);

// Prints "vmatlas: <message>" on stderr and returns the exit status for it.
int report(const Error& error);

// Prints "vmatlas: <message>" (a mistake in the command line) and returns kUsage.
int usage_error(std::string_view message);

// Prints "vmatlas: warning: <message>" on stderr.
void report_warning(std::string_view message);

// Prints the diagnostics of a source as warnings (at most a screenful) on stderr; returns kOk
// for a whole map, kExited when the process exited while its map was read, and kPartial for
// any other loss (rows rejected or dropped, part of the input unreadable). `about`, when given,
// starts every line ("before.maps: line 3, column 9: ..."): a command with two targets says whose.
int report_diagnostics(const AddressSpace& space, std::string_view about = {});

}  // namespace vmatlas::cli
