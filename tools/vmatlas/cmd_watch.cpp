// vmatlas watch PID [--interval SECONDS] [--count N] [--json]: the changes of a live map as they
// happen. Each poll reads the map's text and compares it with the last poll's (MapTextPoll);
// only when it differs is the named map read again and compared with the last one
// (watch_events.hpp).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "exit_status.hpp"
#include "output.hpp"
#include "render/safe_text.hpp"
#include "sources/proc_stream.hpp"
#include "sources/procmap_query.hpp"
#include "vmatlas/map_walk.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/procfs.hpp"
#include "watch_events.hpp"

namespace vmatlas::cli {

namespace {

constexpr std::string_view kSchema = "vmatlas.watch/1";

// Seconds as text ("0.1", "2"), between 1 ms and a day.
std::optional<std::chrono::microseconds> parse_interval(const std::string& text) {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds < 0.001 || seconds > 86400)
        return std::nullopt;
    return std::chrono::microseconds(std::llround(seconds * 1e6));
}

// UTC, to the millisecond: 2026-12-07T09:21:05.123Z.
std::string now_text() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1,
                       t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1'000'000);
}

// s as a JSON string, quoted.
void append_json_value(std::string& out, std::string_view s) {
    out += '"';
    append_json_string(out, s);
    out += '"';
}

// One line a record: the time, the generation, the event, then the row or what the event says.
class WatchWriter {
  public:
    WatchWriter(bool json, pid_t pid) : json_(json), pid_(pid) {}

    void start(std::uint64_t generation, std::size_t rows) {
        std::string out;
        if (json_) {
            begin(out, "start", generation);
            out += fmt::format(",\"mappings\":{}}}\n", rows);
        } else {
            out = fmt::format("{} {:016x} start    pid {}, {} mappings\n", now_text(), generation,
                              pid_, rows);
        }
        write_stdout(out);
    }

    void change(const WatchChange& c, const NamedMap& before, const NamedMap& after,
                std::uint64_t generation) {
        const NamedMap& map = c.in_after ? after : before;
        const Mapping& m = map.space[c.row];
        const std::string_view name = map.notes.labels[c.row].name;
        const std::string_view path = map.space.path(m);
        const std::string_view file = path.starts_with('/') ? path : std::string_view();
        std::string was;  // what the row was, for a row that kept its start
        if (c.before_row != kNoRow) {
            const Mapping& old = before.space[c.before_row];
            switch (c.event) {
                case WatchEvent::Protected:
                    was = old.perms.view();
                    break;
                case WatchEvent::Grew:
                case WatchEvent::Shrank:
                    was = fmt::format("{:x}", old.size());
                    break;
                case WatchEvent::Renamed:
                    was = before.space.path(old);
                    break;
                default:
                    was = fmt::format("{:x} {:02x}:{:02x} {}", raw(old.offset), old.dev_major,
                                      old.dev_minor, old.inode);
            }
        }
        std::string out;
        if (json_) {
            begin(out, to_string(c.event), generation);
            out += fmt::format(
                ",\"start\":\"{:#x}\",\"end\":\"{:#x}\",\"perms\":\"{}\",\"size\":{}"
                ",\"offset\":{},\"name\":",
                m.start, m.end, m.perms.view(), m.size(), raw(m.offset));
            append_json_value(out, name);
            out += ",\"file\":";
            append_json_value(out, file);
            if (!was.empty()) {
                out += ",\"was\":";
                append_json_value(out, was);
            }
            out += "}\n";
        } else {
            out = fmt::format("{} {:016x} {:<8} {:#x}-{:#x} {} {:>8x} {:>8x} ", now_text(),
                              generation, to_string(c.event), m.start, m.end, m.perms.view(),
                              m.size(), raw(m.offset));
            append_safe(out, name.empty() ? std::string_view("-") : name);
            if (!file.empty()) out += ' ', append_safe(out, file);
            if (!was.empty()) out += " (was ", append_safe(out, was), out += ')';
            out += '\n';
        }
        write_stdout(out);
    }

