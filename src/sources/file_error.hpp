// The one sentence and error kind for a file target that cannot be opened or read: a missing file
// is exit status 3 as a missing process is, a refused one 4, anything else 7.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "vmatlas/result.hpp"

namespace vmatlas {

inline Error file_error(const std::string& path, int err) {
    if (err == ENOENT || err == ENOTDIR)
        return make_error(ErrorKind::NoSuchProcess, fmt::format("no such file: {}", path));
    if (err == EACCES || err == EPERM)
        return make_error(ErrorKind::PermissionDenied,
                          fmt::format("permission denied reading {}", path));
    return make_error(ErrorKind::UnreadableInput,
                      fmt::format("cannot read {}: {}", path, std::strerror(err)));
}

}  // namespace vmatlas
