// vmatlas mappings [-b] [-s] TARGET: mdb's ::mappings, BASE LIMIT SIZE NAME.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "render/pmap_view.hpp"

namespace vmatlas::cli {

int run_mappings(int argc, char** argv) {
    CLI::App app{"The map as mdb's ::mappings shows it: BASE LIMIT SIZE NAME, in hex.",
                 "vmatlas mappings"};
    app.footer(
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input.");
    std::string target, color = "auto";
    MappingsOptions options;
    bool json = false, csv = false;
    app.add_option("TARGET", target,
                   "a PID, 'self', a process name matching exactly one process, '-' for stdin, "
                   "or a file holding maps or smaps text")
        ->required();
    app.add_flag("-b", options.basenames, "the last component of file names");
    app.add_flag("-s", options.no_segment_names, "no segment names ([ text ], [ data ], ...)");
    app.add_flag("--json", json, "JSON instead of a table");
    app.add_flag("--csv", csv, "CSV instead of a table");
    app.add_option("--color", color, "auto (a terminal, and NO_COLOR unset), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    if (const auto status = parse_args(app, argc, argv)) return *status;
    if (json && csv) return usage_error("--json and --csv cannot be used together");

    auto loaded = load(target, {.figures = false});
    if (!loaded) return loaded.error();
    const Format format = json ? Format::Json : csv ? Format::Csv : Format::Table;
    const Palette palette{format == Format::Table && use_color(color == "always" ? ColorMode::Always
                                                               : color == "never" ? ColorMode::Never
                                                                                  : ColorMode::Auto,
                                                               STDOUT_FILENO)};
    std::string out;
    render_mappings(loaded->space, loaded->notes, options, format, palette, out);
    write_stdout(out);
    return loaded->status;
}

}  // namespace vmatlas::cli