    void exited(std::uint64_t generation) {
        std::string out;
        if (json_) {
            begin(out, "exited", generation);
            out += "}\n";
        } else {
            out = fmt::format("{} {:016x} exited   pid {}\n", now_text(), generation, pid_);
        }
        write_stdout(out);
    }

  private:
    void begin(std::string& out, std::string_view event, std::uint64_t generation) const {
        out += fmt::format(
            "{{\"schema\":\"{}\",\"time\":\"{}\",\"pid\":{},\"generation\":\"{:#x}\","
            "\"event\":\"{}\"",
            kSchema, now_text(), pid_, generation, event);
    }
    bool json_;
    pid_t pid_;
};

// Whether a live map changed since the last poll, exactly: each poll reads the kernel's whole
// text of /proc/PID/maps with read(2) into a buffer kept from poll to poll, and compares it byte
// for byte with the last poll's. The text holds every field of every row, so equal texts are
// equal maps. A change the read raced with shows at the latest in the next poll's text, which is
// compared with this one's: no change is missed, and one undone between two polls shows nothing.
// The descriptor is opened once and names the map the process had then: once the process exits
// or runs exec that map is gone and the text reads empty, which is an error (ProcessExited,
// with the sentence that says which), never a change.
class MapTextPoll {
  public:
    static Result<MapTextPoll> open(pid_t pid) {
        auto maps = ProcmapQuery::open(pid);  // typed errors: no such process, permission
        if (!maps) return maps.error();
        return MapTextPoll(pid, maps->release());
    }
    MapTextPoll(MapTextPoll&& o) noexcept
        : pid_(o.pid_),
          fd_(std::exchange(o.fd_, -1)),
          last_(std::move(o.last_)),
          now_(std::move(o.now_)) {}
    MapTextPoll& operator=(MapTextPoll&&) = delete;
    ~MapTextPoll() {
        if (fd_ >= 0) ::close(fd_);
    }

    // Reads the text now: whether it differs from the last poll's (the first poll's always does).
    Result<bool> changed() {
        if (::lseek(fd_, 0, SEEK_SET) < 0) return read_error();
        now_.size = 0;
        for (;;) {
            if (now_.size == now_.bytes.size())
                now_.bytes.resize(std::max<std::size_t>(2 * now_.bytes.size(), 1 << 20));
            const ssize_t r =
                ::read(fd_, now_.bytes.data() + now_.size, now_.bytes.size() - now_.size);
            if (r < 0) {
                if (errno == EINTR) continue;
                return read_error();
            }
            if (r == 0) break;
            now_.size += static_cast<std::size_t>(r);
        }
        if (now_.size == 0) return gone();
        const bool differs = now_.size != last_.size ||
                             std::memcmp(now_.bytes.data(), last_.bytes.data(), now_.size) != 0;
        std::swap(now_, last_);
        return differs;
    }

  private:
    struct Text {
        std::vector<char> bytes;  // grown, never shrunk: read into the same pages every poll
        std::size_t size = 0;
    };

    MapTextPoll(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

    // An empty text: the process exited, is a zombie or a kernel thread, or ran exec.
    Error gone() const {
        Error e = explain_missing_map(pid_);
        if (e.kind == ErrorKind::UnreadableInput)  // alive, with a map: not the one opened
            return make_error(
                ErrorKind::ProcessExited,
                fmt::format("process {} ran exec: the map that was watched is gone", pid_));
        return e;
    }
    Error read_error() const {
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot read /proc/{}/maps: {}", pid_, std::strerror(errno)));
    }

    pid_t pid_;
    int fd_;
    Text last_, now_;
};

// The process is gone (exited, a zombie, or another exec): the watch is over, not failed.
bool is_gone(const Error& e) {
    return e.kind == ErrorKind::ProcessExited || e.kind == ErrorKind::NoSuchProcess;
}

}  // namespace

