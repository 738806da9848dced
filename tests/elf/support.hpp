// What the ELF tests share: a scratch directory whose name holds a space, running tools (cc,
// readelf, objcopy) and the test's own child programs, and readelf's view of program headers,
// parsed here independently of the library so that it can serve as the ground truth.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace elftest {

namespace fs = std::filesystem;

inline const std::uint64_t kPage = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

inline std::uint64_t page_down(std::uint64_t x) {
    return x / kPage * kPage;
}
inline std::uint64_t page_up(std::uint64_t x) {
    return (x + kPage - 1) / kPage * kPage;
}

// A fresh directory under the system's temporary directory, removed with everything in it.
class ScratchDir {
  public:
    explicit ScratchDir(std::string_view stem) {
        std::string pattern =
            (fs::temp_directory_path() / (std::string(stem) + " XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const fs::path& path() const { return path_; }
    std::string operator/(std::string_view leaf) const { return (path_ / leaf).string(); }

  private:
    fs::path path_;
};

inline void write_text(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct ToolResult {
    int status = -1;
    std::string out;  // stdout and stderr together
};

// Runs a tool found on PATH, waits for it and returns its exit status and output.
inline ToolResult run_tool(const std::vector<std::string>& argv) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    ToolResult r;
    if (rc != 0) {
        close(pipefd[0]);
        r.out = argv[0] + ": " + std::strerror(rc);
        return r;
    }
    char buf[65536];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        r.out.append(buf, static_cast<std::size_t>(n));
    }
    close(pipefd[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

// Like run_tool, but a failure is an exception that shows the command and its output.
inline std::string must_run(const std::vector<std::string>& argv) {
    ToolResult r = run_tool(argv);
    if (r.status != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += "'" + a + "' ";
        throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + cmd +
                                 "\n" + r.out);
    }
    return r.out;
}

// A program of the test's, started with a pipe on stdin, that says "ready" on stdout once its
// map is complete and exits at EOF on stdin. Stopped (or killed) and reaped on destruction.
class Child {
  public:
    explicit Child(const std::vector<std::string>& argv) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        if (rc != 0) {
            close(out[0]);
            pid_ = 0;
            throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
        }
        std::string line;
        char c = 0;
        for (;;) {
            pollfd p{out[0], POLLIN, 0};
            if (poll(&p, 1, 10'000) <= 0) break;
            if (read(out[0], &c, 1) != 1 || c == '\n') break;
            line += c;
        }
        close(out[0]);
        if (!line.starts_with("ready")) {
            stop();
            throw std::runtime_error(argv[0] + " did not say ready: '" + line + "'");
        }
        ready_line_ = line;
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& ready_line() const { return ready_line_; }
    int stdin_fd() const { return stdin_; }  // the write end of its standard input

  private:
    void stop() {
        if (stdin_ >= 0) close(stdin_), stdin_ = -1;
        if (pid_ <= 0) return;
        for (int i = 0; i < 500; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return void(pid_ = 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }

    pid_t pid_ = 0;
    int stdin_ = -1;
    std::string ready_line_;
};

// ---- readelf -lW, parsed -------------------------------------------------------------------

struct Phdr {
    std::string type;  // "LOAD", "GNU_RELRO", ...
    std::uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
    bool r = false, w = false, x = false;
};

struct ReadelfView {
    std::string file_type;  // "DYN", "EXEC"
    std::size_t phnum = 0;
    std::uint64_t phoff = 0;
    std::vector<Phdr> phdrs;  // in file order
};

inline std::uint64_t parse_hex(std::string_view s) {
    if (s.starts_with("0x")) s.remove_prefix(2);
    return std::stoull(std::string(s), nullptr, 16);
}

inline std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

inline ReadelfView readelf_program_headers(const std::string& file) {
    const std::string text = must_run({"readelf", "-lW", file});
    ReadelfView v;
    std::istringstream in(text);
    bool table = false;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("Elf file type is ")) {
            v.file_type = words(line).at(4);
        } else if (line.starts_with("There are ")) {
            // "There are 13 program headers, starting at offset 64"
            const auto w = words(line);
            v.phnum = std::stoul(w.at(2));
            v.phoff = std::stoull(w.at(8));
        } else if (line.find("Type ") != std::string::npos &&
                   line.find("Offset") != std::string::npos) {
            table = true;
        } else if (table) {
            const auto w = words(line);
            if (w.empty() || line.find("Section to Segment") != std::string::npos) {
                if (!v.phdrs.empty()) table = false;
                continue;
            }
            if (w[0].starts_with("[")) continue;  // [Requesting program interpreter: ...]
            // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align; Flg may be "R E".
            if (w.size() < 8) throw std::runtime_error("odd readelf line: " + line);
            Phdr p;
            p.type = w[0];
            p.offset = parse_hex(w[1]);
            p.vaddr = parse_hex(w[2]);
            p.filesz = parse_hex(w[4]);
            p.memsz = parse_hex(w[5]);
            for (std::size_t k = 6; k + 1 < w.size(); ++k) {
                p.r |= w[k].find('R') != std::string::npos;
                p.w |= w[k].find('W') != std::string::npos;
                p.x |= w[k].find('E') != std::string::npos;
            }
            v.phdrs.push_back(p);
        }
    }
    if (v.phdrs.size() != v.phnum)
        throw std::runtime_error("readelf listed " + std::to_string(v.phdrs.size()) + " of " +
                                 std::to_string(v.phnum) + " program headers of " + file);
    return v;
}

// readelf -p SECTION: every string of a string table with its offset.
inline std::vector<std::pair<std::uint64_t, std::string>> readelf_strings(
    const std::string& file, const std::string& section) {
    const std::string text = must_run({"readelf", "-p", section, file});
    std::vector<std::pair<std::uint64_t, std::string>> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        // "  [    1a]  lib_fn"
        const auto open = line.find('['), close = line.find(']');
        if (open == std::string::npos || close == std::string::npos || close < open) continue;
        std::string_view inside = std::string_view(line).substr(open + 1, close - open - 1);
        while (!inside.empty() && inside.front() == ' ') inside.remove_prefix(1);
        if (inside.empty() || inside.find_first_not_of("0123456789abcdef") != std::string::npos)
            continue;
        std::string rest = line.substr(close + 1);
        rest.erase(0, rest.find_first_not_of(' '));
        out.emplace_back(parse_hex(inside), rest);
    }
    return out;
}

}  // namespace elftest
