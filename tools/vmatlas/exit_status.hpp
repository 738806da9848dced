// The one place that turns library errors into a sentence on stderr, with the exit status for it
// (vmatlas/exit_statuses.hpp, documented in README.md and docs/exit-status.md).
#pragma once

#include <string>

#include "vmatlas/address_space.hpp"
#include "vmatlas/exit_statuses.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::cli {

// The statuses (kOk, kUsage, ...) and exit_status(ErrorKind) are the library's table.
using enum vmatlas::ExitStatus;

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
