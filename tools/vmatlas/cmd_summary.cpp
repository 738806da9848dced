// vmatlas summary TARGET: what the map is made of, by kind and by object.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "render/summary_view.hpp"

namespace vmatlas::cli {

int run_summary(int argc, char** argv) {
    CLI::App app{"Totals by kind and by object: virtual, resident, dirty, swapped, regions.",
                 "vmatlas summary"};
    std::string target;
    bool json = false, csv = false;
    app.add_option("TARGET", target, kTargetHelp)->required();
    app.add_flag("--json", json, "JSON instead of a table");
    app.add_flag("--csv", csv, "CSV instead of a table");
    if (const auto status = parse_args(app, argc, argv)) return *status;
    if (json && csv) return usage_error("--json and --csv cannot be used together");

    auto loaded = load(target, {.figures = true});
    if (!loaded) return loaded.error();
    std::string out;
    render_summary(loaded->space, loaded->notes, summarize(loaded->space, loaded->notes),
                   json  ? Format::Json
                   : csv ? Format::Csv
                         : Format::Table,
                   out);
    write_stdout(out);
    return loaded->status;
}

}  // namespace vmatlas::cli
