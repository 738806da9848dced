// vmatlas [options] TARGET [FILTER]: the annotated map, pwndbg's vmmap and more.
#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/default_view.hpp"

namespace vmatlas::cli {

int run_map(int argc, char** argv) {
    ArgParser app{"Show the memory map of a process, annotated (like pwndbg's vmmap).", "vmatlas"};
    app.footer(
        "FILTER is an address: 0x hex, decimal, or octal with a leading 0 (C's and PANDA's\n"
        "convention), MODULE+OFFSET (from the image base), SYMBOL[+OFFSET] or NAME+OFFSET for a\n"
        "vmatlas name ([heap]+0x10): its mapping is marked, with the offset into it. Else it is\n"
        "text: rows whose file or name contains it (a symbol or name when no row does).\n"
        "With --gaps, an address shows the run, guard or hole that holds it.\n"
        "Exit status: 0 ok, 1 no match, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    DefaultViewRequest request;
    OutputOptions output;
    args.add_to(app);
    app.add_option("FILTER", request.filter, "address or module/name filter");
    app.add_flag("-w,--writable", request.writable_only, "writable mappings only");
    app.add_flag("-x,--executable", request.executable_only, "executable mappings only");
    app.add_option("-A,--lines-after", request.after, "rows of context after each match");
    app.add_option("-B,--lines-before", request.before, "rows of context before each match");
    app.add_option("-C,--context", request.context, "rows of context around each match");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "a Sections column: the ELF sections each row covers");
    app.add_flag("--gaps", request.gaps,
                 "the layout: runs of adjacent mappings, guards, holes, totals");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (const auto mistake = check_request(request)) return report(*mistake);

    auto loaded = load(args, {.sections = verbose});
    if (!loaded) return loaded.error();
    int status = loaded->status;
    std::string out;
    const auto no_match = render_default_view(*loaded.operator->(), request, output.format(),
                                              output.palette(), out, [](std::string& text) {
                                                  write_stdout(text);
                                                  text.clear();
                                              });
    if (no_match) {
        report(*no_match);
        if (status == kOk) status = kNoMatch;
    }
    write_stdout(out);
    keep_until_exit(loaded);
    return status;
}

}  // namespace vmatlas::cli
