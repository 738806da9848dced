// Where a command's output goes: standard output, or a file for `save -o`. Every write is
// checked; the first failure is remembered and said once, with its own exit status.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "render/write_file.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::cli {

// Writes all of s to standard output. After a failure the rest of the output is dropped:
// finish_stdout() says what went wrong. A closed pipe (`| head`) is no failure to report: the
// reader has what it wanted (and with SIGPIPE at its default, as a shell leaves it, the process
// ends quietly at the first write after it).
void write_stdout(std::string_view s);

// Whether a write to standard output failed (a closed pipe included): what follows is dropped.
bool stdout_failed();

// Called once the command is done: closes standard output, which reports a failure the writes
// could not (a file system that writes back late), and says the first failure in one sentence
// on stderr. Returns status when every byte was written, else kWriteFailed.
int finish_stdout(int status);

// Writes text as FILE (save -o FILE): render/write_file.hpp.
using vmatlas::write_file;

}  // namespace vmatlas::cli
