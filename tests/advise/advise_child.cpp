// A process with regions of known addresses for the tests of `vmatlas advise`. Each region is
// followed by a PROT_NONE page, so that the kernel cannot merge it with a neighbour:
//   private   4 MiB anonymous, private, every page touched
//   shared    1 MiB anonymous, shared, every page touched
//   file      1 MiB of a file of its own, mapped private read-only, every page read
//   random    64 KiB anonymous, madvise(MADV_RANDOM)
//   dontdump  64 KiB anonymous, madvise(MADV_DONTDUMP)
//   hugepage  4 MiB anonymous, madvise(MADV_HUGEPAGE)
//   thp       2 MiB anonymous on a 2 MiB boundary, between PROT_NONE pages, every page touched,
//             without MADV_HUGEPAGE (so small pages while transparent huge pages are "madvise")
//   locked    64 KiB anonymous, touched and mlock(2)ed: only with --mlock
// a heap of 1 MiB (sbrk), touched, and a second thread, blocked in pause(2) for good. With
// --nobody it then runs as user and group 65534, still dumpable, so that a process of that user
// may read its map. It says "ready private=HEX shared=HEX file=HEX random=HEX dontdump=HEX
// hugepage=HEX thp=HEX [locked=HEX] thread_sp=HEX tid=DECIMAL" (thread_sp: an address on the
// second thread's stack, tid: its thread ID) and runs until its stdin closes.
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
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

// What the second thread says of itself once it runs.
struct ThreadFacts {
    sem_t started;
    long tid = 0;
    void* sp = nullptr;
};

void* blocked_thread(void* arg) {
    auto* facts = static_cast<ThreadFacts*>(arg);
    volatile char on_stack = 0;
    facts->tid = syscall(SYS_gettid);
    facts->sp = const_cast<char*>(&on_stack);
    sem_post(&facts->started);
    for (;;) pause();
}

// 2 MiB on a 2 MiB boundary, made of a PROT_NONE reservation so that a PROT_NONE page lies on
// each side of it and no neighbour can merge with it.
char* aligned_2m() {
    constexpr std::size_t k2M = 2 << 20;
    char* base = static_cast<char*>(
        mmap(nullptr, 3 * k2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (base == MAP_FAILED) std::exit(2);
    auto at = (reinterpret_cast<std::uintptr_t>(base) + kPage + k2M - 1) & ~(k2M - 1);
    char* p = reinterpret_cast<char*>(at);
    if (mprotect(p, k2M, PROT_READ | PROT_WRITE) != 0) std::exit(2);
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    bool nobody = false, locked = false;
    for (int i = 1; i < argc; ++i) {
        nobody = nobody || std::string(argv[i]) == "--nobody";
        locked = locked || std::string(argv[i]) == "--mlock";
    }
    // The thread starts before the regions are mapped, so that they lie below its guard page and
    // none of them adjoins its stack.
    ThreadFacts facts;
    sem_init(&facts.started, 0, 0);
    pthread_t thread;
    if (pthread_create(&thread, nullptr, blocked_thread, &facts) != 0) return 2;
    while (sem_wait(&facts.started) != 0) {
    }
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
    char* thp = aligned_2m();
    touch(thp, 2 << 20);
    char* lock = nullptr;
    if (locked) {
        lock = region(64 << 10, PROT_READ | PROT_WRITE, anon);
        touch(lock, 64 << 10);
        if (mlock(lock, 64 << 10) != 0) return 2;
    }
    char* heap = static_cast<char*>(sbrk(1 << 20));
    if (heap == reinterpret_cast<char*>(-1)) return 2;
    touch(heap, 1 << 20);

    if (nobody) {
        if (setgroups(0, nullptr) || setgid(65534) || setuid(65534)) return 3;
        prctl(PR_SET_DUMPABLE, 1);
    }
    std::printf(
        "ready private=%lx shared=%lx file=%lx random=%lx dontdump=%lx hugepage=%lx thp=%lx",
        reinterpret_cast<unsigned long>(priv), reinterpret_cast<unsigned long>(shared),
        reinterpret_cast<unsigned long>(file), reinterpret_cast<unsigned long>(random),
        reinterpret_cast<unsigned long>(dontdump), reinterpret_cast<unsigned long>(hugepage),
        reinterpret_cast<unsigned long>(thp));
    if (lock) std::printf(" locked=%lx", reinterpret_cast<unsigned long>(lock));
    std::printf(" thread_sp=%lx tid=%ld\n", reinterpret_cast<unsigned long>(facts.sp), facts.tid);
    std::fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
