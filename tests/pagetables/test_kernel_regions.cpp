// The kernel's regions (src/sources/kernel_regions.hpp), translate() and the tables the options
// choose (src/sources/page_table_target.hpp), and `vmatlas --kallsyms FILE DUMP`: kernel rows
// named by the symbols of a kallsyms file the test writes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pagetables/guest_dump_file.hpp"
#include "sources/kernel_regions.hpp"
#include "sources/page_table_target.hpp"
#include "support/files.hpp"
#include "support/run.hpp"

namespace {

using vmatlas::PageTableOptions;
using vmatlas::paging::KernelRegion;
using vmatlas::paging::region_at;
using vmtest::GuestCpu;
using vmtest::GuestRam;
using vmtest::kCr0;
using vmtest::kCr4;

// small_guest()'s kernel: text in 0xffffffff81000000-0xffffffff81400000 (r-x), then data and bss
// in one rw 2 MB page up to 0xffffffff81600000. page_offset_base sits at 0xffffffff81400010,
// physical 0x1400010 (the data page's frame is 0x1400000).
const char* const kKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81400000 T _etext\n"
    "ffffffff81400000 D _sdata\n"
    "ffffffff81500000 D _edata\n"
    "ffffffff81400010 D page_offset_base\n"
    "ffffffff81500000 B __bss_start\n"
    "ffffffff81580000 B __bss_stop\n"
    "ffffffff81600000 B _end\n"
    "ffffffffc0001000 t ext4_init\t[ext4]\n"
    "not a symbol line\n";

class MemoryOf final : public vmatlas::paging::PhysicalMemory {
  public:
    explicit MemoryOf(const GuestRam& ram) : ram_(ram) {}
    bool read(std::uint64_t paddr, void* out, std::size_t n) override {
        const auto it = ram_.pages.find(paddr & ~0xFFFULL);
        if (it == ram_.pages.end() || (paddr & 0xFFF) + n > 4096) return false;
        std::memcpy(out, it->second.data() + (paddr & 0xFFF), n);
        return true;
    }

