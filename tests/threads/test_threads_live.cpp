// Thread stacks and arenas of a real child (vmatlas-threads-child): 4 threads, 3 blocked in
// pause(2) and one spinning. Ground truth is what the child reports (its tids, each thread's
// stack from pthread_getattr_np, each thread's first malloc) and what /proc says.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/threads_child.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas {
namespace {

using vmtest::task_syscall;
using vmtest::ThreadsChild;

constexpr Addr kHeapMax = 64 * 1024 * 1024;

std::string slurp(const std::string& path) {
    auto text = read_proc_file(path);
    return text ? *text : std::string();
}

// The state letter of /proc/PID/task/TID/stat (after the last ')', the name may hold one).
char task_state(pid_t pid, pid_t tid) {
    const std::string s =
        slurp("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
    const std::size_t close = s.rfind(')');
    return close == std::string::npos || close + 2 >= s.size() ? '?' : s[close + 2];
}

struct Annotated {
    AddressSpace space;
    Annotations notes;
};

Annotated annotate_child(const ThreadsChild& c) {
    auto space = read_process_maps(c.pid());
    EXPECT_TRUE(space.ok()) << (space ? "" : space.error().message);
    Annotated a{std::move(*space), {}};
    a.notes = annotate(a.space, AnnotateContext{c.pid()});
    return a;
}

// tid -> row index of every "stack tid=N" row.
std::map<pid_t, std::size_t> stack_rows(const Annotated& a) {
    std::map<pid_t, std::size_t> rows;
    for (std::size_t i = 0; i < a.space.size(); ++i) {
        const std::string name = a.notes.labels[i].name.str();
        if (name.starts_with("stack tid=")) rows[std::stoi(name.substr(10))] = i;
    }
    return rows;
}

class Threads : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(child.ready) << "the child did not start";
        ASSERT_EQ(child.tids.size(), 4u);
        ASSERT_TRUE(child.settle());
    }
    ThreadsChild child{4};
};

TEST_F(Threads, ReadsEveryThreadAndItsStackPointer) {
    auto threads = read_threads(child.pid());
    ASSERT_TRUE(threads.ok()) << threads.error().message;
    ASSERT_EQ(threads->size(), 5u);
    EXPECT_EQ(threads->front().tid, child.pid());
    EXPECT_EQ(threads->front().name, "vmatlas-threads");  // comm is cut to 15 bytes
    for (const ThreadInfo& t : *threads) {
        ASSERT_TRUE(t.sp) << t.tid << ": " << t.sp_error;
        if (t.tid == child.pid()) continue;
        const auto [lo, hi] = child.stacks.at(t.tid);
        EXPECT_GE(*t.sp, lo) << t.tid;
        EXPECT_LT(*t.sp, hi) << t.tid;
        if (t.tid == child.spinner) {
            EXPECT_EQ(t.name, "spinner");
            EXPECT_EQ(t.sp_source, StackPointerSource::Registers);  // it was running: ptrace
        } else {
            EXPECT_TRUE(t.name.starts_with("worker-")) << t.name;
            EXPECT_EQ(t.sp_source, StackPointerSource::Syscall);
        }
    }
}

TEST_F(Threads, WithoutNamesTheSameThreadsAndStackPointers) {
    auto named = read_threads(child.pid());
    auto bare = read_threads(child.pid(), /*with_names=*/false);
    ASSERT_TRUE(named.ok()) << named.error().message;
    ASSERT_TRUE(bare.ok()) << bare.error().message;
    ASSERT_EQ(bare->size(), named->size());
    for (std::size_t i = 0; i < bare->size(); ++i) {
        const ThreadInfo& b = (*bare)[i];
        EXPECT_EQ(b.tid, (*named)[i].tid);
        EXPECT_EQ(b.name, "") << b.tid;
        ASSERT_TRUE(b.sp) << b.tid << ": " << b.sp_error;
        if (b.tid == child.pid()) continue;
        const auto [lo, hi] = child.stacks.at(b.tid);
        EXPECT_GE(*b.sp, lo) << b.tid;
        EXPECT_LT(*b.sp, hi) << b.tid;
        EXPECT_EQ(b.sp_source, (*named)[i].sp_source) << b.tid;
    }
}

