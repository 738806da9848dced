// Where a command's output goes: standard output, or a file for `save -o`. Every write is
// checked; the first failure is remembered and said once, with its own exit status.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/result.hpp"

namespace vmatlas::cli {

// Writes all of s to standard output. After a failure the rest of the output is dropped:
// finish_stdout() says what went wrong. A closed pipe (`| head`) is no failure to report: the
// reader has what it wanted (and with SIGPIPE at its default, as a shell leaves it, the process
// ends quietly at the first write after it).
void write_stdout(std::string_view s);

// Called once the command is done: closes standard output, which reports a failure the writes
// could not (a file system that writes back late), and says the first failure in one sentence
// on stderr. Returns status when every byte was written, else kWriteFailed.
int finish_stdout(int status);

// Writes text as FILE (save -o FILE), never leaving FILE half written and never replacing what
// is not a regular file:
//  - a regular file (or none): the text goes to a new file in the same directory, which then
//    replaces FILE in one rename, keeping FILE's permissions and owner. When the owner cannot be
//    kept (FILE is another user's), FILE is written in place instead;
//  - a symbolic link is followed, and what it names is written as above;
//  - a device, a FIFO or a socket is opened and written to, as `tee` or a shell's `>` would;
//  - a directory is refused.
// An error is a sentence that names FILE (PermissionDenied or UnreadableInput).
std::optional<Error> write_file(const std::string& file, std::string_view text);

}  // namespace vmatlas::cli
