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
    app.footer(
        "Resident, dirty and swapped come from /proc/PID/smaps (or a saved smaps file).\n"
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    OutputOptions output;
    args.add_to(app);
    output.add_to(app, false);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;

    auto loaded = load(args, {.figures = true});
    if (!loaded) return loaded.error();
    const Summary summary = summarize(loaded->space, loaded->notes);
    std::string out;
    render_summary(loaded->space, loaded->notes, summary, output.format(), out);
    write_stdout(out);
    int status = keep_until_exit(loaded);
    if (summary.saturated()) {
        report_warning(kSaturatedTotal);
        if (status == kOk) status = kPartial;
    }
    return status;
}

}  // namespace vmatlas::cli