TEST_F(Threads, NamesEveryThreadStackAndItsGuard) {
    const Annotated a = annotate_child(child);
    for (const std::string& w : a.notes.warnings)  // other stages' warnings are theirs
        EXPECT_EQ(w.find("thread"), std::string::npos) << w;
    const std::map<pid_t, std::size_t> rows = stack_rows(a);
    std::set<pid_t> named, expected(child.tids.begin(), child.tids.end());
    for (const auto& [tid, i] : rows) named.insert(tid);
    EXPECT_EQ(named, expected);

    for (const auto& [tid, i] : rows) {
        const Mapping& m = a.space[i];
        EXPECT_EQ(a.notes.labels[i].source, NameSource::Registers);
        EXPECT_EQ(a.notes.roles[i], Role::Stack);
        // The row is the pthread stack: exactly what pthread_getattr_np reports, the default
        // 8 MiB (RLIMIT_STACK) less the guard page.
        EXPECT_EQ(m.start, child.stacks.at(tid).first) << tid;
        EXPECT_EQ(m.end, child.stacks.at(tid).second) << tid;
        EXPECT_NEAR(static_cast<double>(m.size()), 8.0 * 1024 * 1024, 64.0 * 1024) << tid;
        // What the kernel says the blocked threads' stack pointers are, read by the test.
        if (tid != child.spinner) {
            const auto sp = parse_syscall_stack_pointer(task_syscall(child.pid(), tid));
            ASSERT_TRUE(sp) << tid;
            EXPECT_TRUE(m.contains(*sp)) << tid;
        }
        ASSERT_GT(i, 0u);
        const Mapping& guard = a.space[i - 1];
        EXPECT_EQ(a.notes.labels[i - 1].name, "guard tid=" + std::to_string(tid));
        EXPECT_EQ(guard.end, m.start);
        EXPECT_TRUE(guard.perms.none());
        EXPECT_EQ(a.notes.roles[i - 1], Role::Guard);
    }

    // The main thread keeps the kernel's name, and nothing else is a stack.
    std::size_t main_stacks = 0, stacks = 0;
    for (std::size_t i = 0; i < a.space.size(); ++i) {
        if (a.notes.labels[i].name == "[stack]") {
            ++main_stacks;
            EXPECT_EQ(a.notes.labels[i].source, NameSource::Kernel);
        }
        if (a.notes.labels[i].name.find("stack tid") != std::string::npos) ++stacks;
    }
    EXPECT_EQ(main_stacks, 1u);
    EXPECT_EQ(stacks, 4u);
}

TEST_F(Threads, SpinningThreadIsNamedThroughPtraceAndKeepsSpinning) {
    ASSERT_TRUE(task_syscall(child.pid(), child.spinner).starts_with("running"));
    const unsigned long before = child.spins();
    const Annotated a = annotate_child(child);
    const std::map<pid_t, std::size_t> rows = stack_rows(a);
    ASSERT_TRUE(rows.count(child.spinner));
    EXPECT_EQ(a.space[rows.at(child.spinner)].start, child.stacks.at(child.spinner).first);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GT(child.spins(), before);
}

