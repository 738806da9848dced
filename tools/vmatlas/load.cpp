#include "load.hpp"

#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas::cli {

void OutputOptions::add_to(ArgParser& app, bool with_color) {
    app.add_flag("--json", json, "JSON instead of a table (docs/json.md)");
    app.add_flag("--csv", csv, "CSV instead of a table");
    if (with_color)
        app.add_option("--color WHEN", color,
                       "auto (a terminal, NO_COLOR unset, TERM not dumb), always or never")
            ->one_of({"auto", "always", "never"});
}

std::optional<int> OutputOptions::check() const {
    if (json && csv) return usage_error("--json and --csv cannot be used together");
    return std::nullopt;
}

Palette OutputOptions::palette() const {
    const ColorMode mode = color == "always"  ? ColorMode::Always
                           : color == "never" ? ColorMode::Never
                                              : ColorMode::Auto;
    return Palette{format() == Format::Table && use_color(mode, STDOUT_FILENO)};
}

void TargetArgs::add_to(ArgParser& app) {
    app.add_option("TARGET", target, kTargetHelp)->required();
    add_options_to(app);
}

void TargetArgs::add_options_to(ArgParser& app) {
    app.add_option("--base ADDR", base_text,
                   "an ELF image target: the load bias of an ET_DYN (0x-hex or decimal)");
    app.add_flag("--sections", by_sections,
                 "an ELF image target: map its allocated sections, not its program headers");
    // One file per --add, so that `--add a.regions TARGET` leaves TARGET alone.
    app.add_option("--add FILE", add,
                   "a regions file to add to the target (repeatable): START SIZE PERMS [OFFSET] "
                   "[NAME] per line, docs/regions.md");
    app.add_option("--remote-pid PID", remote_pid,
                   "a tcp: target: read the map of this process of the gdbserver's machine, not "
                   "of the one it debugs (gdbserver --multi); nothing is attached");
    app.add_option("--sysroot DIR", sysroot,
                   "a tcp: target: copies of its machine's files under DIR at their paths, to "
                   "name segments from when their build-ids match (else the remote file, cached)");
    app.add_option("--cpu N", cpu_text,
                   "a guest dump or live guest: the page tables of CPU N (from 0; default 0)");
    app.add_option("--cr3 ADDR", cr3_text,
                   "a guest dump or live guest: walk the page tables at ADDR, not the CPU's CR3");
    app.add_flag("--kpti-user", kpti_user,
                 "a guest dump or live guest: the user copy of the top-level table (CR3 bit 12 "
                 "set), as page-table isolation keeps it");
    app.add_flag("--kpti-kernel", kpti_kernel,
                 "a guest dump or live guest: the kernel's copy of the top-level table (CR3 bit "
                 "12 clear)");
    app.add_option("--kallsyms FILE", kallsyms,
                   "a guest dump or live guest: the guest kernel's /proc/kallsyms or System.map, "
                   "to name its text, data, direct map, vmalloc and vmemmap rows");
}

std::optional<int> TargetArgs::apply(NamedMapOptions& options) const {
    if (!base_text.empty()) {
        options.base = parse_address(base_text);
        if (!options.base) return usage_error("--base takes an address, 0x-hex or decimal");
    }
    options.by_sections = by_sections;
    options.add = add;
    if (remote_pid) {
        if (!target.starts_with("tcp:"))
            return usage_error("--remote-pid is for a gdbserver target, tcp:HOST:PORT");
        if (*remote_pid == 0 || *remote_pid > 0x7fffffff)
            return usage_error("--remote-pid takes a PID, from 1 to 2147483647");
        options.remote_pid = static_cast<int>(*remote_pid);
    }
    if (!sysroot.empty()) {
        if (!target.starts_with("tcp:"))
            return usage_error("--sysroot is for a gdbserver target, tcp:HOST:PORT");
        // A path's copy is DIR + path: one '/' between them.
        options.sysroot = sysroot;
        while (options.sysroot.size() > 1 && options.sysroot.ends_with('/'))
            options.sysroot.pop_back();
        if (options.sysroot == "/") options.sysroot.clear();
    }
    PageTableOptions& tables = options.page_tables;
    if (!cpu_text.empty()) {
        const auto cpu = parse_address(cpu_text);
        if (!cpu || *cpu > 4096) return usage_error("--cpu takes a CPU number, from 0");
        tables.cpu = static_cast<std::size_t>(*cpu);
    }
    if (!cr3_text.empty()) {
        tables.cr3 = parse_address(cr3_text);
        if (!tables.cr3) return usage_error("--cr3 takes an address, 0x-hex or decimal");
    }
    if (kpti_user && kpti_kernel)
        return usage_error("--kpti-user and --kpti-kernel cannot be used together");
    tables.kpti = kpti_user     ? PageTableOptions::Kpti::User
                  : kpti_kernel ? PageTableOptions::Kpti::Kernel
                                : PageTableOptions::Kpti::AsLoaded;
    tables.kallsyms = kallsyms;
    return std::nullopt;
}

