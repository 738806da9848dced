// The program vmatlas trace runs in the tests: `trace_child MODE [ARG]`. Each point_* function is
// a distinct instruction address to stop at. It writes what a test checks to stderr (its stdout
// is the rows' stream), one "key value" line each, and nothing while it is traced otherwise.
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
volatile int g_sink;
}

extern "C" {
__attribute__((noinline)) void point_a() {
    g_sink = g_sink + 1;
}
__attribute__((noinline)) void point_b() {
    g_sink = g_sink + 2;
}
__attribute__((noinline)) void point_c() {
    g_sink = g_sink + 3;
}
__attribute__((noinline)) void point_d() {
    g_sink = g_sink + 4;
}
__attribute__((noinline)) void point_e() {
    g_sink = g_sink + 5;
}
__attribute__((noinline)) void point_f() {
    g_sink = g_sink + 6;
}
__attribute__((noinline)) void thread_point() {
    g_sink = g_sink + 7;
}
}

namespace {

void say(const char* key, unsigned long long value) {
    std::fprintf(stderr, "%s %llu\n", key, value);
}

// A sum of the bytes of point_a..point_f's code, as this process reads it.
unsigned long long code_checksum() {
    const auto lo = reinterpret_cast<std::uintptr_t>(&point_a);
    const auto hi = reinterpret_cast<std::uintptr_t>(&thread_point);
    const auto* from = reinterpret_cast<const unsigned char*>(lo < hi ? lo : hi);
    const std::size_t n = lo < hi ? hi - lo : lo - hi;
    unsigned long long sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum = sum * 31 + from[i];
    return sum;
}

void all_points(int times) {
    for (int i = 0; i < times; ++i) {
        point_a();
        point_b();
        point_c();
        point_d();
        point_e();
        point_f();
    }
}

void* thread_main(void*) {
    say("tid", static_cast<unsigned long long>(syscall(SYS_gettid)));
    thread_point();
    return nullptr;
}

// Every point 50 times, in each of three threads at once.
void* busy_thread(void*) {
    say("tid", static_cast<unsigned long long>(syscall(SYS_gettid)));
    all_points(50);
    return nullptr;
}

void* last_thread(void*) {
    all_points(3);
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    if (!std::strcmp(mode, "dlopen") && argc > 2) {
        point_a();
        void* lib = dlopen(argv[2], RTLD_NOW);
        if (lib == nullptr) return 3;
        auto f = reinterpret_cast<int (*)(int)>(dlsym(lib, "lib_point"));
        int sum = 0;
        for (int i = 0; i < 3; ++i) sum += f(i);
        return sum == 6 ? 0 : 4;
    }
    if (!std::strcmp(mode, "maps")) {
        // Between two points, one map change each: mapped, then unmapped.
        point_a();
        void* p =
            mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        point_b();
        munmap(p, 1 << 20);
        point_c();
        return 0;
    }
    if (!std::strcmp(mode, "threads")) {
        pthread_t t[3];
        for (auto& x : t) pthread_create(&x, nullptr, thread_main, nullptr);
        for (auto& x : t) pthread_join(x, nullptr);
        return 0;
    }
    if (!std::strcmp(mode, "threads6")) {
        pthread_t t[3];
        for (auto& x : t) pthread_create(&x, nullptr, busy_thread, nullptr);
        for (auto& x : t) pthread_join(x, nullptr);
        return 0;
    }
    if (!std::strcmp(mode, "leader_exit")) {
        // The main thread ends first: a zombie leader while its last thread runs the points.
        pthread_t t;
        pthread_create(&t, nullptr, last_thread, nullptr);
        pthread_exit(nullptr);
    }
    if (!std::strcmp(mode, "vfork")) {
        // The vfork child runs point_e in its parent's memory, then the parent runs point_a.
        const pid_t child = vfork();
        if (child == 0) {
            point_e();
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        point_a();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 9;
    }
    if (!std::strcmp(mode, "checksum")) {
        const unsigned long long before = code_checksum();
        all_points(100);
        say("checksum_before", before);
        say("checksum_after", code_checksum());
        return 0;
    }
    if (!std::strcmp(mode, "bytes")) {
        // The first byte of each point's code, as this process reads it, then each point once.
        void (*const points[])() = {point_a, point_b, point_c, point_d, point_e, point_f};
        const char* names[] = {"byte_a", "byte_b", "byte_c", "byte_d", "byte_e", "byte_f"};
        for (int i = 0; i < 6; ++i)
            say(names[i], *reinterpret_cast<const volatile unsigned char*>(points[i]));
        all_points(1);
        return 0;
    }
    if (!std::strcmp(mode, "fork")) {
        const pid_t child = fork();
        if (child == 0) {
            point_a();
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        say("child", static_cast<unsigned long long>(child));
        point_b();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 9;
    }
    if (!std::strcmp(mode, "exec") && argc > 2) {
        point_a();
        execv(argv[2], argv + 2);
        return 5;
    }
    if (!std::strcmp(mode, "kill")) {
        point_a();
        raise(SIGKILL);
        return 6;
    }
    if (!std::strcmp(mode, "loop")) {
        // Calls every point until its stdin closes, checking its code as it goes: for --pid.
        say("ready", static_cast<unsigned long long>(getpid()));
        say("checksum", code_checksum());
        for (;;) {
            all_points(1);
            fd_set in;
            FD_ZERO(&in);
            FD_SET(0, &in);
            timeval wait{0, 10'000};
            if (select(1, &in, nullptr, nullptr, &wait) > 0) {
                char c;
                if (read(0, &c, 1) <= 0) break;
            }
        }
        say("checksum_end", code_checksum());
        return 0;
    }
    std::fprintf(
        stderr,
        "usage: trace_child dlopen LIB|maps|threads|threads6|leader_exit|vfork|checksum|bytes|"
        "fork|exec PROG|kill|loop\n");
    return 2;
}
