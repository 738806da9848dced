// The child of the watch tests: it says "ready PID", then changes its map at one fixed address,
// one command a line on stdin, and does nothing else:
//   map     one page, rw-, at kRegion (the address is free in a fresh process)
//   protect the page made r--
//   grow    the mapping grown in place to two pages (mremap without moving)
//   shrink  back to one page
//   unmap   the page unmapped
//   exec    runs itself again with exec: the new image says nothing and reads on from stdin
//   exit    exits at once (as does the end of stdin)
// Nothing in it allocates after "ready", so its map changes only as it is told.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

char* const kRegion = reinterpret_cast<char*>(0x100000000000);

bool act(const char* command, long page) {
    if (!std::strcmp(command, "map"))
        return mmap(kRegion, page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == kRegion;
    if (!std::strcmp(command, "protect")) return mprotect(kRegion, page, PROT_READ) == 0;
    if (!std::strcmp(command, "grow")) return mremap(kRegion, page, 2 * page, 0) == kRegion;
    if (!std::strcmp(command, "shrink")) return mremap(kRegion, 2 * page, page, 0) == kRegion;
    if (!std::strcmp(command, "unmap")) return munmap(kRegion, page) == 0;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    const long page = sysconf(_SC_PAGESIZE);
    char line[64];
    // The test has stopped reading stdout after the first "ready": the new image keeps quiet.
    const bool after_exec = argc > 1 && !std::strcmp(argv[1], "--after-exec");
    if (!after_exec) {
        std::printf("ready %d\n", static_cast<int>(getpid()));
        std::fflush(stdout);
    }
    // Read with read(2), a byte at a time: stdio's buffer is allocated on the first read.
    std::size_t n = 0;
    char c;
    while (read(0, &c, 1) == 1) {
        if (c != '\n') {
            if (n + 1 < sizeof line) line[n++] = c;
            continue;
        }
        line[n] = '\0';
        n = 0;
        if (!std::strcmp(line, "exit")) return 0;
        if (!std::strcmp(line, "exec")) {
            char after[] = "--after-exec";
            char* args[] = {argv[0], after, nullptr};
            execv("/proc/self/exe", args);
            return 1;
        }
        if (!act(line, page)) return 1;
    }
    return 0;
}
