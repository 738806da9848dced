// The diff tests' child: vmatlas-diff-child
//
// Maps known regions in a window of 64 pages that it reserved and then unmapped, so that the
// regions have unmapped pages between them and the kernel merges none of them with a neighbour:
//
//   page  what                         at "change"
//   0-3   anon rw-p                    unmapped                  -> removed
//   6-10  anon rw-p                    page 8 made r--           -> split: changed + 2 added
//   13-16 "mapped file.bin" r--p @0    mapped again @0x1000      -> changed offset
//   19    anon r--p                    made rw-, merges with 20  -> merge: changed + 1 removed
//   20    anon rw-p (same mmap as 19)
//   23-25 nothing                      anon r-xp mapped          -> added
//   28-29 anon rw-p                    grown to 28-31 (mremap)   -> changed end
//   34    "doomed file.bin" r--p @0    the file is unlinked      -> changed deleted
//   37    anon rw-p                    left alone                -> unchanged
//   42-43 anon rw-p                    made r--                  -> changed perms
//
// The files are in a new directory whose name holds spaces. It prints
//   window START              (hex: the address of page 0)
//   ready PID
// then waits for a line on stdin: "change" makes the changes and answers "changed"; at end of
// input it removes its files and exits. After setup it calls nothing that could map memory
// (no malloc, no stdio), so that the changes above are the only ones in its map.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr long kWindowPages = 64;
long g_page = 4096;
char* g_window = nullptr;
char g_dir[] = "/tmp/vmatlas diff child XXXXXX";
char g_mapped[128], g_doomed[128];

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "vmatlas-diff-child: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

char* page(long n) {
    return g_window + n * g_page;
}

void map_anon(long first, long count, int prot) {
    if (mmap(page(first), count * g_page, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
             -1, 0) != page(first))
        die("mmap anon");
}

void map_file(const char* path, long first, long count, long file_page) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open");
    // MAP_FIXED: at "change" this maps over the file's own earlier mapping.
    if (mmap(page(first), count * g_page, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd,
             file_page * g_page) != page(first))
        die("mmap file");
    close(fd);
}

void make_file(const char* path, long pages) {
    const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, pages * g_page) != 0) die("create file");
    close(fd);
}

// Grows the main thread's stack now, so that it does not grow between the two captures.
void grow_stack() {
    volatile char buf[256 * 1024];
    for (std::size_t i = 0; i < sizeof buf; i += 512) buf[i] = 1;
}

void say(const char* text) {
    const std::size_t n = std::strlen(text);
    if (write(STDOUT_FILENO, text, n) != static_cast<ssize_t>(n)) die("write");
}

void setup() {
    g_page = sysconf(_SC_PAGESIZE);
    if (!mkdtemp(g_dir)) die("mkdtemp");
    std::snprintf(g_mapped, sizeof g_mapped, "%s/mapped file.bin", g_dir);
    std::snprintf(g_doomed, sizeof g_doomed, "%s/doomed file.bin", g_dir);
    make_file(g_mapped, 5);
    make_file(g_doomed, 1);

    void* w = mmap(nullptr, kWindowPages * g_page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) die("mmap window");
    g_window = static_cast<char*>(w);
    if (munmap(w, kWindowPages * g_page) != 0) die("munmap window");

    map_anon(0, 4, PROT_READ | PROT_WRITE);
    map_anon(6, 5, PROT_READ | PROT_WRITE);
    map_file(g_mapped, 13, 4, 0);
    map_anon(19, 2, PROT_READ | PROT_WRITE);
    if (mprotect(page(19), g_page, PROT_READ) != 0) die("mprotect 19");
    map_anon(28, 2, PROT_READ | PROT_WRITE);
    map_file(g_doomed, 34, 1, 0);
    map_anon(37, 1, PROT_READ | PROT_WRITE);
    map_anon(42, 2, PROT_READ | PROT_WRITE);
}

void change() {
    if (munmap(page(0), 4 * g_page) != 0) die("munmap 0");
    if (mprotect(page(8), g_page, PROT_READ) != 0) die("mprotect 8");
    map_file(g_mapped, 13, 4, 1);
    if (mprotect(page(19), g_page, PROT_READ | PROT_WRITE) != 0) die("mprotect 19");
    map_anon(23, 3, PROT_READ | PROT_EXEC);
    if (mremap(page(28), 2 * g_page, 4 * g_page, 0) != page(28)) die("mremap 28");
    if (unlink(g_doomed) != 0) die("unlink");
    if (mprotect(page(42), 2 * g_page, PROT_READ) != 0) die("mprotect 42");
}

}  // namespace

int main() {
    grow_stack();
    setup();
    char line[128];
    std::snprintf(line, sizeof line, "window %lx\nready %d\n",
                  reinterpret_cast<unsigned long>(g_window), static_cast<int>(getpid()));
    say(line);
    // One command a line; anything but "change" is ignored.
    char buf[64];
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = read(STDIN_FILENO, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += static_cast<std::size_t>(n);
        while (char* nl = static_cast<char*>(std::memchr(buf, '\n', have))) {
            *nl = '\0';
            if (std::strcmp(buf, "change") == 0) {
                change();
                say("changed\n");
            }
            const std::size_t used = static_cast<std::size_t>(nl - buf) + 1;
            std::memmove(buf, nl + 1, have - used);
            have -= used;
        }
        if (have == sizeof buf) have = 0;  // a line too long for any command
    }
    unlink(g_mapped);
    unlink(g_doomed);
    rmdir(g_dir);
    return 0;
}
