// vmatlas: the command line is the library plus argument parsing, one file per subcommand.
#include <new>
#include <string_view>

#include "commands.hpp"
#include "exit_status.hpp"
#include "output.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace vmatlas::cli;
    struct Command {
        std::string_view name;
        int (*run)(int, char**);
    };
    static constexpr Command kCommands[] = {
        {"map", run_map}, {"summary", run_summary}, {"pmap", run_pmap}, {"mappings", run_mappings},
        {"elf", run_elf}, {"diff", run_diff},       {"save", run_save},
    };
    if (argc > 1)
        for (const Command& c : kCommands)
            if (c.name == argv[1]) return c.run(argc - 1, argv + 1);
    return run_map(argc, argv);
}

}  // namespace

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
