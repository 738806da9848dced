// Targets that cannot be read, and targets named by process name: each gives its documented exit
// status and one sentence on stderr.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "sources/proc_stream.hpp"
#include "vmatlas/procfs.hpp"

namespace vmtest {
namespace {

char proc_state(pid_t pid) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    std::size_t paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// A child that exited and was reaped: its PID names nobody now.
pid_t reaped_pid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

void expect_failure(const RunResult& r, int status, const std::string& mentions) {
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_EQ(r.out, "") << "no half-written output";
    EXPECT_NE(r.err, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one sentence: " << r.err;
    if (!mentions.empty()) {
        EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
    }
}

TEST(Errors, NoSuchProcess) {
    long pid_max = std::stol(slurp("/proc/sys/kernel/pid_max"));
    std::string above_max = std::to_string(pid_max + 1);
    expect_failure(vmatlas({above_max}), 3, above_max);
    expect_failure(vmatlas({"--json", above_max}), 3, above_max);
    std::string gone = std::to_string(reaped_pid());
    expect_failure(vmatlas({gone}), 3, gone);
}

TEST(Errors, NoSuchFile) {
    const RunResult r = vmatlas({"/nonexistent dir/saved.maps"});
    expect_failure(r, 3, "");
    EXPECT_EQ(r.err, "vmatlas: no such file: /nonexistent dir/saved.maps\n");
}

TEST(Errors, KernelThreadHasNoMap) {
    if (slurp("/proc/2/comm") != "kthreadd\n") GTEST_SKIP() << "PID 2 is not kthreadd here";
    expect_failure(vmatlas({"2"}), 6, "2");
}

TEST(Errors, ZombieHasExited) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    for (int i = 0; i < 500 && proc_state(pid) != 'Z'; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(proc_state(pid), 'Z');
    RunResult r = vmatlas({std::to_string(pid)});
    waitpid(pid, nullptr, 0);
    expect_failure(r, 5, std::to_string(pid));
}

TEST(Errors, PermissionDenied) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to drop to another user";
    // The demo runs as root; vmatlas runs as nobody, who may not read a root process's map.
    Demo demo;
    RunResult r = vmatlas({demo.pid_text()}, {}, [] {
        setgroups(0, nullptr);
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(126);
    });
    ASSERT_NE(r.status, 126) << "could not drop to uid 65534";
    ASSERT_NE(r.status, 127) << "uid 65534 cannot execute " << VMATLAS_BIN;
    expect_failure(r, 4, demo.pid_text());
}

TEST(Errors, NameOfSeveralProcessesListsThem) {
    Demo one, two;
    RunResult r = vmatlas({"vmatlas-demo"});
    EXPECT_EQ(r.status, 8);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(one.pid_text()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(two.pid_text()), std::string::npos) << r.err;
}

TEST(Targets, NameOfOneProcess) {
    std::string name = "vmd-" + std::to_string(getpid());  // comm holds at most 15 bytes
    Demo demo({"--name", name});
    ASSERT_EQ(slurp("/proc/" + demo.pid_text() + "/comm"), name + "\n");
    RunResult r = vmatlas({"--json", name});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["pid"], demo.pid());
    EXPECT_EQ(doc["source"]["process"], name);
    EXPECT_EQ(doc["mappings"].size(), read_proc_maps(demo.pid()).size());
}

TEST(Targets, Self) {
    RunResult r = vmatlas({"--json", "self"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["kind"], "procfs");
    EXPECT_EQ(doc["source"]["process"], "vmatlas");
    EXPECT_GT(doc["mappings"].size(), 5u);
}

TEST(Library, ProcessKilledBetweenOpenAndRead) {
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    int fd = open(("/proc/" + std::to_string(pid) + "/maps").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    auto space = vmatlas::read_process_maps_fd(pid, fd);
    ASSERT_FALSE(space.ok()) << "read " << space->size() << " rows of a dead process";
    EXPECT_EQ(space.error().kind, vmatlas::ErrorKind::ProcessExited) << space.error().message;
    EXPECT_NE(space.error().message.find(std::to_string(pid)), std::string::npos)
        << space.error().message;
}

}  // namespace
}  // namespace vmtest
