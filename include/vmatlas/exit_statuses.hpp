// The exit statuses of the vmatlas command (docs/exit-status.md) and the status and name of each
// ErrorKind: what the command exits with for an Error, and what the Python module's
// vmatlas.Error carries (.status, .kind), from this one table.
#pragma once

#include <string_view>

#include "vmatlas/result.hpp"

namespace vmatlas {

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

constexpr ExitStatus exit_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::NoSuchProcess:
            return kNoSuchTarget;
        case ErrorKind::AmbiguousTarget:
            return kAmbiguous;
        case ErrorKind::PermissionDenied:
            return kPermission;
        case ErrorKind::ProcessExited:
            return kExited;
        case ErrorKind::KernelThread:
            return kKernelThread;
        case ErrorKind::Usage:
            return kUsage;
        case ErrorKind::UnreadableInput:
        case ErrorKind::MalformedInput:
        case ErrorKind::Unsupported:
            return kBadInput;
    }
    return kBadInput;
}

// The kind's name in snake_case: "no_such_process", "ambiguous_target", ...
constexpr std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::NoSuchProcess:
            return "no_such_process";
        case ErrorKind::AmbiguousTarget:
            return "ambiguous_target";
        case ErrorKind::PermissionDenied:
            return "permission_denied";
        case ErrorKind::ProcessExited:
            return "process_exited";
        case ErrorKind::KernelThread:
            return "kernel_thread";
        case ErrorKind::UnreadableInput:
            return "unreadable_input";
        case ErrorKind::MalformedInput:
            return "malformed_input";
        case ErrorKind::Unsupported:
            return "unsupported";
        case ErrorKind::Usage:
            return "usage";
    }
    return "unreadable_input";
}

}  // namespace vmatlas
