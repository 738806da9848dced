// vmatlas mappings [-b] [-s] TARGET: mdb's ::mappings, BASE LIMIT SIZE NAME.
#include <unistd.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/pmap_view.hpp"

namespace vmatlas::cli {

int run_mappings(int argc, char** argv) {
    ArgParser app{"The map as mdb's ::mappings shows it: BASE LIMIT SIZE NAME, in hex.",
                  "vmatlas mappings"};
    app.footer(
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name, 9 partial input,\n"
        "10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    MappingsOptions options;
    OutputOptions output;
    args.add_to(app);
    app.add_flag("-b", options.basenames, "the last component of file names");
    app.add_flag("-s", options.no_segment_names, "no segment names ([ text ], [ data ], ...)");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;

    auto loaded = load(args, {.figures = false});
    if (!loaded) return loaded.error();
    const Format format = output.format();
    const Palette palette = output.palette();
    std::string out;
    render_mappings(loaded->space, loaded->notes, options, format, palette, out,
                    [](std::string& text) {
                        write_stdout(text);
                        text.clear();
                    });
    write_stdout(out);
    return keep_until_exit(loaded);
}

}  // namespace vmatlas::cli