TEST_F(Threads, EveryThreadRunsOnAfterAnnotation) {
    for (int round = 0; round < 5; ++round) (void)annotate_child(child);
    const unsigned long before = child.spins();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GT(child.spins(), before);
    const std::string main_syscall = task_syscall(child.pid(), child.pid());
    for (pid_t tid : child.tids) {
        const char state = task_state(child.pid(), tid);
        EXPECT_NE(state, 't') << tid;
        EXPECT_NE(state, 'T') << tid;
        if (tid == child.spinner) continue;
        EXPECT_EQ(state, 'S') << tid;
        // Still in pause(2): x86-64 34, aarch64 has no pause and uses ppoll... only check x86.
#if defined(__x86_64__)
        EXPECT_TRUE(task_syscall(child.pid(), tid).starts_with("34 ")) << tid;
#endif
    }
    EXPECT_NE(task_state(child.pid(), child.pid()), 'T');
    EXPECT_NE(task_state(child.pid(), child.pid()), 't');
}

TEST_F(Threads, NamesTheThreadsMallocArenas) {
    const Annotated a = annotate_child(child);
    std::set<Addr> arenas;
    for (pid_t tid : child.tids) {
        const Addr p = child.mallocs.at(tid);
        const auto i = a.space.find(p);
        ASSERT_TRUE(i) << std::hex << p;
        const Mapping& m = a.space[*i];
        EXPECT_EQ(a.notes.labels[*i].name, "heap") << tid << " " << a.notes.labels[*i].name;
        EXPECT_EQ(a.notes.labels[*i].source, NameSource::Heuristic);
        EXPECT_EQ(a.notes.roles[*i], Role::Heap);
        EXPECT_EQ(m.start, p & ~(kHeapMax - 1)) << tid;
        arenas.insert(m.start);
        // The rest of its 64 MiB reservation, when it has not grown into all of it.
        if (m.size() < kHeapMax) {
            ASSERT_LT(*i + 1, a.space.size());
            EXPECT_EQ(a.notes.labels[*i + 1].name, "heap (reserved)");
            EXPECT_EQ(a.space[*i + 1].end, m.start + kHeapMax);
        }
    }
    EXPECT_EQ(arenas.size(), child.tids.size());  // one arena each
    std::size_t heaps = 0;
    for (const Label& l : a.notes.labels) heaps += l.name == "heap";
    EXPECT_EQ(heaps, child.tids.size());
}

// As an unprivileged user (nobody), annotating a process that root owns: the thread stacks keep
// their pwndbg names and one warning says why.
TEST_F(Threads, WithoutPermissionOneWarningAndNoThreadNames) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
    auto space = read_process_maps(child.pid());
    ASSERT_TRUE(space.ok());
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    const pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        const Annotations notes = annotate(*space, AnnotateContext{child.pid()});
        std::string out;
        for (const std::string& w : notes.warnings)
            if (w.find("registers") != std::string::npos) out += "warning " + w + "\n";
        for (std::size_t i = 0; i < space->size(); ++i) {
            const std::string name = notes.labels[i].name.str();
            if (name.find("tid=") != std::string::npos ||
                notes.labels[i].source == NameSource::Registers)
                out += "named " + name + "\n";
            if (name == "[stack]") out += "main [stack]\n";
        }
        (void)!write(report[1], out.data(), out.size());
        _exit(0);
    }
    close(report[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) out.append(buf, n);
    close(report[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    std::istringstream lines(out);
    std::vector<std::string> warnings;
    std::size_t named = 0, main_stack = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("warning ")) warnings.push_back(line.substr(8));
        if (line.starts_with("named ")) ++named;
        if (line == "main [stack]") ++main_stack;
    }
    ASSERT_EQ(warnings.size(), 1u) << out;
    const std::string expected_start =
        "cannot read the registers of process " + std::to_string(child.pid()) + "'s threads (";
    EXPECT_EQ(warnings[0].rfind(expected_start, 0), 0u) << warnings[0];
    EXPECT_NE(warnings[0].find("run as root"), std::string::npos);
    EXPECT_EQ(named, 0u) << out;
    EXPECT_EQ(main_stack, 1u);

    for (pid_t tid : child.tids) EXPECT_NE(task_state(child.pid(), tid), 't') << tid;
}

}  // namespace
}  // namespace vmatlas
