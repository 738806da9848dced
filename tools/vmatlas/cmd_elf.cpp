// vmatlas elf FILE: the program headers with their names (Solaris elfdump -p) and the map the
// file would create when loaded (pwndbg vmmap-load), by segments or, with --sections, by sections.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/elf_view.hpp"
#include "render/safe_text.hpp"
#include "vmatlas/annotate.hpp"
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
        "-N selects program headers by kind, as Solaris elfdump -p -N: PT_LOAD, LOAD or load,\n"
        "PT_GNU_STACK, ... or a p_type number; repeatable, a header of any kind given is shown.\n"
        "Exit status: 0 ok, 1 no program header of the kinds -N gives, 2 usage, 3 no such file,\n"
        "4 permission denied, 7 not ELF, truncated or not loadable, 9 sections that overlap (the\n"
        "map is partial), 10 the output cannot be written, 11 out of memory.");
    std::string file, base_text;
    std::vector<std::string> kinds;
    OutputOptions output;
    ElfImageOptions options;
    app.add_option("FILE", file, "an ELF executable or shared object")->required();
    app.add_option("--base ADDR", base_text, "load bias of an ET_DYN (0x-hex or decimal)");
    app.add_flag("--sections", options.by_sections,
                 "the map from the allocated sections, exact, not from the program headers");
    app.add_option("-N NAME", kinds,
                   "only the program headers of this kind (PT_LOAD, LOAD, gnu_stack, 0x6474e551), "
                   "without the map; repeatable");
    output.add_to(app);
    if (const auto status = app.parse(argc, argv)) return *status;
    if (const auto status = output.check()) return *status;
    std::vector<std::uint32_t> types;
    for (const std::string& name : kinds) {
        const auto type = pt_type(name);
        if (!type)
            return usage_error(fmt::format(
                "-N takes a program header kind (PT_LOAD, LOAD, load) or a number, not '{}'",
                name));
        types.push_back(*type);
    }
    if (!kinds.empty() && output.csv)
        return usage_error("-N selects program headers, which --csv does not show");

    if (!base_text.empty()) {
        options.base = parse_address(base_text);
        if (!options.base) return usage_error("--base takes an address, 0x-hex or decimal");
    }
    // A base that is not page-aligned is the library's to refuse (a usage error, status 2): it
    // depends on the mode, as for every other view.
    auto image = load_elf_image(file, options);
    if (!image) return report(image.error());
    assign_roles(image->space, image->notes);
    const int status = report_diagnostics(image->space);  // overlapping sections
    for (const std::string& w : image->notes.warnings) report_warning(w);

    std::string out;
    if (kinds.empty()) {
        render_elf(*image, output.format(), output.palette(), out);
        write_stdout(out);
        return status;
    }
    std::vector<std::size_t> shown;
    const auto& headers = image->object.program_headers;
    for (std::size_t i = 0; i < headers.size(); ++i)
        if (std::find(types.begin(), types.end(), headers[i].type) != types.end())
            shown.push_back(i);
    if (!shown.empty() || output.json)
        render_elf(*image, output.format(), output.palette(), out, &shown);
    write_stdout(out);
    if (!shown.empty()) return status;
    std::vector<std::string> spelled;
    for (const std::uint32_t t : types) spelled.push_back(pt_name(t));
    std::string sentence = "vmatlas: ";
    append_safe(sentence, file);  // a file name may hold anything
    fmt::format_to(std::back_inserter(sentence), " has no program header of kind {}\n",
                   fmt::join(spelled, " or "));
    std::fputs(sentence.c_str(), stderr);
    return status == kOk ? kNoMatch : status;
}

}  // namespace vmatlas::cli
