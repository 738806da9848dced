// The live source. /proc/PID/maps and smaps are read with read(2) in blocks: the first on the
// calling thread, the rest (a big map) on a reader thread that never waits for the parser, so
// the reads take no longer than `cat` takes (the window in which the kernel's non-atomic reads
// can see the map change is not stretched) and parsing overlaps them.
#include "vmatlas/procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "sources/proc_stream.hpp"
#include "sources/text.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {

namespace {

// Task flags from the kernel's include/linux/sched.h: a kernel thread, and a task that has begun
// to exit (set before its memory map is released).
constexpr unsigned long kPfKthread = 0x00200000;
constexpr unsigned long kPfExiting = 0x00000004;

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string proc_path(pid_t pid, std::string_view leaf) {
    return fmt::format("/proc/{}/{}", pid, leaf);
}

// /proc/PID/cmdline as one line, as procps prints it: the NULs that end the arguments become
// spaces, but for those at the end.
std::string command_line(std::string cmdline) {
    while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    return cmdline;
}

std::string trim_newline(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    return s;
}

// State letter, flags and start time from /proc/PID/stat. The name field may hold ')' and
// spaces, so the fields after it are found from the last ')'.
struct TaskStat {
    char state = '?';
    unsigned long flags = 0;
    std::uint64_t start_time = 0;  // clock ticks after boot: with the PID, names one process

    // Exited, a zombie, or exiting: its memory map is gone or going.
    bool exiting() const { return state == 'Z' || state == 'X' || (flags & kPfExiting); }
};

std::optional<TaskStat> parse_task_stat(std::string_view s) {
    const std::size_t close = s.rfind(')');
    if (close == std::string_view::npos || close + 2 >= s.size()) return std::nullopt;
    TaskStat st;
    st.state = s[close + 2];
    // The fields after the state, from the 4th (ppid) on: flags is the 9th, starttime the 22nd.
    std::size_t field = 3, pos = close + 3;
    while (pos < s.size() && field < 22) {
        const std::size_t begin = pos + 1;
        ++field;
        const text::DigitRun run = text::scan_decimal(s.substr(begin));
        if (field == 9 && run.ok()) st.flags = run.value;
        if (field == 22 && run.ok()) st.start_time = run.value;
        pos = s.find(' ', begin);
        if (pos == std::string_view::npos) break;
    }
    return st;
}

// read(2), again when a signal interrupts it.
ssize_t read_retrying(int fd, char* at, std::size_t room) {
    ssize_t n;
    do n = ::read(fd, at, room);
    while (n < 0 && errno == EINTR);
    return n;
}

// The stat of the process whose /proc directory dirfd is; nothing once it has been reaped.
std::optional<TaskStat> read_task_stat_at(int dirfd) {
    const int fd = ::openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];  // the fields read end well before: a comm is at most 64 bytes
    const ssize_t n = read_retrying(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    return parse_task_stat(std::string_view(buf, static_cast<std::size_t>(n)));
}

std::optional<TaskStat> read_task_stat(pid_t pid) {
    auto file = read_proc_file(proc_path(pid, "stat"));
    if (!file) return std::nullopt;
    return parse_task_stat(*file);
}

// Why the kernel refused to show a process's map, and what would let vmatlas read it. Reading
// another process's map needs ptrace's read access: the same user (real, effective and saved
// ids), a dumpable process, or CAP_SYS_PTRACE; Yama's ptrace_scope restricts attaching only, not
// this.
std::string permission_remedy(pid_t pid) {
    if (::geteuid() == 0)
        return "even root may not read it here: a security module (AppArmor, SELinux) or a "
               "missing CAP_SYS_PTRACE forbids it";
    struct stat st;
    if (::stat(proc_path(pid, "").c_str(), &st) == 0 && st.st_uid != ::geteuid()) {
        // /proc/PID belongs to the process's effective user, or to root when it is not dumpable.
        if (st.st_uid == 0)
            return fmt::format("process {} runs as root or is not dumpable: run vmatlas as root",
                               pid);
        return fmt::format("process {} runs as uid {}: run vmatlas as that user or as root", pid,
                           st.st_uid);
    }
    return fmt::format(
        "process {} is not dumpable (it changed its user or group, or runs a "
        "setuid program): run vmatlas as root",
        pid);
}

Error open_error(pid_t pid, const std::string& path, int err) {
    switch (err) {
        case ENOENT:
        case ESRCH:
            return make_error(ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", pid));
        case EACCES:
        case EPERM:
            return make_error(
                ErrorKind::PermissionDenied,
                fmt::format("permission denied reading {}: {}", path, permission_remedy(pid)));
        default:
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("cannot read {}: {}", path, std::strerror(err)));
    }
}

std::string basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Reads fd to its end into out; 0 or the errno of the failed read(2). Most files read here are a
// line (a thread's comm, a stat): their bytes go to the stack first, so that one that ends there
// costs a string of its own size, not a large buffer for every thread.
int read_all(int fd, std::string& out) {
    char head[4096];
    std::size_t used = 0;
    while (used < sizeof head) {
        const ssize_t n = read_retrying(fd, head + used, sizeof head - used);
        if (n <= 0) {
            const int err = n < 0 ? errno : 0;
            out.assign(head, used);
            return err;
        }
        used += static_cast<std::size_t>(n);
    }
    // A long file: on in a string that doubles.
    out.assign(head, used);
    out.resize(4 * sizeof head);
    for (;;) {
        if (out.size() - used < sizeof head) out.resize(out.size() * 2);
        const ssize_t n = read_retrying(fd, out.data() + used, out.size() - used);
        if (n <= 0) {
            const int err = n < 0 ? errno : 0;
            out.resize(used);
            return err;
        }
        used += static_cast<std::size_t>(n);
    }
}

}  // namespace

