// Targets: what the command line names, recognized by what it is, turned into an AddressSpace.
//
//   a PID, "self", or a process name   -> live process (procfs)
//   "-"                                -> maps text on standard input
//   a file holding maps text           -> maps text
#pragma once

#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

Result<AddressSpace> open_target(std::string_view spec);

}  // namespace vmatlas
