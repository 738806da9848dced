// vmatlas diff [--all] [-b] [-s] A B: what was added, removed or changed between two maps.
#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/diff_view.hpp"
#include "vmatlas/diff.hpp"

namespace vmatlas::cli {

namespace {

constexpr int kDiffer = 1;  // the maps differ: diff(1)'s status

}  // namespace

int run_diff(int argc, char** argv) {
    ArgParser app{
        "What changed between two maps: rows added, removed and changed (matched by start "
        "address; the fields that changed, old -> new), unchanged rows counted.",
        "vmatlas diff"};
    app.footer(
        "A split (mprotect of the middle of a region) shows as the region changed (its end)\n"
        "and the new rows added; a merge as the surviving row changed and the others removed.\n"
        "Exit status (as diff(1)): 0 the maps are the same, 1 they differ; 2 usage,\n"
        "3 no such process or file, 4 permission denied, 5 process exited, 6 kernel thread,\n"
        "7 bad input, 8 ambiguous name, 9 partial input (the rows that could be read are\n"
        "compared), 10 the output cannot be written, 11 out of memory. Errors and warnings\n"
        "name the target they are about.");
    std::string a_spec, b_spec;
    TargetArgs target_args;  // for --base and --sections; A and B are its two targets
    DiffViewOptions view;
    OutputOptions output;
    const std::string help = std::string(kTargetHelp);
    app.add_option("A", a_spec, "the map before: " + help)->required();
    app.add_option("B", b_spec, "the map after, the same kinds of target")->required();
    app.add_option("--base ADDR", target_args.base_text,
                   "ELF image targets: the load bias of an ET_DYN (0x-hex or decimal)");
    app.add_flag("--sections", target_args.by_sections,
                 "ELF image targets: map their allocated sections, not their program headers");
    app.add_flag("--all", view.all, "list the unchanged rows too");
    app.add_flag("-b", view.basenames, "the last component of file names in the File column");
    app.add_flag("-s", view.no_segment_names,
                 "leave the segment names (from ELF headers) out of the comparison and output");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (a_spec == "-" && b_spec == "-")
        return usage_error("only one of A and B can be standard input ('-')");
    NamedMapOptions options;
    if (const auto status = target_args.apply(options)) return *status;

    // Both are opened even when A fails, so that every target's errors are reported at once;
    // with two targets, every message says whose it is.
    auto load_named = [&](const std::string& spec) {
        return load(spec, options, spec == "-" ? "standard input" : spec);
    };
    auto a = load_named(a_spec);
    auto b = load_named(b_spec);
    if (!a) return a.error();
    if (!b) return b.error();

    // A snapshot's source is the map it was taken from: its side is named by its file too.
    auto snapshot_file = [](TargetKind kind, const std::string& spec) {
        if (kind != TargetKind::Snapshot) return std::string();
        return spec == "-" ? std::string("standard input") : spec;
    };
    view.a_snapshot = snapshot_file(a->kind, a_spec);
    view.b_snapshot = snapshot_file(b->kind, b_spec);
    const MapDiff diff = diff_maps(a->space, a->notes, b->space, b->notes,
                                   {.segment_names = !view.no_segment_names});
    std::string out;
    render_diff(a->space, a->notes, b->space, b->notes, diff, view, output.format(),
                output.palette(), out);
    write_stdout(out);
    const int status_a = keep_until_exit(a), status_b = keep_until_exit(b);
    // A partial map (5 or 9) says more than whether the maps differ.
    if (status_a != kOk) return status_a;
    if (status_b != kOk) return status_b;
    return diff.counts.same() ? kOk : kDiffer;
}

}  // namespace vmatlas::cli