bool looks_like_pid(std::string_view spec) {
    return spec == "self" || all_digits(spec);
}

Result<std::string> read_proc_file(const std::string& path) {
    auto failed = [&](int err) {
        const ErrorKind kind = err == ESRCH                    ? ErrorKind::ProcessExited
                               : err == EACCES || err == EPERM ? ErrorKind::PermissionDenied
                               : err == ENOENT                 ? ErrorKind::NoSuchProcess
                                                               : ErrorKind::UnreadableInput;
        return make_error(kind, fmt::format("cannot read {}: {}", path, std::strerror(err)));
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return failed(errno);
    std::string out;
    const int err = read_all(fd, out);
    ::close(fd);
    if (err != 0) return failed(err);
    return out;
}

Result<ProcessInfo> resolve_process(std::string_view spec) {
    if (spec == "self") return ProcessInfo{::getpid(), ""};
    if (all_digits(spec)) {
        if (spec.size() > 9)
            return make_error(ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", spec));
        const pid_t pid = static_cast<pid_t>(std::stol(std::string(spec)));
        struct stat st;
        if (pid <= 0 || ::stat(proc_path(pid, "").c_str(), &st) != 0)
            return make_error(ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", spec));
        return ProcessInfo{pid, ""};
    }

    std::vector<ProcessInfo> found;
    DIR* dir = ::opendir("/proc");
    if (!dir) return make_error(ErrorKind::UnreadableInput, "cannot list /proc");
    const pid_t self = ::getpid();
    while (const dirent* e = ::readdir(dir)) {
        if (!all_digits(e->d_name)) continue;
        const pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
        if (pid == self) continue;
        auto comm = read_proc_file(proc_path(pid, "comm"));
        if (!comm) continue;  // gone since readdir
        std::string name = trim_newline(*comm);
        bool match = name == spec;
        if (!match) {
            // comm is cut to 15 bytes; argv[0]'s basename is the name people type.
            auto cmdline = read_proc_file(proc_path(pid, "cmdline"));
            if (cmdline && !cmdline->empty())
                match = basename_of(std::string_view(cmdline->c_str())) == spec;
        }
        if (match) found.push_back({pid, std::move(name)});
    }
    ::closedir(dir);

    if (found.empty())
        return make_error(ErrorKind::NoSuchProcess, fmt::format("no process is named '{}'", spec));
    if (found.size() > 1) {
        std::string list;
        for (const auto& p : found)
            list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", p.pid, p.name);
        return make_error(
            ErrorKind::AmbiguousTarget,
            fmt::format("{} processes are named '{}': {}; give a PID", found.size(), spec, list));
    }
    return found.front();
}

namespace {

// The fact behind an empty read, from the process's stat after it: kernel thread, exited (a
// zombie, or exiting: its memory map is already released), or still alive.
Error explain_missing(pid_t pid, const std::optional<TaskStat>& st) {
    if (!st)
        return make_error(ErrorKind::ProcessExited,
                          fmt::format("process {} exited while its map was being read", pid));
    if (st->flags & kPfKthread)
        return make_error(ErrorKind::KernelThread,
                          fmt::format("process {} is a kernel thread: it has no memory map", pid));
    if (st->state == 'Z' || st->state == 'X')
        return make_error(ErrorKind::ProcessExited,
                          fmt::format("process {} has exited (it is a zombie): it has no memory "
                                      "map left",
                                      pid));
    if (st->flags & kPfExiting)
        return make_error(ErrorKind::ProcessExited,
                          fmt::format("process {} is exiting: it has no memory map left", pid));
    return make_error(ErrorKind::UnreadableInput,
                      fmt::format("process {} showed an empty memory map", pid));
}

}  // namespace

Error explain_missing_map(pid_t pid) {
    return explain_missing(pid, read_task_stat(pid));
}

namespace {

// The blocks the reader thread fills and the consumer empties: made as needed, then reused.
class BlockRing {
  public:
    // Up to 16 blocks (4 MB at the callers' 256 KB) read ahead of the parser: the parser keeps up
    // on average but may wake late between blocks, and the reader must not wait for it (the
    // window in which the map can change under the reads would grow). The blocks past the first
    // few are only made when the parser falls behind.
    static constexpr std::size_t kBlocks = 16;

    struct Block {
        explicit Block(std::size_t size)
            : data(std::make_unique_for_overwrite<char[]>(size)), size(size) {}
        std::unique_ptr<char[]> data;  // not zero-filled: read(2) writes every byte used
        std::size_t size, used = 0;
    };

    // Blocks are made when first needed: a small map is read into one.
    explicit BlockRing(std::size_t block_size) : block_size_(block_size) {}

    // A block to fill (a new one while fewer than kBlocks exist), or null when the consumer has
    // gone.
    std::unique_ptr<Block> take_free() {
        std::unique_lock lock(mutex_);
        if (cancelled_) return nullptr;
        if (free_.empty() && made_ < kBlocks) {
            ++made_;
            return std::make_unique<Block>(block_size_);
        }
        cv_.wait(lock, [&] { return !free_.empty() || cancelled_; });
        if (cancelled_) return nullptr;
        auto b = std::move(free_.back());
        free_.pop_back();
        return b;
    }
    void put_full(std::unique_ptr<Block> b) {
        {
            std::lock_guard lock(mutex_);
            full_.push_back(std::move(b));
        }
        cv_.notify_all();
    }
    void finish(int err) {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
            err_ = err;
        }
        cv_.notify_all();
    }

    // Consumer side: the next full block, or null at the end.
    std::unique_ptr<Block> take_full() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !full_.empty() || done_; });
        if (full_.empty()) return nullptr;
        auto b = std::move(full_.front());
        full_.pop_front();
        return b;
    }
    void put_free(std::unique_ptr<Block> b) {
        b->used = 0;
        {
            std::lock_guard lock(mutex_);
            free_.push_back(std::move(b));
        }
        cv_.notify_all();
    }
    int error() {
        std::lock_guard lock(mutex_);
        return err_;
    }
    // The consumer stops early (it threw): the reader stops at its next block.
    void cancel() {
        {
            std::lock_guard lock(mutex_);
            cancelled_ = true;
        }
        cv_.notify_all();
    }

  private:
    std::size_t block_size_, made_ = 0;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Block>> free_;
    std::deque<std::unique_ptr<Block>> full_;
    bool done_ = false, cancelled_ = false;
    int err_ = 0;
};

