// The seccomp filter of `vmatlas trace` (src/trace/seccomp_filter.hpp), installed in children of
// the test's own: without a tracer, a call that would stop fails with ENOSYS (seccomp(2)) and the
// others run; with a tracer (PTRACE_O_TRACESECCOMP), each call that stops is seen once, with its
// number in orig_rax and the filter's data in PTRACE_GETEVENTMSG, and no other call stops.
//
// The filter is built before fork, so that the child only makes system calls. Each child asks for
// SIGALRM after 20 seconds, which ends it if anything hangs.
#include <asm/unistd_64.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "trace/seccomp_filter.hpp"
#include "trace/syscall_table.hpp"

namespace vmtest {
namespace {

using vmatlas::trace::install_filter_quietly;
using vmatlas::trace::trace_filter;

constexpr unsigned kChildSeconds = 20;

// The child's exit statuses: each names the check that failed.
enum ChildStatus {
    kChildOk = 0,
    kFilterNotInstalled = 10,
    kMmapNotENOSYS = 11,
    kMprotectNotENOSYS = 12,
    kGetpidFailed = 13,
    kWriteFailed = 14,
    kMmapFailed = 15,
};

std::string status_text(int status) {
    if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

int wait_for(pid_t pid, int flags) {
    int status = 0;
    pid_t got;
    do got = waitpid(pid, &status, flags);
    while (got < 0 && errno == EINTR);
    EXPECT_EQ(got, pid) << std::strerror(errno);
    return status;
}

TEST(SeccompFilter, WithoutATracerMapChangingCallsFailWithENOSYS) {
    const std::vector<sock_filter> program = trace_filter(false);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(kChildSeconds);
        close(fds[0]);
        if (install_filter_quietly(program).call != nullptr) _exit(kFilterNotInstalled);
        errno = 0;
        void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED || errno != ENOSYS) _exit(kMmapNotENOSYS);
        errno = 0;
        static char page[4096] __attribute__((aligned(4096)));
        if (mprotect(page, sizeof page, PROT_READ) == 0 || errno != ENOSYS)
            _exit(kMprotectNotENOSYS);
        if (syscall(SYS_getpid) <= 0) _exit(kGetpidFailed);
        if (write(fds[1], "k", 1) != 1) _exit(kWriteFailed);
        _exit(kChildOk);
    }
    close(fds[1]);
    const int status = wait_for(pid, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kChildOk) << status_text(status);
    char byte = 0;
    EXPECT_EQ(read(fds[0], &byte, 1), 1);
    EXPECT_EQ(byte, 'k');
    close(fds[0]);
}

// A stop of the filter: the call's number and the data of SECCOMP_RET_TRACE.
struct FilterStop {
    long call;
    unsigned long data;
    bool operator==(const FilterStop&) const = default;
};

std::ostream& operator<<(std::ostream& os, const FilterStop& s) {
    return os << vmatlas::trace::syscall_name(s.call) << " (" << s.call << "): " << s.data;
}

// exit_group(2) itself: the sanitizers' _exit makes calls of its own first (sigaltstack), which
// the filter of every call would see.
[[noreturn]] void exit_now(int status) {
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

// Runs a child that installs trace_filter(every_call) and stops itself, and once traced calls
// getpid() and mmap() and exits; returns the filter's stops the tracer saw, in order. A filter of
// every call would fail raise()'s own calls while there is no tracer (ENOSYS), so that child
// stops first and installs the filter once traced.
std::vector<FilterStop> traced_child_stops(bool every_call) {
    const std::vector<sock_filter> program = trace_filter(every_call);
    const pid_t pid = fork();
    EXPECT_GE(pid, 0);
    if (pid < 0) return {};
    if (pid == 0) {
        alarm(kChildSeconds);
        if (!every_call && install_filter_quietly(program).call != nullptr)
            _exit(kFilterNotInstalled);
        raise(SIGSTOP);
        if (every_call && install_filter_quietly(program).call != nullptr)
            _exit(kFilterNotInstalled);
        if (syscall(SYS_getpid) <= 0) exit_now(kGetpidFailed);
        if (mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
            exit_now(kMmapFailed);
        exit_now(kChildOk);
    }

    // Traced only once stopped, so that its own set-up is no part of what is seen.
    int status = wait_for(pid, WUNTRACED);
    EXPECT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP) << status_text(status);
    if (!WIFSTOPPED(status)) return {};
    EXPECT_EQ(ptrace(PTRACE_SEIZE, pid, nullptr, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL), 0)
        << std::strerror(errno);
    EXPECT_EQ(kill(pid, SIGCONT), 0);

    std::vector<FilterStop> stops;
    for (;;) {
        status = wait_for(pid, __WALL);
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        if (!WIFSTOPPED(status)) {
            ADD_FAILURE() << status_text(status);
            break;
        }
        const int event = status >> 16;
        const int signal = WSTOPSIG(status);
        int inject = 0;
        if (event == PTRACE_EVENT_SECCOMP) {
            unsigned long data = 0;
            user_regs_struct regs{};
            EXPECT_EQ(ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &data), 0);
            EXPECT_EQ(ptrace(PTRACE_GETREGS, pid, nullptr, &regs), 0);
            stops.push_back({static_cast<long>(regs.orig_rax), data});
        } else if (event == PTRACE_EVENT_STOP) {
            // The group stop the child was in when seized, or SIGCONT's notice of its end: go on.
        } else if (signal != SIGSTOP && signal != SIGCONT) {
            inject = signal;  // SIGALRM, when the child hangs, ends it
        }
        EXPECT_EQ(ptrace(PTRACE_CONT, pid, nullptr, inject), 0) << std::strerror(errno);
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kChildOk) << status_text(status);
    return stops;
}

TEST(SeccompFilter, ATracerSeesTheMapChangingCallsAlone) {
    const std::vector<FilterStop> stops = traced_child_stops(false);
    EXPECT_EQ(stops, (std::vector<FilterStop>{{__NR_mmap, vmatlas::trace::kStopMapChanging}}));
}

TEST(SeccompFilter, ATracerOfEveryCallSeesEachWithWhyItStopped) {
    const std::vector<FilterStop> stops = traced_child_stops(true);
    // getpid, mmap and exit_group, in that order, and none other.
    EXPECT_EQ(stops, (std::vector<FilterStop>{{__NR_getpid, vmatlas::trace::kStopOther},
                                              {__NR_mmap, vmatlas::trace::kStopMapChanging},
                                              {__NR_exit_group, vmatlas::trace::kStopOther}}));
}

}  // namespace
}  // namespace vmtest
