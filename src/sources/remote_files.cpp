// Host I/O through a gdbserver, and the map of its inferior read with it (remote_files.hpp).
#include "sources/remote_files.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "sources/guest_stub.hpp"
#include "sources/remote_objects.hpp"
#include "sources/remote_process.hpp"
#include "sources/smaps_lines.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas::remote {

namespace {

// gdb's File-I/O errno values (gdb's manual, "Errno Values") as this machine's. They are Linux's
// but for ENAMETOOLONG.
int local_errno(long remote) {
    constexpr long kSame[] = {1, 2, 4, 9, 13, 14, 16, 17, 19, 20, 21, 22, 23, 24, 27, 28, 29, 30};
    if (remote == 91) return ENAMETOOLONG;
    for (const long e : kSame)
        if (remote == e) return static_cast<int>(e);
    return 0;  // EUNKNOWN (9999) and what gdb does not define
}

std::string describe_errno(long remote) {
    const int e = local_errno(remote);
    return e != 0 ? fmt::format("{} (errno {})", std::strerror(e), remote)
                  : fmt::format("an unknown error (errno {})", remote);
}

// A hex number with an optional '-', as host I/O replies write them.
std::optional<long long> parse_hex(std::string_view text) {
    bool negative = false;
    if (!text.empty() && text[0] == '-') negative = true, text.remove_prefix(1);
    if (text.empty() || text.size() > 15) return std::nullopt;
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return negative ? -v : v;
}

// A host I/O reply: "F" result ["," errno] [";" attachment].
struct FileReply {
    long long result = 0;
    long errno_value = 0;
    std::string_view attachment;
};

std::optional<FileReply> parse_file_reply(std::string_view reply) {
    if (reply.empty() || reply[0] != 'F') return std::nullopt;
    reply.remove_prefix(1);
    FileReply r;
    if (const auto semi = reply.find(';'); semi != std::string_view::npos) {
        r.attachment = reply.substr(semi + 1);
        reply = reply.substr(0, semi);
    }
    std::string_view result = reply;
    if (const auto comma = reply.find(','); comma != std::string_view::npos) {
        const auto e = parse_hex(reply.substr(comma + 1));
        if (!e) return std::nullopt;
        r.errno_value = static_cast<long>(*e);
        result = reply.substr(0, comma);
    }
    const auto v = parse_hex(result);
    if (!v) return std::nullopt;
    r.result = *v;
    return r;
}

Error refused(const RemoteConnection& stub, std::string_view what, std::string_view path,
              long remote_errno) {
    const int e = local_errno(remote_errno);
    const ErrorKind kind = e == ENOENT && path.starts_with("/proc/") ? ErrorKind::NoSuchProcess
                           : e == EACCES || e == EPERM               ? ErrorKind::PermissionDenied
                                                                     : ErrorKind::UnreadableInput;
    return make_error(kind, fmt::format("{} cannot {} {}: {}", stub.name(), what, path,
                                        describe_errno(remote_errno)));
}

Error bad_reply(RemoteConnection& stub, std::string_view request, std::string_view reply) {
    stub.close();
    if (reply.empty())
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} does not support {} (its reply is empty): it reads no "
                                      "files for its clients",
                                      stub.name(), request));
    return make_error(
        ErrorKind::UnreadableInput,
        fmt::format("{} answered {} with '{}', which is no host I/O reply", stub.name(), request,
                    reply.substr(0, std::min<std::size_t>(reply.size(), 40))));
}

// The most data one vFile:pread asks for: what fits in the stub's packets escaped (each byte at
// most two), with room for the reply's "F<len>;".
std::size_t pread_size(const RemoteConnection& stub) {
    std::size_t packet = 4096;
    const std::string& s = stub.supported();
    if (const auto at = s.find("PacketSize="); at != std::string::npos) {
        const auto end = s.find(';', at);
        if (const auto v = parse_hex(std::string_view(s).substr(at + 11, end - at - 11));
            v && *v >= 256)
            packet = static_cast<std::size_t>(std::min<long long>(*v, 1 << 20));
    }
    return (packet - 32) / 2;
}

