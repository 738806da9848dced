// What the integration tests share: the demo as a child process, the vmatlas CLI as a child
// process, and a plain reader of /proc/PID/maps that is the ground truth the CLI is compared with.
//
// The reader here is deliberately naive and independent of the library: fields split on spaces,
// and the path is the rest of the line after the inode and the spaces that follow it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace vmtest {

inline const long kPage = sysconf(_SC_PAGESIZE);

// ---- /proc/PID/maps, read by hand ----------------------------------------------------------

struct ProcRow {
    std::uint64_t start = 0, end = 0;
    std::string perms;  // "r-xp"
    std::uint64_t offset = 0;
    std::string dev;  // "fe:00"
    std::uint64_t inode = 0;
    std::string path;  // without " (deleted)"; "" when anonymous; "[heap]" etc. as printed
    bool deleted = false;

    std::uint64_t size() const { return end - start; }
    bool anonymous() const { return path.empty(); }
    bool kernel_name() const { return !path.empty() && path[0] == '['; }
    bool accessible() const { return perms.substr(0, 3) != "---"; }

    friend bool operator==(const ProcRow&, const ProcRow&) = default;
};

inline std::uint64_t hex(std::string_view s) {
    if (s.starts_with("0x")) s.remove_prefix(2);
    if (s.empty()) throw std::runtime_error("empty hex number");
    std::uint64_t v = 0;
    for (char c : s) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) throw std::runtime_error("bad hex number: " + std::string(s));
        v = v * 16 + static_cast<unsigned>(d);
    }
    return v;
}

inline std::string to_hex(std::uint64_t v, bool prefix = true) {
    char buf[32];
    std::snprintf(buf, sizeof buf, prefix ? "0x%llx" : "%llx", static_cast<unsigned long long>(v));
    return buf;
}

// One word from pos: skips leading spaces, stops at the next space.
inline std::string_view next_word(std::string_view line, std::size_t& pos) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    std::size_t begin = pos;
    while (pos < line.size() && line[pos] != ' ') ++pos;
    return line.substr(begin, pos - begin);
}

inline ProcRow parse_proc_row(std::string_view line) {
    ProcRow r;
    std::size_t pos = 0;
    std::string_view range = next_word(line, pos);
    std::size_t dash = range.find('-');
    r.start = hex(range.substr(0, dash));
    r.end = hex(range.substr(dash + 1));
    r.perms = next_word(line, pos);
    r.offset = hex(next_word(line, pos));
    r.dev = next_word(line, pos);
    r.inode = std::stoull(std::string(next_word(line, pos)));
    while (pos < line.size() && line[pos] == ' ') ++pos;
    r.path = line.substr(pos);
    constexpr std::string_view kDeleted = " (deleted)";
    if (r.path.ends_with(kDeleted)) {
        r.path.resize(r.path.size() - kDeleted.size());
        r.deleted = true;
    }
    return r;
}

inline std::vector<ProcRow> parse_proc_maps(std::string_view text) {
    std::vector<ProcRow> rows;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty()) rows.push_back(parse_proc_row(line));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return rows;
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::vector<ProcRow> read_proc_maps(pid_t pid) {
    return parse_proc_maps(slurp("/proc/" + std::to_string(pid) + "/maps"));
}

// The process's threads (/proc/PID/task), sorted; the main thread's tid is the pid.
inline std::vector<pid_t> thread_ids(pid_t pid) {
    std::vector<pid_t> tids;
    for (const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
        tids.push_back(std::stoi(e.path().filename().string()));
    std::sort(tids.begin(), tids.end());
    return tids;
}

// What the default view shows in its File column for a row, as far as /proc says: the path,
// marked when deleted; "" for anonymous rows and kernel names (a bss row shows its object's path
// there, which /proc does not say: the JSON's "object" does).
inline std::string file_column(const ProcRow& r) {
    if (r.anonymous() || r.kernel_name()) return "";
    return r.deleted ? r.path + " (deleted)" : r.path;
}

// pwndbg's name of an unnamed anonymous row, written out here without the library: the start's
// page number in hex, at least five digits.
inline std::string pwndbg_anon_name(std::uint64_t start) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "[anon_%05llx]", static_cast<unsigned long long>(start >> 12));
    return buf;
}

