// vmatlas save TARGET [-o FILE]: the target's annotated map as a JSON snapshot (docs/snapshot.md),
// which every view then reads as a target, as it would the target itself.
#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/save_snapshot.hpp"

namespace vmatlas::cli {

int run_save(int argc, char** argv) {
    ArgParser app{
        "Save the target's annotated map as a JSON snapshot: rows, names, roles, sections, smaps "
        "figures and threads (docs/snapshot.md). Every view reads a snapshot as a TARGET and shows "
        "it as it showed the target.",
        "vmatlas save"};
    app.footer(
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input\n"
        "(the snapshot is written, and says so), 10 FILE or standard output cannot be written,\n"
        "11 out of memory.");
    TargetArgs args;
    std::string output;
    args.add_to(app);
    app.add_option("-o,--output FILE", output,
                   "write to FILE instead of standard output: a regular file is replaced whole "
                   "when the snapshot is complete, keeping its permissions and owner; a device "
                   "or FIFO is written to");
    if (const auto status = app.parse(argc, argv)) return *status;

    // Figures and sections too, so that pmap -x/-X, summary and -v work from the snapshot.
    auto loaded = load(args, {.figures = true, .sections = true});
    if (!loaded) return loaded.error();
    const SavedSnapshot saved =
        save_snapshot(loaded->kind, loaded->space, loaded->notes, loaded->facts);
    for (const std::string& w : saved.warnings) report_warning(w);
    const std::string& text = saved.text;
    if (output.empty() || output == "-") {
        write_stdout(text);
    } else if (const auto err = write_file(output, text)) {
        report(*err);
        return kWriteFailed;
    }
    return keep_until_exit(loaded);
}

}  // namespace vmatlas::cli