// A thread id "p<pid>.<tid>" or "<tid>" (hex) as the process it is in.
std::optional<long long> pid_of_thread(std::string_view id) {
    if (id.starts_with('p')) {
        id.remove_prefix(1);
        id = id.substr(0, id.find('.'));
    }
    return parse_hex(id);
}

}  // namespace

namespace {

// Reads from `offset` until a read returns nothing, or until `limit` bytes came when
// `stop_at_limit`; otherwise more than `limit` bytes is an error.
Result<RemoteText> read_remote(RemoteConnection& stub, std::string_view path, std::uint64_t offset,
                               std::size_t limit, bool stop_at_limit) {
    // Flags and mode are gdb's File-I/O values: O_RDONLY is 0.
    const std::string open = fmt::format("vFile:open:{},0,0", hex_text(path));
    auto opened = stub.request(open);
    if (!opened) return opened.error();
    const auto fd = parse_file_reply(*opened);
    if (!fd) return bad_reply(stub, "vFile:open", *opened);
    if (fd->result < 0) return refused(stub, "open", path, fd->errno_value);

    const std::size_t chunk = pread_size(stub);
    RemoteText file;
    std::string& text = file.bytes;
    // The next piece of the file: empty at its end.
    auto next = [&]() -> Result<std::string> {
        const std::size_t ask = stop_at_limit ? std::min(chunk, limit - text.size()) : chunk;
        auto got = stub.request(
            fmt::format("vFile:pread:{:x},{:x},{:x}", fd->result, ask, offset + text.size()));
        if (!got) return got.error();
        const auto reply = parse_file_reply(*got);
        if (!reply) return bad_reply(stub, "vFile:pread", *got);
        if (reply->result < 0) return refused(stub, "read", path, reply->errno_value);
        auto data = unescape(reply->attachment);
        if (!data)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("{} sent a malformed read of {}: {}", stub.name(), path,
                                          data.error().message));
        if (static_cast<long long>(data->size()) != reply->result)
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("{} said it read {} bytes of {} at offset {} but sent {}", stub.name(),
                            reply->result, path, offset + text.size(), data->size()));
        if (data->size() > limit - text.size())
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("{} on {} is larger than {} bytes", path, stub.name(), limit));
        return data;
    };
    std::optional<Error> failed;
    while (!stop_at_limit || text.size() < limit) {
        auto data = next();
        if (!data) {
            failed = data.error();
            break;
        }
        if (data->empty()) break;
        text += *data;
    }
    // The bytes are whole whatever the close gives; a stub that went away is seen by the next
    // request.
    if (stub.connected()) (void)stub.request(fmt::format("vFile:close:{:x}", fd->result));
    if (failed && text.empty()) return *failed;
    file.cut = std::move(failed);
    return file;
}

}  // namespace

Result<RemoteText> read_remote_file(RemoteConnection& stub, std::string_view path,
                                    std::size_t max_bytes) {
    return read_remote(stub, path, 0, max_bytes, false);
}

Result<RemoteText> read_remote_range(RemoteConnection& stub, std::string_view path,
                                     std::uint64_t offset, std::size_t count) {
    return read_remote(stub, path, offset, count, true);
}

