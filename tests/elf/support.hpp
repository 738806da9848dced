// What the ELF tests share: pages, running tools (cc, readelf, objcopy) and the test's own child
// programs (support/), and readelf's view of program headers, parsed here independently of the
// library so that it can serve as the ground truth.
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

#include "support/child.hpp"
#include "support/files.hpp"
#include "support/run.hpp"

namespace elftest {

namespace fs = std::filesystem;

inline const std::uint64_t kPage = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

inline std::uint64_t page_down(std::uint64_t x) {
    return x / kPage * kPage;
}
inline std::uint64_t page_up(std::uint64_t x) {
    return (x + kPage - 1) / kPage * kPage;
}

using vmtest::Child;
using vmtest::must_run;
using vmtest::slurp;
using vmtest::TempDir;
using vmtest::write_text;

struct ToolResult {
    int status = -1;
    std::string out;  // stdout, then stderr
};

// Runs a tool found on PATH, waits for it and returns its exit status and output.
inline ToolResult run_tool(const std::vector<std::string>& argv) {
    vmtest::RunResult r = vmtest::run(argv);
    return {r.status, r.out + r.err};
}

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
