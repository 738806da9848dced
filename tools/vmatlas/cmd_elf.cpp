// vmatlas elf FILE: the program headers with their names (Solaris elfdump -p) and the map the
// file would create when loaded (pwndbg vmmap-load), by segments or, with --sections, by sections.

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/elf_view.hpp"
#include "vmatlas/elf_image.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas::cli {

int run_elf(int argc, char** argv) {
    ArgParser app{
        "Program headers with their names, and the map the file would create when loaded.",
        "vmatlas elf"};
    app.footer(
        "An ET_EXEC loads at its own addresses. An ET_DYN loads at --base (the load bias: where\n"
        "vaddr 0 lands), by default 0x555555554000 for a PIE executable (it has PT_INTERP) and\n"
        "0x7ffff7c00000 for a shared object (rounded down to the largest p_align). --base must\n"
        "be page-aligned, but for --sections, which maps each allocated section exactly.\n"
        "--csv writes the map's rows; --json is described in docs/elf.md.\n"
        "Exit status: 0 ok, 2 usage, 3 no such file, 4 permission denied, 7 not ELF, truncated\n"
        "or not loadable, 9 sections that overlap (the map is partial), 10 the output cannot be\n"
        "written, 11 out of memory.");
    std::string file, base_text;
    OutputOptions output;
    ElfImageOptions options;
    app.add_option("FILE", file, "an ELF executable or shared object")->required();
    app.add_option("--base ADDR", base_text, "load bias of an ET_DYN (0x-hex or decimal)");
    app.add_flag("--sections", options.by_sections,
                 "the map from the allocated sections, exact, not from the program headers");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;

    if (!base_text.empty()) {
        options.base = parse_address(base_text);
        if (!options.base) return usage_error("--base takes an address, 0x-hex or decimal");
    }
    // A base that is not page-aligned is the library's to refuse (a usage error, status 2): it
    // depends on the mode, as for every other view.
    auto image = load_elf_image(file, options);
    if (!image) return report(image.error());
    const int status = report_diagnostics(image->space);  // overlapping sections
    for (const std::string& w : image->notes.warnings) report_warning(w);

    std::string out;
    render_elf(*image, output.format(), output.palette(), out);
    write_stdout(out);
    return status;
}

}  // namespace vmatlas::cli
