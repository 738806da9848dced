// vmatlas summary TARGET: what the map is made of, by kind and by object.
#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/summary_view.hpp"

namespace vmatlas::cli {

int run_summary(int argc, char** argv) {
    ArgParser app{"Totals by kind and by object: virtual, resident, dirty, swapped, regions.",
                  "vmatlas summary"};
    TargetArgs args;
    OutputOptions output;
    args.add_to(app);
    output.add_to(app, false);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;

    auto loaded = load(args, {.figures = true});
    if (!loaded) return loaded.error();
    std::string out;
    render_summary(loaded->space, loaded->notes, summarize(loaded->space, loaded->notes),
                   output.format(), out);
    write_stdout(out);
    return keep_until_exit(loaded);
}

}  // namespace vmatlas::cli