namespace {

// The process the stub debugs, from qC, else the first thread of qfThreadInfo; nothing when it
// names none. `current` is qC's reply.
//
// A stub that debugs none is sent "!" first (extended mode, as gdb's target extended-remote
// asks): in the plain protocol a gdbserver that debugs no process ends when its client leaves,
// where in extended mode it waits for the next (gdbserver --multi). It changes nothing of a
// process; the stub keeps the mode for good, and one without it is read all the same.
Result<std::optional<int>> debugged_pid(RemoteConnection& stub, std::string& current) {
    auto reply = stub.request("qC");
    if (!reply) return reply.error();
    current = std::move(*reply);
    std::optional<long long> pid;
    if (current.starts_with("QC")) pid = pid_of_thread(std::string_view(current).substr(2));
    if (!pid || *pid <= 0) {
        auto threads = stub.request("qfThreadInfo");
        if (!threads) return threads.error();
        if (threads->starts_with('m')) {
            const std::string_view list = std::string_view(*threads).substr(1);
            pid = pid_of_thread(list.substr(0, list.find(',')));
        }
    }
    if (pid && *pid > 0 && *pid <= 0x7fffffff) return std::optional<int>(static_cast<int>(*pid));
    if (auto extended = stub.request("!"); !extended) return extended.error();
    return std::optional<int>();
}

Error no_process(RemoteConnection& stub, std::string_view current) {
    stub.close();
    return make_error(ErrorKind::NoSuchProcess,
                      fmt::format("{} debugs no process (its qC reply is '{}'): give --remote-pid "
                                  "PID to read a process of its machine, or start gdbserver with "
                                  "a program or --attach PID",
                                  stub.name(), current.substr(0, 40)));
}

// The text up to the end of its last whole row, for a read cut short: it may end inside a line,
// and smaps text inside a row's figures, which end with its VmFlags line. A row of smaps text
// starts with its addresses (a digit or a-f), a figure line with a capital letter.
std::string_view whole_rows(std::string_view text, bool smaps) {
    text = text.substr(0, text.rfind('\n') + 1);  // npos + 1 is 0: no whole line
    if (!smaps) return text;
    for (std::size_t end = text.size(); end > 0;) {
        const std::size_t newline = end >= 2 ? text.rfind('\n', end - 2) : std::string_view::npos;
        const std::size_t start = newline == std::string_view::npos ? 0 : newline + 1;
        const std::string_view line = text.substr(start, end - start);
        if (line.starts_with("VmFlags:")) return text.substr(0, end);
        const char c = line.empty() ? '\0' : line[0];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) return text.substr(0, start);
        end = start;
    }
    return {};
}

// The rows of maps or smaps text (as its source's kind says) as the kernel wrote it on the
// stub's machine, with `lost`, when given, as what the input lost, and `warnings` as what else
// could not be read. Names marked " (deleted)" are the kernel's, as for saved text, since the
// files are another machine's view of the process.
AddressSpace parse_rows(std::string_view text, SourceInfo source, std::optional<std::string> lost,
                        std::vector<std::string> warnings) {
    const bool smaps = source.kind == SourceKind::SmapsText;
    AddressSpaceBuilder builder(std::move(source));
    if (lost) builder.lose({0, 0, std::move(*lost)});
    for (std::string& w : warnings) builder.warn({0, 0, std::move(w)});
    if (smaps) {
        detail::SmapsStream parser(builder);
        parser.feed(text);
        parser.finish();
        AddressSpace space = std::move(builder).build();
        if (!parser.saw_figures()) space.set_figures({});
        return space;
    }
    MapsTextParser parser(builder, MapsTextOptions{.pasted_rows = false, .live_pid = 0});
    parser.feed(text);
    parser.finish();
    return std::move(builder).build();
}

}  // namespace

Result<int> remote_pid(RemoteConnection& stub) {
    std::string current;
    auto pid = debugged_pid(stub, current);
    if (!pid) return pid.error();
    if (!*pid) return no_process(stub, current);
    return **pid;
}

bool split_remote_spec(std::string_view spec, std::string& host, std::string& port) {
    if (!spec.starts_with("tcp:")) return false;
    spec.remove_prefix(4);
    std::string_view h, p;
    if (spec.starts_with('[')) {
        const auto close = spec.find(']');
        if (close == std::string_view::npos || spec.substr(close + 1, 1) != ":") return false;
        h = spec.substr(1, close - 1);
        p = spec.substr(close + 2);
    } else {
        const auto colon = spec.rfind(':');
        if (colon == std::string_view::npos) return false;
        h = spec.substr(0, colon);
        p = spec.substr(colon + 1);
        if (h.find(':') != std::string_view::npos) return false;  // IPv6 goes in brackets
    }
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string_view::npos)
        return false;
    host = h.empty() ? "localhost" : std::string(h);
    port = std::string(p);
    return true;
}