// Index of the only row satisfying pred; fails the calling test (by exception) otherwise.
template <typename Pred>
std::size_t only_row(const std::vector<ProcRow>& rows, Pred pred, const char* what) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!pred(rows[i])) continue;
        if (found) throw std::runtime_error(std::string("several rows are ") + what);
        found = i;
    }
    if (!found) throw std::runtime_error(std::string("no row is ") + what);
    return *found;
}

// ---- child processes -----------------------------------------------------------------------

struct RunResult {
    int status = -1;  // the exit status, or 128 + the signal that killed it
    std::string out, err;
};

// Runs argv[0] with argv, feeding stdin_text, capturing stdout and stderr. in_child runs in the
// child between fork and exec (async-signal-safe calls only).
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
        execv(args[0], args.data());
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

// The first line a child writes to fd (without its newline), or what came before it went quiet
// for timeout_ms or closed the pipe: a child that says "ready <pid>" when it is set up.
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

// The demo program, started and waited for ("ready <pid>"); stopped and reaped on destruction by
// closing its stdin (it then removes its temporary files), or killed if it does not go.
class Demo {
  public:
    explicit Demo(std::vector<std::string> extra = {}) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
        std::vector<std::string> argv = {VMATLAS_DEMO_BIN, "--seconds", "120"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            execv(args[0], args.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        const std::string line = read_line(out[0]);
        close(out[0]);
        if (!line.starts_with("ready ") || std::stoi(line.substr(6)) != pid_) {
            stop();
            throw std::runtime_error("the demo did not say ready: '" + line + "'");
        }
    }
    ~Demo() { stop(); }
    Demo(const Demo&) = delete;
    Demo& operator=(const Demo&) = delete;

    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }

  private:
    void stop() {
        if (pid_ <= 0) return;
        close(stdin_);
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
};

// ---- the CLI's output ----------------------------------------------------------------------

inline nlohmann::json parse_json(const RunResult& r) {
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("not JSON (") + e.what() +
                                 "): " + r.out.substr(0, 400) + " stderr: " + r.err);
    }
}

// True when every warning (a JSON array of strings, or lines of stderr) is the one a saved map
// gives when names end in " (deleted)" (a deleted file, or a file so named: the text cannot say
// which): what every saved map of a process that maps a deleted file says.
inline bool only_marked_names(const std::vector<std::string>& warnings) {
    for (const std::string& w : warnings)
        if (w.find("this row's name") == std::string::npos &&
            w.find("of the NT_FILE note end") == std::string::npos)
            return false;
    return true;
}

inline std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        out.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

// ---- the default view as a table (--color=never) -------------------------------------------

// Its columns, as the header names them.
inline const std::vector<std::string> kMapColumns = {"Start",  "End",  "Perm", "Size",
                                                     "Offset", "Name", "File"};

// One data line of the table.
struct TableRow {
    bool marked = false;  // starts with "► "
    std::uint64_t start = 0, end = 0;
    std::string perms;
    std::uint64_t size = 0, offset = 0;
    std::string name;                           // the Name column
    std::string file;                           // the File column
    std::optional<std::uint64_t> match_offset;  // the trailing "  +0x..."
};

// Where the Name and File columns start (in bytes, after the marker column): both are
// left-aligned, so their cells start where their headings do.
struct Columns {
    std::size_t name = std::string::npos, file = std::string::npos;
};

// The line without its 2-column marker ("► " or two spaces); nullopt when it has none.
inline std::optional<std::string_view> without_marker(std::string_view line,
                                                      bool* marked = nullptr) {
    static constexpr std::string_view kArrow = "\u25ba ";
    if (marked) *marked = line.starts_with(kArrow);
    if (line.starts_with(kArrow)) return line.substr(kArrow.size());
    if (line.starts_with("  ")) return line.substr(2);
    return std::nullopt;
}

