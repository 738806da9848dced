// A process with regions of known addresses for the tests of `vmatlas advise`. Each region is
// followed by a PROT_NONE page, so that the kernel cannot merge it with a neighbour:
//   private   4 MiB anonymous, private, every page touched
//   shared    1 MiB anonymous, shared, every page touched
//   file      1 MiB of a file of its own, mapped private read-only, every page read
//   random    64 KiB anonymous, madvise(MADV_RANDOM)
//   dontdump  64 KiB anonymous, madvise(MADV_DONTDUMP)
//   hugepage  4 MiB anonymous, madvise(MADV_HUGEPAGE)
// and a heap of 1 MiB (sbrk), touched. With --nobody it then runs as user and group 65534, still
// dumpable, so that a process of that user may read its map. It says
// "ready private=HEX shared=HEX file=HEX random=HEX dontdump=HEX hugepage=HEX" and runs until its
// stdin closes.
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr std::size_t kPage = 4096;

char* region(std::size_t size, int prot, int flags, int fd = -1) {
    char* p = static_cast<char*>(mmap(nullptr, size + kPage, prot, flags, fd, 0));
    if (p == MAP_FAILED) std::exit(2);
    if (mprotect(p + size, kPage, PROT_NONE) != 0) std::exit(2);
    return p;
}

void touch(char* p, std::size_t size) {
    for (std::size_t i = 0; i < size; i += kPage) p[i] = 1;
}

}  // namespace

int main(int argc, char** argv) {
    const bool nobody = argc > 1 && std::string(argv[1]) == "--nobody";
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    char* priv = region(4 << 20, PROT_READ | PROT_WRITE, anon);
    touch(priv, 4 << 20);
    char* shared = region(1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
    touch(shared, 1 << 20);

    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/advise-child-XXXXXX";
    const int fd = mkstemp(path.data());
    if (fd < 0) return 2;
    unlink(path.c_str());
    std::string bytes(1 << 20, 'x');
    if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return 2;
    if (fsync(fd) != 0) return 2;  // clean pages, which pageout can reclaim at once
    char* file = region(1 << 20, PROT_READ, MAP_PRIVATE, fd);
    volatile char sink = 0;
    for (std::size_t i = 0; i < (1 << 20); i += kPage) sink = sink + file[i];

    char* random = region(64 << 10, PROT_READ | PROT_WRITE, anon);
    char* dontdump = region(64 << 10, PROT_READ | PROT_WRITE, anon);
    char* hugepage = region(4 << 20, PROT_READ | PROT_WRITE, anon);
    if (madvise(random, 64 << 10, MADV_RANDOM) || madvise(dontdump, 64 << 10, MADV_DONTDUMP) ||
        madvise(hugepage, 4 << 20, MADV_HUGEPAGE))
        return 2;
    char* heap = static_cast<char*>(sbrk(1 << 20));
    if (heap == reinterpret_cast<char*>(-1)) return 2;
    touch(heap, 1 << 20);

    if (nobody) {
        if (setgroups(0, nullptr) || setgid(65534) || setuid(65534)) return 3;
        prctl(PR_SET_DUMPABLE, 1);
    }
    std::printf("ready private=%lx shared=%lx file=%lx random=%lx dontdump=%lx hugepage=%lx\n",
                reinterpret_cast<unsigned long>(priv), reinterpret_cast<unsigned long>(shared),
                reinterpret_cast<unsigned long>(file), reinterpret_cast<unsigned long>(random),
                reinterpret_cast<unsigned long>(dontdump),
                reinterpret_cast<unsigned long>(hugepage));
    std::fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
