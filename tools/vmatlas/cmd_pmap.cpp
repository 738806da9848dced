// vmatlas pmap [-x|-X] [-b] [-s] [-q] [-A lo[,hi]] TARGET: Solaris 11.4 pmap on Linux.
#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/pmap_view.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas::cli {

int run_pmap(int argc, char** argv) {
    ArgParser app{
        "The map as Solaris 11.4 pmap shows it: address, size, mode, [ segment name ] "
        "and file; -x adds RSS, Anon and Locked, -X every smaps figure.",
        "vmatlas pmap"};
    app.footer(
        "Sizes are in K. -x and -X read /proc/PID/smaps once (or a saved smaps file).\n"
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    std::string range_text;
    PmapOptions options;
    bool extended = false, smaps = false;
    OutputOptions output;
    args.add_to(app);
    app.add_flag("-x", extended, "Kbytes RSS Anon Locked, with totals");
    app.add_flag("-X", smaps, "every smaps figure, THPeligible and VmFlags, with totals");
    app.add_flag("-b", options.basenames, "the last component of file names");
    app.add_flag("-s", options.no_segment_names, "no segment names ([ text ], [ data ], ...)");
    app.add_flag("-q", options.quiet, "no header line, column headers or totals");
    app.add_option("-A,--range LO[,HI]", range_text,
                   "only rows that intersect [lo, hi), in hex: lo (the row holding lo), lo,hi, "
                   ",hi or lo,; the totals count the shown rows");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (extended && smaps) return usage_error("-x and -X cannot be used together");
    if (!range_text.empty()) {
        options.range = parse_addr_range(range_text);
        if (!options.range)
            return usage_error(
                fmt::format("-A takes lo[,hi] in hex with hi above lo, not '{}'", range_text));
    }
    options.mode = smaps ? PmapMode::Smaps : extended ? PmapMode::Extended : PmapMode::Basic;

    auto loaded = load(args, {.figures = options.mode != PmapMode::Basic});
    if (!loaded) return loaded.error();
    if (options.mode != PmapMode::Basic && loaded->space.figures().empty())
        report_warning(fmt::format("{} holds no smaps figures: they are shown as ?",
                                   loaded->space.source().origin));
    const Format format = output.format();
    const Palette palette = output.palette();
    std::string out;
    render_pmap(loaded->space, loaded->notes, options, format, palette, out, [](std::string& text) {
        write_stdout(text);
        text.clear();
    });
    write_stdout(out);
    return keep_until_exit(loaded);
}

}  // namespace vmatlas::cli
