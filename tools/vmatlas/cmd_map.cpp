// vmatlas [options] TARGET [FILTER]: the annotated map, pwndbg's vmmap and more.
#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/map_view.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas::cli {

int run_map(int argc, char** argv) {
    ArgParser app{"Show the memory map of a process, annotated (like pwndbg's vmmap).", "vmatlas"};
    app.footer(
        "FILTER is an address (0x-hex or decimal: its mapping is marked, with the offset into it)\n"
        "or text (rows whose file or name contains it).\n"
        "Exit status: 0 ok, 1 no match, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    std::string filter_text;
    FilterSpec filter;
    std::optional<unsigned> after, before, context;
    bool gaps = false;
    OutputOptions output;
    args.add_to(app);
    app.add_option("FILTER", filter_text, "address or module/name filter");
    app.add_flag("-w,--writable", filter.writable_only, "writable mappings only");
    app.add_flag("-x,--executable", filter.executable_only, "executable mappings only");
    app.add_option("-A,--lines-after", after, "rows of context after each match");
    app.add_option("-B,--lines-before", before, "rows of context before each match");
    app.add_option("-C,--context", context, "rows of context around each match");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "a Sections column: the ELF sections each row covers");
    app.add_flag("--gaps", gaps, "the layout: runs of adjacent mappings, guards, holes, totals");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (gaps && (!filter_text.empty() || filter.writable_only || filter.executable_only))
        return usage_error("--gaps shows the whole map: it takes no FILTER, -w or -x");

    if (!filter_text.empty()) {
        filter.address = parse_address(filter_text);
        if (!filter.address) filter.text = filter_text;
    }
    // pwndbg shows one row either side of an address by default; a name filter shows its rows.
    const unsigned dflt = filter.address ? 1 : 0;
    filter.before = before.value_or(context.value_or(dflt));
    filter.after = after.value_or(context.value_or(dflt));

    auto loaded = load(args, {.sections = verbose});
    if (!loaded) return loaded.error();
    const AddressSpace& space = loaded->space;
    const Annotations& notes = loaded->notes;
    int status = loaded->status;
    const Format format = output.format();
    const Palette palette = output.palette();
    std::string out;
    if (gaps) {
        render_gaps(space, notes, compute_gaps(space), format, palette, out);
    } else {
        const Selection sel = select_rows(space, notes, filter);
        render_map(space, notes, sel, filter, format, palette, out, [](std::string& text) {
            write_stdout(text);
            text.clear();
        });
        if (sel.filtered && sel.match_count == 0) {
            if (filter.address && space.find(*filter.address))
                fmt::print(stderr, "vmatlas: the mapping that contains {:#x} is hidden by {}\n",
                           *filter.address, filter.writable_only ? "-w" : "-x");
            else if (filter.address)
                fmt::print(stderr, "vmatlas: no mapping contains {:#x}\n", *filter.address);
            else
                fmt::print(stderr, "vmatlas: no mapping matches '{}'\n", filter_text);
            if (status == kOk) status = kNoMatch;
        }
    }
    write_stdout(out);
    keep_until_exit(loaded);
    return status;
}

}  // namespace vmatlas::cli
