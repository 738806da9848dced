// vmatlas-threads-child (tests/threads/threads_child.cpp) as a child process: N threads, all but
// one blocked in pause(2), one spinning; what it says of itself (its tids, each thread's stack,
// each thread's first malloc, the spinner) read before the constructor returns. It exits when its
// stdin closes, and is killed if it has not within two seconds (a child a debugger keeps stopped).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vmatlas/mapping.hpp"

namespace vmtest {

using vmatlas::Addr;

// All of a small file (a /proc file reads as its size 0): empty when it cannot be read.
inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// /proc/PID/task/TID/syscall: "running", or the system call a blocked thread is in and its
// arguments, stack pointer and program counter.
inline std::string task_syscall(pid_t pid, pid_t tid) {
    return read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall");
}

// The child, started with pipes on its stdin and stdout; it exits when its stdin closes.
class ThreadsChild {
  public:
    explicit ThreadsChild(int threads) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            const std::string n = std::to_string(threads);
            execl(VMATLAS_THREADS_CHILD, VMATLAS_THREADS_CHILD, n.c_str(), nullptr);
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        to_ = fdopen(in[1], "w");
        from_ = fdopen(out[0], "r");
        char line[512];
        while (fgets(line, sizeof line, from_)) {
            std::istringstream words(line);
            std::string key;
            words >> key;
            if (key == "tids") {
                pid_t t;
                while (words >> t) tids.push_back(t);
            } else if (key == "stack") {
                pid_t t;
                Addr lo, hi;
                words >> t >> std::hex >> lo >> hi;
                stacks[t] = {lo, hi};
            } else if (key == "malloc") {
                pid_t t;
                Addr a;
                words >> t >> std::hex >> a;
                mallocs[t] = a;
            } else if (key == "spinner") {
                words >> spinner;
            } else if (key == "ready") {
                ready = true;
                break;
            }
        }
    }
    ~ThreadsChild() {
        if (to_) fclose(to_);  // EOF: the child exits
        if (from_) fclose(from_);
        if (pid_ > 0) {
            int status;
            for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (kill(pid_, SIGKILL) == 0) waitpid(pid_, &status, 0);
        }
    }
    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }

    // The spinner's loop count, as the child reports it: proof that it still runs.
    unsigned long spins() {
        fputs("spins\n", to_);
        fflush(to_);
        char line[128];
        unsigned long n = 0;
        if (fgets(line, sizeof line, from_)) std::sscanf(line, "spins %lu", &n);
        return n;
    }

    // Waits until every thread but the spinner is blocked in pause(), and the spinner is out
    // of the barrier's futex and spinning, so that what the test reads from /proc is stable.
    // (A worker still on its way out of the barrier's futex is in a system call too, but shows
    // "running" for a moment on its way to pause(): on a loaded machine a test read it there
    // once.) glibc's pause() is the pause system call where there is one, else ppoll.
    bool settle() const {
#ifdef SYS_pause
        const std::string in_pause = std::to_string(SYS_pause) + " ";
#else
        const std::string in_pause = std::to_string(SYS_ppoll) + " ";
#endif
        for (int i = 0; i < 200; ++i) {
            bool all = true;
            for (pid_t t : tids) {
                const std::string call = task_syscall(pid_, t);
                if (t == spinner ? !call.starts_with("running") : !call.starts_with(in_pause))
                    all = false;
            }
            if (all) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

    bool ready = false;
    std::vector<pid_t> tids;
    std::map<pid_t, std::pair<Addr, Addr>> stacks;
    std::map<pid_t, Addr> mallocs;
    pid_t spinner = 0;

  private:
    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

}  // namespace vmtest
