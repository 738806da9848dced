// Files read on the machine a gdbserver runs on, through its host I/O packets (vFile:open,
// vFile:pread, vFile:close), and the map of the process it debugs, read that way as
// /proc/PID/maps (docs/remote.md). Nothing here resumes, stops or changes the inferior: the only
// packets sent are queries and host I/O.
#pragma once

#include <string>
#include <string_view>

#include "sources/remote_protocol.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::remote {

// A whole file of the stub's machine, read from its start until a read returns nothing, at most
// max_bytes of it (an error past that). A refusal ("F-1,errno") is a sentence that names the
// remote path and the errno: ENOENT is NoSuchProcess for a /proc path, EACCES and EPERM are
// PermissionDenied, anything else UnreadableInput.
Result<std::string> read_remote_file(RemoteConnection& stub, std::string_view path,
                                     std::size_t max_bytes = std::size_t{256} << 20);

// The process the stub debugs: from qC ("QCp<pid>.<tid>" with the multiprocess extension,
// "QC<tid>" without), else the first thread of qfThreadInfo. An error when it debugs none.
Result<int> remote_pid(RemoteConnection& stub);

// "tcp:HOST:PORT" ("tcp:[::1]:PORT" for an IPv6 address) split into its host and port; false
// when the text is not of that form.
bool split_remote_spec(std::string_view spec, std::string& host, std::string& port);

// The map of the process a gdbserver debugs, or of target.remote_pid when given (any process of
// the stub's machine: nothing is attached): its /proc/PID/maps read remotely and parsed as maps
// text, so that it is named as maps text is (a file's segments only when the file here has the
// device and inode the row names). The connection is closed, not detached: the stub keeps the
// inferior as it was and waits for its next client.
Result<Target> open_remote_target(std::string_view spec, const TargetOptions& target = {},
                                  const ConnectionOptions& options = {});

}  // namespace vmatlas::remote
