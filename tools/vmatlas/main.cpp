// vmatlas: the command line is the library plus argument parsing, one file per subcommand.
#include <unistd.h>

#include <algorithm>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "output.hpp"
#include "vmatlas/procfs.hpp"

namespace vmatlas::cli {

namespace {

struct Command {
    std::string_view name;
    std::string_view summary;  // one line in `vmatlas --help`
    int (*run)(int, char**);
};

int run_help(int argc, char** argv);

constexpr Command kCommands[] = {
    {"map", "the named map, as pwndbg's vmmap shows it (the default command)", run_map},
    {"pmap", "Solaris and procps pmap: sizes, modes, names; -x, -X, -S figures, -d devices",
     run_pmap},
    {"mappings", "mdb's ::mappings: BASE LIMIT SIZE NAME", run_mappings},
    {"summary", "totals by kind and by object: virtual, resident, dirty, swapped", run_summary},
    {"where", "what is at an address: mapping, object, segment, section, symbol, line", run_where},
    {"elf", "an ELF file's program headers and the map it would create", run_elf},
    {"diff", "what was added, removed or changed between two maps", run_diff},
    {"watch", "a live map's changes as they happen: mapped, unmapped, perms, grew, shrank",
     run_watch},
    {"trace", "PANDA memorymap under ptrace: process, thread, image at chosen instructions",
     run_trace},
    {"advise", "Solaris pmadvise: cold, pageout, willneed, collapse by process_madvise(2)",
     run_advise},
    {"save", "a JSON snapshot of the named map, which every command reads back", run_save},
    {"help", "a command's help: vmatlas help COMMAND", run_help},
};

const Command* find_command(std::string_view name) {
    for (const Command& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

// How many single-byte edits (insert, delete, replace, swap two neighbours) turn a into b.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min(
                {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// The command a mistyped word was most likely meant to be: one edit away, or two from a name of
// six letters or more; among equals, one that starts as the word does, then one as long as it.
const Command* similar_command(std::string_view word) {
    const Command* best = nullptr;
    auto rank = [&](const Command& c) {
        const std::size_t length_gap =
            c.name.size() > word.size() ? c.name.size() - word.size() : word.size() - c.name.size();
        return std::tuple{edit_distance(word, c.name), c.name[0] != word[0], length_gap};
    };
    for (const Command& c : kCommands)
        if (std::get<0>(rank(c)) <= (c.name.size() >= 6 ? 2u : 1u) &&
            (best == nullptr || rank(c) < rank(*best)))
            best = &c;
    return best;
}

std::string top_help() {
    std::string out =
        "vmatlas shows, names and queries the virtual memory map of a Linux process: a live\n"
        "process, a core file, a saved maps or smaps text, a snapshot, an ELF file or a regions\n"
        "file.\n\n"
        "Usage: vmatlas [map] [OPTIONS] TARGET [FILTER]\n"
        "       vmatlas COMMAND [OPTIONS] ARGUMENTS\n"
        "       vmatlas help COMMAND\n\nCommands:\n";
    for (const Command& c : kCommands) out += fmt::format("  {:<9} {}\n", c.name, c.summary);
    out +=
        "\nTARGET is a PID, 'self', a process name matching exactly one process, a core file, an\n"
        "ELF file, a snapshot, a regions file, a file holding maps text or gdb's info proc\n"
        "mappings ('-': standard input), tcp:HOST:PORT for the process a gdbserver there\n"
        "debugs, or qemu-user:PID for the guest of a QEMU user-mode process. A process or\n"
        "file named like a command is reached with 'vmatlas map NAME' or 'vmatlas -- NAME'.\n\n"
        "Options of every command: --help, --json, --csv (tables), --color=auto|always|never.\n"
        "Run 'vmatlas help map' for the default command's options.\n\n"
        "Exit status: 0 ok, 1 no match (or the maps differ), 2 usage, 3 no such process or file,\n"
        "4 permission denied, 5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name,\n"
        "9 partial input, 10 the output cannot be written, 11 out of memory.\n";
    return out;
}

int run_help(int argc, char** argv) {
    if (argc < 2) {
        write_stdout(top_help());
        return kOk;
    }
    const std::string_view name = argv[1];
    const Command* c = find_command(name);
    if (c == nullptr || c->run == run_help) {
        const Command* near = similar_command(name);
        return usage_error(
            near && near->run != run_help
                ? fmt::format("no command is named '{}'; did you mean '{}'?", name, near->name)
                : fmt::format("no command is named '{}'", name));
    }
    std::string spelled = fmt::format("vmatlas {}", c->name);
    char flag[] = "--help";
    char* args[] = {spelled.data(), flag, nullptr};
    return c->run(2, args);
}

// A first word that is no command, no file, no PID and no process, but is close to a command:
// most likely a mistyped one.
std::optional<std::string> mistyped_command(std::string_view word) {
    if (word.empty() || word[0] == '-' || word.find('/') != std::string_view::npos ||
        looks_like_pid(word))
        return std::nullopt;
    const Command* near = similar_command(word);
    if (near == nullptr) return std::nullopt;
    if (::access(std::string(word).c_str(), F_OK) == 0) return std::nullopt;
    auto process = resolve_process(word);
    if (process || process.error().kind != ErrorKind::NoSuchProcess) return std::nullopt;
    return fmt::format("'{}' is no command, file or process; did you mean 'vmatlas {}'?", word,
                       near->name);
}

int run(int argc, char** argv) {
    if (argc > 1) {
        const std::string_view first = argv[1];
        if (first == "--version") {
            write_stdout(fmt::format("vmatlas {}\n", VMATLAS_VERSION));
            return kOk;
        }
        if (first == "--help" || first == "-h") return run_help(1, argv);
        if (const Command* c = find_command(first)) return c->run(argc - 1, argv + 1);
        if (auto sentence = mistyped_command(first)) return usage_error(*sentence);
    }
    return run_map(argc, argv);
}

}  // namespace

}  // namespace vmatlas::cli

int main(int argc, char** argv) {
    using namespace vmatlas::cli;
    int status;
    try {
        status = run(argc, argv);
    } catch (const std::bad_alloc&) {
        // What was written stays written; nothing more is.
        report({vmatlas::ErrorKind::UnreadableInput, "out of memory"});
        status = kOutOfMemory;
    }
    return finish_stdout(status);
}
