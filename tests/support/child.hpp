// A program of the test's as a child process that says "ready ..." on stdout once its map is set
// up, and runs until its stdin is closed. The child is reaped on destruction: it is let go on if
// paused, its stdin is closed (it then cleans up and exits), and it is killed if it has not gone
// within five seconds, or at once when it does not watch its stdin.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace vmtest {

// The first line a child writes to fd (without its newline), or what came before it went quiet
// for timeout_ms or closed the pipe.
inline std::string read_line(int fd, int timeout_ms = 10'000) {
    std::string line;
    char c;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) break;
        if (read(fd, &c, 1) != 1 || c == '\n') break;
        line += c;
    }
    return line;
}

struct ChildOptions {
    std::string dir;           // its working directory and TMPDIR; "" keeps the test's
    bool core_dumps = false;   // no limit on the size of its core file
    bool exits_at_eof = true;  // it exits when its stdin is closed (else it is killed at once)
};

class Child {
  public:
    explicit Child(std::vector<std::string> argv, const ChildOptions& options = {}) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
        const std::string tmpdir = "TMPDIR=" + options.dir;
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        exits_at_eof_ = options.exits_at_eof;
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {  // async-signal-safe calls only, until exec
            dup2(in[0], 0);
            dup2(out[1], 1);
            if (options.core_dumps) {
                const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
                setrlimit(RLIMIT_CORE, &unlimited);
            }
            if (!options.dir.empty()) {
                if (chdir(options.dir.c_str()) != 0) _exit(126);
                putenv(const_cast<char*>(tmpdir.c_str()));
            }
            execv(args[0], args.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        ready_line_ = read_line(out[0]);
        close(out[0]);
        if (!ready_line_.starts_with("ready")) {
            kill_and_reap();
            throw std::runtime_error(argv[0] + " did not say ready: '" + ready_line_ + "'");
        }
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }
    const std::string& ready_line() const { return ready_line_; }
    int stdin_fd() const { return stdin_; }  // the write end of its standard input

    // SIGSTOP, and waits until every one of its threads has stopped.
    void pause() {
        kill(pid_, SIGSTOP);
        paused_ = true;
        const std::string task = "/proc/" + pid_text() + "/task";
        for (int tries = 0; tries < 5000; ++tries) {
            bool all = true;
            for (const auto& t : std::filesystem::directory_iterator(task)) {
                std::ifstream stat(t.path() / "stat");
                std::string text((std::istreambuf_iterator<char>(stat)), {});
                const auto paren = text.rfind(')');  // the state follows the command's ") "
                const char state = paren + 2 < text.size() ? text[paren + 2] : '?';
                all = all && (state == 'T' || state == 't');
            }
            if (all) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        throw std::runtime_error("the child did not stop");
    }

    // SIGCONT after pause().
    void resume() {
        kill(pid_, SIGCONT);
        paused_ = false;
    }

    // Kills it with SIGSEGV (SIGCONT lets the signal act on a stopped child) and reaps it; true
    // when the kernel says it dumped core.
    bool dump_by_signal() {
        kill(pid_, SIGSEGV);
        kill(pid_, SIGCONT);
        int ws = 0;
        while (waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return WIFSIGNALED(ws) && WCOREDUMP(ws);
    }

    // Closes its stdin and waits for it to exit; kills it if it does not within five seconds.
    void stop() {
        if (pid_ > 0 && paused_) resume();
        if (stdin_ >= 0) close(stdin_), stdin_ = -1;
        if (pid_ <= 0) return;
        for (int i = 0; i < 500 && exits_at_eof_; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return void(pid_ = 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill_and_reap();
    }

  private:
    void kill_and_reap() {
        if (stdin_ >= 0) close(stdin_), stdin_ = -1;
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }

    pid_t pid_ = 0;
    int stdin_ = -1;
    bool paused_ = false;
    bool exits_at_eof_ = true;
    std::string ready_line_;
};

// The demo program (tools/demo), started and waited for: it says "ready <its pid>".
class Demo : public Child {
  public:
    explicit Demo(std::vector<std::string> extra = {}, const ChildOptions& options = {})
        : Child(argv(std::move(extra)), options) {
        if (ready_line() != "ready " + pid_text())
            throw std::runtime_error("the demo did not say ready: '" + ready_line() + "'");
    }

  private:
    static std::vector<std::string> argv(std::vector<std::string> extra) {
        std::vector<std::string> a = {VMATLAS_DEMO_BIN, "--seconds", "120"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

}  // namespace vmtest
