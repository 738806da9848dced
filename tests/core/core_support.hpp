// What the core-file tests share: a child process that is stopped, looked at, and dumped both ways
// (gcore, and the kernel on SIGSEGV), and a reader of gdb's `info proc mappings` on a core.
#pragma once

#include <sys/resource.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace vmtest {

namespace fs = std::filesystem;

// A scratch directory, removed with everything in it.
class TempDir {
  public:
    explicit TempDir(const std::string& stem) {
        std::string t = (fs::temp_directory_path() / (stem + " XXXXXX")).string();
        if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
        path_ = t;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    std::string operator/(const std::string& leaf) const { return (path_ / leaf).string(); }

  private:
    fs::path path_;
};

// How the kernel names core files here: a relative /proc/sys/kernel/core_pattern (such as "core"
// or "core.%p") puts them in the crashing process's directory, which the test chooses. nullopt
// when cores go elsewhere (an absolute path or a pipe to systemd-coredump): the test then says so.
inline std::optional<std::string> relative_core_pattern() {
    std::string pattern = slurp("/proc/sys/kernel/core_pattern");
    while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == ' '))
        pattern.pop_back();
    if (pattern.empty() || pattern[0] == '|' || pattern[0] == '/') return std::nullopt;
    return pattern;
}

// A program started in dir (its working directory and TMPDIR), with no limit on core size, that
// prints "ready <pid>" when its map is set up; stdout is read until then.
class Child {
  public:
    Child(std::vector<std::string> argv, const fs::path& dir) {
        int out[2];
        if (pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
        const std::string dir_text = dir.string();
        const std::string tmpdir = "TMPDIR=" + dir_text;
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(out[1], 1);
            int devnull = open("/dev/null", O_RDONLY);
            dup2(devnull, 0);  // the demo then does not watch stdin
            rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
            setrlimit(RLIMIT_CORE, &unlimited);
            if (chdir(dir_text.c_str()) != 0) _exit(126);
            putenv(const_cast<char*>(tmpdir.c_str()));
            execv(args[0], args.data());
            _exit(127);
        }
        close(out[1]);
        const std::string line = read_line(out[0]);
        close(out[0]);
        if (!line.starts_with("ready ")) {
            kill_and_reap();
            throw std::runtime_error("the child did not say ready: '" + line + "'");
        }
    }
    ~Child() { kill_and_reap(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }

    // SIGSTOP, and wait until every thread has stopped.
    void stop() {
        kill(pid_, SIGSTOP);
        int ws = 0;
        waitpid(pid_, &ws, WUNTRACED);
    }

    // Kills it with SIGSEGV (it is stopped: SIGCONT lets the signal act) and reaps it; true when
    // the kernel says it dumped core.
    bool dump_by_signal() {
        kill(pid_, SIGSEGV);
        kill(pid_, SIGCONT);
        int ws = 0;
        while (waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return WIFSIGNALED(ws) && WCOREDUMP(ws);
    }

  private:
    void kill_and_reap() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }

    pid_t pid_ = 0;
};

// The core file the kernel wrote in dir (whatever the pattern's %-fields made of its name).
inline std::optional<std::string> find_core(const fs::path& dir, const std::string& pattern) {
    const std::string stem = pattern.substr(0, pattern.find('%'));
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string().starts_with(stem))
            return e.path().string();
    return std::nullopt;
}

// gcore's core of a (stopped) process, written to `prefix.PID`.
inline std::optional<std::string> gcore(pid_t pid, const std::string& prefix) {
    RunResult r = run({"/usr/bin/gcore", "-o", prefix, std::to_string(pid)});
    const std::string path = prefix + "." + std::to_string(pid);
    if (r.status != 0 || !fs::exists(path)) return std::nullopt;
    return path;
}

// One line of gdb's `info proc mappings` on a core: the file-backed rows of NT_FILE.
struct GdbRow {
    std::uint64_t start = 0, end = 0, offset = 0;
    std::string path;
};

inline std::vector<GdbRow> gdb_core_mappings(const std::string& exe, const std::string& core) {
    RunResult r = run({"/usr/bin/gdb", "-batch", "-nx", "-ex", "info proc mappings", exe, core});
    std::vector<GdbRow> rows;
    for (const std::string& line : lines(r.out)) {
        std::size_t pos = 0;
        std::string_view l = line;
        const std::string_view first = next_word(l, pos);
        if (!first.starts_with("0x")) continue;
        GdbRow g;
        g.start = hex(first);
        g.end = hex(next_word(l, pos));
        next_word(l, pos);  // size
        g.offset = hex(next_word(l, pos));
        while (pos < l.size() && l[pos] == ' ') ++pos;
        g.path = l.substr(pos);
        rows.push_back(std::move(g));
    }
    return rows;
}

}  // namespace vmtest
