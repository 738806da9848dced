// Writing a view's text to a file descriptor or as a file, every write checked: what
// `vmatlas save -o FILE` and the Python module's Map.save do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/result.hpp"

namespace vmatlas {

// Writes all of s to fd: 0, or the errno of the write that failed (EIO for a write of nothing).
int write_all(int fd, std::string_view s);

// Writes text as FILE, never leaving FILE half written and never replacing what is not a
// regular file:
//  - a regular file (or none): the text goes to a new file in the same directory, which then
//    replaces FILE in one rename, keeping FILE's permissions and owner. When the owner cannot be
//    kept (FILE is another user's), FILE is written in place instead;
//  - a symbolic link is followed, and what it names is written as above;
//  - a device, a FIFO or a socket is opened and written to, as `tee` or a shell's `>` would;
//  - a directory is refused.
// An error is a sentence that names FILE (PermissionDenied or UnreadableInput).
std::optional<Error> write_file(const std::string& file, std::string_view text);

}  // namespace vmatlas
