// vmatlas-many-maps: a process with a very large memory map, for bench/compare.py.
//
// It maps COUNT single-page regions (default 60000), each followed by an unmapped page so that
// the kernel cannot merge neighbours into one VMA. Every 16th region maps a page of one of eight
// temporary files with library-like names; the anonymous ones alternate rw-p and r--p. Then it
// prints "ready <pid>" and waits for EOF on stdin (when stdin is a pipe or a terminal), SIGTERM or
// SIGINT, or --seconds N (default 3600), and removes its temporary files.
//
//   vmatlas-many-maps [--count N] [--file-every K] [--touch] [--seconds N]
//
// The kernel allows at most vm.max_map_count mappings per process (65530 by default); a COUNT
// that would not fit with the process's own mappings is refused before anything is mapped.
// --touch writes to every writable page, so that smaps has resident pages to report.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

const long kPage = sysconf(_SC_PAGESIZE);
constexpr int kFiles = 8;
constexpr long kFilePages = 64;
// Room for the process's own mappings (executable, libc, stack, vdso, ...) under the limit.
constexpr long kOwnMappingsMargin = 64;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "vmatlas-many-maps: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void usage(int status) {
    std::fprintf(status == 0 ? stdout : stderr,
                 "usage: vmatlas-many-maps [--count N] [--file-every K] [--touch] [--seconds N]\n");
    std::exit(status);
}

long read_long_file(const char* path, long fallback) {
    std::ifstream in(path);
    long v = 0;
    return (in >> v) ? v : fallback;
}

long count_own_mappings() {
    std::ifstream in("/proc/self/maps");
    long n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

long parse_count(const char* flag, const char* text) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0) {
        std::fprintf(stderr, "vmatlas-many-maps: %s needs a non-negative number, not '%s'\n", flag,
                     text);
        std::exit(2);
    }
    return v;
}

struct Options {
    long count = 60000;
    long file_every = 16;  // 0: no file-backed mappings
    bool touch = false;
    long seconds = 3600;
};

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) usage(2);
            return argv[++i];
        };
        if (a == "--count") {
            o.count = parse_count("--count", next());
        } else if (a == "--file-every") {
            o.file_every = parse_count("--file-every", next());
        } else if (a == "--seconds") {
            o.seconds = parse_count("--seconds", next());
        } else if (a == "--touch") {
            o.touch = true;
        } else if (a == "--help" || a == "-h") {
            usage(0);
        } else {
            usage(2);
        }
    }
    return o;
}

// Refuses a count that the kernel would stop halfway, and says what to do about it.
void check_map_limit(long count) {
    long limit = read_long_file("/proc/sys/vm/max_map_count", 65530);
    long own = count_own_mappings() + kOwnMappingsMargin;
    if (count + own > limit) {
        std::fprintf(stderr,
                     "vmatlas-many-maps: --count %ld is too high: with about %ld mappings of its "
                     "own the process would exceed vm.max_map_count = %ld. Use --count %ld or "
                     "less, or raise the limit: sysctl -w vm.max_map_count=%ld\n",
                     count, own, limit, limit - own, count + own);
        std::exit(2);
    }
}

std::string make_temp_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/vmatlas-many-maps.XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) die("mkdtemp");
    return templ;
}

// Library-like names, so that path interning and module filters see realistic strings.
std::vector<std::string> make_files(const std::string& dir) {
    static const char* const kNames[kFiles] = {
        "libbench-core.so.1.2.3",   "libbench-net.so.4",   "libbench-ui-widgets.so.12",
        "libbench-crypto.so.3.0.9", "libbench-db.so.7.1",  "libbench-json.so.2",
        "libbench-render-gl.so.5",  "libbench-audio.so.0",
    };
    std::vector<std::string> paths;
    std::string page(kPage, '\0');
    for (const char* name : kNames) {
        std::string path = dir + "/" + name;
        int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) die(path.c_str());
        for (long i = 0; i < kFilePages; ++i) {
            std::memset(page.data(), 'A' + static_cast<int>(i % 26), page.size());
            if (write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) {
                die("write");
            }
        }
        close(fd);
        paths.push_back(std::move(path));
    }
    return paths;
}

void remove_files(const std::string& dir, const std::vector<std::string>& paths) {
    for (const auto& p : paths) unlink(p.c_str());
    rmdir(dir.c_str());
}

// Maps count single pages, one page apart, inside an address range found by a reservation that
// is released first: each page then is its own VMA, with a hole on either side.
void map_many(const Options& o, const std::vector<std::string>& paths) {
    std::vector<int> fds;
    for (const auto& p : paths) {
        int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) die(p.c_str());
        fds.push_back(fd);
    }
    long span = 2 * o.count * kPage;
    void* base = mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) die("mmap (reservation)");
    if (munmap(base, span) != 0) die("munmap");

    char* at = static_cast<char*>(base);
    for (long i = 0; i < o.count; ++i, at += 2 * kPage) {
        void* p;
        if (o.file_every > 0 && i % o.file_every == 0) {
            long k = i / o.file_every;
            int fd = fds[k % kFiles];
            int prot = (k / kFiles) % 2 ? PROT_READ | PROT_EXEC : PROT_READ;
            p = mmap(at, kPage, prot, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd,
                     (k % kFilePages) * kPage);
        } else {
            int prot = i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
            p = mmap(at, kPage, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p != MAP_FAILED && o.touch && (prot & PROT_WRITE)) *static_cast<char*>(p) = 1;
        }
        if (p == MAP_FAILED) {
            int saved = errno;
            std::fprintf(stderr, "vmatlas-many-maps: mapping %ld of %ld failed: %s%s\n", i + 1,
                         o.count, std::strerror(saved),
                         saved == ENOMEM ? " (vm.max_map_count reached?)" : "");
            std::exit(1);
        }
    }
    for (int fd : fds) close(fd);
}

// Waits for EOF on stdin (if stdin can signal it), SIGTERM/SIGINT, or the timeout.
void wait_for_end(long seconds) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) die("sigprocmask");
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) die("signalfd");

    // A regular file or /dev/null is at EOF at once: only a pipe, socket or terminal can wait.
    struct stat st {};
    bool watch_stdin =
        fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(0));
    pollfd fds[2] = {{sfd, POLLIN, 0}, {watch_stdin ? 0 : -1, POLLIN, 0}};
    // poll's timeout is in milliseconds and an int; wait in steps to honour long timeouts.
    for (long left_ms = seconds * 1000; left_ms > 0;) {
        int step = static_cast<int>(left_ms > 60000 ? 60000 : left_ms);
        int n = poll(fds, 2, step);
        if (n < 0) {
            if (errno == EINTR) continue;  // a debugger attaching or detaching
            die("poll");
        }
        if (n == 0) {
            left_ms -= step;
            continue;
        }
        if (fds[0].revents) return;
        if (fds[1].revents) {
            char buf[4096];
            ssize_t r = read(0, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    check_map_limit(o.count);

    std::string dir = make_temp_dir();
    std::vector<std::string> paths =
        o.file_every > 0 ? make_files(dir) : std::vector<std::string>{};
    map_many(o, paths);

    std::printf("ready %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
    wait_for_end(o.seconds);
    remove_files(dir, paths);
    return 0;
}