void TargetArgs::warn_unused(TargetKind kind) const {
    const bool page_tables = kind == TargetKind::GuestDump || kind == TargetKind::LiveGuest;
    const bool tables_asked =
        !cpu_text.empty() || !cr3_text.empty() || !kallsyms.empty() || kpti_user || kpti_kernel;
    if (tables_asked && !page_tables)
        report_warning(
            fmt::format("--cpu, --cr3, --kpti-user, --kpti-kernel and --kallsyms are "
                        "for a guest's page tables, and {} is none ({}): they were not "
                        "used",
                        target, to_string(kind)));
    if (remote_pid && kind == TargetKind::LiveGuest)
        report_warning(
            fmt::format("--remote-pid is for a gdbserver: {} is QEMU's gdbstub, whose "
                        "guest's page tables are shown, and it was not used",
                        target));
    if (!sysroot.empty() && kind == TargetKind::LiveGuest)
        report_warning(
            fmt::format("--sysroot is for a gdbserver: {} is QEMU's gdbstub, whose "
                        "guest's page tables are shown, and it was not used",
                        target));
}

namespace {

// A message about the target named by `about`, unless it names it already.
std::string about_target(std::string_view about, std::string message) {
    if (about.empty() || message.find(about) != std::string::npos) return message;
    return fmt::format("{}: {}", about, message);
}

}  // namespace

namespace {

// A target's named map as a command takes it: its errors, diagnostics and warnings reported.
LoadResult checked(Result<NamedMap> named, const std::string& target, std::string_view about) {
    if (!named) {
        Error e = named.error();
        e.message = about_target(about, std::move(e.message));
        return report(e);
    }
    NamedMap& map = *named;
    const int status = report_diagnostics(map.space, about);
    if (map.space.empty()) {
        // report_diagnostics has said how many rows were bad; say it once more only if none was.
        if (map.space.rows().rejected == 0)
            report({ErrorKind::UnreadableInput,
                    fmt::format("{} holds no memory map rows",
                                target == "-" ? "standard input" : target)});
        return kBadInput;
    }
    for (const std::string& w : map.notes.warnings) report_warning(about_target(about, w));
    return Loaded{std::move(map), status};
}

}  // namespace

LoadResult load(const std::string& target, const NamedMapOptions& options, std::string_view about) {
    return checked(open_named_map(target, options), target, about);
}

LoadResult load(const TargetArgs& args, NamedMapOptions options, const Opener& open) {
    if (const auto status = args.apply(options)) return *status;
    LoadResult loaded = checked(open(args.target, options), args.target, {});
    if (loaded) args.warn_unused(loaded->kind);
    return loaded;
}

int keep_until_exit(LoadResult& loaded) {
    static auto* kept = new std::vector<std::unique_ptr<Loaded>>;  // never freed: see load.hpp
    if (!loaded) return loaded.error();
    const int status = loaded->status;
    kept->push_back(std::make_unique<Loaded>(std::move(*loaded.loaded_)));
    return status;
}

LoadResult load(const TargetArgs& args, NamedMapOptions options) {
    if (const auto status = args.apply(options)) return *status;
    LoadResult loaded = load(args.target, options);
    if (loaded) args.warn_unused(loaded->kind);
    return loaded;
}

}  // namespace vmatlas::cli
