// /proc/PID/maps read by hand: the ground truth the command is compared with. The reader is
// deliberately naive and independent of the library: fields split on spaces, and the path is the
// rest of the line after the inode and the spaces that follow it.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/files.hpp"

namespace vmtest {

inline const long kPage = sysconf(_SC_PAGESIZE);

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

}  // namespace vmtest
