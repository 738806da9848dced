// vmatlas diff [--all] [-b] [-s] A B: what was added, removed or changed between two maps.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "render/diff_view.hpp"
#include "vmatlas/diff.hpp"

namespace vmatlas::cli {

namespace {

constexpr int kDiffer = 1;  // the maps differ: diff(1)'s status

// load() says "line 3, column 9: bad permissions"; with two targets every message must also say
// whose line it is, so this is load() with the target's name in front of each message.
class NamedLoader {
  public:
    NamedLoader(const std::string& spec, const LoadOptions& options)
        : spec_(spec), name_(spec == "-" ? "standard input" : spec), options_(options) {}

    LoadResult load() const {
        auto opened = open_target(
            spec_,
            {.live_figures = false, .base = options_.base, .by_sections = options_.by_sections});
        if (!opened) {
            Error e = opened.error();
            // Most sentences already name their file or process; the others get it in front.
            if (e.message.find(name_) == std::string::npos)
                e.message = fmt::format("{}: {}", name_, e.message);
            return report(e);
        }
        Target& t = *opened;
        const int status = report_diagnostics(t.space);
        if (t.space.empty()) {
            if (t.space.rows().rejected == 0)
                report({ErrorKind::UnreadableInput,
                        fmt::format("{} holds no memory map rows", name_)});
            return kBadInput;
        }
        Annotations notes;
        if (t.names) {
            notes = std::move(*t.names);
        } else {
            AnnotateContext ctx;
            ctx.pid = t.kind == TargetKind::Process ? t.space.source().pid : 0;
            ctx.facts = &t.facts;
            ctx.objects = t.objects.get();
            notes = annotate(t.space, ctx);
        }
        for (const std::string& w : notes.warnings) warn(w);
        return Loaded{std::move(t.space), std::move(notes), status, std::move(t.facts), t.kind};
    }

  private:
    void warn(std::string_view message) const {
        report_warning(fmt::format("{}: {}", name_, message));
    }

    // exit_status.cpp's report_diagnostics, each message named.
    int report_diagnostics(const AddressSpace& space) const {
        constexpr std::size_t kMaxShown = 20;
        const auto& diags = space.diagnostics();
        for (std::size_t k = 0; k < diags.size() && k < kMaxShown; ++k) {
            const Diagnostic& d = diags[k];
            if (d.line)
                warn(fmt::format("line {}, column {}: {}", d.line, d.column, d.message));
            else
                warn(d.message);
        }
        if (diags.size() > kMaxShown)
            warn(fmt::format("{} more warnings not shown", diags.size() - kMaxShown));
        if (!space.incomplete()) return kOk;
        if (space.rows().rejected > 0)
            report({ErrorKind::MalformedInput,
                    fmt::format("{}: {} of {} rows could not be read and are not compared", name_,
                                space.rows().rejected, space.rows().read)});
        return kPartial;
    }

    std::string spec_, name_;
    LoadOptions options_;
};

}  // namespace

int run_diff(int argc, char** argv) {
    CLI::App app{
        "What changed between two maps: rows added, removed and changed (matched by start "
        "address; the fields that changed, old -> new), unchanged rows counted.",
        "vmatlas diff"};
    app.footer(
        "A split (mprotect of the middle of a region) shows as the region changed (its end)\n"
        "and the new rows added; a merge as the surviving row changed and the others removed.\n"
        "Exit status (as diff(1)): 0 the maps are the same, 1 they differ; 2 usage,\n"
        "3 no such process or file, 4 permission denied, 5 process exited, 6 kernel thread,\n"
        "7 bad input, 8 ambiguous name, 9 partial input (the rows that could be read are\n"
        "compared). Errors and warnings name the target they are about.");
    std::string a_spec, b_spec;
    TargetArgs target_args;  // for --base and --sections; A and B are its two targets
    DiffViewOptions view;
    OutputOptions output;
    const std::string help = std::string(kTargetHelp);
    app.add_option("A", a_spec, "the map before: " + help)->required();
    app.add_option("B", b_spec, "the map after, the same kinds of target")->required();
    app.add_option("--base", target_args.base_text,
                   "ELF image targets: the load bias of an ET_DYN (0x-hex or decimal)");
    app.add_flag("--sections", target_args.by_sections,
                 "ELF image targets: map their allocated sections, not their program headers");
    app.add_flag("--all", view.all, "list the unchanged rows too");
    app.add_flag("-b", view.basenames, "the last component of file names in the File column");
    app.add_flag("-s", view.no_segment_names,
                 "leave the segment names (from ELF headers) out of the comparison and output");
    output.add_to(app);
    if (const auto status = parse_args(app, argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    if (a_spec == "-" && b_spec == "-")
        return usage_error("only one of A and B can be standard input ('-')");
    LoadOptions options;
    if (const auto status = target_args.apply(options)) return *status;

    // Both are opened even when A fails, so that every target's errors are reported at once.
    auto a = NamedLoader(a_spec, options).load();
    auto b = NamedLoader(b_spec, options).load();
    if (!a) return a.error();
    if (!b) return b.error();

    const MapDiff diff = diff_maps(a->space, a->notes, b->space, b->notes,
                                   {.segment_names = !view.no_segment_names});
    std::string out;
    render_diff(a->space, a->notes, b->space, b->notes, diff, view, output.format(),
                output.palette(), out);
    write_stdout(out);
    if (a->status != kOk || b->status != kOk) return kPartial;
    return diff.counts.same() ? kOk : kDiffer;
}

}  // namespace vmatlas::cli