// Reads fd into block until the block is full, the end (0) or an error (its errno).
int fill_block(int fd, BlockRing::Block& block) {
    while (block.used < block.size) {
        const ssize_t n = read_retrying(fd, block.data.get() + block.used, block.size - block.used);
        if (n < 0) return errno;
        if (n == 0) return 0;
        block.used += static_cast<std::size_t>(n);
    }
    return 0;
}

// Fills blocks from fd until the end (0) or an error (its errno).
int read_into_ring(int fd, BlockRing& ring) {
    for (;;) {
        auto block = ring.take_free();
        if (!block) return 0;
        // The reader fills its blocks to the brim: each is all used.
        const int err = fill_block(fd, *block);
        const bool full = block->used == block->size;
        if (block->used > 0) ring.put_full(std::move(block));
        if (err != 0 || !full) return err;
    }
}

// Reads fd into the start of block, again and again, handing each read's bytes to consume at
// once, until the end (at_end), an error (its errno), or `limit` bytes in all (then more may
// remain). A /proc file gives a page or so of whole records per read(2) however much room there
// is, so this touches the block's first pages only, not a fresh page for every read.
int read_through(int fd, BlockRing::Block& block, std::size_t limit, std::size_t& total,
                 bool& at_end, const std::function<void(std::string_view)>& consume) {
    while (total < limit) {
        const ssize_t n = read_retrying(fd, block.data.get(), block.size);
        if (n < 0) return errno;
        if (n == 0) {
            at_end = true;
            return 0;
        }
        total += static_cast<std::size_t>(n);
        consume(std::string_view(block.data.get(), static_cast<std::size_t>(n)));
    }
    return 0;
}

