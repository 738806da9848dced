// Targets: what the command line names, recognized by what it is, turned into an AddressSpace.
//
//   a PID, "self", or a process name   -> live process (procfs)
//   "-"                                -> maps or smaps text on standard input
//   a file holding maps or smaps text  -> maps text, or smaps text with its figures
#pragma once

#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct TargetOptions {
    // Read a live process's /proc/PID/smaps (rows and figures) instead of its maps.
    bool live_figures = false;
};

Result<AddressSpace> open_target(std::string_view spec, const TargetOptions& options = {});

}  // namespace vmatlas
