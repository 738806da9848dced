// vmatlas-bare-step PROG [ARGS]: the bare single-step loop that `vmatlas trace --counts` is
// measured against (bench/compare_trace.py). It forks; the child asks to be traced and execs PROG;
// the parent then repeats PTRACE_SINGLESTEP and waitpid until the child ends, and prints the
// number of steps on stdout, one line: every user-space instruction PROG ran from its first to
// the one that ended it (that last one, exit_group, is a step too). Only PROG's first thread is
// traced: a program that starts threads or children is counted in that thread alone.
//
// Nothing else: no registers read, no map, no seccomp filter. A signal other than the steps' own
// SIGTRAP is handed to the child with the next step, as a debugger would. Exit status: PROG's,
// 128+N when it was killed by signal N, 127 when it could not be run.
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

int wait_for(pid_t pid, int* status) {
    pid_t r;
    do r = ::waitpid(pid, status, 0);
    while (r < 0 && errno == EINTR);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: vmatlas-bare-step PROG [ARGS]\n");
        return 2;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "vmatlas-bare-step: fork: %s\n", std::strerror(errno));
        return 1;
    }
    if (child == 0) {
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        ::execv(argv[1], argv + 1);
        std::fprintf(stderr, "vmatlas-bare-step: %s: %s\n", argv[1], std::strerror(errno));
        ::_exit(127);
    }
    int status = 0;
    // The exec's SIGTRAP: stopped before PROG's first instruction.
    if (wait_for(child, &status) != child || !WIFSTOPPED(status)) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
    }
    // Killed with the stepper, not left running.
    ::ptrace(PTRACE_SETOPTIONS, child, nullptr, reinterpret_cast<void*>(PTRACE_O_EXITKILL));
    unsigned long long steps = 0;
    int deliver = 0;
    for (;;) {
        if (::ptrace(PTRACE_SINGLESTEP, child, nullptr,
                     reinterpret_cast<void*>(static_cast<long>(deliver))) != 0) {
            std::fprintf(stderr, "vmatlas-bare-step: ptrace: %s\n", std::strerror(errno));
            return 1;
        }
        ++steps;
        if (wait_for(child, &status) != child) return 1;
        if (!WIFSTOPPED(status)) break;
        // A signal stop is not a step: the instruction did not run.
        const int sig = WSTOPSIG(status);
        if (sig != SIGTRAP) {
            --steps;
            deliver = sig;
        } else {
            deliver = 0;
        }
    }
    std::printf("%llu\n", steps);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
