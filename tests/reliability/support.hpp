// What the fault tests share: the command line run as a child (optionally under a memory limit),
// children that exit while they are read, and the facts the tests assert on.
//
// The command line is VMATLAS_BIN, or the program named by $VMATLAS_RELIABILITY_BIN: the same
// tests then run against another build of vmatlas (an older commit's, to see which of them it
// fails).
#pragma once

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/core_support.hpp"
#include "support/harness.hpp"

namespace vmtest {

// The vmatlas under test.
inline std::string cli_path() {
    const char* other = std::getenv("VMATLAS_RELIABILITY_BIN");
    return other && *other ? other : VMATLAS_BIN;
}

// vmatlas ARGS, with stdin_text on its standard input; in_child runs between fork and exec.
inline RunResult cli(std::vector<std::string> args, const std::string& stdin_text = {},
                     const std::function<void()>& in_child = {}) {
    args.insert(args.begin(), cli_path());
    return run(args, stdin_text, in_child);
}

// How long fn took, in seconds.
template <typename F>
double seconds_of(F&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The lines of stderr, each "vmatlas: ..." sentence one element.
inline std::vector<std::string> err_lines(const RunResult& r) {
    auto ls = lines(r.err);
    if (!ls.empty() && ls.back().empty()) ls.pop_back();
    return ls;
}

// A child that maps `pages` single pages, each one page apart so that the kernel cannot merge
// them (as bench/many_maps.cpp does), says "ready ROWS" (the rows of its map then, which it
// counts itself) and _exits exit_after_us microseconds later. The child is a copy of the test
// process that calls only system calls: no allocation between fork and exit.
class ExitingChild {
  public:
    ExitingChild(long pages, long exit_after_us) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            close(out[0]);
            run_child(out[1], pages, exit_after_us);
        }
        close(out[1]);
        const std::string line = read_line(out[0], 60'000);
        close(out[0]);
        if (!line.starts_with("ready ")) {
            reap();
            throw std::runtime_error("the exiting child did not say ready: '" + line + "'");
        }
        rows_ = std::stoul(line.substr(6));
    }
    ~ExitingChild() { reap(); }
    ExitingChild(const ExitingChild&) = delete;
    ExitingChild& operator=(const ExitingChild&) = delete;

    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }
    std::size_t rows() const { return rows_; }

    // Waits for it to exit, and reaps it: its PID then names nobody.
    void reap() {
        if (pid_ <= 0) return;
        while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
    }

  private:
    [[noreturn]] static void run_child(int out, long pages, long exit_after_us) {
        const long page = sysconf(_SC_PAGESIZE);
        char* base = static_cast<char*>(mmap(nullptr, 2 * pages * page, PROT_NONE,
                                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
        if (base == MAP_FAILED || munmap(base, 2 * pages * page) != 0) _exit(120);
        for (long i = 0; i < pages; ++i)
            if (mmap(base + 2 * i * page, page, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED)
                _exit(121);
        // Its own rows, counted from its own map.
        long rows = 0;
        const int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        char buf[65536];
        for (ssize_t n; (n = read(maps, buf, sizeof buf)) > 0;)
            for (ssize_t k = 0; k < n; ++k) rows += buf[k] == '\n';
        close(maps);
        char line[64];
        const int len = snprintf(line, sizeof line, "ready %ld\n", rows);
        if (write(out, line, static_cast<std::size_t>(len)) != len) _exit(122);
        const timespec delay{exit_after_us / 1'000'000, (exit_after_us % 1'000'000) * 1000};
        nanosleep(&delay, nullptr);
        _exit(0);
    }

    pid_t pid_ = 0;
    std::size_t rows_ = 0;
};

// Sets the memory limit of the calling process (a child between fork and exec).
inline void limit_memory(rlim_t bytes) {
    const rlimit limit{bytes, bytes};
    setrlimit(RLIMIT_AS, &limit);
}

// The address-space limit the bounded-memory tests give vmatlas. Sanitizers reserve terabytes of
// address space for their shadow memory, so under them the limit is not set.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kCanLimitMemory = false;
#else
inline constexpr bool kCanLimitMemory = true;
#endif
inline constexpr rlim_t kMemoryLimit = 256u << 20;

inline std::function<void()> with_memory_limit() {
    return [] {
        if (kCanLimitMemory) limit_memory(kMemoryLimit);
    };
}

}  // namespace vmtest