  private:
    const GuestRam& ram_;
};

TEST(KernelSymbols, TheSymbolsTheRegionsUseAreRead) {
    vmtest::TempDir dir;
    vmtest::write_text(dir / "kallsyms", kKallsyms);
    auto symbols = vmatlas::paging::read_kernel_symbols(dir / "kallsyms");
    ASSERT_TRUE(symbols.ok()) << symbols.error().message;
    EXPECT_EQ(symbols->size(), 9u);
    EXPECT_EQ(symbols->at("_etext"), 0xffffffff81400000u);
    EXPECT_EQ(symbols->at("page_offset_base"), 0xffffffff81400010u);
    EXPECT_EQ(symbols->count("ext4_init"), 0u);  // a module's, and not wanted

    vmtest::write_text(dir / "hidden", "0000000000000000 T _text\n0000000000000000 T _etext\n");
    auto hidden = vmatlas::paging::read_kernel_symbols(dir / "hidden");
    ASSERT_FALSE(hidden.ok());
    EXPECT_EQ(hidden.error().message,
              dir / "hidden" +
                  " shows every symbol at address 0: it was read without the right to see kernel "
                  "addresses (as root, with kernel.kptr_restrict below 2)");
    vmtest::write_text(dir / "other", "ffffffff81000000 T printk\n");
    EXPECT_FALSE(vmatlas::paging::read_kernel_symbols(dir / "other").ok());
    EXPECT_FALSE(vmatlas::paging::read_kernel_symbols(dir / "missing").ok());
}

TEST(KernelRegions, FixedRegionsNeedNoSymbols) {
    std::vector<std::string> notes;
    const auto regions = vmatlas::paging::kernel_regions(
        false, nullptr, [](std::uint64_t) { return std::nullopt; }, notes);
    std::uint64_t until = 0;
    EXPECT_EQ(region_at(regions, 0xffffffffff600000, 0xffffffffff601000, until), "[vsyscall]");
    EXPECT_EQ(until, 0xffffffffff601000u);
    EXPECT_EQ(region_at(regions, 0xfffffe0000001000, 0xfffffe0000400000, until),
              "[cpu entry area]");
    EXPECT_EQ(until, 0xfffffe0000400000u);
    // The fixmap ends where the vsyscall page starts.
    EXPECT_EQ(region_at(regions, 0xffffffffff500000, 0xffffffffff601000, until), "[fixmap]");
    EXPECT_EQ(until, 0xffffffffff600000u);
    // Not a fixed region: no name, up to where one starts.
    EXPECT_EQ(region_at(regions, 0xffffffff81000000, 0xffffffffff200000, until), "");
    EXPECT_EQ(until, 0xffffffffff000000u);
    EXPECT_TRUE(notes.empty());
}

TEST(KernelRegions, TheHigherRankNamesOverlaps) {
    const std::vector<KernelRegion> regions = {
        {0xffffffff81000000, 0xffffffff81600000, "[kernel image]", 2},
        {0xffffffff81000000, 0xffffffff81400000, "[kernel text]", 3},
        {0xffffffff81500000, 0xffffffff81580000, "[kernel bss]", 3},
        {0xffffffffa0000000, 0xffffffffff000000, "[modules]", 1},
    };
    std::uint64_t until = 0;
    EXPECT_EQ(region_at(regions, 0xffffffff81000000, 0xffffffff81600000, until), "[kernel text]");
    EXPECT_EQ(until, 0xffffffff81400000u);
    EXPECT_EQ(region_at(regions, 0xffffffff81400000, 0xffffffff81600000, until), "[kernel image]");
    EXPECT_EQ(until, 0xffffffff81500000u);  // cut where the bss starts
    EXPECT_EQ(region_at(regions, 0xffffffff81580000, 0xffffffff81600000, until), "[kernel image]");
    EXPECT_EQ(until, 0xffffffff81600000u);
    // A region ending at 2^64 (end 0).
    const std::vector<KernelRegion> top = {{0xfffffffffff00000, 0, "[top]", 1}};
    EXPECT_EQ(region_at(top, 0xfffffffffff00000, 0xfffffffffffff000, until), "[top]");
    EXPECT_EQ(until, 0xfffffffffffff000u);
}

TEST(KernelRegions, BasesAreReadFromTheGuest) {
    vmatlas::paging::KernelSymbols symbols = {{"page_offset_base", 0xffffffff81400010},
                                              {"vmalloc_base", 0xffffffff81400018}};
    std::vector<std::string> notes;
    const auto regions = vmatlas::paging::kernel_regions(
        false, &symbols,
        [](std::uint64_t vaddr) -> std::optional<std::uint64_t> {
            if (vaddr == 0xffffffff81400010) return 0xffff9a0000000000;
            return std::nullopt;  // vmalloc_base cannot be read
        },
        notes);
    std::uint64_t until = 0;
    EXPECT_EQ(region_at(regions, 0xffff9a0000000000, 0xffff9a0040000000, until), "[direct map]");
    // The default vmemmap base: vmemmap_base is not among the symbols.
    EXPECT_EQ(region_at(regions, 0xffffea0000000000, 0xffffea0000200000, until), "[vmemmap]");
    // vmalloc_base could not be read: its region is not named, and a note says so.
    EXPECT_EQ(region_at(regions, 0xffffc90000000000, 0xffffc90000001000, until), "[direct map]");
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0],
              "vmalloc_base (at 0xffffffff81400018) cannot be read through the page tables: the "
              "region it starts is not named");
}

TEST(PageTables, TranslateFollowsTheWalksPath) {
    const GuestRam ram = vmtest::small_guest();
    MemoryOf memory(ram);
    vmatlas::paging::WalkInput in;
    in.cr3 = 0x1005;  // PCID bits ignored
    using vmatlas::paging::translate;
    EXPECT_EQ(translate(memory, in, 0x400123), 0x100123u);
    EXPECT_EQ(translate(memory, in, 0xffffffff81400010), 0x1400010u);   // a 2 MB page
    EXPECT_EQ(translate(memory, in, 0xffff888012345678), 0x12345678u);  // a 1 GB page
    EXPECT_EQ(translate(memory, in, 0x500000), std::nullopt);           // not present
    in.cr3 = 0x900000;                                                  // not in the memory
    EXPECT_EQ(translate(memory, in, 0x400123), std::nullopt);
}

