// What the core-file tests share: where the kernel writes cores, gcore, and a reader of gdb's
// `info proc mappings` on a core. The child that is dumped is support/child.hpp's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace vmtest {

namespace fs = std::filesystem;

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

// The options of a child that is stopped, looked at, and dumped: it runs in dir (its working
// directory and TMPDIR), with no limit on the size of its core.
inline ChildOptions dumpable_in(const fs::path& dir, bool exits_at_eof = true) {
    return {.dir = dir.string(), .core_dumps = true, .exits_at_eof = exits_at_eof};
}

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
