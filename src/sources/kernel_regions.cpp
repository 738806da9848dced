// The x86-64 kernel's regions (see kernel_regions.hpp). Addresses and sizes are those of
// Documentation/arch/x86/x86_64/mm.rst.
#include "sources/kernel_regions.hpp"

#include <cerrno>
#include <charconv>
#include <fstream>

#include <fmt/format.h>

#include "sources/file_error.hpp"

namespace vmatlas::paging {

namespace {

constexpr std::uint64_t TB = 1ULL << 40, PB = 1ULL << 50;
constexpr std::uint64_t k4K = 4096, k2M = 2ULL << 20;

// The symbols the regions read: the image's edges, and the bases of a randomized layout.
constexpr std::string_view kWanted[] = {"_text",          "_stext",           "_etext",
                                        "__start_rodata", "__end_rodata",     "_sdata",
                                        "_edata",         "__bss_start",      "__bss_stop",
                                        "_end",           "page_offset_base", "vmalloc_base",
                                        "vmemmap_base"};

bool wanted(std::string_view name) {
    for (std::string_view w : kWanted)
        if (w == name) return true;
    return false;
}

// The layout of one paging mode: its fixed regions, and the bases a kernel uses when it does not
// randomize them.
struct Layout {
    std::uint64_t ldt_remap, ldt_remap_end;
    std::uint64_t page_offset, direct_map_size;
    std::uint64_t vmalloc, vmalloc_size;
    std::uint64_t vmemmap, vmemmap_size;
};

constexpr Layout kLevel4{0xffff880000000000, 0xffff888000000000,
                         0xffff888000000000, 64 * TB,
                         0xffffc90000000000, 32 * TB,
                         0xffffea0000000000, 1 * TB};
constexpr Layout kLevel5{0xff10000000000000, 0xff11000000000000, 0xff11000000000000, 32 * PB,
                         0xffa0000000000000, 12800 * TB,         0xffd4000000000000, PB / 2};

// Ranks: the parts of the image above the image, the image above the modules' space.
constexpr int kRankArea = 1, kRankImage = 2, kRankPart = 3;

}  // namespace

Result<KernelSymbols> read_kernel_symbols(const std::string& path) {
    std::ifstream in(path);
    if (!in) return file_error(path, errno);
    KernelSymbols symbols;
    bool any_address = false;
    std::string line;
    while (std::getline(in, line)) {
        // ADDRESS TYPE NAME, a module's symbols followed by "\t[module]".
        if (line.find('[') != std::string::npos) continue;
        const auto first = line.find(' ');
        if (first == std::string::npos || first + 3 > line.size() || line[first + 2] != ' ')
            continue;
        const std::string_view name = std::string_view(line).substr(first + 3);
        if (!wanted(name)) continue;
        std::uint64_t address = 0;
        const auto [end, ec] = std::from_chars(line.data(), line.data() + first, address, 16);
        if (ec != std::errc{} || end != line.data() + first) continue;
        any_address = any_address || address != 0;
        symbols.emplace(name, address);
    }
    if (in.bad()) return file_error(path, errno);
    if (symbols.empty())
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} names none of the kernel's symbols vmatlas reads (_text, "
                                      "_etext, __start_rodata, ...): not a kallsyms or System.map "
                                      "of a Linux kernel",
                                      path));
    if (!any_address)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} shows every symbol at address 0: it was read without the "
                                      "right to see kernel addresses (as root, with "
                                      "kernel.kptr_restrict below 2)",
                                      path));
    return symbols;
}

