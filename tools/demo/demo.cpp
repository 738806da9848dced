// vmatlas-demo: a small program whose memory map shows what vmatlas can do.
//
// It maps a file whose name has a space, a file it then deletes, a memfd, an anonymous region
// split in three by mprotect, and an rwx page; starts two idle threads; dlopens a plugin. Then it
// prints "ready <pid>" and waits for EOF on stdin (when stdin is a pipe), SIGTERM/SIGINT, or
// --seconds N (default 600), and removes its temporary files.
//
//   vmatlas-demo [--seconds N] [--churn] [--name COMM]
//
// --churn adds a thread that maps, mprotects and unmaps in a tight loop, so the map changes while
// somebody reads it. --name sets the process name (comm), so a test can find it by a unique name.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

const long kPage = sysconf(_SC_PAGESIZE);

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "vmatlas-demo: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void write_file(const std::string& path, long pages) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die(path.c_str());
    std::string page(kPage, '\0');
    for (long i = 0; i < pages; ++i) {
        std::memset(page.data(), 'A' + static_cast<int>(i), page.size());
        if (write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) die("write");
    }
    close(fd);
}

// Maps pages of fd (or anonymous memory when fd < 0) exactly at addr, replacing what is there.
char* map_at(char* addr, long pages, int prot, int flags, int fd, long offset_pages) {
    void* p = mmap(addr, pages * kPage, prot, flags | MAP_FIXED | (fd < 0 ? MAP_ANONYMOUS : 0), fd,
                   offset_pages * kPage);
    if (p == MAP_FAILED) die("mmap");
    return static_cast<char*>(p);
}

std::string plugin_path() {
    // Next to the executable first, so that a copied build directory still works.
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string dir(exe, n);
        dir.erase(dir.rfind('/') + 1);
        std::string candidate = dir + "libvmatlas_demo_plugin.so";
        if (access(candidate.c_str(), R_OK) == 0) return candidate;
    }
    return VMATLAS_DEMO_PLUGIN;
}

// Maps, mprotects and unmaps anonymous regions of random sizes, keeping up to 32 alive, and now
// and then maps the file again: rows appear and vanish all over the map while it is being read.
void churn(std::atomic<bool>& stop, int file_fd) {
    char* slots[32] = {};
    long sizes[32] = {};
    unsigned x = 2463534242u;
    while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;  // xorshift: cheap, and no locks in the loop
        unsigned i = x % 32;
        if (slots[i]) {
            munmap(slots[i], sizes[i] * kPage);
            slots[i] = nullptr;
            continue;
        }
        bool file = (x >> 16) % 8 == 0;
        sizes[i] = file ? 3 : 1 + (x >> 8) % 16;
        void* p = file ? mmap(nullptr, 3 * kPage, PROT_READ, MAP_PRIVATE, file_fd, 0)
                       : mmap(nullptr, sizes[i] * kPage, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) continue;
        slots[i] = static_cast<char*>(p);
        if (sizes[i] > 2) mprotect(slots[i] + kPage, kPage, PROT_NONE);  // split it in three
    }
    for (unsigned i = 0; i < 32; ++i)
        if (slots[i]) munmap(slots[i], sizes[i] * kPage);
}

}  // namespace