Result<Target> open_remote_target(std::string_view spec, const TargetOptions& target,
                                  const ConnectionOptions& options) {
    std::string host, port;
    if (!split_remote_spec(spec, host, port))
        return make_error(ErrorKind::Usage,
                          fmt::format("'{}' is no remote target: give tcp:HOST:PORT (tcp:[ADDR]:"
                                      "PORT for an IPv6 address), as gdbserver listens on",
                                      spec));
    auto stub = RemoteConnection::connect(host, port, options);
    if (!stub) return stub.error();
    auto qemu = guest::is_qemu_system_stub(*stub);
    if (!qemu) return qemu.error();
    if (*qemu) return guest::read_live_guest(*stub, target.page_tables);
    auto qemu_user = guest::is_qemu_user_stub(*stub);
    if (!qemu_user) return qemu_user.error();
    if (*qemu_user) {
        stub->close();
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} is QEMU's user-mode gdbstub, which reads no files and "
                                      "gives no map: give qemu-user:PID, PID the QEMU process's "
                                      "on its machine (docs/qemu-user.md)",
                                      stub->name()));
    }
    // /proc/PID of the stub's machine is read as any file there: no process need be attached.
    // The stub is asked what it debugs all the same, so that one that debugs none stays.
    std::string current;
    auto debugged = debugged_pid(*stub, current);
    if (!debugged) return debugged.error();
    if (!*debugged && !target.remote_pid) return no_process(*stub, current);
    const int pid = target.remote_pid ? *target.remote_pid : **debugged;
    // smaps when the views want figures: the same rows, each with its figures.
    const bool smaps = target.live_figures;
    const std::string path = fmt::format("/proc/{}/{}", pid, smaps ? "smaps" : "maps");
    auto file = read_remote_file(*stub, path);
    if (!file) return file.error();
    const std::string_view text = file->cut ? whole_rows(file->bytes, smaps) : file->bytes;
    // The name is a courtesy: a stub that cannot give it still gives the map.
    std::string name;
    if (stub->connected())
        if (auto comm = read_remote_file(*stub, fmt::format("/proc/{}/comm", pid), 4096);
            comm && !comm->cut) {
            name = std::move(comm->bytes);
            if (name.ends_with('\n')) name.pop_back();
        }
    // Threads with their stack pointers and the auxiliary vector, of the process the stub
    // debugs only: --remote-pid's is not attached, and has no registers to read.
    RemoteProcess process;
    if (!target.remote_pid && stub->connected()) process = read_remote_process(*stub, pid, current);
    std::optional<std::string> lost;
    if (file->cut)
        lost = fmt::format("{}: {} was read to offset {:#x}, and the rows after it are missing",
                           file->cut->message, path, text.size());
    Target t;
    t.kind = TargetKind::MapsText;
    t.space = parse_rows(text,
                         SourceInfo{smaps ? SourceKind::SmapsText : SourceKind::MapsText,
                                    fmt::format("{}:{}", stub->name(), path), pid, std::move(name)},
                         std::move(lost), std::move(process.warnings));
    t.facts = std::move(process.facts);
    // The objects' headers are read now, while the connection holds: the ELF stage runs later.
    // (A connection lost already leaves them all unnamed, with one warning.)
    if (!t.space.empty())
        t.objects = fetch_remote_objects(
            *stub, t.space,
            ObjectSources{.sysroot = target.sysroot, .cache_dir = default_cache_dir()});
    // Closed without a 'D': gdbserver then keeps its inferior stopped as it was and waits for
    // its next client, where a detach would let the inferior run on (or end gdbserver).
    stub->close();

    if (t.space.empty() && t.space.rows().rejected == 0) {
        if (file->cut) return *file->cut;  // not one whole row came
        return make_error(ErrorKind::ProcessExited,
                          fmt::format("{} on {} holds no rows: process {} has no memory map (it "
                                      "has exited, or is a kernel thread)",
                                      path, stub->name(), pid));
    }
    return t;
}

}  // namespace vmatlas::remote