// Cuts the note a matched row ends with ("  +0x1800") off the line, and returns its offset.
inline std::optional<std::uint64_t> cut_match_note(std::string_view& line) {
    std::size_t plus = line.rfind(" +0x");
    if (plus == std::string_view::npos) return std::nullopt;
    try {
        std::uint64_t v = hex(line.substr(plus + 2));
        line = line.substr(0, plus);
        while (line.ends_with(' ')) line.remove_suffix(1);
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The first five cells, which hold no spaces; fills pos with where each ends, and returns false
// for lines that are not mapping rows (the header, "no mapping", ...).
inline bool number_cells(std::string_view line, TableRow& r, std::size_t* begins = nullptr,
                         std::size_t* ends = nullptr) {
    std::size_t pos = 0;
    std::string_view cells[5];
    for (int k = 0; k < 5; ++k) {
        cells[k] = next_word(line, pos);
        if (begins) begins[k] = pos - cells[k].size();
        if (ends) ends[k] = pos;
    }
    const std::string_view perms = cells[2];
    if (!cells[0].starts_with("0x") || !cells[1].starts_with("0x") || perms.size() != 4 ||
        std::string_view("r-").find(perms[0]) == std::string_view::npos ||
        std::string_view("ps").find(perms[3]) == std::string_view::npos)
        return false;
    try {
        r.start = hex(cells[0]), r.end = hex(cells[1]), r.size = hex(cells[3]);
        r.offset = hex(cells[4]);
    } catch (const std::exception&) {
        return false;
    }
    r.perms = perms;
    return true;
}

// The text of line[from, to), without the blanks that pad it.
inline std::string padded_cell(std::string_view line, std::size_t from, std::size_t to) {
    if (from >= line.size()) return "";
    std::string_view s = line.substr(from, to - from);
    while (s.ends_with(' ')) s.remove_suffix(1);
    return std::string(s);
}

// Parses a table line; nullopt for lines that are not mapping rows. with_marker: the line
// starts with a 2-column marker ("► " or two spaces), as with an address filter.
inline std::optional<TableRow> parse_table_row(std::string_view line, bool with_marker,
                                               const Columns& cols) {
    TableRow r;
    if (with_marker) {
        auto rest = without_marker(line, &r.marked);
        if (!rest) return std::nullopt;
        line = *rest;
    }
    if (!number_cells(line, r) || cols.name == std::string::npos || cols.file <= cols.name)
        return std::nullopt;
    r.match_offset = cut_match_note(line);
    r.name = padded_cell(line, cols.name, cols.file - 1);
    r.file = padded_cell(line, cols.file, std::string_view::npos);
    return r;
}

struct HeaderWord {
    std::string text;
    std::size_t begin, end;
};

inline std::vector<HeaderWord> header_words(std::string_view header) {
    std::vector<HeaderWord> words;
    std::size_t pos = 0;
    for (std::string_view w; !(w = next_word(header, pos)).empty();)
        words.push_back({std::string(w), pos - w.size(), pos});
    return words;
}

struct Table {
    std::vector<std::string> header;  // the header's words
    Columns columns;
    std::vector<TableRow> rows;
    std::vector<std::string> other;  // lines after the header that are not rows
};

inline Table parse_table(std::string_view text, bool with_marker) {
    Table t;
    auto ls = lines(text);
    if (ls.empty()) return t;
    std::string_view header = ls[0];
    if (with_marker) header = without_marker(header).value_or(header);
    for (const HeaderWord& w : header_words(header)) {
        if (w.text == "Name") t.columns.name = w.begin;
        if (w.text == "File") t.columns.file = w.begin;
        t.header.push_back(w.text);
    }
    for (std::size_t i = 1; i < ls.size(); ++i) {
        if (auto row = parse_table_row(ls[i], with_marker, t.columns))
            t.rows.push_back(*row);
        else
            t.other.push_back(ls[i]);
    }
    return t;
}

// What is wrong with the table's layout, by the contract: no line ends in a blank; one blank
// between two columns; each column as wide as its widest cell (the heading included); numbers and
// their headings right-aligned, Perm, Name and File left-aligned. Empty when nothing is.
inline std::vector<std::string> table_layout_problems(std::string_view text, bool with_marker) {
    std::vector<std::string> problems;
    auto ls = lines(text);
    for (const auto& l : ls)
        if (l.ends_with(' ')) problems.push_back("a trailing blank: '" + l + "'");
    if (ls.empty()) return {"no header"};
    std::string_view header = ls[0];
    if (with_marker) {
        auto rest = without_marker(header);
        if (!rest) return {"no marker column in the header: '" + ls[0] + "'"};
        header = *rest;
    }
    const auto words = header_words(header);
    std::vector<std::string> names;
    for (const auto& w : words) names.push_back(w.text);
    if (names != kMapColumns) return {"not the default view's header: '" + ls[0] + "'"};
    const Columns cols{words[5].begin, words[6].begin};

    // Every cell of each column, [begin, end) in bytes, the heading's first.
    constexpr std::size_t kCols = 7;
    constexpr bool kRight[kCols] = {true, true, false, true, true, false, false};
    std::vector<std::pair<std::size_t, std::size_t>> cells[kCols];
    for (std::size_t k = 0; k < kCols; ++k) cells[k].push_back({words[k].begin, words[k].end});
    for (std::size_t i = 1; i < ls.size(); ++i) {
        std::string_view line = ls[i];
        if (with_marker) {
            auto rest = without_marker(line);
            if (!rest) continue;
            line = *rest;
        }
        TableRow r;
        std::size_t begins[5], ends[5];
        if (!number_cells(line, r, begins, ends)) continue;
        cut_match_note(line);
        for (std::size_t k = 0; k < 5; ++k) cells[k].push_back({begins[k], ends[k]});
        // Name and File: text that starts where its heading does, and is followed by blanks up to
        // the next column.
        for (std::size_t k : {5, 6}) {
            const std::size_t from = k == 5 ? cols.name : cols.file;
            const std::size_t to = k == 5 ? cols.file - 1 : std::string_view::npos;
            if (from >= line.size()) continue;
            const std::string cell = padded_cell(line, from, to);
            if (line[from - 1] != ' ' || cell.starts_with(' '))
                problems.push_back(kMapColumns[k] + " does not start under its heading: '" + ls[i] +
                                   "'");
            if (!cell.empty()) cells[k].push_back({from, from + cell.size()});
            if (k == 5 && to < line.size() && line[to] != ' ')
                problems.push_back("Name runs into File: '" + ls[i] + "'");
        }
        if (ends[4] >= cols.name && ends[4] < line.size())
            problems.push_back("Offset runs into Name: '" + ls[i] + "'");
    }
    std::size_t previous_end = 0;
    for (std::size_t k = 0; k < kCols; ++k) {
        std::size_t lo = std::string::npos, hi = 0;
        for (auto [b, e] : cells[k]) lo = std::min(lo, b), hi = std::max(hi, e);
        for (auto [b, e] : cells[k]) {
            if (kRight[k] && e != hi)
                problems.push_back(kMapColumns[k] + " has a cell that is not right-aligned");
            if (!kRight[k] && b != lo)
                problems.push_back(kMapColumns[k] + " has a cell that is not left-aligned");
        }
        const std::size_t want_lo = k == 0 ? 0 : previous_end + 1;
        if (lo != want_lo)
            problems.push_back(kMapColumns[k] + " starts at byte " + std::to_string(lo) + ", not " +
                               std::to_string(want_lo) +
                               " (one blank after the widest cell of the column before it)");
        previous_end = hi;
    }
    return problems;
}

// ---- the default view as JSON --------------------------------------------------------------

// The keys of a row of mappings[], in order, without a filter (with one, "match" and for an
// address's row "match_offset" follow).
inline const std::vector<std::string> kRowKeys = {
    "start", "end",  "perms",   "size",   "offset",      "dev",  "inode",
    "name",  "path", "deleted", "object", "name_source", "role", "in_core"};

// The keys of each row of mappings[], in the order the CLI wrote them.
inline std::vector<std::vector<std::string>> row_keys(const RunResult& r) {
    std::vector<std::vector<std::string>> out;
    const auto doc = nlohmann::ordered_json::parse(r.out);
    for (const auto& m : doc.at("mappings")) {
        out.emplace_back();
        for (const auto& [key, value] : m.items()) out.back().push_back(key);
    }
    return out;
}

}  // namespace vmtest