std::vector<KernelRegion> kernel_regions(bool la57, const KernelSymbols* symbols,
                                         const ReadVirtual& read, std::vector<std::string>& notes) {
    const Layout& layout = la57 ? kLevel5 : kLevel4;
    std::vector<KernelRegion> out = {
        {layout.ldt_remap, layout.ldt_remap_end, "[ldt remap]", kRankArea},
        {0xfffffe0000000000, 0xfffffe8000000000, "[cpu entry area]", kRankArea},
        {0xffffff0000000000, 0xffffff8000000000, "[espfix]", kRankArea},
        {0xffffffef00000000, 0xffffffff00000000, "[efi]", kRankArea},
        {0xffffffffff000000, 0xffffffffff600000, "[fixmap]", kRankArea},
        {0xffffffffff600000, 0xffffffffff601000, "[vsyscall]", kRankArea},
    };
    if (!symbols) return out;
    auto symbol = [&](std::string_view name) -> std::optional<std::uint64_t> {
        const auto it = symbols->find(std::string(name));
        if (it == symbols->end() || it->second == 0) return std::nullopt;
        return it->second;
    };
    // A part in whole pages: a page that holds the end of one part and the start of the next is
    // the first's (a row is never cut inside a page).
    auto part = [&](std::string_view from, std::string_view to, std::string_view name, int rank) {
        const auto a = symbol(from), b = symbol(to);
        if (a && b && *a < *b)
            out.push_back({*a & ~(k4K - 1), (*b + k4K - 1) & ~(k4K - 1), name, rank});
    };
    part("_text", "_etext", "[kernel text]", kRankPart);
    part("__start_rodata", "__end_rodata", "[kernel rodata]", kRankPart);
    part("_sdata", "_edata", "[kernel data]", kRankPart);
    part("__bss_start", "__bss_stop", "[kernel bss]", kRankPart);
    // The image is mapped in 2 MB pages: the rest of its first and last one is the image's too.
    if (const auto text = symbol("_text"), end = symbol("_end"); text && end && *text < *end)
        out.push_back(
            {*text & ~(k2M - 1), (*end + k2M - 1) & ~(k2M - 1), "[kernel image]", kRankImage});
    out.push_back({0xffffffffa0000000, 0xffffffffff000000, "[modules]", kRankArea});

    // A base the kernel keeps in a variable when it randomizes its layout, else the constant.
    auto base = [&](std::string_view variable,
                    std::uint64_t constant) -> std::optional<std::uint64_t> {
        const auto at = symbol(variable);
        if (!at) return constant;
        if (auto value = read(*at)) return *value;
        notes.push_back(
            fmt::format("{} (at {:#x}) cannot be read through the page tables: the "
                        "region it starts is not named",
                        variable, *at));
        return std::nullopt;
    };
    const auto direct = base("page_offset_base", layout.page_offset);
    const auto vmalloc = base("vmalloc_base", layout.vmalloc);
    const auto vmemmap = base("vmemmap_base", layout.vmemmap);
    // Each region ends at its documented size, or where the next one starts if that is sooner.
    auto bounded = [](std::uint64_t start, std::uint64_t size, std::optional<std::uint64_t> next) {
        const std::uint64_t end = start + size;
        return next && *next > start && *next < end ? *next : end;
    };
    if (direct)
        out.push_back({*direct, bounded(*direct, layout.direct_map_size, vmalloc), "[direct map]",
                       kRankArea});
    if (vmalloc)
        out.push_back(
            {*vmalloc, bounded(*vmalloc, layout.vmalloc_size, vmemmap), "[vmalloc]", kRankArea});
    if (vmemmap) out.push_back({*vmemmap, *vmemmap + layout.vmemmap_size, "[vmemmap]", kRankArea});
    return out;
}

std::string_view region_at(const std::vector<KernelRegion>& regions, std::uint64_t start,
                           std::uint64_t end, std::uint64_t& until) {
    // end 0 is 2^64: compare ends as (end - 1), the last byte.
    auto holds = [start](const KernelRegion& r) { return r.start <= start && start <= r.end - 1; };
    const KernelRegion* best = nullptr;
    for (const KernelRegion& r : regions)
        if (holds(r) && (!best || r.rank > best->rank)) best = &r;
    std::uint64_t last = end - 1;  // the last byte the name may hold
    if (best && best->end - 1 < last) last = best->end - 1;
    // A region of higher rank (any region, when none holds start) that starts inside cuts it.
    for (const KernelRegion& r : regions)
        if ((!best || r.rank > best->rank) && r.start > start && r.start - 1 < last)
            last = r.start - 1;
    until = last + 1;
    return best ? best->name : std::string_view{};
}

}  // namespace vmatlas::paging
