// vmatlas pmap [-x|-X|-S|-d] [-b] [-s] [-q] [-A lo[,hi]] TARGET...: Solaris 11.4 pmap on Linux,
// and procps's device format (-d).
#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/pmap_view.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas::cli {

namespace {

// One target's block: its status (0 when it was read whole and shown).
int show(const TargetArgs& args, const PmapOptions& options, const OutputOptions& output) {
    auto loaded = load(
        args, {.figures = options.mode != PmapMode::Basic && options.mode != PmapMode::Device});
    if (!loaded) return loaded.error();
    if (options.mode != PmapMode::Basic && options.mode != PmapMode::Device &&
        loaded->space.figures().empty())
        report_warning(fmt::format("{} holds no smaps figures: they are shown as ?",
                                   loaded->space.source().origin));
    std::string out;
    render_pmap(loaded->space, loaded->notes, options, output.format(), output.palette(), out,
                [](std::string& text) {
                    write_stdout(text);
                    text.clear();
                });
    write_stdout(out);
    return keep_until_exit(loaded);
}

}  // namespace

int run_pmap(int argc, char** argv) {
    ArgParser app{
        "The map as Solaris 11.4 pmap shows it: address, size, mode, [ segment name ] "
        "and file; -x adds RSS, Anon and Locked, -X every smaps figure, -S the swap reserved; "
        "-d is procps's device format.",
        "vmatlas pmap"};
    app.footer(
        "Sizes are in K. -x, -X and -S read /proc/PID/smaps once (or a saved smaps file).\n"
        "-S: Swap is the swap reserved for the row, Linux's commit charge: the whole row when\n"
        "smaps' VmFlags holds 'ac' (private and writable, not MAP_NORESERVE), else -.\n"
        "-d: procps pmap -d, byte for byte: Address Kbytes Mode Offset Device Mapping, then\n"
        "mapped, writeable/private and shared totals; no segment names.\n"
        "Several targets are shown one after the other, in the order given (--json: one document\n"
        "a line); one that cannot be read is said on stderr and the others are still shown.\n"
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory; with several targets, the status of\n"
        "the first that was not 0.");
    TargetArgs args;
    std::vector<std::string> targets;
    std::string range_text;
    PmapOptions options;
    bool extended = false, smaps = false, swap = false, device = false;
    OutputOptions output;
    app.add_option("TARGET", targets,
                   std::string(kTargetHelp) + "; several are shown one after the other")
        ->required();
    args.add_options_to(app);
    app.add_flag("-x", extended, "Kbytes RSS Anon Locked, with totals");
    app.add_flag("-X", smaps, "every smaps figure, THPeligible and VmFlags, with totals");
    app.add_flag("-S", swap, "Kbytes and Swap, the swap reserved (commit charge), with totals");
    app.add_flag("-d", device,
                 "procps's device format: Address Kbytes Mode Offset Device Mapping, with its "
                 "mapped, writeable/private and shared totals");
    app.add_flag("-b", options.basenames, "the last component of file names");
    app.add_flag("-s", options.no_segment_names, "no segment names ([ text ], [ data ], ...)");
    app.add_flag("-q", options.quiet,
                 "no header line, column headers or totals (-d keeps the header line, as procps)");
    app.add_option("-A,--range LO[,HI]", range_text,
                   "only rows that intersect [lo, hi), in hex: lo (the row holding lo), lo,hi, "
                   ",hi or lo,; the totals count the shown rows");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (extended + smaps + swap + device > 1)
        return usage_error("-x, -X, -S and -d cannot be used together");
    if (!range_text.empty()) {
        options.range = parse_addr_range(range_text);
        if (!options.range)
            return usage_error(
                fmt::format("-A takes lo[,hi] in hex with hi above lo, not '{}'", range_text));
    }
    options.mode = smaps      ? PmapMode::Smaps
                   : extended ? PmapMode::Extended
                   : swap     ? PmapMode::Swap
                   : device   ? PmapMode::Device
                              : PmapMode::Basic;

    int status = kOk;
    for (const std::string& target : targets) {
        args.target = target;
        const int shown = show(args, options, output);
        if (status == kOk) status = shown;
    }
    return status;
}

}  // namespace vmatlas::cli
