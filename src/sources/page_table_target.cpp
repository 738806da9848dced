// A guest's page tables as a target (see page_table_target.hpp).
#include "sources/page_table_target.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "sources/kernel_regions.hpp"

namespace vmatlas::paging {

namespace {

// The words of a row's `pages` note.
std::string page_words(const PageRun& run, std::uint64_t start) {
    std::string words = run.user ? "user" : "supervisor";
    if (run.global) words += " global";
    if (run.page_sizes & kPage4K) words += " 4K";
    if (run.page_sizes & kPage2M) words += " 2M";
    if (run.page_sizes & kPage1G) words += " 1G";
    // Past the run's first page, its physical address is known only when the run is contiguous.
    if (run.physically_contiguous)
        fmt::format_to(std::back_inserter(words), " phys={:#x} contiguous",
                       run.paddr + (start - run.start));
    else if (start == run.start)
        fmt::format_to(std::back_inserter(words), " phys={:#x} scattered", run.paddr);
    else
        words += " scattered";
    return words;
}

Perms perms_of(const PageRun& run) {
    std::uint8_t bits = Perms::kRead;
    if (run.writable) bits |= Perms::kWrite;
    if (run.executable) bits |= Perms::kExec;
    return Perms(bits);
}

}  // namespace

WalkInput walk_input(const CpuRegisters& cpu, const PageTableOptions& options) {
    WalkInput in;
    in.cr3 = cpu.cr3;
    if (options.cr3) in.cr3 = *options.cr3;
    if (options.kpti == PageTableOptions::Kpti::User) in.cr3 |= kKptiUserBit;
    if (options.kpti == PageTableOptions::Kpti::Kernel) in.cr3 &= ~kKptiUserBit;
    in.cr4 = cpu.cr4;
    in.nxe = !cpu.efer || (*cpu.efer & kEferNxe);
    return in;
}

Result<Target> page_table_target(PhysicalMemory& memory, const CpuRegisters& cpu,
                                 const PageTableOptions& options, SourceInfo source,
                                 const std::function<std::vector<std::string>()>& source_problems,
                                 std::string_view what) {
    if (!(cpu.cr0 & kCr0Paging))
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} has paging off (CR0 is {:#x}): its addresses are "
                                      "physical, and there are no page tables to walk",
                                      what, cpu.cr0));
    if (!(cpu.cr4 & kCr4Pae))
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} has PAE off (CR4 is {:#x}): not the 4- or 5-level paging "
                                      "of long mode, the only paging vmatlas walks",
                                      what, cpu.cr4));
    std::optional<KernelSymbols> symbols;
    if (!options.kallsyms.empty()) {
        auto read = read_kernel_symbols(options.kallsyms);
        if (!read) return read.error();
        symbols = std::move(*read);
    }
    const WalkInput input = walk_input(cpu, options);
    const WalkResult walk = walk_page_tables(memory, input);

    AddressSpaceBuilder out(std::move(source));
    for (const WalkProblem& p : walk.problems) {
        if (p.lost)
            out.lose({0, 0, p.message});
        else
            out.warn({0, 0, p.message});
    }
    std::vector<std::string> notes;
    const auto regions = kernel_regions((input.cr4 & kCr4La57) != 0, symbols ? &*symbols : nullptr,
                                        [&](std::uint64_t vaddr) -> std::optional<std::uint64_t> {
                                            const auto paddr = translate(memory, input, vaddr);
                                            std::uint8_t bytes[8];
                                            if (!paddr || !memory.read(*paddr, bytes, sizeof bytes))
                                                return std::nullopt;
                                            std::uint64_t v = 0;
                                            for (unsigned i = 0; i < 8; ++i)
                                                v |= std::uint64_t{bytes[i]} << (8 * i);
                                            return v;
                                        },
                                        notes);
    for (const std::string& n : notes) out.warn({0, 0, n});
    for (const std::string& p : source_problems()) out.lose({0, 0, p});

    // A run is cut where a kernel region's name changes; the pieces keep the run's rights.
    std::vector<std::pair<Addr, std::string>> pages;
    pages.reserve(walk.runs.size());
    out.reserve(walk.runs.size());
    for (const PageRun& run : walk.runs) {
        for (std::uint64_t at = run.start; at != run.end();) {
            std::uint64_t until = run.end();
            std::string_view name;
            if (run.half == Half::Kernel) name = region_at(regions, at, run.end(), until);
            if (name.empty()) name = run.user ? "[user]" : "[supervisor]";
            Mapping m;
            m.start = at;
            m.end = until;
            m.perms = perms_of(run);
            m.path = out.intern(name);
            out.add(m);
            pages.emplace_back(at, page_words(run, at));
            at = until;
        }
    }
    Target t;
    t.space = std::move(out).build();
    // The names are the rows' own; no annotator reads a guest's memory for more.
    t.names.emplace();
    t.names->labels.resize(t.space.size());
    t.names->pages.reserve(t.space.size());
    for (const Mapping& m : t.space.mappings()) {
        const auto it = std::lower_bound(pages.begin(), pages.end(), m.start,
                                         [](const auto& p, Addr a) { return p.first < a; });
        t.names->pages.push_back(it != pages.end() && it->first == m.start ? it->second : "");
    }
    return t;
}

}  // namespace vmatlas::paging
