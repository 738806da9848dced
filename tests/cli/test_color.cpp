// --color=auto: colour on a terminal, unless NO_COLOR is set or TERM is dumb. The command runs
// with its stdout on a pseudo-terminal of the test's.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

struct TtyRun {
    int status = -1;
    std::string out;
};

// Runs vmatlas ARGS with stdout and stderr on a new pseudo-terminal and the environment's
// NO_COLOR and TERM set as given ("" unsets).
TtyRun run_on_tty(std::vector<std::string> args, const std::string& no_color,
                  const std::string& term) {
    args.insert(args.begin(), VMATLAS_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    if (pid < 0) throw std::runtime_error("forkpty failed");
    if (pid == 0) {
        no_color.empty() ? unsetenv("NO_COLOR") : setenv("NO_COLOR", no_color.c_str(), 1);
        term.empty() ? unsetenv("TERM") : setenv("TERM", term.c_str(), 1);
        execv(argv[0], argv.data());
        _exit(127);
    }
    TtyRun r;
    char buf[4096];
    for (;;) {  // until the child's side closes: EIO on Linux
        const ssize_t n = read(master, buf, sizeof buf);
        if (n > 0)
            r.out.append(buf, static_cast<std::size_t>(n));
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    close(master);
    int ws = 0;
    waitpid(pid, &ws, 0);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

const std::string kMaps = std::string(VMATLAS_GOLDEN_DIR) + "/layout.maps";

bool coloured(const std::string& out) {
    return out.find("\x1b[") != std::string::npos;
}

TEST(ColorAuto, ATerminalGetsColour) {
    const TtyRun r = run_on_tty({kMaps}, "", "xterm");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(coloured(r.out)) << r.out;
}

TEST(ColorAuto, NoColorTurnsItOff) {
    const TtyRun r = run_on_tty({kMaps}, "1", "xterm");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_FALSE(coloured(r.out)) << r.out;
}

TEST(ColorAuto, ADumbTerminalGetsNone) {
    const TtyRun r = run_on_tty({kMaps}, "", "dumb");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_FALSE(coloured(r.out)) << r.out;
    EXPECT_NE(r.out.find("[vdso]"), std::string::npos) << r.out;
}

TEST(ColorAuto, AlwaysWinsOverTheEnvironment) {
    const TtyRun r = run_on_tty({"--color=always", kMaps}, "1", "dumb");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(coloured(r.out)) << r.out;
}

}  // namespace
