// vmatlas watch on the watch child: exactly the events of what it was told to do, in order, none
// while it is idle; its exit and its exec end the watch with their sentences; a PID that does not
// exist.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/harness.hpp"

namespace {

using nlohmann::json;

// vmatlas watch ARGS..., its stdout read line by line as it writes.
class Watch {
  public:
    explicit Watch(std::vector<std::string> args) {
        args.insert(args.begin(), {VMATLAS_BIN, "watch"});
        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe2");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(out[1], 1);
            dup2(err[1], 2);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(out[1]);
        close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~Watch() {
        if (pid_ > 0) kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0);
        close(out_);
        close(err_);
    }
    // The next line of its stdout, "" after timeout_ms or at its end.
    std::string line(int timeout_ms = 10'000) { return vmtest::read_line(out_, timeout_ms); }
    // Whether a line is ready now, or within ms.
    bool has_output(int ms) {
        pollfd p{out_, POLLIN, 0};
        return poll(&p, 1, ms) > 0;
    }
    // Waits for its exit: its status, and its stderr.
    std::pair<int, std::string> finish() {
        std::string err;
        char buf[4096];
        for (ssize_t n; (n = read(err_, buf, sizeof buf)) > 0;) err.append(buf, n);
        int ws = 0;
        waitpid(pid_, &ws, 0);
        pid_ = 0;
        return {WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), err};
    }

  private:
    pid_t pid_ = 0;
    int out_ = -1, err_ = -1;
};

void tell(vmtest::Child& child, const std::string& command) {
    const std::string line = command + "\n";
    ASSERT_EQ(write(child.stdin_fd(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
}

TEST(Watch, ReportsExactlyWhatTheChildDidInOrderAndNothingWhileIdle) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    const long page = vmtest::kPage;
    Watch watch({child.pid_text(), "--interval", "0.02", "--count", "5", "--json"});
    const json start = json::parse(watch.line());
    EXPECT_EQ(start["schema"], "vmatlas.watch/1");
    EXPECT_EQ(start["event"], "start");
    EXPECT_EQ(start["pid"], child.pid());
    EXPECT_FALSE(watch.has_output(500)) << "an event while the child was idle";

    struct Expected {
        std::string command, event, end, perms, was;
    };
    const std::string one = vmtest::to_hex(0x100000000000 + page);
    const std::string two = vmtest::to_hex(0x100000000000 + 2 * page);
    const Expected steps[] = {
        {"map", "mapped", one, "rw-p", ""},
        {"protect", "perms", one, "r--p", "rw-p"},
        {"grow", "grew", two, "r--p", vmtest::to_hex(page, false)},
        {"shrink", "shrank", one, "r--p", vmtest::to_hex(2 * page, false)},
        {"unmap", "unmapped", one, "r--p", ""},
    };
    std::string generation = start["generation"];
    for (const Expected& s : steps) {
        tell(child, s.command);
        const std::string text = watch.line();
        ASSERT_FALSE(text.empty()) << "no event after " << s.command;
        const json e = json::parse(text);
        EXPECT_EQ(e["schema"], "vmatlas.watch/1");
        EXPECT_EQ(e["event"], s.event) << s.command;
        EXPECT_EQ(e["start"], "0x100000000000") << s.command;
        EXPECT_EQ(e["end"], s.end) << s.command;
        EXPECT_EQ(e["perms"], s.perms) << s.command;
        EXPECT_EQ(e["name"], "[anon_100000000]") << s.command;
        EXPECT_EQ(e.value("was", ""), s.was) << s.command;
        EXPECT_NE(e["generation"], generation) << "the generation did not move on " << s.command;
        generation = e["generation"];
        if (&s != &steps[4])
            EXPECT_FALSE(watch.has_output(300)) << "more than one event for " << s.command;
    }
    EXPECT_EQ(watch.line(), "") << "more than --count events";
    // After unmapping, the map is what it was at the start: the same generation.
    EXPECT_EQ(generation, start["generation"]);
    const auto [status, err] = watch.finish();
    EXPECT_EQ(status, 0);
    EXPECT_EQ(err, "");
}

TEST(Watch, TheNameIsTheDefaultViewsName) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    Watch watch({child.pid_text(), "--interval", "0.02", "--count", "1", "--json"});
    ASSERT_FALSE(watch.line().empty());
    tell(child, "map");
    const json e = json::parse(watch.line());
    const auto view = vmtest::vmatlas({child.pid_text(), "0x100000000000", "--json"});
    const json map = json::parse(view.out);
    std::string name;
    for (const auto& row : map["mappings"])
        if (row["start"] == "0x100000000000") name = row["name"];
    EXPECT_EQ(e["name"], name);
    EXPECT_EQ(watch.finish().first, 0);
}

TEST(Watch, TheProcessExitingEndsTheWatchWithItsSentence) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    Watch watch({child.pid_text(), "--interval", "0.02"});
    const std::string start = watch.line();
    EXPECT_NE(start.find(" start    pid " + child.pid_text() + ", "), std::string::npos) << start;
    tell(child, "exit");
    const std::string last = watch.line();
    EXPECT_TRUE(last.ends_with(" exited   pid " + child.pid_text())) << last;
    EXPECT_EQ(watch.line(1000), "");
    const auto [status, err] = watch.finish();
    EXPECT_EQ(status, 0);
    EXPECT_TRUE(err.starts_with("vmatlas: process " + child.pid_text() + " ")) << err;
    EXPECT_TRUE(err.ends_with(": the watch is over\n")) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(Watch, AnExecEndsTheWatchWithItsSentence) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    Watch watch({child.pid_text(), "--interval", "0.02"});
    ASSERT_FALSE(watch.line().empty());
    tell(child, "exec");
    const std::string last = watch.line();
    EXPECT_TRUE(last.ends_with(" exited   pid " + child.pid_text())) << last;
    EXPECT_EQ(watch.line(1000), "");
    const auto [status, err] = watch.finish();
    EXPECT_EQ(status, 0);
    EXPECT_EQ(err, "vmatlas: process " + child.pid_text() +
                       " ran exec: the map that was watched is gone: the watch is over\n");
}

TEST(Watch, APidThatDoesNotExist) {
    const auto r = vmtest::vmatlas({"watch", "2147483647"});
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vmatlas: no process has PID 2147483647\n");
}

TEST(Watch, BadArguments) {
    auto r = vmtest::vmatlas({"watch", "1", "--interval", "0"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vmatlas: --interval takes seconds from 0.001 to 86400 (0.1, 2), not '0'\n");
    r = vmtest::vmatlas({"watch", "1", "--count", "0"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vmatlas: --count takes a number of changes from 1 on\n");
}

}  // namespace