// How reading fd ended: the bytes read and consumed, and 0 or the errno of the read(2) that failed.
struct StreamEnd {
    std::size_t bytes = 0;
    int err = 0;
};

// See stream_process_text; fd is open, and closed here.
StreamEnd stream_fd(int fd, const std::function<void(std::string_view)>& consume) {
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    BlockRing ring(kStreamBlockBytes);
    std::size_t total = 0;
    bool at_end = false;
    // The first block's worth is read here: a map that ends in it (most processes) needs no
    // thread.
    auto first = ring.take_free();
    int err = read_through(fd, *first, kStreamBlockBytes, total, at_end, consume);
    std::thread reader;
    if (err == 0 && !at_end) {
        ring.put_free(std::move(first));
        try {
            reader = std::thread([&] {
                int read_err = ENOMEM;  // a block that could not be made
                try {
                    read_err = read_into_ring(fd, ring);
                } catch (const std::bad_alloc&) {
                }
                ring.finish(read_err);
            });
        } catch (const std::system_error&) {
            first = ring.take_free();  // no thread to be had: the rest is read below, here
        }
    }
    if (!reader.joinable()) {
        if (err == 0 && !at_end) err = read_through(fd, *first, SIZE_MAX, total, at_end, consume);
    } else {
        try {
            while (auto block = ring.take_full()) {
                total += block->used;
                consume(std::string_view(block->data.get(), block->used));
                ring.put_free(std::move(block));
            }
        } catch (...) {
            ring.cancel();
            reader.join();
            throw;
        }
        reader.join();
        err = ring.error();
    }
    return {total, err};
}

// A directory descriptor of /proc/PID, closed on destruction.
struct DirFd {
    int fd = -1;
    DirFd() = default;
    explicit DirFd(int f) : fd(f) {}
    DirFd(const DirFd&) = delete;
    DirFd& operator=(const DirFd&) = delete;
    ~DirFd() {
        if (fd >= 0) ::close(fd);
    }
};

// Reads fd (open on /proc/PID/LEAF) to its end, and says whether what was read is the whole
// file: the process's stat is read before (given) and after, through dir, the process's own
// /proc directory (a process that took the PID since cannot answer through it). The kernel ends
// the text early, as if at its end, once the process's memory map is released, which the
// process does only once it exits: a process that exited, is a zombie, has begun to exit, or is
// gone (or another process with a new start time) after the read may have been cut short.
Result<LiveRead> read_live(pid_t pid, std::string_view leaf, int dir,
                           const std::optional<TaskStat>& before, int fd,
                           const std::function<void(std::string_view)>& consume) {
    const std::string path = proc_path(pid, leaf);
    const StreamEnd end = stream_fd(fd, consume);
    std::optional<TaskStat> after = dir >= 0 ? read_task_stat_at(dir) : read_task_stat(pid);
    if (before && after && after->start_time != before->start_time)
        after.reset();  // another process has the PID now: this one is gone
    const bool exited = !after || after->exiting();
    if (end.bytes == 0) {
        if (end.err != 0 && end.err != ESRCH) return open_error(pid, path, end.err);
        return explain_missing(pid, after);
    }
    LiveRead read;
    read.bytes = end.bytes;
    if (exited || end.err == ESRCH) {
        read.loss = Loss::Exited;
        read.why = fmt::format(
            "process {} exited while its map was being read: the rows read "
            "before it did are shown, and any after them are missing",
            pid);
    } else if (end.err != 0) {
        read.loss = Loss::Input;
        read.why = fmt::format("cannot read {} past byte {}: {}: the rows after it are missing",
                               path, end.bytes, std::strerror(end.err));
    }
    return read;
}

}  // namespace

