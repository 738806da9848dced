// Files read on the machine a gdbserver runs on, through its host I/O packets (vFile:open,
// vFile:pread, vFile:close), and the map of the process it debugs, read that way as
// /proc/PID/maps (docs/remote.md). Nothing here resumes, stops or changes the inferior: the only
// packets sent are queries, host I/O, and Hg, which selects the thread whose registers the stub
// reads next (remote_process.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sources/remote_protocol.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::remote {

// A file of the stub's machine as read: its bytes from the start, and when they end before the
// file does, why.
struct RemoteText {
    std::string bytes;
    // What ended the read after some bytes had come (the stub went away, a read refused or
    // malformed, more than max_bytes): the bytes are those before it. Empty for a whole file.
    std::optional<Error> cut;
};

// A file of the stub's machine, read from its start until a read returns nothing, at most
// max_bytes of it. A failure before any byte came is an error; a refusal ("F-1,errno") is a
// sentence that names the remote path and the errno: ENOENT is NoSuchProcess for a /proc path,
// EACCES and EPERM are PermissionDenied, anything else UnreadableInput. A failure after some
// bytes came ends the text there (RemoteText::cut).
Result<RemoteText> read_remote_file(RemoteConnection& stub, std::string_view path,
                                    std::size_t max_bytes = std::size_t{256} << 20);

// At most `count` bytes of a file of the stub's machine from `offset` on: fewer only where the
// file ends. Failures as read_remote_file's.
Result<RemoteText> read_remote_range(RemoteConnection& stub, std::string_view path,
                                     std::uint64_t offset, std::size_t count);

// The process the stub debugs: from qC ("QCp<pid>.<tid>" with the multiprocess extension,
// "QC<tid>" without), else the first thread of qfThreadInfo. An error when it debugs none.
Result<int> remote_pid(RemoteConnection& stub);

// "tcp:HOST:PORT" ("tcp:[::1]:PORT" for an IPv6 address) split into its host and port; false
// when the text is not of that form.
bool split_remote_spec(std::string_view spec, std::string& host, std::string& port);

// The map of the process a gdbserver debugs, or of target.remote_pid when given (any process of
// the stub's machine: nothing is attached): its /proc/PID/maps read remotely and parsed as maps
// text; its /proc/PID/smaps, parsed as smaps text, when target.live_figures asks for figures.
// The objects' segments are named from files here with the remote files' build-ids, or from the
// remote files themselves (remote_objects.hpp, with target.sysroot), read before it returns. A read
// cut short after whole rows came keeps those rows: the map is partial (Loss::Input) and its
// diagnostics say why. Of the process the stub debugs (not target.remote_pid's), its threads with
// their stack pointers and its auxiliary vector are the target's facts (remote_process.hpp); what
// of them cannot be read is a warning among the diagnostics, never an error. The connection is
// closed, not detached: the stub keeps the inferior as it was and waits for its next client. A
// stub that is QEMU's system-mode gdbstub gives the live guest's page tables instead
// (guest_stub.hpp), as target.page_tables asks; QEMU's user-mode gdbstub, which reads no files,
// is refused (Unsupported) with a sentence that points at qemu-user:PID.
Result<Target> open_remote_target(std::string_view spec, const TargetOptions& target = {},
                                  const ConnectionOptions& options = {});

}  // namespace vmatlas::remote
