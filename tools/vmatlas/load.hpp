// What every subcommand does first: parse its arguments, read the target's named map (the
// library's open_named_map), and report its diagnostics and warnings.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "render/color.hpp"
#include "render/map_view.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::cli {

inline constexpr const char* kTargetHelp =
    "a PID, 'self', a process name matching exactly one process, a core file, an ELF file, a "
    "snapshot (vmatlas save), a regions file, a file holding maps text or gdb's info proc "
    "mappings ('-': standard input), tcp:HOST:PORT for the process a gdbserver there debugs, or "
    "qemu-user:PID for the guest of a QEMU user-mode process";

// --json, --csv and --color, the same for every view.
struct OutputOptions {
    bool json = false, csv = false;
    std::string color = "auto";

    // Adds the options to app; with_color false for views that are never coloured.
    void add_to(ArgParser& app, bool with_color = true);
    // Nothing when the options fit together, else the exit status of the usage error (printed).
    std::optional<int> check() const;
    Format format() const { return json ? Format::Json : csv ? Format::Csv : Format::Table; }
    // Colours only for a table, and then as --color and the terminal say.
    Palette palette() const;
};

// TARGET and how to read it, the same for every view: --base and --sections for an ELF image,
// --add for regions files, --remote-pid and --sysroot for a gdbserver.
struct TargetArgs {
    std::string target;
    std::string base_text;
    bool by_sections = false;
    std::vector<std::string> add;        // --add FILE: regions files added to the target, in order
    std::optional<unsigned> remote_pid;  // --remote-pid PID: a tcp: target's process to read
    std::string sysroot;                 // --sysroot DIR: copies of a tcp: target's files
    // A guest's page tables: --cpu N, --cr3 ADDR, --kpti-user or --kpti-kernel, --kallsyms FILE.
    std::string cpu_text, cr3_text, kallsyms;
    bool kpti_user = false, kpti_kernel = false;

    // Adds TARGET (required, with kTargetHelp) and the options to app.
    void add_to(ArgParser& app);
    // Adds the options alone, for a command that takes its targets its own way (pmap's several).
    void add_options_to(ArgParser& app);
    // Copies the arguments into options; the exit status of a usage error (printed), else nothing.
    std::optional<int> apply(NamedMapOptions& options) const;
    // Warns of the options given that a target of this kind does not use.
    void warn_unused(TargetKind kind) const;
};

struct Loaded : NamedMap {
    int status = 0;  // kOk, or kPartial when part of the input could not be read
};

// The target's annotated map, or the exit status of the error (already reported on stderr).
class LoadResult {
  public:
    LoadResult(Loaded l) : loaded_(std::move(l)) {}
    LoadResult(int status) : status_(status) {}
    explicit operator bool() const { return loaded_.has_value(); }
    Loaded* operator->() { return &*loaded_; }
    int error() const { return status_; }

  private:
    friend int keep_until_exit(LoadResult& loaded);
    std::optional<Loaded> loaded_;
    int status_ = 0;
};

// `about`, when given, names the target at the start of every message about it, for a command
// that has two (diff).
LoadResult load(const std::string& target, const NamedMapOptions& options,
                std::string_view about = {});
// The same with the target arguments applied to options first.
LoadResult load(const TargetArgs& args, NamedMapOptions options);

// The same, the map read by `open` (where reads a live process's rows its own way).
using Opener = std::function<Result<NamedMap>(const std::string&, const NamedMapOptions&)>;
LoadResult load(const TargetArgs& args, NamedMapOptions options, const Opener& open);

// Keeps a command's loaded map, unfreed, until the process exits, when the kernel takes its
// pages back in one go: freeing a 60,000-row map and its names object by object took 0.3-1.5 ms
// after the output was written. Every command that loads a map calls it once its output is
// written. Returns the map's status. (Kept reachable, so leak checkers stay quiet.)
int keep_until_exit(LoadResult& loaded);

}  // namespace vmatlas::cli