Result<LiveRead> stream_process_text(pid_t pid, std::string_view leaf,
                                     const std::function<void(std::string_view)>& consume) {
    const DirFd dir(::open(proc_path(pid, "").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.fd < 0) return open_error(pid, proc_path(pid, ""), errno);
    const std::optional<TaskStat> before = read_task_stat_at(dir.fd);
    if (!before) return explain_missing(pid, std::nullopt);
    const int fd = ::openat(dir.fd, std::string(leaf).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_error(pid, proc_path(pid, leaf), errno);
    return read_live(pid, leaf, dir.fd, before, fd, consume);
}

void note_read_end(AddressSpaceBuilder& builder, const LiveRead& read) {
    if (read.loss != Loss::None) builder.lose({0, 0, read.why}, read.loss);
}

void make_room_if_big(AddressSpaceBuilder& builder, std::size_t& bytes, std::size_t piece) {
    if (bytes <= kStreamBlockBytes && (bytes += piece) > kStreamBlockBytes)
        builder.reserve(big_map_rows());
}

std::size_t big_map_rows() {
    const auto file = read_proc_file("/proc/sys/vm/max_map_count");  // 65,530 unless changed
    const text::DigitRun run = file ? text::scan_decimal(*file) : text::DigitRun{};
    const std::uint64_t n = run.ok() ? run.value : 0;
    return std::min<std::size_t>(n > 0 ? n : 65530, 1 << 18);
}

std::optional<TrueName> read_true_name(pid_t pid, Addr start, Addr end) {
    constexpr std::string_view kDeleted = " (deleted)";
    const std::string link = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, start, end);
    char buf[PATH_MAX + kDeleted.size() + 1];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<std::size_t>(n) == sizeof buf) return std::nullopt;
    TrueName name{std::string(buf, static_cast<std::size_t>(n)), false};
    if (!name.path.ends_with(kDeleted)) return name;
    // The kernel's mark or the end of the name: a file with no link left was deleted; else it is
    // the name when that name, in the process's root, is this very file.
    struct stat mapped, named;
    if (::stat(link.c_str(), &mapped) != 0) return std::nullopt;
    const bool literal =
        mapped.st_nlink > 0 &&
        ::stat(fmt::format("/proc/{}/root{}", pid, name.path).c_str(), &named) == 0 &&
        named.st_dev == mapped.st_dev && named.st_ino == mapped.st_ino;
    if (!literal) {
        name.path.resize(name.path.size() - kDeleted.size());
        name.deleted = true;
    }
    return name;
}

SourceInfo process_source(pid_t pid, std::string_view leaf) {
    SourceInfo source{SourceKind::Procfs, proc_path(pid, leaf), pid, ""};
    if (auto comm = read_proc_file(proc_path(pid, "comm")))
        source.process_name = trim_newline(*comm);
    if (auto cmdline = read_proc_file(proc_path(pid, "cmdline")))
        source.arguments = command_line(std::move(*cmdline));
    return source;
}

namespace {

// A live process's map, parsed as `read(consume)` reads it (read_live's result).
template <typename Read>
Result<AddressSpace> parse_live_maps(pid_t pid, Read&& read) {
    AddressSpaceBuilder builder(process_source(pid, "maps"));
    MapsTextParser parser(builder, MapsTextOptions{.pasted_rows = false, .live_pid = pid});
    // A maps row is some 100 bytes, so most maps end in the first block (kStreamBlockBytes): room
    // for the rows a block holds at the least (41 bytes each), and for big_map_rows() once the
    // map has gone past it.
    builder.reserve(kStreamBlockBytes / 41 + 1);
    std::size_t bytes = 0;
    const Result<LiveRead> end = read([&](std::string_view piece) {
        make_room_if_big(builder, bytes, piece.size());
        parser.feed(piece);
    });
    if (!end) return end.error();
    parser.finish();
    note_read_end(builder, *end);
    return std::move(builder).build();
}

}  // namespace

Result<AddressSpace> read_process_maps_fd(pid_t pid, int fd) {
    return parse_live_maps(pid, [&](const std::function<void(std::string_view)>& consume) {
        return read_live(pid, "maps", -1, std::nullopt, fd, consume);
    });
}

Result<AddressSpace> read_process_maps(pid_t pid) {
    return parse_live_maps(pid, [&](const std::function<void(std::string_view)>& consume) {
        return stream_process_text(pid, "maps", consume);
    });
}

}  // namespace vmatlas
