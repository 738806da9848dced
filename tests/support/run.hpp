// Running a program as a test's child: its exit status, stdout and stderr, with stdin fed.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vmtest {

struct RunResult {
    int status = -1;  // the exit status, or 128 + the signal that killed it
    std::string out, err;
};

// Runs argv[0] (a path, or a name looked up on PATH) with argv, feeding stdin_text, capturing
// stdout and stderr. in_child runs in the child between fork and exec (async-signal-safe calls
// only).
inline RunResult run(const std::vector<std::string>& argv, const std::string& stdin_text = {},
                     const std::function<void()>& in_child = {}) {
    signal(SIGPIPE, SIG_IGN);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (in_child) in_child();
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);

    RunResult r;
    std::size_t written = 0;
    int in_fd = in[1];
    if (stdin_text.empty()) close(in_fd), in_fd = -1;
    int open_outputs = 2;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (open_outputs > 0) {
        pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(fds, 3, 1000) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            char buf[65536];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                (i == 0 ? out[0] : err[0]) = -1;
                --open_outputs;
            }
        }
        if (in_fd >= 0 && fds[2].revents) {
            ssize_t n = write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
            if (n > 0) written += n;
            if (n < 0 && errno != EAGAIN && errno != EINTR) written = stdin_text.size();
            if (written == stdin_text.size()) close(in_fd), in_fd = -1;
        }
    }
    if (in_fd >= 0) close(in_fd);
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

inline RunResult vmatlas(std::vector<std::string> args, const std::string& stdin_text = {},
                         const std::function<void()>& in_child = {}) {
    args.insert(args.begin(), VMATLAS_BIN);
    return run(args, stdin_text, in_child);
}

// Runs argv and returns its stdout; a failure is an exception that shows the command and its
// stderr.
inline std::string must_run(const std::vector<std::string>& argv) {
    RunResult r = run(argv);
    if (r.status != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += "'" + a + "' ";
        throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + cmd +
                                 "\n" + r.out + r.err);
    }
    return r.out;
}

}  // namespace vmtest