TEST(PageTables, TheOptionsChooseTheTables) {
    const vmatlas::paging::CpuRegisters cpu{.cr0 = kCr0, .cr3 = 0x10005, .cr4 = kCr4, .efer = 0};
    using vmatlas::paging::walk_input;
    EXPECT_EQ(walk_input(cpu, {}).cr3, 0x10005u);
    EXPECT_FALSE(walk_input(cpu, {}).nxe);  // EFER.NXE clear
    PageTableOptions user;
    user.kpti = PageTableOptions::Kpti::User;
    EXPECT_EQ(walk_input(cpu, user).cr3, 0x11005u);
    PageTableOptions kernel;
    kernel.kpti = PageTableOptions::Kpti::Kernel;
    kernel.cr3 = 0x23000;
    EXPECT_EQ(walk_input(cpu, kernel).cr3, 0x22000u);
    const vmatlas::paging::CpuRegisters dump{.cr0 = kCr0, .cr3 = 0x1000, .cr4 = kCr4};
    EXPECT_TRUE(walk_input(dump, {}).nxe);  // EFER unknown: NXE taken as set
}

TEST(GuestDumpCli, KernelRowsNamedFromKallsyms) {
    vmtest::TempDir dir;
    GuestRam ram = vmtest::small_guest();
    ram.set(0x1400000, 2, 0xffff888000000000);  // page_offset_base's value
    vmtest::GuestDumpSpec spec;
    spec.cpus = {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}};
    spec.ram = ram.blocks();
    const std::string dump = dir / "guest.core";
    vmtest::write_text(dump, [&] {
        const auto bytes = make_guest_dump(spec);
        return std::string(bytes.begin(), bytes.end());
    }());
    vmtest::write_text(dir / "kallsyms", kKallsyms);
    const auto r = vmtest::vmatlas({"-v", "--kallsyms", dir / "kallsyms", dump});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "             Start                End Perm     Size Offset Name           File "
              "Pages\n"
              "          0x400000           0x402000 r-xp     2000      0 [user]              "
              "user 4K phys=0x100000 contiguous\n"
              "          0x402000           0x403000 rw-p     1000      0 [user]              "
              "user 4K phys=0x102000 contiguous\n"
              "    0x7fffffffe000     0x800000000000 rw-p     2000      0 [user]              "
              "user 4K phys=0x110000 contiguous\n"
              "0xffff888000000000 0xffff888040000000 rw-p 40000000      0 [direct map]        "
              "supervisor global 1G phys=0x0 contiguous\n"
              "0xffffffff81000000 0xffffffff81400000 r-xp   400000      0 [kernel text]       "
              "supervisor global 2M phys=0x1000000 contiguous\n"
              "0xffffffff81400000 0xffffffff81500000 rw-p   100000      0 [kernel data]       "
              "supervisor global 2M phys=0x1400000 contiguous\n"
              "0xffffffff81500000 0xffffffff81580000 rw-p    80000      0 [kernel bss]        "
              "supervisor global 2M phys=0x1500000 contiguous\n"
              "0xffffffff81580000 0xffffffff81600000 rw-p    80000      0 [kernel image]      "
              "supervisor global 2M phys=0x1580000 contiguous\n");
    EXPECT_EQ(r.err, "");

    // Another address space of the dump: the same rows through --cr3 from a CPU whose own CR3
    // names nothing.
    spec.cpus = {GuestCpu{{kCr0, 0, 0, 0x900000, kCr4}}};
    const std::string other = dir / "other.core";
    vmtest::write_text(other, [&] {
        const auto bytes = make_guest_dump(spec);
        return std::string(bytes.begin(), bytes.end());
    }());
    const auto by_cr3 =
        vmtest::vmatlas({"-v", "--kallsyms", dir / "kallsyms", "--cr3", "0x1000", other});
    EXPECT_EQ(by_cr3.status, 0) << by_cr3.err;
    EXPECT_EQ(by_cr3.out, r.out);

    const auto bad = vmtest::vmatlas({"--kallsyms", dir / "none", dump});
    EXPECT_EQ(bad.status, 3);
    EXPECT_EQ(bad.err, "vmatlas: no such file: " + dir / "none" + "\n");
    const auto both = vmtest::vmatlas({"--kpti-user", "--kpti-kernel", dump});
    EXPECT_EQ(both.status, 2);
    // Given for a target that has no page tables, they are said to be unused.
    vmtest::write_text(dir / "maps", "00400000-00401000 r-xp 00000000 00:00 0 \n");
    const auto unused = vmtest::vmatlas({"--cpu", "1", dir / "maps"});
    EXPECT_EQ(unused.status, 0) << unused.err;
    EXPECT_EQ(unused.err,
              "vmatlas: warning: --cpu, --cr3, --kpti-user, --kpti-kernel and "
              "--kallsyms are for a guest's page tables, and " +
                  dir / "maps" + " is none (maps text): they were not used\n");
}

}  // namespace
