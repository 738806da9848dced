// The threads tests' child: vmatlas-threads-child [N]
//
// Starts N threads (default 4). Each one mallocs (so that glibc gives it an arena of its own)
// and then blocks in pause(), except the last, which spins in a busy loop so that it is always
// "running" and its stack pointer can only be read with ptrace. Then it prints, one per line:
//   tids T1 T2 ...               the threads' tids (gettid), in creation order
//   stack TID LO HI              each thread's stack as pthread_getattr_np sees it (hex)
//   malloc TID ADDR              each thread's first malloc (hex)
//   spinner TID
//   ready PID
// and answers each line on stdin with "spins N" (the spinner's loop count). It exits at EOF.
#include <pthread.h>
#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Slot {
    int index = 0;
    bool spin = false;
    pid_t tid = 0;
    void* stack_lo = nullptr;
    std::size_t stack_size = 0;
    void* block = nullptr;
};

std::atomic<unsigned long> g_spins{0};
pthread_barrier_t g_started;

void* run(void* arg) {
    Slot& slot = *static_cast<Slot*>(arg);
    slot.tid = gettid();
    const std::string name = slot.spin ? "spinner" : "worker-" + std::to_string(slot.index);
    pthread_setname_np(pthread_self(), name.c_str());
    slot.block = std::malloc(1000);
    std::memset(slot.block, 0x5a, 1000);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &slot.stack_lo, &slot.stack_size);
        pthread_attr_destroy(&attr);
    }
    pthread_barrier_wait(&g_started);
    if (slot.spin)
        for (;;) g_spins.fetch_add(1, std::memory_order_relaxed);
    for (;;) pause();
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 4;
    if (n < 1 || n > 64) {
        std::fprintf(stderr, "usage: vmatlas-threads-child [1..64]\n");
        return 2;
    }
    std::vector<Slot> slots(static_cast<std::size_t>(n));
    pthread_barrier_init(&g_started, nullptr, static_cast<unsigned>(n + 1));
    for (int i = 0; i < n; ++i) {
        slots[i].index = i;
        slots[i].spin = i == n - 1;
        pthread_t thread;
        if (pthread_create(&thread, nullptr, run, &slots[i]) != 0) {
            std::perror("pthread_create");
            return 1;
        }
    }
    pthread_barrier_wait(&g_started);

    std::printf("tids");
    for (const Slot& s : slots) std::printf(" %d", s.tid);
    std::printf("\n");
    for (const Slot& s : slots)
        std::printf("stack %d %zx %zx\n", s.tid, reinterpret_cast<std::size_t>(s.stack_lo),
                    reinterpret_cast<std::size_t>(s.stack_lo) + s.stack_size);
    for (const Slot& s : slots)
        std::printf("malloc %d %zx\n", s.tid, reinterpret_cast<std::size_t>(s.block));
    std::printf("spinner %d\n", slots.back().tid);
    std::printf("ready %d\n", getpid());
    std::fflush(stdout);

    char line[256];
    while (std::fgets(line, sizeof line, stdin)) {
        std::printf("spins %lu\n", g_spins.load(std::memory_order_relaxed));
        std::fflush(stdout);
    }
    _exit(0);
}