int main(int argc, char** argv) {
    long seconds = 600;
    bool churning = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atol(argv[++i]);
        } else if (arg == "--churn") {
            churning = true;
        } else if (arg == "--name" && i + 1 < argc) {
            prctl(PR_SET_NAME, argv[++i]);  // before the threads start: they inherit it
        } else {
            std::fprintf(stderr, "usage: vmatlas-demo [--seconds N] [--churn] [--name COMM]\n");
            return 2;
        }
    }

    // Blocked in every thread, and received through a signalfd by the main loop below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    int sig_fd = signalfd(-1, &signals, SFD_CLOEXEC);
    if (sig_fd < 0) die("signalfd");

    // A directory with a space in its name: paths with spaces must survive every view.
    const char* tmp = std::getenv("TMPDIR");
    std::string dir_template = std::string(tmp && *tmp ? tmp : "/tmp") + "/vmatlas demo XXXXXX";
    if (!mkdtemp(dir_template.data())) die("mkdtemp");
    const std::string dir = dir_template;
    const std::string mapped_path = dir + "/mapped file.bin";
    const std::string deleted_path = dir + "/deleted file.bin";
    write_file(mapped_path, 3);
    write_file(deleted_path, 2);

    // Everything is placed side by side in one reservation: the kernel merges an anonymous
    // region with an adjacent compatible one, and these neighbours keep each row as made here.
    //   mapped file.bin (3 pages r--p) | rw-p | ---p | rw-p rw-p | deleted file.bin (offset
    //   0x1000, r--p) | memfd (2 pages rw-s) | rwx page
    const long total_pages = 3 + 4 + 1 + 2 + 1;
    void* reservation =
        mmap(nullptr, total_pages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reservation == MAP_FAILED) die("mmap");
    char* at = static_cast<char*>(reservation);

    int mapped_fd = open(mapped_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (mapped_fd < 0) die(mapped_path.c_str());
    char* mapped = map_at(at, 3, PROT_READ, MAP_PRIVATE, mapped_fd, 0);
    at += 3 * kPage;

    char* split = map_at(at, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);
    std::memset(split, 1, 4 * kPage);
    if (mprotect(split + kPage, kPage, PROT_NONE) != 0) die("mprotect");
    at += 4 * kPage;

    int deleted_fd = open(deleted_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (deleted_fd < 0) die(deleted_path.c_str());
    map_at(at, 1, PROT_READ, MAP_PRIVATE, deleted_fd, 1);
    close(deleted_fd);
    unlink(deleted_path.c_str());  // the mapping stays; the kernel now adds " (deleted)"
    at += kPage;

    int memfd = memfd_create("vmatlas-demo", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, 2 * kPage) != 0) die("memfd_create");
    char* shared = map_at(at, 2, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    std::memcpy(shared, "vmatlas", 8);
    at += 2 * kPage;

    char* rwx = map_at(at, 1, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, -1, 0);
    rwx[0] = static_cast<char>(0xc3);  // ret: what a JIT would put there

    // Two threads that just wait: their stacks and guard pages appear in the map.
    int block[2];
    if (pipe2(block, O_CLOEXEC) != 0) die("pipe");
    auto idle = [fd = block[0]] {
        char c;
        while (read(fd, &c, 1) < 0 && errno == EINTR) {
        }
    };
    std::thread idle1(idle), idle2(idle);

    void* plugin = dlopen(plugin_path().c_str(), RTLD_NOW);
    if (!plugin) {
        std::fprintf(stderr, "vmatlas-demo: %s\n", dlerror());
        return 1;
    }
    auto greet = reinterpret_cast<int (*)(const char*)>(dlsym(plugin, "vmatlas_demo_plugin_greet"));
    if (!greet || greet(mapped) <= 0) {
        std::fprintf(stderr, "vmatlas-demo: the plugin did not answer\n");
        return 1;
    }

    std::atomic<bool> stop{false};
    std::thread churner;
    if (churning) churner = std::thread(churn, std::ref(stop), mapped_fd);

    std::printf("ready %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);

    // Only a pipe or socket on stdin is watched: `vmatlas-demo &` gets /dev/null (instant EOF)
    // or a terminal (reading it in the background would stop us).
    struct stat st;
    bool watch_stdin = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd fds[2] = {{sig_fd, POLLIN, 0}, {watch_stdin ? 0 : -1, POLLIN, 0}};
        int n = poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 60'000)));
        if (n < 0 && errno != EINTR) break;
        if (fds[0].revents) break;  // SIGTERM or SIGINT
        if (fds[1].revents) {
            char buf[256];
            if (read(0, buf, sizeof buf) <= 0) break;  // EOF: whoever started us is done
        }
    }

    stop = true;
    if (churner.joinable()) churner.join();
    close(block[1]);  // wakes the idle threads with EOF
    idle1.join();
    idle2.join();
    dlclose(plugin);
    munmap(reservation, total_pages * kPage);
    close(memfd);
    close(mapped_fd);
    unlink(mapped_path.c_str());
    rmdir(dir.c_str());
    return 0;
}