int run_watch(int argc, char** argv) {
    ArgParser app{
        "The changes of a live process's map as they happen: mapped, unmapped, perms, grew, "
        "shrank, renamed, changed (offset, device or inode), one line each with the time, the "
        "map's generation (it changes only when the map did), the row and its name.",
        "vmatlas watch"};
    app.footer(
        "The map is polled: each poll reads its text and compares it with the last poll's,\n"
        "and reads the named map again only when it differs. The watch ends after\n"
        "--count changes, or when the process exits (an 'exited' line, and a sentence on\n"
        "stderr). Exit status: 0 after --count changes or the process's exit, 2 usage, 3 no\n"
        "such process, 4 permission denied, 5 the process is a zombie, 6 kernel thread,\n"
        "8 ambiguous name, 10 the output cannot be written, 11 out of memory.");
    std::string target, interval_text = "1";
    std::optional<unsigned> count;
    bool json = false;
    app.add_option("PID", target, "a PID, or a process name matching exactly one process")
        ->required();
    app.add_option("--interval SECONDS", interval_text,
                   "time between two polls, from 0.001 (default 1)");
    app.add_option("--count N", count, "end after N changes");
    app.add_flag("--json", json, "JSON Lines: one object a line, schema vmatlas.watch/1");
    if (const auto status = app.parse(argc, argv)) return *status;
    const auto interval = parse_interval(interval_text);
    if (!interval)
        return usage_error(fmt::format(
            "--interval takes seconds from 0.001 to 86400 (0.1, 2), not '{}'", interval_text));
    if (count && *count == 0) return usage_error("--count takes a number of changes from 1 on");
    if (!looks_like_pid(target) && target.find('/') != std::string::npos)
        return usage_error(fmt::format("watch takes a live process, not the file '{}'", target));

    auto process = resolve_process(target);
    if (!process) return report(process.error());
    const pid_t pid = process->pid;
    const std::string pid_text = std::to_string(pid);
    // The text is read before the named map, so that a change in between shows in the first
    // poll (as a reread that finds nothing new) instead of being missed.
    auto poll = MapTextPoll::open(pid);
    if (!poll) return report(poll.error());
    if (auto first = poll->changed(); !first) return report(first.error());
    auto before = open_named_map(pid_text);
    if (!before) return report(before.error());
    if (before->space.loss() == Loss::Exited)
        return report(make_error(ErrorKind::ProcessExited,
                                 fmt::format("process {} exited while its map was read", pid)));

    WatchWriter writer(json, pid);
    std::uint64_t generation = walk_generation(before->space);
    writer.start(generation, before->space.size());
    unsigned seen = 0;
    // The sentence is the library's (exited, a zombie, ran exec), or one of the watch's own.
    auto gone = [&](std::string why) {
        writer.exited(generation);
        if (why.empty()) why = fmt::format("process {} exited", pid);
        fmt::print(stderr, "vmatlas: {}: the watch is over\n", why);
        return finish_stdout(kOk);
    };
    for (;;) {
        std::this_thread::sleep_for(*interval);
        auto changed = poll->changed();
        if (!changed)
            return is_gone(changed.error()) ? gone(changed.error().message)
                                            : finish_stdout(report(changed.error()));
        if (!*changed) continue;
        auto after = open_named_map(pid_text);
        if (!after)
            return is_gone(after.error()) ? gone(after.error().message)
                                          : finish_stdout(report(after.error()));
        if (after->space.loss() == Loss::Exited) return gone({});
        generation = walk_generation(after->space);
        for (const WatchChange& c : watch_changes(*before, *after)) {
            writer.change(c, *before, *after, generation);
            if (count && ++seen >= *count) return finish_stdout(kOk);
        }
        before = std::move(after);
    }
}

}  // namespace vmatlas::cli
